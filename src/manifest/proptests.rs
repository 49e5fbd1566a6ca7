//! Property tests: generated manifests with markers placed on random nodes (each with the
//! attachment yaml.v3 gives it), and arbitrary text.

use std::fmt::Write as _;

use proptest::prelude::*;

use super::tests::check_spans;
use super::*;

#[derive(Clone, Debug)]
enum Leaf {
    Plain(Vec<String>),
    Single(String),
    Double(String),
    DoubleLines(Vec<String>),
    /// Lines (an empty one in the middle is a blank line) and the chomping indicator.
    Literal(Vec<String>, &'static str),
    Folded(Vec<String>, &'static str),
    Empty,
    /// `*a0`, the anchor every generated document defines first.
    Alias,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Props {
    None,
    Anchor,
    Str,
    Custom,
}

/// Where a marker goes around a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mark {
    None,
    Line,
    /// On the line above.
    Head,
    Both,
    /// Above, after another comment line.
    Head2,
    /// Above, with a blank line in between.
    HeadGap,
}

#[derive(Clone, Debug)]
enum Node {
    Leaf(Leaf, Props, Mark),
    /// Entries, and a marker on the key line (`key: # m`), or above the item in a sequence.
    Map(Vec<Node>, bool),
    /// Items, and whether the sequence is indentless under its key.
    Seq(Vec<Node>, bool),
    /// Items with a line marker each, multi-line, and a marker after the closing bracket.
    Flow(Vec<(Leaf, bool)>, bool, bool),
    /// `{k0: v, ...}` and a marker after it.
    FlowMap(Vec<Leaf>, bool),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Expect {
    Scalar(usize),
    Ignored(IgnoredReason),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Expected {
    text: String,
    value: String,
    anchor: bool,
    tag: Option<String>,
}

#[derive(Default)]
struct Out {
    text: String,
    leaves: Vec<Expected>,
    /// `(policy name, expected attachment)`.
    markers: Vec<(String, Expect)>,
    /// The end of the last `key:` line that opens a sequence.
    key_line_end: usize,
}

impl Out {
    fn marker(&mut self, expect: Expect) -> String {
        let name = format!("ns:p{}", self.markers.len());
        let text = format!("# {{\"$imagepolicy\": \"{name}\"}}");
        self.markers.push((name, expect));
        text
    }

    fn next_leaf(&self) -> usize {
        self.leaves.len()
    }

    fn leaf(&mut self, text: String, value: String, props: Props) {
        self.leaves.push(Expected {
            text,
            value,
            anchor: props == Props::Anchor,
            tag: match props {
                Props::Str => Some("!!str".to_owned()),
                Props::Custom => Some("!custom".to_owned()),
                Props::None | Props::Anchor => None,
            },
        });
    }
}

fn word() -> impl Strategy<Value = String> {
    "[a-zé漢][a-z0-9é漢._/#:-]{0,6}".prop_filter("no trailing colon", |w| !w.ends_with(':'))
}

fn plain_words(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(word(), 1..=max).prop_map(|w| w.join(" "))
}

fn block_line() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-z#{}\"$:][a-z#{}\"$: ]{0,10}",
        1 => Just(String::new()),
        1 => Just(r#"image: x # {"$imagepolicy": "ns:inside"}"#.to_owned()),
    ]
}

fn chomp() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just(""), Just("-"), Just("+")]
}

fn literal_lines() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(block_line(), 1..=4).prop_map(|mut lines| {
        for end in [0, lines.len() - 1] {
            if lines[end].is_empty() {
                lines[end] = "x".to_owned();
            }
        }
        lines
    })
}

fn leaf() -> impl Strategy<Value = Leaf> {
    prop_oneof![
        6 => prop::collection::vec(plain_words(3), 1..=3).prop_map(Leaf::Plain),
        2 => "[a-z é#:'\",\\[\\]{}]{0,10}".prop_map(Leaf::Single),
        2 => "[a-z éü#:'\",\\[\\]{}\t\\\\]{0,10}".prop_map(Leaf::Double),
        1 => prop::collection::vec(plain_words(2), 2..=3).prop_map(Leaf::DoubleLines),
        2 => (literal_lines(), chomp()).prop_map(|(l, c)| Leaf::Literal(l, c)),
        1 => (prop::collection::vec(plain_words(2), 1..=3), chomp())
            .prop_map(|(l, c)| Leaf::Folded(l, c)),
        1 => Just(Leaf::Empty),
        1 => Just(Leaf::Alias),
    ]
}

