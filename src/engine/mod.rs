//! The pipeline behind `check` and `fix`: discover → parse → validate → resolve → findings and
//! edits. Data flows one way; nothing here touches the network.

mod declarations;
mod fixes;
mod load;
mod markers;
mod resolve;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use miette::Diagnostic;
use thiserror::Error;

use crate::fix::Edit;
use crate::lock::{Lock, LockError};
use crate::manifest::{Manifest, MarkerComment};
use crate::report::{Finding, Sources};
use crate::workspace::WorkspaceError;

pub use declarations::{Declared, Model, PolicyDecl, RepositoryDecl};
pub use fixes::{plan, FileFix};
pub use markers::{evaluate_file, referenced_policies, under_path};
pub use resolve::{compile, repo_key, Compiled, CompiledPolicy, Resolution, Used};

/// What the pipeline needs to know from the command line.
#[derive(Clone, Debug)]
pub struct Options {
    pub root: PathBuf,
    pub lockfile: PathBuf,
    pub default_namespace: String,
    /// Restrict the files checked or fixed (relative to the working directory or absolute).
    pub paths: Vec<PathBuf>,
}

/// One file that was read in full.
#[derive(Debug)]
pub struct SourceFile {
    pub rel: String,
    pub text: String,
    pub manifest: Option<Manifest>,
    /// Inside the PATH arguments (every file when none were given).
    pub selected: bool,
}

/// Everything `check` reports and `fix` applies.
#[derive(Debug)]
pub struct Analysis {
    pub root: PathBuf,
    pub files: Vec<SourceFile>,
    pub model: Model,
    pub lock: Option<Lock>,
    pub lock_rel: String,
    pub lock_text: Option<String>,
    pub resolutions: BTreeMap<(String, String), Resolution>,
    pub findings: Vec<Finding>,
    /// Out-of-date edits, by index into `files`.
    pub edits: BTreeMap<usize, Vec<Edit>>,
    /// Manifest files listed (before screening).
    pub listed: usize,
}

#[derive(Debug, Error, Diagnostic)]
#[non_exhaustive]
pub enum EngineError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Lock(#[from] LockError),
    #[error("path `{}` is outside the repository root `{}`", path.display(), root.display())]
    #[diagnostic(code(imagelock::usage))]
    PathOutsideRoot { path: PathBuf, root: PathBuf },
    #[error("path `{}` does not exist", path.display())]
    #[diagnostic(
        code(imagelock::usage),
        help("PATH arguments are files or directories, relative to the working directory")
    )]
    PathNotFound { path: PathBuf },
}

impl Analysis {
    /// Every marker that parses, with its file and manifest, in file order: what `list` and
    /// `explain` report on.
    pub fn markers(
        &self,
    ) -> impl Iterator<
        Item = (
            &SourceFile,
            &Manifest,
            &MarkerComment,
            crate::marker::Marker,
        ),
    > {
        self.files.iter().flat_map(|file| {
            file.manifest.iter().flat_map(move |manifest| {
                manifest.markers.iter().filter_map(move |m| {
                    let parsed = crate::marker::parse(&m.text).ok()?;
                    Some((file, manifest, m, parsed))
                })
            })
        })
    }
}

impl Sources for Analysis {
    fn text(&self, file: &str) -> Option<&str> {
        if file == self.lock_rel {
            return self.lock_text.as_deref();
        }
        self.files
            .binary_search_by(|f| f.rel.as_str().cmp(file))
            .ok()
            .map(|i| self.files[i].text.as_str())
    }
}

/// Run the whole pipeline.
pub fn analyze(options: &Options) -> Result<Analysis, EngineError> {
    let selection = Selection::new(&options.root, &options.paths)?;
    let lock_rel = rel_for(&options.root, &options.lockfile);
    // The lock is one large file, independent of the manifests: read it on its own thread while
    // the manifests are listed and read. Errors keep their order: the manifests' first.
    let (loaded, lock) = std::thread::scope(|s| {
        let lock = s.spawn(|| load::read_lock(&options.lockfile, &lock_rel));
        let loaded = load::load(&options.root, &selection);
        let lock = lock
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (loaded, lock)
    });
    let loaded = loaded?;
    let (lock, lock_text) = lock?;
    let mut findings = loaded.findings;
    let files = loaded.files;
    let mut model = declarations::collect(&files, &options.root, &options.default_namespace);
    findings.append(&mut model.findings);

    let mut used_policies = resolve::Used::new();
    for file in files.iter().filter(|f| f.selected) {
        if let Some(manifest) = &file.manifest {
            for (key, digest) in markers::referenced_policies(manifest) {
                *used_policies.entry(key).or_insert(false) |= digest;
            }
        }
    }
    let resolved = resolve::resolve(
        &model,
        &files,
        lock.as_ref(),
        &lock_rel,
        lock_text.as_deref(),
        &used_policies,
    );
    findings.extend(resolved.findings);

    let mut edits = BTreeMap::new();
    for (index, file) in files.iter().enumerate() {
        let (Some(manifest), true) = (&file.manifest, file.selected) else {
            continue;
        };
        let outcome = markers::evaluate_file(&model, &resolved.resolutions, file, manifest);
        findings.extend(outcome.findings);
        if !outcome.edits.is_empty() {
            edits.insert(index, outcome.edits);
        }
    }
    crate::report::sort(&mut findings);
    Ok(Analysis {
        root: options.root.clone(),
        files,
        model,
        lock,
        lock_rel,
        lock_text,
        resolutions: resolved.resolutions,
        findings,
        edits,
        listed: loaded.listed,
    })
}

fn rel_for(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Which files the PATH arguments select: repository-relative files or directory prefixes.
#[derive(Clone, Debug)]
pub struct Selection {
    prefixes: Option<Vec<String>>,
}

impl Selection {
    pub fn new(root: &Path, paths: &[PathBuf]) -> Result<Self, EngineError> {
        if paths.is_empty() {
            return Ok(Self { prefixes: None });
        }
        let cwd = std::env::current_dir().map_err(WorkspaceError::Cwd)?;
        let root_abs = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let mut prefixes = Vec::new();
        for path in paths {
            let abs = cwd.join(path);
            // A mistyped PATH would otherwise select nothing and report "all in sync".
            if let Err(e) = abs.symlink_metadata() {
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) {
                    return Err(EngineError::PathNotFound { path: path.clone() });
                }
            }
            let abs = normalize(&abs.canonicalize().unwrap_or(abs));
            let rel = abs
                .strip_prefix(&root_abs)
                .map_err(|_| EngineError::PathOutsideRoot {
                    path: path.clone(),
                    root: root.to_path_buf(),
                })?;
            prefixes.push(rel.to_string_lossy().replace('\\', "/"));
        }
        Ok(Self {
            prefixes: Some(prefixes),
        })
    }

    pub fn contains(&self, rel: &str) -> bool {
        match &self.prefixes {
            None => true,
            Some(prefixes) => prefixes.iter().any(|p| {
                p.is_empty()
                    || rel == p
                    || (rel.len() > p.len()
                        && rel.starts_with(p.as_str())
                        && rel.as_bytes()[p.len()] == b'/')
            }),
        }
    }
}

/// Remove `.` and `..` lexically (for paths that do not exist yet).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests;
