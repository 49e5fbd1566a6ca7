//! The repository: its root and the manifest files in it.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use miette::Diagnostic;
use thiserror::Error;

/// A repository-relative path with `/` separators, as Flux and git print them.
pub type RelPath = String;

#[derive(Debug, Error, Diagnostic)]
#[non_exhaustive]
pub enum WorkspaceError {
    #[error("cannot read the working directory: {0}")]
    #[diagnostic(code(imagelock::io))]
    Cwd(#[source] std::io::Error),
    #[error("root `{}` is not a directory", .0.display())]
    #[diagnostic(code(imagelock::usage))]
    NotADirectory(PathBuf),
    #[error("cannot list the files of the git repository at `{}`: {message}", path.display())]
    #[diagnostic(code(imagelock::git))]
    Git { path: PathBuf, message: String },
    #[error("cannot read `{}`: {source}", path.display())]
    #[diagnostic(code(imagelock::io))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Whether Flux would process a file of this name (case-sensitive, as Flux).
pub fn is_manifest_name(path: &str) -> bool {
    let name = crate::text::file_name(path);
    name.ends_with(".yaml") || name.ends_with(".yml") || name == "Kustomization"
}

/// The opened repository: its root, and the git repository whose work tree holds it, found
/// once per run and handed to whatever needs it (the walk, `fix --commit`).
#[derive(Clone)]
pub struct Workspace {
    pub root: PathBuf,
    repo: Option<gix::ThreadSafeRepository>,
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("root", &self.root)
            .field(
                "git",
                &self.repo.as_ref().map(|r| r.git_dir().to_path_buf()),
            )
            .finish()
    }
}

impl Workspace {
    /// The root: `--root`, else the work tree of the git repository around the working
    /// directory, else the working directory.
    pub fn open(explicit: Option<&Path>) -> Result<Self, WorkspaceError> {
        let cwd = std::env::current_dir().map_err(WorkspaceError::Cwd)?;
        let (root, repo) = match explicit {
            Some(root) => {
                let root = cwd.join(root);
                if !root.is_dir() {
                    return Err(WorkspaceError::NotADirectory(root));
                }
                let repo = gix::discover(&root).ok();
                (root, repo)
            }
            None => match gix::discover(&cwd) {
                Ok(repo) => {
                    let root = repo.workdir().map_or(cwd, Path::to_path_buf);
                    (root, Some(repo))
                }
                Err(_) => (cwd, None),
            },
        };
        Ok(Self {
            root,
            repo: repo
                .filter(|r| r.workdir().is_some())
                .map(gix::Repository::into_sync),
        })
    }

    /// The git repository whose work tree holds the root, if any.
    pub fn repository(&self) -> Option<gix::Repository> {
        self.repo
            .as_ref()
            .map(gix::ThreadSafeRepository::to_thread_local)
    }
}

/// Manifest files under `root`, relative to it and sorted: tracked and untracked-not-ignored
/// files when `root` is inside a git work tree (`.gitignore` honoured), every file otherwise.
/// Hidden directories are walked, as Flux walks them; symlinks to directories are not followed.
#[cfg(test)]
pub fn list_manifests(root: &Path) -> Result<Vec<RelPath>, WorkspaceError> {
    let mut files = Vec::new();
    let workspace = Workspace {
        root: root.to_path_buf(),
        repo: gix::discover(root).ok().map(gix::Repository::into_sync),
    };
    walk_manifests(&workspace, &mut |rel| files.push(rel))?;
    files.sort_unstable();
    files.dedup();
    Ok(files)
}

/// The files of [`list_manifests`], handed to `found` as the walk meets them: in no particular
/// order, and a file may come twice. Lets a caller read files while the walk goes on.
pub(crate) fn walk_manifests(
    workspace: &Workspace,
    found: &mut dyn FnMut(RelPath),
) -> Result<(), WorkspaceError> {
    let root = &workspace.root;
    let mut found = |rel: RelPath| {
        if is_manifest_name(&rel) {
            found(rel);
        }
    };
    match workspace.repository() {
        Some(repo) => walk_git(&repo, root, &mut found),
        None => walk_dir(root, root, &mut found),
    }
}

fn walk_git(
    repo: &gix::Repository,
    root: &Path,
    found: &mut dyn FnMut(RelPath),
) -> Result<(), WorkspaceError> {
    let git_err = |message: String| WorkspaceError::Git {
        path: root.to_path_buf(),
        message,
    };
    let workdir = repo.workdir().unwrap_or(root);
    let workdir = workdir
        .canonicalize()
        .unwrap_or_else(|_| workdir.to_path_buf());
    let root_abs = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let prefix = root_abs
        .strip_prefix(&workdir)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default();
    // Read for the walk alone, not through the repository's shared snapshot, which would keep
    // it (some 130 bytes a tracked file) for the rest of the run; and as git reads it, without
    // verifying its checksum (git checks it only in `git fsck`): hashing a large index costs
    // more than walking it.
    let index = if repo.index_path().exists() {
        let skip_hash = true;
        gix::index::File::at(
            repo.index_path(),
            repo.object_hash(),
            skip_hash,
            gix::index::decode::Options::default(),
        )
        .map_err(|e| git_err(e.to_string()))?
    } else {
        gix::index::File::from_state(
            gix::index::State::new(repo.object_hash()),
            repo.index_path(),
        )
    };
    let options = repo
        .dirwalk_options()
        .map_err(|e| git_err(e.to_string()))?
        .emit_tracked(true)
        .emit_untracked(gix::dir::walk::EmissionMode::Matching)
        .emit_ignored(None)
        .recurse_repositories(false)
        .symlinks_to_directories_are_ignored_like_directories(true)
        .emit_empty_directories(false);
    // No pathspec: gix reads pathspecs relative to the working directory, as git does, so the
    // walk covers the work tree and entries outside `root` are dropped below.
    let patterns: Vec<&str> = Vec::new();
    let mut emit = Emit {
        root,
        prefix: &prefix,
        found,
    };
    repo.dirwalk(
        &index,
        patterns,
        &AtomicBool::new(false),
        options,
        &mut emit,
    )
    .map_err(|e| git_err(e.to_string()))?;
    Ok(())
}

/// The dirwalk's delegate: passes on each tracked or untracked file below `root`.
struct Emit<'a> {
    root: &'a Path,
    prefix: &'a str,
    found: &'a mut dyn FnMut(RelPath),
}

