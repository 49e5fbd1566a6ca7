//! Which ImageUpdateAutomation updates which marker: the one place this Flux rule lives
//! (flux-semantics.md: an automation uses only policies in its own namespace that its
//! `policySelector` selects, and only files under its `update.path`).

use super::objects::AutomationDecl;
use super::policies::Policy;
use super::AutomationId;
use crate::flux_version::FluxVersion;
use crate::report::Finding;
use crate::resources::CommitSpec;
use crate::rules::Rule;
use crate::template::flux::{self, Change, CommitData, LatestImage, ObjectId};

/// A declared ImageUpdateAutomation.
#[derive(Debug)]
pub struct Automation {
    pub decl: AutomationDecl,
}

impl Automation {
    /// `spec.update.path`, `""` when unset (the whole repository).
    pub fn update_path(&self) -> &str {
        self.decl
            .spec
            .update
            .as_ref()
            .and_then(|u| u.path.as_deref())
            .unwrap_or("")
    }

    /// `spec.git.commit` (v1alpha1: `spec.commit`), and the path it sits at.
    pub fn commit_spec(&self) -> Option<(&CommitSpec, &'static [&'static str])> {
        let spec = &self.decl.spec;
        match (
            spec.git.as_ref().and_then(|g| g.commit.as_ref()),
            &spec.commit,
        ) {
            (Some(commit), _) => Some((commit, &["spec", "git", "commit"])),
            (None, Some(commit)) => Some((commit, &["spec", "commit"])),
            (None, None) => None,
        }
    }

    /// The template data every commit of this automation gets on `flux`, before its changes.
    pub(crate) fn commit_data(&self, flux: FluxVersion) -> CommitData {
        CommitData {
            automation_namespace: self.decl.key.namespace.clone(),
            automation_name: self.decl.key.name.clone(),
            values: self
                .commit_spec()
                .map(|(c, _)| c.message_template_values.clone())
                .unwrap_or_default(),
            flux,
            ..CommitData::default()
        }
    }

    /// The commit message template rendered on a sample change, as `fix --commit` will render
    /// it on real ones: a template that fails here (a removed field such as `.Updated`, a
    /// syntax error) stalls the automation in the cluster and stops `fix --commit`.
    pub(crate) fn check_template(&self, flux: FluxVersion) -> Option<Finding> {
        let (commit, at) = self.commit_spec()?;
        let template = commit.message_template.as_deref()?;
        let mut data = self.commit_data(flux);
        data.images.insert(
            format!("{}:app", self.decl.key.namespace),
            LatestImage {
                image: "ghcr.io/org/app".to_owned(),
                tag: "1.0.1".to_owned(),
                policy_namespace: self.decl.key.namespace.clone(),
                policy_name: "app".to_owned(),
            },
        );
        data.file_changes
            .entry("deploy/app.yaml".to_owned())
            .or_default()
            .entry(ObjectId {
                api_version: "apps/v1".to_owned(),
                kind: "Deployment".to_owned(),
                name: "app".to_owned(),
                namespace: self.decl.key.namespace.clone(),
            })
            .or_default()
            .push(Change {
                old_value: "ghcr.io/org/app:1.0.0".to_owned(),
                new_value: "ghcr.io/org/app:1.0.1".to_owned(),
                setter: format!("{}:app", self.decl.key.namespace),
            });
        let err = flux::render_message(Some(template), &data).err()?;
        let path: Vec<&str> = at.iter().copied().chain(["messageTemplate"]).collect();
        let (file, range) = self.decl.place(&path);
        Some(
            Finding::new(
                Rule::InvalidCommitTemplate,
                file,
                range,
                format!(
                    "ImageUpdateAutomation `{}` cannot render its commit message: {err}",
                    self.decl.key.slash()
                ),
            )
            .help(format!("Flux {flux} stalls the automation on this template, and `imagelock fix --commit` refuses it; see docs/ci.md for the data Flux gives templates, docs/flux-versions.md for how it differs between releases")),
        )
    }
}

