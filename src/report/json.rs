//! `--format json`: one object per line per finding, a stable documented shape.

use serde::Serialize;

use super::{Change, Finding, Sources};
use crate::text::LineIndex;

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
    let mut cached: Option<(&str, LineIndex)> = None;
    for f in findings {
        let text = sources.text(&f.file).unwrap_or("");
        if cached.as_ref().is_none_or(|(file, _)| *file != f.file) {
            cached = Some((&f.file, LineIndex::new(text)));
        }
        let Some((_, index)) = cached.as_ref() else {
            continue;
        };
        let start = index.line_col(text, f.range.start());
        let end = index.line_col(text, f.range.end());
        let record = JsonFinding {
            code: f.rule.code(),
            rule: f.rule.name(),
            severity: f.severity.as_str(),
            file: &f.file,
            start: Position {
                line: start.line,
                column: start.column,
            },
            end: Position {
                line: end.line,
                column: end.column,
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
