//! `fix` killed with SIGKILL at many moments: every file holds its old or its new content, never a
//! mix, and no temporary file is left in the work tree.

use std::process::Stdio;
use std::time::Duration;

use crate::common::{bin, copy_tree, stray_temp_files, testdata, Kills};

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
    let mut killed_midway = 0;
    // The renames all happen within a few milliseconds: the kills close in on them.
    let mut kills = Kills::new(span, 16);
    while kills.round < 16 || (killed_midway < 3 && kills.round < 160) {
        write_all();
        let micros = kills.next_delay();
        let round = kills.round;
        let delay = Duration::from_micros(micros);
        let mut child = bin()
            .args(["fix", "-q"])
            .current_dir(root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        let mut changed = 0;
        for i in 0..FILES {
            let text = fs_err::read_to_string(root.join(format!("apps/f{i:03}.yaml"))).unwrap();
            assert!(
                text == old(i) || text == new(i),
                "round {round}: file {i} is torn:\n{text}"
            );
            changed += usize::from(text == new(i));
        }
        kills.saw(micros, changed == 0, changed == FILES);
        if changed > 0 && changed < FILES {
            killed_midway += 1;
        }
        let strays = stray_temp_files(root);
        assert!(
            strays.is_empty(),
            "round {round}: stray temporary files {strays:?}"
        );
    }
    #[allow(clippy::print_stderr)] // a figure to read with --nocapture
    {
        eprintln!(
            "{} kills, {killed_midway} of them while files were being renamed",
            kills.round
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
}
