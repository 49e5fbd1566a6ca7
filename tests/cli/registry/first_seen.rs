//! First-seen times in the lock, against the real `docker-registry`: tags and digests get the
//! time of the refresh that first saw them (from `SOURCE_DATE_EPOCH` or `--now`, never from
//! waiting), keep it afterwards, and a refresh with nothing new leaves the lock byte-identical.

use std::path::Path;

use super::distribution::{push_image, Kind, Pusher, Registry};
use super::{assert_stderr, locked_digest, locked_tags, policy, repository, Sandbox};

/// 2026-11-29T12:00:00Z and three later refreshes.
const T0: &str = "1795953600";
const T1: &str = "2026-11-30T12:00:00Z";
const T2: &str = "2026-12-01T12:00:00Z";
const T3: &str = "2026-12-02T12:00:00Z";

fn refresh_at_epoch(sandbox: &Sandbox, epoch: &str, args: &[&str]) -> crate::common::Run {
    let run = sandbox.imagelock_env(
        &[("SOURCE_DATE_EPOCH", Path::new(epoch))],
        &[&["refresh"], args].concat(),
    );
    assert_eq!(run.code, 0, "refresh at {epoch}:\n{}", run.stderr);
    run
}

/// Lines of `new` that `old` does not have, and the other way round.
fn changed_lines<'a>(old: &'a str, new: &'a str) -> (Vec<&'a str>, Vec<&'a str>) {
    let added = new.lines().filter(|l| !old.lines().any(|o| o == *l));
    let removed = old.lines().filter(|l| !new.lines().any(|n| n == *l));
    (added.collect(), removed.collect())
}

