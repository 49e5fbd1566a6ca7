//! `refresh`'s planning: which images to ask for, which digests to lock, which old lock entries
//! to keep; and its errors. The requests themselves are `registry::refresh`'s.

use std::collections::BTreeSet;

use miette::Diagnostic;
use thiserror::Error;

use crate::lock::Lock;
use crate::model::{Model, ModelError, ObjectKey, Options};
use crate::registry::refresh::{self as plan, Key, PolicyInput, RepositoryInput};
use crate::registry::RegistryError;

#[derive(Debug, Error, Diagnostic)]
#[non_exhaustive]
pub enum RefreshError {
    #[error("cannot refresh `{image}` ({repositories}); its previous lock entry is kept")]
    #[diagnostic(code(imagelock::refresh::image_failed))]
    Image {
        image: String,
        repositories: String,
        #[source]
        #[diagnostic_source]
        error: RegistryError,
    },
    #[error("cannot lock the digest of `{image}:{tag}` (policy {policies}); the previous digest, if any, is kept")]
    #[diagnostic(code(imagelock::refresh::digest_failed))]
    Digest {
        image: String,
        tag: String,
        policies: String,
        #[source]
        #[diagnostic_source]
        error: RegistryError,
    },
    #[error("ImageRepository `{repository}` is not refreshed: its spec is invalid; its previous lock entry is kept")]
    #[diagnostic(
        code(imagelock::refresh::invalid_repository),
        help("`imagelock check` says what is wrong with it")
    )]
    InvalidRepository { repository: String },
    #[error("--repository `{given}`: no ImageRepository of that namespace and name is declared")]
    #[diagnostic(code(imagelock::usage), help("{help}"))]
    UnknownRepository { given: String, help: String },
    #[error("the lock file `{path}` needs to be updated but --locked was passed to prevent this")]
    #[diagnostic(
        code(imagelock::refresh::locked),
        help("run `imagelock refresh` without --locked, and commit the new lock")
    )]
    Locked { path: String },
    #[error("`{path}` cannot be read; refresh writes a new one")]
    #[diagnostic(severity(Warning), code(imagelock::refresh::unreadable_lock))]
    UnreadableLock {
        path: String,
        #[source]
        #[diagnostic_source]
        error: crate::lock::LockError,
    },
}

/// The repository as refresh reads it, and the lock it starts from.
#[derive(Debug)]
pub struct Opened {
    pub model: Model,
    /// The lock as it is on disk, when it exists (even if it could not be read).
    pub old_text: Option<String>,
    /// The lock exists but cannot be read: refresh writes a new one.
    pub unreadable: Option<RefreshError>,
}

/// Build the model; a lock that cannot be read is a warning here (refresh replaces it), and the
/// repository is read without it.
pub fn open(options: &Options, lock_display: &str) -> Result<Opened, ModelError> {
    match Model::build(options) {
        Ok(model) => {
            let old_text = model.lock_text.clone();
            Ok(Opened {
                model,
                old_text,
                unreadable: None,
            })
        }
        Err(ModelError::Lock(error)) => {
            // Read the repository without the lock (whose path cannot exist).
            let none = tempfile::tempdir().map_err(|e| {
                ModelError::Workspace(crate::workspace::WorkspaceError::Io {
                    path: std::env::temp_dir(),
                    source: e,
                })
            })?;
            let mut without = options.clone();
            without.lockfile = none.path().join("images.lock");
            let model = Model::build(&without)?;
            Ok(Opened {
                model,
                old_text: crate::fs::read_to_string(&options.lockfile).ok(),
                unreadable: Some(RefreshError::UnreadableLock {
                    path: lock_display.to_owned(),
                    error,
                }),
            })
        }
        Err(e) => Err(e),
    }
}

/// Everything refresh will ask the registries for, and what it keeps.
#[derive(Debug)]
pub struct RefreshPlan {
    pub jobs: Vec<plan::Job>,
    /// `--repository`: only these.
    pub only: Option<BTreeSet<Key>>,
    /// Declared repositories that do not build (invalid image or exclusion list) and that this
    /// refresh would have covered: each is an error.
    pub invalid: Vec<Key>,
    /// The images of every invalid repository, where the image itself parses: their lock
    /// entries are kept.
    invalid_images: BTreeSet<String>,
    pub suspended: Suspended,
}

