//! Reading Flux objects straight from the spanned YAML tree (`manifest::Document`), so that every
//! field keeps its position and a shape error points at the field itself.
//!
//! Values are read as the Kubernetes API server reads them after sigs.k8s.io/yaml (go-yaml v2):
//! a plain `123` or `yes` is a number or a bool, not a string; `yes`/`on` are bools.

use std::collections::BTreeMap;

use crate::manifest::{
    CollectionKind, CollectionNode, Document, PathSegment, ScalarNode, ScalarStyle,
};
use crate::text::TextRange;

/// A field whose value does not have the shape Flux's API declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapeError {
    pub range: TextRange,
    pub message: String,
}

/// One object: a document, or the flat form of a built object (`build::Flat`).
#[derive(Clone, Copy, Debug)]
pub struct ObjectView<'a> {
    scalars: &'a [ScalarNode],
    collections: &'a [CollectionNode],
    pub range: TextRange,
}

/// A value found at a path.
#[derive(Clone, Copy, Debug)]
enum Node<'a> {
    Scalar(&'a ScalarNode),
    Other(&'a CollectionNode),
}

impl<'a> ObjectView<'a> {
    /// The document itself as one object.
    pub fn document(doc: &'a Document) -> Self {
        Self {
            scalars: &doc.scalars,
            collections: &doc.collections,
            range: doc.range,
        }
    }

    fn find(&self, path: &[&str]) -> Option<Node<'a>> {
        let matches = |rel: &[PathSegment]| {
            rel.len() == path.len()
                && rel.iter().zip(path).all(|(seg, want)| match seg {
                    PathSegment::Key(k) => **k == **want,
                    PathSegment::Index(i) => want.parse() == Ok(*i),
                })
        };
        if let Some(s) = self.scalars.iter().find(|s| matches(&s.path)) {
            return Some(Node::Scalar(s));
        }
        self.collections
            .iter()
            .find(|c| matches(&c.path))
            .map(Node::Other)
    }

    /// Every scalar of the object with its path below the object, as `spec.exclusionList.0`:
    /// the positions a finding about a field points at.
    pub fn field_spans(&self) -> Vec<(String, TextRange)> {
        self.scalars
            .iter()
            .map(|s| (dotted(&s.path), s.range))
            .collect()
    }

    /// A key written twice in one mapping: Kubernetes rejects the object. The outermost
    /// duplicate, at its second occurrence.
    pub fn duplicate_key(&self) -> Option<ShapeError> {
        let mut seen: foldhash::HashSet<&[PathSegment]> = foldhash::HashSet::default();
        let mut found: Option<(&[PathSegment], TextRange)> = None;
        let entries = self
            .scalars
            .iter()
            .map(|s| (&s.path[..], s.range))
            .chain(self.collections.iter().map(|c| (&c.path[..], c.range)));
        for (path, range) in entries {
            if !seen.insert(path) {
                let better =
                    found.is_none_or(|(p, r)| (path.len(), range.start()) < (p.len(), r.start()));
                if better {
                    found = Some((path, range));
                }
            }
        }
        let (path, range) = found?;
        Some(ShapeError {
            range,
            message: format!(
                "`{}` is set twice; the API server rejects this object",
                dotted(path)
            ),
        })
    }
}

/// `spec.exclusionList.0`: a path as the fields of a finding name it.
pub(crate) fn dotted(path: &[PathSegment]) -> String {
    let mut out = String::new();
    for (i, seg) in path.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        match seg {
            PathSegment::Key(k) => out.push_str(k),
            PathSegment::Index(n) => out.push_str(&n.to_string()),
        }
    }
    out
}

/// Typed reads from one object, collecting every shape error.
pub struct Reader<'a> {
    pub view: ObjectView<'a>,
    pub errors: Vec<ShapeError>,
}

