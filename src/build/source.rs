//! The repository as the builds see it: which files exist, what they hold, read once each.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use super::value::{self, Node, Origin, Scalar, Value};
use crate::manifest;
use crate::manifest::ScalarStyle;

/// What the walk saw in a manifest file, so that a build reads only the files that can hold
/// what it needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tokens {
    /// Names a Flux API group (`toolkit.fluxcd.io`): image automation objects, Kustomizations.
    pub flux: bool,
    /// May declare a Namespace.
    pub namespace: bool,
    /// May declare a ConfigMap or Secret (for `postBuild.substituteFrom`).
    pub config: bool,
}

impl Tokens {
    /// Unknown content: anything may be there.
    pub const ANY: Self = Self {
        flux: true,
        namespace: true,
        config: true,
    };

    #[cfg(test)]
    pub fn of(bytes: &[u8]) -> Self {
        TokenScreen::new().tokens(bytes)
    }
}

/// The searchers behind [`Tokens`], built once per reading thread.
pub(crate) struct TokenScreen {
    flux: memchr::memmem::Finder<'static>,
    namespace: memchr::memmem::Finder<'static>,
    config_map: memchr::memmem::Finder<'static>,
    secret: memchr::memmem::Finder<'static>,
}

impl TokenScreen {
    pub fn new() -> Self {
        use memchr::memmem::Finder;
        Self {
            flux: Finder::new(b"toolkit.fluxcd.io"),
            namespace: Finder::new(b"Namespace"),
            config_map: Finder::new(b"ConfigMap"),
            secret: Finder::new(b"Secret"),
        }
    }

    pub fn tokens(&self, bytes: &[u8]) -> Tokens {
        Tokens {
            flux: self.flux.find(bytes).is_some(),
            namespace: self.namespace.find(bytes).is_some(),
            config: self.config_map.find(bytes).is_some() || self.secret.find(bytes).is_some(),
        }
    }
}

/// A file's documents as trees, or why it could not be read.
pub(crate) type Parsed = Result<Arc<Vec<Node>>, Unreadable>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Unreadable {
    pub message: String,
    pub range: crate::text::TextRange,
}

/// The files of the repository, for the builds.
pub(crate) trait Source {
    /// Whether a manifest file (`.yaml`, `.yml`, `Kustomization`) exists at `rel`.
    fn is_file(&self, rel: &str) -> bool;
    /// Whether `rel` is a directory holding manifest files (directly or below).
    fn is_dir(&self, rel: &str) -> bool;
    /// The manifest files and directories directly in `dir`, by name: `(name, is_dir)`.
    fn list(&self, dir: &str) -> Vec<(String, bool)>;
    /// What the walk saw in the file.
    fn tokens(&self, rel: &str) -> Tokens;
    /// The file's text.
    fn text(&self, rel: &str) -> Option<Arc<str>>;
}

/// The files the walk listed, read from disk when a build needs them.
pub(crate) struct Disk {
    root: PathBuf,
    files: BTreeMap<String, Tokens>,
    /// Texts already read by the walk, or since.
    texts: RefCell<HashMap<String, Arc<str>>>,
}

impl Disk {
    pub fn new(
        root: PathBuf,
        files: BTreeMap<String, Tokens>,
        texts: HashMap<String, Arc<str>>,
    ) -> Self {
        Self {
            root,
            files,
            texts: RefCell::new(texts),
        }
    }
}

impl Source for Disk {
    fn is_file(&self, rel: &str) -> bool {
        self.files.contains_key(rel)
    }

    fn is_dir(&self, rel: &str) -> bool {
        let prefix = dir_prefix(rel);
        self.files
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&prefix))
    }

    fn list(&self, dir: &str) -> Vec<(String, bool)> {
        list_sorted(self.files.keys().map(String::as_str), dir)
    }

    fn tokens(&self, rel: &str) -> Tokens {
        self.files.get(rel).copied().unwrap_or_default()
    }

    fn text(&self, rel: &str) -> Option<Arc<str>> {
        if let Some(text) = self.texts.borrow().get(rel) {
            return Some(text.clone());
        }
        let text: Arc<str> = fs_err::read_to_string(self.root.join(rel)).ok()?.into();
        self.texts.borrow_mut().insert(rel.to_owned(), text.clone());
        Some(text)
    }
}

/// Files in memory, for unit tests.
#[cfg(test)]
pub(crate) struct Memory(pub BTreeMap<String, String>);

#[cfg(test)]
impl Memory {
    pub fn new(files: &[(&str, &str)]) -> Self {
        Self(
            files
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }
}

#[cfg(test)]
impl Source for Memory {
    fn is_file(&self, rel: &str) -> bool {
        self.0.contains_key(rel)
    }

    fn is_dir(&self, rel: &str) -> bool {
        let prefix = dir_prefix(rel);
        self.0.keys().any(|k| k.starts_with(&prefix))
    }

    fn list(&self, dir: &str) -> Vec<(String, bool)> {
        list_sorted(self.0.keys().map(String::as_str), dir)
    }

    fn tokens(&self, rel: &str) -> Tokens {
        self.0
            .get(rel)
            .map_or_else(Tokens::default, |t| Tokens::of(t.as_bytes()))
    }

