//! The tree of a built object. Every value keeps where it came from (the file and bytes of the
//! resource, the patch or the kustomization that set it), so a finding about an effective field
//! points at the text that produced it.

use std::sync::Arc;

use crate::manifest::{
    CollectionKind, CollectionNode, Document, PathSegment, ScalarNode, ScalarStyle,
};
use crate::resources::dotted;
use crate::text::TextRange;

/// Where a value was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Origin {
    pub file: Arc<str>,
    pub range: TextRange,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Scalar {
    pub text: String,
    pub style: ScalarStyle,
    pub tag: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    Null,
    Scalar(Scalar),
    Map(Vec<(String, Node)>),
    Seq(Vec<Node>),
    /// An alias: kustomize resolves it; imagelock does not follow aliases in objects.
    Alias,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Node {
    pub value: Value,
    pub origin: Origin,
}

impl Node {
    pub fn new(value: Value, origin: Origin) -> Self {
        Self { value, origin }
    }

    /// A quoted string, as a transformer writes it.
    pub fn string(text: &str, origin: Origin) -> Self {
        Self::new(
            Value::Scalar(Scalar {
                text: text.to_owned(),
                style: ScalarStyle::DoubleQuoted,
                tag: None,
            }),
            origin,
        )
    }

    pub fn empty_map(origin: Origin) -> Self {
        Self::new(Value::Map(Vec::new()), origin)
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        match &mut self.value {
            Value::Map(entries) => entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn at(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |node, key| node.get(key))
    }

    /// The string at `path`: a scalar the API server reads as a string.
    pub fn str_at(&self, path: &[&str]) -> Option<&str> {
        self.at(path)?.as_str()
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) if s.is_string() => Some(&s.text),
            _ => None,
        }
    }

    /// Any scalar's text (numbers and bools included), as kustomize's string view of it.
    pub fn scalar_text(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(&s.text),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        match &self.value {
            Value::Null => true,
            Value::Scalar(s) => s.is_null(),
            _ => false,
        }
    }

    pub fn entries(&self) -> &[(String, Node)] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    /// Sets `key` of this mapping (turning a null into a mapping), keeping the key's place.
    pub fn set(&mut self, key: &str, value: Node) {
        if self.is_null() {
            self.value = Value::Map(Vec::new());
        }
        if let Value::Map(entries) = &mut self.value {
            match entries.iter_mut().find(|(k, _)| k == key) {
                Some((_, v)) => *v = value,
                None => entries.push((key.to_owned(), value)),
            }
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<Node> {
        match &mut self.value {
            Value::Map(entries) => {
                let i = entries.iter().position(|(k, _)| k == key)?;
                Some(entries.remove(i).1)
            }
            _ => None,
        }
    }

    /// The mapping at `path`, created (with `origin`) where missing.
    pub fn ensure_map(&mut self, path: &[&str], origin: &Origin) -> &mut Node {
        let mut node = self;
        for key in path {
            if node
                .get(key)
                .is_none_or(|n| !matches!(n.value, Value::Map(_)))
            {
                node.set(key, Node::empty_map(origin.clone()));
            }
            node = node.get_mut(key).expect("just set");
        }
        node
    }

    /// A string-to-string mapping (labels, annotations, ConfigMap data); other values are
    /// given as their text.
    pub fn string_map(&self) -> Vec<(String, String)> {
        self.entries()
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.scalar_text()?.to_owned())))
            .collect()
    }

    /// Every scalar below this node, mutably (for substitution).
    pub fn scalars_mut(&mut self, f: &mut impl FnMut(&mut Scalar, &Origin)) {
        match &mut self.value {
            Value::Scalar(s) => f(s, &self.origin),
            Value::Map(entries) => entries.iter_mut().for_each(|(_, v)| v.scalars_mut(f)),
            Value::Seq(items) => items.iter_mut().for_each(|v| v.scalars_mut(f)),
            Value::Null | Value::Alias => {}
        }
    }
}

