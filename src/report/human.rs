//! People's output: miette snippets underlining the exact bytes, then a summary line.

use std::fmt;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, NamedSource, SourceCode, SourceSpan, SpanContents,
};

use super::{Counts, Finding, Sources};
use crate::rules::Severity;

/// Render every finding, in order, followed by nothing: the caller prints the summary.
pub fn render_human(findings: &[Finding], sources: &(dyn Sources + Sync), color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_context_lines(CONTEXT_LINES)
        .with_width(100);
    render_with(&handler, findings, sources, true)
}

/// `cut_long_lines: false` gives miette the whole file, as a reference for tests. Findings are
/// rendered on every core (miette's layout is most of a report's cost) and joined in order.
fn render_with(
    handler: &GraphicalReportHandler,
    findings: &[Finding],
    sources: &(dyn Sources + Sync),
    cut_long_lines: bool,
) -> String {
    crate::par::map(findings, |finding| {
        render_one(handler, finding, sources, cut_long_lines)
    })
    .concat()
}

fn render_one(
    handler: &GraphicalReportHandler,
    finding: &Finding,
    sources: &(dyn Sources + Sync),
    cut_long_lines: bool,
) -> String {
    let mut out = String::new();
    let text = sources.text(&finding.file).unwrap_or("");
    let window = cut_long_lines
        .then(|| Window::around(&finding.file, text, finding.range))
        .flatten();
    let (source, span) = match window {
        Some(window) => {
            let span = window.label;
            (Source::Window(window), span)
        }
        None => (
            Source::Whole(NamedSource::new(&finding.file, text.to_owned()).with_language("yaml")),
            (finding.range.start(), finding.range.len()).into(),
        ),
    };
    let diagnostic = Rendered {
        finding,
        source,
        span,
    };
    if handler.render_report(&mut out, &diagnostic).is_err() {
        out.push_str(&format!(
            "{}: {}: {}\n",
            finding.file,
            finding.rule.code(),
            finding.message
        ));
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
    source: Source,
    /// The underlined bytes, in the coordinates of `source`.
    span: SourceSpan,
}

enum Source {
    Whole(NamedSource<String>),
    Window(Window),
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
        Some(match &self.source {
            Source::Whole(source) => source,
            Source::Window(window) => window,
        })
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            self.finding.label.clone(),
            self.span,
        ))))
    }
}

/// Lines of context the handler shows above and below the underlined line.
const CONTEXT_LINES: usize = 1;
/// Lines longer than this (in characters) are cut, so that a minified file does not print whole;
/// a marked line pinned to a digest (some 200 characters) is still shown whole.
const LONG_LINE: usize = 240;
/// Characters kept either side of the underline on a cut line (twice as many of a context line).
const WINDOW_CONTEXT: usize = 60;
/// The longest underline on a cut line, in characters.
const WINDOW_SPAN: usize = 80;
const ELLIPSIS: &str = "…";

/// The lines around a finding when one of them is long: the underlined line cut to a window around
/// the span, marked with `…` where text was left out, and its neighbours cut to their start.
/// miette reads line and column from the source it is given; the window reports the file's own.
struct Window {
    name: String,
    /// The shown text: previous line, underlined line, next line, `\n`-separated.
    text: String,
    /// Where the underlined line starts and ends in `text`.
    line_start: usize,
    line_end: usize,
    /// Whether `text` holds a previous line, a next line.
    has_prev: bool,
    has_next: bool,
    /// 0-based line and column of the span's start in the file, counted as miette counts them
    /// for the whole file, so that the header does not depend on the cut.
    line: usize,
    column: usize,
    /// The underline, in `text`.
    label: SourceSpan,
}

