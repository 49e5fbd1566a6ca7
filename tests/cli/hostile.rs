//! Hostile input: each case gets a clear diagnostic, a documented exit code, and no change on disk.

use std::path::Path;

use crate::common::{copy_tree, run_in, testdata, walk};

fn snapshot_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    walk(dir)
        .into_iter()
        .filter(|p| !p.components().any(|c| c.as_os_str() == ".git"))
        .map(|p| {
            (
                p.display().to_string(),
                fs_err::read(&p).unwrap_or_default(),
            )
        })
        .collect()
}

/// A repository with the podinfo declarations and lock, plus `files`.
fn repo(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&testdata().join("cases/13-in-sync/in"), tmp.path());
    for (name, bytes) in files {
        let path = tmp.path().join(name);
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(path, bytes).unwrap();
    }
    tmp
}

const MARKER: &str = r#"# {"$imagepolicy": "flux-system:podinfo"}"#;

#[test]
fn unparsable_files_are_named_with_line_and_column_and_left_alone() {
    let binary: Vec<u8> = (0..=255u8)
        .cycle()
        .take(4096)
        .chain(format!("\n{MARKER}\n").into_bytes())
        .collect();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "invalid.yaml",
            format!("a: [b\nimage: x {MARKER}\n").into_bytes(),
            "invalid.yaml:",
        ),
        (
            "tabs.yaml",
            format!("spec:\n\timage: x {MARKER}\n").into_bytes(),
            "tabs.yaml:2:",
        ),
        (
            "latin1.yaml",
            [b"name: caf\xe9\nimage: x ".as_slice(), MARKER.as_bytes()].concat(),
            "latin1.yaml:1:",
        ),
        ("binary.yaml", binary, "binary.yaml:3:"),
        (
            "directive.yaml",
            format!("%YAML 1.2\n---\nimage: x {MARKER}\n").into_bytes(),
            "directive.yaml:1:1",
        ),
        (
            "deep.yaml",
            format!("a: {}{} {MARKER}\n", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
            "deep.yaml:1:",
        ),
    ];
    for (name, bytes, location) in cases {
        let tmp = repo(&[(name, &bytes)]);
        let before = snapshot_tree(tmp.path());
        let check = run_in(tmp.path(), &["check", "--color", "never"], "");
        assert_eq!(check.code, 1, "{name}: {}{}", check.stdout, check.stderr);
        assert!(check.stdout.contains("IL017"), "{name}: {}", check.stdout);
        assert!(
            check.stdout.contains(location),
            "{name}: no {location} in {}",
            check.stdout
        );
        let fix = run_in(tmp.path(), &["fix", "--color", "never"], "");
        assert_eq!(fix.code, 1, "{name}: {}", fix.stderr);
        assert_eq!(snapshot_tree(tmp.path()), before, "{name}: files changed");
    }
}

#[test]
fn alias_bombs_duplicate_keys_and_shadowed_markers_do_not_hurt() {
    let mut bomb = String::from("x0: &a0 [1, 2]\n");
    for i in 1..20 {
        let refs = vec![format!("*a{}", i - 1); 9].join(", ");
        bomb.push_str(&format!("x{i}: &a{i} [{refs}]\n"));
    }
    bomb.push_str(&format!(
        "image: ghcr.io/stefanprodan/podinfo:6.5.1 {MARKER}\n"
    ));
    let dup = format!("a: 1\na: 2\nimage: ghcr.io/stefanprodan/podinfo:6.5.1 {MARKER}\n");
    let shadow = format!("list:\n  {MARKER}\n  - ghcr.io/stefanprodan/podinfo:6.5.1 {MARKER}\n");
    let tmp = repo(&[
        ("bomb.yaml", bomb.as_bytes()),
        ("dup.yaml", dup.as_bytes()),
        ("shadow.yaml", shadow.as_bytes()),
    ]);
    let check = run_in(tmp.path(), &["check", "--format", "json"], "");
    // Only the shadowed head comment is a finding: Flux reads the line comment instead.
    let codes: Vec<&str> = check
        .stdout
        .lines()
        .map(|l| {
            if l.contains("IL008") {
                "IL008"
            } else {
                "other"
            }
        })
        .collect();
    assert_eq!(codes, ["IL008"], "{}", check.stdout);
    assert_eq!(check.code, 1);
}