impl Scalar {
    /// Read as a string by the API server (go-yaml v2): quoted, `!!str`, or plain and not a
    /// number, bool or null.
    pub fn is_string(&self) -> bool {
        match self.tag.as_deref() {
            Some("!!str") => true,
            Some(_) => false,
            None => {
                self.style != ScalarStyle::Plain || !crate::fix::resolves_to_non_string(&self.text)
            }
        }
    }

    pub fn is_null(&self) -> bool {
        self.style == ScalarStyle::Plain
            && self.tag.is_none()
            && matches!(self.text.as_str(), "~" | "null" | "Null" | "NULL" | "")
    }
}

/// The tree of one parsed document (its values; keys are the paths).
pub(crate) fn from_document(doc: &Document, file: &Arc<str>) -> Node {
    let origin = |range| Origin {
        file: file.clone(),
        range,
    };
    let mut root = Node::new(Value::Null, origin(doc.range));
    // Parents before children: a container starts at or before its first child.
    let mut entries: Vec<(&[PathSegment], TextRange, Value)> = doc
        .collections
        .iter()
        .map(|c: &CollectionNode| {
            let value = match c.kind {
                CollectionKind::Mapping => Value::Map(Vec::new()),
                CollectionKind::Sequence => Value::Seq(Vec::new()),
                CollectionKind::Alias => Value::Alias,
                CollectionKind::Empty => Value::Null,
            };
            (&c.path[..], c.range, value)
        })
        .chain(doc.scalars.iter().map(|s: &ScalarNode| {
            let value = Value::Scalar(Scalar {
                text: s.value.clone(),
                style: s.style,
                tag: s.tag.clone(),
            });
            (&s.path[..], s.range, value)
        }))
        .collect();
    entries.sort_by_key(|(path, range, _)| (range.start(), path.len()));
    for (path, range, value) in entries {
        insert(&mut root, path, Node::new(value, origin(range)));
    }
    if root.is_null() && !doc.scalars.is_empty() {
        // A document whose root is a scalar.
        if let Some(s) = doc.scalars.iter().find(|s| s.path.is_empty()) {
            root = Node::new(
                Value::Scalar(Scalar {
                    text: s.value.clone(),
                    style: s.style,
                    tag: s.tag.clone(),
                }),
                origin(s.range),
            );
        }
    }
    root
}

fn insert(root: &mut Node, path: &[PathSegment], node: Node) {
    let Some((last, parents)) = path.split_last() else {
        // The root itself: a root mapping or sequence.
        if !matches!(node.value, Value::Scalar(_)) {
            *root = node;
        }
        return;
    };
    let mut at = root;
    for seg in parents {
        at = match child(at, seg) {
            Some(next) => next,
            None => return,
        };
    }
    match (last, &mut at.value) {
        // A key written twice stays twice: lookups find the first (as kyaml's), and the
        // object reader reports the repeat (the API server rejects the object).
        (PathSegment::Key(k), Value::Map(entries)) => entries.push((k.to_string(), node)),
        (PathSegment::Index(i), Value::Seq(items)) if *i == items.len() => items.push(node),
        _ => {}
    }
}

fn child<'a>(node: &'a mut Node, seg: &PathSegment) -> Option<&'a mut Node> {
    match (seg, &mut node.value) {
        (PathSegment::Key(k), Value::Map(entries)) => entries
            .iter_mut()
            .find(|(key, _)| **key == **k)
            .map(|(_, v)| v),
        (PathSegment::Index(i), Value::Seq(items)) => items.get_mut(*i),
        _ => None,
    }
}

/// A built object in the spanned form the typed readers take, with each node's file.
pub(crate) struct Flat {
    pub document: Document,
    /// The file of each of `document.scalars`, then of each of `document.collections`.
    scalar_files: Vec<Arc<str>>,
    collection_files: Vec<Arc<str>>,
}

impl Flat {
    pub fn new(root: &Node) -> Self {
        let mut flat = Self {
            document: Document {
                range: root.origin.range,
                scalars: Vec::new(),
                collections: Vec::new(),
            },
            scalar_files: Vec::new(),
            collection_files: Vec::new(),
        };
        flat.walk(root, &mut Vec::new());
        flat
    }

