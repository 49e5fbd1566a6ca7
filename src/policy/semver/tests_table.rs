//! Table-driven tests: every row of flux-semantics.md §5.2 (Masterminds column), and
//! Masterminds' own `TestConstraintsCheck` / `TestConstraintCheck` tables.

use super::{Range, Version};

/// `(range, version, expected)`. `None` means the range must fail to parse.
type Row = (&'static str, &'static str, Option<bool>);

/// §5.2, one entry per (constraint, version) pair; rows with `a / b` are split.
const SPEC_5_2: &[Row] = &[
    ("=2.0", "2.0.1", Some(true)),
    ("4.1", "4.1.0", Some(true)),
    ("1.2.3", "1.9.0", Some(false)),
    ("1.2", "1.9.0", Some(false)),
    ("!=4.1", "4.1.1", Some(false)),
    ("!=4.1-alpha", "4.1.0", Some(true)),
    ("!=4.x", "4.1.0", Some(false)),
    ("<11", "11.1.0", Some(false)),
    ("<1.1", "1.1.1", Some(false)),
    ("<=11", "11.2.3", Some(true)),
    ("<=1.2", "1.2.99", Some(true)),
    (">1.1", "1.1.0", Some(false)),
    (">1.2", "1.2.9", Some(false)),
    (">11.1", "11.2.1", Some(true)),
    (">11", "11.9.9", Some(false)),
    (">=11.1", "11.0.2", Some(false)),
    (">0", "0.0.1-alpha", Some(false)),
    (">0.0.0-0", "0.0.0-alpha", Some(true)),
    (">=0-0", "0.0.1-alpha", Some(true)),
    ("<0-z", "0.0.0-alpha", Some(true)),
    ("*", "1.2.3-alpha.1", Some(false)),
    ("*-0", "1.2.3-alpha.1", Some(true)),
    (">=0.0.0-0", "1.2.3-alpha", Some(true)),
    ("", "1", None),
    ("2.*", "3.4.5", Some(false)),
    ("2.1.*", "2.1.1", Some(true)),
    ("~1.2.3", "1.3.4", Some(false)),
    ("~1", "2.3.4", Some(false)),
    ("~1.2.3-beta.2", "1.2.4-beta.2", Some(true)),
    ("~1.1", "1.1.1-alpha", Some(false)),
    ("~1.1.1-beta", "1.1.1-alpha", Some(false)),
    ("~>1.2", "1.2.5", Some(true)),
    ("^1.2.3", "1.2.1", Some(false)),
    ("^1.2.0", "1.2.1-alpha.1", Some(false)),
    ("^1.2.0-alpha.0", "1.2.1-alpha.1", Some(true)),
    ("^1.2.0-alpha.2", "1.2.0-alpha.1", Some(false)),
    ("^1.2.3-beta.2", "1.3.0-alpha", Some(true)),
    ("^0.0.3", "0.0.4", Some(false)),
    ("^0.2.3-beta.2", "0.2.4-beta.2", Some(true)),
    ("^0.0.0", "1.2.3", Some(false)),
    ("^1.x", "1.1.1-beta1", Some(false)),
    ("^*", "1.0.0", Some(false)),
    (">*", "1.0.0", Some(true)),
    ("!=*", "1.0.0", Some(true)),
    ("<*", "1.0.0", Some(false)),
    ("1.x", "1.4", Some(true)),
    ("<1.1.x", "1.1.500", Some(false)),
    ("<=1.1-a", "0.1.0-alpha", Some(true)),
    (">=1.1", "4.1.0-beta", Some(false)),
    (">1.1, <2", "1.2.1", Some(true)),
    (">1.1 <2", "1.2.1", Some(true)),
    (">=1.1, <2, !=1.2.3", "1.2.3", Some(false)),
    (">=1.1, <2, !=1.2.3 || > 3", "4.1.2", Some(true)),
    (">= 1.0.0  <= 2.0.0-beta", "1.0.1-beta", Some(true)),
    (">= 1.0.0  <= 2.0.0-beta || > 3", "3.0.1-beta", Some(false)),
    (">= 1.0.0-0  <= 2.0.0", "1.0.1-beta", Some(true)),
    (">=1.0.0-0 <2.0.0", "2.0.0-rc.1", Some(true)),
    (">=1.0.0 <2.0.0-0", "1.9.9-rc.1", Some(true)),
    ("1.1 - 2", "1.1.1", Some(true)),
    ("1.5.0 - 4.5", "3.7.0", Some(true)),
    ("1.1-3", "4.3.2", Some(false)),
    ("1.0.0 - 2.0.0, <=2.0.0", "1.5.0", Some(true)),
    (">=v1.0.0", "1.0.0", Some(true)),
    ("v1.2.x", "1.2.7", Some(true)),
    ("01.2.3", "1.2.3", Some(true)),
    ("3.12.*", "3.12.0-1", Some(false)),
    (">=2.0.300-0", "2.0.330-63-gc1cfb6864", Some(true)),
    (">=1.0.0-rc9", "1.0.0-rc10", Some(false)),
    (">=1.0.0-rc.9", "1.0.0-rc.10", Some(true)),
];

