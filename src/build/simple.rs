//! Kustomization files read fast. Every kustomization of a repository is read, most are small
//! plain block YAML, and most of their bytes are in fields no build here reads (generators,
//! image lists). This reader walks the lines once: it skips those fields, and reads the others
//! when they are single-line plain scalars, lists of them or mappings of them. Anything else
//! (quotes, flow collections, block scalars, anchors, tags, tabs, nested lists) makes it give
//! up, and the file is parsed by the full parser. It yields the tree the full parser would.

use std::sync::Arc;

use super::value::{Node, Origin, Scalar, Value};
use crate::manifest::ScalarStyle;
use crate::text::TextRange;

/// Top-level fields no build step here reads.
pub(crate) const UNREAD: &[&str] = &[
    "metadata",
    "images",
    "imageTags",
    "replicas",
    "replacements",
    "configMapGenerator",
    "secretGenerator",
    "generatorOptions",
    "helmGlobals",
    "crds",
    "configurations",
    "generators",
    "transformers",
    "validators",
    "openapi",
    "vars",
    "buildMetadata",
    "sortOptions",
];

/// One line: its start offset and text without the line break.
#[derive(Clone, Copy)]
struct Line<'a> {
    at: usize,
    text: &'a str,
}

/// The kustomization's one document as a tree (unread fields as `null`), or `None` when the
/// text is not of the simple shape this reader is sure about.
pub(crate) fn read(text: &str, file: &Arc<str>) -> Option<Node> {
    // Tabs and carriage returns are refused where read (`scalar`, indentation), not searched
    // for in the skipped fields.
    if text.starts_with('\u{feff}') {
        return None;
    }
    let origin = |range: TextRange| Origin {
        file: file.clone(),
        range,
    };
    let mut entries: Vec<(String, Node)> = Vec::new();
    let mut first: Option<usize> = None;
    let mut last_end = 0;
    let mut lines = Lines { text, at: 0 };
    let mut next = lines.next();
    while let Some(line) = next {
        let head = line.text.as_bytes().first().copied();
        match head {
            None | Some(b'#') => {
                next = lines.next();
                continue;
            }
            Some(b' ') if blank(line.text) => {
                next = lines.next();
                continue;
            }
            Some(b' ' | b'-' | b'%' | b'.') => return None,
            _ => {}
        }
        let (key, rest, key_end) = key_value(line)?;
        first.get_or_insert(line.at);
        let unread = UNREAD.contains(&key);
        // The entry's lines: up to the next line at column 0 that is not a comment, a blank or
        // an item of a list at column 0 below its key.
        let mut below = Vec::new();
        next = lines.next();
        while let Some(l) = next {
            let t = l.text;
            let compact_item = t.starts_with("- ") || t == "-";
            if matches!(t.as_bytes().first(), Some(&c) if c != b' ' && c != b'#') && !compact_item {
                break;
            }
            if !unread {
                below.push(l);
            }
            next = lines.next();
        }
        let value = if unread {
            Node::new(Value::Null, origin(TextRange::empty(key_end)))
        } else {
            let node = entry_value(&below, rest, key_end, &origin)?;
            last_end = last_end.max(end_of(&node));
            node
        };
        last_end = last_end.max(key_end);
        entries.push((key.to_owned(), value));
    }
    let start = first?;
    Some(Node::new(
        Value::Map(entries),
        origin(TextRange::new(start, last_end.max(start))),
    ))
}

/// The lines of a text, without their line breaks.
struct Lines<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Iterator for Lines<'a> {
    type Item = Line<'a>;

    fn next(&mut self) -> Option<Line<'a>> {
        if self.at >= self.text.len() {
            return None;
        }
        let rest = &self.text.as_bytes()[self.at..];
        let len = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        let line = Line {
            at: self.at,
            text: &self.text[self.at..self.at + len],
        };
        self.at += len + 1;
        Some(line)
    }
}

fn blank(text: &str) -> bool {
    let t = text.trim_start_matches(' ');
    t.is_empty() || t.starts_with('#')
}

/// `key: rest` at the start of a line: the key, the text after the colon, and where the key's
/// colon ends.
fn key_value(line: Line<'_>) -> Option<(&str, &str, usize)> {
    let colon = line.text.find(':')?;
    let key = &line.text[..colon];
    let rest = &line.text[colon + 1..];
    let ok_key = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/'))
        && !key.starts_with(['-', '.']);
    if !ok_key || !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    Some((key, rest, line.at + colon + 1))
}

/// A plain single-line scalar and an optional comment after it: its range, or `None` when the
/// text needs the full parser. `at`: where `text` starts in the file.
fn scalar(text: &str, at: usize) -> Option<Option<(TextRange, String)>> {
    let lead = text.len() - text.trim_start_matches(' ').len();
    let body = &text[lead..];
    // One pass: where a comment starts, and whether anything needs the full parser.
    let bytes = body.as_bytes();
    let mut end = bytes.len();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'#' if i == 0 || bytes[i - 1] == b' ' => {
                end = i;
                break;
            }
            b'\t' | b'\r' | b'[' | b']' | b'{' | b'}' => return None,
            b':' if bytes.get(i + 1).is_none_or(|&n| n == b' ') => return None,
            _ => {}
        }
    }
    let value = body[..end].trim_end_matches(' ');
    if value.is_empty() {
        return Some(None);
    }
    let first = value.as_bytes()[0];
    let indicator = crate::manifest::is_indicator(first);
    if indicator {
        return None;
    }
    let start = at + lead;
    Some(Some((
        TextRange::new(start, start + value.len()),
        value.to_owned(),
    )))
}

