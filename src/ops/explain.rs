//! `explain`: every locked tag of a policy's repository, why it lost, and the winner; then the
//! markers that use the policy.

use serde::Serialize;

use crate::model::{Model, NoCandidates, ObjectKey, PolicyId};
use crate::policy::semver::SemverRules;
use crate::policy::{Age, Choice, Verdict};
use crate::text::LineIndex;

#[derive(Debug, Serialize)]
pub struct Explanation {
    pub policy: String,
    pub file: String,
    /// The cluster (its root's path); absent where the repository has no Flux Kustomization.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cluster: String,
    /// The Flux Kustomization that applies the policy.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub applied_by: String,
    /// What shaped the policy after its file, in order: namespaces, prefixes, patches,
    /// substitution, each with the file and line that did it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shaped_by: Vec<StepRow>,
    /// Other clusters that have a policy of this name (`--cluster` explains one of them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_in: Vec<String>,
    pub kind: String,
    pub filter: Option<String>,
    pub repository: String,
    pub image: String,
    pub canonical: String,
    pub exclusions: Vec<String>,
    pub tags: Vec<TagRow>,
    pub winner: Option<String>,
    pub digest: Option<String>,
    /// Set when the winner's digest is too young to be adopted: from when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest_eligible_from: Option<String>,
    /// The cooldown (`48h` prints as `2d`), when one applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_age: Option<String>,
    /// `newest-first-seen` when the policy is ordered by first-seen time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    /// The lock's `refreshed` time: "now" for every cooldown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refreshed: Option<String>,
    pub error: Option<String>,
    pub markers: Vec<MarkerRow>,
}

#[derive(Debug, Serialize)]
pub struct StepRow {
    pub step: String,
    pub file: String,
    pub line: usize,
}

#[derive(Debug, Serialize)]
pub struct TagRow {
    pub tag: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// When `refresh` first saw the tag (`None`: no record).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
    /// For a tag too young for the cooldown: from when it is eligible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eligible_from: Option<String>,
    pub verdict: String,
}

#[derive(Debug, Serialize)]
pub struct MarkerRow {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub setter: String,
    pub value: String,
    /// `in sync`, `out of date`, or `unresolved` when the policy selects nothing.
    pub state: &'static str,
}

