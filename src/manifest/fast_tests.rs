//! The fast path against yaml-rust2's: wherever it answers, the tree is the same.

use proptest::prelude::*;

use super::agrees;

#[test]
fn takes_plain_manifests() {
    let text = "\
# a comment
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app   # trailing
  annotations:
    example.com/owner: \"alpha@example.com\"
    quote: 'it''s'
spec:
  template:
    spec:
      containers:
        - name: app
          image: registry.example.com/app:1.0.0 # {\"$imagepolicy\": \"flux-system:app\"}
          args:
            - --config=/etc/app.yaml
            - -v
          env:
          - name: EMPTY
            value:
      empty:
---
apiVersion: v1
kind: Service
metadata: {}
";
    // The flow mapping sends the file to yaml-rust2; without it the fast path takes it.
    assert!(!agrees(text));
    assert!(agrees(
        &text.replace("metadata: {}", "metadata:\n  name: svc")
    ));
}

#[test]
fn takes_literal_block_scalars() {
    for text in [
        "a: |\n  x\n",
        "a: |-\n  x\n\n  y\nb: 1\n",
        "a: | # c\n    x\n      y\n    # text\n  # a comment\nb:\n  - |\n    z\n\n\n  - 1\n",
        "data:\n  app.properties: |\n    a.b=1\n    c: d # text\n---\nk: v\n",
    ] {
        assert!(agrees(text), "gave up on {text:?}");
    }
}

#[test]
fn gives_up_on_what_it_does_not_read() {
    for text in [
        "a: >\n  x\n",
        "a: |+\n  x\n",
        "a: |2\n  x\n",
        "a: |\n\n  x\n",
        "a: |\n  x\n     \n  y\n",
        "a: |\n  x",
        "a: |\nb: 1\n",
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a: [1]\n",
        "\"a\": 1\n",
        "a: \"x\\ty\"\n",
        "a: b\n  c\n",
        "a: \"x\"# c\n",
        "a:\tb\n",
        "a: 1\r\n",
        "- a\n",
        "a: 1\n---\n",
        "---\n---\na: 1\n",
        "a:\n  -\n  - b\n",
        "%YAML 1.1\n---\na: 1\n",
        "a: 1\n...\n",
        "a: b: c\n",
        "a: 1\nb\n",
        "? a\n: b\n",
    ] {
        assert!(!agrees(text), "took {text:?}");
    }
}

#[test]
fn agrees_on_the_fixtures_and_the_reference_table() {
    let mut files = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "lock")
            {
                files.push(std::fs::read_to_string(&path).unwrap_or_default());
            }
        }
    }
    let took = files.iter().filter(|text| agrees(text)).count();
    // Most fixtures are plain manifests: the fast path must be taken, not only be right.
    assert!(took > files.len() / 2, "took {took} of {}", files.len());
    // The table is made of the shapes where readers differ: most go to yaml-rust2.
    let table: serde_json::Value =
        serde_json::from_str(include_str!("../../testdata/yamlref/table.json")).unwrap();
    let cases = table["cases"].as_array().unwrap();
    let took = cases
        .iter()
        .filter(|case| agrees(case["input"].as_str().unwrap()))
        .count();
    assert!(took > 100, "took {took} of {}", cases.len());
}

/// Lines made of the pieces where the fast path's rules have edges.
fn line() -> impl Strategy<Value = String> {
    let indent = prop::sample::select(vec!["", " ", "  ", "   ", "    ", "      "]);
    let dash = prop::sample::select(vec!["", "", "- ", "-  ", "-", "- - "]);
    let key = prop::sample::select(vec![
        "", "a", "b", "a b", "a:b", "-x", "\"q\"", "'q'", "a#b", "x ", "?", "a.b/c", "é", "<<",
    ]);
    let colon = prop::sample::select(vec![": ", ":", ":  ", " : ", ""]);
    let value = prop::sample::select(vec![
        "", "v", "1", "\"s\"", "'s'", "'it''s'", "\"a\\b\"", "a: b", "a:b", "a #c", "a#c", "#c",
        " # c", "-1", "- x", "---", "...", "[1]", "{}", "|", "&a x", "*a", "!t x", "\"x\"#c",
        "\"x\" y", "'x", "~", "null", "é ü", "a  ", "x:", "%", "|", "|-", "|+", "| # c", "|2", ">",
    ]);
    let whole = prop::sample::select(vec![
        "", "", "", "---", "--- # c", "---x", "...", "# c", "  # c", "", "%Y",
    ]);
    (indent, dash, key, colon, value, whole).prop_map(|(i, d, k, c, v, w)| {
        if w.is_empty() {
            format!("{i}{d}{k}{c}{v}")
        } else {
            w.to_owned()
        }
    })
}

fn plain_line() -> impl Strategy<Value = String> {
    let indent = prop::sample::select(vec!["", "  ", "    ", "      "]);
    let dash = prop::sample::select(vec!["", "", "", "- "]);
    let key = prop::sample::select(vec!["a", "b", "metadata", "name", "c d"]);
    let value = prop::sample::select(vec!["", "", "v", "\"s\"", "'s'", "1 # c", "x:y"]);
    (indent, dash, key, value).prop_map(|(i, d, k, v)| format!("{i}{d}{k}: {v}"))
}

