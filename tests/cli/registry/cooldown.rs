//! Cooldowns against the real `docker-registry`: times come from `--now` on the registry
//! client's virtual clock (`IMAGELOCK_TEST_SLEEP_LOG`), never from waiting. A tag or digest
//! first seen less than the minimum age before the lock's `refreshed` time is not adopted; a
//! refresh that finds nothing new but lets something come of age moves `refreshed` alone.

use super::distribution::{push_image, Kind, Pusher, Registry};
use super::{policy, repository, Sandbox};

const T0: &str = "2026-11-29T12:00:00Z";
/// T0 + 49h: the first tags come of age.
const T0_49: &str = "2026-12-01T13:00:00Z";
/// A tag pushed later is first seen here.
const T1: &str = "2026-12-02T12:00:00Z";
const T1_1: &str = "2026-12-02T13:00:00Z";
const T1_48: &str = "2026-12-04T12:00:00Z";
const T1_49: &str = "2026-12-04T13:00:00Z";
/// The mutable tag is re-pushed and its new digest first seen here.
const T2: &str = "2026-12-05T12:00:00Z";
const T2_48: &str = "2026-12-07T12:00:00Z";
const T2_49: &str = "2026-12-07T13:00:00Z";

fn refresh_at(sandbox: &Sandbox, now: &str) -> String {
    let (run, _) = sandbox.refresh_on_a_virtual_clock(&["--now", now]);
    assert_eq!(run.code, 0, "refresh at {now}:\n{}", run.stderr);
    sandbox.lock()
}

fn refreshed(lock: &str) -> &str {
    let at = lock.find("\nrefreshed: \"").expect("a refreshed time") + 13;
    &lock[at..at + 20]
}

/// `fix`, after which `check` finds nothing: in particular every digest a marker needs is
/// locked, whichever tag the cooldown lets the policy select.
fn fix(sandbox: &Sandbox) -> String {
    let run = sandbox.imagelock(&["fix"]);
    assert_eq!(run.code, 0, "fix:\n{}\n{}", run.stdout, run.stderr);
    fs_err::read_to_string(sandbox.repo().join("deploy.yaml")).unwrap()
}

fn with_annotation(doc: &str, annotation: &str) -> String {
    doc.replacen(
        "  namespace: flux-system\nspec:",
        &format!("  namespace: flux-system\n  annotations:\n    {annotation}\nspec:"),
        1,
    )
}