fn flow_leaf() -> impl Strategy<Value = Leaf> {
    prop_oneof![
        "[a-zé][a-z0-9é.#/-]{0,6}".prop_map(|w| Leaf::Plain(vec![w])),
        "[a-z é#:'\",\\[\\]{}]{0,8}".prop_map(Leaf::Single),
        "[a-z éü#:'\",\\[\\]{}\\\\]{0,8}".prop_map(Leaf::Double),
    ]
}

fn props() -> impl Strategy<Value = Props> {
    prop_oneof![
        6 => Just(Props::None),
        1 => Just(Props::Anchor),
        1 => Just(Props::Str),
        1 => Just(Props::Custom),
    ]
}

fn mark() -> impl Strategy<Value = Mark> {
    prop_oneof![
        8 => Just(Mark::None),
        4 => Just(Mark::Line),
        2 => Just(Mark::Head),
        1 => Just(Mark::Both),
        1 => Just(Mark::Head2),
        1 => Just(Mark::HeadGap),
    ]
}

fn node() -> impl Strategy<Value = Node> {
    let leaf_node = (leaf(), props(), mark()).prop_map(|(l, p, m)| Node::Leaf(l, p, m));
    let flow = (
        prop::collection::vec((flow_leaf(), any::<bool>()), 1..=3),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(items, multi, after)| Node::Flow(items, multi, after));
    let flow_map = (prop::collection::vec(flow_leaf(), 1..=3), any::<bool>())
        .prop_map(|(items, after)| Node::FlowMap(items, after));
    let base = prop_oneof![8 => leaf_node, 2 => flow, 1 => flow_map];
    base.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            (
                prop::collection::vec(inner.clone(), 1..=4),
                prop::bool::weighted(0.2)
            )
                .prop_map(|(v, m)| Node::Map(v, m)),
            (prop::collection::vec(inner, 1..=4), any::<bool>()).prop_map(|(v, i)| Node::Seq(v, i)),
        ]
    })
}

/// `(source text, value, line text with the comment)` of a scalar written at `indent` (its
/// continuation lines go deeper).
fn leaf_text(leaf: &Leaf, indent: usize, comment: Option<&str>) -> (String, String, String) {
    let pad = " ".repeat(indent + 2);
    let after = comment.map(|c| format!(" {c}")).unwrap_or_default();
    let (src, value) = match leaf {
        Leaf::Plain(lines) => (lines.join(&format!("\n{pad}")), lines.join(" ")),
        Leaf::Single(v) => (format!("'{}'", v.replace('\'', "''")), v.clone()),
        Leaf::Double(v) => {
            let mut src = String::from("\"");
            for c in v.chars() {
                match c {
                    '"' => src.push_str("\\\""),
                    '\\' => src.push_str("\\\\"),
                    'ü' => src.push_str("\\u00fc"),
                    c => src.push(c),
                }
            }
            src.push('"');
            (src, v.clone())
        }
        Leaf::DoubleLines(lines) => (
            format!("\"{}\"", lines.join(&format!("\n{pad}"))),
            lines.join(" "),
        ),
        Leaf::Literal(lines, chomp) | Leaf::Folded(lines, chomp) => {
            let literal = matches!(leaf, Leaf::Literal(..));
            let header = if literal { "|" } else { ">" };
            let body: Vec<String> = lines
                .iter()
                .map(|l| {
                    if l.is_empty() {
                        String::new()
                    } else {
                        format!("{pad}{l}")
                    }
                })
                .collect();
            let src = format!("{header}{chomp}{after}\n{}", body.join("\n"));
            let mut value = lines.join(if literal { "\n" } else { " " });
            if *chomp != "-" {
                value.push('\n');
            }
            return (src.clone(), value, src);
        }
        Leaf::Empty => return (String::new(), String::new(), after.trim_start().to_owned()),
        Leaf::Alias => return ("*a0".to_owned(), String::new(), format!("*a0{after}")),
    };
    let full = format!("{src}{after}");
    (src, value, full)
}

fn props_text(props: Props, out: &Out) -> String {
    match props {
        Props::None => String::new(),
        Props::Anchor => format!("&p{} ", out.leaves.len()),
        Props::Str => "!!str ".to_owned(),
        Props::Custom => "!custom ".to_owned(),
    }
}