/// Explain one policy; `None` when no such policy is declared.
pub fn explain(model: &Model, key: &ObjectKey) -> Option<Explanation> {
    let id = model.policy_id(key)?;
    let policy = model.policy(id);
    let decl = &policy.decl;
    let repository = model.repository_of(policy);
    let also_in = model
        .policies
        .iter()
        .filter(|p| p.decl.key == *key && p.decl.cluster != decl.cluster)
        .map(|p| model.cluster_name(p.decl.cluster).to_owned())
        .collect();
    let mut e = Explanation {
        policy: key.to_string(),
        file: decl.rel.clone(),
        cluster: model.cluster_name(decl.cluster).to_owned(),
        applied_by: decl.by.clone(),
        shaped_by: decl
            .steps
            .iter()
            .map(|s| StepRow {
                step: s.what.clone(),
                file: s.origin.file.to_string(),
                line: model.line_of(&s.origin.file, s.origin.range.start()),
            })
            .collect(),
        also_in,
        kind: String::new(),
        filter: None,
        repository: policy.repository.to_string(),
        image: repository
            .and_then(|r| r.decl.spec.image.clone())
            .unwrap_or_default(),
        canonical: String::new(),
        exclusions: Vec::new(),
        tags: Vec::new(),
        winner: None,
        digest: None,
        digest_eligible_from: None,
        min_age: policy.times.min_age.map(|a| a.to_string()),
        order: policy
            .times
            .newest_first_seen
            .then(|| "newest-first-seen".to_owned()),
        refreshed: model
            .lock
            .as_ref()
            .and_then(|l| l.refreshed)
            .map(|t| t.to_string()),
        error: None,
        markers: markers(model, id),
    };
    let candidates = match model.candidates(id) {
        Ok(c) => c,
        Err(NoCandidates::Invalid) => {
            e.error = Some(format!(
                "the policy or its repository is invalid; run `imagelock check {}`",
                decl.rel
            ));
            return Some(e);
        }
        Err(NoCandidates::NotLocked(canonical)) => {
            describe(&mut e, model, id);
            e.error = Some(format!(
                "`{canonical}` is not in the lock; run `imagelock refresh`"
            ));
            e.canonical = canonical;
            return Some(e);
        }
    };
    describe(&mut e, model, id);
    e.canonical = candidates.image.canonical();
    let evaluation = &candidates.evaluation;
    let seen = |tag: &str| {
        candidates
            .entry
            .tags
            .get(tag)
            .copied()
            .flatten()
            .map(|t| t.to_string())
    };
    for t in &evaluation.tags {
        let mut eligible_from = None;
        let verdict = match &t.verdict {
            Verdict::TooYoung(Age::TooYoung { from, .. }) => {
                eligible_from = Some(from.to_string());
                format!("too young: eligible from {from}")
            }
            Verdict::TooYoung(_) => {
                "no first-seen time recorded: not eligible under a cooldown".to_owned()
            }
            Verdict::FilteredOut => "filtered out by the pattern".to_owned(),
            Verdict::SameKey { winner } => format!("same key as {winner}, which replaces it"),
            Verdict::NotVersion => match policy.compiled.as_ref().map(|c| c.semver_rules) {
                Some(SemverRules::UpTo2_6) => format!(
                    "not a version for Flux {} (strict semver: three numbers, no leading zeros)",
                    model.config.flux_version
                ),
                _ => "not a version".to_owned(),
            },
            Verdict::OutOfRange => "out of range".to_owned(),
            Verdict::NotNumeric => "not a number: fails the policy".to_owned(),
            Verdict::Lower => match &evaluation.result {
                Ok(w) if policy.times.newest_first_seen => format!("first seen before {w}"),
                Ok(w) => format!("lower than {w}"),
                Err(_) => "candidate".to_owned(),
            },
            Verdict::Winner => "selected".to_owned(),
        };
        e.tags.push(TagRow {
            tag: t.tag.clone(),
            key: t.key.clone().filter(|k| *k != t.tag),
            first_seen: seen(&t.tag),
            eligible_from,
            verdict,
        });
    }
    for (tag, pattern) in &candidates.excluded {
        e.tags.push(TagRow {
            tag: tag.clone(),
            key: None,
            first_seen: seen(tag),
            eligible_from: None,
            verdict: format!("excluded by {pattern}"),
        });
    }
    e.tags.sort_by(|a, b| b.tag.cmp(&a.tag));
    match &evaluation.result {
        Ok(tag) => {
            e.digest = candidates.digest.clone();
            e.winner = Some(tag.clone());
            if let Some(r) = policy.resolution() {
                if let Age::TooYoung { from, .. } = r.digest_age {
                    e.digest_eligible_from = Some(from.to_string());
                }
            }
        }
        Err(err) => e.error = Some(err.to_string()),
    }
    Some(e)
}

/// The policy's kind, filter and exclusion list.
fn describe(e: &mut Explanation, model: &Model, id: PolicyId) {
    let policy = model.policy(id);
    if let Some(compiled) = &policy.compiled {
        e.kind = match &compiled.choice {
            Choice::Semver(range) => format!("semver {range}"),
            Choice::Alphabetical(o) => format!("alphabetical {}", o.as_str()),
            Choice::Numerical(o) => format!("numerical {}", o.as_str()),
        };
    }
    e.filter = policy.decl.spec.filter_tags.as_ref().and_then(|f| {
        let pattern = f.pattern.clone()?;
        Some(match f.extract.as_deref().filter(|x| !x.is_empty()) {
            Some(x) => format!("pattern {pattern}, extract {x}"),
            None => format!("pattern {pattern}"),
        })
    });
    let spec_list = model
        .repository_of(policy)
        .map(|r| r.decl.spec.exclusion_list.clone())
        .unwrap_or_default();
    e.exclusions = if spec_list.is_empty() {
        vec![format!(
            "{} (Flux's default)",
            crate::policy::DEFAULT_EXCLUSION
        )]
    } else {
        spec_list
    };
}

fn markers(model: &Model, id: PolicyId) -> Vec<MarkerRow> {
    let resolved = model.policy(id).resolution().is_some();
    let mut rows = Vec::new();
    // Sites come in file order: one line index per file.
    let mut index: Option<(usize, LineIndex)> = None;
    for site in model.sites_of(id) {
        let file = model.file(site.file);
        let lines = match &mut index {
            Some((i, lines)) if *i == site.file.0 => lines,
            slot => &mut slot.insert((site.file.0, LineIndex::new(&file.text))).1,
        };
        let at = lines.line_col(&file.text, site.range.start());
        let state = if !resolved {
            "unresolved"
        } else if site.out_of_date() {
            "out of date"
        } else {
            "in sync"
        };
        rows.push(MarkerRow {
            file: file.rel.clone(),
            line: at.line,
            column: at.column,
            setter: site.marker.setter.clone(),
            value: site.current.clone(),
            state,
        });
    }
    rows
}
