//! Hand-written cases for each operator, wildcard edges, group-wide prereleases, and the
//! semver rows of flux-semantics.md §3.3 (tag selection).

use super::tests::{check, r};
use super::{Range, Version};

// ---------------------------------------------------------------- operators

#[test]
fn operators() {
    check(
        "=1.2.3",
        &[
            ("1.2.3", true),
            ("1.2.3+b", true),
            ("1.2.4", false),
            ("v1.2.3", true),
        ],
    );
    check("1.2.3", &[("1.2.3", true), ("1.2.4", false)]);
    check(
        "1.2",
        &[
            ("1.2.0", true),
            ("1.2.9", true),
            ("1.3.0", false),
            ("1.1.9", false),
        ],
    );
    check(
        "1",
        &[
            ("1.0.0", true),
            ("1.9.9", true),
            ("2.0.0", false),
            ("0.9.0", false),
        ],
    );
    check(
        "!=1.2.3",
        &[("1.2.3", false), ("1.2.4", true), ("1.2.3-rc.1", false)],
    );
    check(
        "!=1.2",
        &[("1.2.0", false), ("1.2.7", false), ("1.3.0", true)],
    );
    check(
        ">1.2.3",
        &[("1.2.4", true), ("1.2.3", false), ("2.0.0", true)],
    );
    check(">1.2", &[("1.2.9", false), ("1.3.0", true)]);
    check(">11", &[("11.9.9", false), ("12.0.0", true)]);
    check(
        "<1.2.3",
        &[("1.2.2", true), ("1.2.3", false), ("1.2.3-rc.1", false)],
    );
    check("<1.2", &[("1.1.9", true), ("1.2.0", false)]);
    check(">=1.2", &[("1.2.0", true), ("1.1.9", false)]);
    check("=>1.2", &[("1.2.0", true), ("1.1.9", false)]);
    check("<=1.2", &[("1.2.99", true), ("1.3.0", false)]);
    check("=<1.2.3", &[("1.2.3", true), ("1.2.4", false)]);
    check(
        "~1.2.3",
        &[
            ("1.2.3", true),
            ("1.2.9", true),
            ("1.3.0", false),
            ("1.2.2", false),
        ],
    );
    check("~>1.2.3", &[("1.2.9", true), ("1.3.0", false)]);
    check("~1.2", &[("1.2.0", true), ("1.3.0", false)]);
    check("~1", &[("1.9.0", true), ("2.0.0", false)]);
    check(
        "^1.2.3",
        &[("1.9.9", true), ("2.0.0", false), ("1.2.2", false)],
    );
    check("^0.2.3", &[("0.2.9", true), ("0.3.0", false)]);
    check("^0.0.3", &[("0.0.3", true), ("0.0.4", false)]);
    check("^0.0", &[("0.0.9", true), ("0.1.0", false)]);
    check("^0", &[("0.9.9", true), ("1.0.0", false)]);
    check(
        "^1.x",
        &[("1.0.0", true), ("1.9.0", true), ("2.0.0", false)],
    );
    check(
        "x",
        &[("0.0.0", true), ("99.1.2", true), ("1.0.0-rc.1", false)],
    );
    check("X", &[("3.2.1", true)]);
    check("1.X", &[("1.7.0", true), ("2.0.0", false)]);
    check("1.2.*", &[("1.2.7", true), ("1.3.0", false)]);
    check(
        "1.2.3 - 1.4",
        &[
            ("1.2.3", true),
            ("1.4.9", true),
            ("1.5.0", false),
            ("1.2.2", false),
        ],
    );
    check(
        "1.2 - 1.4.2",
        &[("1.2.0", true), ("1.4.2", true), ("1.4.3", false)],
    );
    check(
        "1.2.3-2.3.4",
        &[("1.2.3-2.3.4", true), ("1.2.3", false), ("2.3.4", false)],
    );
    check("> 1.0 , < 2", &[("1.5.0", true), ("2.0.0", false)]);
}

#[test]
fn wildcard_edges() {
    check(
        "~*",
        &[("0.0.0", true), ("7.8.9", true), ("1.0.0-rc.1", false)],
    );
    check(
        "~0.0.0",
        &[("0.0.0", true), ("7.8.9", true), ("1.0.0-rc.1", false)],
    );
    // Masterminds v3.4+ code: `~0` and `~0.0` are dirty, so they are 0.x and 0.0.x.
    check("~0", &[("0.5.0", true), ("1.2.3", false)]);
    check("~0.0", &[("0.0.5", true), ("0.1.0", false)]);
    // `^*` is `^0.0.0` with nothing dirty below the major: exactly 0.0.0.
    check(
        "^*",
        &[
            ("0.0.0", true),
            ("0.0.1", false),
            ("0.5.1", false),
            ("1.0.0", false),
        ],
    );
    check(">*", &[("1.0.0", true), ("0.0.0", false)]);
    check("!=*", &[("1.0.0", true), ("0.0.0", false)]);
    check("<*", &[("1.0.0", false), ("0.0.0", false)]);
    // `<=*` compares major and minor against the zero-filled 0.0.0: 0.0.x only.
    check(
        "<=*",
        &[("1.0.0", false), ("0.1.0", false), ("0.0.5", true)],
    );
    check(">=*", &[("1.0.0", true)]);
    check("*.5.6", &[("9.0.0", true)]);
    check("1.x.3", &[("1.9.0", true)]);
    check("1.2.x-0", &[("1.2.3-rc.1", true), ("1.3.0-rc.1", false)]);
}

