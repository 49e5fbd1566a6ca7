//! Fixture cases: `testdata/cases/<case>/{in,out}`.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::{copy_tree, run_in, testdata, walk};

fn snapshot_text(run: &crate::common::Run) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        run.code, run.stdout, run.stderr
    )
}

fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walk(dir)
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, fs_err::read(&p).unwrap())
        })
        .collect()
}

fn run_case(case: &Path) {
    let name = case.file_name().unwrap().to_string_lossy().into_owned();
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    copy_tree(&case.join("in"), &repo);
    let before = read_tree(&repo);

    let check = run_in(&repo, &["check", "--color", "never"], "");
    let json = run_in(&repo, &["check", "--format", "json"], "");
    insta::with_settings!({snapshot_suffix => name.clone(), prepend_module_to_snapshot => false, omit_expression => true}, {
        insta::assert_snapshot!("check", snapshot_text(&check));
        insta::assert_snapshot!("json", json.stdout);
    });
    assert_eq!(read_tree(&repo), before, "{name}: check changed files");
    assert_eq!(
        json.code, check.code,
        "{name}: formats disagree on the exit code"
    );

    let fix = run_in(&repo, &["fix", "--color", "never"], "");
    assert!(
        fix.code == 0 || fix.code == 1,
        "{name}: fix failed: {}",
        fix.stderr
    );
    let mut expected = before.clone();
    let out_dir = case.join("out");
    if out_dir.is_dir() {
        expected.extend(read_tree(&out_dir));
    }
    let after = read_tree(&repo);
    for (file, bytes) in &expected {
        let got = after.get(file).map(Vec::as_slice).unwrap_or_default();
        assert!(
            got == bytes.as_slice(),
            "{name}: {file} after fix differs:\n--- expected\n{}\n--- got\n{}",
            String::from_utf8_lossy(bytes),
            String::from_utf8_lossy(got)
        );
    }
    assert_eq!(
        after.len(),
        expected.len(),
        "{name}: fix created or removed files"
    );

    let again = run_in(&repo, &["fix", "--diff"], "");
    assert!(
        !again.stdout.contains("@@"),
        "{name}: a second fix would change files:\n{}",
        again.stdout
    );
    assert_eq!(read_tree(&repo), after, "{name}: fix --diff wrote files");
}

#[test]
fn fixture_cases() {
    let dir = testdata().join("cases");
    let mut cases: Vec<_> = fs_err::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("in").is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "fixture cases are missing");
    for case in cases {
        run_case(&case);
    }
}