#[test]
fn bad_lockfiles_exit_2_naming_the_place() {
    for (lock, expect) in [
        (
            "version: 1\nimages:\n  \"ghcr.io/stefanprodan/podinfo\":\n    tags:\n      - \"6.5",
            "images.lock:",
        ),
        ("version: 9\nimages: {}\n", "version 9 is not supported"),
        ("version: 1\nimages: [1, 2]\n", "images.lock:2:"),
        ("\u{0}\u{1}garbage", "images.lock"),
    ] {
        let tmp = repo(&[("images.lock", lock.as_bytes())]);
        let before = snapshot_tree(tmp.path());
        for cmd in ["check", "fix"] {
            let r = run_in(tmp.path(), &[cmd, "--color", "never"], "");
            assert_eq!(r.code, 2, "{lock:?}: {}{}", r.stdout, r.stderr);
            assert!(
                r.stderr.contains(expect),
                "{lock:?}: no {expect:?} in {}",
                r.stderr
            );
        }
        assert_eq!(snapshot_tree(tmp.path()), before);
    }
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_repository_and_read_only_files_are_not_written() {
    use std::os::unix::fs::PermissionsExt as _;
    let outside = tempfile::tempdir().unwrap();
    let stale = format!("image: ghcr.io/stefanprodan/podinfo:6.4.0 {MARKER}\n");
    fs_err::write(outside.path().join("app.yaml"), &stale).unwrap();
    let tmp = repo(&[
        ("readonly.yaml", stale.as_bytes()),
        ("inside.yaml", stale.as_bytes()),
    ]);
    std::os::unix::fs::symlink(
        outside.path().join("app.yaml"),
        tmp.path().join("link.yaml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        tmp.path().join("inside.yaml"),
        tmp.path().join("inner-link.yaml"),
    )
    .unwrap();
    let ro = tmp.path().join("readonly.yaml");
    fs_err::set_permissions(&ro, std::fs::Permissions::from_mode(0o444)).unwrap();

    let r = run_in(tmp.path(), &["fix", "--color", "never"], "");
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("link.yaml: not fixed"), "{}", r.stderr);
    assert!(r.stderr.contains("outside the repository"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("readonly.yaml: not fixed: it is read-only"),
        "{}",
        r.stderr
    );
    assert_eq!(
        fs_err::read_to_string(outside.path().join("app.yaml")).unwrap(),
        stale
    );
    assert_eq!(fs_err::read_to_string(&ro).unwrap(), stale);
    // A link inside the repository is written through, and stays a link.
    assert!(fs_err::read_to_string(tmp.path().join("inside.yaml"))
        .unwrap()
        .contains("6.5.1"));
    assert!(fs_err::symlink_metadata(tmp.path().join("inner-link.yaml"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn a_100_mb_file_is_reported_not_parsed_and_one_without_markers_is_skipped() {
    // 100 MB of comments, then a stale marker: too large to parse, so reported, never rewritten.
    let pad = "# padding padding padding padding padding padding padding padding padding\n";
    let mut big = pad.repeat(100_000_000 / pad.len());
    let plain = big.clone();
    big.push_str(&format!(
        "image: ghcr.io/stefanprodan/podinfo:6.4.0 {MARKER}\n"
    ));
    let tmp = repo(&[
        ("big.yaml", big.as_bytes()),
        ("plain.yaml", plain.as_bytes()),
    ]);
    drop((big, plain));
    let stamp = |name: &str| {
        let meta = fs_err::metadata(tmp.path().join(name)).unwrap();
        (meta.len(), meta.modified().unwrap())
    };
    let before = [stamp("big.yaml"), stamp("plain.yaml")];

    let check = run_in(tmp.path(), &["check", "--color", "never"], "");
    assert_eq!(check.code, 1, "{}{}", check.stdout, check.stderr);
    assert!(check.stdout.contains("big.yaml:1:1"), "{}", check.stdout);
    assert!(check.stdout.contains("IL017"), "{}", check.stdout);
    assert!(check.stdout.contains("95.4 MiB"), "{}", check.stdout);
    assert!(!check.stdout.contains("plain.yaml"), "{}", check.stdout);

    let fix = run_in(tmp.path(), &["fix", "--color", "never"], "");
    assert_eq!(fix.code, 1, "{}{}", fix.stdout, fix.stderr);
    assert_eq!([stamp("big.yaml"), stamp("plain.yaml")], before);
    let strays: Vec<_> = walk(tmp.path())
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".imagelock.tmp"))
        .collect();
    assert!(strays.is_empty(), "{strays:?}");
}
