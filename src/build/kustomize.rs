//! `kustomize build` of a directory, as far as it shapes the objects imagelock reads: resources,
//! components, patches, namespace, name prefix and suffix, labels and annotations, in
//! kustomize's order (kusttarget.go). Other kinds are left out of the build: nothing they hold
//! changes an image automation object.

use std::sync::Arc;

use super::kustomization::{self, Kustomization, Patch, PatchBody, FILE_NAMES};
use super::patch;
use super::source::{self, Cache, Source};
use super::value::{Node, Origin, Value};
use super::{Problem, Resource, Step};
use crate::rules::Rule;

/// A build: the resources of one kustomization (and everything below it).
pub(crate) struct Builder<'a> {
    pub source: &'a dyn Source,
    pub cache: &'a Cache,
    /// Also read ConfigMaps and Secrets (a Kustomization substitutes from them).
    pub config_maps: bool,
    /// What the build could not see (remote bases): said once, the build goes on.
    pub warnings: Vec<Problem>,
    /// Every file the build read as resources or patches (neither is a plain object).
    pub reached: Vec<Arc<str>>,
    /// Directories being built, to stop a cycle.
    stack: Vec<String>,
}

type Built = Result<Vec<Resource>, Problem>;

impl<'a> Builder<'a> {
    pub fn new(source: &'a dyn Source, cache: &'a Cache) -> Self {
        Self {
            source,
            cache,
            config_maps: false,
            warnings: Vec::new(),
            reached: Vec::new(),
            stack: Vec::new(),
        }
    }

    /// The kustomization file in `dir`, read strictly (as the walk read it, where it did).
    pub fn kustomization_in(&mut self, dir: &str) -> Option<Result<Arc<Kustomization>, Problem>> {
        let rel = self.source.kustomization_file(dir)?;
        if let Some(read) = self.source.kustomization(&rel) {
            return Some(read);
        }
        Some(self.read_kustomization(&rel, true).map(Arc::new))
    }

    pub fn read_kustomization(
        &mut self,
        rel: &str,
        strict: bool,
    ) -> Result<Kustomization, Problem> {
        let file: Arc<str> = Arc::from(rel);
        let parsed = self
            .cache
            .documents(self.source, rel)
            .unwrap_or_else(|| Ok(Arc::new(Vec::new())));
        let docs = parsed.map_err(|e| Problem {
            rule: Rule::InvalidKustomization,
            origin: Origin {
                file: file.clone(),
                range: e.range,
            },
            message: format!("kustomize cannot parse this kustomization: {}", e.message),
        })?;
        read_documents(&docs, &file, strict)
    }

    /// Build a directory that holds a kustomization; `by` is the entry that names it.
    pub fn directory(&mut self, dir: &str, by: &Origin) -> Built {
        let Some(k) = self.kustomization_in(dir) else {
            return Err(Problem {
                rule: Rule::MissingResource,
                origin: by.clone(),
                message: format!(
                    "`{dir}` holds no kustomization: kustomize needs one of {} there",
                    FILE_NAMES.join(", ")
                ),
            });
        };
        let k = k?;
        if k.component {
            return Err(problem(
                by,
                format!("`{dir}` is a Component: list it under `components:`, not `resources:`"),
            ));
        }
        self.build(&k)
    }

    /// Build a kustomization: resources, components, then its transformers.
    pub fn build(&mut self, k: &Kustomization) -> Built {
        if self.stack.contains(&k.dir) {
            return Err(problem(
                &k.namespace
                    .as_ref()
                    .map_or_else(|| self.file_origin(k), |n| n.origin.clone()),
                format!("`{}` includes itself: kustomize stops on the cycle", k.dir),
            ));
        }
        if let Some(refused) = &k.refused {
            return Err(problem(
                &refused.origin,
                format!("`{}`: Flux builds with Helm disabled, so this kustomization fails (\"must specify --enable-helm\")", refused.text),
            ));
        }
        self.stack.push(k.dir.clone());
        let result = self.build_inner(k);
        self.stack.pop();
        result
    }

    fn build_inner(&mut self, k: &Kustomization) -> Built {
        let mut acc: Vec<Resource> = Vec::new();
        for entry in &k.resources {
            let more = self.resource(&k.dir, entry)?;
            append(&mut acc, more)?;
        }
        check_unique(&acc)?;
        for entry in &k.components {
            self.component(&k.dir, entry, &mut acc)?;
        }
        self.transform(k, &mut acc)?;
        Ok(acc)
    }

