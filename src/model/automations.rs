//! Which ImageUpdateAutomation updates which marker: the one place this Flux rule lives
//! (flux-semantics.md: an automation uses only policies in its own namespace that its
//! `policySelector` selects, and only files under its `update.path`).

use super::objects::AutomationDecl;
use super::policies::Policy;
use super::AutomationId;

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
    /// These automations (namespace/name order, suspended ones included) update it.
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
    let in_namespace: Vec<(usize, &Automation)> = automations
        .iter()
        .enumerate()
        .filter(|(_, a)| a.decl.key.namespace == policy.decl.key.namespace)
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
        return rel.rsplit('/').next().unwrap_or(rel).to_owned();
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
