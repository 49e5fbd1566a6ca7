//! git through gix: which files have uncommitted changes, and committing files of the work tree
//! on `HEAD` with an explicit author, then updating the index so `git status` stays clean.
//!
//! Only the named files go into the commit: the new tree is `HEAD`'s tree with those files'
//! blobs replaced (through the repository's clean filters, as `git add` would), whatever else is
//! staged stays staged. Pushing is left to `git`, which gix cannot do.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use gix::bstr::{BStr, ByteSlice};
use miette::Diagnostic;
use thiserror::Error;

#[derive(Debug, Error, Diagnostic)]
#[non_exhaustive]
pub enum GitError {
    #[error("`{}` is not inside a git work tree: `imagelock fix --commit` commits to the repository around the root", path.display())]
    #[diagnostic(
        code(imagelock::git),
        help("run `git init`, or use `imagelock fix` and commit yourself")
    )]
    NotARepository { path: PathBuf },
    #[error("git: {action}: {message}")]
    #[diagnostic(code(imagelock::git))]
    Operation { action: String, message: String },
    #[error("`{path}` is a symbolic link: imagelock writes through it, so the commit would not hold the change")]
    #[diagnostic(
        code(imagelock::git),
        help("mark the file the link points to, or commit by hand")
    )]
    Symlink { path: String },
}

fn op(action: impl Into<String>) -> impl FnOnce(gix::Error) -> GitError {
    let action = action.into();
    move |e| GitError::Operation {
        action,
        message: e.to_string(),
    }
}

fn io_op(action: impl Into<String>) -> impl FnOnce(std::io::Error) -> GitError {
    let action = action.into();
    move |e| GitError::Operation {
        action,
        message: e.to_string(),
    }
}

/// A name and email for a commit's author or committer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub email: String,
}

/// How a file differs from what is committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dirt {
    /// Not in the index.
    Untracked,
    /// Staged: the index differs from `HEAD`.
    Staged,
    /// The work tree differs from the index.
    Modified,
    /// The index holds a merge conflict for it.
    Conflicted,
}

impl std::fmt::Display for Dirt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Dirt::Untracked => "untracked",
            Dirt::Staged => "staged changes",
            Dirt::Modified => "uncommitted changes",
            Dirt::Conflicted => "a merge conflict",
        })
    }
}

/// A commit that was made.
#[derive(Clone, Debug)]
pub struct Committed {
    pub id: String,
    pub summary: String,
}

/// The repository around an imagelock root.
pub struct Repo {
    repo: gix::Repository,
    workdir: PathBuf,
    /// The root's path inside the work tree, `""` or ending in `/`.
    prefix: String,
}

impl Repo {
    /// The repository whose work tree holds the workspace's root (found when it was opened).
    pub fn open(workspace: &crate::workspace::Workspace) -> Result<Self, GitError> {
        let root = &workspace.root;
        let not_repo = || GitError::NotARepository {
            path: root.to_path_buf(),
        };
        let repo = workspace.repository().ok_or_else(not_repo)?;
        let workdir = repo.workdir().ok_or_else(not_repo)?.to_path_buf();
        let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        let workdir = canonical(&workdir);
        let prefix = canonical(root)
            .strip_prefix(&workdir)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        let prefix = if prefix.is_empty() {
            prefix
        } else {
            format!("{prefix}/")
        };
        Ok(Self {
            repo,
            workdir,
            prefix,
        })
    }

    /// The path git knows a root-relative file by.
    pub fn path_of(&self, rel: &str) -> String {
        format!("{}{rel}", self.prefix)
    }

    /// The committer: `committer.name`/`committer.email` from git's configuration (or
    /// `GIT_COMMITTER_NAME`/`GIT_COMMITTER_EMAIL`) where set, each falling back to the author's.
    pub fn committer_for(&self, author: &Identity) -> Identity {
        let config = self.repo.config_snapshot();
        let get = |key: &str| config.string(key).map(|v| v.to_str_lossy().into_owned());
        Identity {
            name: get("committer.name").unwrap_or_else(|| author.name.clone()),
            email: get("committer.email").unwrap_or_else(|| author.email.clone()),
        }
    }

    /// For each root-relative file, how it differs from `HEAD` (`None`: it does not).
    pub fn dirt(&self, rels: &[String]) -> Result<Vec<Option<Dirt>>, GitError> {
        let (mut pipeline, index) = self
            .repo
            .filter_pipeline(None)
            .map_err(op("read the git attributes"))?;
        let head_tree = self.head_tree()?;
        let mut out = Vec::with_capacity(rels.len());
        for rel in rels {
            let path = self.path_of(rel);
            self.refuse_symlink(&path)?;
            let bpath: &BStr = path.as_bytes().as_bstr();
            use gix::index::entry::Stage;
            if [Stage::Base, Stage::Ours, Stage::Theirs]
                .into_iter()
                .any(|stage| index.entry_by_path_and_stage(bpath, stage).is_some())
            {
                out.push(Some(Dirt::Conflicted));
                continue;
            }
            let Some(entry) = index.entry_by_path_and_stage(bpath, Stage::Unconflicted) else {
                out.push(Some(Dirt::Untracked));
                continue;
            };
            let head_id = match &head_tree {
                Some(tree) => tree
                    .lookup_entry_by_path(&path)
                    .map_err(op(format!("look up `{path}` in HEAD")))?
                    .map(|e| e.object_id()),
                None => None,
            };
            if head_id != Some(entry.id) {
                out.push(Some(Dirt::Staged));
                continue;
            }
            let work_id = self.worktree_hash(&mut pipeline, &index, &path)?;
            out.push((work_id != entry.id).then_some(Dirt::Modified));
        }
        Ok(out)
    }

