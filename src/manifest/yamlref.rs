//! The differential test against Flux's reader: `testdata/yamlref/table.json`, written by
//! `tests/yamlref/gen.go` with yaml.v3 and kyaml's reading rules, holds for every input whether
//! Flux can read it and which values it would set (position, setter, old value). Each input is
//! parsed here and compared. The inputs that still read differently are listed, by a hash of
//! their text, in `testdata/yamlref/known-differences.txt`: the test fails when a listed input
//! agrees (shrink the list) as much as when an unlisted one differs.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Deserialize;

use super::{parse, Attachment, Manifest};

const TABLE: &str = include_str!("../../testdata/yamlref/table.json");
const KNOWN: &str = include_str!("../../testdata/yamlref/known-differences.txt");

#[derive(Deserialize)]
struct Table {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    source: String,
    input: String,
    error: Option<String>,
    markers: Option<Vec<Set>>,
}

/// A value Flux sets: where yaml.v3 places the node (1-based line and column in characters, at
/// its anchor or tag when it has one), the setter and the value before.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
struct Set {
    line: usize,
    col: usize,
    setter: String,
    value: String,
}

/// FNV-1a of the input: a stable name for a case that does not depend on the table's order.
fn case_id(input: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in input.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// 1-based line and column (characters) of byte `pos`, as yaml.v3 counts them: the BOM that
/// starts the file or a `---` piece (each a stream of its own) is not counted, any other is.
fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let before = &text[..pos];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let mut piece_starts = vec![0];
    let mut from = 0;
    while let Some(found) = text[from..].find("\n---") {
        let Some(eol) = text[from + found + 4..].find('\n') else {
            break;
        };
        from = from + found + 4 + eol + 1;
        piece_starts.push(from);
    }
    let mut rest = &before[line_start..];
    if piece_starts.contains(&line_start) {
        rest = rest.strip_prefix('\u{feff}').unwrap_or(rest);
    }
    (line, rest.chars().count() + 1)
}

/// Where yaml.v3 places a node: at its properties (`&a`, `!t`) when it has any.
fn node_start(text: &str, start: usize, has_props: bool) -> usize {
    if !has_props {
        return start;
    }
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let mut at = start;
    loop {
        let before = text[line_start..at].trim_end_matches([' ', '\t']);
        let word_start = before
            .rfind([' ', '\t', '[', '{', ','])
            .map_or(0, |i| i + 1);
        let word = &before[word_start..];
        if word.starts_with('&') || word.starts_with('!') {
            at = line_start + word_start;
        } else {
            return at;
        }
    }
}

/// Flux's marker: the comment text without its leading `#`s, a JSON object of strings (Go reads
/// a null as the empty string) with a non-empty `$imagepolicy`.
fn setter_of(text: &str) -> Option<String> {
    let map: std::collections::HashMap<String, Option<String>> =
        serde_json::from_str(text.trim_start_matches('#')).ok()?;
    map.get("$imagepolicy")
        .cloned()
        .flatten()
        .filter(|s| !s.is_empty())
}

fn sets(text: &str, manifest: &Manifest) -> Vec<Set> {
    let mut out = BTreeSet::new();
    for m in &manifest.markers {
        let Attachment::Scalar(i) = m.attachment else {
            continue;
        };
        let Some(setter) = setter_of(&m.text) else {
            continue;
        };
        let Some(scalar) = manifest.documents[m.document].scalars.get(i) else {
            continue;
        };
        let start = node_start(
            text,
            scalar.range.start(),
            scalar.anchor || scalar.tag.is_some(),
        );
        let (line, col) = line_col(text, start);
        out.insert(Set {
            line,
            col,
            setter,
            value: scalar.value.clone(),
        });
    }
    out.into_iter().collect()
}

#[test]
fn reads_every_input_as_flux_does() {
    let table: Table = serde_json::from_str(TABLE).unwrap();
    assert!(table.cases.len() >= 1_900, "{}", table.cases.len());
    let known: BTreeSet<&str> = KNOWN
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|l| !l.starts_with('#'))
        .collect();
    let mut differ = BTreeSet::new();
    let mut report = String::new();
    for case in &table.cases {
        let ours = parse(&case.input);
        let verdict = match (&ours, &case.error) {
            (Ok(_), Some(flux)) => Some(format!("imagelock reads it, Flux cannot: {flux}")),
            (Err(e), None) => Some(format!("Flux reads it, imagelock cannot: {}", e.message)),
            (Ok(m), None) => {
                let ours = sets(&case.input, m);
                let flux = case.markers.clone().unwrap_or_default();
                (ours != flux).then(|| format!("sets differ: imagelock {ours:?}, Flux {flux:?}"))
            }
            (Err(_), Some(_)) => None,
        };
        if let Some(why) = verdict {
            let id = case_id(&case.input);
            if !known.contains(id.as_str()) {
                let _ = writeln!(report, "{id} {} {:?}\n    {why}", case.source, case.input);
            }
            differ.insert(id);
        }
    }
    let fixed: Vec<&&str> = known.iter().filter(|id| !differ.contains(**id)).collect();
    let agree = table.cases.len() - differ.len();
    assert!(
        report.is_empty() && fixed.is_empty(),
        "{agree}/{} agree\nnew differences:\n{report}\nlisted but now agreeing (remove them \
         from known-differences.txt): {fixed:?}",
        table.cases.len()
    );
}