    /// Whether an entry is a remote base or component, which is said once and skipped.
    fn remote(&mut self, entry: &kustomization::Entry, what: &str) -> bool {
        let remote = kustomization::is_remote(&entry.text);
        if remote {
            self.warnings.push(Problem {
                rule: Rule::BuildIncomplete,
                origin: entry.origin.clone(),
                message: format!(
                    "`{}` is a remote {what}: imagelock works offline and cannot see what it adds",
                    entry.text
                ),
            });
        }
        remote
    }

    fn resource(&mut self, dir: &str, entry: &kustomization::Entry) -> Built {
        if self.remote(entry, "base") {
            return Ok(Vec::new());
        }
        let Some(rel) = source::join(dir, &entry.text) else {
            return Err(missing(entry, "it leaves the repository"));
        };
        if self.source.is_file(&rel) {
            return self.file(&rel);
        }
        if self.source.is_dir(&rel) {
            return self.directory(&rel, &entry.origin);
        }
        Err(missing(entry, "no such file or directory"))
    }

    /// The objects of one resource file; files that cannot declare what imagelock reads are
    /// not parsed.
    pub fn file(&mut self, rel: &str) -> Built {
        // Only files that may hold a kept object count (as read, or as objects).
        let kept = self.source.tokens(rel).relevant()
            || (self.config_maps && self.source.may_hold_config(rel));
        if !kept {
            return Ok(Vec::new());
        }
        self.reached.push(Arc::from(rel));
        // A file that does not parse is reported where it is read for itself.
        let Some(Ok(docs)) = self.cache.documents(self.source, rel) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for doc in docs.iter() {
            let kind = doc.str_at(&["kind"]).unwrap_or_default();
            if kind.ends_with("List") {
                for item in doc.get("items").map(Node::items).unwrap_or_default() {
                    out.extend(Resource::new(item.clone(), self.config_maps));
                }
            } else {
                out.extend(Resource::new(doc.clone(), self.config_maps));
            }
        }
        check_unique(&out)?;
        Ok(out)
    }

    /// A component: its resources join the layer's, then its transformers apply to all of them.
    fn component(
        &mut self,
        dir: &str,
        entry: &kustomization::Entry,
        acc: &mut Vec<Resource>,
    ) -> Result<(), Problem> {
        if self.remote(entry, "component") {
            return Ok(());
        }
        let Some(rel) = source::join(dir, &entry.text) else {
            return Err(missing(entry, "it leaves the repository"));
        };
        let Some(k) = self.kustomization_in(&rel) else {
            return Err(missing(entry, "no kustomization file there"));
        };
        let k = k?;
        if !k.component {
            return Err(problem(
                &entry.origin,
                format!(
                    "`{}` is a Kustomization, not a Component: list it under `resources:`",
                    entry.text
                ),
            ));
        }
        for r in &k.resources {
            let more = self.resource(&k.dir, r)?;
            append(acc, more)?;
        }
        for c in &k.components {
            self.component(&k.dir, c, acc)?;
        }
        self.transform(&k, acc)
    }

    /// The layer's transformers, in kustomize's fixed order.
    fn transform(&mut self, k: &Kustomization, acc: &mut Vec<Resource>) -> Result<(), Problem> {
        for p in &k.patches_strategic_merge {
            self.patch(k, p, acc, true)?;
        }
        for p in &k.patches {
            self.patch(k, p, acc, false)?;
        }
        if let Some(ns) = &k.namespace {
            for r in acc.iter_mut() {
                r.set_namespace(&ns.text, &ns.origin);
            }
        }
        for (affix, prefix) in [(&k.name_prefix, true), (&k.name_suffix, false)] {
            if let Some(a) = affix.as_ref().filter(|a| !a.text.is_empty()) {
                for r in acc.iter_mut().filter(|r| !r.is_namespace_object()) {
                    r.add_affix(&a.text, prefix, &a.origin);
                }
            }
        }
        for (pairs, field) in [(&k.labels, "labels"), (&k.annotations, "annotations")] {
            for (key, value, origin) in pairs {
                for r in acc.iter_mut() {
                    let map = r.node.ensure_map(&["metadata", field], origin);
                    map.set(key, Node::string(value, origin.clone()));
                }
            }
        }
        for p in &k.patches_json6902 {
            self.patch(k, p, acc, false)?;
        }
        // A second object with one id, after a patch renamed one.
        check_unique(acc)
    }

