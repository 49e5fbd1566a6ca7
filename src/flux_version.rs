//! The Flux release imagelock judges a repository against (`flux-version` in `.imagelock.yaml`,
//! `--flux-version`): which `image.toolkit.fluxcd.io` API versions it serves, which data its
//! commit message templates get, and how its semver policies read tags and prereleases. Every
//! fact here is sourced in docs/flux-versions.md; what could not be sourced is not modelled.

use std::fmt;

use crate::policy::semver::SemverRules;
use crate::policy::GoSyntax;
use crate::resources::Kind;

/// A Flux 2 minor release.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct FluxVersion {
    minor: u16,
}

impl FluxVersion {
    /// The oldest modelled release.
    pub(crate) const OLDEST: Self = Self::new(0);
    /// Flux 2.3 (image-automation-controller 0.38): ImageUpdateAutomation `v1beta2`, template
    /// data `.Changed` and `.Values`; `.Updated` deprecated.
    pub(crate) const V2_3: Self = Self::new(3);
    /// Flux 2.7 (both image controllers 1.0): the `v1` APIs; `v1beta1` and `.Updated` removed.
    pub(crate) const V2_7: Self = Self::new(7);
    /// Flux 2.9 (both image controllers 1.2): `v1beta2` removed.
    pub(crate) const V2_9: Self = Self::new(9);
    /// The newest modelled release, the default target.
    pub(crate) const NEWEST: Self = Self::V2_9;

    const fn new(minor: u16) -> Self {
        Self { minor }
    }

