//! Flux objects declared in the repository, with where they sit for diagnostics.

use std::collections::BTreeMap;
use std::path::Path;

use serde::de::DeserializeOwned;

use super::SourceFile;
use crate::manifest::PathSegment;
use crate::report::Finding;
use crate::resources::{
    self, ImagePolicySpec, ImageRepositorySpec, ImageUpdateAutomationSpec, Kind, ListItems, Object,
    TypeMeta,
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
    pub doc: usize,
    /// Path from the document root to the object (`items[3]` in a `kind: List`).
    pub prefix: Vec<PathSegment>,
    pub namespace: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub spec: T,
}

pub type RepositoryDecl = Declared<ImageRepositorySpec>;
pub type PolicyDecl = Declared<ImagePolicySpec>;
pub type AutomationDecl = Declared<ImageUpdateAutomationSpec>;

/// Everything declared, keyed by (namespace, name).
#[derive(Debug, Default)]
pub struct Model {
    pub repositories: BTreeMap<(String, String), RepositoryDecl>,
    pub policies: BTreeMap<(String, String), PolicyDecl>,
    pub automations: Vec<AutomationDecl>,
    pub findings: Vec<Finding>,
}

impl<T> Declared<T> {
    pub fn id(&self) -> String {
        format!("{}:{}", self.namespace, self.name)
    }

    /// The byte range of the scalar at `path` below the object, else of its name, else its document.
    pub fn span(&self, files: &[SourceFile], path: &[&str]) -> TextRange {
        let Some(doc) = files
            .get(self.file)
            .and_then(|f| f.manifest.as_ref())
            .and_then(|m| m.documents.get(self.doc))
        else {
            return TextRange::default();
        };
        let find = |path: &[&str]| {
            doc.scalars
                .iter()
                .find(|s| path_matches(&s.path, &self.prefix, path))
                .map(|s| s.range)
        };
        find(path)
            .or_else(|| find(&["metadata", "name"]))
            .unwrap_or(TextRange::empty(doc.range.start()))
    }
}

fn path_matches(path: &[PathSegment], prefix: &[PathSegment], rest: &[&str]) -> bool {
    path.len() == prefix.len() + rest.len()
        && path.starts_with(prefix)
        && path[prefix.len()..]
            .iter()
            .zip(rest)
            .all(|(seg, want)| match seg {
                PathSegment::Key(k) => k == want,
                PathSegment::Index(i) => want.parse() == Ok(*i),
            })
}

/// Collect every ImageRepository, ImagePolicy and ImageUpdateAutomation.
pub fn collect(files: &[SourceFile], root: &Path, default_namespace: &str) -> Model {
    let mut model = Model::default();
    let mut namespaces = NamespaceResolver::new(root, default_namespace);
    // Deserialising the documents is most of the work and each is independent: done on every
    // core first, then the objects are taken in file and document order.
    let declaring: Vec<usize> = files
        .iter()
        .enumerate()
        .filter(|(_, f)| f.manifest.is_some() && f.text.contains(resources::GROUP))
        .map(|(index, _)| index)
        .collect();
    let parsed = crate::par::map(&declaring, |&index| {
        let file = &files[index];
        let documents = file.manifest.as_ref().map_or(&[][..], |m| &m.documents[..]);
        documents
            .iter()
            .map(|doc| {
                let doc_text = file.text.get(doc.range.as_range())?;
                doc_text
                    .contains(resources::GROUP)
                    .then(|| serde_yaml::from_str::<serde_yaml::Value>(doc_text))
            })
            .collect::<Vec<_>>()
    });
    for (&index, values) in declaring.iter().zip(parsed) {
        let file = &files[index];
        let Some(manifest) = &file.manifest else {
            continue;
        };
        for ((doc_index, doc), value) in manifest.documents.iter().enumerate().zip(values) {
            let value: serde_yaml::Value = match value {
                None => continue,
                Some(Ok(v)) => v,
                Some(Err(err)) => {
                    model.findings.push(invalid_doc(file, doc.range, &err));
                    continue;
                }
            };
            let mut ctx = Ctx {
                model: &mut model,
                namespaces: &mut namespaces,
                file,
                index,
                doc: doc_index,
                doc_range: doc.range,
            };
            let meta: TypeMeta = serde_yaml::from_value(value.clone()).unwrap_or_default();
            if matches!(meta.kind.as_deref(), Some("List" | "ResourceList")) {
                let items: ListItems = serde_yaml::from_value(value).unwrap_or_default();
                for (i, item) in items.items.into_iter().enumerate() {
                    let prefix = vec![PathSegment::Key("items".into()), PathSegment::Index(i)];
                    ctx.object(item, prefix);
                }
            } else {
                ctx.object(value, Vec::new());
            }
        }
    }
    model
}

