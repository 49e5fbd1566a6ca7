//! Line and column of each finding, computed with one line index per file.

use super::{Finding, Sources};
use crate::text::{LineCol, LineIndex};

/// 1-based start and end of a finding (columns in characters).
#[derive(Clone, Copy, Debug)]
pub struct Located {
    pub start: LineCol,
    pub end: LineCol,
}

pub fn locate(findings: &[Finding], sources: &dyn Sources) -> Vec<Located> {
    let mut cached: Option<(&str, LineIndex)> = None;
    findings
        .iter()
        .map(|f| {
            let text = sources.text(&f.file).unwrap_or("");
            if cached.as_ref().is_none_or(|(file, _)| *file != f.file) {
                cached = Some((&f.file, LineIndex::new(text)));
            }
            let index = match &cached {
                Some((_, index)) => index,
                None => unreachable!("set above"),
            };
            Located {
                start: index.line_col(text, f.range.start()),
                end: index.line_col(text, f.range.end()),
            }
        })
        .collect()
}
