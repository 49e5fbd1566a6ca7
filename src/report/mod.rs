//! Findings as data, and one renderer per output format.

mod github;
mod human;
mod json;
mod locate;
mod sarif;

use serde::Serialize;

use crate::fix::Edit;
use crate::rules::{Rule, Severity};
use crate::text::TextRange;

pub use github::render_github;
pub use human::{render_human, summary_line};
pub use json::render_json;
pub use sarif::render_sarif;

/// One problem, at one place in one file.
#[derive(Clone, Debug)]
pub struct Finding {
    pub rule: Rule,
    pub severity: Severity,
    /// Repository-relative path of the file the range points into.
    pub file: String,
    pub range: TextRange,
    pub message: String,
    /// A short text under the underlined bytes.
    pub label: Option<String>,
    pub help: Option<String>,
    /// For `out-of-date`: the value now, the value the policy resolves to, and the edit.
    pub change: Option<Change>,
    /// For a cooldown finding (`too-young`): the times it was judged by.
    pub times: Option<Times>,
}

/// When a tag was first seen and when its policy's cooldown lets it in, as JSON and SARIF
/// carry them.
#[derive(Clone, Debug, Serialize)]
pub struct Times {
    pub first_seen: Option<crate::lock::Timestamp>,
    pub eligible_from: Option<crate::lock::Timestamp>,
    pub min_age: String,
    /// The lock's `refreshed` time, against which ages are measured.
    pub now: Option<crate::lock::Timestamp>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Change {
    pub setter: String,
    pub old: String,
    pub new: String,
    #[serde(skip)]
    pub edit: Edit,
}

impl Finding {
    pub fn new(rule: Rule, file: &str, range: TextRange, message: impl Into<String>) -> Self {
        Self {
            rule,
            severity: rule.severity(),
            file: file.to_owned(),
            range,
            message: message.into(),
            label: None,
            help: None,
            change: None,
            times: None,
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn times(mut self, times: Times) -> Self {
        self.times = Some(times);
        self
    }

    pub fn change(mut self, change: Change) -> Self {
        self.change = Some(change);
        self
    }
}

/// Where renderers find each file's text.
pub trait Sources {
    fn text(&self, file: &str) -> Option<&str>;
}

/// Sort for output: by file, then position, then rule.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (a.file.as_str(), a.range.start, a.rule).cmp(&(b.file.as_str(), b.range.start, b.rule))
    });
}

/// Counts for the summary line and the exit code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
    pub out_of_date: usize,
    pub files: usize,
}

impl Counts {
    pub fn of(findings: &[Finding]) -> Self {
        let mut files: Vec<&str> = findings.iter().map(|f| f.file.as_str()).collect();
        files.sort_unstable();
        files.dedup();
        let mut c = Counts {
            files: files.len(),
            ..Counts::default()
        };
        for f in findings {
            if f.rule == Rule::OutOfDate && f.severity == Severity::Error {
                c.out_of_date += 1;
            } else if f.severity == Severity::Error {
                c.errors += 1;
            } else {
                c.warnings += 1;
            }
        }
        c
    }

    pub fn failed(self) -> bool {
        self.errors + self.out_of_date > 0
    }
}
