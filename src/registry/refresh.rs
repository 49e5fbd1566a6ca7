//! What `imagelock refresh` does with the registry's answers: one job per distinct image, tags
//! kept when any repository naming the image keeps them, digests for the tags that policies
//! select, and a lock where every failure keeps its previous entry.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use super::error::RegistryError;
use super::tags::Listing;
use crate::image::ImageName;
use crate::lock::{ImageEntry, Lock, LockedDigest, Timestamp};
use crate::policy::cooldown::{selections, Settings};
use crate::policy::{Exclusions, Policy, SelectError};

pub type Key = crate::model::ObjectKey;

/// A declared ImageRepository, built.
#[derive(Clone, Debug)]
pub struct RepositoryInput {
    pub key: Key,
    pub image: ImageName,
    pub exclusions: Exclusions,
    pub insecure: bool,
    pub timeout: Option<Duration>,
    /// `spec.suspend: true`: Flux does not scan it, so neither does a full refresh (only
    /// `--repository` naming it does).
    pub suspended: bool,
}

/// A policy whose selected tag needs a digest.
#[derive(Clone, Debug)]
pub struct PolicyInput {
    pub key: Key,
    pub policy: Policy,
    pub repository: Key,
    /// `Always`: fetch anew every refresh. Otherwise (`IfNotPresent`, or a `:digest` marker)
    /// keep the locked digest while the selected tag is unchanged.
    pub always: bool,
    /// Its cooldown and order: with a cooldown, the tags it will select as young tags come of age
    /// get their digests locked too.
    pub times: Settings,
}

/// Everything one image needs.
#[derive(Clone, Debug)]
pub struct Job {
    pub canonical: String,
    pub image: ImageName,
    pub repositories: Vec<Key>,
    /// The exclusion lists of every repository naming the image.
    pub exclusions: Vec<Exclusions>,
    /// Plain HTTP when any repository naming the image says `insecure: true`.
    pub insecure: bool,
    pub timeout: Duration,
    pub needs: Vec<Need>,
    pub old: Option<ImageEntry>,
}

#[derive(Clone, Debug)]
pub struct Need {
    pub policy: Key,
    pub select: Policy,
    pub exclusions: Exclusions,
    pub always: bool,
    pub times: Settings,
}

/// Default for a repository without `spec.timeout` (Flux's default, the scan interval, is meant
/// for a controller's loop, not for one command).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// One job per distinct image among `repositories` whose key `only` admits; without `only`,
/// among those not suspended. Every repository naming a wanted image shapes its job, suspended
/// or not (the lock has one entry per image).
pub fn plan(
    repositories: &[RepositoryInput],
    policies: &[PolicyInput],
    old: Option<&Lock>,
    only: Option<&BTreeSet<Key>>,
) -> Vec<Job> {
    let mut jobs: BTreeMap<String, Job> = BTreeMap::new();
    let wanted: BTreeSet<String> = repositories
        .iter()
        .filter(|r| only.map_or(!r.suspended, |o| o.contains(&r.key)))
        .map(|r| r.image.canonical())
        .collect();
    // Every repository naming a wanted image counts, selected or not: its exclusions and its
    // policies shape the shared entry.
    for repo in repositories {
        let canonical = repo.image.canonical();
        if !wanted.contains(&canonical) {
            continue;
        }
        let timeout = repo.timeout.unwrap_or(DEFAULT_TIMEOUT);
        let job = jobs.entry(canonical.clone()).or_insert_with(|| Job {
            old: old.and_then(|l| l.image(&canonical)).cloned(),
            canonical,
            image: repo.image.clone(),
            repositories: Vec::new(),
            exclusions: Vec::new(),
            insecure: false,
            timeout,
            needs: Vec::new(),
        });
        job.repositories.push(repo.key.clone());
        job.exclusions.push(repo.exclusions.clone());
        job.insecure |= repo.insecure;
        job.timeout = job.timeout.max(timeout);
        for p in policies.iter().filter(|p| p.repository == repo.key) {
            job.needs.push(Need {
                policy: p.key.clone(),
                select: p.policy.clone(),
                exclusions: repo.exclusions.clone(),
                always: p.always,
                times: p.times,
            });
        }
    }
    jobs.into_values().collect()
}

/// The network side, per job (a fake in unit tests).
pub trait Source: Sync {
    fn session<'a>(&'a self, job: &'a Job) -> Result<Box<dyn Session + 'a>, RegistryError>;
}

pub trait Session {
    fn list(&mut self) -> Result<Listing, RegistryError>;
    fn digest(&mut self, tag: &str) -> Result<String, RegistryError>;
}

/// What happened to one image.
#[derive(Debug)]
pub struct Outcome {
    pub canonical: String,
    /// The new entry; on error the previous one is kept.
    pub entry: Result<ImageEntry, RegistryError>,
    /// Digests that could not be fetched (the previous one, if any, is kept): tag, policies.
    pub digest_failures: Vec<DigestFailure>,
    /// Policies needing a digest that select no tag (check reports them).
    pub unselected: Vec<(Key, SelectError)>,
    pub invalid_tags: usize,
    pub fetched: usize,
    pub kept: usize,
}

#[derive(Debug)]
pub struct DigestFailure {
    pub tag: String,
    pub policies: Vec<Key>,
    pub error: RegistryError,
}