fn plain(range: TextRange, text: String, origin: &impl Fn(TextRange) -> Origin) -> Node {
    Node::new(
        Value::Scalar(Scalar {
            text,
            style: ScalarStyle::Plain,
            tag: None,
        }),
        origin(range),
    )
}

/// The value of a top-level entry: on its own line, or the lines below it (a list or a
/// mapping of scalars).
fn entry_value(
    below: &[Line<'_>],
    rest: &str,
    key_end: usize,
    origin: &impl Fn(TextRange) -> Origin,
) -> Option<Node> {
    let content: Vec<Line<'_>> = below.iter().copied().filter(|l| !blank(l.text)).collect();
    if let Some((range, text)) = scalar(rest, key_end)? {
        return content.is_empty().then(|| plain(range, text, origin));
    }
    let Some(head) = content.first() else {
        return Some(Node::new(Value::Null, origin(TextRange::empty(key_end))));
    };
    let indent = head.text.len() - head.text.trim_start_matches(' ').len();
    let is_list = head.text[indent..].starts_with("- ") || head.text[indent..] == *"-";
    if !is_list && indent == 0 {
        return None;
    }
    let mut items = Vec::new();
    let mut entries = Vec::new();
    for l in &content {
        let lead = l.text.len() - l.text.trim_start_matches(' ').len();
        if lead != indent {
            return None;
        }
        let body = &l.text[lead..];
        if is_list {
            let after = body.strip_prefix('-')?;
            if !(after.is_empty() || after.starts_with(' ')) {
                return None;
            }
            let (range, text) = scalar(after, l.at + lead + 1)??;
            items.push(plain(range, text, origin));
        } else {
            let (k, v, end) = key_value(Line {
                at: l.at + lead,
                text: body,
            })?;
            let (range, text) = scalar(v, end)??;
            entries.push((k.to_owned(), plain(range, text, origin)));
        }
    }
    let nodes: Vec<&Node> = if is_list {
        items.iter().collect()
    } else {
        entries.iter().map(|(_, n)| n).collect()
    };
    let start = content[0].at + indent;
    let end = nodes
        .iter()
        .map(|n| n.origin.range.end())
        .max()
        .unwrap_or(start);
    let range = TextRange::new(start, end);
    Some(if is_list {
        Node::new(Value::Seq(items), origin(range))
    } else {
        Node::new(Value::Map(entries), origin(range))
    })
}

fn end_of(node: &Node) -> usize {
    node.origin.range.end()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values and scalar places of a tree, for comparing two readers.
    fn shape(node: &Node) -> String {
        match &node.value {
            Value::Null => "~".into(),
            Value::Alias => "*".into(),
            Value::Scalar(s) => format!("{}@{}", s.text, node.origin.range),
            Value::Seq(items) => format!(
                "[{}]",
                items.iter().map(shape).collect::<Vec<_>>().join(",")
            ),
            Value::Map(entries) => format!(
                "{{{}}}",
                entries
                    .iter()
                    .map(|(k, v)| format!("{k}:{}", shape(v)))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        }
    }

    /// The full parser's tree with unread fields nulled, as the fast reader gives them.
    fn full(text: &str) -> String {
        let file: Arc<str> = Arc::from("k.yaml");
        let docs = super::super::source::parse(text, &file).unwrap();
        let mut root = docs[0].clone();
        if let Value::Map(entries) = &mut root.value {
            for (k, v) in entries.iter_mut() {
                if UNREAD.contains(&k.as_str()) {
                    v.value = Value::Null;
                }
            }
        }
        shape(&root)
    }

    #[test]
    fn simple_kustomizations_read_as_the_full_parser_reads_them() {
        for text in [
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: team-01\nresources:\n  - deployment.yaml\n  - ../base # the base\ncommonLabels:\n  app.kubernetes.io/part-of: team-01\nconfigMapGenerator:\n  - name: x\n    literals:\n      - A=b\n",
            "# header\nresources:\n- a.yaml\n\n- b.yaml\nnamePrefix: p-\n",
            "resources:\n  # a comment\n  - a.yaml\nnamespace: x # trailing\nbases:\n",
            "images:\n- name: a\n  newTag: \"1\"\nresources: [a]\n",
            "namespace: 1.10\nnameSuffix: -x\n",
        ] {
            let file: Arc<str> = Arc::from("k.yaml");
            match read(text, &file) {
                Some(tree) => assert_eq!(shape(&tree), full(text), "{text:?}"),
                None => {
                    // Not simple: the full parser reads it; it must be one of the shapes
                    // this reader refuses.
                    assert!(
                        text.contains('[') || text.contains("-x") || text.contains('"'),
                        "{text:?} was refused"
                    );
                }
            }
        }
    }

    #[test]
    fn anything_else_is_left_to_the_full_parser() {
        let file: Arc<str> = Arc::from("k.yaml");
        for text in [
            "resources: ['a']\n",
            "patches:\n  - path: p.yaml\n    target:\n      kind: X\n",
            "namespace: |\n  x\n",
            "resources:\n\t- a\n",
            "---\nresources: []\n",
            "namespace: &a x\n",
            "resources:\n  - a\n   - b\n",
            "commonLabels:\n  a: b\n  c:\n    d: e\n",
            "namespace: \"x\"\n",
        ] {
            assert!(read(text, &file).is_none(), "{text:?}");
        }
    }
}