/// Writes a scalar or alias (after `key: ` or `- `) with its line marker; `empty` is what a
/// line marker on an empty value expects.
fn write_leaf(out: &mut Out, leaf: &Leaf, props: Props, line: bool, indent: usize, empty: Expect) {
    let props = if matches!(leaf, Leaf::Empty | Leaf::Alias) {
        Props::None
    } else {
        props
    };
    let comment = line.then(|| {
        let expect = match leaf {
            Leaf::Empty => empty,
            Leaf::Alias => Expect::Ignored(IgnoredReason::OnAlias),
            _ => Expect::Scalar(out.next_leaf()),
        };
        out.marker(expect)
    });
    let (src, value, full) = leaf_text(leaf, indent, comment.as_deref());
    if let Leaf::Literal(lines, _) = leaf {
        for _ in lines.iter().filter(|l| l.contains("ns:inside")) {
            let expect = Expect::Ignored(IgnoredReason::InBlockScalar);
            out.markers.push(("ns:inside".to_owned(), expect));
        }
    }
    let prefix = props_text(props, out);
    if !matches!(leaf, Leaf::Empty | Leaf::Alias) {
        out.leaf(src, value, props);
    }
    if full.is_empty() {
        // `key:` or `-` with nothing after.
        while out.text.ends_with(' ') {
            out.text.pop();
        }
    }
    out.text.push_str(&prefix);
    out.text.push_str(&full);
    out.text.push('\n');
}

fn write_flow(out: &mut Out, items: &[(Leaf, bool)], multi: bool, after: bool, indent: usize) {
    let pad = " ".repeat(indent + 2);
    if multi {
        out.text.push_str("[\n");
        for (i, (leaf, marked)) in items.iter().enumerate() {
            let comment = marked.then(|| out.marker(Expect::Scalar(out.next_leaf())));
            let (src, value, _) = leaf_text(leaf, indent, None);
            out.leaf(src.clone(), value, Props::None);
            let comma = if i + 1 < items.len() { "," } else { "" };
            let _ = write!(out.text, "{pad}{src}{comma}");
            if let Some(c) = comment {
                let _ = write!(out.text, " {c}");
            }
            out.text.push('\n');
        }
        let _ = write!(out.text, "{pad}]");
    } else {
        let mut parts = Vec::new();
        for (leaf, _) in items {
            let (src, value, _) = leaf_text(leaf, indent, None);
            out.leaf(src.clone(), value, Props::None);
            parts.push(src);
        }
        let _ = write!(out.text, "[{}]", parts.join(", "));
    }
    if after {
        let c = out.marker(Expect::Ignored(IgnoredReason::OnSequence));
        let _ = write!(out.text, " {c}");
    }
    out.text.push('\n');
}

fn write_flow_map(out: &mut Out, items: &[Leaf], after: bool, indent: usize) {
    let mut parts = Vec::new();
    for (i, leaf) in items.iter().enumerate() {
        let (src, value, _) = leaf_text(leaf, indent, None);
        out.leaf(src.clone(), value, Props::None);
        parts.push(format!("f{i}: {src}"));
    }
    let _ = write!(out.text, "{{{}}}", parts.join(", "));
    if after {
        let c = out.marker(Expect::Ignored(IgnoredReason::OnMapping));
        let _ = write!(out.text, " {c}");
    }
    out.text.push('\n');
}

/// Comment lines above a node for a head mark, each expecting `expect`.
fn write_head(out: &mut Out, mark: Mark, pad: &str, expect: Expect) {
    match mark {
        Mark::Head | Mark::Both => {
            let c = out.marker(expect);
            let _ = writeln!(out.text, "{pad}{c}");
        }
        Mark::Head2 => {
            let _ = writeln!(out.text, "{pad}# note");
            let c = out.marker(expect);
            let _ = writeln!(out.text, "{pad}{c}");
        }
        Mark::HeadGap => {
            // Right below content other than `key:`, yaml.v3 reads it as that content's foot
            // comment; below `key:` the blank line does not matter.
            let expect = if out.text.len() == out.key_line_end {
                expect
            } else {
                Expect::Ignored(IgnoredReason::Detached)
            };
            let c = out.marker(expect);
            let _ = writeln!(out.text, "{pad}{c}\n");
        }
        Mark::None | Mark::Line => {}
    }
}