impl Window {
    /// `None` when every line shown is short (the whole file is given to miette, as usual) or
    /// the range does not fall on character boundaries of `text`.
    fn around(name: &str, text: &str, range: crate::text::TextRange) -> Option<Self> {
        let (start, end) = (range.start(), range.end());
        text.get(start..end)?;
        let (ls, le) = line_bounds(text, start);
        let prev = (ls > 0).then(|| line_bounds(text, ls - 1));
        let last = line_bounds(text, end.max(start));
        let next = next_line(text, last.1);
        // Everything miette would show: the span's lines and one line of context either side.
        let shown = &text[prev.map_or(ls, |p| p.0)..next.map_or(last.1, |n| n.1)];
        if !shown.split('\n').any(is_long) {
            return None;
        }
        // The underline stays on its first line; on a long line, at most WINDOW_SPAN characters.
        let end = end.min(le);
        let (end, from, to) = if is_long(&text[ls..le]) {
            let end = end.min(forward(text, start, WINDOW_SPAN));
            let from = back(text, start, WINDOW_CONTEXT).max(ls);
            (end, from, forward(text, end, WINDOW_CONTEXT).min(le))
        } else {
            (end, ls, le)
        };
        let mut shown = String::new();
        if let Some((ps, pe)) = prev {
            push_head(&mut shown, &text[ps..pe]);
            shown.push('\n');
        }
        let line_start = shown.len();
        if from > ls {
            shown.push_str(ELLIPSIS);
        }
        let label_start = shown.len() + (start - from);
        shown.push_str(&text[from..to]);
        if to < le {
            shown.push_str(ELLIPSIS);
        }
        let line_end = shown.len();
        // A line of context below the span's first line: the next line of the file.
        let below = next_line(text, le);
        if let Some((ns, ne)) = below {
            shown.push('\n');
            push_head(&mut shown, &text[ns..ne]);
        }
        let at = text
            .read_span(&(start, range.len()).into(), 0, 0)
            .map(|c| (c.line(), c.column()))
            .ok()?;
        Some(Self {
            name: name.to_owned(),
            text: shown,
            line_start,
            line_end,
            has_prev: prev.is_some(),
            has_next: below.is_some(),
            line: at.0,
            column: at.1,
            label: (label_start, end - start).into(),
        })
    }
}

impl SourceCode for Window {
    /// The window's lines, as many of the context lines as asked for; line and column as
    /// miette's own `str` source would give them (a column only without lines before).
    fn read_span<'a>(
        &'a self,
        _span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let with_prev = context_lines_before > 0 && self.has_prev;
        let with_next = context_lines_after > 0 && self.has_next;
        let from = if with_prev { 0 } else { self.line_start };
        let to = if with_next {
            self.text.len()
        } else {
            self.line_end
        };
        let column = if context_lines_before == 0 {
            self.column
        } else {
            0
        };
        let contents = MietteSpanContents::new_named(
            self.name.clone(),
            &self.text.as_bytes()[from..to],
            (from, to - from).into(),
            self.line - usize::from(with_prev),
            column,
            1 + usize::from(with_prev) + usize::from(with_next),
        )
        .with_language("yaml");
        Ok(Box::new(contents))
    }
}

fn is_long(line: &str) -> bool {
    line.len() > LONG_LINE && line.chars().count() > LONG_LINE
}

/// The line holding byte `at`, without its line break.
fn line_bounds(text: &str, at: usize) -> (usize, usize) {
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let end = if text[start..end].ends_with('\r') {
        end - 1
    } else {
        end
    };
    (start, end)
}

/// The line after the one ending at `end` (at its line break), if the file goes on.
fn next_line(text: &str, end: usize) -> Option<(usize, usize)> {
    let start = end + text[end..].find('\n')? + 1;
    (start < text.len()).then(|| line_bounds(text, start))
}

/// The byte offset `n` characters before `at` (or the start).
fn back(text: &str, at: usize, n: usize) -> usize {
    text[..at]
        .char_indices()
        .rev()
        .take(n)
        .last()
        .map_or(at, |(i, _)| i)
}

/// The byte offset `n` characters after `at` (or the end).
fn forward(text: &str, at: usize, n: usize) -> usize {
    text[at..]
        .char_indices()
        .nth(n)
        .map_or(text.len(), |(i, _)| at + i)
}

