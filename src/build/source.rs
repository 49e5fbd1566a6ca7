//! The repository as the builds see it: which files exist, what they hold, read once each.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::kustomization::Kustomization;
use super::value::{self, Node, Origin, Scalar, Value};
use super::Problem;
use crate::manifest;
use crate::manifest::ScalarStyle;

/// What the walk saw in a manifest file, so that a build reads only the files that can hold
/// what it needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tokens {
    /// Names the image automation API group.
    pub image: bool,
    /// Names the Flux Kustomization API group.
    pub kustomize: bool,
    /// May declare a Namespace.
    pub namespace: bool,
}

impl Tokens {
    /// Unknown content: anything may be there.
    pub const ANY: Self = Self {
        image: true,
        kustomize: true,
        namespace: true,
    };

    /// Whether the file may hold an object the builds keep (ConfigMaps and Secrets aside).
    pub fn relevant(self) -> bool {
        self.image || self.kustomize || self.namespace
    }

    #[cfg(test)]
    pub fn of(bytes: &[u8]) -> Self {
        TokenScreen::new().tokens(bytes)
    }
}

/// The searchers behind [`Tokens`], built once per reading thread.
pub(crate) struct TokenScreen {
    /// What both Flux groups end with: one pass finds either.
    toolkit: memchr::memmem::Finder<'static>,
    namespace: memchr::memmem::Finder<'static>,
}

/// The Flux API groups the screen tells apart, by what precedes [`TOOLKIT`].
const TOOLKIT: &str = "toolkit.fluxcd.io";
const IMAGE: &str = "image.";
const KUSTOMIZE: &str = "kustomize.";

impl TokenScreen {
    pub fn new() -> Self {
        use memchr::memmem::Finder;
        Self {
            toolkit: Finder::new(TOOLKIT.as_bytes()),
            namespace: Finder::new(b"Namespace"),
        }
    }

    /// Whether `bytes` name the Flux image API group: [`Tokens::image`] alone.
    pub fn image(&self, bytes: &[u8]) -> bool {
        (self.toolkit.find_iter(bytes)).any(|at| bytes[..at].ends_with(IMAGE.as_bytes()))
    }

