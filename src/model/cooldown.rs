//! A policy's time settings (its `imagelock.dev/…` annotations over the repository's default)
//! and what they do to markers. Whether a tag or digest is old enough is decided in
//! `policy::cooldown` alone; this module only feeds it and reports.

use super::objects::PolicyDecl;
use super::policies::{Policy, Resolution};
use super::sites::{Context, MarkerSite};
use super::SourceFile;
use crate::lock::{ImageEntry, Lock, Timestamp};
use crate::marker::Suffix;
use crate::policy::cooldown::{Cooldown, MinAge};
use crate::policy::{self, Age, Timing, Verdict};
use crate::report::{Finding, Times as FindingTimes};
use crate::rules::Rule;

/// The annotation that gives a policy its own minimum age (`0`: none, whatever the default).
pub(crate) const MIN_AGE: &str = "imagelock.dev/min-age";
/// The annotation that orders a policy's candidates by first-seen time instead.
pub(crate) const ORDER: &str = "imagelock.dev/order";
pub(crate) const NEWEST_FIRST_SEEN: &str = "newest-first-seen";

/// A policy's time settings (defined beside the rule that reads them, so refresh can use them).
pub use crate::policy::cooldown::Settings as Times;

impl Times {
    /// Read from the policy's annotations over the repository default; `Err` holds the
    /// findings for values that cannot be read (the policy is then not resolved: a cooldown
    /// that cannot be honoured must not be skipped).
    pub(super) fn read(decl: &PolicyDecl, default: Option<MinAge>) -> Result<Self, Vec<Finding>> {
        let mut findings = Vec::new();
        let mut bad = |key: &str, message: String| {
            let span = decl.span(&["metadata", "annotations", key]);
            findings.push(
                Finding::new(Rule::InvalidSpec, &decl.rel, span, message).help(
                    "see `docs/cooldown.md`; Flux ignores this annotation, imagelock does not",
                ),
            );
        };
        let min_age = match decl.annotations.get(MIN_AGE) {
            None => default,
            Some(v) => match v.parse::<MinAge>() {
                Ok(age) => Some(age).filter(|a| !a.is_zero()),
                Err(err) => {
                    bad(MIN_AGE, format!("annotation {MIN_AGE}: {err}"));
                    None
                }
            },
        };
        let newest_first_seen = match decl.annotations.get(ORDER).map(String::as_str) {
            None => false,
            Some(NEWEST_FIRST_SEEN) => true,
            Some(other) => {
                bad(
                    ORDER,
                    format!("annotation {ORDER}: `{other}` is not an order; the one order is `{NEWEST_FIRST_SEEN}`"),
                );
                false
            }
        };
        if findings.is_empty() {
            Ok(Self {
                min_age,
                newest_first_seen,
            })
        } else {
            Err(findings)
        }
    }

    /// The cooldown measured against the lock's refresh time.
    pub fn cooldown(&self, lock: Option<&Lock>) -> Option<Cooldown> {
        Some(Cooldown {
            min_age: self.min_age?,
            now: lock.and_then(|l| l.refreshed),
        })
    }

    /// What selection over `entry`'s tags needs to know of time.
    pub fn timing<'a>(&self, entry: &'a ImageEntry, lock: Option<&Lock>) -> Timing<'a> {
        Timing {
            seen: Some(&entry.tags),
            cooldown: self.cooldown(lock),
            newest_first_seen: self.newest_first_seen,
        }
    }

    /// The age of the locked digest of `tag` (eligible without a cooldown).
    pub fn digest_age(&self, entry: &ImageEntry, tag: &str, lock: Option<&Lock>) -> Age {
        self.cooldown(lock).map_or(Age::Eligible, |c| {
            c.age(entry.digests.get(tag).and_then(|d| d.seen))
        })
    }
}

/// A policy that selects no tag under a cooldown says so in its `no-tag-selected` help.
pub(super) fn no_tag_help(times: &Times, finding: Option<&mut Finding>) {
    if let (Some(age), Some(f)) = (times.min_age, finding) {
        let help = f.help.get_or_insert_with(String::new);
        help.push_str(&format!(
            "; its cooldown (min-age {age}) leaves out tags first seen less than {age} before the lock's last refresh"
        ));
    }
}

