//! `fix`'s writes: many files replaced at once, each atomically; none through a symbolic link that
//! leaves the repository, none that is read-only, none that changed since it was read.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::convert::Infallible;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use tempfile::TempPath;

use super::{
    context, file_name, flush_file_system, holds, open_holding, parent_dir, stage, sync_dir,
    write_target, Flush, TEMP_SUFFIX,
};

/// Why `fix` left a file as it was.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplaceError {
    #[error("it is a symbolic link to `{}`, outside the repository; not written through", .0.display())]
    LinkOutsideRoot(PathBuf),
    #[error("it is read-only")]
    ReadOnly,
    #[error("it changed on disk after imagelock read it; run imagelock again")]
    ChangedSinceRead,
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// One file for [`replace_all_checked`]: what imagelock read from `path`, and what replaces it.
#[derive(Debug, Clone)]
pub struct Replacement<'a> {
    pub path: PathBuf,
    pub expected: &'a [u8],
    pub new: Cow<'a, [u8]>,
}

/// [`replace_all_checked`] for one file.
#[cfg(test)]
pub fn replace_checked(
    root: &Path,
    path: &Path,
    expected: &[u8],
    new: &[u8],
) -> Result<bool, ReplaceError> {
    let file = Replacement {
        path: path.to_path_buf(),
        expected,
        new: new.into(),
    };
    let mut results = replace_all_checked(root, &[file]);
    results.pop().unwrap_or(Ok(false))
}

/// Replace each file that imagelock read as `expected` with `new`, atomically; one result per
/// file, `Ok(false)` when there was nothing to change.
///
/// In three steps, so that the disk is waited for once per batch rather than twice per file: the
/// new contents go to temporary files, a batch at a time, each batch flushed to disk together
/// (one `syncfs` on Linux, else file by file); then each temporary file of a flushed batch is
/// renamed over its target, after a last look at the target, while the next batch is staged;
/// then all renames are flushed together (else directory by directory). The temporary files are
/// staged in the repository's `.git` directory when it is on the target's file system, so an
/// interrupted run leaves nothing in the work tree; without one, each file is renamed as soon as
/// it is staged.
pub fn replace_all_checked(
    root: &Path,
    files: &[Replacement<'_>],
) -> Vec<Result<bool, ReplaceError>> {
    replace_all_made(root, files, |file| Ok::<_, Infallible>(file.clone()))
        .into_iter()
        .map(|result| match result {
            Ok(result) => result,
            Err(never) => match never {},
        })
        .collect()
}

/// [`replace_all_checked`] with each file's replacement made on the way by `make` (or why there
/// is none, passed on as it is), a batch at a time: making one batch overlaps the renames of the
/// batch before.
pub fn replace_all_made<'a, T: Sync, E: Send>(
    root: &Path,
    items: &'a [T],
    make: impl Fn(&'a T) -> Result<Replacement<'a>, E> + Sync,
) -> Vec<Result<Result<bool, ReplaceError>, E>> {
    // References that live as long as `items`, for `make` (`par` lends shorter ones).
    let items: Vec<&'a T> = items.iter().collect();
    let root = match fs_err::canonicalize(root) {
        Ok(root) => root,
        Err(err) => {
            return crate::par::map(&items, |item| {
                make(item).map(|_| Err(io::Error::new(err.kind(), err.to_string()).into()))
            })
        }
    };
    let staging = Staging::find(&root);
    let size = items
        .len()
        .div_ceil(items.len().div_ceil(BATCH).clamp(1, MAX_BATCHES));
    let renamed: Vec<Result<Result<Done, ReplaceError>, E>> = std::thread::scope(|scope| {
        let (batches, staged_batches) = mpsc::channel::<Vec<Made<'a, E>>>();
        let count = items.len();
        let renamer = scope.spawn(move || {
            let mut done = Vec::with_capacity(count);
            for batch in staged_batches {
                done.extend(rename_batch(batch));
            }
            done
        });
        for chunk in items.chunks(size.max(1)) {
            // Made on every core (work for the CPU), then staged on more threads than cores
            // (each waits for the disk).
            let made = crate::par::map(chunk, |item: &&'a T| make(item));
            let mut staged = crate::par::map_io_owned(made, |made| -> Made<'a, E> {
                let file = made?;
                Ok((stage_one(&root, staging.as_ref(), &file), file.expected))
            });
            if let Some(staging) = &staging {
                let mut waiting: Vec<_> = (staged.iter_mut())
                    .filter_map(|made| made.as_mut().ok().map(|(staged, _)| staged))
                    .collect();
                flush_staged(&staging.dir, &mut waiting);
            }
            // Fails only if the renamer panicked, which `join` passes on.
            let _ = batches.send(staged);
        }
        drop(batches);
        renamer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    });
    let mut dirs = BTreeSet::new();
    let mut staged_dirs = BTreeSet::new();
    let results = renamed
        .into_iter()
        .map(|done| {
            Ok(match done? {
                Err(err) => Err(err),
                Ok(Done::Unchanged) => Ok(false),
                Ok(Done::Renamed(dir)) => {
                    dirs.insert(dir);
                    Ok(true)
                }
                Ok(Done::Staged(dir)) => {
                    staged_dirs.insert(dir);
                    Ok(true)
                }
            })
        })
        .collect();
    // The renames made durable: with one flush of the staging directory's file system when it
    // can, else one flush per directory (never one per file).
    match &staging {
        Some(staging) if !staged_dirs.is_empty() && flush_file_system(&staging.dir).is_ok() => {}
        _ => dirs.append(&mut staged_dirs),
    }
    let dirs: Vec<PathBuf> = dirs.into_iter().collect();
    crate::par::map_io(&dirs, |dir| sync_dir(dir));
    results
}

/// Files are staged, flushed and renamed in batches of at least this many, in at most
/// [`MAX_BATCHES`]: the renames of one batch, and the freeing of the files they replace (on a
/// file system mounted with `discard` and no journal, a discard request each, some 80 µs),
/// overlap the staging and flushing of the next.
const BATCH: usize = 512;
const MAX_BATCHES: usize = 8;

/// A file of a batch once staged, with what its target held when read; or why it has no
/// replacement.
type Made<'a, E> = Result<(Result<Staged, ReplaceError>, &'a [u8]), E>;

