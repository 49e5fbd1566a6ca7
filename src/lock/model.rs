//! The lock's data model.

use std::collections::BTreeMap;

use miette::{Diagnostic, NamedSource, SourceSpan};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use super::time::{TimeError, Timestamp};

/// The format version this build writes; it reads this one and version 1 (tags without times).
pub const VERSION: u64 = 2;

/// When `refresh` first saw something; `None`: no record (a version 1 lock's tags and digests,
/// or `null` in the file). `refresh` gives every such entry its own time.
pub type Seen = Option<Timestamp>;

/// The whole lockfile.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "images.lock",
    description = "Image tags and digests recorded by `imagelock refresh`"
)]
pub struct Lock {
    /// Format version: 2. Version 1 (without times) is still read, as version 2 with no times.
    pub version: u64,
    /// The time of the last refresh that changed the lock (not of every refresh: a refresh that
    /// finds nothing new leaves the file byte-identical).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refreshed: Option<Timestamp>,
    /// One entry per canonical image name (`index.docker.io/library/nginx`), sorted.
    #[serde(default)]
    pub images: BTreeMap<String, ImageEntry>,
}

/// What the registry offered for one image.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageEntry {
    /// Every tag listed by the registry, after the repositories' `exclusionList`, byte-sorted,
    /// each with the time `refresh` first saw it (`null`: no record).
    #[serde(default)]
    pub tags: BTreeMap<String, Seen>,
    /// Digests of the tags that policies select where a digest is needed, by tag.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub digests: BTreeMap<String, LockedDigest>,
}

/// A tag's locked digest and when `refresh` first saw the tag point to it (a tag re-pointed to
/// another digest gets a new time).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LockedDigest {
    /// `sha256:…`; for multi-arch images the index digest, as Flux.
    pub digest: String,
    /// First seen for this tag (`null`: no record).
    #[serde(default)]
    pub seen: Seen,
}

impl LockedDigest {
    pub fn new(digest: impl Into<String>, seen: Seen) -> Self {
        Self {
            digest: digest.into(),
            seen,
        }
    }
}

impl ImageEntry {
    /// The tags, in byte order.
    pub fn tag_names(&self) -> impl ExactSizeIterator<Item = &String> + Clone {
        self.tags.keys()
    }

    pub fn digest(&self, tag: &str) -> Option<&str> {
        self.digests.get(tag).map(|d| d.digest.as_str())
    }
}

impl Lock {
    pub fn new() -> Self {
        Self {
            version: VERSION,
            refreshed: None,
            images: BTreeMap::new(),
        }
    }

    pub fn image(&self, canonical: &str) -> Option<&ImageEntry> {
        self.images.get(canonical)
    }

    /// Whether any tag or digest has no recorded time (a version 1 lock's).
    pub fn has_untimed(&self) -> bool {
        self.images.values().any(|e| {
            e.tags.values().any(Option::is_none) || e.digests.values().any(|d| d.seen.is_none())
        })
    }

    /// Give every tag and digest without a time `now`, by image: the tags that had none.
    /// `refresh` calls it on the lock it writes, so a version 2 lock it writes has no `null`.
    pub fn stamp(&mut self, now: Timestamp) -> Vec<(String, usize)> {
        let mut untimed = Vec::new();
        for (name, entry) in &mut self.images {
            let mut n = 0;
            for seen in entry.tags.values_mut().filter(|s| s.is_none()) {
                *seen = Some(now);
                n += 1;
            }
            for d in entry.digests.values_mut() {
                d.seen.get_or_insert(now);
            }
            if n > 0 {
                untimed.push((name.clone(), n));
            }
        }
        untimed
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
    #[error("{path}: images.lock version {found} is not supported (this imagelock reads versions 1 and {VERSION})")]
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