fn write_map(out: &mut Out, entries: &[Node], indent: usize, first_prefix: Option<&str>) {
    let pad = " ".repeat(indent);
    for (i, node) in entries.iter().enumerate() {
        let lead = match first_prefix {
            Some(p) if i == 0 => p.to_owned(),
            _ => pad.clone(),
        };
        let key = if i % 2 == 0 {
            format!("k{i}")
        } else {
            format!("ключ{i}")
        };
        match node {
            Node::Leaf(leaf, props, mark) => {
                // Above a mapping key, a comment is never read.
                if lead == pad {
                    write_head(out, *mark, &pad, Expect::Ignored(IgnoredReason::Detached));
                }
                let _ = write!(out.text, "{lead}{key}: ");
                let line = matches!(mark, Mark::Line | Mark::Both);
                write_leaf(
                    out,
                    leaf,
                    *props,
                    line,
                    indent,
                    Expect::Ignored(IgnoredReason::EmptyValue),
                );
            }
            Node::Map(children, on_key) => {
                let _ = write!(out.text, "{lead}{key}:");
                if *on_key {
                    let c = out.marker(Expect::Ignored(IgnoredReason::OnKey));
                    let _ = write!(out.text, " {c}");
                }
                out.text.push('\n');
                write_map(out, children, indent + 2, None);
            }
            Node::Seq(items, indentless) => {
                let _ = writeln!(out.text, "{lead}{key}:");
                out.key_line_end = out.text.len();
                write_seq(out, items, if *indentless { indent } else { indent + 2 });
            }
            Node::Flow(items, multi, after) => {
                let _ = write!(out.text, "{lead}{key}: ");
                write_flow(out, items, *multi, *after, indent);
            }
            Node::FlowMap(items, after) => {
                let _ = write!(out.text, "{lead}{key}: ");
                write_flow_map(out, items, *after, indent);
            }
        }
    }
}

fn write_seq(out: &mut Out, items: &[Node], indent: usize) {
    let pad = " ".repeat(indent);
    for (i, node) in items.iter().enumerate() {
        // yaml.v3 passes the comments of an empty item on to the next item of the sequence:
        // set when that is a scalar without comments of its own and the empty item has one
        // comment line; joined with other comment lines, the JSON no longer parses; a line
        // comment on the next item is read instead.
        let next = match items.get(i + 1) {
            Some(Node::Leaf(next, _, mark)) if !matches!(next, Leaf::Empty | Leaf::Alias) => {
                Some(*mark)
            }
            _ => None,
        };
        let empty = |mark: &Mark| match (next, mark) {
            (Some(Mark::Line | Mark::Both), _) => {
                Expect::Ignored(IgnoredReason::ShadowedByLineComment)
            }
            (Some(Mark::None), Mark::Line | Mark::Head | Mark::HeadGap) => {
                Expect::Scalar(out.next_leaf())
            }
            (Some(_), _) => Expect::Ignored(IgnoredReason::MultiLineHeadComment),
            (None, _) => Expect::Ignored(IgnoredReason::EmptyValue),
        };
        match node {
            Node::Leaf(leaf, props, mark) => {
                let empty = empty(mark);
                let expect = match (leaf, mark) {
                    (Leaf::Empty, _) => empty.clone(),
                    (Leaf::Alias, _) => Expect::Ignored(IgnoredReason::OnAlias),
                    (_, Mark::Both) => Expect::Ignored(IgnoredReason::ShadowedByLineComment),
                    (_, Mark::Head2) => Expect::Ignored(IgnoredReason::MultiLineHeadComment),
                    _ => Expect::Scalar(out.next_leaf()),
                };
                write_head(out, *mark, &pad, expect);
                let _ = write!(out.text, "{pad}- ");
                let line = matches!(mark, Mark::Line | Mark::Both);
                write_leaf(out, leaf, *props, line, indent, empty);
            }
            Node::Map(children, head) => {
                if *head {
                    write_head(
                        out,
                        Mark::Head,
                        &pad,
                        Expect::Ignored(IgnoredReason::OnMapping),
                    );
                }
                write_map(out, children, indent + 2, Some(&format!("{pad}- ")));
            }
            Node::Seq(children, head) => {
                if *head {
                    write_head(
                        out,
                        Mark::Head,
                        &pad,
                        Expect::Ignored(IgnoredReason::OnSequence),
                    );
                }
                let _ = writeln!(out.text, "{pad}-");
                write_seq(out, children, indent + 2);
            }
            Node::Flow(items, multi, after) => {
                let _ = write!(out.text, "{pad}- ");
                write_flow(out, items, *multi, *after, indent);
            }
            Node::FlowMap(items, after) => {
                let _ = write!(out.text, "{pad}- ");
                write_flow_map(out, items, *after, indent);
            }
        }
    }
}

