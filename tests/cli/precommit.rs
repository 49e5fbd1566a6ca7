//! The hooks of `.pre-commit-hooks.yaml` under the real pre-commit framework.
//!
//! A snapshot of this crate (its tracked and untracked-not-ignored files) is committed into
//! `target/precommit-src/<revision>`; temporary repositories take their hooks from it by path
//! and revision, and pre-commit installs them as it does for users, running
//! `cargo install --bins --root <env> --path .` in the snapshot. That `cargo` is a shim
//! (`target/precommit-cargo/cargo`, first on pre-commit's PATH): it checks that pre-commit asked
//! for exactly that, that the snapshot's manifest and `Cargo.lock` agree
//! (`cargo metadata --locked --offline`), and installs the imagelock that `cargo test` built
//! from these same files instead of compiling it a second time; every other cargo command goes
//! to the real cargo. The scenarios share one `PRE_COMMIT_HOME` (`target/precommit-home`).
//!
//! pre-commit comes from `IMAGELOCK_PRE_COMMIT` or `target/precommit-venv/bin/pre-commit`, which
//! `scripts/test.sh` installs from PyPI. Without it the tests are skipped, except under CI
//! (`CI` set), where they fail.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

use crate::common::Run;

struct Setup {
    pre_commit: PathBuf,
    home: PathBuf,
    /// Directories before the system's PATH: the `cargo` shim's.
    path: std::ffi::OsString,
    hooks_repo: PathBuf,
    rev: String,
    git_config: PathBuf,
}

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn target_dir() -> PathBuf {
    crate_dir().join("target")
}

fn find_pre_commit() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("IMAGELOCK_PRE_COMMIT") {
        return Some(PathBuf::from(p));
    }
    let venv = target_dir().join("precommit-venv/bin/pre-commit");
    venv.is_file().then_some(venv)
}

/// Shared by the scenarios: the snapshot, and pre-commit's environment built once.
#[allow(clippy::print_stderr)] // a skip and the build time are worth seeing in the test log
fn setup() -> Option<&'static Setup> {
    static SETUP: OnceLock<Option<Setup>> = OnceLock::new();
    SETUP
        .get_or_init(|| {
            let Some(pre_commit) = find_pre_commit() else {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "pre-commit not found: set IMAGELOCK_PRE_COMMIT or run scripts/test.sh, which installs it into target/precommit-venv"
                );
                eprintln!("SKIPPED: pre-commit not installed (run scripts/test.sh to install it)");
                return None;
            };
            let target = target_dir();
            fs_err::create_dir_all(&target).unwrap();
            let git_config = target.join("precommit-gitconfig");
            fs_err::write(&git_config, "").unwrap();
            let (hooks_repo, rev) = snapshot(&target.join("precommit-src"), &git_config);
            let shim = cargo_shim(&target.join("precommit-cargo"));
            let setup = Setup {
                pre_commit,
                home: target.join("precommit-home"),
                path: std::env::join_paths(
                    std::iter::once(shim).chain(std::env::split_paths(
                        &std::env::var_os("PATH").unwrap_or_default(),
                    )),
                )
                .unwrap(),
                hooks_repo,
                rev,
                git_config,
            };
            // Forget environments of snapshots that are gone, then install this one's, once.
            let _ = setup.pre_commit(&target, &["gc"]);
            let user = user_repo(&setup, &["imagelock-check", "imagelock-fix"]);
            let started = Instant::now();
            let run = setup.pre_commit(user.path(), &["install-hooks"]);
            assert_eq!(run.code, 0, "pre-commit install-hooks failed:\n{}{}", run.stdout, run.stderr);
            eprintln!(
                "pre-commit install-hooks (the cargo shim): {:.0?}",
                started.elapsed()
            );
            Some(setup)
        })
        .as_ref()
}

