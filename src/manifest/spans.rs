//! Where a scalar ends. yaml-rust2 reports only where it starts, so each style's end is found
//! here. Plain and block scalars are checked against the value yaml-rust2 parsed: a span is
//! returned only when its text folds to exactly that value, so a wrong guess becomes an error
//! rather than an edit of the wrong bytes.

use super::source::Source;

fn is_flow_indicator(b: u8) -> bool {
    matches!(b, b',' | b'[' | b']' | b'{' | b'}')
}

/// End (exclusive) of a double-quoted scalar whose opening quote is at `start`.
pub(crate) fn double_quoted_end(src: &Source, start: usize) -> Option<usize> {
    let mut i = start + 1;
    while i < src.len() {
        match src.at(i) {
            // An escape consumes the next byte; a multi-byte character's tail bytes are never
            // `"` or `\`, so stepping by bytes is safe.
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// The first escape `\\c` of character `c` in the double-quoted scalar at `start..end`: its
/// backslash.
pub(crate) fn escape_at(src: &Source, start: usize, end: usize, c: u8) -> Option<usize> {
    let text = src.bytes.get(start..end)?;
    let mut i = memchr::memchr(b'\\', text)?;
    while i + 1 < text.len() {
        if text[i] == b'\\' {
            if text[i + 1] == c {
                return Some(start + i);
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    None
}

/// End (exclusive) of a single-quoted scalar whose opening quote is at `start` (`''` escapes).
pub(crate) fn single_quoted_end(src: &Source, start: usize) -> Option<usize> {
    let mut i = start + 1;
    while i < src.len() {
        if src.at(i) == b'\'' {
            if src.at(i + 1) == b'\'' {
                i += 2;
                continue;
            }
            return Some(i + 1);
        }
        i += 1;
    }
    None
}

/// End of the plain-scalar text that starts at `i` on its line, trailing blanks excluded: before
/// ` #`, before `:` followed by a blank (or, in flow context, by a flow indicator), before a flow
/// indicator in flow context, or at the line break.
fn plain_line_end(src: &Source, mut i: usize, flow: bool) -> usize {
    let mut end = i;
    while i < src.len() {
        let b = src.at(i);
        match b {
            b'\n' | b'\r' => break,
            b' ' | b'\t' => {
                i += 1;
                continue;
            }
            b'#' if i > 0 && src.is_blank(i - 1) => break,
            // yaml.v3 reads on at a `:` before `,`, `]` or `}` in flow context (the scanned copy
            // spells it so that yaml-rust2 does too, `flowcolons.rs`); before `[` or `{`
            // yaml-rust2's reading is kept, and the file refused.
            b':' if src.is_blank_or_breakz(i + 1)
                || (flow && matches!(src.at(i + 1), b'[' | b'{')) =>
            {
                break
            }
            _ if flow && is_flow_indicator(b) => break,
            _ => {}
        }
        i += 1;
        end = i;
    }
    end
}

/// Consumes `expected` from `value` at `*matched`.
fn take(value: &[u8], matched: &mut usize, expected: &[u8]) -> bool {
    let ok = value
        .get(*matched..)
        .is_some_and(|rest| rest.starts_with(expected));
    if ok {
        *matched += expected.len();
    }
    ok
}

/// End of a plain scalar starting at `start`, whose parsed (folded) value is `value`. Lines are
/// added one at a time, folding line breaks as YAML does, until the text equals the value.
pub(crate) fn plain_end(src: &Source, start: usize, flow: bool, value: &str) -> Option<usize> {
    let v = value.as_bytes();
    let mut end = plain_line_end(src, start, flow);
    let mut matched = 0;
    if end == start || !take(v, &mut matched, &src.bytes[start..end]) {
        return None;
    }
    while matched < v.len() {
        let mut i = end;
        while src.is_blank(i) {
            i += 1;
        }
        if !src.is_break(i) {
            return None;
        }
        let mut breaks = 0;
        loop {
            i = src.skip_break(i);
            breaks += 1;
            let line_start = i;
            while src.is_blank(i) {
                i += 1;
            }
            if src.is_break(i) {
                continue;
            }
            if src.is_eof(i) || src.at(i) == b'#' {
                return None;
            }
            let rest = &src.bytes[i..];
            if i == line_start
                && (rest.starts_with(b"---") || rest.starts_with(b"..."))
                && src.is_blank_or_breakz(i + 3)
            {
                return None;
            }
            break;
        }
        let fold_ok = if breaks == 1 {
            take(v, &mut matched, b" ")
        } else {
            (1..breaks).all(|_| take(v, &mut matched, b"\n"))
        };
        let line_end = plain_line_end(src, i, flow);
        if !fold_ok || line_end == i || !take(v, &mut matched, &src.bytes[i..line_end]) {
            return None;
        }
        end = line_end;
    }
    Some(end)
}

/// The `|` or `>` that starts the block scalar whose content yaml-rust2 reported at `mark`,
/// searching forward from `from` (the end of the previous token): blanks, line breaks, comments,
/// indicators (`:`, `-`, `?`) and properties (`&a`, `!t`) can sit in between.
pub(crate) fn find_block_header(src: &Source, from: usize, mark: usize) -> Option<usize> {
    find_token(src, from, mark, |i| matches!(src.at(i), b'|' | b'>'))
}

/// The `-` of the block-sequence entry that yaml-rust2 reported as an empty item at `mark`
/// (where the next token starts), searching forward from `from`.
pub(crate) fn find_dash(src: &Source, from: usize, mark: usize) -> Option<usize> {
    find_token(src, from, mark, |i| src.is_dash_entry(i))
}

/// The first token in `from..=to` that satisfies `is_it`, skipping blanks, line breaks, comments
/// and other tokens.
fn find_token(
    src: &Source,
    from: usize,
    to: usize,
    is_it: impl Fn(usize) -> bool,
) -> Option<usize> {
    let mut i = from;
    while i <= to && i < src.len() {
        let b = src.at(i);
        if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
        } else if b == b'#' && (i == from || src.is_blank_or_breakz(i - 1)) {
            i = src.line_end_of(i);
        } else if is_it(i) {
            return Some(i);
        } else {
            while i < src.len() && !src.is_blank_or_breakz(i) {
                i += 1;
            }
        }
    }
    None
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Chomping {
    Strip,
    Clip,
    Keep,
}

pub(crate) struct BlockExtent {
    /// End of the last content line (before its line break), or of the header when empty.
    pub end: usize,
    /// End of the header indicators (`|-`, `>+2`, ...): a trailing comment follows it.
    pub header_end: usize,
    /// The content lines, where `#` is text.
    pub body: Option<(usize, usize)>,
    /// Where the lines after the header start, and the content indentation (`None` when the
    /// header ends the file).
    pub scan: Option<(usize, usize)>,
}

/// Skips the indentation (up to `indent` spaces) and empty lines, counting the line breaks.
fn skip_block_indent(src: &Source, mut i: usize, indent: usize, breaks: &mut String) -> usize {
    loop {
        let line_start = i;
        while i - line_start < indent && src.at(i) == b' ' {
            i += 1;
        }
        if src.is_break(i) {
            i = src.skip_break(i);
            breaks.push('\n');
        } else {
            return i;
        }
    }
}

/// The extent of the block scalar whose header is at `header`, inside a block collection indented
/// `parent_indent` columns (-1 at the document root). Mirrors yaml-rust2's own scanning, and checks
/// the result against `value`.
pub(crate) fn block_extent(
    src: &Source,
    header: usize,
    parent_indent: isize,
    value: &str,
) -> Option<BlockExtent> {
    let literal = src.at(header) == b'|';
    let mut i = header + 1;
    let mut chomping = Chomping::Clip;
    let mut increment = 0usize;
    let chomp_of = |b: u8| match b {
        b'+' => Some(Chomping::Keep),
        b'-' => Some(Chomping::Strip),
        _ => None,
    };
    if let Some(c) = chomp_of(src.at(i)) {
        chomping = c;
        i += 1;
        if src.at(i).is_ascii_digit() {
            increment = usize::from(src.at(i) - b'0');
            i += 1;
        }
    } else if src.at(i).is_ascii_digit() {
        increment = usize::from(src.at(i) - b'0');
        i += 1;
        if let Some(c) = chomp_of(src.at(i)) {
            chomping = c;
            i += 1;
        }
    }
    if increment == 0 && src.at(i - 1) == b'0' {
        return None;
    }
    let header_end = i;
    while src.is_blank(i) {
        i += 1;
    }
    if src.at(i) == b'#' {
        i = src.line_end_of(i);
    }
    if !src.is_eof(i) && !src.is_break(i) {
        return None;
    }
    let header_has_break = src.is_break(i);
    i = src.skip_break(i);
    let body_start = i;
    if src.at(i) == b'\t' {
        return None;
    }

    let mut trailing_breaks = String::new();
    let mut indent = 0usize;
    if increment > 0 {
        indent = usize::try_from(parent_indent).map_or(increment, |n| n + increment);
    }
    if indent == 0 {
        let mut max_indent = 0;
        loop {
            let line_start = i;
            while src.at(i) == b' ' {
                i += 1;
            }
            max_indent = max_indent.max(i - line_start);
            if src.is_break(i) {
                i = src.skip_break(i);
                trailing_breaks.push('\n');
            } else {
                break;
            }
        }
        indent = max_indent.max(usize::try_from(parent_indent + 1).unwrap_or(0));
        if parent_indent > 0 {
            indent = indent.max(1);
        }
    } else {
        i = skip_block_indent(src, i, indent, &mut trailing_breaks);
    }

    if src.is_eof(i) {
        let contents = match chomping {
            Chomping::Strip => String::new(),
            _ if !header_has_break => String::new(),
            Chomping::Clip => "\n".to_owned(),
            Chomping::Keep if trailing_breaks.is_empty() => "\n".to_owned(),
            Chomping::Keep => trailing_breaks,
        };
        return (contents == value).then_some(BlockExtent {
            end: header_end,
            header_end,
            body: None,
            scan: header_has_break.then_some((body_start, indent)),
        });
    }

    let col = |i: usize| i - src.line_start_of(i);
    // yaml-rust2 refuses a line there; yaml.v3 ends the scalar, and a comment line is then read
    // (`shadow.rs` drops its indentation from what yaml-rust2 scans).
    if col(i) < indent
        && isize::try_from(col(i)).unwrap_or(isize::MAX) > parent_indent
        && src.at(i) != b'#'
    {
        return None;
    }

    let mut string = String::new();
    let mut leading_break = String::new();
    let mut leading_blank = false;
    let mut last_content_end = None;
    while col(i) == indent && !src.is_eof(i) {
        if indent == 0 && src.bytes[i..].starts_with(b"...") && src.is_blank_or_breakz(i + 3) {
            break;
        }
        let trailing_blank = src.is_blank(i);
        if !literal && !leading_break.is_empty() && !leading_blank && !trailing_blank {
            string.push_str(&trailing_breaks);
            if trailing_breaks.is_empty() {
                string.push(' ');
            }
        } else {
            string.push_str(&leading_break);
            string.push_str(&trailing_breaks);
        }
        leading_break.clear();
        trailing_breaks.clear();
        leading_blank = src.is_blank(i);
        let line_end = src.line_end_of(i);
        string.push_str(src.slice(i, line_end));
        last_content_end = Some(line_end);
        i = line_end;
        if src.is_eof(i) {
            break;
        }
        i = src.skip_break(i);
        leading_break.push('\n');
        i = skip_block_indent(src, i, indent, &mut trailing_breaks);
    }
    if chomping != Chomping::Strip {
        string.push_str(&leading_break);
        if src.is_eof(i) && col(i) >= indent.max(1) {
            string.push('\n');
        }
    }
    if chomping == Chomping::Keep {
        string.push_str(&trailing_breaks);
    }
    if string != value {
        return None;
    }
    Some(BlockExtent {
        end: last_content_end.unwrap_or(header_end),
        header_end,
        body: last_content_end.map(|end| (body_start, end)),
        scan: Some((body_start, indent)),
    })
}