#[derive(Clone, Debug)]
struct Options {
    crlf: bool,
    bom: bool,
    strip_final_newline: bool,
    leading_marker: bool,
    doc_end: bool,
}

fn options() -> impl Strategy<Value = Options> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(crlf, bom, strip_final_newline, leading_marker, doc_end)| Options {
                crlf,
                bom,
                strip_final_newline,
                leading_marker,
                doc_end,
            },
        )
}

fn render(docs: &[Vec<Node>], opts: &Options) -> Out {
    let mut out = Out::default();
    if opts.bom {
        out.text.push('\u{feff}');
    }
    for (i, entries) in docs.iter().enumerate() {
        if i > 0 && opts.doc_end {
            out.text.push_str("...\n");
        }
        if i > 0 || opts.leading_marker {
            out.text
                .push_str(if i % 2 == 0 { "---\n" } else { "--- # doc\n" });
        }
        out.text.push_str("base: &a0 v\n");
        out.leaf("v".to_owned(), "v".to_owned(), Props::Anchor);
        write_map(&mut out, entries, 0, None);
    }
    if opts.strip_final_newline {
        while out.text.ends_with('\n') {
            out.text.pop();
        }
    }
    if opts.crlf {
        out.text = out.text.replace('\n', "\r\n");
    }
    out
}

fn check_generated(out: &Out) {
    let src = &out.text;
    let m = match parse(src) {
        Ok(m) => m,
        Err(e) => panic!("generated YAML rejected: {e:?}\n{src}"),
    };
    check_spans(src, &m);
    let flat: Vec<(usize, usize, &ScalarNode)> = m
        .documents
        .iter()
        .enumerate()
        .flat_map(|(d, doc)| doc.scalars.iter().enumerate().map(move |(i, s)| (d, i, s)))
        .collect();
    assert_eq!(flat.len(), out.leaves.len(), "scalar count\n{src}");
    for ((_, _, s), expected) in flat.iter().zip(&out.leaves) {
        let got = Expected {
            text: src[s.range.as_range()].replace("\r\n", "\n"),
            value: s.value.clone(),
            anchor: s.anchor,
            tag: s.tag.clone(),
        };
        assert_eq!(&got, expected, "\n{src}");
    }
    assert_eq!(
        m.markers.len(),
        out.markers.len(),
        "marker count\n{src}\n{:#?}",
        m.markers
    );
    for marker in &m.markers {
        let (_, expect) = out
            .markers
            .iter()
            .find(|(name, _)| marker.text.contains(&format!("\"{name}\"")))
            .unwrap_or_else(|| panic!("unexpected marker {marker:?}\n{src}"));
        let got = match marker.attachment {
            Attachment::Scalar(i) => Expect::Scalar(
                flat.iter()
                    .position(|(d, j, _)| *d == marker.document && *j == i)
                    .unwrap_or(usize::MAX),
            ),
            Attachment::Ignored { reason, target } => {
                assert!(target.end() <= src.len());
                Expect::Ignored(reason)
            }
        };
        assert_eq!(&got, expect, "{marker:?}\n{src}");
    }
}

// 256 cases each by default; set PROPTEST_CASES for a longer run.
proptest! {
    #[test]
    fn generated_manifests(
        docs in prop::collection::vec(prop::collection::vec(node(), 1..=4), 1..=3),
        opts in options(),
    ) {
        check_generated(&render(&docs, &opts));
    }

    #[test]
    fn yamlish_text_never_panics(src in "[-:#\\[\\]{}|>'\"&*!?, \n\ta-c0-9é%.~$\r]{0,120}") {
        if let Ok(m) = parse(&src) {
            check_spans(&src, &m);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(src in any::<String>()) {
        if let Ok(m) = parse(&src) {
            check_spans(&src, &m);
        }
    }
}