#[test]
fn prereleases_group_wide() {
    // Some constraint of the same AND group names a prerelease: prereleases may match,
    // and not only on the same major.minor.patch.
    check(
        ">=1.2.3-alpha",
        &[
            ("1.3.0-beta", true),
            ("1.2.3-alpha", true),
            ("1.2.2-z", false),
        ],
    );
    check(
        ">=1.0.0-0 <2.0.0",
        &[("1.5.0-rc.1", true), ("2.0.0-rc.1", true), ("2.0.0", false)],
    );
    check(">=1.0.0 <2.0.0-0", &[("1.5.0-rc.1", true)]);
    check("<2.0.0-0 >=1.0.0", &[("1.5.0-rc.1", true)]);
    // Not across `||` groups.
    check(
        ">=1.0.0 || =9.9.9-x",
        &[("1.5.0-rc.1", false), ("9.9.9-x", true)],
    );
    check("1.x-0", &[("1.5.0-rc.1", true), ("1.0.0", true)]);
    check(">=0.0.0-0", &[("0.0.0-0", true), ("5.0.0-alpha", true)]);
    check("*", &[("1.0.0-rc.1", false)]);
}

// ---------------------------------------------------------------- §3.3 rows

/// Flux's semver selection: tags that `ParseVersion` accepts and the range matches; the
/// highest precedence wins, the first in list order on ties.
fn latest<'a>(range: &str, tags: &[&'a str]) -> Option<&'a str> {
    let range = r(range);
    let mut best: Option<(Version, &str)> = None;
    for &tag in tags {
        let Some(ver) = Version::parse_tag(tag) else {
            continue;
        };
        if !range.matches(&ver) {
            continue;
        }
        if best
            .as_ref()
            .is_none_or(|(b, _)| ver.cmp_precedence(b).is_gt())
        {
            best = Some((ver, tag));
        }
    }
    best.map(|(_, t)| t)
}

#[test]
fn spec_3_3_semver_rows() {
    let rows: &[(&str, &[&str], Option<&str>)] = &[
        (
            "1.0.x",
            &["1.0.0", "1.0.0.1", "1.0.0p", "1.0.1", "1.2.0", "0.1.0"],
            Some("1.0.1"),
        ),
        ("1.0.x", &["v1.2.3", "v1.0.0", "v0.1.0"], Some("v1.0.0")),
        ("1.0.x", &["b1.2.3", "b1.0.0", "b0.1.0"], None),
        ("1.0.x", &[], None),
        ("1.0.x", &["1.2.0"], None),
        (
            "1.0.x",
            &[
                "0.1.0",
                "0.1.1",
                "0.2.0",
                "1.0.0",
                "1.0.1",
                "1.0.2",
                "1.1.0-alpha",
            ],
            Some("1.0.2"),
        ),
        (
            "1.0.x",
            &["1.0.0", "2.0.0", "1.0.1", "1.2.0"],
            Some("1.0.1"),
        ),
        (
            "v1.0.x",
            &["v1.0.0", "v2.0.0", "v1.0.1", "v1.2.0"],
            Some("v1.0.1"),
        ),
        (
            "v1.0.x",
            &["1.0.0", "2.0.0", "1.0.1", "1.2.0"],
            Some("1.0.1"),
        ),
        (
            "1.0.x",
            &["v1.0.0", "v2.0.0", "v1.0.1", "v1.2.0"],
            Some("v1.0.1"),
        ),
        (">=0.x", &["0.1.0", "0.1.1"], Some("0.1.1")),
        (
            ">=v0.0.1-0",
            &["v1.0.1-rc9", "v1.0.1-rc10"],
            Some("v1.0.1-rc9"),
        ),
        (
            ">=0.0.0-0",
            &["1.1.1-rc.9", "1.1.1-rc.10", "1.1.1"],
            Some("1.1.1"),
        ),
        (
            ">=0.0.0-0",
            &["1.1.1-rc.9", "1.1.1-rc.10"],
            Some("1.1.1-rc.10"),
        ),
        ("3.12.*", &["latest", "build", "3.12.0-1", "3.9.1-1"], None),
        (
            "*",
            &["2025.01.10", "2025.1.9", "2024.12.31"],
            Some("2025.01.10"),
        ),
        ("^1.0", &["1.2", "1.1.0", "v1.3"], Some("1.1.0")),
        ("6.7.x", &["6.7.0", "6.7.1"], Some("6.7.1")),
        // Ties: first in list order (IRC feeds descending byte order).
        ("*", &["v1.0.0", "1.0.0"], Some("v1.0.0")),
        ("*", &["1.0.0+b", "1.0.0+a"], Some("1.0.0+b")),
    ];
    for (range, tags, want) in rows {
        assert_eq!(latest(range, tags), *want, "`{range}` over {tags:?}");
    }
    for ok in ["1.0.x", "^1.0", "=1.0.0", "~1.0", ">=1.0", ">0,<2.0"] {
        assert!(Range::parse(ok).is_ok(), "`{ok}` should be valid");
    }
    for bad in ["1.0.0p", "1x", "x1", "-1", "a", "", "*-*"] {
        assert!(Range::parse(bad).is_err(), "`{bad}` should be invalid");
    }
}