impl Setup {
    fn command(&self, program: &Path, dir: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(dir)
            .env("PRE_COMMIT_HOME", &self.home)
            .env("PRE_COMMIT_COLOR", "never")
            .env("PATH", &self.path)
            .env("IMAGELOCK_TEST_REAL_CARGO", real_cargo())
            .env("IMAGELOCK_TEST_BIN", env!("CARGO_BIN_EXE_imagelock"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", &self.git_config)
            .env("NO_COLOR", "1")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE");
        cmd
    }

    fn pre_commit(&self, dir: &Path, args: &[&str]) -> Run {
        self.command(&self.pre_commit, dir)
            .args(args)
            .output()
            .expect("run pre-commit")
            .into()
    }

    fn git(&self, dir: &Path, args: &[&str]) -> Run {
        self.command(Path::new("git"), dir)
            .args(args)
            .output()
            .expect("run git")
            .into()
    }

    fn git_ok(&self, dir: &Path, args: &[&str]) -> Run {
        let run = self.git(dir, args);
        assert_eq!(run.code, 0, "git {args:?}: {}{}", run.stdout, run.stderr);
        run
    }
}

/// The cargo that runs the tests (cargo sets `CARGO` for them and for the build).
fn real_cargo() -> PathBuf {
    std::env::var_os("CARGO").map_or_else(|| PathBuf::from(env!("CARGO")), PathBuf::from)
}

/// What pre-commit's `language: rust` runs to install a hook repository, checked, with the
/// imagelock already built put in place of a second build (see the module's documentation).
const CARGO_SHIM: &str = r#"#!/bin/sh
# cargo for pre-commit in imagelock's hook tests (tests/cli/precommit.rs).
if [ "$1" = install ]; then
    if [ "$#" -ne 6 ] || [ "$2" != --bins ] || [ "$3" != --root ] || [ "$5" != --path ] || [ "$6" != . ]; then
        echo "cargo shim: pre-commit ran an unexpected command: cargo $*" >&2
        exit 2
    fi
    "$IMAGELOCK_TEST_REAL_CARGO" metadata --locked --offline --format-version 1 >/dev/null || exit 1
    mkdir -p "$4/bin" && cp "$IMAGELOCK_TEST_BIN" "$4/bin/imagelock"
    exit
fi
exec "$IMAGELOCK_TEST_REAL_CARGO" "$@"
"#;

/// `<dir>/cargo`, the shim; returns `dir`. Written aside and renamed, as test runs may overlap.
fn cargo_shim(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    fs_err::create_dir_all(dir).unwrap();
    let tmp = tempfile::NamedTempFile::new_in(dir).unwrap();
    fs_err::write(tmp.path(), CARGO_SHIM).unwrap();
    fs_err::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    tmp.persist(dir.join("cargo")).unwrap();
    dir.to_path_buf()
}

/// Commit this crate's files into a repository `<root>/<revision>`; the revision depends on the
/// content only (fixed dates), so an unchanged crate gets the same path and revision, and
/// pre-commit its cached environment. The repository is built aside and renamed into place, so
/// two test runs at once never see each other's half-made snapshot.
fn snapshot(root: &Path, git_config: &Path) -> (PathBuf, String) {
    fs_err::create_dir_all(root).unwrap();
    let staging = tempfile::Builder::new()
        .prefix(".staging-")
        .tempdir_in(root)
        .unwrap();
    let dir = staging.path();
    for rel in crate_files() {
        let from = crate_dir().join(&rel);
        if !from.is_file() {
            continue; // deleted in the work tree
        }
        let to = dir.join(&rel);
        fs_err::create_dir_all(to.parent().unwrap()).unwrap();
        fs_err::copy(&from, &to).unwrap();
    }
    let git = |args: &[&str]| crate::common::git_at(dir, git_config, "2000-01-01T00:00:00Z", args);
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "-A"]);
    git(&[
        "commit",
        "-q",
        "--no-verify",
        "-m",
        "imagelock snapshot for the pre-commit tests",
    ]);
    let rev = git(&["rev-parse", "HEAD"]);
    let dest = root.join(&rev[..12]);
    if !dest.exists() {
        // Losing a race to an identical snapshot is fine: it is the same content.
        if let Err(e) = fs_err::rename(dir, &dest) {
            assert!(dest.exists(), "cannot move the snapshot into place: {e}");
        }
    }
    prune_old_snapshots(root, &dest);
    (dest, rev)
}

