//! Flux objects declared in the repository, with where they sit for diagnostics.

use std::collections::BTreeMap;
use std::path::Path;

use super::{ObjectKey, SourceFile};
use crate::flux_version::{ApiStatus, FluxVersion};
use crate::report::Finding;
use crate::resources::{
    self, ImagePolicySpec, ImageRepositorySpec, ImageUpdateAutomationSpec, Kind, ObjectMeta,
    ObjectView, Reader, ShapeError,
};
use crate::rules::Rule;
use crate::text::TextRange;
use crate::workspace::NamespaceResolver;

/// One declared object.
#[derive(Clone, Debug)]
pub struct Declared<T> {
    /// Index into the analysed files.
    pub file: usize,
    pub rel: String,
    /// The object's bytes: its document, or its item of a `kind: List`.
    pub range: TextRange,
    /// Every scalar field's position, by its path below the object (`spec.exclusionList.0`).
    pub fields: Vec<(String, TextRange)>,
    pub key: ObjectKey,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub spec: T,
}

pub type RepositoryDecl = Declared<ImageRepositorySpec>;
pub type PolicyDecl = Declared<ImagePolicySpec>;
pub type AutomationDecl = Declared<ImageUpdateAutomationSpec>;

/// Everything declared, by key; the first of two objects with one key (the second is reported).
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
    /// object's start.
    pub fn span(&self, path: &[&str]) -> TextRange {
        let find = |path: &[&str]| {
            let want = path.join(".");
            self.fields
                .iter()
                .find(|(p, _)| *p == want)
                .map(|(_, r)| *r)
        };
        find(path)
            .or_else(|| find(&["metadata", "name"]))
            .unwrap_or(TextRange::empty(self.range.start()))
    }
}

/// Collect every ImageRepository, ImagePolicy and ImageUpdateAutomation, read from the parsed
/// documents of the files that name the API group.
pub(super) fn collect(
    files: &[SourceFile],
    root: &Path,
    default_namespace: &str,
    flux: FluxVersion,
) -> Objects {
    let mut model = Objects::default();
    let mut namespaces = NamespaceResolver::new(root, default_namespace);
    for (index, file) in files.iter().enumerate() {
        let Some(manifest) = &file.manifest else {
            continue;
        };
        if file.text.contains("Namespace") {
            collect_namespaces(manifest, &mut model.namespaces);
        }
        if !file.text.contains(resources::GROUP) {
            continue;
        }
        for doc in &manifest.documents {
            for view in objects_of(doc) {
                let mut ctx = Ctx {
                    files,
                    model: &mut model,
                    namespaces: &mut namespaces,
                    file,
                    index,
                    flux,
                };
                ctx.object(view);
            }
        }
    }
    model
}

/// The Namespaces of files read only for them.
pub(super) fn add_namespaces(
    files: &[SourceFile],
    out: &mut BTreeMap<String, BTreeMap<String, String>>,
) {
    for manifest in files.iter().filter_map(|f| f.manifest.as_ref()) {
        collect_namespaces(manifest, out);
    }
}

/// The Namespace objects of a file (as documents or items of a `kind: List`), with their labels.
fn collect_namespaces(
    manifest: &crate::manifest::Manifest,
    out: &mut BTreeMap<String, BTreeMap<String, String>>,
) {
    for doc in &manifest.documents {
        for view in objects_of(doc) {
            if top(&view, "apiVersion").as_deref() != Some("v1")
                || top(&view, "kind").as_deref() != Some("Namespace")
            {
                continue;
            }
            let mut r = Reader::new(view);
            let meta = ObjectMeta::read(&mut r);
            if let (Some(name), true) = (meta.name, r.errors.is_empty()) {
                out.entry(name).or_insert(meta.labels);
            }
        }
    }
}

/// The objects of a document: the document, or the items of a `kind: List` (`ResourceList`).
fn objects_of(doc: &crate::manifest::Document) -> Vec<ObjectView<'_>> {
    let whole = ObjectView::document(doc);
    match top(&whole, "kind").as_deref() {
        Some("List" | "ResourceList") => ObjectView::list_items(doc),
        _ => vec![whole],
    }
}