fn describe(node: Node<'_>) -> &'static str {
    match node {
        Node::Scalar(s)
            if s.style == ScalarStyle::Plain && crate::fix::resolves_to_non_string(&s.value) =>
        {
            "a number or bool"
        }
        Node::Scalar(_) => "a string",
        Node::Other(c) => match c.kind {
            CollectionKind::Mapping => "a mapping",
            CollectionKind::Sequence => "a sequence",
            CollectionKind::Alias => "an alias (imagelock does not follow aliases in Flux objects)",
            CollectionKind::Empty => "empty",
        },
    }
}

fn range_of(node: Node<'_>) -> TextRange {
    match node {
        Node::Scalar(s) => s.range,
        Node::Other(c) => c.range,
    }
}

fn is_null(node: Node<'_>) -> bool {
    match node {
        Node::Scalar(s) => {
            s.style == ScalarStyle::Plain
                && s.tag.is_none()
                && matches!(s.value.as_str(), "~" | "null" | "Null" | "NULL")
        }
        Node::Other(c) => c.kind == CollectionKind::Empty,
    }
}

impl<'a> Reader<'a> {
    pub fn new(view: ObjectView<'a>) -> Self {
        Self {
            view,
            errors: Vec::new(),
        }
    }

    fn wrong(&mut self, node: Node<'_>, path: &[&str], expected: &str) {
        self.errors.push(ShapeError {
            range: range_of(node),
            message: format!(
                "`{}` must be {expected}, not {}",
                path.join("."),
                describe(node)
            ),
        });
    }

    /// The value at `path`, unless absent or null.
    fn get(&self, path: &[&str]) -> Option<Node<'a>> {
        self.view.find(path).filter(|n| !is_null(*n))
    }

    /// A string field; a number, bool or collection is a shape error.
    pub fn string(&mut self, path: &[&str]) -> Option<String> {
        match self.get(path)? {
            Node::Scalar(s) if is_string(s) => Some(s.value.clone()),
            other => {
                self.wrong(other, path, "a string");
                None
            }
        }
    }

    /// A string field that must be present.
    pub fn required(&mut self, path: &[&str]) -> String {
        if self.get(path).is_none() {
            let parent = self
                .view
                .find(&path[..path.len().saturating_sub(1)])
                .map_or(self.view.range, range_of);
            self.errors.push(ShapeError {
                range: TextRange::empty(parent.start()),
                message: format!("`{}` is required", path.join(".")),
            });
            return String::new();
        }
        self.string(path).unwrap_or_default()
    }

    /// A bool field (go-yaml v2's spellings: `true`, `yes`, `on`, …); absent is `false`.
    pub fn bool(&mut self, path: &[&str]) -> bool {
        let Some(node) = self.get(path) else {
            return false;
        };
        if let Node::Scalar(s) = node {
            if s.style == ScalarStyle::Plain && s.tag.as_deref().is_none_or(|t| t == "!!bool") {
                match s.value.as_str() {
                    "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On"
                    | "ON" => return true,
                    "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off"
                    | "Off" | "OFF" => return false,
                    _ => {}
                }
            }
        }
        self.wrong(node, path, "true or false");
        false
    }

    /// Whether a mapping is present at `path` (`{}` included); a scalar or sequence there is a
    /// shape error.
    pub fn mapping(&mut self, path: &[&str]) -> bool {
        match self.get(path) {
            None => false,
            Some(Node::Other(c)) if c.kind == CollectionKind::Mapping => true,
            Some(other) => {
                self.wrong(other, path, "a mapping");
                false
            }
        }
    }

    /// A sequence of strings.
    pub fn strings(&mut self, path: &[&str]) -> Vec<String> {
        match self.get(path) {
            None => Vec::new(),
            Some(Node::Other(c)) if c.kind == CollectionKind::Sequence => self
                .string_items(c, path, "a sequence of strings")
                .map(|items| items.into_iter().map(|s| s.value.clone()).collect())
                .unwrap_or_default(),
            Some(other) => {
                self.wrong(other, path, "a sequence");
                Vec::new()
            }
        }
    }

    /// A mapping of strings to strings (labels, messageTemplateValues).
    pub fn string_map(&mut self, path: &[&str]) -> BTreeMap<String, String> {
        match self.get(path) {
            None => BTreeMap::new(),
            Some(Node::Other(c)) if c.kind == CollectionKind::Mapping => self
                .string_items(c, path, "a mapping of strings")
                .map(|items| {
                    items
                        .into_iter()
                        .filter_map(|s| match s.path.last() {
                            Some(PathSegment::Key(k)) => Some((k.to_string(), s.value.clone())),
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default(),
            Some(other) => {
                self.wrong(other, path, "a mapping");
                BTreeMap::new()
            }
        }
    }

    /// The string items of the collection `c`, nulls left out; `None`, with a shape error, when
    /// an item is a number, a bool or a collection.
    fn string_items(
        &mut self,
        c: &CollectionNode,
        path: &[&str],
        expected: &str,
    ) -> Option<Vec<&'a ScalarNode>> {
        let child = |p: &[PathSegment]| p.len() == c.path.len() + 1 && p.starts_with(&c.path);
        let view = self.view;
        if let Some(n) = view
            .collections
            .iter()
            .find(|n| child(&n.path) && n.kind != CollectionKind::Empty)
        {
            self.wrong(Node::Other(n), path, expected);
            return None;
        }
        let mut items = Vec::new();
        for s in view.scalars.iter().filter(|s| child(&s.path)) {
            if is_string(s) {
                items.push(s);
            } else if !is_null(Node::Scalar(s)) {
                self.wrong(Node::Scalar(s), path, expected);
                return None;
            }
        }
        Some(items)
    }

    /// The number of items of a sequence of mappings at `path` (a shape error otherwise).
    pub fn mappings(&mut self, path: &[&str]) -> usize {
        match self.get(path) {
            None => 0,
            Some(Node::Other(c)) if c.kind == CollectionKind::Sequence => {
                let child =
                    |p: &[PathSegment]| p.len() == c.path.len() + 1 && p.starts_with(&c.path);
                let bad = self
                    .view
                    .collections
                    .iter()
                    .find(|n| child(&n.path) && n.kind != CollectionKind::Mapping)
                    .map(Node::Other)
                    .or_else(|| {
                        self.view
                            .scalars
                            .iter()
                            .find(|s| child(&s.path))
                            .map(Node::Scalar)
                    });
                if let Some(bad) = bad {
                    self.wrong(bad, path, "a sequence of mappings");
                    return 0;
                }
                self.view
                    .collections
                    .iter()
                    .filter(|n| child(&n.path))
                    .count()
            }
            Some(other) => {
                self.wrong(other, path, "a sequence");
                0
            }
        }
    }
}

/// A scalar the API server reads as a string: quoted, tagged `!!str`, or plain and not a number,
/// bool or null to go-yaml v2.
fn is_string(s: &ScalarNode) -> bool {
    match s.tag.as_deref() {
        Some("!!str") => true,
        Some(_) => false,
        None => s.style != ScalarStyle::Plain || !crate::fix::resolves_to_non_string(&s.value),
    }
}

/// `path` followed by `rest`.
pub fn at<'a>(path: &[&'a str], rest: &[&'a str]) -> Vec<&'a str> {
    [path, rest].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read<T>(yaml: &str, f: impl FnOnce(&mut Reader<'_>) -> T) -> (T, Vec<String>) {
        let manifest = crate::manifest::parse(yaml).unwrap();
        let mut r = Reader::new(ObjectView::document(&manifest.documents[0]));
        let value = f(&mut r);
        let errors = r
            .errors
            .iter()
            .map(|e| format!("{}@{}", e.message, &yaml[e.range.as_range()]))
            .collect();
        (value, errors)
    }

    #[test]
    fn strings_are_what_the_api_server_reads_as_strings() {
        for (yaml, want) in [
            ("a: x", Some("x")),
            ("a: '1.0'", Some("1.0")),
            ("a: !!str 1.0", Some("1.0")),
            ("a: |\n  x\n", Some("x\n")),
            ("a: 2024-01-01", Some("2024-01-01")),
            ("a:", None),
            ("a: ~", None),
            ("b: x", None),
        ] {
            let (got, errors) = read(yaml, |r| r.string(&["a"]));
            assert_eq!((got.as_deref(), errors.len()), (want, 0), "{yaml}");
        }
        for (yaml, error) in [
            ("a: 1.0", "`a` must be a string, not a number or bool@1.0"),
            ("a: yes", "`a` must be a string, not a number or bool@yes"),
            ("a: [x]", "`a` must be a string, not a sequence@[x]"),
            ("a: {x: 1}", "`a` must be a string, not a mapping@{x: 1}"),
        ] {
            let (got, errors) = read(yaml, |r| r.string(&["a"]));
            assert_eq!((got, errors), (None, vec![error.to_owned()]), "{yaml}");
        }
    }

    #[test]
    fn bools_take_go_yaml_v2_spellings_and_nothing_else() {
        for (yaml, want) in [
            ("a: true", true),
            ("a: on", true),
            ("a: No", false),
            ("b: 1", false),
        ] {
            assert_eq!(read(yaml, |r| r.bool(&["a"])), (want, vec![]), "{yaml}");
        }
        for yaml in ["a: 'true'", "a: maybe", "a: 1", "a: {}"] {
            let (_, errors) = read(yaml, |r| r.bool(&["a"]));
            assert_eq!(errors.len(), 1, "{yaml}");
        }
    }

    #[test]
    fn collections_of_strings() {
        let (list, errors) = read("a: [x, 'y', ~]\n", |r| r.strings(&["a"]));
        assert_eq!(
            (list, errors),
            (vec!["x".to_owned(), "y".to_owned()], vec![])
        );
        let (_, errors) = read("a:\n  - [x]\n", |r| r.strings(&["a"]));
        assert_eq!(
            errors,
            ["`a` must be a sequence of strings, not a sequence@[x]"]
        );
        let (map, errors) = read("a: {k: v, n: ~}\n", |r| r.string_map(&["a"]));
        assert_eq!(errors, Vec::<String>::new());
        assert_eq!(
            map.into_iter().collect::<Vec<_>>(),
            [("k".into(), "v".into())]
        );
        let (_, errors) = read("a: {k: 1}\n", |r| r.string_map(&["a"]));
        assert_eq!(
            errors,
            ["`a` must be a mapping of strings, not a number or bool@1"]
        );
        let (present, errors) = read("a: {}\n", |r| r.mapping(&["a"]));
        assert!(present && errors.is_empty());
    }

    #[test]
    fn a_key_set_twice_is_reported_once_at_the_outermost_repeat() {
        let yaml = "spec:\n  a: 1\nspec:\n  a: 2\n";
        let manifest = crate::manifest::parse(yaml).unwrap();
        let dup = ObjectView::document(&manifest.documents[0]).duplicate_key();
        let dup = dup.expect("a duplicate");
        assert_eq!(
            dup.message,
            "`spec` is set twice; the API server rejects this object"
        );
        assert_eq!(&yaml[dup.range.as_range()], "a: 2");
    }
}