    /// One patch entry: strategic merge or JSON6902, told apart by its content.
    fn patch(
        &mut self,
        k: &Kustomization,
        p: &Patch,
        acc: &mut Vec<Resource>,
        legacy_smp: bool,
    ) -> Result<(), Problem> {
        let (docs, origin) = match &p.body {
            PatchBody::Inline(e) => {
                json_if_bracketed(&e.text, &e.origin)?;
                let file = e.origin.file.clone();
                let docs = source::parse(&e.text, &file).map_err(|err| {
                    problem(
                        &e.origin,
                        format!("the patch does not parse: {}", err.message),
                    )
                })?;
                // Positions inside an inline patch are the patch's own.
                let docs: Vec<Node> = docs.iter().map(|d| reorigin(d, &e.origin)).collect();
                if docs.is_empty() {
                    return Err(problem(&e.origin, "the inline patch is empty".into()));
                }
                (docs, e.origin.clone())
            }
            PatchBody::Path(e) => {
                let Some(rel) = source::join(&k.dir, &e.text) else {
                    return Err(missing(e, "it leaves the repository"));
                };
                if !self.source.is_file(&rel) {
                    return Err(missing(e, "no such file"));
                }
                self.reached.push(Arc::from(rel.as_str()));
                if let Some(text) = self.source.text(&rel) {
                    json_if_bracketed(&text, &e.origin)?;
                }
                let docs = match self.cache.documents(self.source, &rel) {
                    Some(Ok(docs)) => docs.to_vec(),
                    Some(Err(err)) => {
                        return Err(problem(
                            &Origin {
                                file: Arc::from(rel.as_str()),
                                range: err.range,
                            },
                            format!("the patch does not parse: {}", err.message),
                        ))
                    }
                    None => Vec::new(),
                };
                if docs.is_empty() {
                    if legacy_smp {
                        return Err(problem(&e.origin, "patch appears to be empty".into()));
                    }
                    return Ok(());
                }
                (docs, e.origin.clone())
            }
        };
        let json = docs.len() == 1 && matches!(docs[0].value, Value::Seq(_));
        if json {
            if legacy_smp {
                return Err(problem(&origin, "a `patchesStrategicMerge` entry must be a strategic-merge patch, not a list of operations".into()));
            }
            let Some(target) = &p.target else {
                return Err(problem(
                    &origin,
                    "a JSON6902 patch must specify a target".into(),
                ));
            };
            let ops = patch::operations(&docs[0]).map_err(|m| problem(&origin, m))?;
            for r in acc.iter_mut() {
                if !target.selects(r)? {
                    continue;
                }
                for op in &ops {
                    op.apply(&mut r.node).map_err(|m| Problem {
                        rule: Rule::BuildFailed,
                        origin: op.origin().clone(),
                        message: format!("the JSON6902 patch fails on {}: {m}", r.describe()),
                    })?;
                }
                r.steps.push(Step::new("JSON6902 patch", &origin));
                r.record_ids();
            }
            return Ok(());
        }
        for doc in &docs {
            if doc.str_at(&["kind"]).is_none() || doc.str_at(&["metadata", "name"]).is_none() {
                if p.target.is_some() && doc.entries().iter().all(|(k, _)| k != "op") {
                    // A targeted strategic-merge patch may leave out kind and name.
                } else {
                    return Err(problem(&origin, "the patch is neither a strategic-merge patch (kind and metadata.name) nor a list of JSON6902 operations".into()));
                }
            }
        }
        match &p.target {
            Some(target) => {
                if docs.len() != 1 {
                    return Err(problem(
                        &origin,
                        "a strategic-merge patch with a target must hold exactly one document"
                            .into(),
                    ));
                }
                let mut deleted = Vec::new();
                for (i, r) in acc.iter_mut().enumerate() {
                    if target.selects(r)? && r.smp(&docs[0], &origin, p.allow_name_change) {
                        deleted.push(i);
                    }
                }
                for i in deleted.into_iter().rev() {
                    acc.remove(i);
                }
            }
            None => {
                for doc in &docs {
                    let Some(id) = PatchId::of(doc) else { continue };
                    if !id.relevant() {
                        // Patches to kinds the build leaves out cannot be checked here.
                        continue;
                    }
                    let found: Vec<usize> = acc
                        .iter()
                        .enumerate()
                        .filter(|(_, r)| id.matches(r))
                        .map(|(i, _)| i)
                        .collect();
                    match found[..] {
                        [i] => {
                            if acc[i].smp(doc, &origin, p.allow_name_change) {
                                acc.remove(i);
                            }
                        }
                        [] => {
                            return Err(Problem {
                                rule: Rule::PatchTargetNotFound,
                                origin: origin.clone(),
                                message: format!("no matches for {}: kustomize fails the build (\"failed to find unique target for patch\")", id.describe()),
                            })
                        }
                        _ => {
                            return Err(Problem {
                                rule: Rule::PatchTargetNotFound,
                                origin: origin.clone(),
                                message: format!("{} matches several resources: kustomize fails the build", id.describe()),
                            })
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn file_origin(&self, k: &Kustomization) -> Origin {
        Origin {
            file: k.file.clone().unwrap_or_else(|| Arc::from(k.dir.as_str())),
            range: Default::default(),
        }
    }
}

/// A kustomization from its file's documents.
pub(crate) fn read_documents(
    docs: &[Node],
    file: &Arc<str>,
    strict: bool,
) -> Result<Kustomization, Problem> {
    let Some(doc) = docs.first() else {
        return Err(Problem {
            rule: Rule::InvalidKustomization,
            origin: Origin {
                file: file.clone(),
                range: Default::default(),
            },
            message: "kustomization file is empty".into(),
        });
    };
    Kustomization::read(doc, file, strict)
}

/// kustomize reads a patch that starts with `[` as JSON, not YAML: a flow sequence with YAML's
/// unquoted keys fails the build.
fn json_if_bracketed(text: &str, origin: &Origin) -> Result<(), Problem> {
    if !text.trim_start().starts_with('[') {
        return Ok(());
    }
    serde_json::from_str::<serde_json::Value>(text).map(drop).map_err(|e| {
        problem(
            origin,
            format!("kustomize reads a patch that starts with `[` as JSON, and this is not JSON ({e}): \"unable to parse SM or JSON patch\""),
        )
    })
}

/// The id a patch names (no target): group, version, kind, name, namespace.
struct PatchId {
    api_version: String,
    kind: String,
    name: String,
    namespace: String,
}

impl PatchId {
    fn of(doc: &Node) -> Option<Self> {
        Some(Self {
            api_version: doc.str_at(&["apiVersion"]).unwrap_or_default().to_owned(),
            kind: doc.str_at(&["kind"])?.to_owned(),
            name: doc.str_at(&["metadata", "name"])?.to_owned(),
            namespace: doc
                .str_at(&["metadata", "namespace"])
                .unwrap_or("default")
                .to_owned(),
        })
    }

    fn relevant(&self) -> bool {
        super::is_relevant(&self.api_version, &self.kind, true)
    }

    fn matches(&self, r: &Resource) -> bool {
        let api = if r.group.is_empty() {
            r.version.clone()
        } else {
            format!("{}/{}", r.group, r.version)
        };
        api == self.api_version
            && r.kind == self.kind
            && r.names.contains(&self.name)
            && r.namespaces
                .iter()
                .any(|ns| ns.as_deref().unwrap_or("default") == self.namespace)
    }

    fn describe(&self) -> String {
        format!(
            "{} {} `{}` in namespace `{}`",
            self.api_version, self.kind, self.name, self.namespace
        )
    }
}

/// Every origin below `node` set to `origin` (an inline patch, positioned as a whole).
fn reorigin(node: &Node, origin: &Origin) -> Node {
    let value = match &node.value {
        Value::Map(entries) => Value::Map(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), reorigin(v, origin)))
                .collect(),
        ),
        Value::Seq(items) => Value::Seq(items.iter().map(|v| reorigin(v, origin)).collect()),
        other => other.clone(),
    };
    Node::new(value, origin.clone())
}

fn problem(origin: &Origin, message: String) -> Problem {
    Problem {
        rule: Rule::BuildFailed,
        origin: origin.clone(),
        message,
    }
}

fn missing(entry: &kustomization::Entry, why: &str) -> Problem {
    Problem {
        rule: Rule::MissingResource,
        origin: entry.origin.clone(),
        message: format!("`{}` cannot be read: {why}", entry.text),
    }
}

/// Add `more` to `acc` (ids are checked once the layer's resources are in: kustomize fails
/// on the first repeat either way).
fn append(acc: &mut Vec<Resource>, more: Vec<Resource>) -> Result<(), Problem> {
    acc.extend(more);
    Ok(())
}

fn check_unique(acc: &[Resource]) -> Result<(), Problem> {
    let mut seen = foldhash::HashSet::default();
    for r in acc {
        if !seen.insert(r.build_id()) {
            return Err(Problem {
                rule: Rule::BuildFailed,
                origin: r.name_origin(),
                message: format!(
                    "{} is in this build twice: kustomize fails (\"may not add resource with an already registered id\")",
                    r.describe()
                ),
            });
        }
    }
    Ok(())
}
