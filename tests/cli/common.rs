//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_imagelock"));
    cmd.env_remove("NO_COLOR").env("CLICOLOR", "0");
    cmd
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Self {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// Run imagelock in `dir` with `args`, feeding `stdin`.
pub fn run_in(dir: &Path, args: &[&str], stdin: &str) -> Run {
    use std::io::Write;
    let mut child = bin()
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn imagelock");
    // The process may exit before reading its input (a usage error): that is not a failure here.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap().into()
}

pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// Copy a directory tree (regular files only).
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walk(from) {
        let rel = entry.strip_prefix(from).unwrap();
        let dest = to.join(rel);
        fs_err::create_dir_all(dest.parent().unwrap()).unwrap();
        fs_err::copy(&entry, &dest).unwrap();
    }
}

/// Every regular file below `dir`, sorted.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs_err::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Temporary files of imagelock's in the work tree under `root` (`.git` aside, where they are
/// staged on purpose).
pub fn stray_temp_files(root: &Path) -> Vec<PathBuf> {
    walk(root)
        .into_iter()
        .filter(|p| !p.components().any(|c| c.as_os_str() == ".git"))
        .filter(|p| p.to_string_lossy().contains(".imagelock.tmp"))
        .collect()
}

/// When to kill a run that takes `span` to finish: anywhere in the first `spread` rounds, then
/// closing in on the moment its outcome flips, between the latest kill that left everything as
/// it was and the earliest that found everything done. A run slower than `span` (a loaded
/// machine) widens the range.
pub struct Kills {
    seed: u64,
    limit: u64,
    spread: usize,
    none_done: u64,
    all_done: Option<u64>,
    pub round: usize,
}

impl Kills {
    pub fn new(span: std::time::Duration, spread: usize) -> Self {
        Self {
            seed: 0x9e37_79b9_7f4a_7c15,
            limit: span.as_micros().max(1) as u64,
            spread,
            none_done: 0,
            all_done: None,
            round: 0,
        }
    }

    /// The next delay, in microseconds (xorshift: the same schedule on every run).
    pub fn next_delay(&mut self) -> u64 {
        self.round += 1;
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let high = self.all_done.unwrap_or(self.limit);
        if self.round <= self.spread || high <= self.none_done {
            self.seed % self.limit
        } else {
            self.none_done + self.seed % (high - self.none_done + 1)
        }
    }

    /// What a kill after `micros` left: nothing done, or everything.
    pub fn saw(&mut self, micros: u64, none_done: bool, all_done: bool) {
        if none_done {
            self.none_done = self.none_done.max(micros);
            if self.all_done.is_none() && micros >= self.limit / 5 * 4 {
                self.limit *= 2;
            }
        }
        if all_done {
            self.all_done = Some(self.all_done.map_or(micros, |t| t.min(micros)));
        }
    }
}

/// `text` with its line wrapping and the diagnostic frame's bars folded away, so that a phrase
/// miette wrapped over two lines is still found.
pub fn flat(text: &str) -> String {
    text.split_whitespace()
        .filter(|w| *w != "|" && *w != "│")
        .collect::<Vec<_>>()
        .join(" ")
}

/// `needle` is in the run's stderr, as printed or with its wrapping folded.
pub fn assert_stderr(run: &Run, needle: &str) {
    assert!(
        run.stderr.contains(needle) || flat(&run.stderr).contains(needle),
        "stderr lacks {needle:?}:\n{}",
        run.stderr
    );
}