/// A context line, cut to its start when long.
fn push_head(out: &mut String, line: &str) {
    if is_long(line) {
        let cut = forward(line, 0, 2 * WINDOW_CONTEXT);
        out.push_str(&line[..cut]);
        out.push_str(ELLIPSIS);
    } else {
        out.push_str(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Rule;
    use crate::text::{LineIndex, TextRange};

    struct One(String);

    impl Sources for One {
        fn text(&self, _: &str) -> Option<&str> {
            Some(&self.0)
        }
    }

    fn finding(start: usize, end: usize) -> Finding {
        Finding::new(
            Rule::OutOfDate,
            "min.yaml",
            TextRange::new(start, end),
            "out of date",
        )
        .label("policy resolves to x")
    }

    /// The `[file:line:col]` header of a rendering.
    fn header(out: &str) -> &str {
        let start = out.find("[min.yaml:").expect("a header");
        &out[start..start + out[start..].find(']').expect("a closing bracket") + 1]
    }

    fn handler() -> GraphicalReportHandler {
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
            .with_links(false)
            .with_context_lines(CONTEXT_LINES)
            .with_width(100)
    }

    /// A minified file: 10,000 characters on line 2.
    fn minified() -> (String, usize, usize) {
        let mut text = String::from("# generated\n");
        let line_start = text.len();
        text.push_str("{images: [");
        while text.len() - line_start < 5_000 {
            text.push_str("\"ghcr.io/org/other:1.0\", ");
        }
        let start = text.len();
        text.push_str("ghcr.io/org/app:1.0.0");
        let end = text.len();
        while text.len() - line_start < 9_998 {
            text.push_str(", x");
        }
        text.truncate(line_start + 9_998);
        text.push_str("]}\n");
        assert_eq!(text[line_start..].trim_end().chars().count(), 10_000);
        (text, start, end)
    }

    #[test]
    fn a_ten_thousand_character_line_is_cut_around_the_span() {
        let (text, start, end) = minified();
        let sources = One(text.clone());
        let out = render_human(&[finding(start, end)], &sources, false);
        let at = LineIndex::new(&text).line_col(&text, start);
        assert_eq!((at.line, at.column), (2, start - 12 + 1));
        assert_eq!(header(&out), format!("[min.yaml:2:{}]", at.column), "{out}");
        for line in out.lines() {
            assert!(line.chars().count() < 240, "{} chars: {line}", line.len());
        }
        assert!(out.contains(" 2 │ …"), "{out}");
        assert!(out.contains("ghcr.io/org/app:1.0.0"), "{out}");
        assert!(out.contains(" 1 │ # generated"), "{out}");
        let underline = out.lines().find(|l| l.contains('┬')).expect("an underline");
        let marked = out.lines().find(|l| l.contains("ghcr.io/org/app")).unwrap();
        // The underline starts under the span's first character.
        let col = |l: &str, pat: &str| l[..l.find(pat).unwrap()].chars().count();
        assert_eq!(col(underline, "─"), col(marked, "ghcr.io/org/app"), "{out}");
        insta::assert_snapshot!(out);
    }

    #[test]
    fn short_lines_are_given_whole() {
        let text = "a: 1\nimage: x:1 # marker\nb: 2\n";
        assert!(Window::around("f", text, TextRange::new(12, 15)).is_none());
        // A digest-pinned line is not long.
        let text = format!(
            "a: 1\nimage: ghcr.io/org/app:1.0@sha256:{} # {{\"$imagepolicy\": \"ns:app\"}}\n",
            "a".repeat(64)
        );
        assert!(Window::around("f", &text, TextRange::new(12, 30)).is_none());
        // A long neighbour is enough to cut it, but not the underlined line when that is short.
        let text = format!("a: 1\nimage: x:1\nb: {}\n", "y".repeat(500));
        let window = Window::around("f", &text, TextRange::new(12, 15)).expect("a window");
        assert!(
            window.text.starts_with("a: 1\nimage: x:1\nb: yyy"),
            "{}",
            window.text
        );
        assert!(window.text.ends_with("yyy…"), "{}", window.text);
        assert_eq!(window.label, (12, 3).into());
    }

    #[test]
    fn the_header_does_not_depend_on_the_cut() {
        // Multi-byte characters before, in and after the span, CRLF line ends, spans at the
        // line's start and end, empty and longer than the window.
        let line: String = "é€x😀 ".repeat(150);
        let text = format!("k: v\r\n{line}\r\nz: 1\r\n");
        let sources = One(text.clone());
        let handler = handler();
        let boundaries: Vec<usize> = (6..=6 + line.len())
            .filter(|i| text.is_char_boundary(*i))
            .collect();
        for (n, &start) in boundaries.iter().enumerate().step_by(7) {
            for &end in [
                start,
                boundaries[(n + 3).min(boundaries.len() - 1)],
                6 + line.len(),
            ]
            .iter()
            .filter(|e| **e >= start)
            {
                let f = [finding(start, end)];
                let cut = render_with(&handler, &f, &sources, true);
                let whole = render_with(&handler, &f, &sources, false);
                assert_eq!(header(&cut), header(&whole), "{start}..{end}:\n{cut}");
                for l in cut.lines() {
                    assert!(l.chars().count() < 240, "{start}..{end}: {l}");
                }
            }
        }
    }

    #[test]
    fn ranges_off_char_boundaries_fall_back_to_the_whole_file() {
        let text = format!("{}é", "x".repeat(300));
        assert!(Window::around("f", &text, TextRange::new(301, 302)).is_none());
    }
}
