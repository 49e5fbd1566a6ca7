//! Exit codes and command-line behaviour that every command shares.

use crate::common::{assert_stdout, bin, run_in, testdata};

#[test]
fn demo_reports_drift_and_fix_diff_shows_it() {
    let demo = testdata().join("demo");
    let r = run_in(&demo, &["--root", ".", "check", "--color", "never"], "");
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("particule/helloworld → particule/helloworld:1.1.0"),
        "{}",
        r.stdout
    );
    let r = run_in(&demo, &["--root", ".", "fix", "--diff"], "");
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("+          image: particule/helloworld:1.1.0 # {\"$imagepolicy\": \"flux-system:helloworld\"}"), "{}", r.stdout);
}

#[test]
fn fix_commit_outside_a_git_repository_exits_2() {
    // A copy: in the crate's own checkout, `fix --commit` would commit to this repository.
    let tmp = tempfile::tempdir().unwrap();
    crate::common::copy_tree(&testdata().join("demo"), tmp.path());
    let inside_a_repo = std::process::Command::new("git")
        .args(["rev-parse", "--git-dir"])
        .current_dir(tmp.path())
        .output()
        .is_ok_and(|o| o.status.success());
    if inside_a_repo {
        return; // the temporary directory sits in a work tree: nothing to show here
    }
    let out = bin()
        .args(["fix", "--commit"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not inside a git work tree"));
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    assert_eq!(
        bin().arg("--bogus").output().unwrap().status.code(),
        Some(2)
    );
    assert_eq!(bin().arg("--help").output().unwrap().status.code(), Some(0));
    assert_eq!(
        bin().arg("--version").output().unwrap().status.code(),
        Some(0)
    );
}

#[test]
fn rule_table_and_docs() {
    let out = bin().arg("rule").output().unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("IL004  unknown-policy"), "{table}");
    let out = bin().args(["rule", "il022"]).output().unwrap();
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .starts_with("# out-of-date (IL022)"));
    let out = bin().args(["rule", "unknown-policy"]).output().unwrap();
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .starts_with("# unknown-policy (IL004)"));
    assert_eq!(
        bin().args(["rule", "nope"]).output().unwrap().status.code(),
        Some(2)
    );
}

/// Run with stdout closed before the first write, as `| head -1` that has already exited:
/// the exit code and stderr.
fn into_closed_pipe(args: &[&str]) -> (Option<i32>, String) {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = bin()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (child.wait().unwrap().code(), err)
}