    fn text(&self, rel: &str) -> Option<Arc<str>> {
        self.0.get(rel).map(|t| Arc::from(t.as_str()))
    }
}

fn dir_prefix(rel: &str) -> String {
    if rel.is_empty() {
        String::new()
    } else {
        format!("{rel}/")
    }
}

/// The entries directly in `dir`, from a sorted listing of every file.
fn list_sorted<'a>(files: impl Iterator<Item = &'a str>, dir: &str) -> Vec<(String, bool)> {
    let prefix = dir_prefix(dir);
    let mut out: Vec<(String, bool)> = Vec::new();
    for rel in files {
        let Some(rest) = rel.strip_prefix(&prefix) else {
            continue;
        };
        let entry = match rest.split_once('/') {
            Some((dir, _)) => (dir.to_owned(), true),
            None => (rest.to_owned(), false),
        };
        if out.last() != Some(&entry) {
            out.push(entry);
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Parsed files, each parsed once per run.
#[derive(Default)]
pub(crate) struct Cache {
    parsed: RefCell<HashMap<String, Parsed>>,
}

impl Cache {
    /// The documents of a file (each a tree), or why it does not parse; `None` if it does
    /// not exist.
    pub fn documents(&self, source: &dyn Source, rel: &str) -> Option<Parsed> {
        if let Some(p) = self.parsed.borrow().get(rel) {
            return Some(p.clone());
        }
        let text = source.text(rel)?;
        let file: Arc<str> = Arc::from(rel);
        let parsed = parse(&text, &file);
        self.parsed
            .borrow_mut()
            .insert(rel.to_owned(), parsed.clone());
        Some(parsed)
    }
}

/// The documents of a text as trees; empty documents left out.
pub(crate) fn parse(text: &str, file: &Arc<str>) -> Parsed {
    let manifest = match manifest::parse(text) {
        Ok(m) => m,
        Err(e) if e.kind == manifest::ParseErrorKind::FluxSkipsFile => {
            // A JSON6902 patch is a sequence, which the marker reader refuses: read it whole,
            // positioned as a whole.
            return sequence(text, file).ok_or(Unreadable {
                message: e.message,
                range: e.span,
            });
        }
        Err(e) => {
            return Err(Unreadable {
                message: e.message,
                range: e.span,
            })
        }
    };
    Ok(Arc::new(
        manifest
            .documents
            .iter()
            .map(|d| value::from_document(d, file))
            .filter(|n| !n.is_null())
            .collect(),
    ))
}

/// A document whose root is a sequence, every value placed at the whole text.
fn sequence(text: &str, file: &Arc<str>) -> Option<Arc<Vec<Node>>> {
    let value: serde_yaml::Value = serde_yaml::from_str(text).ok()?;
    if !value.is_sequence() {
        return None;
    }
    let origin = Origin {
        file: file.clone(),
        range: crate::text::TextRange::new(0, text.trim_end().len()),
    };
    Some(Arc::new(vec![from_serde(&value, &origin)]))
}

fn from_serde(value: &serde_yaml::Value, origin: &Origin) -> Node {
    use serde_yaml::Value as Y;
    let scalar = |text: String, style| {
        Value::Scalar(Scalar {
            text,
            style,
            tag: None,
        })
    };
    let v = match value {
        Y::Null => Value::Null,
        Y::Bool(b) => scalar(b.to_string(), ScalarStyle::Plain),
        Y::Number(n) => scalar(n.to_string(), ScalarStyle::Plain),
        Y::String(s) => scalar(s.clone(), ScalarStyle::DoubleQuoted),
        Y::Sequence(items) => Value::Seq(items.iter().map(|i| from_serde(i, origin)).collect()),
        Y::Mapping(m) => Value::Map(
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), from_serde(v, origin))))
                .collect(),
        ),
        Y::Tagged(t) => return from_serde(&t.value, origin),
    };
    Node::new(v, origin.clone())
}

/// `dir` joined with a relative path from a kustomization, `..` and `.` resolved; `None` when
/// it leaves the repository. A leading `/` is relative to the root, as in Flux's `spec.path`.
pub(crate) fn join(dir: &str, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = if path.starts_with('/') {
        Vec::new()
    } else {
        dir.split('/').filter(|p| !p.is_empty()).collect()
    };
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// The directory of a repository-relative file.
pub(crate) fn parent(rel: &str) -> &str {
    rel.rfind('/').map_or("", |i| &rel[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_within_the_repository() {
        assert_eq!(join("apps/prod", "../base").as_deref(), Some("apps/base"));
        assert_eq!(
            join("apps/prod", "./x.yaml").as_deref(),
            Some("apps/prod/x.yaml")
        );
        assert_eq!(join("", "./clusters/a").as_deref(), Some("clusters/a"));
        assert_eq!(join("apps", "/clusters/a/").as_deref(), Some("clusters/a"));
        assert_eq!(join("apps", "../../x"), None);
        assert_eq!(parent("a/b/c.yaml"), "a/b");
        assert_eq!(parent("c.yaml"), "");
    }

    #[test]
    fn listings_give_files_and_directories_in_name_order() {
        let m = Memory::new(&[
            ("d/b/c.yml", ""),
            ("d/a.yaml", ""),
            ("d/k/kustomization.yaml", ""),
            ("e.yaml", ""),
        ]);
        assert_eq!(
            m.list("d"),
            [
                ("a.yaml".to_owned(), false),
                ("b".to_owned(), true),
                ("k".to_owned(), true)
            ]
        );
        assert!(m.is_dir("d/b") && !m.is_dir("d/a.yaml") && m.is_dir(""));
    }
}
