//! Masterminds/semver v3.5 constraint regexes, translated to the `regex` crate.
//!
//! Both engines are RE2-style with leftmost-first (Perl-like) match and capture
//! semantics, so using the same patterns reproduces Masterminds' tokenisation exactly,
//! including its oddities (`|` is inside the version-part class, the hyphen-range rewrite
//! is unanchored). Go's `\s` is ASCII `[\t\n\f\r ]` (no `\v`), unlike the Unicode `\s`
//! of the `regex` crate, so it is spelled out.

use regex::Regex;
use std::sync::LazyLock;

/// Go `\s`.
const WS: &str = r"[\t\n\f\r ]";

/// The operator alternation, in Masterminds' order (the order matters for leftmost-first).
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";

/// `cvRegex`: a constraint version. Groups (relative): 1 major, 2 `.minor`, 3 `.patch`,
/// 4 `-pre`, 5 pre, 6 last pre id, 7 `+build`, 8 build, 9 last build id.
const CV: &str = concat!(
    r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?",
    r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?",
    r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?",
);

fn compile(pattern: String) -> Regex {
    // The patterns are constants; failing to compile them is a programming error that
    // every test run would reveal.
    Regex::new(&pattern).expect("Masterminds constraint pattern compiles")
}

/// `constraintRegex`: one constraint. Groups: 1 op, 2 version, 3 major, 4 `.minor`,
/// 5 `.patch`, 6 `-pre`.
pub(super) static CONSTRAINT: LazyLock<Regex> =
    LazyLock::new(|| compile(format!(r"^{WS}*({OPS}){WS}*({CV}){WS}*$")));

/// `constraintRangeRegex`: a hyphen range. Groups: 1 lower version, 11 upper version.
pub(super) static HYPHEN_RANGE: LazyLock<Regex> =
    LazyLock::new(|| compile(format!(r"{WS}*({CV}){WS}+-{WS}+({CV}){WS}*")));

/// `findConstraintRegex`: splits a validated AND group into constraints.
pub(super) static FIND: LazyLock<Regex> = LazyLock::new(|| compile(format!(r"({OPS}){WS}*({CV})")));

/// `validConstraintRegex`: a whole AND group.
pub(super) static VALID_GROUP: LazyLock<Regex> = LazyLock::new(|| {
    compile(format!(
        r"^({WS}*({OPS}){WS}*({CV}){WS}*)((?:{WS}+|,{WS}*)({OPS}){WS}*({CV}){WS}*)*$"
    ))
});

/// Go `\s`, for hand-written scanning.
pub(super) fn is_ws(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// Masterminds `isX`.
pub(super) fn is_x(s: &str) -> bool {
    matches!(s, "x" | "X" | "*")
}
