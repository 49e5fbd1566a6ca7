//! `refresh` killed with SIGKILL at many moments: `images.lock` holds its old or its new content,
//! never a mix, and no temporary file is left in the work tree.

use std::process::Stdio;
use std::time::{Duration, Instant};

use super::distribution::{push_image, Kind, Pusher, Registry};
use super::{policy, repository, Sandbox};
use crate::common::walk;

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

    push(0);
    let first = sandbox.refresh(&[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let old = sandbox.lock();
    push(1);
    // How long an uninterrupted run takes here: the kills are spread over that time.
    let started = Instant::now();
    let full = sandbox.refresh(&[]);
    let span = started.elapsed().as_micros().max(1) as u64;
    assert_eq!(full.code, 0, "{}", full.stderr);
    let new = sandbox.lock();
    assert_ne!(old, new);

    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    // Kills land anywhere at first, then close in on the moment the lock is replaced: between
    // the latest kill that left the old lock and the earliest that left the new one.
    let (mut last_old, mut first_new) = (0u64, span);
    let (mut olds, mut news) = (0, 0);
    let mut round = 0;
    while round < 24 || ((olds == 0 || news == 0) && round < 120) {
        sandbox.write_lock(&old);
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let micros = if round < 12 || first_new <= last_old {
            seed % span
        } else {
            last_old + seed % (first_new - last_old + 1)
        };
        let mut child = sandbox
            .command(&[], &["refresh"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(micros));
        let _ = child.kill();
        let _ = child.wait();
        let lock = sandbox.lock();
        if lock == old {
            olds += 1;
            last_old = last_old.max(micros);
        } else {
            assert_eq!(lock, new, "round {round}: a torn lock");
            news += 1;
            first_new = first_new.min(micros);
        }
        let strays: Vec<_> = walk(&sandbox.repo())
            .into_iter()
            .filter(|p| !p.components().any(|c| c.as_os_str() == ".git"))
            .filter(|p| p.to_string_lossy().contains(".imagelock.tmp"))
            .collect();
        assert!(
            strays.is_empty(),
            "round {round}: stray temporary files {strays:?}"
        );
        round += 1;
    }
    #[allow(clippy::print_stderr)] // a figure to read with --nocapture
    {
        eprintln!("{round} kills: {olds} left the old lock, {news} the new one");
    }
    // Kills on both sides of the write, or the test proves nothing.
    assert!(olds > 0 && news > 0, "{olds} old, {news} new");
}