/// IL030 for a policy ordered by first-seen time whose choice Flux would not make: Flux knows no
/// such order, so if it also runs in the cluster the two fight over the marker.
pub(super) fn flux_would_differ(
    decl: &PolicyDecl,
    times: &Times,
    compiled: &policy::Policy,
    tags: &[&str],
    chosen: &str,
) -> Option<Finding> {
    if !times.newest_first_seen {
        return None;
    }
    let flux = compiled.select(tags).ok()?;
    if flux == chosen {
        return None;
    }
    let span = decl.span(&["metadata", "annotations", ORDER]);
    Some(
        Finding::new(
            Rule::FirstSeenOrder,
            &decl.rel,
            span,
            format!(
                "policy `{}` selects `{chosen}`, first seen last; Flux in the cluster would select `{flux}`",
                decl.id()
            ),
        )
        .help("let imagelock alone update this policy's markers: leave it out of every in-cluster ImageUpdateAutomation's policySelector"),
    )
}

/// A marker whose new value would carry a digest the cooldown finds too young keeps its value:
/// the previous digest stays until the new one is old enough.
pub(super) fn hold_young_digest(
    suffix: Suffix,
    r: &Resolution,
    current: &str,
    wanted: Option<String>,
) -> Option<String> {
    let uses_digest = suffix == Suffix::Digest || (suffix == Suffix::Full && r.reflect_digest);
    if uses_digest && !r.digest_age.eligible() && wanted.as_deref() != Some(current) {
        return Some(current.to_owned());
    }
    wanted
}

/// IL029 for a marker that holds, by hand, a locked tag its policy's cooldown finds too young.
pub(super) fn hand_set_young(
    cx: &Context<'_>,
    policy: &Policy,
    file: &SourceFile,
    site: &MarkerSite,
    held: &str,
) -> Option<Finding> {
    let resolution = policy.resolution()?;
    if held.is_empty() || held == resolution.tag {
        return None;
    }
    let cooldown = policy.times.cooldown(cx.lock)?;
    let (entry, _) = super::sites::locked_entry(cx, policy)?;
    let seen = *entry.tags.get(held)?;
    let age = cooldown.age(seen);
    let (when, help) = match age {
        Age::Eligible => return None,
        Age::TooYoung { seen, from } => (
            format!("first seen {seen}, eligible from {from}"),
            format!("wait until {from} and a `imagelock refresh`, or set the value back with `imagelock fix`"),
        ),
        Age::Unknown => (
            "first seen at no recorded time".to_owned(),
            "run `imagelock refresh` to record a time, or set the value back with `imagelock fix`".to_owned(),
        ),
    };
    Some(
        Finding::new(
            Rule::TooYoung,
            &file.rel,
            site.range,
            format!(
                "`{}` holds `{held}`, younger than the policy's min-age {}: {when}",
                site.marker.setter, cooldown.min_age
            ),
        )
        .label(format!("policy `{}` has a cooldown", policy.decl.id()))
        .help(help)
        .times(FindingTimes {
            first_seen: seen,
            eligible_from: match age {
                Age::TooYoung { from, .. } => Some(from),
                _ => None,
            },
            min_age: cooldown.min_age.to_string(),
            now: cooldown.now,
        }),
    )
}

/// The next update a cooldown holds back: the tag (or, for a digest, `tag@digest`) that the
/// policy will select once time passes, and from when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NextUpdate {
    pub value: String,
    pub from: Timestamp,
}

impl super::Model {
    /// The next update of a policy under its cooldown: selection is run again as of each time
    /// a too-young tag comes of age, through the same eligibility rule as resolution.
    pub fn next_update(&self, id: super::PolicyId) -> Option<NextUpdate> {
        let policy = self.policy(id);
        let cooldown = policy.times.cooldown(self.lock.as_ref())?;
        let compiled = policy.compiled.as_ref()?;
        let candidates = self.candidates(id).ok()?;
        let current = candidates.evaluation.result.as_ref().ok();
        let mut froms: Vec<Timestamp> = candidates
            .evaluation
            .tags
            .iter()
            .filter_map(|t| match t.verdict {
                Verdict::TooYoung(Age::TooYoung { from, .. }) => Some(from),
                _ => None,
            })
            .collect();
        froms.sort_unstable();
        froms.dedup();
        let tags: Vec<&str> = candidates
            .evaluation
            .tags
            .iter()
            .map(|t| t.tag.as_str())
            .collect();
        for from in froms {
            let mut timing = policy.times.timing(candidates.entry, self.lock.as_ref());
            timing.cooldown = Some(Cooldown {
                now: Some(from),
                ..cooldown
            });
            let then = compiled.select_timed(&tags, &timing).ok();
            if then.as_ref() != current {
                return then.map(|value| NextUpdate { value, from });
            }
        }
        let r = policy.resolution()?;
        match (r.digest_age, &r.digest) {
            (Age::TooYoung { from, .. }, Some(digest)) => Some(NextUpdate {
                value: format!("{}@{digest}", r.tag),
                from,
            }),
            _ => None,
        }
    }
}