impl gix::dir::walk::Delegate for Emit<'_> {
    fn emit(
        &mut self,
        entry: gix::dir::EntryRef<'_>,
        _collapsed_directory_status: Option<gix::dir::entry::Status>,
    ) -> gix::dir::walk::Action {
        use gix::dir::entry::{Kind, Status};
        let keep = matches!(entry.status, Status::Tracked | Status::Untracked)
            && matches!(entry.disk_kind, Some(Kind::File | Kind::Symlink));
        if keep {
            let path = entry.rela_path.to_string();
            let rel = if self.prefix.is_empty() {
                Some(path.as_str())
            } else {
                path.strip_prefix(self.prefix)
                    .and_then(|p| p.strip_prefix('/'))
            };
            // A symlink to a directory is not followed; a symlink to a file is read (as Flux).
            // Only symlinks need a `stat`: the walk already knows a file is a file.
            if let Some(rel) = rel {
                if matches!(entry.disk_kind, Some(Kind::File)) || self.root.join(rel).is_file() {
                    (self.found)(rel.to_owned());
                }
            }
        }
        std::ops::ControlFlow::Continue(())
    }
}

fn walk_dir(root: &Path, dir: &Path, found: &mut dyn FnMut(RelPath)) -> Result<(), WorkspaceError> {
    let io_err = |source| WorkspaceError::Io {
        path: dir.to_path_buf(),
        source,
    };
    for entry in fs_err::read_dir(dir).map_err(io_err)? {
        let entry = entry.map_err(io_err)?;
        let file_type = entry.file_type().map_err(io_err)?;
        let path = entry.path();
        if file_type.is_dir() {
            if entry.file_name() != ".git" {
                walk_dir(root, &path, found)?;
            }
        } else if file_type.is_file() || (file_type.is_symlink() && path.is_file()) {
            if let Ok(rel) = path.strip_prefix(root) {
                found(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_names_are_case_sensitive() {
        assert!(is_manifest_name("a/b.yaml"));
        assert!(is_manifest_name("b.yml"));
        assert!(is_manifest_name("x/Kustomization"));
        assert!(!is_manifest_name("x/kustomization"));
        assert!(!is_manifest_name("b.YAML"));
        assert!(!is_manifest_name("b.json"));
    }

    #[test]
    fn walks_plain_directories_with_hidden_ones() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs_err::create_dir_all(root.join(".github/x")).unwrap();
        fs_err::write(root.join(".github/x/a.yaml"), "a: 1\n").unwrap();
        fs_err::write(root.join("b.yml"), "").unwrap();
        fs_err::write(root.join("c.json"), "").unwrap();
        let files = list_manifests(root).unwrap();
        assert_eq!(files, [".github/x/a.yaml", "b.yml"]);
    }
}
