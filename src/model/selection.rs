//! Which files the PATH arguments select.

use std::path::{Path, PathBuf};

use super::ModelError;
use crate::workspace::WorkspaceError;

pub(crate) fn rel_for(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Which files the PATH arguments select: repository-relative files or directory prefixes.
#[derive(Clone, Debug)]
pub(crate) struct Selection {
    prefixes: Option<Vec<String>>,
}

impl Selection {
    pub(crate) fn new(root: &Path, paths: &[PathBuf]) -> Result<Self, ModelError> {
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
                    return Err(ModelError::PathNotFound { path: path.clone() });
                }
            }
            let abs = normalize(&abs.canonicalize().unwrap_or(abs));
            let rel = abs
                .strip_prefix(&root_abs)
                .map_err(|_| ModelError::PathOutsideRoot {
                    path: path.clone(),
                    root: root.to_path_buf(),
                })?;
            prefixes.push(rel.to_string_lossy().replace('\\', "/"));
        }
        Ok(Self {
            prefixes: Some(prefixes),
        })
    }

    pub(crate) fn contains(&self, rel: &str) -> bool {
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
