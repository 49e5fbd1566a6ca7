//! Flux objects as each cluster gets them (after kustomize and Flux's own build steps), with
//! where every field was written, for diagnostics.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::{ObjectKey, SourceFile};
use crate::build::{self, Applied, Flat, Step};
use crate::flux_version::{ApiStatus, FluxVersion};
use crate::report::Finding;
use crate::resources::{
    self, ImagePolicySpec, ImageRepositorySpec, ImageUpdateAutomationSpec, Kind, ObjectMeta,
    ObjectView, Reader, ShapeError,
};
use crate::rules::Rule;
use crate::text::TextRange;

/// One object of one cluster.
#[derive(Clone, Debug)]
pub struct Declared<T> {
    /// Index into the analysed files: the file that declares it.
    pub file: usize,
    pub rel: String,
    /// The object's bytes in that file: its document, or its item of a `kind: List`.
    pub range: TextRange,
    /// Every scalar field's place, by its path below the object (`spec.exclusionList.0`): in
    /// the declaring file, or in the patch or kustomization that set it.
    pub fields: Vec<(String, Arc<str>, TextRange)>,
    pub key: ObjectKey,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub spec: T,
    /// The cluster it is in (index into the model's clusters).
    pub cluster: usize,
    /// The Flux Kustomization that applies it (`namespace/name`); empty where none does.
    pub by: String,
    /// What shaped it after its file: namespaces, prefixes, patches, substitution.
    pub steps: Vec<Step>,
}

pub type RepositoryDecl = Declared<ImageRepositorySpec>;
pub type PolicyDecl = Declared<ImagePolicySpec>;
pub type AutomationDecl = Declared<ImageUpdateAutomationSpec>;

/// Everything one cluster holds, by key; the first of two objects with one key (the second is
/// reported).
#[derive(Debug, Default)]
pub(super) struct Objects {
    pub repositories: BTreeMap<ObjectKey, RepositoryDecl>,
    pub policies: BTreeMap<ObjectKey, PolicyDecl>,
    pub automations: BTreeMap<ObjectKey, AutomationDecl>,
    /// Namespace objects (`v1`), by name: their labels.
    pub namespaces: BTreeMap<String, BTreeMap<String, String>>,
    pub findings: Vec<Finding>,
}

impl<T> Declared<T> {
    /// `namespace:name`.
    pub fn id(&self) -> String {
        self.key.to_string()
    }

    /// The byte range of the scalar at `path` below the object, else of its name, else the
    /// object's start; in the declaring file (see [`Self::place`] for fields set elsewhere).
    pub fn span(&self, path: &[&str]) -> TextRange {
        self.place(path).1
    }

    /// The file and byte range of the scalar at `path` (a patch may have set it), else of the
    /// object's name, else the object's start.
    pub fn place(&self, path: &[&str]) -> (&str, TextRange) {
        let find = |path: &[&str]| {
            let want = path.join(".");
            self.fields
                .iter()
                .find(|(p, _, _)| *p == want)
                .map(|(_, f, r)| (&**f, *r))
        };
        find(path)
            .or_else(|| find(&["metadata", "name"]))
            .unwrap_or((&self.rel, TextRange::empty(self.range.start())))
    }
}

/// Read every cluster's image automation objects and Namespaces from the builds.
pub(super) fn collect(
    files: &[SourceFile],
    clusters: &build::Clusters,
    flux: FluxVersion,
) -> Vec<Objects> {
    let index: HashMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.rel.as_str(), i))
        .collect();
    clusters
        .clusters
        .iter()
        .enumerate()
        .map(|(cluster, c)| {
            let mut model = Objects::default();
            for applied in &c.objects {
                let r = &applied.resource;
                if r.is_namespace_object() {
                    if r.version == "v1" {
                        let labels = r.meta_map("labels").into_iter().collect();
                        model
                            .namespaces
                            .entry(r.name().to_owned())
                            .or_insert(labels);
                    }
                    continue;
                }
                if r.group != resources::GROUP {
                    continue;
                }
                // An object whose file is not read for itself (excluded) is not modelled.
                let Some(&file) = index.get(&**r.file()) else {
                    continue;
                };
                let mut ctx = Ctx {
                    files,
                    model: &mut model,
                    file: &files[file],
                    index: file,
                    flux,
                    cluster,
                    applied,
                };
                ctx.object();
            }
            model
        })
        .collect()
}