#[test]
fn a_new_tag_and_a_new_digest_wait_for_the_minimum_age() {
    let registry = Registry::start("");
    let host = registry.host();
    let pusher = Pusher::anonymous(registry.port);
    let d110 = push_image(&pusher, "demo/app", Kind::OciManifest, &["1.0.0", "1.1.0"]);
    let first = push_image(&pusher, "demo/mutable", Kind::OciManifest, &["1.0.0"]);
    let (app, mutable) = (format!("{host}/demo/app"), format!("{host}/demo/mutable"));
    let sandbox = Sandbox::with_flux(&[
        repository("app", &app, ""),
        repository("mutable", &mutable, ""),
        // The repository default covers `app`; `mutable` says it again in its annotation.
        policy("app", "app", ">=1.0.0", ""),
        with_annotation(
            &policy("mutable", "mutable", "1.0.0", "Always"),
            "imagelock.dev/min-age: 2d",
        ),
    ]);
    sandbox.file(".imagelock.yaml", "min-age: 48h\n");
    sandbox.file(
        "deploy.yaml",
        &format!(
            "app: {app}:1.0.0 # {{\"$imagepolicy\": \"flux-system:app\"}}\n\
             app-digest: sha256:0 # {{\"$imagepolicy\": \"flux-system:app:digest\"}}\n\
             mutable: {mutable}:1.0.0@{first} # {{\"$imagepolicy\": \"flux-system:mutable\"}}\n"
        ),
    );

    // t0: everything is first seen now, so nothing is old enough yet; the markers stay.
    let at_t0 = refresh_at(&sandbox, T0);
    assert!(
        at_t0.contains(&format!("      \"1.1.0\": \"{T0}\"\n")),
        "{at_t0}"
    );
    let check = sandbox.imagelock(&["check"]);
    assert!(check.stdout.contains("no-tag-selected"), "{}", check.stdout);

    // t0+49h: nothing new in the registry, but the tags came of age: `refreshed` alone moves.
    let at_t0_49 = refresh_at(&sandbox, T0_49);
    assert_eq!(
        at_t0_49,
        at_t0.replace(
            &format!("refreshed: \"{T0}\""),
            &format!("refreshed: \"{T0_49}\"")
        )
    );
    let deploy = fix(&sandbox);
    assert!(deploy.contains(&format!("app: {app}:1.1.0 #")), "{deploy}");
    assert!(
        deploy.contains(&format!("app-digest: {d110} #")),
        "{deploy}"
    );
    // A second refresh at the same time changes nothing.
    assert_eq!(refresh_at(&sandbox, T0_49), at_t0_49);

    // t1: 1.2.0 is pushed and first seen.
    let d120 = push_image(&pusher, "demo/app", Kind::DockerV2, &["1.2.0"]);
    assert_ne!(d120, d110);
    let at_t1 = refresh_at(&sandbox, T1);
    assert!(
        at_t1.contains(&format!("      \"1.2.0\": \"{T1}\"\n")),
        "{at_t1}"
    );
    assert_eq!(refreshed(&at_t1), T1);

    // t1+1h: nothing new and nothing of age: byte-identical; `fix` keeps 1.1.0, and `explain`
    // and `list` name the date 1.2.0 becomes eligible.
    assert_eq!(refresh_at(&sandbox, T1_1), at_t1);
    let deploy = fix(&sandbox);
    assert!(deploy.contains(&format!("app: {app}:1.1.0 #")), "{deploy}");
    let explain = sandbox.imagelock(&["explain", "flux-system:app"]);
    assert_eq!(explain.code, 0, "{}", explain.stderr);
    assert!(
        explain
            .stdout
            .contains(&format!("1.2.0  {T1}  too young: eligible from {T1_48}")),
        "{}",
        explain.stdout
    );
    assert!(explain.stdout.contains("min-age 2d"), "{}", explain.stdout);
    let list = sandbox.imagelock(&["list"]);
    assert!(
        list.stdout.contains(&format!("1.2.0 from {T1_48}")),
        "{}",
        list.stdout
    );
    let json = sandbox.imagelock(&["--format", "json", "explain", "flux-system:app"]);
    assert!(
        json.stdout
            .contains(&format!("\"eligible_from\": \"{T1_48}\"")),
        "{}",
        json.stdout
    );

    // A hand edit to the young tag is a finding that names the date.
    let by_hand = deploy.replace(":1.1.0 #", ":1.2.0 #");
    sandbox.file("deploy.yaml", &by_hand);
    let check = sandbox.imagelock(&["--format", "json", "check"]);
    assert_eq!(check.code, 1);
    let young: Vec<&str> = check
        .stdout
        .lines()
        .filter(|l| l.contains("\"IL029\""))
        .collect();
    assert_eq!(young.len(), 1, "{}", check.stdout);
    assert!(
        young[0].contains(&format!("\"eligible_from\":\"{T1_48}\"")),
        "{}",
        young[0]
    );
    sandbox.file("deploy.yaml", &deploy);

    // t1+49h: 1.2.0 came of age; `fix` adopts it.
    let at_t1_49 = refresh_at(&sandbox, T1_49);
    assert_eq!(refreshed(&at_t1_49), T1_49);
    let deploy = fix(&sandbox);
    assert!(deploy.contains(&format!("app: {app}:1.2.0 #")), "{deploy}");
    assert!(
        deploy.contains(&format!("app-digest: {d120} #")),
        "{deploy}"
    );
    assert!(
        deploy.contains(&format!("{mutable}:1.0.0@{first} #")),
        "{deploy}"
    );

    // t2: the mutable tag is re-pushed; its new digest is first seen now and waits too.
    let second = push_image(&pusher, "demo/mutable", Kind::DockerV2, &["1.0.0"]);
    assert_ne!(second, first);
    let at_t2 = refresh_at(&sandbox, T2);
    assert!(
        at_t2.contains(&format!("{{digest: \"{second}\", seen: \"{T2}\"}}")),
        "{at_t2}"
    );
    let deploy = fix(&sandbox);
    assert!(
        deploy.contains(&format!("{mutable}:1.0.0@{first} #")),
        "the old digest stays:\n{deploy}"
    );
    let check = sandbox.imagelock(&["check"]);
    assert_eq!(
        check.code, 0,
        "a held digest is not out of date:\n{}",
        check.stdout
    );
    let explain = sandbox.imagelock(&["explain", "flux-system:mutable"]);
    assert!(
        explain.stdout.contains(&format!(
            "its digest is too young: markers keep their digest until {T2_48}"
        )),
        "{}",
        explain.stdout
    );
    let at_t2_49 = refresh_at(&sandbox, T2_49);
    assert_eq!(refreshed(&at_t2_49), T2_49);
    let deploy = fix(&sandbox);
    assert!(
        deploy.contains(&format!("{mutable}:1.0.0@{second} #")),
        "{deploy}"
    );
    assert_eq!(
        refresh_at(&sandbox, T2_49),
        at_t2_49,
        "nothing changed: byte-identical"
    );
}
