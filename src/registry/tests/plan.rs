//! The refresh plan: jobs per image, digests needed, and the merged lock.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::image::ImageName;
use crate::lock::{ImageEntry, Lock, LockedDigest, Timestamp};
use crate::policy::{semver::Range, Choice, Exclusions, Policy};
use crate::registry::refresh::{self, Job, Outcome, PolicyInput, RepositoryInput, Session, Source};
use crate::registry::tags::Listing;
use crate::registry::RegistryError;

struct FakeSource {
    tags: BTreeMap<String, Result<Vec<&'static str>, u16>>,
    digests: BTreeMap<String, Result<String, u16>>,
    asked: std::sync::Mutex<Vec<String>>,
}

struct FakeSession<'a> {
    source: &'a FakeSource,
    image: String,
}

fn err(status: u16) -> RegistryError {
    RegistryError::Status {
        url: "u".into(),
        status,
        code: None,
        message: None,
    }
}

impl Source for FakeSource {
    fn session<'a>(&'a self, job: &'a Job) -> Result<Box<dyn Session + 'a>, RegistryError> {
        Ok(Box::new(FakeSession {
            source: self,
            image: job.canonical.clone(),
        }))
    }
}

impl Session for FakeSession<'_> {
    fn list(&mut self) -> Result<Listing, RegistryError> {
        match &self.source.tags[&self.image] {
            Ok(tags) => Ok(Listing {
                tags: tags.iter().map(|t| (*t).to_owned()).collect(),
                ..Listing::default()
            }),
            Err(s) => Err(err(*s)),
        }
    }
    fn digest(&mut self, tag: &str) -> Result<String, RegistryError> {
        let key = format!("{}:{tag}", self.image);
        self.source.asked.lock().unwrap().push(key.clone());
        match &self.source.digests[&key] {
            Ok(d) => Ok(d.clone()),
            Err(s) => Err(err(*s)),
        }
    }
}

fn key(n: &str) -> crate::model::ObjectKey {
    crate::model::ObjectKey::new("ns", n)
}

fn repo(name: &str, image: &str, exclusions: &[&str]) -> RepositoryInput {
    RepositoryInput {
        key: key(name),
        image: ImageName::parse(image).unwrap(),
        exclusions: Exclusions::new(exclusions).unwrap(),
        insecure: false,
        timeout: None,
        suspended: false,
    }
}

fn semver(name: &str, repository: &str, range: &str, always: bool) -> PolicyInput {
    PolicyInput {
        key: key(name),
        policy: Policy {
            choice: Choice::Semver(range.parse::<Range>().unwrap()),
            filter: None,
            semver_rules: Default::default(),
        },
        repository: key(repository),
        always,
        times: Default::default(),
    }
}

/// The time of the old locks below, and that of the refreshes.
fn t0() -> Timestamp {
    "2026-11-01T08:00:00Z".parse().unwrap()
}
fn t1() -> Timestamp {
    "2026-11-29T12:00:00Z".parse().unwrap()
}

fn entry(tags: &[&str], digests: &[(&str, &str)]) -> ImageEntry {
    ImageEntry {
        tags: tags.iter().map(|t| ((*t).to_owned(), Some(t0()))).collect(),
        digests: digests
            .iter()
            .map(|(t, d)| ((*t).to_owned(), LockedDigest::new(*d, Some(t0()))))
            .collect(),
    }
}

/// What `merge` takes, without consuming the outcome.
fn refreshed(o: &Outcome) -> (String, Option<ImageEntry>) {
    (o.canonical.clone(), o.entry.as_ref().ok().cloned())
}

#[test]
fn suspended_repositories_are_planned_only_when_named_or_sharing_an_image() {
    let suspended = |mut r: RepositoryInput| {
        r.suspended = true;
        r
    };
    let repos = [
        suspended(repo("s", "ghcr.io/o/asleep", &[])),
        suspended(repo("t", "ghcr.io/o/shared", &["^dev-"])),
        repo("u", "ghcr.io/o/shared", &[]),
    ];
    let jobs = refresh::plan(&repos, &[], None, None);
    let names: Vec<&str> = jobs.iter().map(|j| j.canonical.as_str()).collect();
    assert_eq!(names, ["ghcr.io/o/shared"]);
    assert_eq!(
        jobs[0].repositories,
        [key("t"), key("u")],
        "t still shapes it"
    );

    let only: BTreeSet<_> = [key("s")].into();
    let jobs = refresh::plan(&repos, &[], None, Some(&only));
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].canonical, "ghcr.io/o/asleep");
}

