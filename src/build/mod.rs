//! The objects each cluster really gets: Flux's kustomize-controller builds (kustomize, then
//! Flux's own steps), modelled natively and offline, with where every value came from.
//! docs/clusters.md says what is modelled and what is not.

mod flux;
mod kustomization;
mod kustomize;
mod patch;
mod simple;
pub(crate) mod source;
mod subst;
mod value;

use std::sync::Arc;

pub(crate) use flux::{build_clusters, is_kustomization_file, Applied, Clusters, Options};
pub(crate) use patch::Target;
pub(crate) use value::{Flat, Node, Origin};

use crate::report::Finding;
use crate::rules::Rule;

/// Something a build met: a failure (the build yields nothing) or a warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Problem {
    pub rule: Rule,
    pub origin: Origin,
    pub message: String,
}

impl Problem {
    pub fn finding(&self) -> Finding {
        Finding::new(
            self.rule,
            &self.origin.file,
            self.origin.range,
            &self.message,
        )
    }
}

/// One step that shaped an object after its file: a namespace, a prefix, a patch, a
/// substitution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Step {
    pub what: String,
    pub origin: Origin,
}

impl Step {
    pub fn new(what: impl Into<String>, origin: &Origin) -> Self {
        Self {
            what: what.into(),
            origin: origin.clone(),
        }
    }
}

/// Whether an object can matter to image automation: the Flux API groups' objects, Namespaces
/// (their labels grant access), and ConfigMaps and Secrets when a build substitutes from them.
pub(crate) fn is_relevant(api_version: &str, kind: &str, config_maps: bool) -> bool {
    api_version.ends_with("toolkit.fluxcd.io")
        || api_version.contains("toolkit.fluxcd.io/")
        || (api_version == "v1"
            && (kind == "Namespace" || (config_maps && matches!(kind, "ConfigMap" | "Secret"))))
}

/// An object in a build.
#[derive(Clone, Debug)]
pub(crate) struct Resource {
    pub node: Node,
    pub group: String,
    pub version: String,
    pub kind: String,
    /// Every name it has had, the original first (patch targets match the original and the
    /// current one).
    pub names: Vec<String>,
    pub namespaces: Vec<Option<String>>,
    pub steps: Vec<Step>,
}

impl Resource {
    /// A document as an object, if it is one the builds keep.
    pub fn new(node: Node, config_maps: bool) -> Option<Self> {
        let api_version = node.str_at(&["apiVersion"])?.to_owned();
        let kind = node.str_at(&["kind"])?.to_owned();
        if !is_relevant(&api_version, &kind, config_maps) {
            return None;
        }
        let name = node.str_at(&["metadata", "name"])?.to_owned();
        let namespace = node
            .str_at(&["metadata", "namespace"])
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        let (group, version) = match api_version.rsplit_once('/') {
            Some((g, v)) => (g.to_owned(), v.to_owned()),
            None => (String::new(), api_version),
        };
        Some(Self {
            node,
            group,
            version,
            kind,
            names: vec![name],
            namespaces: vec![namespace],
            steps: Vec::new(),
        })
    }

    pub fn name(&self) -> &str {
        self.node
            .str_at(&["metadata", "name"])
            .unwrap_or(&self.names[0])
    }

    pub fn original_name(&self) -> &str {
        &self.names[0]
    }

    pub fn namespace(&self) -> Option<&str> {
        self.node
            .str_at(&["metadata", "namespace"])
            .filter(|n| !n.is_empty())
    }

    pub fn original_namespace(&self) -> Option<&str> {
        self.namespaces[0].as_deref()
    }

    /// A core `Namespace`: cluster-scoped; the namespace transformer renames it.
    pub fn is_namespace_object(&self) -> bool {
        self.group.is_empty() && self.kind == "Namespace"
    }

    pub fn is_kind(&self, group: &str, kind: &str) -> bool {
        self.group == group && self.kind == kind
    }

    /// The origin of `metadata.name` (where the object is declared).
    pub fn name_origin(&self) -> Origin {
        self.node
            .at(&["metadata", "name"])
            .map_or_else(|| self.node.origin.clone(), |n| n.origin.clone())
    }

