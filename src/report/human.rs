//! People's output: miette snippets underlining the exact bytes, then a summary line.

use std::fmt;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode,
};

use super::{Counts, Finding, Sources};
use crate::rules::Severity;

/// Render every finding, in order, followed by nothing: the caller prints the summary.
pub fn render_human(findings: &[Finding], sources: &dyn Sources, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_context_lines(1)
        .with_width(100);
    let mut out = String::new();
    for finding in findings {
        let text = sources.text(&finding.file).unwrap_or("");
        let diagnostic = Rendered {
            finding,
            source: NamedSource::new(&finding.file, text.to_owned()).with_language("yaml"),
        };
        if handler.render_report(&mut out, &diagnostic).is_err() {
            out.push_str(&format!(
                "{}: {}: {}\n",
                finding.file,
                finding.rule.code(),
                finding.message
            ));
        }
    }
    out
}

/// "2 errors, 3 out of date in 4 files — run `imagelock fix`".
pub fn summary_line(counts: Counts, fixable: bool) -> String {
    if counts == Counts::default() {
        return "all markers in sync, nothing found".to_owned();
    }
    let mut parts = Vec::new();
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    if counts.errors > 0 {
        parts.push(plural(counts.errors, "error", "errors"));
    }
    if counts.warnings > 0 {
        parts.push(plural(counts.warnings, "warning", "warnings"));
    }
    if counts.out_of_date > 0 {
        parts.push(format!("{} out of date", counts.out_of_date));
    }
    let mut line = format!(
        "{} in {}",
        parts.join(", "),
        plural(counts.files, "file", "files")
    );
    if fixable && counts.out_of_date > 0 {
        line.push_str(" — run `imagelock fix`");
    }
    line
}

struct Rendered<'a> {
    finding: &'a Finding,
    source: NamedSource<String>,
}

impl fmt::Debug for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rendered")
            .field("finding", self.finding)
            .finish()
    }
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.finding.message)
    }
}

impl std::error::Error for Rendered<'_> {}

impl Diagnostic for Rendered<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(format!(
            "{}({})",
            self.finding.rule.code(),
            self.finding.rule.name()
        )))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.finding
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let r = self.finding.range;
        Some(Box::new(std::iter::once(LabeledSpan::new(
            self.finding.label.clone(),
            r.start(),
            r.len(),
        ))))
    }
}
