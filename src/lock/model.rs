//! The lock's data model.

use std::collections::{BTreeMap, BTreeSet};

use miette::{Diagnostic, NamedSource, SourceSpan};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The format version this build reads and writes.
pub const VERSION: u64 = 1;

/// The whole lockfile.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "images.lock",
    description = "Image tags and digests recorded by `imagelock refresh`"
)]
pub struct Lock {
    /// Format version; this build understands version 1.
    pub version: u64,
    /// One entry per canonical image name (`index.docker.io/library/nginx`), sorted.
    #[serde(default)]
    pub images: BTreeMap<String, ImageEntry>,
}

/// What the registry offered for one image.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageEntry {
    /// Every tag listed by the registry, after the repositories' `exclusionList`, byte-sorted.
    #[serde(default)]
    pub tags: BTreeSet<String>,
    /// Digests of the tags that policies select where a digest is needed, by tag.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub digests: BTreeMap<String, String>,
}

impl Lock {
    pub fn new() -> Self {
        Self {
            version: VERSION,
            images: BTreeMap::new(),
        }
    }

    pub fn image(&self, canonical: &str) -> Option<&ImageEntry> {
        self.images.get(canonical)
    }
}

/// A lockfile that cannot be used.
#[derive(Debug, Error, Diagnostic)]
#[non_exhaustive]
pub enum LockError {
    #[error("{path}: not a valid images.lock: {message}")]
    #[diagnostic(
        code(imagelock::invalid_lock),
        help("regenerate it with `imagelock refresh`")
    )]
    Invalid {
        path: String,
        message: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("{message}")]
        span: Option<SourceSpan>,
    },
    #[error("{path}: images.lock version {found} is not supported (this imagelock reads version {VERSION})")]
    #[diagnostic(
        code(imagelock::lock_version),
        help("a newer version needs a newer imagelock: upgrade it, or regenerate the lock with `imagelock refresh`")
    )]
    UnknownVersion {
        path: String,
        found: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("version {found}")]
        span: Option<SourceSpan>,
    },
    #[error("{path}: {source}")]
    #[diagnostic(code(imagelock::io))]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}