    /// `ImagePolicy apps/podinfo`.
    pub fn describe(&self) -> String {
        match self.namespace() {
            Some(ns) => format!("{} `{ns}/{}`", self.kind, self.name()),
            None => format!("{} `{}`", self.kind, self.name()),
        }
    }

    /// kustomize's id inside one build: an empty namespace counts as `default`.
    pub fn build_id(&self) -> (&str, &str, &str, &str, &str) {
        (
            &self.group,
            &self.version,
            &self.kind,
            self.name(),
            self.namespace().unwrap_or("default"),
        )
    }

    /// Remember the current name and namespace (after a transformer or a JSON6902 patch).
    pub fn record_ids(&mut self) {
        let name = self.name().to_owned();
        if !self.names.contains(&name) {
            self.names.push(name);
        }
        let ns = self.namespace().map(str::to_owned);
        if !self.namespaces.contains(&ns) {
            self.namespaces.push(ns);
        }
    }

    /// The namespace transformer: every namespaced object moves; a Namespace is renamed.
    pub fn set_namespace(&mut self, namespace: &str, origin: &Origin) {
        if self.is_namespace_object() {
            self.rename(namespace.to_owned());
        } else {
            let meta = self.node.ensure_map(&["metadata"], origin);
            meta.set("namespace", Node::string(namespace, origin.clone()));
        }
        self.steps
            .push(Step::new(format!("namespace `{namespace}`"), origin));
        self.record_ids();
    }

    pub fn add_affix(&mut self, affix: &str, prefix: bool, origin: &Origin) {
        let name = if prefix {
            format!("{affix}{}", self.name())
        } else {
            format!("{}{affix}", self.name())
        };
        self.rename(name);
        let what = if prefix { "name prefix" } else { "name suffix" };
        self.steps
            .push(Step::new(format!("{what} `{affix}`"), origin));
        self.record_ids();
    }

    /// A new name, keeping the place of the name as written.
    fn rename(&mut self, name: String) {
        let origin = self.name_origin();
        let meta = self.node.ensure_map(&["metadata"], &origin);
        meta.set("name", Node::string(&name, origin));
    }

    /// A strategic-merge patch; `true` when it deletes the object.
    pub fn smp(&mut self, patch: &Node, origin: &Origin, allow_name_change: bool) -> bool {
        if patch::directive(patch) == Some("delete") {
            return true;
        }
        let keep = |r: &Self, path: &[&str]| r.node.at(path).cloned();
        let name = keep(self, &["metadata", "name"]);
        let namespace = keep(self, &["metadata", "namespace"]);
        let kind = keep(self, &["kind"]);
        let api = keep(self, &["apiVersion"]);
        let mut patched = patch.clone();
        // The patch's own id says which object, not what it becomes.
        for key in ["apiVersion", "kind"] {
            patched.remove(key);
        }
        patch::merge(&mut self.node, &patched);
        let restore = |node: &mut Node, path: &[&str], value: Option<Node>| {
            let (last, parent) = path.split_last().expect("a path");
            match value {
                Some(v) => node.ensure_map(parent, &v.origin.clone()).set(last, v),
                None => {
                    if let Some(p) = parent.iter().try_fold(&mut *node, |n, k| n.get_mut(k)) {
                        p.remove(last);
                    }
                }
            }
        };
        if !allow_name_change {
            restore(&mut self.node, &["metadata", "name"], name);
        }
        restore(&mut self.node, &["metadata", "namespace"], namespace);
        restore(&mut self.node, &["kind"], kind);
        restore(&mut self.node, &["apiVersion"], api);
        self.steps.push(Step::new("strategic-merge patch", origin));
        self.record_ids();
        false
    }

    /// The object's labels or annotations (`field`), as now.
    pub fn meta_map(&self, field: &str) -> Vec<(String, String)> {
        self.node
            .at(&["metadata", field])
            .map(Node::string_map)
            .unwrap_or_default()
    }

    /// The file the object is declared in.
    pub fn file(&self) -> &Arc<str> {
        &self.node.origin.file
    }
}

#[cfg(test)]
mod oracle;
#[cfg(test)]
mod tests;
