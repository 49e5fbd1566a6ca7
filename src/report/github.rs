//! `--format github`: GitHub Actions workflow commands, one per finding, so findings show as
//! annotations on the pull request's lines.

use std::fmt::Write as _;

use super::locate::locate;
use super::{Finding, Sources};
use crate::rules::Severity;

pub fn render_github(findings: &[Finding], sources: &dyn Sources) -> String {
    let mut out = String::new();
    for (f, at) in findings.iter().zip(locate(findings, sources)) {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut message = f.message.clone();
        if let Some(help) = &f.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        let _ = writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            escape_property(&f.file),
            at.start.line,
            at.start.column,
            at.end.line,
            at.end.column,
            escape_property(&format!("{} {}", f.rule.code(), f.rule.name())),
            escape_data(&message),
        );
    }
    out
}

/// The message part: `%`, CR and LF are encoded (as the Actions toolkit does).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value: additionally `:` and `,`, which separate properties.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_actions_toolkit() {
        assert_eq!(
            escape_data("100% done\r\nnext: a, b"),
            "100%25 done%0D%0Anext: a, b"
        );
        assert_eq!(escape_property("a:b,c%d\ne"), "a%3Ab%2Cc%25d%0Ae");
    }
}
