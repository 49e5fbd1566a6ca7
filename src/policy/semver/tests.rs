//! Hand-written cases: version parsing, tag parsing, precedence, parse structure and
//! errors. Operators and selection are in `tests_select.rs`.

use std::cmp::Ordering;

use super::{Range, RangeErrorKind, Version, VersionError};

pub(super) fn v(s: &str) -> Version {
    Version::parse(s).unwrap_or_else(|e| panic!("`{s}` should parse: {e}"))
}

pub(super) fn r(s: &str) -> Range {
    Range::parse(s).unwrap_or_else(|e| panic!("`{s}` should parse: {e}"))
}

pub(super) fn check(range: &str, cases: &[(&str, bool)]) {
    let parsed = r(range);
    for &(version, want) in cases {
        assert_eq!(
            parsed.matches(&v(version)),
            want,
            "`{range}` vs `{version}`"
        );
    }
}

// ---------------------------------------------------------------- versions

#[test]
fn new_version_accepts() {
    for (s, (ma, mi, pa)) in [
        ("1", (1, 0, 0)),
        ("1.2", (1, 2, 0)),
        ("1.2.3", (1, 2, 3)),
        ("v1", (1, 0, 0)),
        ("v1.2.3", (1, 2, 3)),
        ("01.02.03", (1, 2, 3)),
        ("1.2.3-rc.1+build.5", (1, 2, 3)),
        ("1.2-rc.1", (1, 2, 0)),
        ("18446744073709551615.0.0", (u64::MAX, 0, 0)),
        ("1.2.3-0", (1, 2, 3)),
        ("1.2.3--x-", (1, 2, 3)),
        ("1.2.3+001", (1, 2, 3)),
    ] {
        let parsed = v(s);
        assert_eq!(
            (parsed.major(), parsed.minor(), parsed.patch()),
            (ma, mi, pa),
            "{s}"
        );
        assert_eq!(parsed.original(), s);
        assert_eq!(parsed.to_string(), s);
    }
    assert!(v("1.2.3-rc.1").is_prerelease());
    assert!(!v("1.2.3+rc.1").is_prerelease());
    assert_eq!(v("1.2.3-rc.1+b.2").build(), "b.2");
}

#[test]
fn new_version_rejects() {
    for s in [
        "",
        "1.2.3.4",
        "V1.2.3",
        " 1.2.3",
        "1.2.3 ",
        "1 .2",
        "1.2.3-01",
        "1.2.3-alpha.01",
        "1.2.3-beta_1",
        "1.2.x",
        "x",
        "v",
        "vv1",
        "1.",
        "1..2",
        ".1",
        "1.2.3-",
        "1.2.3+",
        "1.2.3-a..b",
        "1.2.3+a..b",
        "1.2.3-a.",
        "-1",
        "+1",
        "1.2.3-é",
        "１.2.3",
        "1.2.3\n",
        "18446744073709551616",
        "1.18446744073709551616",
        "1.2.99999999999999999999",
    ] {
        assert!(Version::parse(s).is_err(), "`{s:?}` should be rejected");
    }
    assert!(matches!(
        Version::parse("99999999999999999999"),
        Err(VersionError::NumberTooLarge { .. })
    ));
    assert!(matches!(
        Version::parse("1.2.3-rc.01"),
        Err(VersionError::LeadingZero { .. })
    ));
    assert!(matches!(
        Version::parse(&"1".repeat(257)),
        Err(VersionError::TooLong { len: 257 })
    ));
    // A numeric prerelease identifier above u64::MAX is allowed (it compares as text).
    assert!(Version::parse("1.2.3-99999999999999999999").is_ok());
}

