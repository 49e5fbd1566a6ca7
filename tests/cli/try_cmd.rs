//! `imagelock try` from the built binary.

use crate::common::run_in;

fn try_tags(args: &[&str], stdin: &str) -> crate::common::Run {
    let mut full = vec!["try"];
    full.extend_from_slice(args);
    run_in(std::env::temp_dir().as_path(), &full, stdin)
}

#[test]
fn prints_the_chosen_tag_alone() {
    let r = try_tags(&["--semver", ">= 1.0.0 <2.0.0"], "1.0.0\n\n2.0.0\n1.1.0\n");
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (0, "1.1.0\n", "")
    );
}

#[test]
fn result_does_not_depend_on_line_order() {
    let tags = ["v1.0.0", "1.0.0", "1.0.0+b", "1.0.0+a", "0.9.0"];
    let mut outputs = std::collections::BTreeSet::new();
    for rotation in 0..tags.len() {
        let mut t = tags.to_vec();
        t.rotate_left(rotation);
        let input = t.join("\n");
        outputs.insert(try_tags(&["--semver", "*"], &input).stdout);
        t.reverse();
        outputs.insert(try_tags(&["--semver", "*"], &t.join("\r\n")).stdout);
    }
    assert_eq!(outputs.into_iter().collect::<Vec<_>>(), ["v1.0.0\n"]);
}

#[test]
fn tags_are_read_as_the_target_flux_release_reads_them() {
    // flux-semantics.md §3.3 row 39: calendar tags with leading zeros are versions from
    // Flux 2.7 on; Flux 2.6 skips them, so 2024.12.31 wins there.
    let tags = "2025.01.10\n2025.1.9\n2024.12.31\n";
    let newest = try_tags(&["--semver", "*"], tags);
    assert_eq!((newest.code, newest.stdout.as_str()), (0, "2025.01.10\n"));
    let old = try_tags(&["--semver", "*", "--flux-version", "2.6"], tags);
    assert_eq!((old.code, old.stdout.as_str()), (0, "2025.1.9\n"));
    let none = try_tags(
        &["--semver", "^1.0", "--flux-version", "2.6"],
        "1.2-rc.1\n01.2.3\n",
    );
    assert_eq!(none.code, 1, "{}", none.stderr);
    let bad = try_tags(&["--semver", "*", "--flux-version", "1.9"], "1.0.0\n");
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("`1.9`"), "{}", bad.stderr);
}

#[test]
fn patterns_are_compiled_by_the_go_of_the_target_flux_release() {
    // Go 1.25 (Flux 2.7 on) matches class names loosely; Go 1.24 (Flux 2.6) knows `Greek` only.
    let greek = ["--alphabetical", "asc", "--filter-pattern", r"^\p{greek}+$"];
    let new = try_tags(&greek, "αβ\nab\n");
    assert_eq!(
        (new.code, new.stdout.as_str()),
        (0, "αβ\n"),
        "{}",
        new.stderr
    );
    let old = try_tags(&[&greek[..], &["--flux-version", "2.6"]].concat(), "αβ\n");
    assert_eq!(old.code, 2);
    assert!(
        old.stderr.contains("invalid character class range"),
        "{}",
        old.stderr
    );
    // `(?<name>` is Go 1.22's: Flux 2.2 (Go 1.21) rejects it.
    let named = [
        "--numerical",
        "asc",
        "--filter-pattern",
        r"^b-(?<n>\d+)$",
        "--extract",
        "$n",
    ];
    assert_eq!(try_tags(&named, "b-1\nb-2\n").stdout, "b-2\n");
    let old = try_tags(&[&named[..], &["--flux-version", "2.2"]].concat(), "b-1\n");
    assert_eq!(old.code, 2);
    assert!(
        old.stderr.contains("invalid or unsupported Perl syntax"),
        "{}",
        old.stderr
    );
}

#[test]
fn filters_extracts_and_excludes() {
    let r = try_tags(
        &[
            "--numerical",
            "asc",
            "--filter-pattern",
            r"^build-(?P<ts>\d+)$",
            "--extract",
            "$ts",
        ],
        "build-1606234201\nbuild-1606364286\nlatest\n",
    );
    assert_eq!(r.stdout, "build-1606364286\n");
    let r = try_tags(&["--alphabetical", "asc"], "a\nz.sig\n");
    assert_eq!(r.stdout, "a\n", "the default exclusion drops signatures");
    let r = try_tags(
        &["--alphabetical", "asc", "--exclude", "^z"],
        "a\nz\ny.sig\n",
    );
    assert_eq!(r.stdout, "y.sig\n", "an explicit list replaces the default");
}

#[test]
fn no_tag_is_a_one_line_reason_and_exit_1() {
    let r = try_tags(&["--semver", "^3"], "1.0.0\n2.0.0\n");
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("unable to determine latest version"),
        "{}",
        r.stderr
    );
    let r = try_tags(&["--numerical", "asc"], "1\n2\nlatest\n");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("'latest'"), "{}", r.stderr);
}

#[test]
fn invalid_range_points_into_the_argument_with_exit_2() {
    let r = try_tags(
        &["--semver", ">= 1.0 <2.0 || > = 3", "--color", "never"],
        "1.0.0\n",
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--semver"), "{}", r.stderr);
    assert!(
        r.stderr.contains("> = 3") || r.stderr.contains('^'),
        "{}",
        r.stderr
    );
    let r = try_tags(
        &[
            "--alphabetical",
            "asc",
            "--filter-pattern",
            "^(a",
            "--color",
            "never",
        ],
        "a\n",
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--filter-pattern"), "{}", r.stderr);
}

#[test]
fn exactly_one_policy_kind() {
    assert_eq!(try_tags(&[], "1\n").code, 2);
    assert_eq!(
        try_tags(&["--semver", "*", "--numerical", "asc"], "1\n").code,
        2
    );
    assert_eq!(
        try_tags(&["--extract", "$1", "--semver", "*"], "1\n").code,
        2
    );
}