/// Masterminds `TestConstraintsCheck` (through `NewConstraint`).
const MASTERMINDS_CONSTRAINTS_CHECK: &[Row] = &[
    ("*", "1.2.3", Some(true)),
    ("~0.0.0", "1.2.3", Some(true)),
    ("0.x.x", "1.2.3", Some(false)),
    ("0.0.x", "1.2.3", Some(false)),
    ("0.0.0", "1.2.3", Some(false)),
    ("^0.0.0", "1.2.3", Some(false)),
    ("= 2.0", "1.2.3", Some(false)),
    ("= 2.0", "2.0.0", Some(true)),
    ("4.1.x", "4.1.3", Some(true)),
    ("!=4.1", "4.1.0", Some(false)),
    ("!=4.1-alpha", "4.1.0-alpha", Some(false)),
    ("!=4.1-alpha", "4.1.1-alpha", Some(false)),
    ("!=4.1", "5.1.0", Some(true)),
    ("!=4.x", "5.1.0", Some(true)),
    ("!=4.1.x", "4.2.0", Some(true)),
    ("!=4.2.x", "4.2.3", Some(false)),
    (">1.1", "4.1.0", Some(true)),
    ("<1.1", "0.1.0", Some(true)),
    ("<1.1", "1.1.0", Some(false)),
    ("<1.x", "1.1.1", Some(false)),
    ("<1.x", "0.1.1", Some(true)),
    ("<1.x", "2.0.0", Some(false)),
    ("<1.1.x", "1.2.1", Some(false)),
    ("<1.1.x", "1.0.500", Some(true)),
    ("<1.2.x", "1.1.1", Some(true)),
    (">=1.1", "4.1.0", Some(true)),
    (">=1.1", "1.1.0", Some(true)),
    (">=1.1", "0.0.9", Some(false)),
    ("<=1.1", "0.1.0", Some(true)),
    ("<=1.1", "0.1.0-alpha", Some(false)),
    ("<=1.1", "1.1.0", Some(true)),
    ("<=1.x", "1.1.0", Some(true)),
    ("<=2.x", "3.0.0", Some(false)),
    ("<=1.1", "1.1.1", Some(true)),
    ("<=1.1.x", "1.2.500", Some(false)),
    ("<=4.5", "3.4.0", Some(true)),
    ("<=4.5", "3.7.0", Some(true)),
    ("<=4.5", "4.6.3", Some(false)),
    (">1.1, <2", "1.1.1", Some(false)),
    (">1.1, <3", "4.3.2", Some(false)),
    (">1.1 <2", "1.1.1", Some(false)),
    (">1.1    <3", "4.3.2", Some(false)),
    (">=1.1    <2    !=1.2.3", "1.2.3", Some(false)),
    (">=1.1, <2, !=1.2.3 || > 3", "3.1.2", Some(false)),
    (">=1.1, <2, !=1.2.3 || >= 3", "3.0.0", Some(true)),
    (">=1.1, <2, !=1.2.3 || > 3", "3.0.0", Some(false)),
    (">=1.1, <2, !=1.2.3 || > 3", "1.2.3", Some(false)),
    (">=1.1 <2 !=1.2.3 || > 3", "4.1.2", Some(true)),
    (">=1.1 <2 !=1.2.3 || >= 3", "3.0.0", Some(true)),
    ("> 1.1, <     2", "1.1.1", Some(false)),
    (">   1.1, <2", "1.2.1", Some(true)),
    (">= 1.1, <     2, !=1.2.3", "1.2.3", Some(false)),
    ("> 1.1 < 2", "1.1.1", Some(false)),
    (">1.1 < 2", "1.2.1", Some(true)),
    (">=1.1    < 2    != 1.2.3", "1.2.3", Some(false)),
    (">= 1.1, <2, != 1.2.3 || > 3", "3.1.2", Some(false)),
    (">= 1.1 <2 != 1.2.3 || >= 3", "3.0.0", Some(true)),
    (">= 1.1 < 2 !=1.2.3 || > 3", "3.0.0", Some(false)),
    ("^1.1", "1.1.1", Some(true)),
    ("^1.1", "4.3.2", Some(false)),
    ("^1.x", "1.1.1", Some(true)),
    ("^2.x", "1.1.1", Some(false)),
    ("^1.x", "2.1.1", Some(false)),
    ("^1.1.2-alpha", "1.2.1-beta1", Some(true)),
    ("^1.2.x-alpha", "1.1.1-beta1", Some(false)),
    ("^0.0.1", "0.0.1", Some(true)),
    ("^0.0.1", "0.3.1", Some(false)),
    ("~*", "2.1.1", Some(true)),
    ("~1", "2.1.1", Some(false)),
    ("~1", "1.3.5", Some(true)),
    ("~1", "1.4", Some(true)),
    ("~1", "1.3.5-beta", Some(false)),
    ("~1.x", "2.1.1", Some(false)),
    ("~1.x", "1.3.5", Some(true)),
    ("~1.x", "1.4", Some(true)),
    ("~1.1", "1.1.1", Some(true)),
    ("~1.1-alpha", "1.1.1-beta", Some(true)),
    ("~1.1.1-beta", "1.1.1", Some(true)),
    ("~1.3.6-alpha", "1.3.5-beta", Some(false)),
    ("~1.3.5-alpha", "1.3.5-beta", Some(true)),
    ("~1.3.5-beta", "1.3.5-alpha", Some(false)),
    ("~1.2.3", "1.2.5", Some(true)),
    ("~1.2.3", "1.2.2", Some(false)),
    ("~1.2.3", "1.3.2", Some(false)),
    ("~1.1", "1.2.3", Some(false)),
    ("~1.3", "2.4.5", Some(false)),
];