impl Outcome {
    pub fn failed(&self) -> bool {
        self.entry.is_err() || !self.digest_failures.is_empty()
    }
}

/// Refresh one image at `now`: a tag or a digest seen for the first time gets `now`; one already
/// locked keeps its time (or its lack of one, which the caller stamps and reports).
pub fn run(source: &dyn Source, job: &Job, now: Timestamp) -> Outcome {
    let mut outcome = Outcome {
        canonical: job.canonical.clone(),
        entry: Ok(ImageEntry::default()),
        digest_failures: Vec::new(),
        unselected: Vec::new(),
        invalid_tags: 0,
        fetched: 0,
        kept: 0,
    };
    let mut session = match source.session(job) {
        Ok(s) => s,
        Err(e) => {
            outcome.entry = Err(e);
            return outcome;
        }
    };
    let listing = match session.list() {
        Ok(l) => l,
        Err(e) => {
            outcome.entry = Err(e);
            return outcome;
        }
    };
    outcome.invalid_tags = listing.invalid;
    let tags: Vec<String> = listing
        .tags
        .into_iter()
        .filter(|t| job.exclusions.iter().any(|e| e.excluded_by(t).is_none()))
        .collect();

    // tag → (fetch anew?, policies selecting it)
    let mut wanted: BTreeMap<String, (bool, Vec<Key>)> = BTreeMap::new();
    let no_times = BTreeMap::new();
    let old_seen = job.old.as_ref().map_or(&no_times, |e| &e.tags);
    for need in &job.needs {
        let visible = need.exclusions.apply(tags.iter().map(String::as_str));
        match selections(&need.select, &visible, old_seen, need.times, now) {
            Ok(selected) => {
                for tag in selected {
                    let w = wanted.entry(tag).or_default();
                    w.0 |= need.always;
                    w.1.push(need.policy.clone());
                }
            }
            Err(e) => outcome.unselected.push((need.policy.clone(), e)),
        }
    }
    let old_digests = job.old.as_ref().map(|e| &e.digests);
    let mut digests = BTreeMap::new();
    for (tag, (always, policies)) in wanted {
        let locked = old_digests.and_then(|d| d.get(&tag)).cloned();
        if let (false, Some(d)) = (always, &locked) {
            digests.insert(tag, d.clone());
            outcome.kept += 1;
            continue;
        }
        match session.digest(&tag) {
            Ok(d) => {
                // The same digest keeps its time; another one is new, whatever the tag's age.
                let seen = match &locked {
                    Some(l) if l.digest == d => l.seen,
                    _ => Some(now),
                };
                digests.insert(tag, LockedDigest::new(d, seen));
                outcome.fetched += 1;
            }
            Err(error) => {
                if let Some(d) = locked {
                    digests.insert(tag.clone(), d);
                }
                outcome.digest_failures.push(DigestFailure {
                    tag,
                    policies,
                    error,
                });
            }
        }
    }
    let old_tags = job.old.as_ref().map(|e| &e.tags);
    let tags = tags
        .into_iter()
        .map(|t| {
            let seen = match old_tags.and_then(|o| o.get(&t)) {
                Some(seen) => *seen,
                None => Some(now),
            };
            (t, seen)
        })
        .collect();
    outcome.entry = Ok(ImageEntry { tags, digests });
    outcome
}

/// Run every job on `workers` threads; `done(finished, total)` after each.
pub fn run_all(
    source: &dyn Source,
    jobs: &[Job],
    now: Timestamp,
    workers: usize,
    done: &(dyn Fn(usize, usize) + Sync),
) -> Vec<Outcome> {
    let next = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new((0..jobs.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..workers.clamp(1, jobs.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(job) = jobs.get(i) else { break };
                let outcome = run(source, job, now);
                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(outcome);
                done(finished.fetch_add(1, Ordering::SeqCst) + 1, jobs.len());
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect()
}

/// The new lock: the previous entries `retain` admits, then every image refreshed (its new
/// entry, moved in) or failed (`None`: its previous entry is kept).
pub fn merge(
    old: Option<&Lock>,
    refreshed: impl IntoIterator<Item = (String, Option<ImageEntry>)>,
    retain: impl Fn(&str) -> bool,
) -> Lock {
    let mut lock = Lock::new();
    if let Some(old) = old {
        for (name, entry) in old.images.iter().filter(|(n, _)| retain(n)) {
            lock.images.insert(name.clone(), entry.clone());
        }
    }
    for (name, entry) in refreshed {
        match entry {
            Some(entry) => {
                lock.images.insert(name, entry);
            }
            None => {
                if let Some(entry) = old.and_then(|l| l.image(&name)) {
                    lock.images.insert(name, entry.clone());
                }
            }
        }
    }
    lock
}

/// A Go duration as Flux's CRDs allow it: `^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`.
pub fn parse_go_duration(s: &str) -> Option<Duration> {
    let mut rest = s.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_len = rest
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        let value: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let (unit, len) = if rest.starts_with("ms") {
            (0.001, 2)
        } else if rest.starts_with('s') {
            (1.0, 1)
        } else if rest.starts_with('m') {
            (60.0, 1)
        } else if rest.starts_with('h') {
            (3600.0, 1)
        } else {
            return None;
        };
        total += value * unit;
        rest = &rest[len..];
    }
    Duration::try_from_secs_f64(total).ok()
}