fn invalid_doc(file: &SourceFile, range: TextRange, err: &serde_yaml::Error) -> Finding {
    Finding::new(
        Rule::InvalidSpec,
        &file.rel,
        TextRange::empty(range.start()),
        format!("cannot read this document: {err}"),
    )
}

struct Ctx<'a> {
    model: &'a mut Model,
    namespaces: &'a mut NamespaceResolver,
    file: &'a SourceFile,
    index: usize,
    doc: usize,
    doc_range: TextRange,
}

impl Ctx<'_> {
    fn object(&mut self, value: serde_yaml::Value, prefix: Vec<PathSegment>) {
        let meta: TypeMeta = serde_yaml::from_value(value.clone()).unwrap_or_default();
        let (Some(api_version), Some(kind)) = (meta.api_version.as_deref(), meta.kind.as_deref())
        else {
            return;
        };
        let Some(version) = resources::group_version(api_version) else {
            return;
        };
        let Some(kind) = Kind::parse(kind) else {
            return;
        };
        if !resources::VERSIONS.contains(&version) {
            let finding = Finding::new(
                Rule::InvalidSpec,
                &self.file.rel,
                TextRange::empty(self.doc_range.start()),
                format!("`{api_version}` is not an API version Flux serves"),
            )
            .help(format!("use one of {}", resources::VERSIONS.join(", ")));
            self.model.findings.push(finding);
            return;
        }
        match kind {
            Kind::ImageRepository => {
                if let Some(d) = self.typed::<ImageRepositorySpec>(value, prefix) {
                    let key = (d.namespace.clone(), d.name.clone());
                    self.model.repositories.entry(key).or_insert(d);
                }
            }
            Kind::ImagePolicy => {
                if let Some(d) = self.typed::<ImagePolicySpec>(value, prefix) {
                    let key = (d.namespace.clone(), d.name.clone());
                    self.model.policies.entry(key).or_insert(d);
                }
            }
            Kind::ImageUpdateAutomation => {
                if let Some(d) = self.typed::<ImageUpdateAutomationSpec>(value, prefix) {
                    self.model.automations.push(d);
                }
            }
        }
    }

    fn typed<T: DeserializeOwned + Default>(
        &mut self,
        value: serde_yaml::Value,
        prefix: Vec<PathSegment>,
    ) -> Option<Declared<T>> {
        let object: Object<T> = match serde_yaml::from_value(value) {
            Ok(o) => o,
            Err(err) => {
                self.model.findings.push(Finding::new(
                    Rule::InvalidSpec,
                    &self.file.rel,
                    TextRange::empty(self.doc_range.start()),
                    format!("this Flux object does not have the expected shape: {err}"),
                ));
                return None;
            }
        };
        let name = object.metadata.name.clone().unwrap_or_default();
        let namespace = self
            .namespaces
            .resolve(&self.file.rel, object.metadata.namespace.as_deref());
        Some(Declared {
            file: self.index,
            rel: self.file.rel.clone(),
            doc: self.doc,
            prefix,
            namespace,
            name,
            labels: object.metadata.labels,
            spec: object.spec.unwrap_or_default(),
        })
    }
}
