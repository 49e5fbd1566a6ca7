//! What policy a tag in use calls for: a semver range around it, a numerical order on the build
//! stamp it carries, or nothing (with why). Every proposal is compiled and run over the tag in use
//! by the policy engine before it is offered, so `adopt` never writes a policy that would not
//! select the tag the repository runs today.

use crate::flux_version::FluxVersion;
use crate::policy::semver::{Range, Version};
use crate::policy::{self, Choice, Filter, Order};

/// How wide a proposed semver range is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SemverWidth {
    /// Patch releases of the minor in use: `>=1.2.3 <1.3.0`.
    Patch,
    /// Minor and patch releases of the major in use: `>=1.2.3 <2.0.0`.
    #[default]
    Minor,
    /// Anything from the version in use on: `>=1.2.3`.
    Major,
}

/// The policy part of a proposed ImagePolicy's spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Spec {
    Semver {
        range: String,
    },
    /// Numerical (ascending) over what `extract` takes from the tags `pattern` matches.
    Numerical {
        pattern: String,
        extract: String,
    },
    /// Alphabetical (ascending) over the tags `pattern` matches (converted Flux v1 filters).
    Alphabetical {
        pattern: String,
    },
}

impl Spec {
    /// The policy the engine builds from this spec.
    pub(crate) fn compile(&self, flux: FluxVersion) -> Result<policy::Policy, String> {
        let filter = |pattern: &str, extract: Option<&str>| {
            Filter::new_as(pattern, extract, flux.go_syntax()).map_err(|e| e.to_string())
        };
        let range = |r: &str| Range::parse(r).map_err(|e| e.to_string());
        Ok(match self {
            Self::Semver { range: r } => policy::Policy {
                choice: Choice::Semver(range(r)?),
                filter: None,
                semver_rules: flux.semver_rules(),
            },
            Self::Numerical { pattern, extract } => policy::Policy {
                choice: Choice::Numerical(Order::Asc),
                filter: Some(filter(pattern, Some(extract))?),
                semver_rules: flux.semver_rules(),
            },
            Self::Alphabetical { pattern } => policy::Policy {
                choice: Choice::Alphabetical(Order::Asc),
                filter: Some(filter(pattern, None)?),
                semver_rules: flux.semver_rules(),
            },
        })
    }

    /// Whether the policy would select `tag` were it the only tag: the proposal keeps the tag
    /// in use.
    pub(crate) fn keeps(&self, tag: &str, flux: FluxVersion) -> Result<(), String> {
        let policy = self.compile(flux)?;
        match policy.select(&[tag]) {
            Ok(t) if t == tag => Ok(()),
            Ok(t) => Err(format!("it selects `{t}`, not the tag in use")),
            Err(e) => Err(format!("the tag in use `{tag}` does not pass it: {e}")),
        }
    }
}

/// Why no policy is proposed for a tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoPolicy {
    /// No tag at all (`nginx`), or only a digest.
    NoTag,
    /// `latest`, or another moving name with no order (`stable`, `main`).
    Moving(String),
    /// A commit SHA: no order between builds.
    Sha(String),
    /// A tag that is neither a full semantic version nor carries a build stamp (`1.25`).
    Unordered(String),
    /// A value built from a variable or a template (`${TAG}`, `{{ .Values.tag }}`).
    Templated(String),
}

impl NoPolicy {
    pub(crate) fn message(&self) -> String {
        match self {
            Self::NoTag => "no tag: nothing tells which version runs, so no policy is proposed".to_owned(),
            Self::Moving(t) => format!(
                "tag `{t}` moves and has no order: no policy can follow it, so none is proposed"
            ),
            Self::Sha(t) => format!(
                "tag `{t}` is a commit SHA: SHAs have no order, so no policy is proposed"
            ),
            Self::Unordered(t) => format!(
                "tag `{t}` is neither a full semantic version (MAJOR.MINOR.PATCH) nor carries a build stamp, so no policy is proposed"
            ),
            Self::Templated(t) => format!(
                "value `{t}` is filled in by a variable or template: the marker belongs where the value is set"
            ),
        }
    }
}

