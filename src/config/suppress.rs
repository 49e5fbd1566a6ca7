//! Inline suppressions: `# imagelock: ignore[IL022, image-mismatch]`, or a bare
//! `# imagelock: ignore` for every rule, at the end of the line a finding starts on or on a
//! comment line directly above it. A suppression that suppresses nothing is reported
//! (`unused-suppression`), as ruff reports an unused `noqa`.

use std::collections::BTreeSet;

use crate::report::{Finding, Sources};
use crate::rules::Rule;
use crate::text::TextRange;

const DIRECTIVE: &str = "imagelock:";

/// One suppression comment.
#[derive(Debug)]
struct Suppression {
    file: String,
    /// The comment, from its `#`.
    range: TextRange,
    /// Start of its line, and whether the comment is all the line holds.
    line_start: usize,
    line_end: usize,
    own_line: bool,
    /// `None`: every rule.
    rules: Option<Vec<Rule>>,
    /// What the comment says that is not understood (an unknown rule, other words).
    problem: Option<String>,
    used: BTreeSet<Option<Rule>>,
}

/// Every suppression in the files, and which of them suppressed something.
#[derive(Debug, Default)]
pub(crate) struct Suppressions {
    list: Vec<Suppression>,
}

impl Suppressions {
    /// Find the suppressions in one file.
    pub fn scan(&mut self, file: &str, text: &str) {
        static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new(DIRECTIVE));
        if FINDER.find(text.as_bytes()).is_none() {
            return; // most files: one fast pass instead of a line-by-line one
        }
        let mut line_start = 0;
        for line in text.split_inclusive('\n') {
            if let Some(s) = parse_line(file, line, line_start) {
                self.list.push(s);
            }
            line_start += line.len();
        }
    }

    /// Drop the findings a suppression covers; the dropped ones are returned apart.
    pub fn apply(
        &mut self,
        findings: Vec<Finding>,
        sources: &dyn Sources,
    ) -> (Vec<Finding>, Vec<Finding>) {
        if self.list.is_empty() {
            return (findings, Vec::new());
        }
        let mut kept = Vec::with_capacity(findings.len());
        let mut dropped = Vec::new();
        for f in findings {
            let Some(t) = sources.text(&f.file) else {
                kept.push(f);
                continue;
            };
            let at = f.range.start().min(t.len());
            let line_start = t.as_bytes()[..at]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let hit = self.list.iter_mut().find(|s| {
                s.file == f.file
                    && (s.line_start == line_start || (s.own_line && s.line_end == line_start))
                    && s.problem.is_none()
                    && s.rules.as_ref().is_none_or(|r| r.contains(&f.rule))
            });
            match hit {
                Some(s) => {
                    s.used.insert(s.rules.as_ref().map(|_| f.rule));
                    dropped.push(f);
                }
                None => kept.push(f),
            }
        }
        (kept, dropped)
    }

    /// A finding for each suppression, or each rule of one, that suppressed nothing, in the
    /// files `reported` admits.
    pub fn unused(&self, reported: &dyn Fn(&str) -> bool) -> Vec<Finding> {
        let mut out = Vec::new();
        for s in self.list.iter().filter(|s| reported(&s.file)) {
            let message = match (&s.problem, &s.rules) {
                (Some(problem), _) => format!("this suppression is not understood: {problem}"),
                (None, None) if s.used.is_empty() => {
                    "this suppression suppresses nothing on its line".to_owned()
                }
                (None, Some(rules)) => {
                    let unused: Vec<&str> = rules
                        .iter()
                        .filter(|r| !s.used.contains(&Some(**r)))
                        .map(|r| r.code())
                        .collect();
                    if unused.is_empty() {
                        continue;
                    }
                    format!("no {} finding here to suppress", unused.join(", "))
                }
                (None, None) => continue,
            };
            out.push(
                Finding::new(Rule::UnusedSuppression, &s.file, s.range, message).help(
                    "remove it, or put it on the line the finding is on (or on a comment line directly above)",
                ),
            );
        }
        out
    }
}

/// The suppression on one line, if it has one.
fn parse_line(file: &str, line: &str, line_start: usize) -> Option<Suppression> {
    let at = line.find(DIRECTIVE)?;
    let mut hash = line[..at].rfind('#')?;
    while hash > 0 && line.as_bytes()[hash - 1] == b'#' {
        hash -= 1; // `## imagelock: …`: the comment starts at the first `#`
    }
    if !line[hash..at].trim_start_matches('#').trim().is_empty() {
        return None; // `imagelock:` in the middle of some other comment's prose
    }
    let body = line[at + DIRECTIVE.len()..].trim_end_matches(['\n', '\r']);
    let end = line_start + line.trim_end_matches(['\n', '\r']).len();
    let mut s = Suppression {
        file: file.to_owned(),
        range: TextRange::new(line_start + hash, end),
        line_start,
        line_end: line_start + line.len(),
        own_line: line[..hash].trim().is_empty(),
        rules: None,
        problem: None,
        used: BTreeSet::new(),
    };
    let body = body.trim();
    let Some(rest) = body.strip_prefix("ignore") else {
        s.problem = Some(format!(
            "expected `ignore` or `ignore[CODE, …]`, found `{body}`"
        ));
        return Some(s);
    };
    let rest = rest.trim();
    if rest.is_empty() {
        return Some(s);
    }
    let Some(list) = rest.strip_prefix('[').and_then(|r| r.strip_suffix(']')) else {
        s.problem = Some(format!(
            "expected `[CODE, …]` after `ignore`, found `{rest}`"
        ));
        return Some(s);
    };
    let mut rules = Vec::new();
    for name in list.split([',', ' ']).filter(|n| !n.is_empty()) {
        match Rule::find(name) {
            Some(rule) => rules.push(rule),
            None => {
                s.problem = Some(format!("`{name}` is not a rule"));
                return Some(s);
            }
        }
    }
    s.rules = Some(rules);
    Some(s)
}
