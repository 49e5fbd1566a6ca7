//! `refresh`'s planning: which images to ask for, which digests to lock, which old lock entries
//! to keep; and its errors. The requests themselves are `registry::refresh`'s.

use std::collections::{BTreeMap, BTreeSet};

use miette::Diagnostic;
use thiserror::Error;

use crate::lock::{Lock, Timestamp};
use crate::model::{Model, ModelError, ObjectKey, Options};
use crate::policy::cooldown::{matured, MinAge};
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
    #[error(
        "SOURCE_DATE_EPOCH `{value}` is not a number of seconds since 1970 (up to the year 9999)"
    )]
    #[diagnostic(
        code(imagelock::usage),
        help("set it to whole seconds, such as `git log -1 --format=%ct`, or pass --now 2026-11-29T12:00:00Z")
    )]
    SourceDateEpoch { value: String },
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
    // One repository declared alike in several clusters is one input.
    let mut seen = BTreeSet::new();
    for repo in &model.repositories {
        let key = &repo.decl.key;
        let spec = &repo.decl.spec;
        match repo.built() {
            Some((image, _)) if !seen.insert((key.clone(), image.canonical())) => {}
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
                times: p.times,
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

/// Where refresh's "now" came from, for `-v`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NowSource {
    Flag,
    SourceDateEpoch,
    Clock,
}

/// The time this refresh records: `--now`, else `SOURCE_DATE_EPOCH` (reproducible builds'
/// convention, for tests and CI) when set and not empty, else the clock.
pub fn now(
    flag: Option<Timestamp>,
    source_date_epoch: Option<std::ffi::OsString>,
    clock: &dyn crate::registry::Clock,
) -> Result<(Timestamp, NowSource), RefreshError> {
    if let Some(t) = flag {
        return Ok((t, NowSource::Flag));
    }
    if let Some(value) = source_date_epoch.filter(|v| !v.is_empty()) {
        let value = value.to_string_lossy().into_owned();
        return value
            .trim()
            .parse::<u64>()
            .ok()
            .and_then(Timestamp::from_unix)
            .map(|t| (t, NowSource::SourceDateEpoch))
            .ok_or(RefreshError::SourceDateEpoch { value });
    }
    Ok((Timestamp::from_system(clock.system_now()), NowSource::Clock))
}

/// The lock refresh writes, as text, and the images whose tags had no time.
#[derive(Debug)]
pub struct Stamped {
    pub text: String,
    /// Image, number of its tags that had no recorded time (a version 1 lock): now they have
    /// `now`.
    pub untimed: Vec<(String, usize)>,
}

/// Each locked image's minimum ages, from the policies that use it.
pub type MinAges = BTreeMap<String, BTreeSet<MinAge>>;

/// The cooldowns of the model's policies, by the canonical image of their repository.
pub fn min_ages(model: &Model) -> MinAges {
    let mut ages = MinAges::new();
    for policy in &model.policies {
        let image = model.repository_of(policy).and_then(|r| r.image.as_ref());
        if let (Some(age), Some(image)) = (policy.times.min_age, image) {
            ages.entry(image.canonical()).or_default().insert(age);
        }
    }
    ages
}

/// Whether a tag or digest of `lock` that was too young for some cooldown at `before` is old
/// enough at `now`. Time passing is then a change: `check` measures ages at `refreshed`, so
/// unless `refreshed` moves, a cooled-down tag would never become eligible.
fn matured_since(lock: &Lock, before: Timestamp, now: Timestamp, ages: &MinAges) -> bool {
    ages.iter().any(|(image, ages)| {
        let Some(entry) = lock.image(image) else {
            return false;
        };
        let times = entry
            .tags
            .values()
            .copied()
            .chain(entry.digests.values().map(|d| d.seen))
            .flatten();
        times
            .into_iter()
            .any(|seen| ages.iter().any(|age| matured(seen, *age, before, now)))
    })
}

/// Give what has no time `now`, and move `refreshed` to `now` only when something else changed
/// or a cooled-down tag or digest came of age. A refresh that finds nothing new must leave the
/// lock byte-identical (no churn, no commit, `--locked` passes), so `refreshed` is the time of
/// the last refresh that changed the lock or what it lets policies select.
pub fn stamp(
    mut new: Lock,
    old: Option<&Lock>,
    old_text: Option<&str>,
    now: Timestamp,
    ages: &MinAges,
) -> Stamped {
    let untimed = new.stamp(now);
    new.refreshed = old.and_then(|l| l.refreshed);
    let mut text = crate::lock::to_string(&new);
    let came_of_age = new
        .refreshed
        .is_some_and(|before| matured_since(&new, before, now, ages));
    if old_text != Some(text.as_str()) || came_of_age {
        new.refreshed = Some(now);
        text = crate::lock::to_string(&new);
    }
    Stamped { text, untimed }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::{ImageEntry, Seen};

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn lock(tags: &[(&str, Seen)]) -> Lock {
        let mut lock = Lock::new();
        let entry = ImageEntry {
            tags: tags.iter().map(|(t, s)| ((*t).to_owned(), *s)).collect(),
            digests: Default::default(),
        };
        lock.images.insert("ghcr.io/o/a".into(), entry);
        lock
    }

    #[test]
    fn refreshed_moves_only_when_something_else_changes() {
        let (t0, t1, t2) = (
            t("2026-11-01T00:00:00Z"),
            t("2026-11-02T00:00:00Z"),
            t("2026-11-03T00:00:00Z"),
        );
        let first = stamp(lock(&[("1", Some(t0))]), None, None, t0, &MinAges::new());
        assert!(first.text.contains("refreshed: \"2026-11-01T00:00:00Z\"\n"));
        let old = crate::lock::parse("images.lock", &first.text).unwrap();
        // Nothing new at t1: byte-identical, `refreshed` included.
        let same = stamp(
            lock(&[("1", Some(t0))]),
            Some(&old),
            Some(&first.text),
            t1,
            &MinAges::new(),
        );
        assert_eq!(same.text, first.text);
        assert!(same.untimed.is_empty());
        // A new tag at t2: one added line, and `refreshed` moves.
        let more = stamp(
            lock(&[("1", Some(t0)), ("2", Some(t2))]),
            Some(&old),
            Some(&first.text),
            t2,
            &MinAges::new(),
        );
        let diff: Vec<_> = more
            .text
            .lines()
            .filter(|l| !first.text.lines().any(|f| f == *l))
            .collect();
        assert_eq!(
            diff,
            [
                "refreshed: \"2026-11-03T00:00:00Z\"",
                "      \"2\": \"2026-11-03T00:00:00Z\""
            ]
        );
    }

    #[test]
    fn refreshed_moves_once_when_a_cooled_down_tag_comes_of_age() {
        let (t0, t1) = (t("2026-11-01T00:00:00Z"), t("2026-11-02T00:00:00Z"));
        let ages: MinAges = [("ghcr.io/o/a".to_owned(), ["2d".parse().unwrap()].into())].into();
        let first = stamp(lock(&[("1", Some(t0))]), None, None, t0, &ages);
        let old = crate::lock::parse("images.lock", &first.text).unwrap();
        let again = |now: &str, old: &Lock, text: &str| {
            stamp(
                lock(&[("1", Some(t0))]),
                Some(old),
                Some(text),
                t(now),
                &ages,
            )
            .text
        };
        // A day later "1" is still too young: nothing to say.
        assert_eq!(again("2026-11-02T00:00:00Z", &old, &first.text), first.text);
        let _ = t1;
        // Two days later it is old enough: `refreshed` moves, and nothing else.
        let aged = again("2026-11-03T00:00:00Z", &old, &first.text);
        assert_eq!(
            aged,
            first.text.replace(
                "2026-11-01T00:00:00Z\"\nimages",
                "2026-11-03T00:00:00Z\"\nimages"
            )
        );
        // After that, time passing changes nothing again.
        let old = crate::lock::parse("images.lock", &aged).unwrap();
        assert_eq!(again("2026-11-09T00:00:00Z", &old, &aged), aged);
    }

    #[test]
    fn a_version_1_lock_is_rewritten_with_times_and_says_which_had_none() {
        let v1 = "version: 1\nimages:\n  \"ghcr.io/o/a\":\n    tags:\n      - \"1\"\n";
        let old = crate::lock::parse("images.lock", v1).unwrap();
        let now = t("2026-11-29T12:00:00Z");
        let mut new = old.clone();
        new.images
            .get_mut("ghcr.io/o/a")
            .unwrap()
            .tags
            .insert("2".into(), Some(now));
        let out = stamp(new, Some(&old), Some(v1), now, &MinAges::new());
        assert_eq!(out.untimed, [("ghcr.io/o/a".to_owned(), 1)]);
        assert!(out
            .text
            .contains("version: 2\nrefreshed: \"2026-11-29T12:00:00Z\"\n"));
        assert!(out.text.contains("      \"1\": \"2026-11-29T12:00:00Z\"\n"));
    }

    #[test]
    fn now_comes_from_the_flag_then_source_date_epoch_then_the_clock() {
        let clock = crate::registry::SystemClock;
        let flag = t("2026-11-29T12:00:00Z");
        let sde = Some("1795953600".into());
        assert_eq!(
            now(Some(t("2027-01-01T00:00:00Z")), sde.clone(), &clock).unwrap(),
            (t("2027-01-01T00:00:00Z"), NowSource::Flag)
        );
        assert_eq!(
            now(None, sde, &clock).unwrap(),
            (flag, NowSource::SourceDateEpoch)
        );
        assert_eq!(
            now(None, Some("".into()), &clock).unwrap().1,
            NowSource::Clock
        );
        for bad in ["-1", "1.5", "soon", "253402300800"] {
            let err = now(None, Some(bad.into()), &clock).unwrap_err();
            assert!(
                matches!(err, RefreshError::SourceDateEpoch { ref value } if value == bad),
                "{err}"
            );
        }
    }
}
