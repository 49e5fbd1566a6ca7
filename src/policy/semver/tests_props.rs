//! Property tests: no input makes parsing or matching panic, errors point at valid spans,
//! well-formed ranges parse with the expected structure, and precedence is a total order.

use std::cmp::Ordering;
use std::sync::LazyLock;

use proptest::prelude::*;
use proptest::sample::select;
use regex::Regex;

use super::{Range, Version};

/// Masterminds `looseSemVerRegex`, anchored, as `NewVersion` uses it.
static LOOSE_VERSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?",
        r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?",
        r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$"
    ))
    .expect("pattern compiles")
});

/// Masterminds `cvRegex` anchored at the start (leftmost-first, like Go).
static CV_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?",
        r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?",
        r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
    ))
    .expect("pattern compiles")
});

/// What `NewVersion` decides, computed from the regex: accepted, or not.
fn regex_new_version(s: &str) -> bool {
    let Some(m) = LOOSE_VERSION.captures(s) else {
        return false;
    };
    let fits = [1, 2, 3].iter().all(|&i| {
        m.get(i)
            .is_none_or(|g| g.as_str().trim_start_matches('.').parse::<u64>().is_ok())
    });
    let pre_ok = m.get(5).is_none_or(|p| {
        p.as_str().split('.').all(|id| {
            !(id.len() > 1 && id.starts_with('0') && id.bytes().all(|c| c.is_ascii_digit()))
        })
    });
    s.len() <= super::MAX_VERSION_LEN && fits && pre_ok
}

const OPS: &[&str] = &[
    "", "=", "!=", ">", "<", ">=", "=>", "<=", "=<", "~", "~>", "^",
];

fn part() -> impl Strategy<Value = &'static str> {
    select(
        &[
            "0",
            "1",
            "2",
            "10",
            "01",
            "x",
            "X",
            "*",
            "1x",
            "18446744073709551616",
        ][..],
    )
}

fn ident() -> impl Strategy<Value = &'static str> {
    select(
        &[
            "alpha",
            "0",
            "1",
            "01",
            "rc9",
            "rc10",
            "A",
            "a-b",
            "",
            "_",
            "99999999999999999999",
        ][..],
    )
}

/// Constraint versions, mostly valid, sometimes not.
fn loose_version() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        prop::collection::vec(part(), 1..=4),
        prop::option::of(prop::collection::vec(ident(), 1..3)),
        prop::option::of(prop::collection::vec(ident(), 1..3)),
    )
        .prop_map(|(v, parts, pre, build)| {
            let mut s = String::from(if v { "v" } else { "" });
            s.push_str(&parts.join("."));
            if let Some(pre) = pre {
                s.push('-');
                s.push_str(&pre.join("."));
            }
            if let Some(build) = build {
                s.push('+');
                s.push_str(&build.join("."));
            }
            s
        })
}

fn loose_constraint() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (select(OPS), select(&["", " ", "  ", "\t"][..]), loose_version())
            .prop_map(|(op, ws, v)| format!("{op}{ws}{v}")),
        1 => (loose_version(), select(&[" - ", "-", " -", "  -  "][..]), loose_version())
            .prop_map(|(a, sep, b)| format!("{a}{sep}{b}")),
        1 => select(&["", ",", "|", "> =", "~ >", "é", "１", "\u{b}"][..]).prop_map(String::from),
    ]
}

fn loose_range() -> impl Strategy<Value = String> {
    let group = prop::collection::vec(
        (
            loose_constraint(),
            select(&[" ", ",", ", ", " , ", "  ", ""][..]),
        ),
        1..4,
    )
    .prop_map(|cs| cs.into_iter().map(|(c, sep)| c + sep).collect::<String>());
    prop::collection::vec((group, select(&["||", " || ", "|"][..])), 1..4)
        .prop_map(|gs| gs.into_iter().map(|(g, sep)| g + sep).collect::<String>())
}

/// Valid release or prerelease versions, with duplicates in precedence.
fn version() -> impl Strategy<Value = Version> {
    let pre_ident = select(
        &[
            "alpha",
            "beta",
            "0",
            "1",
            "2",
            "10",
            "rc9",
            "rc10",
            "A",
            "a-b",
            "99999999999999999999",
        ][..],
    );
    (
        0u64..3,
        0u64..3,
        0u64..3,
        prop::option::of(prop::collection::vec(pre_ident, 1..4)),
        prop::option::of(select(&["b1", "x.y", "001"][..])),
        any::<bool>(),
    )
        .prop_map(|(ma, mi, pa, pre, build, v)| {
            let mut s = format!("{}{ma}.{mi}.{pa}", if v { "v" } else { "" });
            if let Some(pre) = pre {
                s = format!("{s}-{}", pre.join("."));
            }
            if let Some(b) = build {
                s = format!("{s}+{b}");
            }
            Version::parse(&s).unwrap_or_else(|e| panic!("generated `{s}` must parse: {e}"))
        })
}