/// Plan a refresh of every repository, or of those `only` names (`NS/NAME`, `NS:NAME`, or
/// `NAME` in `default_namespace`).
pub fn plan_refresh(
    model: &Model,
    old: Option<&Lock>,
    only: &[String],
    default_namespace: &str,
) -> Result<RefreshPlan, RefreshError> {
    let only = select_repositories(model, only, default_namespace)?;
    let mut repositories = Vec::new();
    let mut invalid = Vec::new();
    let mut invalid_images = BTreeSet::new();
    for repo in &model.repositories {
        let key = &repo.decl.key;
        let spec = &repo.decl.spec;
        match repo.built() {
            Some((image, exclusions)) => repositories.push(RepositoryInput {
                key: key.clone(),
                image: image.clone(),
                exclusions: exclusions.clone(),
                insecure: spec.insecure,
                timeout: spec.timeout.as_deref().and_then(plan::parse_go_duration),
                suspended: spec.suspend,
            }),
            None => {
                if let Some(image) = &repo.image {
                    invalid_images.insert(image.canonical());
                }
                if only.as_ref().map_or(!spec.suspend, |o| o.contains(key)) {
                    invalid.push(key.clone());
                }
            }
        }
    }
    // The digests to lock: the model decides which policies need one.
    let policies: Vec<PolicyInput> = model
        .policies
        .iter()
        .filter(|p| p.needs_digest)
        .filter_map(|p| {
            Some(PolicyInput {
                key: p.decl.key.clone(),
                policy: p.compiled.clone()?,
                repository: p.repository.clone(),
                always: p.reflection == crate::resources::DigestReflection::Always,
            })
        })
        .collect();
    let jobs = plan::plan(&repositories, &policies, old, only.as_ref());
    let suspended = Suspended::sort(&repositories, &jobs, only.as_ref());
    Ok(RefreshPlan {
        jobs,
        only,
        invalid,
        invalid_images,
        suspended,
    })
}

impl RefreshPlan {
    /// The new lock from the old one and the fetched entries (`None`: that image failed). When
    /// refreshing everything, entries no repository declares go, except those of repositories
    /// that could not be built or are suspended; with `--repository`, the rest stays as is.
    pub fn merge(
        &self,
        old: Option<&Lock>,
        entries: Vec<(String, Option<crate::lock::ImageEntry>)>,
    ) -> Lock {
        plan::merge(old, entries, |name| {
            self.only.is_some()
                || self.invalid_images.contains(name)
                || self.suspended.images.contains(name)
        })
    }
}

/// Suspended ImageRepositories (`spec.suspend: true`), which Flux does not scan.
#[derive(Debug, Default)]
pub struct Suspended {
    /// Not refreshed: their image is in no job. Their lock entries are kept.
    pub skipped: Vec<(Key, String)>,
    /// Their image is refreshed all the same, for another repository naming it.
    pub shared: Vec<(Key, String)>,
    /// Named by `--repository`: refreshed.
    pub named: Vec<Key>,
    /// The images of `skipped`.
    pub images: BTreeSet<String>,
}

impl Suspended {
    fn sort(
        repositories: &[RepositoryInput],
        jobs: &[plan::Job],
        only: Option<&BTreeSet<Key>>,
    ) -> Self {
        let planned: BTreeSet<&str> = jobs.iter().map(|j| j.canonical.as_str()).collect();
        let mut s = Self::default();
        for r in repositories.iter().filter(|r| r.suspended) {
            let image = r.image.canonical();
            match only {
                Some(o) if o.contains(&r.key) => s.named.push(r.key.clone()),
                Some(_) => {}
                None if planned.contains(image.as_str()) => s.shared.push((r.key.clone(), image)),
                None => {
                    s.images.insert(image.clone());
                    s.skipped.push((r.key.clone(), image));
                }
            }
        }
        s
    }

    /// For the closing line.
    pub fn summary(&self) -> String {
        match self.skipped.len() {
            0 => String::new(),
            1 => ", 1 suspended ImageRepository skipped (its entry kept)".to_owned(),
            n => format!(", {n} suspended ImageRepositories skipped (their entries kept)"),
        }
    }
}

/// `--repository NS/NAME` (or `NS:NAME`, or `NAME` in the default namespace).
fn select_repositories(
    model: &Model,
    given: &[String],
    default_namespace: &str,
) -> Result<Option<BTreeSet<Key>>, RefreshError> {
    if given.is_empty() {
        return Ok(None);
    }
    let mut keys = BTreeSet::new();
    for g in given {
        let key = match g.split_once(['/', ':']) {
            Some((ns, name)) => ObjectKey::new(ns, name),
            None => ObjectKey::new(default_namespace, g.clone()),
        };
        if model.repository_id(&key).is_none() {
            // The nearest names (same name elsewhere, or a small edit away), best first.
            let mut scored: Vec<(usize, String)> = model
                .repositories
                .iter()
                .map(|r| {
                    let k = &r.decl.key;
                    let d = if k.name == key.name {
                        0
                    } else {
                        strsim::levenshtein(&k.slash(), &key.slash())
                    };
                    (d, k.slash())
                })
                .filter(|(d, _)| *d <= (key.name.len() / 3).max(1))
                .collect();
            scored.sort();
            let best = scored.first().map(|(d, _)| *d);
            let close: Vec<String> = scored
                .into_iter()
                .filter(|(d, _)| Some(*d) == best)
                .map(|(_, n)| n)
                .collect();
            let help = if close.is_empty() {
                let all: Vec<String> = model
                    .repositories
                    .iter()
                    .take(10)
                    .map(|r| r.decl.key.slash())
                    .collect();
                if all.is_empty() {
                    "no ImageRepository is declared in this repository".to_owned()
                } else {
                    format!("declared: {}", all.join(", "))
                }
            } else {
                format!("did you mean {}?", close.join(" or "))
            };
            return Err(RefreshError::UnknownRepository {
                given: g.clone(),
                help,
            });
        }
        keys.insert(key);
    }
    Ok(Some(keys))
}
