//! `imagelock adopt` over `testdata/adopt/<case>/`: `in/` is the repository, `adopt.diff` what
//! the dry run prints, `out/` every file `adopt --write` changes or creates. A second run must
//! find nothing to adopt.

use std::path::Path;

use crate::common::{assert_tree_after, case_dirs, read_tree, run_in, CaseRepo};

fn run_case(case: &Path) {
    let CaseRepo {
        name,
        tmp: _tmp,
        repo,
        before,
    } = CaseRepo::of(case);

    // The dry run: the diff alone with -q, then the whole report; nothing written.
    let diff = run_in(&repo, &["adopt", "-q"], "");
    assert_eq!(diff.code, 1, "{name}: {}", diff.stderr);
    let expected = fs_err::read_to_string(case.join("adopt.diff")).unwrap();
    assert!(
        diff.stdout == expected,
        "{name}: the diff differs:\n--- expected\n{expected}\n--- got\n{}",
        diff.stdout
    );
    let report = run_in(&repo, &["adopt", "--color", "never"], "");
    let json = run_in(&repo, &["adopt", "--format", "json"], "");
    insta::with_settings!({snapshot_suffix => name.clone(), prepend_module_to_snapshot => false, omit_expression => true}, {
        insta::assert_snapshot!("adopt", format!("exit: {}\n{}", report.code, report.stdout));
        insta::assert_snapshot!("adopt-json", json.stdout);
    });
    assert_eq!(read_tree(&repo), before, "{name}: the dry run wrote files");

    let write = run_in(&repo, &["adopt", "--write"], "");
    assert_eq!(write.code, 0, "{name}: {}{}", write.stdout, write.stderr);
    assert_tree_after(&name, "adopt --write", &repo, &before, &case.join("out"));
    let after = read_tree(&repo);

    // Twice is a no-op.
    let again = run_in(&repo, &["adopt", "--color", "never"], "");
    assert_eq!(again.code, 0, "{name}: {}", again.stdout);
    assert!(
        again.stdout.contains("nothing to adopt") && !again.stdout.contains("@@"),
        "{name}: a second adopt would change files:\n{}",
        again.stdout
    );
    assert_eq!(
        read_tree(&repo),
        after,
        "{name}: the second adopt wrote files"
    );
}

#[test]
fn adopt_fixtures() {
    for case in case_dirs("adopt", 5) {
        run_case(&case);
    }
}

/// A repository of one Deployment with a Flux v1 annotation, in a kustomization directory.
fn small_repo(dir: &Path) {
    let file = |rel: &str, text: &str| {
        let path = dir.join(rel);
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(path, text).unwrap();
    };
    file(
        "apps/web.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n    fluxcd.io/automated: \"true\"\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: ghcr.io/acme/web:1.4.2\n",
    );
    file(
        "apps/kustomization.yaml",
        "namespace: apps\nresources:\n  - web.yaml\n",
    );
    fs_err::create_dir_all(dir.join("flux")).unwrap();
}

#[test]
fn adopt_options() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    small_repo(repo);

    // --semver-range patch, and a kustomization's namespace wins over --namespace.
    let patch = run_in(repo, &["adopt", "-q", "--semver-range", "patch"], "");
    assert_eq!(patch.code, 1, "{}", patch.stderr);
    assert!(
        patch.stdout.contains("range: '>=1.4.2 <1.5.0'"),
        "{}",
        patch.stdout
    );
    assert!(
        patch.stdout.contains("\"$imagepolicy\": \"apps:web\""),
        "{}",
        patch.stdout
    );
    assert!(
        patch.stdout.contains("+  - web-image.yaml"),
        "{}",
        patch.stdout
    );
    let major = run_in(repo, &["adopt", "-q", "--semver-range", "major"], "");
    assert!(
        major.stdout.contains("range: '>=1.4.2'\n"),
        "{}",
        major.stdout
    );

    // --into: one file elsewhere, in --namespace; --keep-v1-annotations keeps them.
    let into = run_in(
        repo,
        &[
            "adopt",
            "--write",
            "--into",
            "flux/images.yaml",
            "--namespace",
            "images",
            "--keep-v1-annotations",
        ],
        "",
    );
    assert_eq!(into.code, 0, "{}{}", into.stdout, into.stderr);
    let objects = fs_err::read_to_string(repo.join("flux/images.yaml")).unwrap();
    assert!(objects.contains("kind: ImagePolicy\nmetadata:\n  name: web\n  namespace: images\n"));
    let web = fs_err::read_to_string(repo.join("apps/web.yaml")).unwrap();
    assert!(web.contains("fluxcd.io/automated"), "{web}");
    assert!(web.contains("image: ghcr.io/acme/web:1.4.2 # {\"$imagepolicy\": \"images:web\"}\n"));
    let again = run_in(repo, &["adopt", "--keep-v1-annotations"], "");
    assert_eq!(again.code, 0, "{}", again.stdout);
    // Without the flag, the next run removes the annotations it converted before.
    let remove = run_in(repo, &["adopt", "-q"], "");
    assert_eq!(remove.code, 1);
    assert!(
        remove
            .stdout
            .contains("-  annotations:\n-    fluxcd.io/automated: \"true\"\n"),
        "{}",
        remove.stdout
    );
}

#[test]
fn adopt_usage_errors_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    small_repo(&repo);
    let before = read_tree(&repo);
    for args in [
        &["adopt", "--namespace", "Not_A_Namespace"][..],
        &["adopt", "--into", "../outside.yaml"],
        &["adopt", "--into", "flux/images.json"],
        &["adopt", "--semver-range", "huge"],
        &["adopt", "no/such/path"],
    ] {
        let run = run_in(&repo, args, "");
        assert_eq!(run.code, 2, "{args:?}: {}{}", run.stdout, run.stderr);
        assert!(!run.stderr.is_empty(), "{args:?}: no message");
    }
    assert_eq!(read_tree(&repo), before);
}

#[test]
fn adopt_keeps_crlf_and_every_other_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    let text = "\u{feff}# deploy\r\napiVersion: apps/v1\r\nkind: Deployment\r\nmetadata:\r\n  name: web\r\n  annotations:\r\n    fluxcd.io/automated: \"true\"\r\n    keep: me\r\nspec:\r\n  template:\r\n    spec:\r\n      containers:\r\n        - name: web\r\n          image:   'ghcr.io/acme/web:1.4.2'\t\r\n        - name: sidecar\r\n          image: ghcr.io/acme/sidecar:2.0.0";
    fs_err::write(repo.join("web.yaml"), text).unwrap();
    fs_err::write(
        repo.join("kustomization.yaml"),
        "resources:\r\n  - web.yaml",
    )
    .unwrap();
    let run = run_in(repo, &["adopt", "--write"], "");
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let after = fs_err::read_to_string(repo.join("web.yaml")).unwrap();
    let expected = text
        .replace("    fluxcd.io/automated: \"true\"\r\n", "")
        .replace(
            "'ghcr.io/acme/web:1.4.2'",
            "'ghcr.io/acme/web:1.4.2' # {\"$imagepolicy\": \"flux-system:web\"}",
        )
        .replace(
            "sidecar:2.0.0",
            "sidecar:2.0.0 # {\"$imagepolicy\": \"flux-system:sidecar\"}",
        );
    assert_eq!(after, expected);
    let kustomization = fs_err::read_to_string(repo.join("kustomization.yaml")).unwrap();
    assert_eq!(
        kustomization,
        "resources:\r\n  - web.yaml\r\n  - sidecar-image.yaml\r\n  - web-image.yaml"
    );
}
