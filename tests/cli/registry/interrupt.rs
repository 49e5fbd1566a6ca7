//! `refresh` killed with SIGKILL before, as and after it replaces the lock: `images.lock` holds its old or its new content,
//! never a mix, and no temporary file is left in the work tree.

use std::process::Stdio;
use std::time::{Duration, Instant};

use super::distribution::{push_image, Kind, Pusher, Registry};
use super::{policy, repository, Sandbox};
use crate::common::{kill_run, stray_temp_files, Kill};

const IMAGES: usize = 6;

#[test]
fn sigkill_leaves_the_old_lock_or_the_new_one() {
    let registry = Registry::start("");
    let host = registry.host();
    let pusher = Pusher::anonymous(registry.port);
    let tags =
        |minor: usize| -> Vec<String> { (0..20).map(|p| format!("1.{minor}.{p}")).collect() };
    let push = |minor: usize| {
        for i in 0..IMAGES {
            let tags = tags(minor);
            let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
            push_image(&pusher, &format!("demo/app{i}"), Kind::OciManifest, &tags);
        }
    };
    let sandbox = Sandbox::new();
    let docs: Vec<String> = (0..IMAGES)
        .flat_map(|i| {
            [
                repository(&format!("app{i}"), &format!("{host}/demo/app{i}"), ""),
                policy(&format!("app{i}"), &format!("app{i}"), "1.x", "Always"),
            ]
        })
        .collect();
    sandbox.flux(&docs);
    let git = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(sandbox.repo())
        .status();
    assert!(
        git.is_ok_and(|s| s.success()),
        "git is needed to keep temporary files out of the work tree"
    );

    // Fixed times: the new tags' first-seen time and `refreshed` are the same in every run, so
    // the full run's lock is the one a killed run may leave.
    let (t0, t1) = ("2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z");
    push(0);
    let first = sandbox.refresh(&["--now", t0]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let old = sandbox.lock();
    push(1);
    // How long an uninterrupted run takes here: the kills are spread over that time.
    let started = Instant::now();
    let full = sandbox.refresh(&["--now", t1]);
    let span = started.elapsed();
    assert_eq!(full.code, 0, "{}", full.stderr);
    let new = sandbox.lock();
    assert_ne!(old, new);

    // A fixed schedule: kills early in a run (before the registry has answered), kills as the
    // new lock is staged and about to be renamed into place, and kills just after the rename.
    let staging = sandbox.repo().join(".git/imagelock-tmp");
    let staged = || fs_err::read_dir(&staging).is_ok_and(|mut d| d.next().is_some());
    let replaced = || sandbox.lock() != old;
    let at_staging = |micros: u64| (Kill::AfterProbe(Duration::from_micros(micros)), true);
    let schedule = [
        (Kill::After(Duration::ZERO), false),
        (Kill::After(span / 2), false),
        at_staging(0),
        at_staging(0),
        at_staging(50),
        at_staging(200),
        at_staging(1000),
        (Kill::AfterProbe(Duration::ZERO), false),
    ];
    let (mut olds, mut news) = (0, 0);
    for (round, (kill, at_staging)) in schedule.into_iter().enumerate() {
        sandbox.write_lock(&old);
        // What killed runs left staged (swept only when an hour old) would trip the probe.
        let _ = fs_err::remove_dir_all(&staging);
        let child = sandbox
            .command(&[], &["refresh", "--now", t1])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        if at_staging {
            kill_run(child, kill, staged);
        } else {
            kill_run(child, kill, replaced);
        }
        let lock = sandbox.lock();
        assert!(
            lock == old || lock == new,
            "round {round} ({kill:?}): a torn lock"
        );
        olds += usize::from(lock == old);
        news += usize::from(lock == new);
        let strays = stray_temp_files(&sandbox.repo());
        assert!(
            strays.is_empty(),
            "round {round} ({kill:?}): stray temporary files {strays:?}"
        );
    }
    #[allow(clippy::print_stderr)] // a figure to read with --nocapture
    {
        eprintln!(
            "{} kills: {olds} left the old lock, {news} the new one",
            schedule.len()
        );
    }
    // Kills on both sides of the write, or the test proves nothing.
    assert!(olds > 0 && news > 0, "{olds} old, {news} new");
}