#[test]
fn broken_pipe_is_quiet() {
    let (code, err) = into_closed_pipe(&["rule"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(err, "");
}

#[test]
fn refresh_option_values_are_checked_before_anything_runs() {
    let tmp = tempfile::tempdir().unwrap();
    for args in [
        &["--resolve", "registry.example.com:443"][..],
        &["--resolve", "registry.example.com:443:not-an-ip"],
        &["--resolve", "registry.example.com:0:127.0.0.1"],
        &["--jobs", "0"],
        &["--jobs=-1"],
        &["--jobs", "1000"],
        &["--per-host", "0"],
        &["--per-host", "x"],
    ] {
        let out = bin()
            .args(["--root", ".", "refresh"])
            .args(args)
            .current_dir(tmp.path())
            .env_clear()
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        let option = args[0].split('=').next().unwrap();
        assert!(stderr.contains(option), "{args:?}: {stderr}");
    }
}

#[test]
fn completions_are_generated_for_every_shell() {
    let out = bin().args(["completions", "bash"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let script = String::from_utf8(out.stdout).unwrap();
    assert!(script.contains("_imagelock()"), "{script}");
    for command in [
        "check", "fix", "refresh", "list", "explain", "try", "rule", "man",
    ] {
        assert!(script.contains(command), "{command} missing:\n{script}");
    }
    assert!(script.contains("--format"), "{script}");
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let out = bin().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        assert!(
            String::from_utf8(out.stdout).unwrap().contains("refresh"),
            "{shell}"
        );
    }
    let out = bin().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn man_pages_are_roff_naming_every_command() {
    let out = bin().arg("man").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.contains(".TH imagelock 1"), "{page}");
    for command in ["check", "fix", "refresh", "list", "explain", "try", "rule"] {
        assert!(
            page.contains(&format!("imagelock\\-{command}(1)")),
            "{command} missing:\n{page}"
        );
    }
    let out = bin().args(["man", "fix"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.contains(".TH imagelock-fix 1"), "{page}");
    assert!(page.contains("\\-\\-diff"), "{page}");
    let out = bin().args(["man", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`nope`"));
}

#[test]
fn completions_and_man_into_a_closed_pipe_exit_0() {
    for args in [&["completions", "bash"][..], &["man"]] {
        let (code, err) = into_closed_pipe(args);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        assert_eq!(err, "", "{args:?}");
    }
}

#[test]
fn a_path_that_does_not_exist_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    crate::common::copy_tree(&testdata().join("demo"), tmp.path());
    let before = crate::common::walk(tmp.path())
        .into_iter()
        .map(|p| (p.clone(), fs_err::read(&p).unwrap()))
        .collect::<Vec<_>>();
    for args in [
        &["check", "nope.yaml"][..],
        &["fix", "nope.yaml"],
        &["fix", "--diff", "apps", "nope.yaml"],
        &["check", "apps/helloworld/deployment.yaml/x"],
    ] {
        let r = run_in(
            tmp.path(),
            &[&["--root", ".", "--color", "never"], args].concat(),
            "",
        );
        assert_eq!(r.code, 2, "{args:?}: {}{}", r.stdout, r.stderr);
        let path = args.last().unwrap();
        assert!(
            r.stderr.contains(&format!("path `{path}` does not exist")),
            "{args:?}: {}",
            r.stderr
        );
        assert!(!r.stdout.contains("in sync"), "{args:?}: {}", r.stdout);
    }
    let after = crate::common::walk(tmp.path())
        .into_iter()
        .map(|p| (p.clone(), fs_err::read(&p).unwrap()))
        .collect::<Vec<_>>();
    assert_eq!(before, after, "a usage error changed files");
    // A directory, a file, and the root itself still select files.
    for path in ["apps", "apps/helloworld/deployment.yaml", "."] {
        let r = run_in(tmp.path(), &["--root", ".", "check", path], "");
        assert_eq!(r.code, 1, "{path}: {}{}", r.stdout, r.stderr);
    }
}

#[test]
fn fix_ends_with_what_it_rewrote() {
    let tmp = tempfile::tempdir().unwrap();
    crate::common::copy_tree(&testdata().join("demo"), tmp.path());
    let last = |r: &crate::common::Run| r.stdout.lines().last().unwrap_or("").to_owned();
    let r = run_in(tmp.path(), &["--root", ".", "fix", "--diff"], "");
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(last(&r), "1 value would be rewritten in 1 file");
    let r = run_in(tmp.path(), &["--root", ".", "fix"], "");
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("fixed apps/helloworld/deployment.yaml"),
        "{}",
        r.stderr
    );
    assert_eq!(last(&r), "1 value rewritten in 1 file");
    let r = run_in(tmp.path(), &["--root", ".", "fix"], "");
    assert_eq!(
        (r.code, last(&r).as_str()),
        (0, "all markers in sync, nothing found")
    );
}

#[test]
fn list_and_explain_refuse_the_finding_formats() {
    let demo = testdata().join("demo");
    for args in [
        &["list", "--format", "sarif"][..],
        &["list", "--format", "github"],
        &["explain", "flux-system:helloworld", "--format", "sarif"],
        &["explain", "flux-system:helloworld", "--format", "github"],
    ] {
        let r = run_in(&demo, &[&["--root", "."], args].concat(), "");
        assert_eq!(r.code, 2, "{args:?}: {}{}", r.stdout, r.stderr);
        assert_eq!(r.stdout, "", "{args:?}");
        assert!(
            r.stderr.contains("does not support `--format"),
            "{args:?}: {}",
            r.stderr
        );
    }
}

#[test]
fn list_says_why_a_policy_is_unresolved() {
    let tmp = tempfile::tempdir().unwrap();
    crate::common::copy_tree(&testdata().join("demo"), tmp.path());
    fs_err::remove_file(tmp.path().join("images.lock")).unwrap();
    let r = run_in(tmp.path(), &["--root", ".", "list"], "");
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_stdout(
        &r,
        "unresolved: no lockfile `images.lock` (run `imagelock refresh`)",
    );
    fs_err::write(
        tmp.path().join("images.lock"),
        "version: 1\nimages:\n  \"ghcr.io/other/image\":\n    tags: [\"1.0.0\"]\n",
    )
    .unwrap();
    let r = run_in(tmp.path(), &["--root", ".", "list"], "");
    assert_stdout(
        &r,
        "unresolved: its image is not locked (run `imagelock refresh`)",
    );
}

#[test]
fn the_flux_version_flag_overrides_the_file() {
    let dir = tempfile::tempdir().unwrap();
    crate::common::copy_tree(&testdata().join("cases/22-flux-versions/in"), dir.path());
    let check = |extra: &[&str]| {
        let mut args = vec![
            "--root", ".", "-v", "check", "--color", "never", "--format", "json",
        ];
        args.extend_from_slice(extra);
        run_in(dir.path(), &args, "")
    };
    // The file says 2.6: `v1` is not served yet, and `v1beta2` is fine.
    let file = check(&[]);
    assert!(file.stderr.contains("flux version: 2.6"), "{}", file.stderr);
    assert!(
        file.stdout.contains("served from Flux 2.7 on"),
        "{}",
        file.stdout
    );
    assert!(
        !file.stdout.contains("`image.toolkit.fluxcd.io/v1beta2`"),
        "{}",
        file.stdout
    );
    // The flag says 2.9: `v1` is served and `v1beta2` is removed.
    let flag = check(&["--flux-version", "v2.9.1"]);
    assert!(flag.stderr.contains("flux version: 2.9"), "{}", flag.stderr);
    assert!(
        !flag.stdout.contains("served from Flux 2.7 on"),
        "{}",
        flag.stdout
    );
    assert!(
        flag.stdout
            .contains("does not serve ImageRepository `image.toolkit.fluxcd.io/v1beta2`"),
        "{}",
        flag.stdout
    );
    // A value imagelock does not model is a usage error naming it.
    let bad = check(&["--flux-version", "1.9"]);
    assert_eq!(bad.code, 2, "{}{}", bad.stdout, bad.stderr);
    assert!(bad.stderr.contains("`1.9`"), "{}", bad.stderr);
}
