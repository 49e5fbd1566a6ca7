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
    change: Option<&'a Change>,
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
            change: f.change.as_ref(),
        };
        if let Ok(line) = serde_json::to_string(&record) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}
