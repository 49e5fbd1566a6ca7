//! Fixture cases: `testdata/cases/<case>/{in,out}`.

use std::path::Path;

use crate::common::{assert_tree_after, case_dirs, read_tree, run_in, CaseRepo};

fn snapshot_text(run: &crate::common::Run) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        run.code, run.stdout, run.stderr
    )
}

fn run_case(case: &Path) {
    let CaseRepo {
        name,
        tmp: _tmp,
        repo,
        before,
    } = CaseRepo::of(case);

    let check = run_in(&repo, &["check", "--color", "never"], "");
    let json = run_in(&repo, &["check", "--format", "json"], "");
    let sarif = run_in(&repo, &["check", "--format", "sarif"], "");
    let github = run_in(&repo, &["check", "--format", "github"], "");
    let list = run_in(&repo, &["list", "--format", "json"], "");
    insta::with_settings!({snapshot_suffix => name.clone(), prepend_module_to_snapshot => false, omit_expression => true}, {
        insta::assert_snapshot!("check", snapshot_text(&check));
        insta::assert_snapshot!("json", json.stdout);
        insta::assert_snapshot!("github", github.stdout);
        insta::assert_snapshot!("sarif", sarif_results(&sarif.stdout));
        insta::assert_snapshot!("list", snapshot_text(&list));
    });
    validate_sarif(&name, &sarif.stdout);
    assert_eq!(read_tree(&repo), before, "{name}: check changed files");
    for (format, run) in [("json", &json), ("sarif", &sarif), ("github", &github)] {
        assert_eq!(
            run.code, check.code,
            "{name}: {format} disagrees on the exit code"
        );
        assert_eq!(run.stderr, "", "{name}: {format} wrote to stderr");
    }

    let fix = run_in(&repo, &["fix", "--color", "never"], "");
    assert!(
        fix.code == 0 || fix.code == 1,
        "{name}: fix failed: {}",
        fix.stderr
    );
    assert_tree_after(&name, "fix", &repo, &before, &case.join("out"));
    let after = read_tree(&repo);

    let again = run_in(&repo, &["fix", "--diff"], "");
    assert!(
        !again.stdout.contains("@@"),
        "{name}: a second fix would change files:\n{}",
        again.stdout
    );
    assert_eq!(read_tree(&repo), after, "{name}: fix --diff wrote files");
}

/// The results part of a SARIF log (the rules table is the same for every case).
fn sarif_results(text: &str) -> String {
    let log: serde_json::Value = serde_json::from_str(text).expect("SARIF is JSON");
    serde_json::to_string_pretty(&log["runs"][0]["results"]).unwrap() + "\n"
}

fn validate_sarif(name: &str, text: &str) {
    static SCHEMA: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    let validator = SCHEMA.get_or_init(|| {
        let schema = fs_err::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/sarif-schema-2.1.0.json"),
        )
        .unwrap();
        // The official schema's `run.language` pattern has a stray `]` that ECMAScript regexes
        // accept and Rust's do not; escape it (the results never carry `language`).
        let schema = schema.replace(r#"[a-zA-Z]{2}]?$"#, r#"[a-zA-Z]{2}\\]?$"#);
        let schema: serde_json::Value = serde_json::from_str(&schema).unwrap();
        jsonschema::validator_for(&schema).expect("the SARIF schema compiles")
    });
    let log: serde_json::Value = serde_json::from_str(text).expect("SARIF is JSON");
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{name}: SARIF does not validate:\n{}",
        errors.join("\n")
    );
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert!(rules.iter().all(|r| r["help"]["text"]
        .as_str()
        .is_some_and(|h| h.contains("## Fix"))));
}

#[test]
fn fixture_cases() {
    for case in case_dirs("cases", 10) {
        run_case(&case);
    }
}
