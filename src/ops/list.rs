//! `list`: one row per policy — the `flux get image policy` of this tool.

use serde::Serialize;

use crate::model::{Model, Policy, State};

#[derive(Debug, Serialize)]
pub struct Row {
    pub policy: String,
    /// The cluster the policy is in (its root's path); absent where the repository has no
    /// Flux Kustomization.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cluster: String,
    pub image: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
    /// Markers naming this policy, across the repository.
    pub markers: usize,
    pub out_of_date: usize,
    /// `in sync`, `out of date`, `unused`, or why the policy does not resolve.
    pub status: String,
    /// The update a cooldown holds back (a tag, or `tag@digest`), and from when it is eligible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_eligible_from: Option<String>,
}

pub fn rows(model: &Model) -> Vec<Row> {
    model
        .policies
        .iter()
        .enumerate()
        .map(|(index, policy)| {
            let id = crate::model::PolicyId(index);
            let image = model
                .repository_of(policy)
                .and_then(|r| r.decl.spec.image.clone())
                .unwrap_or_default();
            let (count, out_of_date) = model.sites_of(id).fold((0, 0), |(n, stale), s| {
                (n + 1, stale + usize::from(s.out_of_date()))
            });
            let conflicts = model.sites_of(id).filter(|s| s.conflict).count();
            let resolution = policy.resolution();
            let status = match resolution {
                None => format!("unresolved: {}", unresolved(model, policy)),
                Some(_) if conflicts > 0 => "clusters disagree".to_owned(),
                Some(_) if out_of_date > 0 => "out of date".to_owned(),
                Some(_) if count == 0 => "unused".to_owned(),
                Some(_) => "in sync".to_owned(),
            };
            let next = model.next_update(id);
            Row {
                next: next.as_ref().map(|n| n.value.clone()),
                next_eligible_from: next.map(|n| n.from.to_string()),
                policy: policy.decl.key.to_string(),
                cluster: model.cluster_name(policy.decl.cluster).to_owned(),
                image,
                tag: resolution.map(|r| r.tag.clone()),
                digest: resolution.and_then(|r| r.digest.clone()),
                markers: count,
                out_of_date,
                status,
            }
        })
        .collect()
}

/// Why a policy has no resolution, in a few words.
fn unresolved(model: &Model, policy: &Policy) -> String {
    match &policy.state {
        State::Resolved(_) => String::new(),
        State::NotLocked if model.lock.is_none() => {
            format!("no lockfile `{}` (run `imagelock refresh`)", model.lock_rel)
        }
        State::NotLocked => "its image is not locked (run `imagelock refresh`)".to_owned(),
        State::NoTag(_) => "no tag selected".to_owned(),
        State::NotNeeded => "not resolved".to_owned(),
        State::Invalid => invalid_reason(model, policy),
    }
}

/// The first finding inside the policy's object (or its repository's), by rule name.
fn invalid_reason(model: &Model, policy: &Policy) -> String {
    let mut places = vec![(&policy.decl.rel, policy.decl.range)];
    if let Some(repo) = model.repository_of(policy) {
        places.push((&repo.decl.rel, repo.decl.range));
    }
    places
        .iter()
        .find_map(|(rel, range)| {
            model
                .findings
                .iter()
                .find(|f| f.file == **rel && range.contains_range(f.range))
        })
        .map_or_else(
            || {
                if model.repository_of(policy).is_none() {
                    "missing-image-repository".to_owned()
                } else {
                    "invalid (see `imagelock check`)".to_owned()
                }
            },
            |f| f.rule.name().to_owned(),
        )
}