    fn refuse_symlink(&self, path: &str) -> Result<(), GitError> {
        let abs = self.workdir.join(path);
        match std::fs::symlink_metadata(&abs) {
            Ok(md) if md.file_type().is_symlink() => Err(GitError::Symlink {
                path: path.to_owned(),
            }),
            _ => Ok(()),
        }
    }

    fn head_tree(&self) -> Result<Option<gix::Tree<'_>>, GitError> {
        match self.repo.head_id() {
            Ok(id) => {
                let commit = id
                    .object()
                    .map_err(op("read HEAD"))?
                    .try_into_commit()
                    .map_err(|e| GitError::Operation {
                        action: "read HEAD".into(),
                        message: e.to_string(),
                    })?;
                Ok(Some(commit.tree().map_err(op("read HEAD's tree"))?))
            }
            Err(_) => Ok(None),
        }
    }

    /// The blob id `git add` would give the work-tree file (clean filters applied), unwritten.
    fn worktree_hash(
        &self,
        pipeline: &mut gix::filter::Pipeline<'_>,
        index: &gix::index::State,
        path: &str,
    ) -> Result<gix::ObjectId, GitError> {
        use gix::filter::plumbing::pipeline::convert::ToGitOutcome;
        let abs = self.workdir.join(path);
        let file = std::fs::File::open(&abs).map_err(io_op(format!("read `{path}`")))?;
        let outcome = pipeline
            .convert_to_git(file, Path::new(path), index)
            .map_err(op(format!("filter `{path}`")))?;
        let mut bytes = Vec::new();
        match outcome {
            ToGitOutcome::Unchanged(mut r) => r.read_to_end(&mut bytes).map(|_| ()),
            ToGitOutcome::Process(mut r) => r.read_to_end(&mut bytes).map(|_| ()),
            ToGitOutcome::Buffer(b) => {
                bytes.extend_from_slice(b);
                Ok(())
            }
        }
        .map_err(io_op(format!("read `{path}`")))?;
        gix::objs::compute_hash(self.repo.object_hash(), gix::objs::Kind::Blob, &bytes).map_err(
            |e| GitError::Operation {
                action: format!("hash `{path}`"),
                message: e.to_string(),
            },
        )
    }

    /// Commit the work-tree content of `rels` (root-relative) on `HEAD`, with `author` and
    /// `committer`, then point the index at the new blobs. `None` when the tree would not change.
    pub fn commit_files(
        &self,
        rels: &[String],
        author: &Identity,
        committer: &Identity,
        message: &str,
    ) -> Result<Option<Committed>, GitError> {
        let repo = &self.repo;
        let parent = repo.head_id().ok().map(|id| id.detach());
        let base_tree = match self.head_tree()? {
            Some(tree) => tree.id,
            None => gix::ObjectId::empty_tree(repo.object_hash()),
        };
        let (mut pipeline, filter_index) = repo
            .filter_pipeline(None)
            .map_err(op("read the git attributes"))?;
        let mut editor = repo.edit_tree(base_tree).map_err(op("read HEAD's tree"))?;
        let mut blobs = Vec::with_capacity(rels.len());
        for rel in rels {
            let path = self.path_of(rel);
            self.refuse_symlink(&path)?;
            let (id, kind, _) = pipeline
                .worktree_file_to_object(path.as_bytes().as_bstr(), &filter_index)
                .map_err(op(format!("store `{path}`")))?
                .ok_or_else(|| GitError::Operation {
                    action: format!("store `{path}`"),
                    message: "the file is gone".into(),
                })?;
            editor
                .upsert(path.as_str(), kind, id)
                .map_err(op(format!("add `{path}` to the tree")))?;
            blobs.push((path, id, kind));
        }
        let tree = editor.write().map_err(op("write the tree"))?.detach();
        if tree == base_tree {
            return Ok(None);
        }
        // One moment for both, as git does, unless GIT_AUTHOR_DATE / GIT_COMMITTER_DATE say.
        let now = gix::date::Time::now_local_or_utc();
        let author_sig = signature(author, commit_time(repo, "gitoxide.commit.authorDate", now));
        let committer_sig = signature(
            committer,
            commit_time(repo, "gitoxide.commit.committerDate", now),
        );
        let (mut abuf, mut cbuf) = Default::default();
        let id = repo
            .commit_as(
                committer_sig.to_ref(&mut cbuf),
                author_sig.to_ref(&mut abuf),
                "HEAD",
                message,
                tree,
                parent,
            )
            .map_err(op("commit"))?
            .detach();
        drop(filter_index);
        self.update_index(&blobs)?;
        Ok(Some(Committed {
            id: id.to_string(),
            summary: message.lines().next().unwrap_or("").to_owned(),
        }))
    }

    /// Point the index entries of the committed files at their new blobs, with fresh stat data.
    fn update_index(
        &self,
        blobs: &[(String, gix::ObjectId, gix::objs::tree::EntryKind)],
    ) -> Result<(), GitError> {
        use gix::index::entry::{Flags, Mode, Stage, Stat};
        let repo = &self.repo;
        let mut index = match repo.open_index() {
            Ok(index) => index,
            Err(_) if !repo.index_path().exists() => gix::index::File::from_state(
                gix::index::State::new(repo.object_hash()),
                repo.index_path(),
            ),
            Err(e) => return Err(op("read the index")(e)),
        };
        let mut added = false;
        for (path, id, kind) in blobs {
            let abs = self.workdir.join(path);
            let md = gix::index::fs::Metadata::from_path_no_follow(&abs)
                .map_err(io_op(format!("stat `{path}`")))?;
            let stat = Stat::from_fs(&md).unwrap_or_default();
            let mode = match kind {
                gix::objs::tree::EntryKind::BlobExecutable => Mode::FILE_EXECUTABLE,
                _ => Mode::FILE,
            };
            let bpath = path.as_bytes().as_bstr();
            match index.entry_mut_by_path_and_stage(bpath, Stage::Unconflicted) {
                Some(entry) => {
                    entry.id = *id;
                    entry.stat = stat;
                    entry.mode = mode;
                    // `git add -N` left a placeholder; the entry now holds real content.
                    entry.flags.remove(Flags::INTENT_TO_ADD);
                }
                None => {
                    index.dangerously_push_entry(stat, *id, Flags::empty(), mode, bpath);
                    added = true;
                }
            }
        }
        if added {
            index.sort_entries();
        }
        // The tree cache would describe the old trees: drop it, as gix's documentation asks.
        index.remove_tree();
        index
            .write(gix::index::write::Options::default())
            .map_err(|e| GitError::Operation {
                action: "write the index".into(),
                message: e.to_string(),
            })
    }
}