#[test]
fn one_job_per_image_with_the_union_of_exclusions() {
    let repos = [
        repo("a", "ghcr.io/o/app", &["^dev-"]),
        repo("b", "ghcr.io/o/app", &["^rc-"]),
        repo("c", "ghcr.io/o/other", &[]),
    ];
    let jobs = refresh::plan(&repos, &[], None, None);
    assert_eq!(jobs.len(), 2);
    let source = FakeSource {
        tags: [(
            "ghcr.io/o/app".to_owned(),
            Ok(vec!["1", "dev-1", "rc-1", "x.sig"]),
        )]
        .into(),
        digests: BTreeMap::new(),
        asked: Default::default(),
    };
    let out = refresh::run(&source, &jobs[0], t1());
    // dev-1 is kept by b, rc-1 by a; x.sig (no default exclusion here) by both.
    assert_eq!(
        out.entry.unwrap().tag_names().collect::<Vec<_>>(),
        ["1", "dev-1", "rc-1", "x.sig"]
    );

    let only: BTreeSet<_> = [key("c")].into();
    let jobs = refresh::plan(&repos, &[], None, Some(&only));
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].canonical, "ghcr.io/o/other");
    assert_eq!(jobs[0].timeout, Duration::from_secs(60));
}

#[test]
fn digests_if_not_present_always_and_only_those_needed() {
    let repos = [repo("app", "ghcr.io/o/app", &[])];
    let policies = [
        semver("keep", "app", "1.x", false),
        semver("fresh", "app", ">=2.0.0", true),
    ];
    let mut old = Lock::new();
    old.images.insert(
        "ghcr.io/o/app".into(),
        entry(
            &["1.0.0", "1.1.0", "2.0.0"],
            &[
                ("1.1.0", "sha256:old11"),
                ("2.0.0", "sha256:old20"),
                ("1.0.0", "sha256:stale"),
            ],
        ),
    );
    let jobs = refresh::plan(&repos, &policies, Some(&old), None);
    let source = FakeSource {
        tags: [(
            "ghcr.io/o/app".to_owned(),
            Ok(vec!["1.0.0", "1.1.0", "2.0.0", "2.1.0"]),
        )]
        .into(),
        digests: [(
            "ghcr.io/o/app:2.1.0".to_owned(),
            Ok("sha256:new21".to_owned()),
        )]
        .into(),
        asked: Default::default(),
    };
    let out = refresh::run(&source, &jobs[0], t1());
    assert_eq!((out.fetched, out.kept), (1, 1));
    let e = out.entry.unwrap();
    // IfNotPresent keeps 1.1.0's locked digest (and its time); Always fetched 2.1.0, new,
    // so seen now; 1.0.0 and 2.0.0 are no longer selected, so they go.
    assert_eq!(
        e.digests,
        [
            (
                "1.1.0".to_owned(),
                LockedDigest::new("sha256:old11", Some(t0()))
            ),
            (
                "2.1.0".to_owned(),
                LockedDigest::new("sha256:new21", Some(t1()))
            )
        ]
        .into()
    );
    // Tags already locked keep their time; 2.1.0 is first seen now.
    assert_eq!(e.tags["1.0.0"], Some(t0()));
    assert_eq!(e.tags["2.1.0"], Some(t1()));
    assert_eq!(*source.asked.lock().unwrap(), ["ghcr.io/o/app:2.1.0"]);
}

#[test]
fn always_refetches_an_unchanged_tag_and_failures_keep_the_old_digest() {
    let repos = [repo("app", "ghcr.io/o/app", &[])];
    let policies = [semver("p", "app", "1.x", true)];
    let mut old = Lock::new();
    old.images.insert(
        "ghcr.io/o/app".into(),
        entry(&["1.1.0"], &[("1.1.0", "sha256:old")]),
    );
    let jobs = refresh::plan(&repos, &policies, Some(&old), None);
    let source = FakeSource {
        tags: [("ghcr.io/o/app".to_owned(), Ok(vec!["1.1.0"]))].into(),
        digests: [("ghcr.io/o/app:1.1.0".to_owned(), Err(503))].into(),
        asked: Default::default(),
    };
    let out = refresh::run(&source, &jobs[0], t1());
    assert!(out.failed());
    assert_eq!(out.digest_failures[0].policies, [key("p")]);
    assert_eq!(out.entry.unwrap().digest("1.1.0"), Some("sha256:old"));
}

#[test]
fn a_failed_image_keeps_its_entry_and_undeclared_entries_go() {
    let repos = [repo("a", "ghcr.io/o/a", &[]), repo("b", "ghcr.io/o/b", &[])];
    let mut old = Lock::new();
    old.images.insert("ghcr.io/o/a".into(), entry(&["1"], &[]));
    old.images
        .insert("ghcr.io/o/b".into(), entry(&["1"], &[("1", "sha256:b")]));
    old.images
        .insert("ghcr.io/o/gone".into(), entry(&["1"], &[]));
    let jobs = refresh::plan(&repos, &[], Some(&old), None);
    let source = FakeSource {
        tags: [
            ("ghcr.io/o/a".to_owned(), Ok(vec!["1", "2"])),
            ("ghcr.io/o/b".to_owned(), Err(500)),
        ]
        .into(),
        digests: BTreeMap::new(),
        asked: Default::default(),
    };
    let outcomes = refresh::run_all(&source, &jobs, t1(), 4, &|_, _| {});
    let lock = refresh::merge(Some(&old), outcomes.iter().map(refreshed), |_| false);
    assert_eq!(
        lock.images.keys().collect::<Vec<_>>(),
        ["ghcr.io/o/a", "ghcr.io/o/b"]
    );
    assert_eq!(lock.images["ghcr.io/o/a"].tags.len(), 2);
    assert_eq!(lock.images["ghcr.io/o/b"], old.images["ghcr.io/o/b"]);
    // With --repository, everything else stays.
    let lock = refresh::merge(Some(&old), outcomes.iter().map(refreshed), |_| true);
    assert!(lock.images.contains_key("ghcr.io/o/gone"));
}