    pub fn tokens(&self, bytes: &[u8]) -> Tokens {
        let (mut image, mut kustomize) = (false, false);
        for at in self.toolkit.find_iter(bytes) {
            let before = &bytes[..at];
            image |= before.ends_with(IMAGE.as_bytes());
            kustomize |= before.ends_with(KUSTOMIZE.as_bytes());
            if image && kustomize {
                break;
            }
        }
        Tokens {
            image,
            kustomize,
            namespace: self.namespace.find(bytes).is_some(),
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
    /// Every manifest file, with what it may hold, in no particular order.
    fn files(&self) -> Vec<(&str, Tokens)>;
    /// Whether a manifest file (`.yaml`, `.yml`, `Kustomization`) exists at `rel`.
    fn is_file(&self, rel: &str) -> bool;
    /// The kustomization file of a directory, by kustomize's names in its order.
    fn kustomization_file(&self, dir: &str) -> Option<String> {
        super::kustomization::FILE_NAMES.iter().find_map(|name| {
            let rel = join(dir, name)?;
            self.is_file(&rel).then_some(rel)
        })
    }
    /// Whether `rel` is a directory holding manifest files (directly or below).
    fn is_dir(&self, rel: &str) -> bool;
    /// The manifest files and directories directly in `dir`, by name: `(name, is_dir)`.
    fn list(&self, dir: &str) -> Vec<(String, bool)>;
    /// What the walk saw in the file.
    fn tokens(&self, rel: &str) -> Tokens;
    /// The file's text.
    fn text(&self, rel: &str) -> Option<Arc<str>>;
    /// Whether the file may declare a ConfigMap or Secret: read only for builds that
    /// substitute from them, so the walk does not screen every file for it.
    fn may_hold_config(&self, rel: &str) -> bool {
        self.text(rel)
            .is_some_and(|t| t.contains("ConfigMap") || t.contains("Secret"))
    }
    /// A file as the walk already parsed it (a kustomization skimmed: see
    /// `kustomization::skim`).
    fn parsed(&self, _rel: &str) -> Option<Arc<Vec<Node>>> {
        None
    }
    /// A kustomization as the walk read it, strictly.
    fn kustomization(&self, _rel: &str) -> Option<Result<Arc<Kustomization>, Problem>> {
        None
    }
}

/// A kustomization the walk read strictly (a lenient read, for Flux, reads the file again).
pub(crate) type Walked = Result<Arc<Kustomization>, Problem>;

/// The files the walk listed, read from disk when a build needs them.
pub(crate) struct Disk {
    root: PathBuf,
    /// Every manifest file, for lookups.
    tokens: foldhash::HashMap<String, Tokens>,
    /// The paths in order, for directory queries: sorted when first asked for (few runs do).
    sorted: std::cell::OnceCell<Vec<String>>,
    /// Each directory's kustomization file.
    kustomization_files: foldhash::HashMap<String, String>,
    /// Texts already read by the walk, or since.
    texts: RefCell<HashMap<String, Arc<str>>>,
    /// Files (kustomizations, files with image automation objects) as the walk parsed them.
    parsed: foldhash::HashMap<String, Arc<Vec<Node>>>,
    /// Kustomizations as the walk read them.
    kustomizations: foldhash::HashMap<String, Result<Arc<Kustomization>, Problem>>,
}

impl Disk {
    pub fn new(
        root: PathBuf,
        tokens: foldhash::HashMap<String, Tokens>,
        parsed: foldhash::HashMap<String, Arc<Vec<Node>>>,
        kustomizations: foldhash::HashMap<String, Result<Arc<Kustomization>, Problem>>,
    ) -> Self {
        let mut kustomization_files: foldhash::HashMap<String, String> = Default::default();
        let names = super::kustomization::FILE_NAMES;
        for rel in tokens.keys() {
            let name = file_name(rel);
            let Some(rank) = names.iter().position(|n| name == *n) else {
                continue;
            };
            // Kustomize's names in its order: the first one present wins.
            let entry = kustomization_files
                .entry(parent(rel).to_owned())
                .or_insert_with(|| rel.clone());
            let held = names.iter().position(|n| file_name(entry) == *n);
            if held.is_some_and(|h| rank < h) {
                entry.clone_from(rel);
            }
        }
        Self {
            root,
            sorted: std::cell::OnceCell::new(),
            tokens,
            kustomization_files,
            texts: RefCell::new(HashMap::new()),
            parsed,
            kustomizations,
        }
    }
}

impl Disk {
    fn sorted(&self) -> &[String] {
        self.sorted.get_or_init(|| {
            let mut keys: Vec<String> = self.tokens.keys().cloned().collect();
            keys.sort_unstable();
            keys
        })
    }
}

impl Source for Disk {
    fn files(&self) -> Vec<(&str, Tokens)> {
        self.tokens.iter().map(|(k, t)| (k.as_str(), *t)).collect()
    }

    fn is_file(&self, rel: &str) -> bool {
        self.tokens.contains_key(rel)
    }

    fn kustomization_file(&self, dir: &str) -> Option<String> {
        self.kustomization_files.get(dir).cloned()
    }

    fn is_dir(&self, rel: &str) -> bool {
        let prefix = dir_prefix(rel);
        let sorted = self.sorted();
        let at = sorted.partition_point(|k| k.as_str() < prefix.as_str());
        sorted.get(at).is_some_and(|k| k.starts_with(&prefix))
    }

    fn list(&self, dir: &str) -> Vec<(String, bool)> {
        let prefix = dir_prefix(dir);
        let sorted = self.sorted();
        let at = sorted.partition_point(|k| k.as_str() < prefix.as_str());
        let within = sorted[at..].iter().take_while(|k| k.starts_with(&prefix));
        list_sorted(within.map(String::as_str), dir)
    }

    fn tokens(&self, rel: &str) -> Tokens {
        self.tokens.get(rel).copied().unwrap_or_default()
    }

    fn text(&self, rel: &str) -> Option<Arc<str>> {
        if let Some(text) = self.texts.borrow().get(rel) {
            return Some(text.clone());
        }
        let text: Arc<str> = fs_err::read_to_string(self.root.join(rel)).ok()?.into();
        self.texts.borrow_mut().insert(rel.to_owned(), text.clone());
        Some(text)
    }

    fn parsed(&self, rel: &str) -> Option<Arc<Vec<Node>>> {
        self.parsed.get(rel).cloned()
    }

    fn kustomization(&self, rel: &str) -> Option<Result<Arc<Kustomization>, Problem>> {
        self.kustomizations.get(rel).cloned()
    }

    fn may_hold_config(&self, rel: &str) -> bool {
        // Not kept: in a repository that substitutes, every resource file may be read here.
        fs_err::read(self.root.join(rel)).is_ok_and(|b| {
            memchr::memmem::find(&b, b"ConfigMap").is_some()
                || memchr::memmem::find(&b, b"Secret").is_some()
        })
    }
}

/// Files in memory, for unit tests.
#[cfg(test)]
pub(crate) struct Memory(pub std::collections::BTreeMap<String, String>);

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
    fn files(&self) -> Vec<(&str, Tokens)> {
        self.0
            .iter()
            .map(|(k, t)| (k.as_str(), Tokens::of(t.as_bytes())))
            .collect()
    }

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
    /// A kustomization as the walk reads it, on every core: skimmed, parsed, read strictly;
    /// `None` when it does not parse that way (the build then reads the file whole, and
    /// reports what is wrong with it).
    pub fn walked_kustomization(text: &str, rel: &str) -> Option<Walked> {
        let file: Arc<str> = Arc::from(rel);
        let docs = match super::simple::read(text, &file) {
            Some(node) => vec![node],
            None => {
                let skimmed = super::kustomization::skim(text);
                parse(skimmed.as_deref().unwrap_or(text), &file)
                    .ok()?
                    .to_vec()
            }
        };
        Some(super::kustomize::read_documents(&docs, &file, true).map(Arc::new))
    }

    /// The documents of a file (each a tree), or why it does not parse; `None` if it does
    /// not exist.
    pub fn documents(&self, source: &dyn Source, rel: &str) -> Option<Parsed> {
        if let Some(docs) = source.parsed(rel) {
            return Some(Ok(docs));
        }
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

/// The documents of a parsed file as trees; empty documents left out.
pub(crate) fn trees(manifest: &manifest::Manifest, file: &Arc<str>) -> Vec<Node> {
    manifest
        .documents
        .iter()
        .map(|d| value::from_document(d, file))
        .filter(|n| !n.is_null())
        .collect()
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
    Ok(Arc::new(trees(&manifest, file)))
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

/// [`join`] into a reused buffer.
pub(crate) fn join_into<'b>(buf: &'b mut String, dir: &str, path: &str) -> Option<&'b str> {
    buf.clear();
    if is_plain(path) {
        if !dir.is_empty() {
            buf.push_str(dir);
            buf.push('/');
        }
        buf.push_str(path);
    } else {
        *buf = join(dir, path)?;
    }
    Some(buf)
}

/// A relative path without `.`, `..` or empty parts: joined without splitting.
fn is_plain(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.ends_with('/')
        && !crate::text::has_double_slash(path)
        && !path.split('/').any(|p| p == "." || p == "..")
}

/// `dir` joined with a relative path from a kustomization, `..` and `.` resolved; `None` when
/// it leaves the repository. A leading `/` is relative to the root, as in Flux's `spec.path`.
pub(crate) fn join(dir: &str, path: &str) -> Option<String> {
    if is_plain(path) {
        return Some(if dir.is_empty() {
            path.to_owned()
        } else {
            format!("{dir}/{path}")
        });
    }
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

pub(crate) use crate::text::{file_name, parent};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_screen_tells_the_groups_apart_in_one_pass() {
        assert_eq!(crate::resources::GROUP, format!("{IMAGE}{TOOLKIT}"));
        let screen = TokenScreen::new();
        let t = |s: &str| {
            let t = screen.tokens(s.as_bytes());
            assert_eq!(screen.image(s.as_bytes()), t.image, "{s}");
            (t.image, t.kustomize, t.namespace)
        };
        assert_eq!(
            t("apiVersion: helm.toolkit.fluxcd.io/v2"),
            (false, false, false)
        );
        assert_eq!(t("a: image.toolkit.fluxcd.io/v1"), (true, false, false));
        assert_eq!(
            t("helm.toolkit.fluxcd.io kustomize.toolkit.fluxcd.io kind: Namespace"),
            (false, true, true)
        );
        assert_eq!(
            t("kustomize.toolkit.fluxcd.io\nimage.toolkit.fluxcd.io"),
            (true, true, false)
        );
        assert_eq!(t("toolkit.fluxcd.io"), (false, false, false));
    }

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