/// The renames of one staged and flushed batch, each after a last look at its target, on every
/// core: one thread would wait for each file's open, read and rename in turn.
fn rename_batch<E: Send>(batch: Vec<Made<'_, E>>) -> Vec<Result<Result<Done, ReplaceError>, E>> {
    crate::par::map_io_owned(batch, |made| {
        let (staged, expected) = made?;
        Ok(staged.and_then(|staged| match staged {
            Staged::Unchanged => Ok(Done::Unchanged),
            Staged::Renamed(dir) => Ok(Done::Renamed(dir)),
            Staged::Ready(target, tmp) => {
                rename_checked(tmp, &target, expected)?;
                Ok(Done::Staged(parent_dir(&target).to_path_buf()))
            }
        }))
    })
}

/// Flush the files staged with [`Flush::Later`]: with one flush of the file system, or, where
/// that fails, file by file.
fn flush_staged(staging: &Path, staged: &mut [&mut Result<Staged, ReplaceError>]) {
    let waiting = |s: &Result<Staged, ReplaceError>| matches!(s, Ok(Staged::Ready(..)));
    if !staged.iter().any(|s| waiting(s)) || flush_file_system(staging).is_ok() {
        return;
    }
    for slot in staged.iter_mut() {
        if let Ok(Staged::Ready(_, tmp)) = &**slot {
            let path: &Path = tmp;
            if let Err(err) = fs_err::File::open(path).and_then(|f| f.sync_all()) {
                **slot = Err(context(err, "flush", path).into());
            }
        }
    }
}