/// Whether, and by which automations, a marker is updated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Coverage {
    /// The repository declares no automation: nothing to say.
    NoAutomations,
    /// No automation lives in the policy's namespace.
    NoneInNamespace,
    /// Automations in the namespace exist, but no policySelector selects the policy.
    NotSelected,
    /// Selected, but the file is outside every selecting automation's `update.path`.
    OutsidePath,
    /// Selected and under their `update.path`, but every one of these automations is suspended
    /// (`spec.suspend: true`): Flux updates nothing until one is resumed.
    Suspended(Vec<AutomationId>),
    /// These automations (namespace/name order, suspended ones included, at least one not)
    /// update it.
    Covered(Vec<AutomationId>),
}

impl Coverage {
    /// The automations that update the marker.
    pub fn automations(&self) -> &[AutomationId] {
        match self {
            Self::Covered(ids) => ids,
            _ => &[],
        }
    }
}

/// The automations that update a marker of `policy` in the repository-relative file `rel`.
pub(crate) fn coverage(automations: &[Automation], policy: &Policy, rel: &str) -> Coverage {
    if automations.is_empty() {
        return Coverage::NoAutomations;
    }
    // An automation runs in one cluster, against that cluster's policies.
    let in_namespace: Vec<(usize, &Automation)> = automations
        .iter()
        .enumerate()
        .filter(|(_, a)| {
            a.decl.cluster == policy.decl.cluster
                && a.decl.key.namespace == policy.decl.key.namespace
        })
        .collect();
    if in_namespace.is_empty() {
        return Coverage::NoneInNamespace;
    }
    let selecting: Vec<(usize, &Automation)> = in_namespace
        .into_iter()
        .filter(|(_, a)| {
            a.decl
                .spec
                .policy_selector
                .as_ref()
                .is_none_or(|s| s.matches(&policy.decl.labels))
        })
        .collect();
    if selecting.is_empty() {
        return Coverage::NotSelected;
    }
    let covering: Vec<AutomationId> = selecting
        .into_iter()
        .filter(|(_, a)| under_path(rel, a.update_path()))
        .map(|(i, _)| AutomationId(i))
        .collect();
    if covering.is_empty() {
        Coverage::OutsidePath
    } else if covering
        .iter()
        .all(|id| automations[id.0].decl.spec.suspend)
    {
        Coverage::Suspended(covering)
    } else {
        Coverage::Covered(covering)
    }
}

/// Whether repository-relative `rel` is under an automation's `update.path`.
pub(crate) fn under_path(rel: &str, path: &str) -> bool {
    let path = path.trim_start_matches("./").trim_matches('/');
    path.is_empty()
        || path == "."
        || rel == path
        || (rel.starts_with(path) && rel.as_bytes().get(path.len()) == Some(&b'/'))
}

/// The path Flux records a file by in its commit data: relative to `update.path`.
pub(crate) fn relative_to(rel: &str, update_path: &str) -> String {
    let base = update_path.trim_start_matches("./").trim_matches('/');
    if base.is_empty() || base == "." {
        return rel.to_owned();
    }
    if rel == base {
        return crate::text::file_name(rel).to_owned();
    }
    rel.strip_prefix(base)
        .and_then(|r| r.strip_prefix('/'))
        .unwrap_or(rel)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::{relative_to, under_path};

    #[test]
    fn update_paths() {
        assert!(under_path("clusters/a.yaml", ""));
        assert!(under_path("clusters/a.yaml", "./"));
        assert!(under_path("clusters/a.yaml", "./clusters"));
        assert!(under_path("clusters/a.yaml", "clusters/"));
        assert!(under_path("clusters/a.yaml", "clusters/a.yaml"));
        assert!(!under_path("clusters2/a.yaml", "clusters"));
        assert!(!under_path("apps/a.yaml", "clusters"));
    }

    #[test]
    fn file_paths_are_relative_to_the_update_path_as_flux_records_them() {
        assert_eq!(relative_to("clusters/app.yaml", ""), "clusters/app.yaml");
        assert_eq!(relative_to("clusters/app.yaml", "./"), "clusters/app.yaml");
        assert_eq!(relative_to("clusters/app.yaml", "./clusters"), "app.yaml");
        assert_eq!(relative_to("clusters/a/b.yaml", "clusters/"), "a/b.yaml");
        assert_eq!(
            relative_to("clusters/app.yaml", "clusters/app.yaml"),
            "app.yaml"
        );
    }
}
