//! `--format json`: one object per line per finding, a stable documented shape
//! (`docs/output.md`).

use serde::Serialize;

use super::locate::locate;
use super::{Change, Finding, Sources};

#[derive(Serialize)]
struct JsonFinding<'a> {
    code: &'static str,
    rule: &'static str,
    severity: &'static str,
    file: &'a str,
    start: Position,
    end: Position,
    /// Byte range `[start, end)` in the file.
    range: [u32; 2],
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    change: Option<JsonChange<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    times: Option<&'a super::Times>,
}

/// `old`/`new` are the values (quotes and escapes resolved); `old_text`/`new_text` are the bytes
/// as written, so that `range` + `new_text` is exactly the edit `fix` makes.
#[derive(Serialize)]
struct JsonChange<'a> {
    setter: &'a str,
    old: &'a str,
    new: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    old_text: Option<&'a str>,
    new_text: &'a str,
}

impl<'a> JsonChange<'a> {
    fn new(change: &'a Change, text: Option<&'a str>) -> Self {
        let range = change.edit.range;
        Self {
            setter: &change.setter,
            old: &change.old,
            new: &change.new,
            old_text: text.and_then(|t| t.get(range.start()..range.end())),
            new_text: &change.edit.replacement,
        }
    }
}

#[derive(Serialize)]
struct Position {
    line: usize,
    column: usize,
}

pub fn render_json(findings: &[Finding], sources: &dyn Sources) -> String {
    let mut out = String::new();
    for (f, at) in findings.iter().zip(locate(findings, sources)) {
        let record = JsonFinding {
            code: f.rule.code(),
            rule: f.rule.name(),
            severity: f.severity.as_str(),
            file: &f.file,
            start: Position {
                line: at.start.line,
                column: at.start.column,
            },
            end: Position {
                line: at.end.line,
                column: at.end.column,
            },
            range: [f.range.start, f.range.end],
            message: &f.message,
            help: f.help.as_deref(),
            change: f
                .change
                .as_ref()
                .map(|c| JsonChange::new(c, sources.text(&f.file))),
            times: f.times.as_ref(),
        };
        if let Ok(line) = serde_json::to_string(&record) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}