/// The policy to propose for a tag in use.
pub(crate) fn propose(
    tag: Option<&str>,
    width: SemverWidth,
    flux: FluxVersion,
) -> Result<Spec, NoPolicy> {
    let Some(tag) = tag.filter(|t| !t.is_empty()) else {
        return Err(NoPolicy::NoTag);
    };
    if tag.contains("${") || tag.contains("{{") {
        return Err(NoPolicy::Templated(tag.to_owned()));
    }
    if let Some(version) = Version::parse_tag(tag) {
        let spec = Spec::Semver {
            range: semver_range(&version, width),
        };
        if spec.keeps(tag, flux).is_ok() {
            return Ok(spec);
        }
    }
    if let Some(spec) = build_stamp(tag, flux) {
        return Ok(spec);
    }
    if is_sha(tag) {
        return Err(NoPolicy::Sha(tag.to_owned()));
    }
    if !tag.bytes().any(|b| b.is_ascii_digit()) {
        return Err(NoPolicy::Moving(tag.to_owned()));
    }
    Err(NoPolicy::Unordered(tag.to_owned()))
}

/// `>=CURRENT <NEXT` for the width asked. A pre-release in use stays in the lower bound, so
/// that Masterminds lets pre-releases of that version line in, as the repository already
/// runs one.
fn semver_range(version: &Version, width: SemverWidth) -> String {
    let current = version
        .original()
        .strip_prefix('v')
        .unwrap_or(version.original());
    let current = current.split('+').next().unwrap_or(current);
    let (major, minor) = (version.major(), version.minor());
    match width {
        SemverWidth::Patch => format!(">={current} <{major}.{}.0", minor + 1),
        SemverWidth::Minor => format!(">={current} <{}.0.0", major + 1),
        SemverWidth::Major => format!(">={current}"),
    }
}

/// A tag whose ordering part is a run of at least eight digits (a date `20240131`, a Unix time
/// `1706659200`, `YYYYMMDDhhmmss`): the flux guide's sortable tags, `<branch>-<sha>-<stamp>`.
/// The rest of the tag becomes the filter: literal words stay, hex runs (SHAs) become
/// `[a-fA-F0-9]+`, so every later build of the same branch passes.
fn build_stamp(tag: &str, flux: FluxVersion) -> Option<Spec> {
    let bytes = tag.as_bytes();
    let mut best: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            // A digit run glued to letters is part of a word or a SHA, not a stamp.
            let bounded = |at: Option<&u8>| at.is_none_or(|b| !b.is_ascii_alphanumeric());
            if i - start >= 8
                && bounded(start.checked_sub(1).and_then(|s| bytes.get(s)))
                && bounded(bytes.get(i))
            {
                best = Some((start, i));
            }
        } else {
            i += 1;
        }
    }
    let (start, end) = best?;
    let pattern = format!(
        "^{}(?P<ts>[0-9]+){}$",
        generalise(&tag[..start]),
        generalise(&tag[end..])
    );
    let spec = Spec::Numerical {
        pattern,
        extract: "$ts".to_owned(),
    };
    spec.keeps(tag, flux).ok()?;
    Some(spec)
}

/// A part of a tag as a Go regexp: separators and words literal, SHA-like hex runs as a class.
fn generalise(part: &str) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if is_sha(word) {
            out.push_str("[a-fA-F0-9]+");
        } else {
            out.push_str(&quote_meta(word));
        }
        word.clear();
    };
    for c in part.chars() {
        if c.is_ascii_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push_str(&quote_meta(&c.to_string()));
        }
    }
    flush(&mut word, &mut out);
    out
}

/// A short or full git SHA: 7 to 64 hex digits with at least one letter and one digit (so that
/// neither a word nor a number is taken for one).
fn is_sha(s: &str) -> bool {
    (7..=64).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_hexdigit())
        && s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes().any(|b| b.is_ascii_alphabetic())
}