#[derive(Clone, Debug)]
enum Shape {
    Scalar(&'static str),
    /// A literal block scalar: its header, then its lines (blank, or indented by their number of
    /// extra spaces past the content's indentation).
    Literal(&'static str, Vec<(usize, &'static str)>),
    Null,
    Map(Vec<(&'static str, Shape)>),
    Seq(Vec<Shape>),
}

fn shape() -> impl Strategy<Value = Shape> {
    let scalar = prop::sample::select(vec![
        "v",
        "1",
        "\"s\"",
        "'s'",
        "'it''s'",
        "x:y",
        "a#b",
        "-1",
        "--flag=x",
        "~",
        "é",
        "v # c",
        "\"a b\" # c",
        "http://x/y",
        "\"\"",
        "''",
        "a b  c",
    ]);
    let header = prop::sample::select(vec!["|", "|-", "|+", "| # c", "|-  # c", "|2", ">", "|x"]);
    let body_line = (
        prop::sample::select(vec![0, 0, 0, 1, 2]),
        prop::sample::select(vec![
            "x",
            "a: b",
            "# not a comment",
            "",
            "  ",
            "- y",
            "\"q\"",
            "é",
        ]),
    );
    let literal = (header, prop::collection::vec(body_line, 0..4))
        .prop_map(|(h, lines)| Shape::Literal(h, lines));
    let leaf = prop_oneof![
        4 => scalar.prop_map(Shape::Scalar),
        1 => Just(Shape::Null),
        1 => literal,
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        let key = prop::sample::select(vec![
            "a",
            "b",
            "name",
            "image",
            "metadata",
            "annotations",
            "a.b/c",
            "x y",
            "a:b",
            "k-1",
        ]);
        prop_oneof![
            prop::collection::vec((key, inner.clone()), 1..4).prop_map(Shape::Map),
            prop::collection::vec(inner, 1..4).prop_map(Shape::Seq),
        ]
    })
}

struct Style {
    /// Extra indentation of a nested mapping (1 or more).
    map_step: usize,
    /// Sequences below a key at the key's column.
    indentless: bool,
    /// Spaces after a dash.
    dash_gap: usize,
}

/// Writes `node` as the value after `head` (a `key:` or `-` with its indentation), block style.
fn write(out: &mut Vec<String>, head: String, col: usize, node: &Shape, style: &Style) {
    match node {
        Shape::Scalar(s) => out.push(format!("{head} {s}")),
        Shape::Literal(header, lines) => {
            out.push(format!("{head} {header}"));
            let col = col + style.map_step;
            for (extra, text) in lines {
                if text.is_empty() {
                    out.push(String::new());
                } else {
                    out.push(format!("{}{text}", " ".repeat(col + extra)));
                }
            }
        }
        Shape::Null => out.push(head),
        Shape::Map(entries) => {
            out.push(head);
            let col = col + style.map_step;
            for (k, v) in entries {
                write(out, format!("{}{k}:", " ".repeat(col)), col, v, style);
            }
        }
        Shape::Seq(items) => {
            out.push(head);
            let col = if style.indentless {
                col
            } else {
                col + style.map_step
            };
            for item in items {
                let dash = format!("{}-{}", " ".repeat(col), " ".repeat(style.dash_gap));
                match item {
                    // A compact mapping: the first key on the dash's line.
                    Shape::Map(entries) => {
                        let inner = col + 1 + style.dash_gap;
                        for (i, (k, v)) in entries.iter().enumerate() {
                            let head = if i == 0 {
                                format!("{dash}{k}:")
                            } else {
                                format!("{}{k}:", " ".repeat(inner))
                            };
                            write(out, head, inner, v, style);
                        }
                    }
                    _ => write(out, dash.trim_end().to_owned(), col, item, style),
                }
            }
        }
    }
}

/// Documents of generated shapes, then a few edits at the edges: a line indented one more or
/// less, a comment or blank line or `---` put in.
fn document_text() -> impl Strategy<Value = String> {
    let docs = prop::collection::vec(
        prop::collection::vec(
            (
                prop::sample::select(vec!["apiVersion", "kind", "metadata", "spec", "a"]),
                shape(),
            ),
            1..4,
        ),
        1..3,
    );
    let edits = prop::collection::vec((any::<prop::sample::Index>(), 0..7u8, 0..6usize), 0..3);
    (docs, 1..4usize, any::<bool>(), 1..3usize, edits).prop_map(
        |(docs, map_step, indentless, dash_gap, edits)| {
            let style = Style {
                map_step,
                indentless,
                dash_gap,
            };
            let mut lines = Vec::new();
            for (i, doc) in docs.iter().enumerate() {
                if i > 0 {
                    lines.push("---".to_owned());
                }
                for (k, v) in doc {
                    write(&mut lines, format!("{k}:"), 0, v, &style);
                }
            }
            for (at, op, n) in edits {
                let i = at.index(lines.len());
                match op {
                    0 => lines[i].insert(0, ' '),
                    1 => {
                        if lines[i].starts_with(' ') {
                            lines[i].remove(0);
                        }
                    }
                    2 => lines.insert(i, format!("{}# c", " ".repeat(n))),
                    3 => lines.insert(i, " ".repeat(n)),
                    4 => lines.insert(i, "---".to_owned()),
                    5 => lines.insert(i, format!("{}x", " ".repeat(n))),
                    _ => lines.insert(i, format!("{}- y", " ".repeat(n))),
                }
            }
            lines.join("\n") + "\n"
        },
    )
}

proptest! {
    // 2,000 cases each, or PROPTEST_CASES for a longer run.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(2000)
    ))]

    #[test]
    fn agrees_on_edgy_lines(lines in prop::collection::vec(line(), 1..12), end in any::<bool>()) {
        let mut text = lines.join("\n");
        if end {
            text.push('\n');
        }
        agrees(&text);
    }

    #[test]
    fn agrees_on_generated_documents(text in document_text()) {
        agrees(&text);
    }

    #[test]
    fn agrees_on_plain_lines(lines in prop::collection::vec(plain_line(), 1..16)) {
        agrees(&(lines.join("\n") + "\n"));
    }
}
