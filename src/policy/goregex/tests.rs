use proptest::prelude::*;
use serde_json::Value;

use super::{compile, compile_as, go_group_name, ErrorCode, GoSyntax};

/// Go's verdicts, written by `go run tests/goregex/gen.go` from `testdata/goregex/cases.txt`
/// with the Go of each generation of Flux releases (the table records which Go).
const TABLE: &str = include_str!("../../../testdata/goregex/table.json");
const TABLE_GO1_24: &str = include_str!("../../../testdata/goregex/table-go1.24.json");
const TABLE_GO1_19: &str = include_str!("../../../testdata/goregex/table-go1.19.json");

fn indices(re: &regex::Regex, input: &str) -> Value {
    match re.captures(input) {
        None => Value::Null,
        Some(caps) => (0..caps.len())
            .flat_map(|i| match caps.get(i) {
                Some(m) => [m.start() as i64, m.end() as i64],
                None => [-1, -1],
            })
            .collect(),
    }
}

#[test]
fn go_1_26_table_verdicts_errors_and_matches() {
    // Go 1.25 changed `\p{...}` (Flux 2.7 is built with it); 1.26 is what Flux 2.8 and 2.9 run.
    check_table(TABLE, GoSyntax::Go1_25, "go1.26");
}

#[test]
fn go_1_24_table_for_flux_2_3_to_2_6() {
    check_table(TABLE_GO1_24, GoSyntax::Go1_22, "go1.24");
}

#[test]
fn go_1_19_table_for_flux_2_0_to_2_2() {
    check_table(TABLE_GO1_19, GoSyntax::Go1_20, "go1.19");
}

fn check_table(text: &str, syntax: GoSyntax, go_prefix: &str) {
    let table: Value = serde_json::from_str(text).unwrap();
    let go = table["go"].as_str().unwrap();
    assert!(go.starts_with(go_prefix), "the table comes from {go}");
    let defaults = table["default_inputs"].as_array().unwrap();
    let cases = table["cases"].as_array().unwrap();
    assert!(cases.len() >= 400, "{}", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let pattern = case["pattern"].as_str().unwrap();
        let shown: String = pattern.chars().take(60).collect();
        match (compile_as(pattern, syntax), case["error"].as_str()) {
            (Err(err), Some(go)) => {
                if err.to_string() != go {
                    failures.push(format!("{shown:?}: {err} instead of {go}"));
                }
                if pattern.get(err.span.clone()).is_none() {
                    failures.push(format!("{shown:?}: span {:?} off the pattern", err.span));
                }
            }
            (Err(err), None) => failures.push(format!("{shown:?}: rejected ({err}), Go accepts")),
            (Ok(_), Some(go)) => failures.push(format!("{shown:?}: accepted, Go says {go}")),
            (Ok(re), None) => {
                let matches = case["matches"].as_array().unwrap();
                assert!(matches.len() >= defaults.len());
                for m in matches {
                    let input = m["input"].as_str().unwrap();
                    let ours = indices(&re, input);
                    if ours != m["indices"] {
                        failures.push(format!(
                            "{shown:?} on {input:?}: {ours} instead of {}",
                            m["indices"]
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n{} failures",
        failures.join("\n"),
        failures.len()
    );
}

/// Go 1.22 reads `(?<name>` as `(?P<name>`; the names follow the same rule.
#[test]
fn go_1_22_named_groups() {
    let re = compile("^(?<v>[0-9]+)-(?P<w>x)$").unwrap();
    let caps = re.captures("12-x").unwrap();
    assert_eq!(&caps["v"], "12");
    assert_eq!(&caps["w"], "x");
    let err = |p: &str| compile(p).unwrap_err();
    assert_eq!(err("(?<a.b>x)").code, ErrorCode::InvalidNamedCapture);
    assert_eq!(err("(?<a.b>x)").expr, "(?<a.b>");
    // Look-behind is not supported: `(?<=a>` is read as a group name.
    assert_eq!(
        err("(?<=a)b").to_string(),
        "error parsing regexp: invalid named capture: `(?<=a)b`"
    );
    assert_eq!(err("(?<!a>b").expr, "(?<!a>");
    assert_eq!(err("(?<>a)").expr, "(?<>");
    // Too short to be a name.
    assert_eq!(err("(?<").code, ErrorCode::InvalidPerlOp);
}

#[test]
fn group_names_keep_their_go_name() {
    let re = compile("(?P<1>a)(?P<x>b)(?P<x>c)").unwrap();
    let names: Vec<_> = re.capture_names().flatten().map(go_group_name).collect();
    assert_eq!(names, ["1", "x", "x"]);
    assert_eq!(re.captures_len(), 4);
}

#[test]
fn errors_quote_go_text_and_point_at_it() {
    let err = compile("ab(c").unwrap_err();
    assert_eq!(
        err.to_string(),
        "error parsing regexp: missing closing ): `ab(c`"
    );
    let err = compile("x{2}{3}").unwrap_err();
    assert_eq!((err.code, err.span), (ErrorCode::InvalidRepeatOp, 1..7));
    let err = compile("ab\\").unwrap_err();
    assert_eq!((err.expr.as_str(), err.span), ("", 2..3));
}

proptest! {
    #[test]
    fn random_ascii_patterns_never_panic(pattern in "[ -~]{0,24}") {
        let _ = compile(&pattern);
    }

    #[test]
    fn random_regex_alphabet_never_panics(pattern in r"[\\(){}\[\]|*+?^$.:<>PpQEiImsU0-9a-z,-]{0,24}") {
        if let Err(err) = compile(&pattern) {
            prop_assert!(pattern.get(err.span.clone()).is_some());
        }
    }
}
