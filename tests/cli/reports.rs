//! `list` and `explain`, on the demo and on a fixture with filters, exclusions and digests.

use crate::common::{run_in, testdata};

fn snapshot(dir: &str, args: &[&str]) -> String {
    let r = run_in(
        &testdata().join(dir),
        &[&["--root", "."], args].concat(),
        "",
    );
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        r.code, r.stdout, r.stderr
    )
}

#[test]
fn list_and_explain() {
    insta::with_settings!({prepend_module_to_snapshot => false, omit_expression => true}, {
        insta::assert_snapshot!("list-demo", snapshot("demo", &["list"]));
        insta::assert_snapshot!("explain-demo", snapshot("demo", &["explain", "flux-system:helloworld"]));
        insta::assert_snapshot!("list-explain", snapshot("explain", &["list"]));
        insta::assert_snapshot!("list-explain-json", snapshot("explain", &["list", "--format", "json"]));
        insta::assert_snapshot!("explain-filters", snapshot("explain", &["explain", "apps:web-builds"]));
        insta::assert_snapshot!("explain-digest", snapshot("explain", &["explain", "apps:web"]));
        insta::assert_snapshot!("explain-json", snapshot("explain", &["explain", "apps:web", "--format", "json"]));
        insta::assert_snapshot!("explain-unknown", snapshot("explain", &["explain", "apps:nope", "--color", "never"]));
    });
}

/// In `--format json`, `range` + `change.new_text` is exactly the edit `fix` makes, and
/// `change.old_text` the bytes `range` covers, on every fixture.
#[test]
fn json_range_and_new_text_are_the_edit_fix_makes() {
    use std::collections::BTreeMap;
    let mut cases: Vec<_> = fs_err::read_dir(testdata().join("cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    let mut checked = 0;
    for case in cases {
        let tmp = tempfile::tempdir().unwrap();
        crate::common::copy_tree(&case.join("in"), tmp.path());
        let json = run_in(
            tmp.path(),
            &["--root", ".", "check", "--format", "json"],
            "",
        );
        let mut edits: BTreeMap<String, Vec<(usize, usize, String)>> = BTreeMap::new();
        for line in json.stdout.lines() {
            let record: serde_json::Value = serde_json::from_str(line).unwrap();
            let Some(change) = record.get("change") else {
                continue;
            };
            let file = record["file"].as_str().unwrap().to_owned();
            let (start, end) = (
                record["range"][0].as_u64().unwrap() as usize,
                record["range"][1].as_u64().unwrap() as usize,
            );
            let text = fs_err::read(tmp.path().join(&file)).unwrap();
            assert_eq!(
                change["old_text"].as_str().unwrap().as_bytes(),
                &text[start..end],
                "{}: {line}",
                case.display()
            );
            let new_text = change["new_text"].as_str().unwrap().to_owned();
            edits.entry(file).or_default().push((start, end, new_text));
        }
        let mut expected = BTreeMap::new();
        for (file, mut file_edits) in edits {
            let mut text = fs_err::read(tmp.path().join(&file)).unwrap();
            file_edits.sort_by_key(|e| std::cmp::Reverse(e.0));
            for (start, end, new_text) in file_edits {
                text.splice(start..end, new_text.into_bytes());
                checked += 1;
            }
            expected.insert(file, text);
        }
        run_in(tmp.path(), &["--root", ".", "fix"], "");
        for (file, text) in expected {
            let fixed = fs_err::read(tmp.path().join(&file)).unwrap();
            assert!(
                fixed == text,
                "{}: {file}: fix wrote\n{}\nthe JSON edits give\n{}",
                case.display(),
                String::from_utf8_lossy(&fixed),
                String::from_utf8_lossy(&text)
            );
        }
    }
    assert!(checked > 20, "only {checked} changes seen");
}
