//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

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

/// The fixture cases below `testdata/DIR`: each directory with an `in/`, sorted; at least
/// `min` of them.
pub fn case_dirs(dir: &str, min: usize) -> Vec<PathBuf> {
    let dir = testdata().join(dir);
    let mut cases: Vec<_> = fs_err::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("in").is_dir())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= min,
        "fixture cases are missing in {}",
        dir.display()
    );
    cases
}

/// A fixture case's `in/` copied into a temporary repository, and its files before any run.
pub struct CaseRepo {
    /// The case's directory name.
    pub name: String,
    /// Removes the copy when dropped.
    pub tmp: tempfile::TempDir,
    pub repo: PathBuf,
    pub before: std::collections::BTreeMap<String, Vec<u8>>,
}

impl CaseRepo {
    pub fn of(case: &Path) -> Self {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("repo");
        copy_tree(&case.join("in"), &repo);
        let before = read_tree(&repo);
        Self {
            name,
            tmp,
            repo,
            before,
        }
    }
}

/// That `repo` holds `before` with the files of `out` (when it exists) over it, byte for byte.
pub fn assert_tree_after(
    name: &str,
    what: &str,
    repo: &Path,
    before: &std::collections::BTreeMap<String, Vec<u8>>,
    out: &Path,
) {
    let mut expected = before.clone();
    if out.is_dir() {
        expected.extend(read_tree(out));
    }
    let after = read_tree(repo);
    for (file, bytes) in &expected {
        let got = after.get(file).map(Vec::as_slice).unwrap_or_default();
        assert!(
            got == bytes.as_slice(),
            "{name}: {file} after {what} differs:\n--- expected\n{}\n--- got\n{}",
            String::from_utf8_lossy(bytes),
            String::from_utf8_lossy(got)
        );
    }
    assert_eq!(
        after.len(),
        expected.len(),
        "{name}: {what} created or removed files"
    );
}

/// Every file below `dir` by its `/`-separated path relative to `dir`, with its bytes.
pub fn read_tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    walk(dir)
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, fs_err::read(&p).unwrap())
        })
        .collect()
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

/// When a SIGKILL lands in a run of imagelock (see [`kill_run`]).
#[derive(Clone, Copy, Debug)]
pub enum Kill {
    /// This long after the spawn.
    After(Duration),
    /// This long after the test's probe first sees the moment it watches for (a temporary file
    /// staged, the first rename), however long the run takes to get there.
    AfterProbe(Duration),
}

/// Kill `child` at `kill`, then reap it; `probe` is polled for [`Kill::AfterProbe`]. Returns
/// whether the probe saw its moment before the kill (false for [`Kill::After`], and when the run
/// ended first).
pub fn kill_run(mut child: Child, kill: Kill, probe: impl Fn() -> bool) -> bool {
    let seen = match kill {
        Kill::After(delay) => {
            std::thread::sleep(delay);
            false
        }
        Kill::AfterProbe(delay) => {
            let give_up = Instant::now() + Duration::from_secs(60);
            let seen = loop {
                if probe() {
                    break true;
                }
                if matches!(child.try_wait(), Ok(Some(_))) || Instant::now() > give_up {
                    break probe();
                }
                std::thread::yield_now();
            };
            if seen {
                std::thread::sleep(delay);
            }
            seen
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    seen
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
/// Stdout holds `needle`.
pub fn assert_stdout(run: &Run, needle: &str) {
    assert!(
        run.stdout.contains(needle),
        "stdout lacks {needle:?}:\n{}",
        run.stdout
    );
}

pub fn assert_stderr(run: &Run, needle: &str) {
    assert!(
        run.stderr.contains(needle) || flat(&run.stderr).contains(needle),
        "stderr lacks {needle:?}:\n{}",
        run.stderr
    );
}

/// Run `git` in `dir` with no system configuration, `global` as the global one, a fixed
/// identity and `date` as author and committer date; its trimmed stdout.
pub fn git_at(dir: &Path, global: &Path, date: &str, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", global)
        .env("GIT_AUTHOR_NAME", "imagelock tests")
        .env("GIT_AUTHOR_EMAIL", "tests@imagelock.invalid")
        .env("GIT_COMMITTER_NAME", "imagelock tests")
        .env("GIT_COMMITTER_EMAIL", "tests@imagelock.invalid")
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}