/// Snapshots of earlier versions, untouched for a day, are dropped (their pre-commit
/// environments go with `pre-commit gc`).
fn prune_old_snapshots(root: &Path, keep: &Path) {
    let day = std::time::Duration::from_secs(24 * 3600);
    let Ok(entries) = fs_err::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > day);
        if path != keep && old {
            let _ = fs_err::remove_dir_all(&path);
        }
    }
}

/// The crate's files as git sees them (tracked, and untracked but not ignored), else every file
/// outside `.git/`; never build output (top-level directories named `target…`).
fn crate_files() -> Vec<PathBuf> {
    let build_output = |p: &Path| {
        p.components().next().is_some_and(|c| {
            let c = c.as_os_str().to_string_lossy();
            c.starts_with("target") || c == ".git"
        })
    };
    let mut files = listed_files();
    files.retain(|p| !build_output(p));
    files
}

fn listed_files() -> Vec<PathBuf> {
    let out = Command::new("git")
        .current_dir(crate_dir())
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
            "--",
            ".",
        ])
        .output();
    if let Ok(out) = out {
        if out.status.success() {
            let mut files: Vec<PathBuf> = out
                .stdout
                .split(|&b| b == 0)
                .filter(|p| !p.is_empty())
                .map(|p| PathBuf::from(String::from_utf8_lossy(p).into_owned()))
                .collect();
            files.sort();
            files.dedup();
            return files;
        }
    }
    crate::common::walk(crate_dir())
        .into_iter()
        .filter_map(|p| p.strip_prefix(crate_dir()).ok().map(Path::to_path_buf))
        .collect()
}

const LOCK: &str = r#"# This file is @generated by imagelock. Do not edit it by hand:
# run `imagelock refresh` to update it.
version: 1
images:
  "index.docker.io/particule/helloworld":
    tags:
      - "1.0.0"
      - "1.1.0"
      - "2.0.0"
"#;

const FLUX: &str = r#"apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: helloworld
  namespace: flux-system
spec:
  image: particule/helloworld
  interval: 1m
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: helloworld
  namespace: flux-system
spec:
  imageRepositoryRef:
    name: helloworld
  policy:
    semver:
      range: '>= 1.0.0 <2.0.0'
"#;

const DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: helloworld
  namespace: default
spec:
  replicas: 1
  template:
    spec:
      containers:
        - name: helloworld
          image: particule/helloworld:1.1.0 # {"$imagepolicy": "flux-system:helloworld"}
"#;

/// A repository in sync, committed without hooks, then with pre-commit's hook installed.
fn user_repo(setup: &Setup, hooks: &[&str]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let config = format!(
        "repos:\n  - repo: {}\n    rev: {}\n    hooks:\n{}",
        setup.hooks_repo.display(),
        setup.rev,
        hooks
            .iter()
            .map(|h| format!("      - id: {h}\n"))
            .collect::<String>()
    );
    for (path, text) in [
        (".pre-commit-config.yaml", config.as_str()),
        ("images.lock", LOCK),
        ("clusters/flux.yaml", FLUX),
        ("apps/deployment.yaml", DEPLOYMENT),
    ] {
        let path = dir.join(path);
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(path, text).unwrap();
    }
    setup.git_ok(dir, &["init", "-q", "-b", "main"]);
    setup.git_ok(dir, &["config", "user.name", "Dev"]);
    setup.git_ok(dir, &["config", "user.email", "dev@example.com"]);
    setup.git_ok(dir, &["add", "-A"]);
    setup.git_ok(dir, &["commit", "-q", "-m", "initial"]);
    tmp
}

/// A user repository with the hooks installed into `.git/hooks`.
fn hooked_repo(setup: &Setup, hooks: &[&str]) -> tempfile::TempDir {
    let tmp = user_repo(setup, hooks);
    let run = setup.pre_commit(tmp.path(), &["install"]);
    assert_eq!(
        run.code, 0,
        "pre-commit install: {}{}",
        run.stdout, run.stderr
    );
    tmp
}

/// Stage `text` as `path` and try to commit it; the hooks run.
fn try_commit(setup: &Setup, dir: &Path, path: &str, text: &str) -> Run {
    fs_err::write(dir.join(path), text).unwrap();
    setup.git_ok(dir, &["add", path]);
    setup.git(dir, &["commit", "-m", "change"])
}