#[test]
fn parse_tag_flux_2_7() {
    // version.ParseVersion test table (fluxcd/pkg).
    for s in [
        "v1.2.3",
        "v2025.07.03",
        "v1.2.0-x.Y.0+metadata",
        "v1.2.0-x.Y.0+metadata-width-hypen",
        "v1.2.3-rc1-with-hypen",
    ] {
        assert!(Version::parse_tag(s).is_some(), "`{s}` should be accepted");
    }
    for s in [
        "v1.0",
        "v1",
        "v1.2.beta",
        "v1.2-5",
        "v1.2-beta5",
        "\nv1.2",
        "v1.2.3.4",
    ] {
        assert!(
            Version::parse_tag(s).is_none(),
            "`{s:?}` should be rejected"
        );
    }
    // "Extra" lists: rejected by old and new; accepted by new only.
    for s in [
        "V1.2.3",
        "1.2.3-01",
        "1.2.3-alpha.01",
        "1.2.3-beta_1",
        " 1.2.3",
        "1.2.x",
    ] {
        assert!(
            Version::parse_tag(s).is_none(),
            "`{s:?}` should be rejected"
        );
    }
    for (s, (ma, mi, pa), pre) in [
        ("01.02.03", (1, 2, 3), false),
        ("1.02.3", (1, 2, 3), false),
        ("1.2-rc.1", (1, 2, 0), true),
        ("2025.01.10", (2025, 1, 10), false),
    ] {
        let t = Version::parse_tag(s).unwrap_or_else(|| panic!("`{s}` should be accepted"));
        assert_eq!(
            (t.major(), t.minor(), t.patch(), t.is_prerelease()),
            (ma, mi, pa, pre)
        );
        assert_eq!(t.original(), s);
    }
    // Two-part tags are not versions for Flux, though NewVersion accepts them.
    for s in ["1.2", "v1.3", "1", "latest", "", "1.2.3.4", "é.é.é"] {
        assert!(Version::parse_tag(s).is_none(), "`{s}` should be rejected");
    }
}

#[test]
fn precedence_semver_spec_order() {
    let ordered = [
        "0.9.9",
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1",
        "1.1.0",
        "2.0.0",
    ];
    for (i, a) in ordered.iter().enumerate() {
        for (j, b) in ordered.iter().enumerate() {
            assert_eq!(v(a).cmp_precedence(&v(b)), i.cmp(&j), "{a} vs {b}");
        }
    }
}

#[test]
fn precedence_details() {
    let cmp = |a: &str, b: &str| v(a).cmp_precedence(&v(b));
    assert_eq!(
        cmp("1.0.0-rc9", "1.0.0-rc10"),
        Ordering::Greater,
        "alphanumeric is ASCII"
    );
    assert_eq!(
        cmp("1.0.0-rc.9", "1.0.0-rc.10"),
        Ordering::Less,
        "numeric is numeric"
    );
    assert_eq!(
        cmp("1.0.0-1", "1.0.0-a"),
        Ordering::Less,
        "numeric < alphanumeric"
    );
    assert_eq!(
        cmp("1.0.0-a", "1.0.0-a.0"),
        Ordering::Less,
        "shorter list is lower"
    );
    assert_eq!(
        cmp("1.0.0-A", "1.0.0-a"),
        Ordering::Less,
        "uppercase sorts first"
    );
    assert_eq!(cmp("1.0.0+a", "1.0.0+b"), Ordering::Equal, "build ignored");
    assert_eq!(cmp("v1.0.0", "1.0.0"), Ordering::Equal, "v prefix ignored");
    assert_eq!(
        cmp("01.02.03", "1.2.3"),
        Ordering::Equal,
        "leading zeros ignored"
    );
    assert_eq!(cmp("1.2", "1.2.0"), Ordering::Equal);
    assert_eq!(cmp("10.0.0", "9.0.0"), Ordering::Greater);
    // Go's ParseUint fails above u64::MAX, so such identifiers compare as text.
    assert_eq!(
        cmp("1.0.0-99999999999999999999", "1.0.0-100000000000000000000"),
        Ordering::Greater
    );
    assert_eq!(
        cmp("1.0.0-99999999999999999999", "1.0.0-5"),
        Ordering::Greater
    );
    assert_eq!(cmp("1.0.0-99999999999999999999", "1.0.0-a"), Ordering::Less);
}

// ---------------------------------------------------------------- structure

