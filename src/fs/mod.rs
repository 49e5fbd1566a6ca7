//! File-system access for the whole crate: thin wrappers over `fs-err` (errors name the path)
//! and the one atomic writer.

mod replace;

pub use replace::{replace_all_checked, replace_all_made, ReplaceError, Replacement};

use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};

#[cfg(test)]
use fs_err::{canonicalize, metadata, read_dir, symlink_metadata};
pub use fs_err::{read, read_to_string};

/// Write `contents` to `path` atomically, unless the file already holds exactly `contents`.
///
/// Returns `Ok(false)` and touches nothing (not even the modification time) when the bytes on
/// disk are equal. Otherwise the bytes go to a temporary file in the target's directory, which
/// gets the original file's permission bits, is flushed to disk and renamed over the target.
/// A symlink is followed to its target's real path and the target is written: the link itself
/// stays. A dangling symlink is an error. A new file gets the usual `0o666` less the umask.
pub fn write_atomic_if_changed(path: &Path, contents: &[u8]) -> io::Result<bool> {
    let target = write_target(path)?;
    let existing = match fs_err::metadata(&target) {
        Ok(meta) => Some(meta),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    if let Some(meta) = &existing {
        if meta.is_file() && meta.len() == contents.len() as u64 && holds(&target, contents)? {
            return Ok(false);
        }
    }
    write_atomic_via(&target, contents)
}

/// Whether the file at `path` holds exactly `expected`: read into a buffer one byte longer, with
/// no look at its metadata first (`fs::read` asks for the size twice).
pub(super) fn holds(path: &Path, expected: &[u8]) -> io::Result<bool> {
    Ok(open_holding(path, expected)?.is_some())
}

/// [`holds`], keeping the file open when it does.
pub(super) fn open_holding(path: &Path, expected: &[u8]) -> io::Result<Option<fs_err::File>> {
    let mut file = fs_err::File::open(path)?;
    let mut buf = vec![0; expected.len() + 1];
    let mut len = 0;
    while len < buf.len() {
        match file.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok((&buf[..len] == expected).then_some(file))
}

/// Write `contents` over `target` through a temporary file: in the staging directory of the git
/// repository holding `target` when there is one on the same file system, so that a run killed
/// before the rename leaves nothing beside the file; else in `target`'s directory.
fn write_atomic_via(target: &Path, contents: &[u8]) -> io::Result<bool> {
    let dir = parent_dir(target);
    let existing = fs_err::metadata(target).ok();
    let staging = repository_of(dir)
        .and_then(|root| replace::Staging::find(&root))
        .filter(|s| fs_err::metadata(dir).is_ok_and(|m| s.holds(&m)));
    let tmp = stage(
        file_name(target)?,
        staging.as_ref().map_or(dir, |s| &s.dir),
        contents,
        existing.as_ref(),
        Flush::Now,
    )?;
    tmp.persist(target)
        .map_err(|e| context(e.error, "replace", target))?;
    sync_dir(dir);
    Ok(true)
}

/// The closest directory at or above `dir` that holds a `.git` entry.
fn repository_of(dir: &Path) -> Option<PathBuf> {
    let dir = fs_err::canonicalize(dir).ok()?;
    dir.ancestors()
        .find(|d| fs_err::symlink_metadata(d.join(".git")).is_ok())
        .map(Path::to_path_buf)
}

fn file_name(target: &Path) -> io::Result<&std::ffi::OsStr> {
    target.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("`{}` does not name a file", target.display()),
        )
    })
}

