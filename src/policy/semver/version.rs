//! Versions as Masterminds/semver v3.5 `NewVersion` parses them (with its default
//! `CoerceNewVersion = true`), plus Flux's tag parser `version.ParseVersion`.

use std::cmp::Ordering;
use std::fmt;

/// Longest string `NewVersion` accepts (Masterminds `MaxVersionLen`), in bytes.
pub const MAX_VERSION_LEN: usize = 256;

/// One dot-separated prerelease identifier.
///
/// An identifier is numeric when Go's `strconv.ParseUint(s, 10, 64)` accepts it, so an
/// all-digit identifier above `u64::MAX` compares as text, exactly as Masterminds does.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Identifier {
    Numeric(u64),
    AlphaNumeric(String),
}

impl Identifier {
    fn new(s: &str) -> Self {
        match parse_u64(s) {
            Some(n) => Identifier::Numeric(n),
            None => Identifier::AlphaNumeric(s.to_owned()),
        }
    }
}

impl Ord for Identifier {
    /// Numeric identifiers compare numerically and sort below alphanumeric ones, which
    /// compare byte-wise (so `rc9` > `rc10`).
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Identifier::Numeric(a), Identifier::Numeric(b)) => a.cmp(b),
            (Identifier::Numeric(_), Identifier::AlphaNumeric(_)) => Ordering::Less,
            (Identifier::AlphaNumeric(_), Identifier::Numeric(_)) => Ordering::Greater,
            (Identifier::AlphaNumeric(a), Identifier::AlphaNumeric(b)) => {
                a.as_bytes().cmp(b.as_bytes())
            }
        }
    }
}

impl PartialOrd for Identifier {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Identifier::Numeric(n) => write!(f, "{n}"),
            Identifier::AlphaNumeric(s) => f.write_str(s),
        }
    }
}

/// Why a string is not a version.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VersionError {
    #[error("the version is empty")]
    Empty,
    #[error("the version is {len} bytes long; at most {MAX_VERSION_LEN} are allowed")]
    TooLong { len: usize },
    #[error(
        "`{input}` is not a semantic version \
         (expected [v]MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD])"
    )]
    Malformed { input: String },
    #[error("version number `{number}` is larger than 18446744073709551615")]
    NumberTooLarge { number: String },
    #[error("numeric prerelease identifier `{identifier}` has a leading zero")]
    LeadingZero { identifier: String },
}

/// A parsed version. `original` keeps the input spelling (`v` prefix, leading zeros).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: Vec<Identifier>,
    build: String,
    original: String,
}

impl Version {
    /// Masterminds `NewVersion`: optional lowercase `v`, one to three numeric parts
    /// (leading zeros allowed, missing parts are 0), optional `-prerelease` and `+build`.
    pub fn parse(s: &str) -> Result<Version, VersionError> {
        if s.len() > MAX_VERSION_LEN {
            return Err(VersionError::TooLong { len: s.len() });
        }
        if s.is_empty() {
            return Err(VersionError::Empty);
        }
        let malformed = || VersionError::Malformed {
            input: s.to_owned(),
        };
        let b = s.as_bytes();
        let mut i = usize::from(b[0] == b'v');
        let mut nums: [Option<&str>; 3] = [None; 3];
        for (k, slot) in nums.iter_mut().enumerate() {
            let start = if k == 0 {
                i
            } else if b.get(i) == Some(&b'.') {
                i + 1
            } else {
                break;
            };
            let end = start + b[start..].iter().take_while(|c| c.is_ascii_digit()).count();
            if end == start {
                return Err(malformed());
            }
            *slot = Some(&s[start..end]);
            i = end;
        }
        let mut pre = "";
        if b.get(i) == Some(&b'-') {
            let end = i + 1 + b[i + 1..].iter().take_while(|c| **c != b'+').count();
            pre = &s[i + 1..end];
            if !is_identifier_list(pre) {
                return Err(malformed());
            }
            i = end;
        }
        let mut build = "";
        if b.get(i) == Some(&b'+') {
            build = &s[i + 1..];
            if !is_identifier_list(build) {
                return Err(malformed());
            }
            i = s.len();
        }
        if i != s.len() {
            return Err(malformed());
        }
        let [major, minor, patch] = nums.map(|n| match n {
            None => Ok(0),
            Some(digits) => parse_u64(digits).ok_or_else(|| VersionError::NumberTooLarge {
                number: digits.to_owned(),
            }),
        });
        let (major, minor, patch) = (major?, minor?, patch?);
        let pre = if pre.is_empty() {
            Vec::new()
        } else {
            for id in pre.split('.') {
                if id.len() > 1 && id.starts_with('0') && id.bytes().all(|c| c.is_ascii_digit()) {
                    return Err(VersionError::LeadingZero {
                        identifier: id.to_owned(),
                    });
                }
            }
            pre.split('.').map(Identifier::new).collect()
        };
        Ok(Version {
            major,
            minor,
            patch,
            pre,
            build: build.to_owned(),
            original: s.to_owned(),
        })
    }