#[test]
fn parse_structure() {
    assert_eq!(r(">40.50.60, < 50.70").group_sizes(), [2]);
    assert_eq!(r(">= 1.2.3 < 2.0 || => 3.0 < 4").groups(), 2);
    assert_eq!(r(">= 1.2.3 < 2.0 || => 3.0 < 4").group_sizes(), [2, 2]);
    assert_eq!(r("3 - 4 || => 3.0, < 4").group_sizes(), [2, 2]);
    assert_eq!(r("12.3.34 ~1.2.3").group_sizes(), [2]);
    assert_eq!(r(">= 1.1").group_sizes(), [1]);
    assert_eq!(r("2 - 3, 4.0.0 - 5.1").group_sizes(), [4]);
    assert_eq!(r(">= 1.2 , < 2").group_sizes(), [2]);
    assert_eq!(r("  2.1  ").group_sizes(), [1]);
    assert_eq!(
        r("1.2.3-2.3.4").group_sizes(),
        [1],
        "no spaces: one version"
    );
    r("v2.3.5-20161202202307-sha.e8fc5e5");
    for bad in [
        "12.3.34~ 1.2.3",
        "v1.2.3-beta.01",
        "12.3.4.1234",
        "12.23.4.1234",
        "12.3.34.1234",
        ">= bar",
        "BAR >= 1.2.3",
        "> = 1",
        "1.0.0p",
        "1x",
        "x1",
        "-1",
        "a",
        "",
        "*-*",
        " ",
        "||",
        "1.2 ||",
        "|| 1.2",
        "1.2,,1.3",
        "1.2,",
        ",1.2",
        "1.2 | 1.3",
        "V1.2",
        "foo",
        ">=",
        "~ ",
        "= ",
        "+1",
        "~=1.0.0",
        "2..3",
        "2.",
        ".",
        "x.x.x.x",
        "1.2.3 +build",
        ">= 1.0.0.0",
        "1.2.3 - ",
        "1 -2",
        "99999999999999999999",
        "1.2.3-é",
        "１",
        "1.2\u{a0}",
    ] {
        assert!(Range::parse(bad).is_err(), "`{bad}` should be rejected");
    }
    // Masterminds accepts these oddities.
    for (ok, sizes) in [
        ("1 2", &[2][..]),
        ("2.1 2.1", &[2]),
        ("> 1.3 > 2.4", &[2]),
        ("2.1 = 3.2", &[2]),
        ("1.x-2.x", &[1]),
        ("\t>=1\n<2\r", &[2]),
    ] {
        assert_eq!(r(ok).group_sizes(), sizes, "`{ok}`");
    }
    assert!(
        Range::parse("1 - 2 - 3").is_err(),
        "rewritten to `>= 1, <= 2 - 3`"
    );
    assert!(
        Range::parse("1.2\u{b}").is_err(),
        "Go \\s has no vertical tab"
    );
    assert!("^1.2".parse::<Range>().is_ok());
}

#[test]
fn hyphen_rewrite_like_masterminds() {
    // Masterminds TestRewriteRange, with v3.4+'s trailing space.
    for (input, want) in [
        ("2 - 3", ">= 2, <= 3 "),
        ("2 - 3, 2 - 3", ">= 2, <= 3 ,>= 2, <= 3 "),
        ("2 - 3, 4.0.0 - 5.1", ">= 2, <= 3 ,>= 4.0.0, <= 5.1 "),
        ("1.2.3-2.3.4", "1.2.3-2.3.4"),
        (">=1.0 - 2", ">=>= 1.0, <= 2 "),
    ] {
        assert_eq!(
            super::range::rewrite_hyphen_ranges(input).text,
            want,
            "{input}"
        );
    }
}

#[test]
fn limits() {
    let long = format!(">=1.0.0{}", " ".repeat(506));
    assert_eq!(long.len(), 513);
    assert_eq!(
        Range::parse(&long).map_err(|e| e.kind),
        Err(RangeErrorKind::TooLong)
    );
    assert!(Range::parse(&long[..512]).is_ok());
    let many = vec!["1"; 33].join("||");
    assert_eq!(
        Range::parse(&many).map_err(|e| e.kind),
        Err(RangeErrorKind::TooManyGroups)
    );
    assert_eq!(r(&vec!["1"; 32].join("||")).groups(), 32);
}

