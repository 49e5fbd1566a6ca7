//! Range errors as data, and the hand-written scan that pinpoints what is wrong with an
//! AND group the Masterminds grammar rejected. The scan only chooses the message and the
//! span; whether a range is accepted is decided by the Masterminds regexes alone.

use super::grammar::is_ws;
use crate::text::TextRange;

/// What kind of mistake a range has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RangeErrorKind {
    /// The range is empty or only whitespace.
    Empty,
    /// An `||` alternative is empty (`1.x ||`, `|| 2.x`).
    EmptyGroup,
    /// An operator with no version after it (`>`, `> = 1`).
    MissingVersion,
    /// Text that is not a constraint (`foo`, `1.2.3.4`, `1.0 ~ 2`, stray commas).
    InvalidConstraint,
    /// The version part of a constraint is not a version (`1x`, `1.2.3-01`, overflow).
    InvalidVersion,
    /// Longer than Masterminds' 512-byte limit.
    TooLong,
    /// More than Masterminds' 32 `||` alternatives.
    TooManyGroups,
}

const SYNTAX_HELP: &str = "Masterminds ranges look like `>=1.2.0 <2.0.0`, `^1.2`, `~1.2.3`, \
    `1.2.x`, `1.0 - 2.0` or `>=1.0.0-0` (which also admits prereleases); \
    spaces or commas mean AND, `||` means OR";

/// An invalid `spec.policy.semver.range`: a kind, and a byte span into the range text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{message}")]
#[diagnostic(code(imagelock::semver_range))]
pub struct RangeError {
    pub kind: RangeErrorKind,
    /// Byte span into [`RangeError::range`] of the offending part.
    #[label("{label}")]
    pub span: TextRange,
    /// The full message, e.g. "invalid semver range: `> = 1` has no version after the
    /// operator `>`".
    pub message: String,
    label: &'static str,
    #[help]
    pub help: Option<String>,
    /// The range text the span points into (attach it as source code where it is shown alone).
    pub range: String,
}

impl RangeError {
    pub(super) fn new(range: &str, kind: RangeErrorKind, span: TextRange, detail: String) -> Self {
        let snippet = range.get(span.as_range()).unwrap_or(range);
        let message = match kind {
            RangeErrorKind::Empty => format!("invalid semver range: the range {detail}"),
            RangeErrorKind::EmptyGroup => {
                format!("invalid semver range: `{range}` {detail}")
            }
            _ => format!("invalid semver range: `{snippet}` {detail}"),
        };
        let (label, help) = match kind {
            RangeErrorKind::TooLong | RangeErrorKind::TooManyGroups => ("too long", None),
            RangeErrorKind::MissingVersion => (
                "no version after this operator",
                Some(format!(
                    "an operator is followed by a version, e.g. `>= 1.2.0`; \
                     operators are single tokens (`>=`, not `> =`). {SYNTAX_HELP}"
                )),
            ),
            RangeErrorKind::InvalidVersion => ("not a valid version", Some(SYNTAX_HELP.into())),
            RangeErrorKind::EmptyGroup => ("empty alternative", Some(SYNTAX_HELP.into())),
            _ => ("not a valid constraint", Some(SYNTAX_HELP.into())),
        };
        RangeError {
            kind,
            span,
            message,
            label,
            help,
            range: range.to_owned(),
        }
    }

    /// This error's span moved by `offset` bytes, for a range embedded in a larger text
    /// (the error's own source code stays the range text).
    pub fn offset_span(&self, offset: usize) -> TextRange {
        self.span.offset(offset)
    }
}

/// The range text after Masterminds' hyphen-range rewrite, with the original span of
/// every byte so errors can point into what the user wrote.
pub(super) struct Rewritten {
    pub(super) text: String,
    pub(super) origin: Vec<TextRange>,
    original_len: usize,
}

impl Rewritten {
    pub(super) fn identity(text: &str) -> Self {
        Rewritten {
            text: text.to_owned(),
            origin: (0..text.len()).map(|i| TextRange::new(i, i + 1)).collect(),
            original_len: text.len(),
        }
    }

    /// The original span covering rewritten bytes `start..end`.
    pub(super) fn origin_of(&self, start: usize, end: usize) -> TextRange {
        let covered = self.origin.get(start..end.min(self.origin.len()));
        match covered {
            Some(spans) if !spans.is_empty() => {
                let lo = spans.iter().map(|r| r.start).min().unwrap_or(0);
                let hi = spans.iter().map(|r| r.end).max().unwrap_or(lo);
                TextRange {
                    start: lo,
                    end: hi.max(lo),
                }
            }
            _ => {
                let at = self
                    .origin
                    .get(start)
                    .map_or(self.original_len, |r| r.start());
                TextRange::empty(at)
            }
        }
    }
}

fn skip_ws(b: &[u8], mut p: usize) -> usize {
    while p < b.len() && is_ws(b[p]) {
        p += 1;
    }
    p
}

/// End of the run of bytes that are neither whitespace nor a comma.
fn word_end(b: &[u8], mut p: usize) -> usize {
    while p < b.len() && !is_ws(b[p]) && b[p] != b',' {
        p += 1;
    }
    p
}