    /// Flux >= 2.7 `version.ParseVersion`, used for image tags: the tag must split into
    /// exactly three parts on its first two dots (`strings.SplitN(v, ".", 3)`), then
    /// `NewVersion` applies. So `1.2-rc.1` is 1.2.0-rc.1, while `1.2` and `v1.3` are not
    /// versions. `None` when the tag is not a version.
    pub fn parse_tag(s: &str) -> Option<Version> {
        // Three parts when split on the first two dots: two dots at least.
        s.bytes().filter(|&b| b == b'.').nth(1)?;
        Version::parse(s).ok()
    }

    /// Flux <= 2.6 `version.ParseVersion`: strip one leading `v`, require Masterminds
    /// `StrictNewVersion` to accept the rest, then read the whole tag with `NewVersion`. So
    /// the tag is `[v]MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]` with no leading zero in the
    /// three numbers: `2025.01.10`, `1.02.3` and `1.2-rc.1` are not versions here.
    pub fn parse_tag_strict(s: &str) -> Option<Version> {
        let rest = s.strip_prefix('v').unwrap_or(s);
        let mut parts = rest.splitn(3, '.');
        let (Some(major), Some(minor), Some(tail)) = (parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        // StrictNewVersion cuts the build metadata off the third part first, then the
        // prerelease; what is left must be the patch number.
        let patch = tail.split('+').next().unwrap_or(tail);
        let patch = patch.split('-').next().unwrap_or(patch);
        let strict_number = |n: &str| {
            !n.is_empty()
                && n.bytes().all(|c| c.is_ascii_digit())
                && !(n.len() > 1 && n.starts_with('0'))
        };
        if ![major, minor, patch].into_iter().all(strict_number) {
            return None;
        }
        // What StrictNewVersion checks of the prerelease and build, NewVersion checks too,
        // and more (no empty identifier): the whole tag must pass it.
        Version::parse(s).ok()
    }

    /// The string this version was parsed from.
    pub fn original(&self) -> &str {
        &self.original
    }

    pub fn major(&self) -> u64 {
        self.major
    }

    pub fn minor(&self) -> u64 {
        self.minor
    }

    pub fn patch(&self) -> u64 {
        self.patch
    }

    pub fn prerelease(&self) -> &[Identifier] {
        &self.pre
    }

    pub fn build(&self) -> &str {
        &self.build
    }

    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    /// Precedence per semver 2.0 as Masterminds `Compare` computes it; build metadata is
    /// ignored, a prerelease sorts below its release, and on an equal prefix the shorter
    /// identifier list is lower.
    pub fn cmp_precedence(&self, other: &Version) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.pre.cmp(&other.pre),
            })
    }

    /// Masterminds `comparePrerelease(v.pre, o.pre) != 0`, also when one side has none.
    pub(crate) fn prerelease_differs(&self, other: &Version) -> bool {
        self.pre != other.pre
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

/// Go `strconv.ParseUint(s, 10, 64)`: ASCII digits only, no sign, no overflow.
fn parse_u64(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*`
fn is_identifier_list(s: &str) -> bool {
    s.split('.')
        .all(|id| !id.is_empty() && id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'))
}
