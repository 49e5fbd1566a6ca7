//! Apply a set of edits to a text in one sorted pass.

use crate::text::TextRange;

use super::edit::Edit;

/// Two different edits that touch the same bytes, or insert at the same offset, so their
/// combined result would depend on the order they were produced in.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("conflicting edits at bytes {first} and {second}")]
#[diagnostic(
    code(imagelock::fix::edit_conflict),
    help("two fixes want to rewrite the same bytes; this is a bug in imagelock, please report it")
)]
pub struct EditConflict {
    pub first: TextRange,
    pub second: TextRange,
}

/// Why a set of edits could not be applied. The text is never partially edited.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum ApplyError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Conflict(#[from] EditConflict),

    /// The range is inverted or ends past the end of the text.
    #[error("edit range {range} does not lie within the text ({len} bytes)")]
    #[diagnostic(code(imagelock::fix::edit_out_of_bounds))]
    OutOfBounds { range: TextRange, len: usize },

    /// The range would split a UTF-8 character.
    #[error("edit range {range} does not fall on character boundaries")]
    #[diagnostic(code(imagelock::fix::edit_not_char_boundary))]
    NotCharBoundary { range: TextRange },
}

/// Apply `edits` to `src` in one pass sorted by range.
///
/// Identical edits are applied once. Two different edits conflict when their ranges share a
/// byte, when one inserts strictly inside the other's range, or when both insert at the same
/// offset; an insertion at either end of a replaced range is fine and lands before (at the
/// start) or after (at the end) the replacement. Every byte outside the edited ranges is copied
/// unchanged, so a BOM, CRLF line endings and the final newline survive.
pub fn apply_edits(src: &str, edits: &[Edit]) -> Result<String, ApplyError> {
    for edit in edits {
        check_range(src, edit.range)?;
    }

    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by(|a, b| {
        (a.range.start, a.range.end, &a.replacement).cmp(&(
            b.range.start,
            b.range.end,
            &b.replacement,
        ))
    });
    sorted.dedup_by(|b, a| a == b);

    for pair in sorted.windows(2) {
        let (a, b) = (pair[0].range, pair[1].range);
        let both_insert_here = a.is_empty() && b.is_empty() && a.start == b.start;
        if b.start < a.end || both_insert_here {
            return Err(EditConflict {
                first: a,
                second: b,
            }
            .into());
        }
    }

    let grown: usize = sorted.iter().map(|e| e.replacement.len()).sum();
    let mut out = String::with_capacity(src.len() + grown);
    let mut cursor = 0;
    for edit in sorted {
        // Ranges were checked above and are sorted and disjoint, so these slices exist.
        out.push_str(src.get(cursor..edit.range.start()).unwrap_or_default());
        out.push_str(&edit.replacement);
        cursor = edit.range.end();
    }
    out.push_str(src.get(cursor..).unwrap_or_default());
    Ok(out)
}

fn check_range(src: &str, range: TextRange) -> Result<(), ApplyError> {
    if range.start > range.end || range.end() > src.len() {
        return Err(ApplyError::OutOfBounds {
            range,
            len: src.len(),
        });
    }
    if !src.is_char_boundary(range.start()) || !src.is_char_boundary(range.end()) {
        return Err(ApplyError::NotCharBoundary { range });
    }
    Ok(())
}