    /// `2.7`, `v2.7` or `2.7.1` (the patch release does not matter); a release older than
    /// [`Self::OLDEST`] or newer than [`Self::NEWEST`] is refused, since nothing about it is
    /// modelled.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "`{text}` is not a Flux version: write MAJOR.MINOR, as `{}`",
                Self::NEWEST
            )
        };
        let digits =
            |s: &str| !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit());
        let trimmed = text.trim();
        let bare = trimmed.strip_prefix('v').unwrap_or(trimmed);
        let mut parts = bare.split('.');
        let (Some(major), Some(minor), patch, None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        if !digits(major) || !digits(minor) || patch.is_some_and(|p| !digits(p)) {
            return Err(bad());
        }
        let (Ok(major), Ok(minor)) = (major.parse::<u16>(), minor.parse::<u16>()) else {
            return Err(bad());
        };
        let version = Self::new(minor);
        if major < 2 || (major == 2 && version < Self::OLDEST) {
            return Err(format!(
                "Flux `{text}` is older than the oldest version imagelock models ({})",
                Self::OLDEST
            ));
        }
        if major > 2 || version > Self::NEWEST {
            return Err(format!(
                "Flux `{text}` is newer than the newest version imagelock models ({})",
                Self::NEWEST
            ));
        }
        Ok(version)
    }

    /// Whether commit templates get the data Flux removed in 2.7: `.Updated`, and (from 2.3)
    /// `.Changed.ImageResult`.
    pub(crate) fn has_legacy_template_data(self) -> bool {
        self < Self::V2_7
    }

    /// Whether commit templates get `.Changed` and `.Values` (image-automation-controller 0.38,
    /// the `v1beta2` API).
    pub(crate) fn has_changed_template_data(self) -> bool {
        self >= Self::V2_3
    }

    /// How this release's semver policies read tags and match prereleases: image-reflector-
    /// controller 1.0 (Flux 2.7) took fluxcd/pkg's new `version.ParseVersion` (leading zeros, a
    /// prerelease before the third number) and Masterminds >= 3.4 (a prerelease in one constraint
    /// opens the AND group); earlier releases parse strict semver after one `v`, and each
    /// constraint decides alone.
    pub(crate) fn semver_rules(self) -> SemverRules {
        if self >= Self::V2_7 {
            SemverRules::From2_7
        } else {
            SemverRules::UpTo2_6
        }
    }

    /// The regexp syntax of the Go this release's image-reflector-controller is built with, which
    /// compiles `filterTags.pattern` and `exclusionList`: Go 1.20/1.21 up to Flux 2.2, 1.22 from
    /// 2.3 (`(?<name>`), 1.25 from 2.7 (`\p{...}` names).
    pub(crate) fn go_syntax(self) -> GoSyntax {
        if self >= Self::V2_7 {
            GoSyntax::Go1_25
        } else if self >= Self::V2_3 {
            GoSyntax::Go1_22
        } else {
            GoSyntax::Go1_20
        }
    }

    /// How this release serves `apiVersion` `image.toolkit.fluxcd.io/<version>` for `kind`;
    /// `None` when it serves it, or when what it does is not established.
    pub(crate) fn api_status(self, kind: Kind, version: &str) -> Option<ApiStatus> {
        use ApiStatus::{Deprecated, NotYetServed, Removed};
        let reflector = matches!(kind, Kind::ImageRepository | Kind::ImagePolicy);
        let status = match (reflector, version) {
            // image-reflector-controller 0.23 removed both alpha versions, before Flux 2.0.
            (true, "v1alpha1" | "v1alpha2") => Removed(Self::OLDEST),
            // Superseded by v1beta2 in image-reflector-controller 0.25 (before Flux 2.0).
            (true, "v1beta1") if self >= Self::V2_7 => Removed(Self::V2_7),
            (true, "v1beta1") => Deprecated(Self::OLDEST),
            // image-automation-controller 0.9 deprecated v1alpha1; its removal is not established.
            (false, "v1alpha1") => Deprecated(Self::OLDEST),
            (false, "v1beta1") if self >= Self::V2_7 => Removed(Self::V2_7),
            (false, "v1beta1") if self >= Self::V2_3 => Deprecated(Self::V2_3),
            (false, "v1beta2") if self < Self::V2_3 => NotYetServed(Self::V2_3),
            (_, "v1beta2") if self >= Self::V2_9 => Removed(Self::V2_9),
            (_, "v1beta2") if self >= Self::V2_7 => Deprecated(Self::V2_7),
            (_, "v1") if self < Self::V2_7 => NotYetServed(Self::V2_7),
            _ => return None,
        };
        Some(status)
    }

    /// The API version to write for `kind` on this release: the newest it serves undeprecated.
    pub(crate) fn recommended(self, kind: Kind) -> &'static str {
        crate::resources::VERSIONS
            .iter()
            .rev()
            .copied()
            .find(|v| self.api_status(kind, v).is_none())
            .unwrap_or("v1")
    }
}

impl Default for FluxVersion {
    fn default() -> Self {
        Self::NEWEST
    }
}

impl fmt::Display for FluxVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "2.{}", self.minor)
    }
}