/// The value at `key` directly below an object.
fn top(view: &ObjectView<'_>, key: &str) -> Option<String> {
    let mut r = Reader::new(*view);
    r.string(&[key]).filter(|_| r.errors.is_empty())
}

struct Ctx<'a> {
    files: &'a [SourceFile],
    model: &'a mut Objects,
    namespaces: &'a mut NamespaceResolver,
    file: &'a SourceFile,
    index: usize,
    flux: FluxVersion,
}

impl Ctx<'_> {
    fn object(&mut self, view: ObjectView<'_>) {
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
            let range = view
                .field_spans()
                .into_iter()
                .find(|(p, _)| p == "apiVersion")
                .map_or(TextRange::empty(view.range.start()), |(_, r)| r);
            let finding = Finding::new(
                Rule::InvalidSpec,
                &self.file.rel,
                range,
                format!("`{api_version}` is not an API version Flux serves"),
            )
            .help(format!("use one of {}", resources::VERSIONS.join(", ")));
            self.model.findings.push(finding);
            return;
        }
        if let Some(status) = self.flux.api_status(kind, version) {
            self.api_version_finding(&view, &api_version, kind, status);
        }
        if let Some(dup) = view.duplicate_key() {
            self.shape_error(dup);
            return;
        }
        let mut r = Reader::new(view);
        let metadata = ObjectMeta::read(&mut r);
        let files = self.files;
        let duplicate = match kind {
            Kind::ImageRepository => {
                let spec = ImageRepositorySpec::read(&mut r);
                self.declared(r, metadata, spec)
                    .and_then(|d| insert(&mut self.model.repositories, d, files, "ImageRepository"))
            }
            Kind::ImagePolicy => {
                let spec = ImagePolicySpec::read(&mut r);
                self.declared(r, metadata, spec)
                    .and_then(|d| insert(&mut self.model.policies, d, files, "ImagePolicy"))
            }
            Kind::ImageUpdateAutomation => {
                let spec = ImageUpdateAutomationSpec::read(&mut r);
                self.declared(r, metadata, spec).and_then(|d| {
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
        view: &ObjectView<'_>,
        api_version: &str,
        kind: Kind,
        status: ApiStatus,
    ) {
        let range = view
            .field_spans()
            .into_iter()
            .find(|(p, _)| p == "apiVersion")
            .map_or(TextRange::empty(view.range.start()), |(_, r)| r);
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
        let mut finding = Finding::new(Rule::UnsupportedApiVersion, &self.file.rel, range, message)
            .help(format!(
                "write `apiVersion: {}/{recommended}`; `flux-version` in .imagelock.yaml (or --flux-version) names the Flux release checked against (now {target}): see docs/flux-versions.md",
                crate::resources::GROUP
            ));
        finding.severity = severity;
        self.model.findings.push(finding);
    }

    fn shape_error(&mut self, error: ShapeError) {
        self.model.findings.push(Finding::new(
            Rule::InvalidSpec,
            &self.file.rel,
            error.range,
            format!(
                "this Flux object does not have the expected shape: {}",
                error.message
            ),
        ));
    }

    /// The object, unless a field has the wrong shape (each such field is reported).
    fn declared<T>(&mut self, r: Reader<'_>, metadata: ObjectMeta, spec: T) -> Option<Declared<T>> {
        if !r.errors.is_empty() {
            for e in r.errors {
                self.shape_error(e);
            }
            return None;
        }
        let name = metadata.name.unwrap_or_default();
        let namespace = self
            .namespaces
            .resolve(&self.file.rel, metadata.namespace.as_deref());
        let key = ObjectKey { namespace, name };
        Some(Declared {
            file: self.index,
            rel: self.file.rel.clone(),
            range: r.view.range,
            fields: r.view.field_spans(),
            key,
            labels: metadata.labels,
            annotations: metadata.annotations,
            spec,
        })
    }
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
    Finding::new(
        Rule::DuplicateObject,
        &second.rel,
        second.span(&["metadata", "name"]),
        format!(
            "{kind} `{}` is declared twice: first in `{}` line {line}, again here",
            first.id(),
            first.rel
        ),
    )
    .label("second declaration")
    .help("the cluster holds one object per kind, namespace and name; imagelock reads the first and ignores this one: remove or rename one of them")
}
