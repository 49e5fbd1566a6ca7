//! What changed in Flux's semver policies with Flux 2.7 (image-reflector-controller 1.0): the tag
//! parser (fluxcd/pkg `version.ParseVersion`) and the Masterminds release behind ranges (3.4
//! made a prerelease in one constraint of an AND group admit prereleases for the whole group).
//! `FluxVersion::semver_rules` says which release uses which; docs/flux-versions.md has the
//! sources.

use super::{Range, Version};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SemverRules {
    /// Flux <= 2.6: tags through [`Version::parse_tag_strict`]; in a range, each constraint
    /// admits a prerelease only when it has one itself (Masterminds 3.2 and 3.3).
    UpTo2_6,
    /// Flux >= 2.7: tags through [`Version::parse_tag`]; a prerelease in any constraint of an
    /// AND group admits prereleases for the group (Masterminds >= 3.4).
    #[default]
    From2_7,
}

impl SemverRules {
    /// The version `tag` stands for, or `None` when this release skips it.
    pub fn parse_tag(self, tag: &str) -> Option<Version> {
        match self {
            Self::UpTo2_6 => Version::parse_tag_strict(tag),
            Self::From2_7 => Version::parse_tag(tag),
        }
    }

    /// Whether `range` admits `version` on this release.
    pub fn matches(self, range: &Range, version: &Version) -> bool {
        range.matches_under(version, self)
    }
}
