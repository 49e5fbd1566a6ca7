use super::*;
use yaml_rust2::parser::{Event, Parser};

const M: &str = r#"# {"$imagepolicy": "ns:p"}"#;

/// The value of the first scalar in `text` parsed on its own.
fn standalone_value(text: &str) -> Option<String> {
    nth_scalar(text, 0)
}

fn nth_scalar(text: &str, mut n: usize) -> Option<String> {
    let mut parser = Parser::new_from_str(text);
    loop {
        match parser.next_token() {
            Ok((Event::Scalar(v, ..), _)) if n == 0 => return Some(v),
            Ok((Event::Scalar(..), _)) => n -= 1,
            Ok((Event::StreamEnd, _)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// yaml.v3's `\'` escape as `\x27`, which yaml-rust2 reads too.
fn without_apostrophe_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (c, text.starts_with('"')) {
            ('\\', true) => match chars.next() {
                Some('\'') => out.push_str("\\x27"),
                Some(next) => {
                    out.push(c);
                    out.push(next);
                }
                None => out.push(c),
            },
            _ => out.push(c),
        }
    }
    out
}

/// Checks every span of a parsed manifest against the source.
pub(super) fn check_spans(src: &str, m: &Manifest) {
    let mut prev_end = 0;
    for doc in &m.documents {
        assert!(doc.range.end() <= src.len());
        for s in &doc.scalars {
            let r = s.range.as_range();
            assert!(
                src.is_char_boundary(r.start) && src.is_char_boundary(r.end),
                "{s:?}"
            );
            assert!(r.start >= prev_end, "scalars out of order: {s:?}");
            assert!(
                doc.range.contains_range(s.range),
                "{s:?} outside {:?}",
                doc.range
            );
            prev_end = r.end;
            let text = &src[r.clone()];
            match s.style {
                ScalarStyle::Plain | ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                    let text = &without_apostrophe_escapes(text);
                    // A flow-context plain scalar such as `?` only parses inside brackets.
                    let alone = standalone_value(text);
                    let got = if alone.as_deref() == Some(s.value.as_str()) {
                        alone
                    } else if text.ends_with(':') {
                        // `b:` is a value only in brackets, and only to yaml.v3 (and this
                        // reader, `flowcolons.rs`): yaml-rust2 reads a key.
                        parse(&format!("k: [{text}]\n"))
                            .ok()
                            .and_then(|m| m.documents[0].scalars.first().map(|s| s.value.clone()))
                    } else {
                        standalone_value(&format!("[{text}]"))
                    };
                    assert_eq!(
                        got.as_deref(),
                        Some(s.value.as_str()),
                        "{text:?} in {src:?}"
                    );
                }
                ScalarStyle::Literal | ScalarStyle::Folded => {
                    assert!(text.starts_with(['|', '>']), "{text:?}");
                    assert!(!text.ends_with(['\n', '\r']), "{text:?}");
                    // Re-parsed as a mapping value; only valid when the indentation is
                    // auto-detected.
                    let header = text.lines().next().unwrap_or("");
                    if !header.bytes().any(|b| b.is_ascii_digit()) {
                        // Without the header's comment: yaml-rust2 wants a blank before it.
                        let indicators =
                            header.len() - header.trim_start_matches(['|', '>', '+', '-']).len();
                        let rest = &text[header.len()..];
                        let wrapped = format!("k: {}{rest}\n", &header[..indicators]);
                        let expected = s.value.trim_end_matches('\n');
                        let got = nth_scalar(&wrapped, 1);
                        assert_eq!(
                            got.as_deref().map(|v| v.trim_end_matches('\n')),
                            Some(expected),
                            "{text:?}"
                        );
                    }
                }
            }
            if let Some(lc) = s.line_comment {
                assert!(src[lc.as_range()].starts_with('#'));
            }
        }
    }
    for marker in &m.markers {
        let text = &src[marker.range.as_range()];
        assert!(text.starts_with('#') && !text.contains('\n'), "{text:?}");
        assert_eq!(marker.text, text.trim_start_matches('#'));
        assert!(marker.document < m.documents.len());
        if let Attachment::Scalar(i) = marker.attachment {
            // A scalar set by a head comment has no line comment (yaml.v3 reads that first).
            let s = &m.documents[marker.document].scalars[i];
            assert!(s.line_comment.is_none_or(|lc| lc == marker.range));
        }
    }
}

fn parse_ok(src: &str) -> Manifest {
    let m = parse(src).unwrap_or_else(|e| panic!("{src:?}: {e:?}"));
    check_spans(src, &m);
    m
}

/// What each marker does: `Ok(path)` of the scalar it sets, or the reason it is ignored.
fn outcomes(src: &str) -> Vec<Result<String, IgnoredReason>> {
    let m = parse_ok(src);
    m.markers
        .iter()
        .map(|marker| match marker.attachment {
            Attachment::Scalar(_) => Ok(m
                .scalar_of(marker)
                .map(ScalarNode::path_string)
                .unwrap_or_default()),
            Attachment::Ignored { reason, .. } => Err(reason),
        })
        .collect()
}

fn case(template: &str) -> String {
    template.replace("{M}", M)
}

#[test]
fn marker_placements() {
    use IgnoredReason::*;
    let table: &[(&str, Result<&str, IgnoredReason>)] = &[
        // Line comments on scalar values.
        ("image: nginx:1.0 {M}\n", Ok("image")),
        ("spec:\n  image: 'x' {M}\n", Ok("spec.image")),
        ("spec:\n  image: \"x\" {M}\n", Ok("spec.image")),
        ("l:\n  - value {M}\n", Ok("l[0]")),
        ("l:\n- a\n- value {M}\n", Ok("l[1]")),
        ("f: [\n  \"x\", {M}\n  y\n]\n", Ok("f[0]")),
        ("f: [\n  x,\n  'y' {M}\n]\n", Ok("f[1]")),
        ("m: {\n  a: x, {M}\n  b: y\n}\n", Ok("m.a")),
        ("key: \"\" {M}\n", Ok("key")),
        ("key: '' {M}\n", Ok("key")),
        ("key: ~ {M}\n", Ok("key")),
        ("key: &a x {M}\nother: *a\n", Ok("key")),
        ("key: !!str 1 {M}\n", Ok("key")),
        ("key: a#b {M}\n", Ok("key")),
        ("key: x\n  y\n  z {M}\n", Ok("key")),
        ("key: \"x\n  y\" {M}\n", Ok("key")),
        ("key: | {M}\n  text\n", Ok("key")),
        ("key: >- {M}\n  text\n", Ok("key")),
        ("key: v\t{M}\n", Ok("key")),
        ("key:\tv {M}\n", Ok("key")),
        ("key: \"x\"{M}\n", Ok("key")),
        ("key: 'x'{M}\n", Ok("key")),
        ("l:\n- [a]{M}\n", Err(OnSequence)),
        ("key: \"a:\tb\" {M}\n", Ok("key")),
        // Head comments above sequence items and values (checked against yaml.v3: blank lines
        // may separate them; an empty item passes its comment on to the next node).
        ("l:\n  {M}\n  - a\n", Ok("l[0]")),
        ("l:\n{M}\n- a\n", Ok("l[0]")),
        ("l:\n  - a\n  {M}\n  - b\n", Ok("l[1]")),
        ("l:\n  - a\n    {M}\n  - b\n", Ok("l[1]")),
        ("l:\n  # note\n  {M}\n  - a\n", Err(MultiLineHeadComment)),
        ("l:\n  {M}\n  - a # other\n", Err(ShadowedByLineComment)),
        ("l:\n  {M}\n\n  - a\n", Ok("l[0]")),
        ("l:\n  {M}\n  - name: x\n", Err(OnMapping)),
        ("l:\n  {M}\n  - - x\n", Err(OnSequence)),
        ("a: &a x\nl:\n  {M}\n  - *a\n", Err(OnAlias)),
        ("l:\n  {M}\n  -\n  - b\n", Ok("l[1]")),
        ("f: [\n  {M}\n  x\n]\n", Ok("f[0]")),
        // Above mapping keys, at the end, after document markers.
        ("{M}\nkey: v\n", Err(Detached)),
        ("a:\n  {M}\n  key: v\n", Err(Detached)),
        ("key: v\n{M}\n", Err(Detached)),
        ("--- {M}\nkey: v\n", Err(Detached)),
        ("key: v\n... {M}\n", Err(Detached)),
        // On keys, empty values, collections and aliases.
        ("key: {M}\n  value\n", Err(OnKey)),
        ("spec: {M}\n  a: 1\n", Err(OnKey)),
        ("spec: {M}\n  - a\n", Err(OnKey)),
        ("key: {M}\n", Err(EmptyValue)),
        ("key: {M}\nnext: 1\n", Err(EmptyValue)),
        ("key: !!str {M}\n", Err(EmptyValue)),
        ("l:\n- {M}\n- b\n", Ok("l[1]")),
        ("l:\n- {M}\n  b\n", Ok("l[0]")),
        ("q: [a, b] {M}\n", Err(OnSequence)),
        ("q: [ {M}\n  a, b]\n", Err(OnSequence)),
        ("q: [a,\n  b] {M}\n", Err(OnSequence)),
        ("l:\n- [a, b] {M}\n", Err(OnSequence)),
        ("m: {a: 1} {M}\n", Err(OnMapping)),
        ("m: { {M}\n  a: 1}\n", Err(OnMapping)),
        ("a: &a x\nx: *a {M}\n", Err(OnAlias)),
        ("? k {M}\n: v\n", Err(OnKey)),
        // Text inside block scalars.
        ("v: |\n  image: x {M}\n", Err(InBlockScalar)),
        ("v: >\n  {M}\n", Err(InBlockScalar)),
    ];
    for (template, expected) in table {
        let src = case(template);
        let got = outcomes(&src);
        let expected = expected.map(str::to_owned);
        assert_eq!(got, vec![expected], "{src}");
    }
}

#[test]
fn quotes_and_block_scalars_hide_hashes() {
    let src =
        "a: \"x # {\\\"$imagepolicy\\\": \\\"ns:p\\\"}\"\nb: 'y # {\"$imagepolicy\": \"ns:p\"}'\n";
    let m = parse_ok(src);
    assert!(m.markers.is_empty());
    assert_eq!(
        m.documents[0].scalars[1].value,
        r#"y # {"$imagepolicy": "ns:p"}"#
    );
    // A `#` in a block scalar line without `$imagepolicy` is just text.
    let m = parse_ok("a: |\n  x # y\nb: c # {\"$imagepolicy\": \"ns:p\"}\n");
    assert_eq!(m.markers.len(), 1);
    assert_eq!(m.markers[0].attachment, Attachment::Scalar(1));
    // A less-indented comment ends the block scalar and is a real comment.
    let m = parse_ok("a: |\n  x\n # {\"$imagepolicy\": \"ns:p\"}\nb: 1\n");
    assert!(matches!(
        m.markers[0].attachment,
        Attachment::Ignored {
            reason: IgnoredReason::Detached,
            ..
        }
    ));
    assert_eq!(m.documents[0].scalars[0].range, TextRange::new(3, 8));
}

#[test]
fn kustomization_images() {
    let src = r#"apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
images:
  - name: podinfo # {"$imagepolicy": "flux-system:podinfo:name"}
    newName: ghcr.io/stefanprodan/podinfo # {"$imagepolicy": "flux-system:podinfo:name"}
    newTag: 5.0.0 # {"$imagepolicy": "flux-system:podinfo:tag"}
    digest: sha256:abc # {"$imagepolicy": "flux-system:podinfo:digest"}
"#;
    let m = parse_ok(src);
    let got: Vec<(String, String, String)> = m
        .markers
        .iter()
        .map(|mk| {
            let s = m.scalar_of(mk).expect("attached");
            (
                s.path_string(),
                src[s.range.as_range()].to_owned(),
                mk.text.clone(),
            )
        })
        .collect();
    assert_eq!(got[0].0, "images[0].name");
    assert_eq!(got[1].1, "ghcr.io/stefanprodan/podinfo");
    assert_eq!(
        got[2],
        (
            "images[0].newTag".to_owned(),
            "5.0.0".to_owned(),
            r#" {"$imagepolicy": "flux-system:podinfo:tag"}"#.to_owned()
        )
    );
    assert_eq!(got[3].0, "images[0].digest");
}

#[test]
fn helmrelease_values() {
    let src = r#"apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
spec:
  values:
    image:
      repository: ghcr.io/x/app # {"$imagepolicy": "apps:app:name"}
      tag: "1.2.3" # {"$imagepolicy": "apps:app:tag"}
  valuesContent: |
    image:
      tag: 1.2.3 # {"$imagepolicy": "apps:app:tag"}
"#;
    let m = parse_ok(src);
    assert_eq!(m.markers.len(), 3);
    let s = m.scalar_of(&m.markers[1]).expect("tag");
    assert_eq!(s.path_string(), "spec.values.image.tag");
    assert_eq!(&src[s.range.as_range()], "\"1.2.3\"");
    assert_eq!(s.style, ScalarStyle::DoubleQuoted);
    let Attachment::Ignored { reason, target } = m.markers[2].attachment else {
        panic!("block scalar marker attached");
    };
    assert_eq!(reason, IgnoredReason::InBlockScalar);
    assert!(src[target.as_range()].starts_with("|\n    image:"));
    assert_eq!(
        &src[m.markers[2].range.as_range()],
        r#"# {"$imagepolicy": "apps:app:tag"}"#
    );
}

#[test]
fn anchors_aliases_and_tags() {
    let src = "base: &img nginx:1 # {\"$imagepolicy\": \"ns:p\"}\nother: *img\nt: !custom x\nv: !<tag:x> y\n";
    let m = parse_ok(src);
    let s = &m.documents[0].scalars;
    assert_eq!(s.len(), 3, "aliases are not scalars");
    assert!(s[0].anchor);
    assert_eq!(m.markers[0].attachment, Attachment::Scalar(0));
    assert_eq!(s[1].tag.as_deref(), Some("!custom"));
    assert_eq!(s[2].tag.as_deref(), Some("!<tag:x>"));
}

#[test]
fn keys_are_not_scalars() {
    let m = parse_ok("a: 1\n\"b\": {c: 2, d: [3]}\n? [x, y]\n: z\n{k: v}: w\n");
    let paths: Vec<String> = m.documents[0]
        .scalars
        .iter()
        .map(ScalarNode::path_string)
        .collect();
    assert_eq!(paths, ["a", "b.c", "b.d[0]", "[x, y]", "{k: v}"]);
    let values: Vec<&str> = m.documents[0]
        .scalars
        .iter()
        .map(|s| s.value.as_str())
        .collect();
    assert_eq!(values, ["1", "2", "3", "z", "w"]);
}

#[test]
fn paths() {
    let src = "spec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: x\n      - name: b\n        image: y\n";
    let m = parse_ok(src);
    let paths: Vec<String> = m.documents[0]
        .scalars
        .iter()
        .map(ScalarNode::path_string)
        .collect();
    assert_eq!(
        paths,
        [
            "spec.template.spec.containers[0].name",
            "spec.template.spec.containers[0].image",
            "spec.template.spec.containers[1].name",
            "spec.template.spec.containers[1].image",
        ]
    );
    assert_eq!(
        m.documents[0].scalars[3].path,
        vec![
            PathSegment::Key("spec".into()),
            PathSegment::Key("template".into()),
            PathSegment::Key("spec".into()),
            PathSegment::Key("containers".into()),
            PathSegment::Index(1),
            PathSegment::Key("image".into()),
        ]
    );
}

#[test]
fn crlf_bom_and_no_final_newline() {
    let src = "\u{feff}# c\r\na: x # {\"$imagepolicy\": \"ns:p\"}\r\nb: |\r\n  l1\r\n  l2\r\nc: \"q\r\n  r\"\r\nd:\r\n- y # {\"$imagepolicy\": \"ns:p\"}\r\ne: last";
    let m = parse_ok(src);
    let s = &m.documents[0].scalars;
    let texts: Vec<&str> = s.iter().map(|s| &src[s.range.as_range()]).collect();
    assert_eq!(
        texts,
        ["x", "|\r\n  l1\r\n  l2", "\"q\r\n  r\"", "y", "last"]
    );
    assert_eq!(s[1].value, "l1\nl2\n");
    assert_eq!(s[2].value, "q r");
    assert_eq!(s[4].range.end(), src.len());
    assert_eq!(m.markers.len(), 2);
    assert_eq!(m.markers[0].attachment, Attachment::Scalar(0));
    assert_eq!(m.markers[1].attachment, Attachment::Scalar(3));
    assert!(!src[m.markers[0].range.as_range()].ends_with('\r'));
    assert_eq!(m.documents[0].range, TextRange::new(0, src.len()));

    // A BOM right before a comment or a key.
    let m = parse_ok("\u{feff}a: 1\n");
    assert_eq!(m.documents[0].scalars[0].range, TextRange::new(6, 7));
    let m = parse_ok("\u{feff}# {\"$imagepolicy\": \"ns:p\"}\nl:\n- a\n");
    assert_eq!(m.markers[0].range.start(), 3);
}

#[test]
fn multi_document() {
    let src = "# header\n---\na: 1 # {\"$imagepolicy\": \"ns:p\"}\n...\n# between\n--- # c\nb: 2\n---\n# only a comment {\"$imagepolicy\": \"ns:p\"}\n---\nc: 3 # {\"$imagepolicy\": \"ns:p\"}\n";
    let m = parse_ok(src);
    assert_eq!(m.documents.len(), 4);
    let counts: Vec<usize> = m.documents.iter().map(|d| d.scalars.len()).collect();
    assert_eq!(counts, [1, 1, 0, 1]);
    assert_eq!(m.documents[0].range.start(), 0);
    assert_eq!(&src[m.documents[1].range.as_range()][..7], "--- # c");
    assert_eq!(m.documents[3].range.end(), src.len());
    for pair in m.documents.windows(2) {
        assert_eq!(pair[0].range.end, pair[1].range.start);
    }
    let docs: Vec<usize> = m.markers.iter().map(|mk| mk.document).collect();
    assert_eq!(docs, [0, 2, 3]);
    assert_eq!(m.markers[0].attachment, Attachment::Scalar(0));
    assert_eq!(m.markers[2].attachment, Attachment::Scalar(0));

    let m = parse_ok("---\n---\n");
    assert_eq!(m.documents.len(), 2);
    let m = parse_ok("");
    assert_eq!(m.documents.len(), 1);
    let m = parse_ok("# {\"$imagepolicy\": \"ns:p\"}\n");
    assert_eq!(m.documents.len(), 1);
    assert_eq!(m.markers[0].document, 0);
}

#[test]
fn plain_scalar_ends() {
    let src = "a: x y  # c\nb: x:y\nc: x # y\nd: x#y\ne: [p q, r:s, 't', {u: v}]\nf: x\n\n  y\n\n\n  z\ng: 1\nh: -1\ni: a\tb\nj: http://x:80/p?q=1#frag\n";
    let m = parse_ok(src);
    let texts: Vec<&str> = m.documents[0]
        .scalars
        .iter()
        .map(|s| &src[s.range.as_range()])
        .collect();
    assert_eq!(
        texts,
        [
            "x y",
            "x:y",
            "x",
            "x#y",
            "p q",
            "r:s",
            "'t'",
            "v",
            "x\n\n  y\n\n\n  z",
            "1",
            "-1",
            "a\tb",
            "http://x:80/p?q=1#frag",
        ]
    );
    assert_eq!(m.documents[0].scalars[8].value, "x\ny\n\nz");
}

#[test]
fn quoted_scalar_ends() {
    let src = "a: \"x\\\"y\\\\\" # c\nb: 'it''s' # c\nc: \"l1\\\n  l2 \\u00e9\"\nd: 'm1\n\n  m2'\ne: \"\"\nf: ''\n";
    let m = parse_ok(src);
    let s = &m.documents[0].scalars;
    let texts: Vec<&str> = s.iter().map(|s| &src[s.range.as_range()]).collect();
    assert_eq!(
        texts,
        [
            "\"x\\\"y\\\\\"",
            "'it''s'",
            "\"l1\\\n  l2 \\u00e9\"",
            "'m1\n\n  m2'",
            "\"\"",
            "''"
        ]
    );
    assert_eq!(s[0].value, "x\"y\\");
    assert_eq!(s[1].value, "it's");
    assert_eq!(s[2].value, "l1l2 é");
    assert_eq!(s[3].value, "m1\nm2");
}

/// yaml.v3 reads a quoted scalar's continuation lines at any indentation, tabs included;
/// yaml-rust2 wants them right of the key. Spans, values and later tokens on the closing line
/// stay exact.
#[test]
fn quoted_scalars_continued_left_or_after_tabs() {
    let src = format!(
        "spec:\n  image: \"multi\nline\" {M}\n  b: 'x\n\t\ty'\n  c: [\"p\n  q\", r] {M}\n  \
         d: \"s\\\n\tt\"\n"
    );
    let m = parse_ok(&src);
    let s = &m.documents[0].scalars;
    let texts: Vec<&str> = s.iter().map(|s| &src[s.range.as_range()]).collect();
    assert_eq!(
        texts,
        [
            "\"multi\nline\"",
            "'x\n\t\ty'",
            "\"p\n  q\"",
            "r",
            "\"s\\\n\tt\""
        ]
    );
    let values: Vec<&str> = s.iter().map(|s| s.value.as_str()).collect();
    assert_eq!(values, ["multi line", "x y", "p q", "r", "st"]);
    assert_eq!(
        outcomes(&src),
        [Ok("spec.image".into()), Err(IgnoredReason::OnSequence)]
    );
}

/// libyaml reads a comment right after a flow indicator or a block scalar's header, with no
/// blank before it; yaml-rust2 refuses both.
#[test]
fn comments_without_a_blank_before() {
    let src = format!("a: [\n  x,{M}\n  y\n]\nb: >#c\n  text\nc: [{M}\n  z]\n");
    let m = parse_ok(&src);
    let values: Vec<&str> = m.documents[0]
        .scalars
        .iter()
        .map(|s| s.value.as_str())
        .collect();
    assert_eq!(values, ["x", "y", "text\n", "z"]);
    assert_eq!(
        outcomes(&src),
        [Ok("a[0]".into()), Err(IgnoredReason::OnSequence)]
    );
}

/// kyaml replaces `\r\n` with `\n` before yaml.v3 reads: `\r\r\n` is one line break to Flux.
#[test]
fn doubled_carriage_returns() {
    let src = format!(
        "a: x {M}\r\r\nb: |\r\r\n  l1\r\r\n\r\r\n  l2\r\r\nc: \"q\r\r\n  r\"\r\r\nd:\r\r\n- y\r\r\n"
    );
    let m = parse(&src).unwrap();
    let s = &m.documents[0].scalars;
    let values: Vec<&str> = s.iter().map(|s| s.value.as_str()).collect();
    assert_eq!(values, ["x", "l1\n\nl2\n", "q r", "y"]);
    assert_eq!(&src[s[1].range.as_range()], "|\r\r\n  l1\r\r\n\r\r\n  l2");
    assert_eq!(&src[s[3].range.as_range()], "y");
    assert!(matches!(m.markers[0].attachment, Attachment::Scalar(0)));
    assert_eq!(
        parse_err("a: x\r\r\r\nb: y\n").kind,
        ParseErrorKind::Unsupported
    );
}

#[test]
fn block_scalar_ends() {
    let src = "a: |\n  x\n\n  y\n\nb: >-\n  f\n  g\nc: |+\n  k\n\nd: |2\n    two\ne: |\nf: >\n  last\n  # text\n";
    let m = parse_ok(src);
    let s = &m.documents[0].scalars;
    let texts: Vec<&str> = s.iter().map(|s| &src[s.range.as_range()]).collect();
    assert_eq!(
        texts,
        [
            "|\n  x\n\n  y",
            ">-\n  f\n  g",
            "|+\n  k",
            "|2\n    two",
            "|",
            ">\n  last\n  # text"
        ]
    );
    assert_eq!(s[2].value, "k\n\n");
    assert_eq!(s[3].value, "  two\n");
    assert_eq!(s[4].value, "");
    // In sequences (indentless and indented), nested, at end of file without a newline.
    let src = "l:\n- |\n  x\n- k: >\n    y\nm:\n  - |-\n    z\n  - n: |\n      w";
    let m = parse_ok(src);
    let texts: Vec<&str> = m.documents[0]
        .scalars
        .iter()
        .map(|s| &src[s.range.as_range()])
        .collect();
    assert_eq!(texts, ["|\n  x", ">\n    y", "|-\n    z", "|\n      w"]);
}

#[test]
fn non_ascii() {
    let src = "名前: 値 # {\"$imagepolicy\": \"ns:p\"}\né: \"ü\n  ö\" # c\nl:\n  # {\"$imagepolicy\": \"ns:p\"}\n  - 🚀x\nz: |\n  ß\n";
    let m = parse_ok(src);
    let s = &m.documents[0].scalars;
    assert_eq!(&src[s[0].range.as_range()], "値");
    assert_eq!(s[1].value, "ü ö");
    assert_eq!(&src[s[2].range.as_range()], "🚀x");
    assert_eq!(s[2].path_string(), "l[0]");
    assert_eq!(m.markers[1].attachment, Attachment::Scalar(2));
    assert_eq!(s[3].value, "ß\n");
}

#[test]
fn line_comments_recorded() {
    let src = "a: 1 # one\nb: 2\nl:\n- x # ex\n";
    let m = parse_ok(src);
    let s = &m.documents[0].scalars;
    assert_eq!(s[0].line_comment.map(|r| &src[r.as_range()]), Some("# one"));
    assert_eq!(s[1].line_comment, None);
    assert_eq!(s[2].line_comment.map(|r| &src[r.as_range()]), Some("# ex"));
    assert!(m.markers.is_empty());
}

fn parse_err(src: &str) -> ParseError {
    match parse(src) {
        Ok(m) => panic!("{src:?} parsed: {m:?}"),
        Err(e) => {
            assert!(e.span.end() <= src.len());
            assert!(src.is_char_boundary(e.span.start()) && src.is_char_boundary(e.span.end()));
            e
        }
    }
}

#[test]
fn rejections() {
    use ParseErrorKind::*;
    let table: &[(&str, ParseErrorKind)] = &[
        ("a:\n\tb: 1\n", Syntax),
        ("a: [b\n", Syntax),
        ("a: \"x\n", Syntax),
        ("a: *nope\n", Syntax),
        ("a: 1\n a: 2\n", Syntax),
        ("a: x\u{0}\n", Syntax),
        ("a: x\u{7}\n", Syntax),
        ("a: x\ry\n", Unsupported),
        ("a: x\u{2028}y\n", Unsupported),
        ("%YAML 1.2\n---\na: 1\n", FluxSkipsFile),
        ("%TAG ! tag:x,2000:\n---\na: 1\n", FluxSkipsFile),
        ("a: 1\n--- !t\nb: 1\n", FluxSkipsFile),
        ("a: 1\n--- {b: 1}\n", FluxSkipsFile),
        ("--- [a]\n", FluxSkipsFile),
        ("- a\n", FluxSkipsFile),
        ("a: 1\n---\n- b\n", FluxSkipsFile),
        ("just a string\n", FluxSkipsFile),
        ("\"quoted\"\n", FluxSkipsFile),
        ("|\n  block\n", FluxSkipsFile),
        ("a: [b, >-\n    c]\n", FluxSkipsFile),
        ("a: {b: |\n    c}\n", FluxSkipsFile),
        ("a: {x: :y}\n", FluxSkipsFile),
        ("a: \"x\\/y\"\n", FluxSkipsFile),
        ("a: &x.y b\n", FluxSkipsFile),
        ("a: &x.y b\nc: [*x.y]\n", FluxSkipsFile),
        ("a: &é b\n", FluxSkipsFile),
        ("a: [!!str, b]\n", Unsupported),
        ("a: [x\n\ty]\n", Syntax),
        ("a:\n  b: [x\n  \t\n    y]\n", FluxSkipsFile),
        (": a\n", FluxSkipsFile),
        ("a: 1\n: b\n", FluxSkipsFile),
        ("a: {\"b\"\n  : c}\n", FluxSkipsFile),
        ("a: [b\n  c: d]\n", Syntax),
        ("...\n", FluxSkipsFile),
        ("a: 1\n---\n# c\n...\nb: 2\n", FluxSkipsFile),
        ("a: 1\n---\n%YAML 1.2\n---\nb: 2\n", FluxSkipsFile),
    ];
    for (src, kind) in table {
        let e = parse_err(src);
        assert_eq!(e.kind, *kind, "{src:?}: {e:?}");
    }
    // Error positions are bytes, after multi-byte characters too.
    let src = "é: ü\nb: [\n";
    let e = parse_err(src);
    assert_eq!(e.span.start(), src.len());
    let e = parse_err("éé: 1\n%YAML 1.2\n---\n%YAML 1.2\n");
    assert_eq!(e.span.start(), "éé: 1\n%YAML 1.2\n---\n".len());
    // A null root is fine.
    parse_ok("~\n");
    parse_ok("null\n");
    parse_ok("--- # only a comment\n");
    // The file's first line is no `---` separator to kyaml: yaml.v3 reads what follows it.
    parse_ok("--- !t\na: 1\n");
    parse_ok("--- {a: 1}\n");
    // yaml.v3 reads `\'` in double quotes as `'`; yaml-rust2 refuses it.
    let src = "a: \"it\\'s \\'x\\'\" # c\nb: \"\\\\'\"\n";
    let m = parse_ok(src);
    let s = &m.documents[0].scalars;
    assert_eq!(&src[s[0].range.as_range()], "\"it\\'s \\'x\\'\"");
    assert_eq!(
        (s[0].value.as_str(), s[1].value.as_str()),
        ("it's 'x'", "\\'")
    );
    assert_eq!(parse_err("a: \"\\'\\\"\"\n").kind, ParseErrorKind::Syntax);
    // In brackets yaml.v3 checks no indentation; yaml-rust2 wants it right of the block's.
    for src in [
        "flow: [a,\nb,\nc]\n",
        "spec:\n  args: [\n  \"a\",\n  ]\n",
        "k:\n  flow: [\n  a, {x: y,\n z: w}]\n",
        "m:\n- k: [a,\n b]\n",
    ] {
        let m = parse_ok(src);
        let values: Vec<&str> = m.documents[0]
            .scalars
            .iter()
            .map(|s| s.value.as_str())
            .collect();
        assert!(values.contains(&"a"), "{src:?}: {values:?}");
    }
    // In brackets a tab only breaks a plain scalar's scan of the lines after it.
    parse_ok("a: [x,\n\ty]\n");
    // A BOM after the file's start is text, as in yaml.v3.
    let m = parse_ok("a: x\u{feff}y\nb: \u{feff}\n");
    assert_eq!(m.documents[0].scalars[0].value, "x\u{feff}y");
    // Keys yaml.v3 reads: after `?`, or an empty key with properties.
    parse_ok("? a\n: b\n? # c\n\n: d\n");
    parse_ok("a: {? b\n  : c, &x : d}\n");
    // After its first document a piece is never scanned: a directive or text after `...` there
    // is not read, and not an error.
    parse_ok("---\na: 1\n%YAML 1.2\n---\nb: 2\n");
    parse_ok("a: 1\n... x\n");
}

#[test]
fn diagnostic_renders() {
    let e = parse_err("a: 1\n- b\n");
    let report = miette::Report::new(e.clone());
    assert!(format!("{report:?}").contains(&e.message));
    let span: miette::SourceSpan = e.span.into();
    assert_eq!(span.offset(), e.span.start());
}

#[test]
fn large_file_is_linear_enough() {
    use std::fmt::Write as _;
    let mut src = String::from("apiVersion: v1\nitems:\n");
    for i in 0..20_000 {
        let _ = writeln!(
            src,
            "- name: c{i} # note\n  image: \"r/i:{i}\" # {{\"$imagepolicy\": \"ns:p{i}\"}}\n  args: |\n    x {i}"
        );
    }
    let start = std::time::Instant::now();
    let m = parse(&src).expect("parses");
    assert_eq!(m.markers.len(), 20_000);
    assert!(m
        .markers
        .iter()
        .all(|mk| matches!(mk.attachment, Attachment::Scalar(_))));
    // Generous: quadratic behaviour would take minutes here.
    assert!(start.elapsed().as_secs() < 30);
}

/// A `(path, value)` pair as [`values_of`] gives them.
fn kv(path: &str, value: &str) -> (String, String) {
    (path.to_owned(), value.to_owned())
}

/// The values of a file, by path, in document order.
fn values_of(src: &str) -> Vec<(String, String)> {
    let m = parse_ok(src);
    (m.documents.iter())
        .flat_map(|d| d.scalars.iter())
        .map(|s| (s.path_string(), s.value.clone()))
        .collect()
}

#[test]
fn anchor_names_end_where_yaml_v3_ends_them() {
    // yaml.v3 ends a name at `:` or `?` and reads on from there (checked against yaml.v3).
    let v = |src: &str| values_of(src);
    assert_eq!(v("k: &an:chor value\n"), [kv("k", ":chor value")]);
    assert_eq!(v("k: &a?b\n"), [kv("k", "?b")]);
    assert_eq!(v("l:\n- &x:y z\n"), [kv("l[0]", ":y z")]);
    assert_eq!(v("&a: v\n"), [kv("", "v")]);
    assert_eq!(v("m: {&a:b}\n"), [kv("m.", "b")]);
    assert_eq!(v("m: [&a: x, &b:y]\n")[1].1, "y");
    assert_eq!(v("a: &x 1\nb: {*x: c}\n")[1].1, "c");
    assert_eq!(v("a: &x 1\n*x: c\n")[1].1, "c");
    // Inside a scalar, `&` starts no anchor.
    assert_eq!(v("k: \"&a:b\"\n"), [kv("k", "&a:b")]);
    assert_eq!(v("k: x &a:b\n"), [kv("k", "x &a:b")]);
    assert_eq!(v("k: |\n  &a:b\n"), [kv("k", "&a:b\n")]);
    // The anchor is on the value, which keeps its exact span.
    let src = "k: &an:chor v # {\"$imagepolicy\": \"ns:p\"}\n";
    let m = parse_ok(src);
    let s = m.scalar_of(&m.markers[0]).unwrap();
    assert!(s.anchor);
    assert_eq!(&src[s.range.as_range()], ":chor v");
    // What yaml.v3 then cannot read.
    for src in [
        "k: &a@b\n",
        "k: &a%\n",
        "k: &a`b\n",
        "k: &a? x\n",
        "k: [&a?b]\n",
        "a: &x 1\nb: *x:c\n",
        "&a: key: &a value\n",
    ] {
        parse_err(src);
    }
    let e = parse_err("k: &a@b\n");
    assert_eq!((e.kind, e.span.start()), (ParseErrorKind::FluxSkipsFile, 5));
}

#[test]
fn a_bom_starting_a_later_piece_is_dropped() {
    // Each `---` piece is a stream to yaml.v3, which drops the BOM at its start.
    let m = parse_ok("a: 1\n---\n\u{feff}kind: K\nimage: x\n");
    assert_eq!(m.documents[1].scalars[0].value, "K");
    assert_eq!(m.documents[1].scalars[0].path_string(), "kind");
    let m = parse_ok("a: 1\n---\n\u{feff}# c\n\u{feff}b: x\n");
    // Only there: on any other line it is text.
    assert_eq!(m.documents[1].scalars[0].path_string(), "\u{feff}b");
    parse_ok("a: 1\n---\n\u{feff}\n");
    parse_ok("a: 1\n---\n\u{feff}---\nb: x\n");
    // Dropped, it leaves the line as yaml.v3 sees it.
    parse_err("a: 1\n---\n\u{feff}\tb: x\n");
    parse_err("a: 1\n---\n\u{feff}...\nb: x\n");
    parse_err("a: 1\n---\n\u{feff}- x\n");
    parse_err("a: 1\n---\n\u{feff}metadata: 5\n");
}

#[test]
fn a_block_scalar_as_the_first_explicit_key() {
    // The mapping's indentation is not known yet: it is the `?`'s column.
    assert_eq!(
        values_of("k:\n  ? |\n    a\n  : b\n"),
        [("k.a\n".to_owned(), "b".to_owned())]
    );
    assert_eq!(values_of("? >-\n  a\n  b\n: v\n")[0].0, "a b");
    let src = "k:\n  ? >\n    a\n  : b # {\"$imagepolicy\": \"ns:p\"}\n";
    assert_eq!(outcomes(src), [Ok("k.a\n".to_owned())]);
}

#[test]
fn a_comment_left_of_a_block_scalars_blank_lines_ends_it() {
    // yaml.v3 takes the indentation from the blank lines, and a comment line left of it (but
    // right of the parent) ends the scalar; yaml-rust2 refuses that line.
    assert_eq!(
        values_of("empty block scalar: >\n \n  \n   \n # comment\n"),
        [kv("empty block scalar", "")]
    );
    assert_eq!(
        values_of("k:\n  a: >+\n     \n\n   # c\n  b: x\n"),
        [kv("k.a", "\n\n"), kv("k.b", "x")]
    );
    // The comment is one: a marker there heads the next key, which Flux ignores.
    let src = "k:\n  a: |\n     \n   # {\"$imagepolicy\": \"ns:p\"}\n  b: x\n";
    assert_eq!(values_of(src), [kv("k.a", ""), kv("k.b", "x")]);
    assert_eq!(outcomes(src), [Err(IgnoredReason::Detached)]);
    // Content there is refused by both.
    parse_err("k:\n  a: |\n     \n   x\n  b: x\n");
}

#[test]
fn flow_plain_values_end_where_yaml_v3_ends_them() {
    // A `:` before `,`, `]` or `}` stays in the value (checked against yaml.v3).
    assert_eq!(
        values_of("k: [b:, c]\n"),
        [kv("k[0]", "b:"), kv("k[1]", "c")]
    );
    assert_eq!(values_of("k: {x: b:}\n"), [kv("k.x", "b:")]);
    assert_eq!(values_of("k: [a:b:]\n"), [kv("k[0]", "a:b:")]);
    assert_eq!(
        values_of("k: [a :, b]\n"),
        [kv("k[0]", "a :"), kv("k[1]", "b")]
    );
    assert_eq!(values_of("k: {b:}\n"), []);
    assert_eq!(
        values_of("k: [&a:b:, c]\n"),
        [kv("k[0].", "b:"), kv("k[1]", "c")]
    );
    assert_eq!(values_of("{a: b, c:,}\n"), [kv("a", "b")]);
    // Not in quotes, comments or block context.
    assert_eq!(
        values_of("k: [\"a:,\", c:]\n"),
        [kv("k[0]", "a:,"), kv("k[1]", "c:")]
    );
    assert_eq!(values_of("k: b:, c # x:, y\n"), [kv("k", "b:, c")]);
    let src = "k: [\n  b:, # {\"$imagepolicy\": \"ns:p\"}\n  c\n]\n";
    assert_eq!(outcomes(src), [Ok("k[0]".to_owned())]);
    let m = parse_ok(src);
    let s = m.scalar_of(&m.markers[0]).unwrap();
    assert_eq!(&src[s.range.as_range()], "b:");
    // A `?` at a token start is the explicit-key indicator whatever follows.
    assert_eq!(values_of("k: [?b]\n"), []);
    assert_eq!(values_of("k: [?b: c]\n"), [kv("k[0].b", "c")]);
    let src = "k: [\n  ?b, # {\"$imagepolicy\": \"ns:p\"}\n]\n";
    assert!(parse_ok(src).scalar_of(&parse_ok(src).markers[0]).is_none());
    // yaml.v3 ends the value at a `?` inside it, or at a `:` before `[` or `{`, and fails.
    for src in [
        "k: [a?b]\n",
        "k: {x: a?b}\n",
        "resources: [https://github.com/org/repo//base?ref=v1]\n",
        "k: [b:{c: d}]\n",
        "k: [b:[c]]\n",
    ] {
        parse_err(src);
    }
    let e = parse_err("k: [a?b]\n");
    assert_eq!((e.kind, e.span.start()), (ParseErrorKind::FluxSkipsFile, 5));
}

#[test]
fn a_bom_starting_a_quoted_scalars_continuation_line() {
    // The copy indents the line and drops the BOM at one position (this panicked once).
    parse_err("a: \"x\n---x\n\u{feff}y\"\n");
    parse_err("a: 1\n---x\n\u{feff}b: \"y\n\u{feff}z\"\n");
    let m = parse_ok("a: 1\n---\n\u{feff}b: \"y\n z\" # {\"$imagepolicy\": \"ns:p\"}\n");
    assert_eq!(m.scalar_of(&m.markers[0]).unwrap().value, "y z");
}

/// yaml.v3 fails on a `:` that a flow collection or an anchor follows right after a plain value
/// in brackets, also with blanks or a line break before the `:`; a blank after it is fine.
#[test]
fn colon_glued_to_a_flow_collection_after_blanks() {
    for text in [
        "a: {b :[c]}\n",
        "a: {b  :{c: d}}\n",
        "a: {b\n  :[c]}\n",
        "a: {&x b :[c]}\n",
    ] {
        let err = parse(text).unwrap_err();
        assert_eq!(err.kind, ParseErrorKind::FluxSkipsFile, "{text:?}: {err:?}");
    }
    // yaml-rust2 refuses this one itself.
    assert!(parse("a: {b :&y [c]}\n").is_err());
    for text in [
        "a: {b : [c]}\n",
        "a: {b :c}\n",
        "a: [b :c]\n",
        "a: {b :\"c\"}\n",
    ] {
        assert!(parse(text).is_ok(), "{text:?}");
    }
}

/// An implicit `key: value` pair in a flow sequence whose value (or key) is a flow collection:
/// yaml.v3 reads `[b: [c]]` as `[{b: [c]}]`, at any depth, whatever flow collections came earlier
/// in the file (checked against yaml.v3; the table's flowPairs and flowNesting inputs).
#[test]
fn implicit_pairs_with_flow_collections_in_flow_sequences() {
    assert_eq!(values_of("a: [b: [c]]\n"), [kv("a[0].b[0]", "c")]);
    assert_eq!(values_of("a: [b: {c: d}]\n"), [kv("a[0].b.c", "d")]);
    assert_eq!(
        values_of("a: [b: [c], e]\n"),
        [kv("a[0].b[0]", "c"), kv("a[1]", "e")]
    );
    assert_eq!(
        values_of("a: [[a: [b]]: [c: {d: e}]]\n"),
        [kv("a[0].[a: [b]][0].c.d", "e")]
    );
    assert_eq!(
        values_of("a: [b: [c: [d]], e: {f: [g: h]}]\n"),
        [kv("a[0].b[0].c[0]", "d"), kv("a[1].e.f[0].g", "h")]
    );
    assert_eq!(
        values_of("a: [{b: c}: [d], e]\n"),
        [kv("a[0].{b: c}[0]", "d"), kv("a[1]", "e")]
    );
    assert_eq!(values_of("a: {b: [c: [d]]}\n"), [kv("a.b[0].c[0]", "d")]);
    // The same whatever came before: a flow mapping, an explicit pair, an implicit pair.
    for before in ["", "x: {a: x}\n", "x: [? a : x]\n", "x: [a: [x]]\n"] {
        let text = format!("{before}y: [b: [c]]\n");
        let values = values_of(&text);
        assert_eq!(values.last(), Some(&kv("y[0].b[0]", "c")), "{text:?}");
        // yaml.v3: "did not find expected node content".
        let text = format!("{before}y: [ : foo ]\n");
        let err = parse(&text).unwrap_err();
        assert_eq!(err.kind, ParseErrorKind::FluxSkipsFile, "{text:?}: {err:?}");
    }
    // yaml.v3: "did not find expected ',' or ']'".
    for text in [
        "a: [b: [c]: d]\n",
        "a: [b: c: [d]]\n",
        "a: [[b: [x,\n    y]]: z]\n",
    ] {
        assert!(parse(text).is_err(), "{text:?}");
    }
}

/// A `-` before `,`, `]`, `}`, `[` or `{` in a plain scalar in a flow collection, at its start or
/// after a blank inside it: yaml.v3 reads `[-]` as `["-"]` and `[a -, b]` as `["a -", "b"]`
/// (checked against yaml.v3; the table's flowDashes inputs).
#[test]
fn dashes_before_flow_indicators_in_plain_scalars() {
    assert_eq!(values_of("a: [-]\n"), [kv("a[0]", "-")]);
    assert_eq!(values_of("a: [-, x]\n"), [kv("a[0]", "-"), kv("a[1]", "x")]);
    assert_eq!(values_of("a: {-: x}\n"), [kv("a.-", "x")]);
    assert_eq!(
        values_of("a: [ a -, x ]\n"),
        [kv("a[0]", "a -"), kv("a[1]", "x")]
    );
    assert_eq!(values_of("a: {k: b -}\n"), [kv("a.k", "b -")]);
    assert_eq!(
        values_of("a: [x,\n  a --]\n"),
        [kv("a[0]", "x"), kv("a[1]", "a --")]
    );
    // yaml.v3: "did not find expected ',' or ']'".
    assert!(parse("a: [a -[, c]\n").is_err());
}

/// A byte screen's guess (a `:` in a flow plain scalar, an anchor name to split) inside a block
/// scalar's content, with the file's other spellings needing a rescan (a tab after a `:`): the
/// guess is taken back and the file read as yaml.v3 reads it (a `rewrite` fuzz find).
#[test]
fn byte_screen_guesses_inside_block_scalars_are_taken_back() {
    assert_eq!(
        values_of("m: |- #{\n :}\ne:\tp\nl: {m:}\n"),
        [kv("m", ":}"), kv("e", "p")]
    );
    assert_eq!(
        values_of("m: |- #x\n &q:\ne:\tt\nl: {p:}\n"),
        [kv("m", "&q:"), kv("e", "t")]
    );
}