fn signature(who: &Identity, time: gix::date::Time) -> gix::actor::Signature {
    gix::actor::Signature {
        name: who.name.as_str().into(),
        email: who.email.as_str().into(),
        time,
    }
}

/// The date in `GIT_AUTHOR_DATE`/`GIT_COMMITTER_DATE` (which gix maps to `key`), else `now`.
fn commit_time(repo: &gix::Repository, key: &str, now: gix::date::Time) -> gix::date::Time {
    repo.config_snapshot()
        .string(key)
        .and_then(|v| gix::date::parse(v.to_str().ok()?, None).ok())
        .unwrap_or(now)
}

/// One version of a file in the history of `HEAD`: its text and the earliest commit holding it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileVersion {
    /// The commit's id, abbreviated.
    pub commit: String,
    /// The commit time (the committer's), in seconds since 1970.
    pub time: i64,
    pub text: Vec<u8>,
}

impl Repo {
    /// Every distinct version of the root-relative file `rel` in the commits reachable from
    /// `HEAD`, each with the earliest commit (by commit time) that holds it; oldest first. No
    /// `HEAD` (an unborn branch) means no versions.
    pub fn file_versions(&self, rel: &str) -> Result<Vec<FileVersion>, GitError> {
        let Ok(head) = self.repo.head_id() else {
            return Ok(Vec::new());
        };
        let path = self.path_of(rel);
        let walk = self
            .repo
            .rev_walk([head.detach()])
            .all()
            .map_err(|e| GitError::Operation {
                action: "walk the history".into(),
                message: e.to_string(),
            })?;
        let mut first: std::collections::HashMap<gix::ObjectId, (i64, gix::ObjectId)> =
            Default::default();
        for info in walk {
            let info = info.map_err(|e| GitError::Operation {
                action: "walk the history".into(),
                message: e.to_string(),
            })?;
            let commit = info.object().map_err(|e| GitError::Operation {
                action: "read a commit".into(),
                message: e.to_string(),
            })?;
            let time = commit.time().map_or(0, |t| t.seconds);
            let tree = commit.tree().map_err(op("read a commit's tree"))?;
            let entry = tree
                .lookup_entry_by_path(&path)
                .map_err(op(format!("look up `{path}`")))?;
            let Some(entry) = entry.filter(|e| e.mode().is_blob()) else {
                continue;
            };
            let slot = first.entry(entry.object_id()).or_insert((time, commit.id));
            if time < slot.0 {
                *slot = (time, commit.id);
            }
        }
        let mut versions = Vec::with_capacity(first.len());
        for (blob, (time, commit)) in first {
            let object = self.repo.find_object(blob).map_err(op("read a blob"))?;
            versions.push(FileVersion {
                commit: commit.to_hex_with_len(7).to_string(),
                time,
                text: object.detach().data,
            });
        }
        versions.sort_by(|a, b| (a.time, &a.commit).cmp(&(b.time, &b.commit)));
        Ok(versions)
    }
}