    fn walk(&mut self, node: &Node, path: &mut Vec<PathSegment>) {
        let kind = match &node.value {
            Value::Scalar(s) => {
                self.document.scalars.push(ScalarNode {
                    path: path.clone(),
                    range: node.origin.range,
                    style: s.style,
                    value: s.text.clone(),
                    anchor: false,
                    tag: s.tag.clone(),
                    line_comment: None,
                });
                self.scalar_files.push(node.origin.file.clone());
                return;
            }
            Value::Null => CollectionKind::Empty,
            Value::Alias => CollectionKind::Alias,
            Value::Map(entries) => {
                for (k, v) in entries {
                    path.push(PathSegment::Key(k.as_str().into()));
                    self.walk(v, path);
                    path.pop();
                }
                CollectionKind::Mapping
            }
            Value::Seq(items) => {
                for (i, v) in items.iter().enumerate() {
                    path.push(PathSegment::Index(i));
                    self.walk(v, path);
                    path.pop();
                }
                CollectionKind::Sequence
            }
        };
        if !path.is_empty() {
            self.document.collections.push(CollectionNode {
                path: path.clone(),
                kind,
                range: node.origin.range,
            });
            self.collection_files.push(node.origin.file.clone());
        }
    }

    /// The file a range of this object points into (a shape error's place).
    pub fn file_of(&self, range: TextRange) -> Option<&Arc<str>> {
        let scalars = self.document.scalars.iter().map(|s| s.range);
        let collections = self.document.collections.iter().map(|c| c.range);
        scalars
            .zip(&self.scalar_files)
            .chain(collections.zip(&self.collection_files))
            .find(|(r, _)| r.contains_range(range))
            .map(|(_, f)| f)
    }

    /// Every scalar with its dotted path and origin.
    pub fn fields(&self) -> Vec<(String, Origin)> {
        self.document
            .scalars
            .iter()
            .zip(&self.scalar_files)
            .map(|(s, f)| {
                (
                    dotted(&s.path),
                    Origin {
                        file: f.clone(),
                        range: s.range,
                    },
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(yaml: &str) -> Node {
        let manifest = crate::manifest::parse(yaml).unwrap();
        from_document(&manifest.documents[0], &Arc::from("f.yaml"))
    }

    #[test]
    fn documents_become_trees_with_the_places_of_their_values() {
        let yaml =
            "kind: P\nmetadata:\n  name: a\nspec:\n  list: [x, 'y']\n  empty:\n  map: {k: 1}\n";
        let t = tree(yaml);
        assert_eq!(t.str_at(&["metadata", "name"]), Some("a"));
        let list: Vec<_> = t
            .at(&["spec", "list"])
            .unwrap()
            .items()
            .iter()
            .map(|n| n.as_str())
            .collect();
        assert_eq!(list, [Some("x"), Some("y")]);
        assert!(t.at(&["spec", "empty"]).unwrap().is_null());
        assert_eq!(t.at(&["spec", "map", "k"]).unwrap().as_str(), None);
        assert_eq!(
            t.at(&["spec", "map", "k"]).unwrap().scalar_text(),
            Some("1")
        );
        let name = t.at(&["metadata", "name"]).unwrap();
        assert_eq!(&yaml[name.origin.range.as_range()], "a");
        let keys: Vec<_> = t.entries().iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["kind", "metadata", "spec"]);
    }

    #[test]
    fn the_flat_form_round_trips_with_files() {
        let t = tree("a:\n  b: [1, x]\n  c: {}\n");
        let flat = Flat::new(&t);
        let fields: Vec<_> = flat.fields().into_iter().map(|(p, _)| p).collect();
        assert_eq!(fields, ["a.b.0", "a.b.1"]);
        let paths: Vec<_> = flat
            .document
            .collections
            .iter()
            .map(|c| (dotted(&c.path), c.kind))
            .collect();
        assert_eq!(
            paths,
            [
                ("a.b".to_owned(), CollectionKind::Sequence),
                ("a.c".to_owned(), CollectionKind::Mapping),
                ("a".to_owned(), CollectionKind::Mapping),
            ]
        );
        let r = flat.document.scalars[1].range;
        assert_eq!(flat.file_of(r).map(|f| &**f), Some("f.yaml"));
    }
}