#[test]
fn a_re_pointed_tag_gets_a_new_digest_time_and_the_same_digest_keeps_its_own() {
    let repos = [repo("app", "ghcr.io/o/app", &[])];
    let policies = [
        semver("moved", "app", "1.x", true),
        semver("same", "app", "2.x", true),
    ];
    let mut old = Lock::new();
    old.images.insert(
        "ghcr.io/o/app".into(),
        entry(
            &["1.0.0", "2.0.0"],
            &[("1.0.0", "sha256:a"), ("2.0.0", "sha256:b")],
        ),
    );
    // A version 1 lock's tag has no time: it stays without one here (refresh stamps it).
    old.images
        .get_mut("ghcr.io/o/app")
        .unwrap()
        .tags
        .insert("0.9.0".into(), None);
    let jobs = refresh::plan(&repos, &policies, Some(&old), None);
    let source = FakeSource {
        tags: [(
            "ghcr.io/o/app".to_owned(),
            Ok(vec!["0.9.0", "1.0.0", "2.0.0"]),
        )]
        .into(),
        digests: [
            ("ghcr.io/o/app:1.0.0".to_owned(), Ok("sha256:a2".to_owned())),
            ("ghcr.io/o/app:2.0.0".to_owned(), Ok("sha256:b".to_owned())),
        ]
        .into(),
        asked: Default::default(),
    };
    let e = refresh::run(&source, &jobs[0], t1()).entry.unwrap();
    assert_eq!(
        e.digests["1.0.0"],
        LockedDigest::new("sha256:a2", Some(t1()))
    );
    assert_eq!(
        e.digests["2.0.0"],
        LockedDigest::new("sha256:b", Some(t0()))
    );
    assert_eq!(e.tags["1.0.0"], Some(t0()));
    assert_eq!(e.tags["0.9.0"], None);
}

#[test]
fn go_durations() {
    let d = refresh::parse_go_duration;
    assert_eq!(d("1m30s"), Some(Duration::from_secs(90)));
    assert_eq!(d("500ms"), Some(Duration::from_millis(500)));
    assert_eq!(d("1.5h"), Some(Duration::from_secs(5400)));
    assert_eq!(d("10"), None);
    assert_eq!(d("1d"), None);
    assert_eq!(d(""), None);
}

#[test]
fn under_a_cooldown_the_digests_of_the_selected_tag_and_of_each_tag_coming_of_age_are_locked() {
    let repos = [repo("app", "ghcr.io/o/app", &[])];
    let mut cooled = semver("p", "app", ">=1.0.0", false);
    cooled.times.min_age = Some("2d".parse().unwrap());
    let mut old = Lock::new();
    // 1.0.0 and 1.1.0 are old; 1.2.0 was first seen a day before t1, so 2d after is in the future.
    let mut e = entry(&["1.0.0", "1.1.0"], &[]);
    e.tags
        .insert("1.2.0".into(), "2026-11-28T12:00:00Z".parse().ok());
    old.images.insert("ghcr.io/o/app".into(), e);
    let jobs = refresh::plan(&repos, &[cooled], Some(&old), None);
    let digest = |tag: &str| (format!("ghcr.io/o/app:{tag}"), Ok(format!("sha256:{tag}")));
    let source = FakeSource {
        tags: [(
            "ghcr.io/o/app".to_owned(),
            Ok(vec!["1.0.0", "1.1.0", "1.2.0", "1.3.0"]),
        )]
        .into(),
        digests: ["1.1.0", "1.2.0", "1.3.0"].map(digest).into(),
        asked: Default::default(),
    };
    let out = refresh::run(&source, &jobs[0], t1());
    let e = out.entry.unwrap();
    // Selected now: 1.1.0; 1.2.0 comes of age on 11-30, 1.3.0 (seen now) on 12-01: each is
    // locked now, so each digest's time is its tag's, and it comes of age with it.
    let locked: Vec<&str> = e.digests.keys().map(String::as_str).collect();
    assert_eq!(locked, ["1.1.0", "1.2.0", "1.3.0"]);
    assert_eq!(e.digests["1.3.0"].seen, Some(t1()));
}
