//! Semver rules per Flux release: the Flux <= 2.6 tag parser and range check against the table
//! Go wrote (`tests/semvertags/gen.go`), and both releases side by side where they differ.

use serde_json::Value;

use super::{Range, SemverRules, Version};

/// Written by `tests/semvertags/gen.go` from `testdata/semvertags/tags.txt`.
const LEGACY: &str = include_str!("../../../testdata/semvertags/legacy.json");

/// `MAJOR.MINOR.PATCH[-PRE]`, as the generator prints what Go read.
fn shown(v: &Version) -> String {
    let mut s = format!("{}.{}.{}", v.major(), v.minor(), v.patch());
    if v.is_prerelease() {
        let pre: Vec<String> = v.prerelease().iter().map(ToString::to_string).collect();
        s.push('-');
        s.push_str(&pre.join("."));
    }
    s
}

#[test]
fn strict_parser_agrees_with_go_on_every_row() {
    let table: Value = serde_json::from_str(LEGACY).unwrap();
    let rows = table["rows"].as_array().unwrap();
    assert!(rows.len() >= 90, "{}", rows.len());
    let mut failures = Vec::new();
    for row in rows {
        let tag = row["tag"].as_str().unwrap();
        let want = row["version"].as_str();
        let got = SemverRules::UpTo2_6.parse_tag(tag);
        if got.as_ref().map(shown).as_deref() != want {
            failures.push(format!(
                "{tag:?}: Go {want:?}, imagelock {:?}",
                got.as_ref().map(shown)
            ));
        }
        if let Some(v) = got {
            assert_eq!(v.original(), tag, "the original spelling is kept");
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `(tag, Flux <= 2.6, Flux >= 2.7)`: whether each release reads the tag as a version.
const BY_RELEASE: &[(&str, bool, bool)] = &[
    // Both.
    ("1.2.3", true, true),
    ("v1.2.3", true, true),
    ("1.2.3-rc.1+b.7", true, true),
    ("0.0.0", true, true),
    ("2021.12.1", true, true),
    // Leading zeros in the numbers: Flux 2.7 reads them (calendar tags), 2.6 skips them.
    ("2025.01.10", false, true),
    ("v2025.07.03", false, true),
    ("01.02.03", false, true),
    ("1.02.3", false, true),
    ("1.2.03", false, true),
    // A prerelease or build before the third number: Flux 2.7 fills in the zeros.
    ("1.2-rc.1", false, true),
    ("v1.2-beta.5", false, true),
    ("1-rc.2.3", false, true),
    ("1.2+b.3", false, true),
    // Neither.
    ("1.2", false, false),
    ("v1", false, false),
    ("1.2.3.4", false, false),
    ("vv1.2.3", false, false),
    ("V1.2.3", false, false),
    ("1.2.3-01", false, false),
    ("1.2.3-", false, false),
    ("latest", false, false),
];

#[test]
fn each_release_reads_its_own_tags() {
    for &(tag, strict, three_parts) in BY_RELEASE {
        assert_eq!(
            SemverRules::UpTo2_6.parse_tag(tag).is_some(),
            strict,
            "Flux <= 2.6 on {tag:?}"
        );
        assert_eq!(
            SemverRules::From2_7.parse_tag(tag).is_some(),
            three_parts,
            "Flux >= 2.7 on {tag:?}"
        );
    }
}

#[test]
fn what_both_read_they_read_alike() {
    let table: Value = serde_json::from_str(LEGACY).unwrap();
    for row in table["rows"].as_array().unwrap() {
        let tag = row["tag"].as_str().unwrap();
        if let (Some(a), Some(b)) = (
            SemverRules::UpTo2_6.parse_tag(tag),
            SemverRules::From2_7.parse_tag(tag),
        ) {
            assert_eq!(a, b, "{tag:?}");
        }
    }
}

#[test]
fn legacy_ranges_agree_with_go_on_every_pair() {
    let table: Value = serde_json::from_str(LEGACY).unwrap();
    let checks = table["checks"].as_array().unwrap();
    assert!(checks.len() >= 200, "{}", checks.len());
    let mut failures = Vec::new();
    let mut compared = 0;
    for c in checks {
        let (range, version) = (c["range"].as_str().unwrap(), c["version"].as_str().unwrap());
        // Pairs the old parsers refuse, or the current ones do, say nothing about matching.
        let (Some(want), Ok(r), Ok(v)) = (
            c["matches"].as_bool(),
            range.parse::<Range>(),
            Version::parse(version),
        ) else {
            continue;
        };
        compared += 1;
        let got = SemverRules::UpTo2_6.matches(&r, &v);
        if got != want {
            failures.push(format!(
                "{range:?} on {version:?}: Go {want}, imagelock {got}"
            ));
        }
    }
    assert!(compared >= 200, "{compared}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `(range, version, Flux <= 2.6, Flux >= 2.7)`.
const RANGES_BY_RELEASE: &[(&str, &str, bool, bool)] = &[
    (">=1.0.0-0 <2.0.0", "2.0.0-rc.1", false, true),
    (">=1.0.0-0 <2.0.0", "1.5.0-rc.1", false, true),
    (">=1.0.0 <2.0.0-0", "1.9.9-rc.1", false, true),
    (">=1.0.0-0, <2.0.0-0", "1.5.0-rc.1", true, true),
    (">=1.0.0-0 !=1.5.0", "1.2.0-rc.1", true, true),
    (">=1.0.0-0 !=1.5.x", "1.2.0-rc.1", false, true),
    (">=0.0.0-0", "1.2.3-alpha", true, true),
    ("*", "1.2.3-alpha", false, false),
    (">=1.2.3 <2", "1.5.0", true, true),
];

#[test]
fn each_release_matches_prereleases_its_own_way() {
    for &(range, version, old, new) in RANGES_BY_RELEASE {
        let r: Range = range.parse().unwrap();
        let v = Version::parse(version).unwrap();
        assert_eq!(
            SemverRules::UpTo2_6.matches(&r, &v),
            old,
            "2.6: {range} on {version}"
        );
        assert_eq!(
            SemverRules::From2_7.matches(&r, &v),
            new,
            "2.7: {range} on {version}"
        );
        assert_eq!(r.matches(&v), new);
    }
}