fn parent_dir(target: &Path) -> &Path {
    match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Whether [`stage`] flushes the file to disk, or the caller flushes the whole file system later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flush {
    Now,
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    Later,
}

/// A temporary file in `staging` holding `contents`, with `existing`'s permission bits (or a new
/// file's): once flushed, ready to be renamed over the file named `file_name`.
fn stage(
    file_name: &std::ffi::OsStr,
    staging: &Path,
    contents: &[u8],
    existing: Option<&std::fs::Metadata>,
    flush: Flush,
) -> io::Result<tempfile::NamedTempFile> {
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(file_name);
    prefix.push(".");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(TEMP_SUFFIX);
    #[cfg(unix)]
    if existing.is_none() {
        use std::os::unix::fs::PermissionsExt as _;
        // Applied at creation, so the umask applies as for any new file.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder
        .tempfile_in(staging)
        .map_err(|e| context(e, "create a temporary file in", staging))?;

    tmp.write_all(contents)
        .map_err(|e| context(e, "write", tmp.path()))?;
    if let Some(meta) = existing {
        let perms = meta.permissions();
        #[cfg(unix)]
        let perms = {
            use std::os::unix::fs::PermissionsExt as _;
            let mut perms = perms;
            perms.set_mode(perms.mode() & 0o7777);
            perms
        };
        tmp.as_file()
            .set_permissions(perms)
            .map_err(|e| context(e, "set permissions on", tmp.path()))?;
    }
    if flush == Flush::Now {
        tmp.as_file()
            .sync_all()
            .map_err(|e| context(e, "flush", tmp.path()))?;
    }
    Ok(tmp)
}

/// How every temporary file imagelock creates ends, so a stale one can be recognised.
const TEMP_SUFFIX: &str = ".imagelock.tmp";

/// The path to write for `path`: itself, or the real path of a symlink's target.
fn write_target(path: &Path) -> io::Result<PathBuf> {
    match fs_err::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => fs_err::canonicalize(path),
        _ => Ok(path.to_path_buf()),
    }
}

/// Make the rename durable. Best effort: not every platform or file system can sync a
/// directory, and the data itself is already on disk.
#[cfg(unix)]
fn sync_dir(dir: &Path) {
    if let Ok(d) = fs_err::File::open(dir) {
        // Best effort, as said: the rename has happened either way.
        d.sync_all().ok();
    }
}

#[cfg(not(unix))]
fn sync_dir(_: &Path) {}

/// Flush every file system buffer of the file system holding `dir` to disk: one wait for many
/// files. Linux only (`syncfs`); elsewhere an error, and the caller flushes file by file.
#[cfg(target_os = "linux")]
fn flush_file_system(dir: &Path) -> io::Result<()> {
    let d = fs_err::File::open(dir)?;
    rustix::fs::syncfs(d.file()).map_err(|e| context(e.into(), "flush the file system of", dir))
}

#[cfg(not(target_os = "linux"))]
fn flush_file_system(_: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

fn context(err: io::Error, action: &str, path: &Path) -> io::Error {
    io::Error::new(
        err.kind(),
        format!("failed to {action} `{}`: {err}", path.display()),
    )
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    use std::time::Duration;

    use super::*;

    /// The names in `dir`, sorted.
    pub(super) fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writes_new_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.yaml");
        assert!(write_atomic_if_changed(&path, b"a: 1\n").unwrap());
        assert_eq!(read(&path).unwrap(), b"a: 1\n");
        assert_eq!(entries(dir.path()), ["new.yaml"]);
        // Never more permissive than a normal new file.
        let mode = metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & !0o666, 0, "mode {mode:o}");
        assert_ne!(mode & 0o600, 0, "mode {mode:o}");
    }

    #[test]
    fn keeps_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.yaml");
        fs_err::write(&path, b"old\n").unwrap();
        fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert!(write_atomic_if_changed(&path, b"new\n").unwrap());
        assert_eq!(read_to_string(&path).unwrap(), "new\n");
        assert_eq!(
            metadata(&path).unwrap().permissions().mode() & 0o7777,
            0o640
        );
        assert_eq!(entries(dir.path()), ["m.yaml"]);
    }

    #[test]
    fn keeps_read_only_and_executable_modes() {
        let dir = tempfile::tempdir().unwrap();
        for mode in [0o444, 0o755] {
            let path = dir.path().join(format!("f{mode:o}"));
            fs_err::write(&path, b"old").unwrap();
            fs_err::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            assert!(write_atomic_if_changed(&path, b"new").unwrap());
            assert_eq!(read(&path).unwrap(), b"new");
            assert_eq!(metadata(&path).unwrap().permissions().mode() & 0o7777, mode);
        }
    }

    #[test]
    fn unchanged_content_is_not_touched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("same.yaml");
        fs_err::write(&path, b"same\r\n").unwrap();
        let before = metadata(&path).unwrap();
        std::thread::sleep(Duration::from_millis(30));
        assert!(!write_atomic_if_changed(&path, b"same\r\n").unwrap());
        let after = metadata(&path).unwrap();
        assert_eq!(before.modified().unwrap(), after.modified().unwrap());
        assert_eq!(before.ino(), after.ino());
        assert_eq!(entries(dir.path()), ["same.yaml"]);
    }

    #[test]
    fn same_length_different_content_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.yaml");
        fs_err::write(&path, b"abc").unwrap();
        assert!(write_atomic_if_changed(&path, b"abd").unwrap());
        assert_eq!(read(&path).unwrap(), b"abd");
    }

    #[test]
    fn writes_through_symlink_without_replacing_it() {
        let dir = tempfile::tempdir().unwrap();
        let real_dir = dir.path().join("real");
        fs_err::create_dir(&real_dir).unwrap();
        let target = real_dir.join("target.yaml");
        fs_err::write(&target, b"old\n").unwrap();
        fs_err::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.path().join("link.yaml");
        std::os::unix::fs::symlink("real/target.yaml", &link).unwrap();

        assert!(write_atomic_if_changed(&link, b"new\n").unwrap());
        assert!(symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(
            fs_err::read_link(&link).unwrap(),
            Path::new("real/target.yaml")
        );
        assert_eq!(read(&target).unwrap(), b"new\n");
        assert_eq!(
            metadata(&target).unwrap().permissions().mode() & 0o7777,
            0o640
        );
        assert_eq!(entries(dir.path()), ["link.yaml", "real"]);
        assert_eq!(entries(&real_dir), ["target.yaml"]);

        // Equal content through the link: nothing written.
        assert!(!write_atomic_if_changed(&link, b"new\n").unwrap());
    }

    #[test]
    fn stages_in_the_repository_holding_the_file() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::create_dir_all(dir.path().join(".git")).unwrap();
        fs_err::create_dir_all(dir.path().join("a/b")).unwrap();
        let root = canonicalize(dir.path()).unwrap();
        assert_eq!(repository_of(&dir.path().join("a/b")), Some(root));
        let path = dir.path().join("a/b/images.lock");
        assert!(write_atomic_if_changed(&path, b"version: 1\n").unwrap());
        assert_eq!(read(&path).unwrap(), b"version: 1\n");
        assert_eq!(entries(&dir.path().join("a/b")), ["images.lock"]);
        assert!(entries(&dir.path().join(".git/imagelock-tmp")).is_empty());
    }

    #[test]
    fn dangling_symlink_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("dangling.yaml");
        std::os::unix::fs::symlink("missing.yaml", &link).unwrap();
        assert!(write_atomic_if_changed(&link, b"x").is_err());
        assert!(symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(entries(dir.path()), ["dangling.yaml"]);
    }
}
