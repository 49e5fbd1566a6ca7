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