// ---------------------------------------------------------------- errors

#[test]
fn error_kinds_spans_and_messages() {
    let err = |s: &str| {
        Range::parse(s)
            .err()
            .unwrap_or_else(|| panic!("`{s}` should fail"))
    };
    let case = |s: &str, kind, snippet: &str| {
        let e = err(s);
        assert_eq!(e.kind, kind, "{s}: {e}");
        assert_eq!(&s[e.span.as_range()], snippet, "{s}: {e}");
        assert!(e.to_string().contains(&format!("`{snippet}`")), "{e}");
    };
    let e = err("> = 1");
    assert_eq!(
        e.to_string(),
        "invalid semver range: `> = 1` has no version after the operator `>`"
    );
    assert_eq!(e.kind, RangeErrorKind::MissingVersion);
    assert_eq!(e.span.as_range(), 0..5);
    case(">=1.0, <", RangeErrorKind::MissingVersion, "<");
    assert_eq!(err("").kind, RangeErrorKind::Empty);
    assert_eq!(err("  ").kind, RangeErrorKind::Empty);
    assert_eq!(
        err("").to_string(),
        "invalid semver range: the range is empty; write e.g. `>=1.0.0` or `*`"
    );
    case("1.2.3.4", RangeErrorKind::InvalidConstraint, "1.2.3.4");
    assert!(err("1.2.3.4").to_string().contains("three numeric parts"));
    case(
        ">=1 1.2.3.4 <3",
        RangeErrorKind::InvalidConstraint,
        "1.2.3.4",
    );
    case(
        "12.3.34~ 1.2.3",
        RangeErrorKind::InvalidConstraint,
        "12.3.34~",
    );
    case("foo", RangeErrorKind::InvalidConstraint, "foo");
    case(">=1 foo", RangeErrorKind::InvalidConstraint, "foo");
    case("1.2,,1.3", RangeErrorKind::InvalidConstraint, ",");
    case("1.2, ", RangeErrorKind::InvalidConstraint, ",");
    case("1x", RangeErrorKind::InvalidVersion, "1x");
    case(
        ">=1 <2 || ^v1.2.3-beta.01",
        RangeErrorKind::InvalidVersion,
        "v1.2.3-beta.01",
    );
    assert!(err("v1.2.3-beta.01").to_string().contains("leading zero"));
    case(
        "99999999999999999999",
        RangeErrorKind::InvalidVersion,
        "99999999999999999999",
    );
    let e = err("1.2 || ");
    assert_eq!(
        (e.kind, e.span.as_range()),
        (RangeErrorKind::EmptyGroup, 4..7)
    );
    assert_eq!(
        e.to_string(),
        "invalid semver range: `1.2 || ` ends with an empty `||` alternative"
    );
    assert_eq!(err("||1").span.as_range(), 0..2);
    assert_eq!(err("1 ||  || 2").span.as_range(), 2..6);
    case("é", RangeErrorKind::InvalidConstraint, "é");
    // Errors inside a rewritten hyphen range point at the hyphen range as written.
    let e = err(">=1 || 1x - 2");
    assert_eq!(e.kind, RangeErrorKind::InvalidVersion);
    assert_eq!(&">=1 || 1x - 2"[e.span.as_range()], "1x");
    // The diagnostic labels the span; the caller attaches the text as source code, named after
    // where it came from (`--semver`, or the manifest holding the range).
    let e = err("> = 1");
    let labels: Vec<_> = miette::Diagnostic::labels(&e)
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(labels.len(), 1);
    assert_eq!((labels[0].offset(), labels[0].len()), (0, 5));
    assert!(miette::Diagnostic::source_code(&e).is_none());
    assert_eq!(e.range, "> = 1");
    assert!(miette::Diagnostic::help(&e).is_some());
}