fn is_op_byte(c: u8) -> bool {
    matches!(c, b'=' | b'!' | b'>' | b'<' | b'~' | b'^')
}

/// Length of the operator at `p` (0 for none), as the Masterminds regex settles it.
fn op_len(b: &[u8], p: usize) -> usize {
    let two = b.get(p..p + 2);
    if matches!(two, Some(b"!=" | b">=" | b"=>" | b"<=" | b"=<" | b"~>")) {
        2
    } else if b
        .get(p)
        .is_some_and(|c| matches!(c, b'=' | b'>' | b'<' | b'~' | b'^'))
    {
        1
    } else {
        0
    }
}

fn run(b: &[u8], p: usize, ok: fn(u8) -> bool) -> usize {
    b.get(p..)
        .map_or(0, |s| s.iter().take_while(|c| ok(**c)).count())
}

fn is_part(c: u8) -> bool {
    c.is_ascii_digit() || matches!(c, b'|' | b'x' | b'X' | b'*')
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}

/// Greedy `cvRegex` at `p`: returns the end (== `p` when there is no version) and the
/// number of numeric parts.
pub(super) fn cv_end(b: &[u8], p: usize) -> (usize, usize) {
    let mut i = p + usize::from(b.get(p) == Some(&b'v'));
    let n = run(b, i, is_part);
    if n == 0 {
        return (p, 0);
    }
    i += n;
    let mut parts = 1;
    while parts < 3 && b.get(i) == Some(&b'.') && run(b, i + 1, is_part) > 0 {
        i += 1 + run(b, i + 1, is_part);
        parts += 1;
    }
    for sigil in [b'-', b'+'] {
        if b.get(i) == Some(&sigil) && run(b, i + 1, is_ident) > 0 {
            i += 1 + run(b, i + 1, is_ident);
            while b.get(i) == Some(&b'.') && run(b, i + 1, is_ident) > 0 {
                i += 1 + run(b, i + 1, is_ident);
            }
        }
    }
    (i, parts)
}

/// Explain why the AND group `rw.text[gs..ge]` failed `validConstraintRegex`.
pub(super) fn diagnose_group(text: &str, rw: &Rewritten, gs: usize, ge: usize) -> RangeError {
    let b = &rw.text.as_bytes()[gs..ge];
    let err = |kind, s: usize, e: usize, detail: &str| {
        RangeError::new(text, kind, rw.origin_of(gs + s, gs + e), detail.to_owned())
    };
    let mut pos = skip_ws(b, 0);
    if pos == b.len() {
        let detail = if gs == 0 {
            "starts with an empty `||` alternative"
        } else if ge == rw.text.len() {
            "ends with an empty `||` alternative"
        } else {
            "has an empty `||` alternative"
        };
        // Point at the `||` next to the empty alternative, so the label is visible.
        let span = if gs >= 2 {
            rw.origin_of(gs - 2, ge)
        } else {
            rw.origin_of(gs, (ge + 2).min(rw.text.len()))
        };
        return RangeError::new(text, RangeErrorKind::EmptyGroup, span, detail.to_owned());
    }
    loop {
        let op_start = pos;
        let op = op_len(b, pos);
        pos = skip_ws(b, pos + op);
        let (cv, parts) = cv_end(b, pos);
        if cv == pos {
            if op > 0 {
                let next = pos;
                let end = if next == b.len() || b[next] == b',' {
                    op_start + op
                } else if is_op_byte(b[next]) {
                    word_end(b, skip_ws(b, next + op_len(b, next).max(1)))
                } else {
                    word_end(b, next)
                };
                let end = end.max(op_start + op);
                let detail = format!(
                    "has no version after the operator `{}`",
                    String::from_utf8_lossy(&b[op_start..op_start + op])
                );
                return err(RangeErrorKind::MissingVersion, op_start, end, &detail);
            }
            if pos < b.len() && b[pos] == b',' {
                return err(
                    RangeErrorKind::InvalidConstraint,
                    pos,
                    pos + 1,
                    "is a stray comma: constraints are separated by one comma or by spaces",
                );
            }
            let end = word_end(b, pos);
            return err(
                RangeErrorKind::InvalidConstraint,
                pos,
                end,
                "is not a version or constraint",
            );
        }
        let p = skip_ws(b, cv);
        if p == b.len() {
            break;
        }
        if b[p] == b',' {
            let after = skip_ws(b, p + 1);
            if after == b.len() {
                return err(
                    RangeErrorKind::InvalidConstraint,
                    p,
                    p + 1,
                    "is a trailing comma with no constraint after it",
                );
            }
            pos = after;
            continue;
        }
        if p > cv {
            pos = p;
            continue;
        }
        let end = word_end(b, cv);
        let detail = if b[cv] == b'.' && parts == 3 {
            "is not a valid version: at most three numeric parts (MAJOR.MINOR.PATCH) are allowed"
        } else if is_op_byte(b[cv]) {
            "has an operator after the version; operators go before versions, and \
             constraints are separated by spaces or commas"
        } else {
            "is not a valid version or constraint"
        };
        return err(RangeErrorKind::InvalidConstraint, op_start, end, detail);
    }
    err(
        RangeErrorKind::InvalidConstraint,
        0,
        b.len(),
        "is not a valid constraint",
    )
}