/// Go's `regexp.QuoteMeta`: only the characters that are special in Go's syntax get a backslash
/// (`-` stays bare), so the patterns read as a person would write them.
fn quote_meta(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if r"\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Flux v1's `glob:` filter as an anchored Go regexp: v1 matched globs where `*` is any run of
/// characters and everything else is literal.
pub(crate) fn glob_to_regex(glob: &str) -> String {
    let parts: Vec<String> = glob.split('*').map(quote_meta).collect();
    format!("^{}$", parts.join(".*"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(tag: &str, width: SemverWidth) -> String {
        match propose(Some(tag), width, FluxVersion::default()) {
            Ok(Spec::Semver { range }) => range,
            other => panic!("{tag}: {other:?}"),
        }
    }

    #[test]
    fn semver_tags_get_a_range_of_the_width_asked() {
        assert_eq!(range("1.2.3", SemverWidth::Minor), ">=1.2.3 <2.0.0");
        assert_eq!(range("v1.2.3", SemverWidth::Minor), ">=1.2.3 <2.0.0");
        assert_eq!(range("1.2.3", SemverWidth::Patch), ">=1.2.3 <1.3.0");
        assert_eq!(range("1.2.3", SemverWidth::Major), ">=1.2.3");
        assert_eq!(range("0.4.1", SemverWidth::Minor), ">=0.4.1 <1.0.0");
        assert_eq!(range("1.2.3+b7", SemverWidth::Minor), ">=1.2.3 <2.0.0");
        assert_eq!(
            range("2.0.0-rc.1", SemverWidth::Minor),
            ">=2.0.0-rc.1 <3.0.0"
        );
    }

    #[test]
    fn build_stamps_get_a_numerical_policy() {
        let spec = propose(
            Some("main-abc1234-1706659200"),
            SemverWidth::Minor,
            FluxVersion::default(),
        )
        .unwrap();
        assert_eq!(
            spec,
            Spec::Numerical {
                pattern: "^main-[a-fA-F0-9]+-(?P<ts>[0-9]+)$".to_owned(),
                extract: "$ts".to_owned()
            }
        );
        let policy = spec.compile(FluxVersion::default()).unwrap();
        let picked = policy
            .select(&[
                "main-abc1234-1706659200",
                "main-def5678-1706745600",
                "dev-0000aaa-1806745600",
            ])
            .unwrap();
        assert_eq!(picked, "main-def5678-1706745600");
        assert!(matches!(
            propose(Some("20240131"), SemverWidth::Minor, FluxVersion::default()),
            Ok(Spec::Numerical { .. })
        ));
    }

    #[test]
    fn unordered_tags_get_no_policy_and_a_reason() {
        let no =
            |t: Option<&str>| propose(t, SemverWidth::Minor, FluxVersion::default()).unwrap_err();
        assert_eq!(no(None), NoPolicy::NoTag);
        assert_eq!(no(Some("latest")), NoPolicy::Moving("latest".to_owned()));
        assert_eq!(no(Some("3f9a2c1")), NoPolicy::Sha("3f9a2c1".to_owned()));
        assert_eq!(no(Some("1.25")), NoPolicy::Unordered("1.25".to_owned()));
        assert!(matches!(no(Some("${TAG}")), NoPolicy::Templated(_)));
    }

    #[test]
    fn globs_become_anchored_go_regexps() {
        assert_eq!(glob_to_regex("1.0.*"), "^1\\.0\\..*$");
        assert_eq!(glob_to_regex("main-*"), "^main-.*$");
        assert_eq!(glob_to_regex("*"), "^.*$");
        let spec = Spec::Alphabetical {
            pattern: glob_to_regex("1.0.*"),
        };
        assert!(spec.keeps("1.0.7", FluxVersion::default()).is_ok());
        assert!(spec.keeps("1.1.0", FluxVersion::default()).is_err());
    }
}