struct Ctx<'a> {
    files: &'a [SourceFile],
    model: &'a mut Objects,
    file: &'a SourceFile,
    index: usize,
    flux: FluxVersion,
    cluster: usize,
    applied: &'a Applied,
}

/// The string at `key` directly below an object.
fn top(view: &ObjectView<'_>, key: &str) -> Option<String> {
    let mut r = Reader::new(*view);
    r.string(&[key]).filter(|_| r.errors.is_empty())
}

impl Ctx<'_> {
    fn object(&mut self) {
        let flat = Flat::new(&self.applied.resource.node);
        let view = ObjectView::document(&flat.document);
        let (Some(api_version), Some(kind)) = (top(&view, "apiVersion"), top(&view, "kind")) else {
            return;
        };
        let Some(version) = resources::group_version(&api_version) else {
            return;
        };
        let Some(kind) = Kind::parse(&kind) else {
            return;
        };
        if !resources::VERSIONS.contains(&version) {
            let (file, range) = place(&flat, &view, "apiVersion");
            let finding = Finding::new(
                Rule::InvalidSpec,
                &file,
                range,
                format!("`{api_version}` is not an API version Flux serves"),
            )
            .help(format!("use one of {}", resources::VERSIONS.join(", ")));
            self.model.findings.push(finding);
            return;
        }
        if let Some(status) = self.flux.api_status(kind, version) {
            self.api_version_finding(&flat, &view, &api_version, kind, status);
        }
        if let Some(dup) = view.duplicate_key() {
            self.shape_error(&flat, dup);
            return;
        }
        let mut r = Reader::new(view);
        let metadata = ObjectMeta::read(&mut r);
        let files = self.files;
        let duplicate = match kind {
            Kind::ImageRepository => {
                let spec = ImageRepositorySpec::read(&mut r);
                self.declared(&flat, r, metadata, spec)
                    .and_then(|d| insert(&mut self.model.repositories, d, files, "ImageRepository"))
            }
            Kind::ImagePolicy => {
                let spec = ImagePolicySpec::read(&mut r);
                self.declared(&flat, r, metadata, spec)
                    .and_then(|d| insert(&mut self.model.policies, d, files, "ImagePolicy"))
            }
            Kind::ImageUpdateAutomation => {
                let spec = ImageUpdateAutomationSpec::read(&mut r);
                self.declared(&flat, r, metadata, spec).and_then(|d| {
                    insert(
                        &mut self.model.automations,
                        d,
                        files,
                        "ImageUpdateAutomation",
                    )
                })
            }
        };
        self.model.findings.extend(duplicate);
    }

    /// An API version the target release does not serve, or deprecates, at `apiVersion`.
    fn api_version_finding(
        &mut self,
        flat: &Flat,
        view: &ObjectView<'_>,
        api_version: &str,
        kind: Kind,
        status: ApiStatus,
    ) {
        let (file, range) = place(flat, view, "apiVersion");
        let target = self.flux;
        let recommended = target.recommended(kind);
        let kind = kind.as_str();
        // The oldest modelled release stands for "before it": the sources date these changes
        // to controller releases older than Flux 2.0.
        let since = |v: FluxVersion| {
            if v == FluxVersion::OLDEST {
                format!("before Flux {v}")
            } else {
                format!("in Flux {v}")
            }
        };
        let (message, severity) = match status {
            ApiStatus::Removed(v) => (
                format!(
                    "Flux {target} does not serve {kind} `{api_version}`: it was removed {}",
                    since(v)
                ),
                crate::rules::Severity::Error,
            ),
            ApiStatus::NotYetServed(v) => (
                format!("Flux {target} does not serve {kind} `{api_version}`: it is served from Flux {v} on"),
                crate::rules::Severity::Error,
            ),
            ApiStatus::Deprecated(v) => (
                format!(
                    "{kind} `{api_version}` is deprecated in Flux {target}: it was deprecated {}",
                    since(v)
                ),
                crate::rules::Severity::Warning,
            ),
        };
        let mut finding = Finding::new(Rule::UnsupportedApiVersion, &file, range, message)
            .help(format!(
                "write `apiVersion: {}/{recommended}`; `flux-version` in .imagelock.yaml (or --flux-version) names the Flux release checked against (now {target}): see docs/flux-versions.md",
                crate::resources::GROUP
            ));
        finding.severity = severity;
        self.model.findings.push(finding);
    }

    fn shape_error(&mut self, flat: &Flat, error: ShapeError) {
        let file = flat
            .file_of(error.range)
            .map_or(self.file.rel.as_str(), |f| &**f);
        self.model.findings.push(Finding::new(
            Rule::InvalidSpec,
            file,
            error.range,
            format!(
                "this Flux object does not have the expected shape: {}",
                error.message
            ),
        ));
    }

    /// The object, unless a field has the wrong shape (each such field is reported).
    fn declared<T>(
        &mut self,
        flat: &Flat,
        r: Reader<'_>,
        metadata: ObjectMeta,
        spec: T,
    ) -> Option<Declared<T>> {
        if !r.errors.is_empty() {
            for e in r.errors {
                self.shape_error(flat, e);
            }
            return None;
        }
        let resource = &self.applied.resource;
        let key = ObjectKey {
            namespace: metadata.namespace.unwrap_or_default(),
            name: metadata.name.unwrap_or_default(),
        };
        Some(Declared {
            file: self.index,
            rel: self.file.rel.clone(),
            range: resource.node.origin.range,
            fields: flat
                .fields()
                .into_iter()
                .map(|(path, origin)| (path, origin.file, origin.range))
                .collect(),
            key,
            labels: metadata.labels,
            annotations: metadata.annotations,
            spec,
            cluster: self.cluster,
            by: self.applied.by.clone(),
            steps: resource.steps.clone(),
        })
    }
}

