//! `imagelock refresh` against registries on 127.0.0.1 only: the real `docker-registry`
//! (`real.rs`) and a fault-injecting server of our own (`faults.rs`). Every imagelock run gets
//! an empty environment (HOME, PATH and proxies included), so no user credential, proxy or
//! other host is ever involved.

mod adopt;
mod backfill;
mod cooldown;
mod distribution;
mod faults;
mod first_seen;
mod hostile;
mod interrupt;
mod real;
mod server;

use std::path::{Path, PathBuf};
use std::process::Stdio;

use base64::Engine as _;

pub use crate::common::assert_stderr;
use crate::common::{bin, Run};

/// A repository, a home directory and a directory of fake credential helpers.
pub struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for d in ["repo", "home", "bin"] {
            fs_err::create_dir_all(dir.path().join(d)).unwrap();
        }
        Self { dir }
    }

    /// A sandbox whose repository holds these Flux objects.
    pub fn with_flux(docs: &[String]) -> Self {
        let sandbox = Self::new();
        sandbox.flux(docs);
        sandbox
    }

    pub fn repo(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub fn lock_path(&self) -> PathBuf {
        self.repo().join("images.lock")
    }

    pub fn lock(&self) -> String {
        fs_err::read_to_string(self.lock_path()).unwrap_or_default()
    }

    pub fn write_lock(&self, text: &str) {
        fs_err::write(self.lock_path(), text).unwrap();
    }

    /// The Flux objects of the repository.
    pub fn flux(&self, docs: &[String]) {
        fs_err::write(self.repo().join("flux.yaml"), docs.join("---\n")).unwrap();
    }

    pub fn file(&self, rel: &str, text: &str) {
        let path = self.repo().join(rel);
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(path, text).unwrap();
    }

    /// `~/.docker/config.json`.
    pub fn docker_config(&self, json: &serde_json::Value) {
        let dir = self.home().join(".docker");
        fs_err::create_dir_all(&dir).unwrap();
        fs_err::write(dir.join("config.json"), json.to_string()).unwrap();
    }

    /// A `docker-credential-<name>` shell script on the PATH of imagelock runs.
    pub fn helper(&self, name: &str, script: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt as _;
        let path = self
            .dir
            .path()
            .join("bin")
            .join(format!("docker-credential-{name}"));
        fs_err::write(&path, format!("#!/bin/sh\n{script}")).unwrap();
        fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `imagelock --root repo <global> refresh <args>`, in an empty environment.
    pub fn refresh(&self, args: &[&str]) -> Run {
        self.imagelock(&[&["refresh"], args].concat())
    }

    /// `refresh`, which must exit with `code` (stderr is shown when it does not).
    #[track_caller]
    pub fn refresh_exits(&self, code: i32, args: &[&str]) -> Run {
        let run = self.refresh(args);
        assert_eq!(run.code, code, "refresh {args:?}:\n{}", run.stderr);
        run
    }

    /// `refresh` on a virtual clock: imagelock's retry waits (`Retry-After`, backoff) pass at
    /// once instead of in real time, and come back in milliseconds, sorted
    /// (`IMAGELOCK_TEST_SLEEP_LOG`, which the registry client's clock reads).
    pub fn refresh_on_a_virtual_clock(&self, args: &[&str]) -> (Run, Vec<u64>) {
        let log = self.path().join("sleeps.log");
        let _ = fs_err::remove_file(&log);
        let run = self.imagelock_env(
            &[("IMAGELOCK_TEST_SLEEP_LOG", &log)],
            &[&["refresh"], args].concat(),
        );
        let mut waits: Vec<u64> = fs_err::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .map(|l| l.parse().expect("milliseconds"))
            .collect();
        waits.sort_unstable();
        (run, waits)
    }

    pub fn imagelock(&self, args: &[&str]) -> Run {
        self.imagelock_env(&[], args)
    }

    /// With extra environment variables (the environment is otherwise empty).
    pub fn imagelock_env(&self, env: &[(&str, &Path)], args: &[&str]) -> Run {
        let mut cmd = self.command(env, args);
        cmd.output().expect("run imagelock").into()
    }

    /// `imagelock --root repo <args>` in an empty environment, to run or spawn.
    pub fn command(&self, env: &[(&str, &Path)], args: &[&str]) -> std::process::Command {
        let system_path = std::env::var("PATH").unwrap_or_default();
        let path = format!("{}:{system_path}", self.dir.path().join("bin").display());
        let mut cmd = bin();
        cmd.env_clear()
            .env("PATH", path)
            .env("HOME", self.home())
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .current_dir(self.repo())
            .arg("--root")
            .arg(self.repo())
            .args(args)
            .stdin(Stdio::null());
        cmd
    }
}

pub fn repository(name: &str, image: &str, spec: &str) -> String {
    format!(
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  image: {image}\n  interval: 5m\n{spec}"
    )
}

pub fn policy(name: &str, repository: &str, range: &str, reflection: &str) -> String {
    let reflection = if reflection.is_empty() {
        String::new()
    } else {
        format!("  digestReflectionPolicy: {reflection}\n")
    };
    format!(
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  imageRepositoryRef:\n    name: {repository}\n{reflection}  policy:\n    semver:\n      range: \"{range}\"\n"
    )
}

pub fn basic(user: &str, pass: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
}

/// The tags of `image` in a lock text, in order.
pub fn locked_tags(lock: &str, image: &str) -> Vec<String> {
    let parsed = imagelock::lock::parse("images.lock", lock).expect("a valid lock");
    parsed
        .image(image)
        .map(|e| e.tag_names().cloned().collect())
        .unwrap_or_default()
}

pub fn locked_digest(lock: &str, image: &str, tag: &str) -> Option<String> {
    let parsed = imagelock::lock::parse("images.lock", lock).expect("a valid lock");
    parsed
        .image(image)
        .and_then(|e| e.digest(tag).map(str::to_owned))
}

/// Nothing secret in what imagelock printed or wrote.
pub fn assert_no_secret(run: &Run, lock: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(
            !run.stdout.contains(s),
            "stdout holds a secret:\n{}",
            run.stdout
        );
        assert!(
            !run.stderr.contains(s),
            "stderr holds a secret:\n{}",
            run.stderr
        );
        assert!(!lock.contains(s), "the lock holds a secret:\n{lock}");
    }
}
