//! A subset of Go's `text/template`, enough to render the commit messages Flux's
//! image-automation-controller writes from `spec.git.commit.messageTemplate`.
//!
//! Supported: text and actions with `{{-`/`-}}` trimming and `{{/* comments */}}`; field chains
//! on dot, variables and parenthesised pipelines (struct fields, argument-less methods such as
//! `.Changed.Changes`, and string-map keys such as `.Values.cluster`); pipelines with `|`;
//! variables (`$x := …`, `$x = …`, `$`); `if`/`else if`/`else`, `with`/`else with`/`else`,
//! `range` over slices, maps (in Go's sorted key order) and integers, with `$k, $v :=`, `else`,
//! `break` and `continue`; string, integer, boolean constants; Go's `and or not len index print
//! printf println eq ne lt le gt ge` and a few of sprig's string functions (see `funcs.rs`).
//!
//! Everything else is an error naming the construct — never a guess: `define`/`template`/`block`,
//! floating-point and character constants, other functions, `printf` verbs other than
//! `%v %s %d %q %t`, and printing a value whose text differs between Flux releases.

mod exec;
pub mod flux;
mod funcs;
mod lex;
mod parse;
mod value;

use miette::Diagnostic;
use thiserror::Error;

pub use value::Value;

/// Rendering stops past this many bytes of output.
pub const MAX_OUTPUT: usize = 1 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The template is malformed, or uses a construct imagelock does not render.
    Parse,
    /// The template failed while running over its data.
    Execute,
}

/// Why a template could not be rendered, at a line and column of the template.
#[derive(Clone, Debug, Error, Diagnostic)]
#[error("template {}: line {line}, column {column}: {message}", match kind { ErrorKind::Parse => "error", ErrorKind::Execute => "failed" })]
#[diagnostic(code(imagelock::template))]
pub struct TemplateError {
    pub kind: ErrorKind,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl TemplateError {
    pub(crate) fn at(kind: ErrorKind, src: &str, pos: usize, message: impl Into<String>) -> Self {
        let pos = pos.min(src.len());
        let before = src.get(..pos).unwrap_or(src);
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Self {
            kind,
            line,
            column,
            message: message.into(),
        }
    }
}

/// A parsed template.
#[derive(Clone, Debug)]
pub struct Template {
    src: String,
    nodes: Vec<parse::Node>,
}

impl Template {
    /// Parse `src`, with the checks Go makes at parse time (functions, variables, structure).
    pub fn parse(src: &str) -> Result<Self, TemplateError> {
        let pieces = lex::lex(src)?;
        let nodes = parse::parse(src, pieces)?;
        Ok(Self {
            src: src.to_owned(),
            nodes,
        })
    }

    /// Execute over `data` (the value of `.` and `$`).
    pub fn render(&self, data: &Value) -> Result<String, TemplateError> {
        let mut exec = exec::Exec::new(&self.src, data);
        exec.run(&self.nodes, data)?;
        Ok(exec.out)
    }
}

/// Parse and render in one step.
#[cfg(test)]
pub fn render(src: &str, data: &Value) -> Result<String, TemplateError> {
    Template::parse(src)?.render(data)
}

#[cfg(test)]
mod tests;