#[test]
fn tags_and_digests_keep_the_time_they_were_first_seen() {
    let registry = Registry::start("");
    let host = registry.host();
    let pusher = Pusher::anonymous(registry.port);
    push_image(&pusher, "demo/app", Kind::OciManifest, &["1.0.0", "1.1.0"]);
    let first_digest = push_image(&pusher, "demo/mutable", Kind::OciManifest, &["1.0.0"]);
    let sandbox = Sandbox::with_flux(&[
        repository("app", &format!("{host}/demo/app"), ""),
        repository("mutable", &format!("{host}/demo/mutable"), ""),
        // `Always`: the digest is asked for again at every refresh, so a re-push shows.
        policy("mutable", "mutable", "1.0.0", "Always"),
    ]);
    let (app, mutable) = (format!("{host}/demo/app"), format!("{host}/demo/mutable"));

    // t0, from SOURCE_DATE_EPOCH: every tag and digest is first seen now.
    let run = refresh_at_epoch(&sandbox, T0, &["-v"]);
    assert_stderr(&run, "now: 2026-11-29T12:00:00Z (SOURCE_DATE_EPOCH)");
    let at_t0 = sandbox.lock();
    assert!(
        at_t0.contains("\nversion: 2\nrefreshed: \"2026-11-29T12:00:00Z\"\n"),
        "{at_t0}"
    );
    let tags = format!(
        "  \"{app}\":\n    tags:\n      \"1.0.0\": \"2026-11-29T12:00:00Z\"\n      \"1.1.0\": \"2026-11-29T12:00:00Z\"\n"
    );
    assert!(at_t0.contains(&tags), "{at_t0}");
    assert!(
        at_t0.contains(&format!(
            "      \"1.0.0\": {{digest: \"{first_digest}\", seen: \"2026-11-29T12:00:00Z\"}}\n"
        )),
        "{at_t0}"
    );
    assert_eq!(locked_tags(&at_t0, &app), ["1.0.0", "1.1.0"]);

    // t1: a new tag is one added line with t1; the old tags keep t0; `refreshed` moves.
    push_image(&pusher, "demo/app", Kind::OciManifest, &["1.2.0"]);
    let run = sandbox.refresh_exits(0, &["--now", T1]);
    assert_stderr(&run, "updated");
    let at_t1 = sandbox.lock();
    assert_eq!(
        changed_lines(&at_t0, &at_t1),
        (
            vec![
                "refreshed: \"2026-11-30T12:00:00Z\"",
                "      \"1.2.0\": \"2026-11-30T12:00:00Z\""
            ],
            vec!["refreshed: \"2026-11-29T12:00:00Z\""]
        )
    );
    assert_eq!(locked_tags(&at_t1, &app), ["1.0.0", "1.1.0", "1.2.0"]);

    // t2, nothing new: byte-identical, `refreshed` included, and --locked agrees.
    let run = sandbox.refresh_exits(0, &["--now", T2]);
    assert_stderr(&run, "unchanged");
    assert_eq!(sandbox.lock(), at_t1);
    sandbox.refresh_exits(0, &["--now", T3, "--locked"]);
    assert_eq!(sandbox.lock(), at_t1);

    // t3: the mutable tag is re-pushed to another digest, which is first seen now; the tag
    // itself keeps its time.
    let second_digest = push_image(&pusher, "demo/mutable", Kind::DockerV2, &["1.0.0"]);
    assert_ne!(second_digest, first_digest);
    let locked = sandbox.refresh(&["--now", T3, "--locked"]);
    assert_eq!(
        locked.code, 1,
        "--locked sees the new digest:\n{}",
        locked.stderr
    );
    sandbox.refresh_exits(0, &["--now", T3]);
    let at_t3 = sandbox.lock();
    assert_eq!(
        locked_digest(&at_t3, &mutable, "1.0.0").as_deref(),
        Some(second_digest.as_str())
    );
    let (new_line, old_line) = (
        format!("      \"1.0.0\": {{digest: \"{second_digest}\", seen: \"2026-12-02T12:00:00Z\"}}"),
        format!("      \"1.0.0\": {{digest: \"{first_digest}\", seen: \"2026-11-29T12:00:00Z\"}}"),
    );
    assert_eq!(
        changed_lines(&at_t1, &at_t3),
        (
            vec!["refreshed: \"2026-12-02T12:00:00Z\"", new_line.as_str()],
            vec!["refreshed: \"2026-11-30T12:00:00Z\"", old_line.as_str()],
        )
    );
    assert!(at_t3.contains(&format!(
        "  \"{mutable}\":\n    tags:\n      \"1.0.0\": \"2026-11-29T12:00:00Z\"\n"
    )));

    // `check` reads the version 2 lock it wrote.
    let check = sandbox.imagelock(&["check"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
}

#[test]
fn a_version_1_lock_reads_and_its_tags_are_first_seen_at_the_next_refresh() {
    let registry = Registry::start("");
    let host = registry.host();
    let pusher = Pusher::anonymous(registry.port);
    push_image(&pusher, "demo/app", Kind::OciManifest, &["1.0.0", "1.1.0"]);
    let app = format!("{host}/demo/app");
    let sandbox = Sandbox::with_flux(&[repository("app", &app, "")]);
    let v1 = format!(
        "# This file is @generated by imagelock. Do not edit it by hand:\n\
         # run `imagelock refresh` to update it.\n\
         version: 1\nimages:\n  \"{app}\":\n    tags:\n      - \"1.0.0\"\n"
    );
    sandbox.write_lock(&v1);
    let check = sandbox.imagelock(&["check"]);
    assert_eq!(check.code, 0, "a version 1 lock reads:\n{}", check.stderr);
    assert_eq!(locked_tags(&v1, &app), ["1.0.0"]);

    let run = refresh_at_epoch(&sandbox, T0, &["-v"]);
    assert_stderr(
        &run,
        &format!("{app}: 1 tag first seen: now (no earlier record)"),
    );
    let lock = sandbox.lock();
    assert!(
        lock.contains(&format!(
            "version: 2\nrefreshed: \"2026-11-29T12:00:00Z\"\nimages:\n  \"{app}\":\n    tags:\n      \"1.0.0\": \"2026-11-29T12:00:00Z\"\n      \"1.1.0\": \"2026-11-29T12:00:00Z\"\n"
        )),
        "{lock}"
    );
    // The next refresh has no untimed tag left to report, and nothing to change.
    let run = sandbox.refresh_exits(0, &["-v", "--now", T1]);
    assert!(!run.stderr.contains("no earlier record"), "{}", run.stderr);
    assert_eq!(sandbox.lock(), lock);
}

#[test]
fn a_bad_clock_is_a_usage_error_and_writes_nothing() {
    let sandbox = Sandbox::with_flux(&[]);
    let run = sandbox.imagelock_env(
        &[("SOURCE_DATE_EPOCH", Path::new("yesterday"))],
        &["refresh"],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_stderr(
        &run,
        "SOURCE_DATE_EPOCH `yesterday` is not a number of seconds",
    );
    let run = sandbox.refresh(&["--now", "2026-11-29 12:00"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_stderr(&run, "is not an RFC 3339 time");
    assert_eq!(sandbox.lock(), "");
}
