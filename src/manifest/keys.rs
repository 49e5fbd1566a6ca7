//! Mapping keys yaml.v3 refuses where yaml-rust2 reads on. libyaml finds an implicit key by
//! remembering where a token that could start one began, and forgets it at the next line break;
//! a `:` with no remembered key gets no key token, and yaml.v3's parser then fails. So a key-less
//! entry (`: value`) is refused unless a `?` introduced the key (or a tag or anchor stands for
//! it), and so is an implicit key in a flow collection whose `:` is on a later line than the
//! key's start (`{"a"\n: b}`).

use super::source::Source;
use super::tree::flux_skips;
use super::ParseError;

/// At most this many lines are walked back over to find a `?` (blank and comment lines).
const MAX_LINES_BACK: usize = 64;

/// Whether the token before `pos` is a `?` explicit-key indicator, with only blanks, line breaks
/// and comments between.
pub(crate) fn after_question_mark(src: &Source, pos: usize) -> bool {
    let mut end = pos;
    for _ in 0..MAX_LINES_BACK {
        let line_start = src.line_start_of(end);
        let text = &src.bytes[line_start..end];
        // A comment starts at a `#` first on the line or after a blank.
        let cut = (0..text.len())
            .find(|&i| text[i] == b'#' && (i == 0 || matches!(text[i - 1], b' ' | b'\t')))
            .unwrap_or(text.len());
        let mut t = &text[..cut];
        while let [rest @ .., b' ' | b'\t' | b'\r'] = t {
            t = rest;
        }
        if let [before @ .., b'?'] = t {
            return matches!(
                before.last(),
                None | Some(b' ' | b'\t' | b'[' | b'{' | b',')
            );
        }
        if !t.is_empty() || line_start <= src.body_start {
            return false;
        }
        end = line_start - 1;
    }
    false
}

/// A key-less mapping entry: yaml-rust2 reports an empty plain key at the `:`.
pub(crate) fn check_empty_key(src: &Source, colon: usize) -> Result<(), ParseError> {
    if after_question_mark(src, colon) {
        return Ok(());
    }
    Err(flux_skips(
        src,
        colon,
        "a mapping entry with no key before its `:`",
        "yaml.v3 reads an entry without a key only after an explicit `?` (`? ` then `: value`); \
         give the entry a key",
    ))
}

/// A key in a flow collection, from `key_start` to `key_end`: unless `?` introduced it, its `:`
/// must be on the line where the key starts (its anchor and tag, if any, are on that line too).
pub(crate) fn check_flow_key(
    src: &Source,
    key_start: usize,
    key_end: usize,
) -> Result<(), ParseError> {
    let Some(colon) = value_indicator(src, key_end) else {
        return Ok(());
    };
    let same_line = memchr::memchr(b'\n', &src.bytes[key_start.min(colon)..colon]).is_none();
    if same_line || after_question_mark(src, key_start) {
        return Ok(());
    }
    Err(flux_skips(
        src,
        colon,
        "a `:` on a later line than its key, inside a flow collection",
        "yaml.v3 reads an implicit key only when its `:` is on the line where the key starts; \
         join the lines, or introduce the key with `?`",
    ))
}

/// The `:` after a key that ends at `from`, past blanks, line breaks and comments.
fn value_indicator(src: &Source, from: usize) -> Option<usize> {
    let mut i = from;
    loop {
        match src.at(i) {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'#' if i == from || src.is_blank(i - 1) || src.is_break(i - 1) => {
                i = src.line_end_of(i);
            }
            b':' => return Some(i),
            _ => return None,
        }
    }
}
