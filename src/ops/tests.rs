//! Property test of the whole pipeline (model, then fix): generated manifests with markers, fixed from a lock;
//! only the marked scalars change, the output parses, and a second pass changes nothing.

use proptest::prelude::*;

use crate::model::{Model, Options};
use crate::ops::fix::plan;

const DECLS: &str = "apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: app
  namespace: flux-system
spec:
  image: ghcr.io/org/app
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: app
  namespace: flux-system
spec:
  imageRepositoryRef:
    name: app
  policy:
    semver:
      range: '>=1.0.0'
";

const LOCK: &str = "version: 1
images:
  \"ghcr.io/org/app\":
    tags:
      - \"1.0.0\"
      - \"1.2.3\"
      - \"2.0.0-rc.1\"
";

/// One line of a generated manifest: (text, expected text after fix).
fn line() -> impl Strategy<Value = (String, String)> {
    let key = "[a-z][a-zA-Z0-9_]{0,8}";
    let old_tag = prop_oneof![
        Just("1.0.0"),
        Just("0.9"),
        Just("2"),
        Just("1.2.3"),
        Just("")
    ];
    let style = 0..3u8;
    let suffix = prop_oneof![Just(""), Just(":tag"), Just(":name")];
    let space = prop_oneof![Just(" "), Just("   "), Just("\t")];
    let marked = (key, old_tag, style, suffix, space).prop_map(|(k, old, style, suffix, sp)| {
        let (old_value, new_value) = match suffix {
            ":tag" => (old.to_owned(), "1.2.3".to_owned()),
            ":name" => ("ghcr.io/org/app".to_owned(), "ghcr.io/org/app".to_owned()),
            _ if old.is_empty() => (
                "ghcr.io/org/app".to_owned(),
                "ghcr.io/org/app:1.2.3".to_owned(),
            ),
            _ => (
                format!("ghcr.io/org/app:{old}"),
                "ghcr.io/org/app:1.2.3".to_owned(),
            ),
        };
        let quote = |v: &str| match style {
            0 => v.to_owned(),
            1 => format!("'{v}'"),
            _ => format!("\"{v}\""),
        };
        // A plain value YAML would read as a number gets double quotes (e.g. `2` → "1.2.3" stays
        // plain, but an empty plain value is not a marker target, so use quotes there).
        let (old_src, new_src) = if style == 0 && old_value.is_empty() {
            ("\"\"".to_owned(), "\"1.2.3\"".to_owned())
        } else {
            (quote(&old_value), quote(&new_value))
        };
        let comment = format!("#{sp}{{\"$imagepolicy\": \"flux-system:app{suffix}\"}}");
        (
            format!("{k}: {old_src}{sp}{comment}"),
            format!("{k}: {new_src}{sp}{comment}"),
        )
    });
    let plain = (
        "[a-z][a-z0-9]{0,6}",
        "[a-zA-Z0-9 .:/-]{0,20}",
        prop::bool::ANY,
    )
        .prop_map(|(k, v, comment)| {
            let v = v.trim().replace(": ", ":").replace(" #", "");
            let text = if comment {
                format!("{k}: '{v}' # note")
            } else {
                format!("{k}: '{v}'")
            };
            (text.clone(), text)
        });
    prop_oneof![2 => marked, 3 => plain, 1 => Just(("# a comment".to_owned(), "# a comment".to_owned())), 1 => Just((String::new(), String::new()))]
}

fn manifest() -> impl Strategy<Value = (String, String)> {
    (
        proptest::collection::vec(line(), 1..12),
        prop::bool::ANY,
        prop::bool::ANY,
        prop::bool::ANY,
    )
        .prop_map(|(lines, crlf, leading_doc, final_newline)| {
            // Keys must be unique within the mapping: prefix each with its line number.
            let mut input = String::new();
            let mut expected = String::new();
            if leading_doc {
                input.push_str("---\n");
                expected.push_str("---\n");
            }
            for (i, (a, b)) in lines.iter().enumerate() {
                let prefix = |s: &str| {
                    if s.is_empty() || s.starts_with('#') {
                        s.to_owned()
                    } else {
                        format!("k{i}{s}")
                    }
                };
                input.push_str(&prefix(a));
                input.push('\n');
                expected.push_str(&prefix(b));
                expected.push('\n');
            }
            if !final_newline {
                input.pop();
                expected.pop();
            }
            if crlf {
                input = input.replace('\n', "\r\n");
                expected = expected.replace('\n', "\r\n");
            }
            (input, expected)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn fix_changes_only_marked_values((input, expected) in manifest()) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs_err::write(root.join("flux.yaml"), DECLS).unwrap();
        fs_err::write(root.join("images.lock"), LOCK).unwrap();
        fs_err::write(root.join("app.yaml"), &input).unwrap();
        let options = Options {
            workspace: crate::workspace::Workspace::open(Some(root)).unwrap(),
            lockfile: root.join("images.lock"),
            config: crate::config::Config::load(root, &crate::config::Flags::default()).unwrap(),
            paths: Vec::new(),
            cluster: None,
        };
        let model = Model::build(&options).unwrap();
        let plans = plan(&model);
        let fixed = match plans.iter().find(|p| p.rel == "app.yaml") {
            Some(p) => p.result.clone().map_err(TestCaseError::fail)?,
            None => input.clone(),
        };
        prop_assert_eq!(&fixed, &expected, "input:\n{}", input);
        prop_assert!(crate::manifest::parse(&fixed).is_ok());
        // a second pass is a no-op
        fs_err::write(root.join("app.yaml"), &fixed).unwrap();
        let again = Model::build(&options).unwrap();
        prop_assert!(again.edits().is_empty());
    }
}
