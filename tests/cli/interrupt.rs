//! `fix` killed with SIGKILL before, during and after its renames: every file holds its old or its new content, never a
//! mix, and no temporary file is left in the work tree.

use std::process::Stdio;
use std::time::Duration;

use crate::common::{bin, copy_tree, kill_run, stray_temp_files, testdata, Kill};

const FILES: usize = 400;

fn old(i: usize) -> String {
    format!(
        "# file {i}\nimage: ghcr.io/stefanprodan/podinfo:6.4.0 # {{\"$imagepolicy\": \"flux-system:podinfo\"}}\nother: {i}\n"
    )
}

fn new(i: usize) -> String {
    old(i).replace("6.4.0", "6.5.1")
}

#[test]
fn sigkill_never_leaves_a_torn_file_or_a_stray_temp_file() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    copy_tree(&testdata().join("cases/13-in-sync/in"), root);
    let git = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(root)
        .status();
    let in_git = git.is_ok_and(|s| s.success());
    // How long an uninterrupted run takes here: the kills are spread over that time.
    let write_all = || {
        fs_err::create_dir_all(root.join("apps")).unwrap();
        for i in 0..FILES {
            fs_err::write(root.join(format!("apps/f{i:03}.yaml")), old(i)).unwrap();
        }
    };
    write_all();
    let started = std::time::Instant::now();
    let full = bin()
        .args(["fix", "-q"])
        .current_dir(root)
        .output()
        .unwrap();
    let span = started.elapsed();
    assert_eq!(
        full.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&full.stderr)
    );
    // A fixed schedule: kills early in a run (before any write), kills at the
    // first rename and closing after it (in the middle of the renames, which all happen within
    // a few milliseconds), and kills well after it (every file replaced).
    let after_first = |micros: u64| Kill::AfterProbe(Duration::from_micros(micros));
    let schedule = [
        Kill::After(Duration::ZERO),
        Kill::After(span / 3),
        Kill::After(span * 2 / 3),
        after_first(0),
        after_first(0),
        after_first(0),
        after_first(100),
        after_first(300),
        after_first(1000),
        // Well after: the renames take a fraction of a run.
        Kill::AfterProbe(span * 2),
    ];
    let apps = root.join("apps");
    let modified = || fs_err::metadata(&apps).unwrap().modified().unwrap();
    let (mut none_done, mut killed_midway, mut all_done) = (0, 0, 0);
    for (round, kill) in schedule.into_iter().enumerate() {
        write_all();
        // A rename into apps/ changes the directory's modification time.
        let before = modified();
        let child = bin()
            .args(["fix", "-q"])
            .current_dir(root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        kill_run(child, kill, || modified() != before);
        let mut changed = 0;
        for i in 0..FILES {
            let text = fs_err::read_to_string(root.join(format!("apps/f{i:03}.yaml"))).unwrap();
            assert!(
                text == old(i) || text == new(i),
                "round {round} ({kill:?}): file {i} is torn:\n{text}"
            );
            changed += usize::from(text == new(i));
        }
        match changed {
            0 => none_done += 1,
            FILES => all_done += 1,
            _ => killed_midway += 1,
        }
        let strays = stray_temp_files(root);
        assert!(
            strays.is_empty(),
            "round {round} ({kill:?}): stray temporary files {strays:?}"
        );
    }
    #[allow(clippy::print_stderr)] // a figure to read with --nocapture
    {
        eprintln!(
            "{} kills: {none_done} before any rename, {killed_midway} while files were being renamed, {all_done} after",
            schedule.len()
        );
    }
    // The kills must land mid-run sometimes, or the test proves nothing.
    assert!(
        in_git,
        "git is needed to keep temporary files out of the work tree"
    );
    assert!(
        killed_midway > 0,
        "no kill landed while files were being written"
    );
    assert!(
        none_done > 0 && all_done > 0,
        "{none_done} before, {all_done} after"
    );
}
