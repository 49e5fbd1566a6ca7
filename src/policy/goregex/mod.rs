//! Go's `regexp` syntax (RE2, as Flux compiles `filterTags.pattern` and `exclusionList`), parsed
//! exactly as Go parses it and translated to an equivalent pattern for the `regex` crate.
//!
//! The two syntaxes accept different patterns and, where both accept one, sometimes match
//! differently (`\d`, `\w`, `\s`, `\b` are ASCII in Go; `$` is `\z`; `[a&&b]` is a plain class).
//! The parser follows Go's `regexp/syntax` step by step so that it accepts and rejects the same
//! patterns with the same error; the translation spells every class out as explicit ranges, so
//! nothing is left to the `regex` crate's own reading of classes or flags.
//!
//! Three generations of Go's syntax are parsed ([`GoSyntax`]): the Go that a target Flux release
//! is built with decides which (Go 1.22 added `(?<name>`, Go 1.25 changed how `\p{...}` names are
//! looked up). Each has a test table written by that Go (`tests/goregex/gen.go`).

mod classes;
mod escape;
mod parse;
mod translate;

#[cfg(test)]
mod tests;

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use regex::Regex;

/// Go's `syntax.ErrorCode` texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ErrorCode {
    InvalidCharRange,
    InvalidEscape,
    InvalidNamedCapture,
    InvalidPerlOp,
    InvalidRepeatOp,
    InvalidRepeatSize,
    MissingBracket,
    MissingParen,
    MissingRepeatArgument,
    TrailingBackslash,
    UnexpectedParen,
    NestingDepth,
    Large,
}

impl ErrorCode {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::InvalidCharRange => "invalid character class range",
            Self::InvalidEscape => "invalid escape sequence",
            Self::InvalidNamedCapture => "invalid named capture",
            Self::InvalidPerlOp => "invalid or unsupported Perl syntax",
            Self::InvalidRepeatOp => "invalid nested repetition operator",
            Self::InvalidRepeatSize => "invalid repeat count",
            Self::MissingBracket => "missing closing ]",
            Self::MissingParen => "missing closing )",
            Self::MissingRepeatArgument => "missing argument to repetition operator",
            Self::TrailingBackslash => "trailing backslash at end of expression",
            Self::UnexpectedParen => "unexpected )",
            Self::NestingDepth => "expression nests too deeply",
            Self::Large => "expression too large",
        }
    }
}

/// A pattern Go rejects: Go's code and offending text, and where that text is in the pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GoError {
    pub(crate) code: ErrorCode,
    /// What Go quotes after the code (the whole pattern for some codes, empty for one).
    pub(crate) expr: String,
    /// Byte range in the pattern the error points at.
    pub(crate) span: Range<usize>,
}

impl GoError {
    fn at(code: ErrorCode, pattern: &str, span: Range<usize>) -> Self {
        Self {
            code,
            expr: pattern.get(span.clone()).unwrap_or_default().to_owned(),
            span,
        }
    }

    fn whole(code: ErrorCode, pattern: &str) -> Self {
        Self::at(code, pattern, 0..pattern.len())
    }
}

/// Go's `Error.Error()`, which Flux puts in its message.
impl fmt::Display for GoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "error parsing regexp: {}: `{}`",
            self.code.as_str(),
            self.expr
        )
    }
}

/// The generations of Go's regexp syntax that Flux releases were built with (the parser of
/// each Go in between parses as the generation before it); `FluxVersion::go_syntax` maps a
/// release to its generation, docs/flux-versions.md gives the sources.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum GoSyntax {
    /// Go 1.20 and 1.21 (Flux 2.0 to 2.2): no `(?<name>`.
    Go1_20,
    /// Go 1.22 to 1.24 (Flux 2.3 to 2.6): `(?<name>` as `(?P<name>`.
    Go1_22,
    /// Go 1.25 and 1.26 (Flux 2.7 to 2.9): `\p{...}` names matched loosely, more of them.
    #[default]
    Go1_25,
}

/// Compile `pattern` as Go's `regexp.Compile` would, to a `regex::Regex` that matches the same.
/// Each pattern is compiled once per run: a repository of many clusters builds the same
/// policies (and patch targets) many times. The compiled regex is shared, not cloned: a clone
/// gets a pool of match caches of its own, and a cache costs more to make than a policy's
/// matches cost to run.
pub(crate) fn compile(pattern: &str) -> Result<Arc<Regex>, GoError> {
    compile_as(pattern, GoSyntax::default())
}

/// [`compile`] with the syntax of a given Go generation.
pub(crate) fn compile_as(pattern: &str, syntax: GoSyntax) -> Result<Arc<Regex>, GoError> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock, PoisonError};
    type Compiled = Mutex<HashMap<(GoSyntax, String), Result<Arc<Regex>, GoError>>>;
    static COMPILED: OnceLock<Compiled> = OnceLock::new();
    let cache = COMPILED.get_or_init(Default::default);
    let key = (syntax, pattern.to_owned());
    if let Some(known) = cache
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
    {
        return known.clone();
    }
    let compiled = compile_uncached(pattern, syntax).map(Arc::new);
    cache
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(key, compiled.clone());
    compiled
}

fn compile_uncached(pattern: &str, syntax: GoSyntax) -> Result<Regex, GoError> {
    let tree = parse::parse(pattern, syntax)?;
    if tree.height() <= SHALLOW {
        return build(pattern, &tree);
    }
    // Go allows nesting 1000 deep; translating and compiling that recurses deeper than a
    // thread's default stack holds, so deep patterns get a thread with room for it.
    let owned = pattern.to_owned();
    std::thread::Builder::new()
        .stack_size(DEEP_STACK)
        .spawn(move || build(&owned, &tree))
        .ok()
        .and_then(|handle| handle.join().ok())
        .unwrap_or_else(|| Err(GoError::whole(ErrorCode::Large, pattern)))
}

/// Trees up to this height compile on the caller's stack.
const SHALLOW: usize = 64;
const DEEP_STACK: usize = 256 << 20;

fn build(pattern: &str, tree: &parse::Node) -> Result<Regex, GoError> {
    let translated = translate::translate(tree);
    regex::RegexBuilder::new(&translated)
        // The translation adds a group per repetition to Go's depth.
        .nest_limit(2 * parse::MAX_HEIGHT as u32 + 16)
        .build()
        // What Go accepts but the regex crate cannot hold in its size limit.
        .map_err(|_| GoError::whole(ErrorCode::Large, pattern))
}

/// Named groups keep their Go name in the `regex` crate unless the crate cannot take it (a name
/// starting with a digit, a name used twice): those become `_.N.name`, which no Go name can be.
pub(crate) fn go_group_name(translated: &str) -> &str {
    match translated.strip_prefix("_.") {
        Some(rest) => rest.split_once('.').map_or(translated, |(_, name)| name),
        None => translated,
    }
}