/// Masterminds `TestConstraintCheck` (single constraints; the bare-parser rows for the
/// empty string are left out because `NewConstraint("")` is an error).
const MASTERMINDS_CONSTRAINT_CHECK: &[Row] = &[
    ("=2.0.0", "1.2.3", Some(false)),
    ("=2.0.0", "2.0.0", Some(true)),
    ("=2.0", "1.2.3", Some(false)),
    ("=2.0", "2.0.0", Some(true)),
    ("!=4.1.0", "4.1.0", Some(false)),
    ("!=4.1.0", "4.1.1", Some(true)),
    ("!=4.1", "5.1.0-alpha.1", Some(false)),
    ("<11", "0.1.0", Some(true)),
    ("<1.1", "0.1.0", Some(true)),
    ("<=11", "1.2.3", Some(true)),
    ("<=11", "12.2.3", Some(false)),
    ("<=1.1", "1.2.3", Some(false)),
    (">0", "0", Some(false)),
    (">0", "1", Some(true)),
    (">0.0", "0.0.1-alpha", Some(false)),
    (">0-0", "0.0.1-alpha", Some(false)),
    (">0.0-0", "0.0.1-alpha", Some(false)),
    (">0", "0.0.0-alpha", Some(false)),
    (">0-0", "0.0.0-alpha", Some(false)),
    (">1.2.3-alpha.1", "1.2.3-alpha.2", Some(true)),
    (">1.2.3-alpha.1", "1.3.3-alpha.2", Some(true)),
    (">11.1", "11.1.0", Some(false)),
    (">11.1", "11.1.1", Some(false)),
    (">=11", "11.1.2", Some(true)),
    (">=11.1", "11.1.2", Some(true)),
    (">=0", "0.0.1-alpha", Some(false)),
    (">=0.0", "0.0.1-alpha", Some(false)),
    (">=0.0-0", "0.0.1-alpha", Some(true)),
    (">=0", "0.0.0-alpha", Some(false)),
    (">=0-0", "0.0.0-alpha", Some(true)),
    (">=0.0.0-0", "0.0.0-alpha", Some(true)),
    (">=0.0.0-0", "1.2.3", Some(true)),
    (">=0.0.0-0", "3.4.5-beta.1", Some(true)),
    ("<0", "0.0.0-alpha", Some(false)),
    (">=0", "0", Some(true)),
    ("=0", "1", Some(false)),
    ("*", "1", Some(true)),
    ("*", "4.5.6", Some(true)),
    ("2.*", "1", Some(false)),
    ("2.*", "2.1.1", Some(true)),
    ("2.1.*", "2.2.1", Some(false)),
    ("2", "1", Some(false)),
    ("2", "3.4.5", Some(false)),
    ("2", "2.1.1", Some(true)),
    ("2.1", "2.1.1", Some(true)),
    ("2.1", "2.2.1", Some(false)),
    ("~1.2.3", "1.2.4", Some(true)),
    ("~1.2", "1.2.4", Some(true)),
    ("~1.2", "1.3.4", Some(false)),
    ("~1", "1.2.4", Some(true)),
    ("~0.2.3", "0.2.5", Some(true)),
    ("~0.2.3", "0.3.5", Some(false)),
    ("~1.2.3-beta.2", "1.2.3-beta.4", Some(true)),
    ("~1.2.3-beta.2", "1.3.4-beta.2", Some(false)),
    ("^1.2.3", "1.8.9", Some(true)),
    ("^1.2.3", "2.8.9", Some(false)),
    ("^1.1.0", "2.1.0", Some(false)),
    ("^1.2.0", "2.2.1", Some(false)),
    ("^1.2.0-alpha.0", "1.2.1-alpha.0", Some(true)),
    ("^1.2", "1.8.9", Some(true)),
    ("^1.2", "2.8.9", Some(false)),
    ("^1", "1.8.9", Some(true)),
    ("^1", "2.8.9", Some(false)),
    ("^0.2.3", "0.2.5", Some(true)),
    ("^0.2.3", "0.5.6", Some(false)),
    ("^0.2", "0.2.5", Some(true)),
    ("^0.2", "0.5.6", Some(false)),
    ("^0.0.3", "0.0.3", Some(true)),
    ("^0.0", "0.0.3", Some(true)),
    ("^0.0", "0.1.4", Some(false)),
    ("^0.0", "1.0.4", Some(false)),
    ("^0", "0.2.3", Some(true)),
    ("^0", "1.1.4", Some(false)),
    ("^0.2.3-beta.2", "0.2.3-beta.4", Some(true)),
    ("^0.2.3-beta.2", "0.3.4-beta.2", Some(false)),
    ("^0.2.3-beta.2", "0.2.3-beta.2", Some(true)),
];

fn run_table(name: &str, rows: &[Row]) {
    let mut failures = Vec::new();
    for (n, &(range, version, expected)) in rows.iter().enumerate() {
        let row = format!("{name} row {}: `{range}` vs `{version}`", n + 1);
        let v = match Version::parse(version) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{row}: version does not parse: {e}"));
                continue;
            }
        };
        match (Range::parse(range), expected) {
            (Ok(r), Some(want)) => {
                let got = r.matches(&v);
                if got != want {
                    failures.push(format!("{row}: expected {want}, got {got}"));
                }
            }
            (Ok(_), None) => failures.push(format!("{row}: expected a parse error")),
            (Err(e), Some(_)) => failures.push(format!("{row}: unexpected error: {e}")),
            (Err(_), None) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn spec_5_2_masterminds_column() {
    run_table("§5.2", SPEC_5_2);
}

#[test]
fn masterminds_constraints_check_table() {
    run_table("TestConstraintsCheck", MASTERMINDS_CONSTRAINTS_CHECK);
}

#[test]
fn masterminds_constraint_check_table() {
    run_table("TestConstraintCheck", MASTERMINDS_CONSTRAINT_CHECK);
}