/// Where the scalar at `key` below an object was written.
fn place(flat: &Flat, view: &ObjectView<'_>, key: &str) -> (String, TextRange) {
    let range = view
        .field_spans()
        .into_iter()
        .find(|(p, _)| p == key)
        .map_or(TextRange::empty(view.range.start()), |(_, r)| r);
    let file = flat
        .file_of(range)
        .map_or_else(String::new, |f| f.to_string());
    (file, range)
}

/// Adds `d` unless its key is taken; then it is reported as a duplicate of the first.
fn insert<T>(
    map: &mut BTreeMap<ObjectKey, Declared<T>>,
    d: Declared<T>,
    files: &[SourceFile],
    kind: &str,
) -> Option<Finding> {
    match map.get(&d.key) {
        Some(first) => Some(duplicate(files, kind, first, &d)),
        None => {
            map.insert(d.key.clone(), d);
            None
        }
    }
}

/// Two objects the cluster would hold as one: the second is reported, naming the first, which is
/// the one imagelock reads.
fn duplicate<T>(
    files: &[SourceFile],
    kind: &str,
    first: &Declared<T>,
    second: &Declared<T>,
) -> Finding {
    let line = files.get(first.file).map_or(1, |f| {
        let at = first.span(&["metadata", "name"]).start();
        f.text.get(..at).map_or(0, |t| t.matches('\n').count()) + 1
    });
    let applied = if !first.by.is_empty() && !second.by.is_empty() && first.by != second.by {
        format!(
            " (applied by Kustomizations `{}` and `{}`, which overwrite each other)",
            first.by, second.by
        )
    } else {
        String::new()
    };
    Finding::new(
        Rule::DuplicateObject,
        &second.rel,
        second.span(&["metadata", "name"]),
        format!(
            "{kind} `{}` is declared twice: first in `{}` line {line}, again here{applied}",
            first.id(),
            first.rel
        ),
    )
    .label("second declaration")
    .help("the cluster holds one object per kind, namespace and name; imagelock reads the first and ignores this one: remove or rename one of them")
}