/// What a Flux release does with an API version it does not simply serve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ApiStatus {
    /// Served, but deprecated since this release.
    Deprecated(FluxVersion),
    /// No longer served, since this release.
    Removed(FluxVersion),
    /// Served only from this (later) release on.
    NotYetServed(FluxVersion),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_in_every_accepted_spelling() {
        for text in ["2.7", "v2.7", "2.7.1", " 2.7 ", "v2.7.0"] {
            assert_eq!(FluxVersion::parse(text), Ok(FluxVersion::V2_7), "{text}");
        }
        assert_eq!(FluxVersion::parse("2.0"), Ok(FluxVersion::OLDEST));
        assert_eq!(FluxVersion::parse("2.9"), Ok(FluxVersion::NEWEST));
        assert_eq!(FluxVersion::NEWEST.to_string(), "2.9");
    }

    #[test]
    fn bad_versions_are_errors_naming_the_value() {
        for text in [
            "", "2", "two", "2.x", "2.7.1.1", "2..7", "V2.7", "2.7-rc.1", "+2.7",
        ] {
            let err = FluxVersion::parse(text).unwrap_err();
            assert!(err.contains(&format!("`{text}`")), "{text}: {err}");
            assert!(err.contains("not a Flux version"), "{text}: {err}");
        }
        let old = FluxVersion::parse("1.25").unwrap_err();
        assert!(old.contains("`1.25`") && old.contains("older"), "{old}");
        let new = FluxVersion::parse("2.10").unwrap_err();
        assert!(new.contains("`2.10`") && new.contains("newer"), "{new}");
        let new = FluxVersion::parse("3.0").unwrap_err();
        assert!(new.contains("newer"), "{new}");
    }

    #[test]
    fn semver_rules_changes_with_2_7() {
        let v = |s: &str| FluxVersion::parse(s).unwrap();
        for old in ["2.0", "2.3", "2.6"] {
            assert_eq!(v(old).semver_rules(), SemverRules::UpTo2_6, "{old}");
        }
        for new in ["2.7", "2.8", "2.9"] {
            assert_eq!(v(new).semver_rules(), SemverRules::From2_7, "{new}");
        }
    }

    #[test]
    fn go_syntax_by_release() {
        let v = |s: &str| FluxVersion::parse(s).unwrap().go_syntax();
        assert_eq!(v("2.0"), GoSyntax::Go1_20);
        assert_eq!(v("2.2"), GoSyntax::Go1_20);
        assert_eq!(v("2.3"), GoSyntax::Go1_22);
        assert_eq!(v("2.6"), GoSyntax::Go1_22);
        assert_eq!(v("2.7"), GoSyntax::Go1_25);
        assert_eq!(v("2.9"), GoSyntax::Go1_25);
    }

    #[test]
    fn api_versions_by_release() {
        use ApiStatus::*;
        use Kind::*;
        let v = |s: &str| FluxVersion::parse(s).unwrap();
        assert_eq!(v("2.9").api_status(ImagePolicy, "v1"), None);
        assert_eq!(
            v("2.9").api_status(ImagePolicy, "v1beta2"),
            Some(Removed(v("2.9")))
        );
        assert_eq!(
            v("2.8").api_status(ImageRepository, "v1beta2"),
            Some(Deprecated(v("2.7")))
        );
        assert_eq!(v("2.6").api_status(ImageRepository, "v1beta2"), None);
        assert_eq!(
            v("2.6").api_status(ImageRepository, "v1"),
            Some(NotYetServed(v("2.7")))
        );
        assert_eq!(
            v("2.7").api_status(ImagePolicy, "v1beta1"),
            Some(Removed(v("2.7")))
        );
        assert_eq!(
            v("2.6").api_status(ImagePolicy, "v1beta1"),
            Some(Deprecated(v("2.0")))
        );
        assert_eq!(
            v("2.0").api_status(ImagePolicy, "v1alpha2"),
            Some(Removed(v("2.0")))
        );
        let iua = ImageUpdateAutomation;
        assert_eq!(v("2.2").api_status(iua, "v1beta1"), None);
        assert_eq!(
            v("2.3").api_status(iua, "v1beta1"),
            Some(Deprecated(v("2.3")))
        );
        assert_eq!(v("2.7").api_status(iua, "v1beta1"), Some(Removed(v("2.7"))));
        assert_eq!(
            v("2.2").api_status(iua, "v1beta2"),
            Some(NotYetServed(v("2.3")))
        );
        assert_eq!(v("2.3").api_status(iua, "v1beta2"), None);
        assert_eq!(v("2.9").api_status(iua, "v1beta2"), Some(Removed(v("2.9"))));
        assert_eq!(
            v("2.9").api_status(iua, "v1alpha1"),
            Some(Deprecated(v("2.0")))
        );
        assert_eq!(v("2.9").api_status(iua, "v1alpha2"), None);
        assert_eq!(v("2.9").recommended(iua), "v1");
        assert_eq!(v("2.6").recommended(iua), "v1beta2");
        assert_eq!(v("2.2").recommended(iua), "v1beta1");
        assert_eq!(v("2.0").recommended(ImagePolicy), "v1beta2");
    }
}
