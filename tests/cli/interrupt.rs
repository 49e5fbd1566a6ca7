//! `fix` killed with SIGKILL at many moments: every file holds its old or its new content, never a
//! mix, and no temporary file is left in the work tree.

use std::process::Stdio;
use std::time::Duration;

use crate::common::{bin, copy_tree, testdata, walk};

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
    let span = started.elapsed().as_micros().max(1) as u64;
    assert_eq!(
        full.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&full.stderr)
    );
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut killed_midway = 0;
    // Kills land anywhere in the first rounds; then they close in on the moments the files are
    // renamed (all within a few milliseconds), between the latest kill that left every file old
    // and the earliest that left every file new.
    let (mut all_old, mut all_new) = (0u64, span);
    let mut round = 0;
    while round < 16 || (killed_midway < 3 && round < 160) {
        write_all();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let micros = if round < 16 || all_new <= all_old {
            seed % span
        } else {
            all_old + seed % (all_new - all_old + 1)
        };
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
        match changed {
            0 => all_old = all_old.max(micros),
            c if c == FILES => all_new = all_new.min(micros),
            _ => killed_midway += 1,
        }
        let strays: Vec<_> = walk(root)
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
        eprintln!("{round} kills, {killed_midway} of them while files were being renamed");
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