/// A file once renamed: the directory to flush, by the way it was staged.
enum Done {
    Unchanged,
    Renamed(PathBuf),
    Staged(PathBuf),
}

enum Staged {
    Unchanged,
    /// Staged in `.git`, to be renamed over the path.
    Ready(PathBuf, TempPath),
    /// Already renamed; the directory to flush.
    Renamed(PathBuf),
}

fn stage_one(
    root: &Path,
    staging: Option<&Staging>,
    file: &Replacement<'_>,
) -> Result<Staged, ReplaceError> {
    // The path's own metadata is the target's unless it is a link (one look, not two).
    let (target, meta) = match fs_err::symlink_metadata(&file.path)? {
        meta if !meta.file_type().is_symlink() => (file.path.clone(), meta),
        _ => {
            let target = write_target(&file.path)?;
            if !target.starts_with(root) {
                return Err(ReplaceError::LinkOutsideRoot(target));
            }
            let meta = fs_err::metadata(&target)?;
            (target, meta)
        }
    };
    if meta.permissions().readonly() {
        return Err(ReplaceError::ReadOnly);
    }
    if file.expected == &*file.new {
        if !holds(&target, file.expected)? {
            return Err(ReplaceError::ChangedSinceRead);
        }
        return Ok(Staged::Unchanged);
    }
    // Whether the file changed since it was read is checked once, right before its rename.
    let dir = parent_dir(&target).to_path_buf();
    match staging.filter(|s| s.holds(&meta)) {
        Some(staging) => {
            // Flushed with all the others, before any is renamed.
            let name = file_name(&target)?;
            let tmp = match stage_near(&dir, &staging.dir, name, &file.new, &meta) {
                Some(tmp) => tmp,
                None => stage(name, &staging.dir, &file.new, Some(&meta), Flush::Later)?
                    .into_temp_path(),
            };
            Ok(Staged::Ready(target, tmp))
        }
        None => {
            let tmp = stage(
                file_name(&target)?,
                &dir,
                &file.new,
                Some(&meta),
                Flush::Now,
            )?;
            rename_checked(tmp.into_temp_path(), &target, file.expected)?;
            Ok(Staged::Renamed(dir))
        }
    }
}

/// Rename `tmp` over `target` unless `target` no longer holds `expected`. A dropped `tmp` is
/// deleted.
fn rename_checked(tmp: TempPath, target: &Path, expected: &[u8]) -> Result<(), ReplaceError> {
    // Open across the rename: the file it replaces is freed when it is closed, after the rename,
    // not inside it. A rename from another directory (the staging directory) holds the file
    // system's one lock for such renames, and freeing a file can wait for the disk (a discard
    // request of its own where the file system is mounted with `discard`): freed inside, the
    // renames went one at a time.
    let Some(old) = open_holding(target, expected)? else {
        return Err(ReplaceError::ChangedSinceRead);
    };
    tmp.persist(target)
        .map_err(|e| context(e.error, "replace", target))?;
    drop(old);
    Ok(())
}