fn head(setup: &Setup, dir: &Path) -> String {
    setup.git_ok(dir, &["rev-parse", "HEAD"]).stdout
}

fn output(run: &Run) -> String {
    format!("{}{}", run.stdout, run.stderr)
}

#[test]
fn precommit_refuses_a_commit_with_an_unknown_policy_and_shows_the_diagnostic() {
    let Some(setup) = setup() else { return };
    let repo = hooked_repo(setup, &["imagelock-check"]);
    let dir = repo.path();
    let before = head(setup, dir);
    let typo = DEPLOYMENT.replace("flux-system:helloworld\"", "flux-system:helloworlds\"");
    let run = try_commit(setup, dir, "apps/deployment.yaml", &typo);
    let out = output(&run);
    assert_ne!(run.code, 0, "the commit went through:\n{out}");
    assert!(
        out.contains("imagelock check") && out.contains("Failed"),
        "{out}"
    );
    assert!(out.contains("- hook id: imagelock-check"), "{out}");
    assert!(
        out.contains("no ImagePolicy `flux-system:helloworlds` is declared"),
        "{out}"
    );
    assert!(
        out.contains("did you mean `flux-system:helloworld`"),
        "{out}"
    );
    assert!(out.contains("apps/deployment.yaml"), "{out}");
    assert_eq!(head(setup, dir), before, "no commit was made");
    assert_eq!(
        fs_err::read_to_string(dir.join("apps/deployment.yaml")).unwrap(),
        typo
    );
}

#[test]
fn precommit_fix_refuses_an_out_of_date_commit_after_fixing_the_file() {
    let Some(setup) = setup() else { return };
    let repo = hooked_repo(setup, &["imagelock-fix"]);
    let dir = repo.path();
    let before = head(setup, dir);
    // Scaled up, and the image set back to an older tag by hand.
    let scaled = DEPLOYMENT.replace("replicas: 1", "replicas: 2");
    let old = scaled.replace("helloworld:1.1.0", "helloworld:1.0.0");
    let run = try_commit(setup, dir, "apps/deployment.yaml", &old);
    let out = output(&run);
    assert_ne!(run.code, 0, "the commit went through:\n{out}");
    assert!(
        out.contains("imagelock fix") && out.contains("Failed"),
        "{out}"
    );
    assert!(out.contains("- hook id: imagelock-fix"), "{out}");
    assert!(out.contains("- files were modified by this hook"), "{out}");
    assert!(out.contains("fixed apps/deployment.yaml"), "{out}");
    assert_eq!(head(setup, dir), before, "no commit was made");
    // The hook put the locked value back and changed nothing else.
    assert_eq!(
        fs_err::read_to_string(dir.join("apps/deployment.yaml")).unwrap(),
        scaled
    );

    // Staging the fixed file makes the same commit pass.
    setup.git_ok(dir, &["add", "apps/deployment.yaml"]);
    let run = setup.git(dir, &["commit", "-m", "scale up"]);
    let out = output(&run);
    assert_eq!(run.code, 0, "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("imagelock fix") && l.ends_with("Passed")),
        "{out}"
    );
    assert_ne!(head(setup, dir), before);
}

#[test]
fn precommit_passes_a_clean_commit() {
    let Some(setup) = setup() else { return };
    let repo = hooked_repo(setup, &["imagelock-check", "imagelock-fix"]);
    let dir = repo.path();
    let before = head(setup, dir);
    let scaled = DEPLOYMENT.replace("replicas: 1", "replicas: 3");
    let run = try_commit(setup, dir, "apps/deployment.yaml", &scaled);
    let out = output(&run);
    assert_eq!(run.code, 0, "the commit was refused:\n{out}");
    let passed = out
        .lines()
        .filter(|l| l.starts_with("imagelock ") && l.ends_with("Passed"))
        .count();
    assert_eq!(passed, 2, "{out}");
    assert_ne!(head(setup, dir), before);
    assert_eq!(setup.git_ok(dir, &["status", "--porcelain"]).stdout, "");
}
