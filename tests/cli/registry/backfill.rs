//! Upgrading a version 1 lock takes first-seen times from the git history of the lock: each
//! tag gets the commit time of the first commit whose lock holds it, else the refresh time; `-v`
//! says which source each came from.

use std::path::Path;

use super::distribution::{push_image, Kind, Pusher, Registry};
use super::{assert_stderr, repository, Sandbox};

fn git(dir: &Path, date: &str, args: &[&str]) -> String {
    crate::common::git_at(dir, &dir.join("no-global-gitconfig"), date, args)
}

fn v1_lock(image: &str, tags: &[&str]) -> String {
    let mut s = format!("version: 1\nimages:\n  \"{image}\":\n    tags:\n");
    for t in tags {
        s.push_str(&format!("      - \"{t}\"\n"));
    }
    s
}

#[test]
fn a_version_1_lock_takes_each_tags_time_from_the_first_commit_that_locked_it() {
    let registry = Registry::start("");
    let host = registry.host();
    let pusher = Pusher::anonymous(registry.port);
    push_image(
        &pusher,
        "demo/app",
        Kind::OciManifest,
        &["1.0.0", "1.1.0", "1.2.0", "1.3.0", "2.0.0"],
    );
    let app = format!("{host}/demo/app");
    let sandbox = Sandbox::with_flux(&[repository("app", &app, "")]);
    let repo = sandbox.repo();
    git(&repo, "2026-10-01T00:00:00Z", &["init", "-q", "-b", "main"]);

    // Three commits of the lock, each adding a tag.
    let mut commits = Vec::new();
    for (date, tags) in [
        ("2026-10-01T00:00:00Z", &["1.0.0"][..]),
        ("2026-10-15T06:30:00Z", &["1.0.0", "1.1.0"][..]),
        ("2026-11-01T12:00:00Z", &["1.0.0", "1.1.0", "1.2.0"][..]),
    ] {
        sandbox.write_lock(&v1_lock(&app, tags));
        git(&repo, date, &["add", "-A"]);
        git(&repo, date, &["commit", "-q", "-m", "lock"]);
        commits.push(git(&repo, date, &["rev-parse", "--short=7", "HEAD"]));
    }
    // 1.3.0 is in the work tree's lock only: no commit holds it.
    sandbox.write_lock(&v1_lock(&app, &["1.0.0", "1.1.0", "1.2.0", "1.3.0"]));

    let run = sandbox.refresh_exits(0, &["-v", "--now", "2026-11-29T12:00:00Z"]);
    for (tag, date, commit) in [
        ("1.0.0", "2026-10-01T00:00:00Z", &commits[0]),
        ("1.1.0", "2026-10-15T06:30:00Z", &commits[1]),
        ("1.2.0", "2026-11-01T12:00:00Z", &commits[2]),
    ] {
        assert_stderr(
            &run,
            &format!("{app}: {tag} first seen: {date} (git history: commit {commit})"),
        );
    }
    let untimed = format!("{app}: 1 tag first seen: now (no earlier record)");
    assert_stderr(&run, &untimed);
    let lock = sandbox.lock();
    assert!(
        lock.contains(&format!(
            "  \"{app}\":\n    tags:\n\
             \x20     \"1.0.0\": \"2026-10-01T00:00:00Z\"\n\
             \x20     \"1.1.0\": \"2026-10-15T06:30:00Z\"\n\
             \x20     \"1.2.0\": \"2026-11-01T12:00:00Z\"\n\
             \x20     \"1.3.0\": \"2026-11-29T12:00:00Z\"\n\
             \x20     \"2.0.0\": \"2026-11-29T12:00:00Z\"\n"
        )),
        "{lock}"
    );
    // The upgraded lock has every time: the next refresh asks git nothing and changes nothing.
    let again = sandbox.refresh_exits(0, &["-v", "--now", "2026-11-30T12:00:00Z"]);
    assert!(!again.stderr.contains("git history"), "{}", again.stderr);
    assert_eq!(sandbox.lock(), lock);
}