/// Stage `contents` as an unnamed file in `dir` (`O_TMPFILE`), then give it a name in `staging`.
/// The inode is allocated beside the file it replaces, as a temporary file in `dir` would be: a
/// staging directory that allocated them all drew every rewritten file into one block group,
/// where after a few runs ext4 spent most of `fix` scanning recently freed inodes. A run killed
/// before the link leaves nothing; after it, a name in `staging` only. `None` where the file
/// system or the kernel cannot (the caller stages in `staging` instead).
#[cfg(target_os = "linux")]
fn stage_near(
    dir: &Path,
    staging: &Path,
    name: &std::ffi::OsStr,
    contents: &[u8],
    meta: &std::fs::Metadata,
) -> Option<TempPath> {
    use std::io::Write as _;
    use std::os::fd::AsRawFd as _;
    use std::os::unix::fs::PermissionsExt as _;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use rustix::fs::{linkat, openat, AtFlags, Mode, OFlags, CWD};

    static NEXT: AtomicUsize = AtomicUsize::new(0);
    // `process::id` asks the kernel each time.
    static PID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    let pid = *PID.get_or_init(std::process::id);
    let mode = meta.permissions().mode() & 0o7777;
    let fd = openat(
        CWD,
        dir,
        OFlags::TMPFILE | OFlags::WRONLY | OFlags::CLOEXEC,
        Mode::from_raw_mode(mode),
    )
    .ok()?;
    let mut file = std::fs::File::from(fd);
    file.write_all(contents).ok()?;
    // The umask applied at creation: set the exact bits, unless it cleared none of them.
    if umask().is_none_or(|umask| mode & umask != 0) {
        file.set_permissions(std::fs::Permissions::from_mode(mode))
            .ok()?;
    }
    // Linking by descriptor (`AT_EMPTY_PATH`) needs a capability; through /proc it does not.
    let proc_path = format!("/proc/self/fd/{}", file.as_raw_fd());
    for _ in 0..8 {
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(
            ".{pid}-{}{TEMP_SUFFIX}",
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let path = staging.join(temp_name);
        match linkat(CWD, proc_path.as_str(), CWD, &path, AtFlags::SYMLINK_FOLLOW) {
            Ok(()) => {
                return TempPath::try_from_path(&path)
                    .inspect_err(|_| {
                        let _ = fs_err::remove_file(&path);
                    })
                    .ok()
            }
            Err(rustix::io::Errno::EXIST) => continue,
            Err(_) => return None,
        }
    }
    None
}

/// The process's umask, as the kernel reports it (`/proc/self/status`, Linux 4.7 and later), read
/// once: asking with `umask(2)` means setting it, which races with threads creating files.
#[cfg(target_os = "linux")]
fn umask() -> Option<u32> {
    static UMASK: std::sync::OnceLock<Option<u32>> = std::sync::OnceLock::new();
    *UMASK.get_or_init(|| {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find_map(|l| l.strip_prefix("Umask:"))?;
        u32::from_str_radix(line.trim(), 8).ok()
    })
}

#[cfg(not(target_os = "linux"))]
fn stage_near(
    _dir: &Path,
    _staging: &Path,
    _name: &std::ffi::OsStr,
    _contents: &[u8],
    _meta: &std::fs::Metadata,
) -> Option<TempPath> {
    None
}

/// `<git dir>/imagelock-tmp`, where temporary files wait for their rename.
pub(super) struct Staging {
    pub(super) dir: PathBuf,
    #[cfg(unix)]
    device: u64,
}

/// A temporary file older than this was left by a run that was killed: no run takes this long.
const STALE_AFTER: Duration = Duration::from_secs(3600);

impl Staging {
    /// The staging directory of the repository at `root`, created when missing; `None` outside
    /// a repository or when it cannot be created.
    #[cfg(unix)]
    pub(super) fn find(root: &Path) -> Option<Self> {
        use std::os::unix::fs::MetadataExt as _;
        let dir = git_dir(root)?.join("imagelock-tmp");
        fs_err::create_dir_all(&dir).ok()?;
        let device = fs_err::metadata(&dir).ok()?.dev();
        sweep(&dir);
        Some(Self { dir, device })
    }

    /// Elsewhere no staging: files are staged beside their targets.
    #[cfg(not(unix))]
    pub(super) fn find(_: &Path) -> Option<Self> {
        None
    }

    /// Whether a file with `meta` can be renamed from here: the same file system.
    #[cfg(unix)]
    pub(super) fn holds(&self, meta: &std::fs::Metadata) -> bool {
        use std::os::unix::fs::MetadataExt as _;
        meta.dev() == self.device
    }

    #[cfg(not(unix))]
    pub(super) fn holds(&self, _: &std::fs::Metadata) -> bool {
        false
    }
}

/// `.git` as a directory, or the directory a `.git` file (`gitdir: …`, in linked work trees and
/// submodules) names.
fn git_dir(root: &Path) -> Option<PathBuf> {
    let dot_git = root.join(".git");
    let meta = fs_err::symlink_metadata(&dot_git).ok()?;
    if meta.is_dir() {
        return Some(dot_git);
    }
    let text = fs_err::read_to_string(&dot_git).ok()?;
    let named = text.lines().next()?.strip_prefix("gitdir:")?.trim();
    let dir = root.join(named);
    dir.is_dir().then_some(dir)
}

/// Remove the temporary files of killed runs. Best effort: a file another run is using is young.
fn sweep(dir: &Path) {
    let Ok(entries) = fs_err::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let stale = entry.file_name().to_string_lossy().ends_with(TEMP_SUFFIX)
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| now.duration_since(t).is_ok_and(|age| age > STALE_AFTER));
        if stale {
            let _ = fs_err::remove_file(entry.path());
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;
    use crate::fs::tests::entries;

    #[test]
    fn refuses_a_file_that_changed_since_it_was_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        fs_err::write(&path, b"new on disk\n").unwrap();
        let err = replace_checked(dir.path(), &path, b"what we read\n", b"ours\n").unwrap_err();
        assert!(matches!(err, ReplaceError::ChangedSinceRead), "{err}");
        assert_eq!(fs_err::read(&path).unwrap(), b"new on disk\n");
        assert!(replace_checked(dir.path(), &path, b"new on disk\n", b"ours\n").unwrap());
        assert_eq!(fs_err::read(&path).unwrap(), b"ours\n");
        assert_eq!(entries(dir.path()), ["a.yaml"]);
    }

    #[test]
    fn replaces_many_each_on_its_own_merits() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        fs_err::create_dir_all(root.join(".git")).unwrap();
        fs_err::create_dir_all(root.join("apps/a")).unwrap();
        for (name, text) in [
            ("apps/a/one.yaml", "one\n"),
            ("apps/a/two.yaml", "two\n"),
            ("three.yaml", "three\n"),
            ("same.yaml", "same\n"),
            ("ro.yaml", "ro\n"),
        ] {
            fs_err::write(root.join(name), text).unwrap();
        }
        fs_err::set_permissions(root.join("ro.yaml"), std::fs::Permissions::from_mode(0o444))
            .unwrap();
        fs_err::set_permissions(
            root.join("apps/a/two.yaml"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
        let files = [
            ("apps/a/one.yaml", "one\n", "ONE\n"),
            ("apps/a/two.yaml", "two\n", "TWO\n"),
            ("three.yaml", "changed by someone else\n", "THREE\n"),
            ("same.yaml", "same\n", "same\n"),
            ("ro.yaml", "ro\n", "RO\n"),
        ]
        .map(|(name, expected, new)| Replacement {
            path: root.join(name),
            expected: expected.as_bytes(),
            new: new.as_bytes().into(),
        });
        let results = replace_all_checked(root, &files);
        assert!(matches!(results[0], Ok(true)));
        assert!(matches!(results[1], Ok(true)));
        assert!(matches!(results[2], Err(ReplaceError::ChangedSinceRead)));
        assert!(matches!(results[3], Ok(false)));
        assert!(matches!(results[4], Err(ReplaceError::ReadOnly)));
        let read = |name: &str| fs_err::read_to_string(root.join(name)).unwrap();
        assert_eq!(read("apps/a/one.yaml"), "ONE\n");
        assert_eq!(read("apps/a/two.yaml"), "TWO\n");
        assert_eq!(read("three.yaml"), "three\n");
        assert_eq!(read("ro.yaml"), "ro\n");
        let mode = fs_err::metadata(root.join("apps/a/two.yaml"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o7777, 0o600);
        // Nothing left behind: not in the tree, not in the staging directory.
        assert_eq!(entries(&root.join("apps/a")), ["one.yaml", "two.yaml"]);
        assert_eq!(
            entries(root),
            [".git", "apps", "ro.yaml", "same.yaml", "three.yaml"]
        );
        assert!(entries(&root.join(".git/imagelock-tmp")).is_empty());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn replaces_batch_after_batch_in_order() {
        // More files than one batch holds: several batches, their results in the files' order,
        // each file on its own merits whichever batch it falls in.
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        fs_err::create_dir_all(root.join(".git")).unwrap();
        let n = BATCH * 2 + 37;
        let mut expected = Vec::new();
        let mut new = Vec::new();
        for i in 0..n {
            let dir = root.join(format!("d{}", i % 7));
            fs_err::create_dir_all(&dir).unwrap();
            // Every 100th file changed on disk after it was read; every 150th is the same.
            let on_disk = if i % 100 == 99 {
                format!("changed {i}\n")
            } else {
                format!("old {i}\n")
            };
            fs_err::write(dir.join(format!("f{i}.yaml")), on_disk).unwrap();
            expected.push(format!("old {i}\n"));
            new.push(if i % 150 == 149 {
                format!("old {i}\n")
            } else {
                format!("new {i}\n")
            });
        }
        let files: Vec<Replacement<'_>> = (0..n)
            .map(|i| Replacement {
                path: root.join(format!("d{}/f{i}.yaml", i % 7)),
                expected: expected[i].as_bytes(),
                new: new[i].as_bytes().into(),
            })
            .collect();
        let results = replace_all_checked(root, &files);
        assert_eq!(results.len(), n);
        for (i, result) in results.iter().enumerate() {
            let text = fs_err::read_to_string(&files[i].path).unwrap();
            if i % 100 == 99 {
                assert!(matches!(result, Err(ReplaceError::ChangedSinceRead)), "{i}");
                assert_eq!(text, format!("changed {i}\n"));
            } else if i % 150 == 149 {
                assert!(matches!(result, Ok(false)), "{i}");
                assert_eq!(text, format!("old {i}\n"));
            } else {
                assert!(matches!(result, Ok(true)), "{i}");
                assert_eq!(text, format!("new {i}\n"));
            }
        }
        assert!(entries(&root.join(".git/imagelock-tmp")).is_empty());
        assert_eq!(entries(&root.join("d0")).len(), n.div_ceil(7));
    }

    #[test]
    fn made_on_the_way_passes_on_why_a_file_has_no_replacement() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        fs_err::create_dir_all(root.join(".git")).unwrap();
        let n = BATCH + 41;
        for i in 0..n {
            fs_err::write(root.join(format!("f{i}.yaml")), format!("old {i}\n")).unwrap();
        }
        let items: Vec<(usize, String)> = (0..n).map(|i| (i, format!("old {i}\n"))).collect();
        let results = replace_all_made(root, &items, |(i, expected)| {
            if i % 97 == 3 {
                return Err(format!("no replacement for {i}"));
            }
            Ok(Replacement {
                path: root.join(format!("f{i}.yaml")),
                expected: expected.as_bytes(),
                new: format!("new {i}\n").into_bytes().into(),
            })
        });
        assert_eq!(results.len(), n);
        for (i, result) in results.into_iter().enumerate() {
            let text = fs_err::read_to_string(root.join(format!("f{i}.yaml"))).unwrap();
            if i % 97 == 3 {
                assert_eq!(result.unwrap_err(), format!("no replacement for {i}"));
                assert_eq!(text, format!("old {i}\n"));
            } else {
                assert!(matches!(result, Ok(Ok(true))), "{i}");
                assert_eq!(text, format!("new {i}\n"));
            }
        }
        assert!(entries(&root.join(".git/imagelock-tmp")).is_empty());
    }

    #[test]
    fn stages_an_unnamed_file_beside_the_target_and_names_it_in_staging() {
        use std::os::unix::fs::MetadataExt as _;
        let root = tempfile::tempdir().unwrap();
        let (dir, staging) = (root.path().join("apps"), root.path().join("staging"));
        fs_err::create_dir_all(&dir).unwrap();
        fs_err::create_dir_all(&staging).unwrap();
        let target = dir.join("a.yaml");
        fs_err::write(&target, "old\n").unwrap();
        fs_err::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
        let meta = fs_err::metadata(&target).unwrap();
        let Some(tmp) = stage_near(&dir, &staging, "a.yaml".as_ref(), b"new\n", &meta) else {
            // A file system without O_TMPFILE: the caller stages in `staging` instead.
            return;
        };
        assert_eq!(tmp.parent(), Some(staging.as_path()));
        assert!(tmp.to_string_lossy().ends_with(TEMP_SUFFIX));
        assert_eq!(fs_err::read(&*tmp).unwrap(), b"new\n");
        let staged = fs_err::metadata(&*tmp).unwrap();
        assert_eq!(staged.mode() & 0o7777, 0o640);
        assert_eq!(entries(&dir), ["a.yaml"], "nothing named beside the target");
        rename_checked(tmp, &target, b"old\n").unwrap();
        assert_eq!(fs_err::read(&target).unwrap(), b"new\n");
        assert!(entries(&staging).is_empty());
    }

    /// The creation mode is kept whether or not the umask cleared some of its bits (then only
    /// is it set again).
    #[cfg(target_os = "linux")]
    #[test]
    fn staged_files_keep_the_mode_whatever_the_umask() {
        use std::os::unix::fs::MetadataExt as _;
        assert!(
            umask().is_some(),
            "the umask is read from /proc/self/status"
        );
        let root = tempfile::tempdir().unwrap();
        let (dir, staging) = (root.path().join("apps"), root.path().join("staging"));
        fs_err::create_dir_all(&dir).unwrap();
        fs_err::create_dir_all(&staging).unwrap();
        for mode in [0o600, 0o644, 0o664, 0o666, 0o755, 0o777] {
            let target = dir.join("a.yaml");
            fs_err::write(&target, "old\n").unwrap();
            fs_err::set_permissions(&target, std::fs::Permissions::from_mode(mode)).unwrap();
            let meta = fs_err::metadata(&target).unwrap();
            let Some(tmp) = stage_near(&dir, &staging, "a.yaml".as_ref(), b"new\n", &meta) else {
                return;
            };
            assert_eq!(
                fs_err::metadata(&*tmp).unwrap().mode() & 0o7777,
                mode,
                "{mode:o}"
            );
            rename_checked(tmp, &target, b"old\n").unwrap();
        }
    }

    #[test]
    fn stages_in_the_git_dir_a_git_file_names() {
        let top = tempfile::tempdir().unwrap();
        let gitdir = top.path().join("store/worktrees/wt");
        fs_err::create_dir_all(&gitdir).unwrap();
        let root = top.path().join("wt");
        fs_err::create_dir_all(&root).unwrap();
        fs_err::write(root.join(".git"), "gitdir: ../store/worktrees/wt\n").unwrap();
        assert_eq!(git_dir(&root).unwrap(), root.join("../store/worktrees/wt"));
        assert!(Staging::find(&root).is_some());
        assert!(gitdir.join("imagelock-tmp").is_dir());
    }

    #[test]
    fn sweeps_only_stale_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join(format!(".a.yaml.x1{TEMP_SUFFIX}"));
        let young = dir.path().join(format!(".b.yaml.x2{TEMP_SUFFIX}"));
        let other = dir.path().join("keep-me");
        for path in [&old, &young, &other] {
            fs_err::write(path, "x").unwrap();
        }
        let long_ago = SystemTime::now() - 2 * STALE_AFTER;
        for path in [&old, &other] {
            std::fs::File::options()
                .write(true)
                .open(path)
                .unwrap()
                .set_modified(long_ago)
                .unwrap();
        }
        sweep(dir.path());
        assert_eq!(
            entries(dir.path()),
            [format!(".b.yaml.x2{TEMP_SUFFIX}"), "keep-me".to_string()]
        );
    }
}