fn samples() -> Vec<Version> {
    [
        "0.0.0",
        "1.2.3",
        "1.2.3-rc.1",
        "0.0.1-alpha",
        "10.0.0",
        "1.0.0-0",
        "99.99.99",
    ]
    .iter()
    .filter_map(|s| Version::parse(s).ok())
    .collect()
}

fn exercise(text: &str) {
    match Range::parse(text) {
        Ok(range) => {
            for v in samples() {
                let _ = range.matches(&v);
            }
            assert!(range.groups() >= 1);
        }
        Err(e) => {
            assert!(
                e.span.end() <= text.len(),
                "span {} out of `{text}`",
                e.span
            );
            assert!(e.span.start() <= e.span.end());
            assert!(text.is_char_boundary(e.span.start()) && text.is_char_boundary(e.span.end()));
            assert!(e.to_string().starts_with("invalid semver range: "));
            assert_eq!(e.range, text);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>()) {
        exercise(&s);
        let _ = Version::parse(&s);
        let _ = Version::parse_tag(&s);
    }

    #[test]
    fn near_grammar_strings_never_panic(s in "[ \t0-9xX*|.,<>=!~^v+\\-a-zé]{0,40}") {
        exercise(&s);
        if let Ok(v) = Version::parse(&s) {
            prop_assert_eq!(v.original(), s.as_str());
        }
    }

    #[test]
    fn version_parser_agrees_with_masterminds_regex(
        s in prop_oneof![
            "v?[0-9]{1,21}(\\.[0-9]{1,3}){0,3}(-[0-9a-zA-Z.\\-_]{0,8})?(\\+[0-9a-zA-Z.\\-]{0,6})?",
            "[v0-9.+\\-a ]{0,16}",
        ]
    ) {
        prop_assert_eq!(Version::parse(&s).is_ok(), regex_new_version(&s), "`{}`", s);
    }

    #[test]
    fn diagnostic_scanner_agrees_with_cv_regex(s in "[v0-9xX*|.+\\-a ,]{0,16}") {
        let want = CV_PREFIX.find(&s).map_or(0, |m| m.end());
        prop_assert_eq!(super::error::cv_end(s.as_bytes(), 0).0, want, "`{}`", s);
    }

    #[test]
    fn grammar_ranges_never_panic(s in loose_range()) {
        exercise(&s);
    }

    #[test]
    fn well_formed_ranges_parse(
        groups in prop::collection::vec(
            prop::collection::vec(
                (select(OPS), select(&["", " "][..]), prop::collection::vec(0u64..20, 1..=3),
                 prop::option::of(select(&["alpha", "rc.1", "0", "x-y.2"][..]))),
                1..4),
            1..4),
        and_sep in select(&[" ", ", ", ",", " , "][..]),
        or_sep in select(&["||", " || "][..]),
    ) {
        let text = groups.iter().map(|g| {
            g.iter().map(|(op, ws, nums, pre)| {
                let nums: Vec<String> = nums.iter().map(u64::to_string).collect();
                let pre = pre.map(|p| format!("-{p}")).unwrap_or_default();
                format!("{op}{ws}{}{pre}", nums.join("."))
            }).collect::<Vec<_>>().join(and_sep)
        }).collect::<Vec<_>>().join(or_sep);
        let range = Range::parse(&text).map_err(|e| TestCaseError::fail(format!("`{text}`: {e}")))?;
        let sizes: Vec<usize> = groups.iter().map(Vec::len).collect();
        prop_assert_eq!(range.group_sizes(), sizes, "`{}`", text);
    }

    #[test]
    fn precedence_is_a_total_order(a in version(), b in version(), c in version()) {
        prop_assert_eq!(a.cmp_precedence(&a), Ordering::Equal);
        prop_assert_eq!(a.cmp_precedence(&b), b.cmp_precedence(&a).reverse());
        if a.cmp_precedence(&b).is_le() && b.cmp_precedence(&c).is_le() {
            prop_assert!(a.cmp_precedence(&c).is_le(), "{} <= {} <= {}", a, b, c);
        }
        let same = (a.major(), a.minor(), a.patch(), a.prerelease())
            == (b.major(), b.minor(), b.patch(), b.prerelease());
        prop_assert_eq!(a.cmp_precedence(&b).is_eq(), same);
    }

    #[test]
    fn comparison_ranges_agree_with_precedence(a in version(), b in version()) {
        // A full, non-prerelease constraint version: the range operators are plain
        // precedence comparisons, and prerelease candidates never match.
        let con = format!("{}.{}.{}", a.major(), a.minor(), a.patch());
        let c = Version::parse(&con).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let ord = b.cmp_precedence(&c);
        let release = !b.is_prerelease();
        for (op, want) in [
            ("=", ord.is_eq()), ("!=", !ord.is_eq()), (">", ord.is_gt()), ("<", ord.is_lt()),
            (">=", ord.is_ge()), ("<=", ord.is_le()),
        ] {
            let range = Range::parse(&format!("{op}{con}"))
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(range.matches(&b), want && release, "{}{} vs {}", op, con, b);
        }
    }
}
