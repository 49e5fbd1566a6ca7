//! Tabs that yaml.v3 refuses where yaml-rust2 reads on. yaml.v3 (libyaml's scanner) skips a tab
//! between tokens only in flow context or where no simple key may start: so not in a line's
//! indentation, nor after a `-`, `?` or a complex key's `:`. Lines after a plain scalar are
//! scanned by the scalar, which refuses a tab left of its indentation; a block scalar refuses a
//! tab in its indentation. Files with such a tab are skipped by Flux, so they are errors here.

use super::comments::{in_ranges, Comment};
use super::scope;
use super::source::Source;
use super::tree::{flux_skips, Tree};
use super::ParseError;

/// The first tab yaml.v3 refuses, as an error.
pub(crate) fn check(src: &Source, tree: &Tree, comments: &[Comment]) -> Result<(), ParseError> {
    // Most files hold no tab: nothing to set up.
    if memchr::memchr(b'\t', &src.bytes[src.body_start..]).is_none() {
        return Ok(());
    }
    // Where the whitespace is scanned by a scalar rather than between tokens: `(start, end,
    // indent)`; a tab in a line's indentation there is refused only left of `indent`.
    let mut scans: Vec<(usize, usize, usize, bool)> = Vec::new();
    for &(start, end, indent) in &tree.plain_ends {
        scans.push((start, next_non_blank(src, end), indent, false));
    }
    for &(start, indent) in &tree.block_scans {
        scans.push((start, block_scan_end(src, start, indent), indent, true));
    }
    scans.sort_unstable();
    let comment_ranges: Vec<(usize, usize)> = comments.iter().map(|c| (c.start, c.end)).collect();
    let bytes = src.bytes;
    let mut at = src.body_start;
    while let Some(found) = memchr::memchr(b'\t', &bytes[at..]) {
        let tab = at + found;
        at = tab + 1;
        if in_ranges(&comment_ranges, tab) {
            continue;
        }
        let k = scans.partition_point(|s| s.0 <= tab);
        let scan = k.checked_sub(1).map(|k| scans[k]).filter(|s| tab < s.1);
        let line_start = scope::after_piece_bom(src, src.line_start_of(tab));
        let leading = bytes[line_start..tab]
            .iter()
            .all(|b| *b == b' ' || *b == b'\t');
        let refused = match scan {
            // In brackets tabs separate tokens anywhere, but a plain scalar's scan still refuses
            // one left of its indentation on the lines after it.
            _ if in_ranges(&tree.flow, tab) => {
                scan.is_some_and(|(_, _, indent, _)| leading && tab - line_start < indent)
            }
            Some((start, _, indent, block)) if leading => {
                let col = tab - line_start;
                // Before a block scalar's first content line, its indentation is not known yet.
                col < indent || (block && !content_before(src, start, line_start))
            }
            // Content of a scalar: its text, or a tab yaml.v3 folds away.
            Some(_) => false,
            None if in_ranges(&tree.opaque, tab) => false,
            None if leading => !after_comment_line(src, tree, line_start),
            None => after_indicator(src, tree, line_start, tab),
        };
        if refused {
            return Err(flux_skips(
                src,
                tab,
                "a tab where yaml.v3 expects indentation or a separating space",
                "yaml.v3 accepts tabs only between tokens on a line (not in indentation, nor \
                 after `-`, `?` or an explicit key's `:`); use spaces",
            ));
        }
    }
    Ok(())
}

/// Whether a line between `from` and `line_start` holds content (a non-blank character).
fn content_before(src: &Source, from: usize, line_start: usize) -> bool {
    src.bytes[from..line_start]
        .iter()
        .any(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

/// The first byte at or after `pos` that is not a blank or a line break.
fn next_non_blank(src: &Source, mut pos: usize) -> usize {
    while pos < src.len() && matches!(src.at(pos), b' ' | b'\t' | b'\n' | b'\r') {
        pos += 1;
    }
    pos
}

/// Where a block scalar's scan ends: the start of the first line with a non-blank character
/// left of `indent` (or the end of the file).
fn block_scan_end(src: &Source, start: usize, indent: usize) -> usize {
    let mut line = start;
    while line < src.len() {
        let mut i = line;
        while src.is_blank(i) {
            i += 1;
        }
        if !src.is_eof(i) && !src.is_break(i) && i - line < indent {
            return line;
        }
        line = src.skip_break(src.line_end_of(line));
        if line == i && src.is_eof(i) {
            break;
        }
    }
    src.len()
}

/// A tab after something on its line, in block context: refused after a `-` entry, a `?` key
/// indicator, or the `:` of an explicit key (first on its line), where a simple key may start.
fn after_indicator(src: &Source, tree: &Tree, line_start: usize, tab: usize) -> bool {
    let mut q = tab;
    while q > line_start && src.is_blank(q - 1) {
        q -= 1;
    }
    let Some(prev) = q.checked_sub(1).filter(|p| *p >= line_start) else {
        return false;
    };
    if in_ranges(&tree.opaque, prev) {
        return false;
    }
    let first_on_line = src.bytes[line_start..prev]
        .iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'-' | b'?' | b':'));
    // After any token but `-`, yaml.v3 reads blanks (tabs too) up to a comment on the same line.
    let mut rest = tab;
    while src.is_blank(rest) {
        rest += 1;
    }
    match src.at(prev) {
        b'-' => src.is_dash_entry(prev) && first_on_line,
        b'?' | b':' => first_on_line && src.at(rest) != b'#',
        _ => false,
    }
}

/// Whether the line at `line_start` continues a run of comment lines: yaml.v3 reads the lines
/// after a comment, tabs included, as long as they hold only blanks and comments. The line
/// itself must hold a comment, or only blanks with a comment line further down the run.
fn after_comment_line(src: &Source, tree: &Tree, line_start: usize) -> bool {
    let first = |line: usize| {
        let mut i = line;
        while src.is_blank(i) {
            i += 1;
        }
        i
    };
    let blank = |i: usize| src.is_eof(i) || src.is_break(i);
    let here = first(line_start);
    if !blank(here) && src.at(here) != b'#' {
        return false;
    }
    if blank(here) {
        // A blank line is read with the run only if a comment line follows it.
        let mut line = src.skip_break(src.line_end_of(line_start));
        loop {
            let i = first(line);
            if src.is_eof(i) || (!blank(i) && src.at(i) != b'#') {
                return false;
            }
            if src.at(i) == b'#' {
                break;
            }
            line = src.skip_break(i);
        }
    }
    // The line above, skipping blank ones, must be a comment yaml.v3 reads as a run: one on its
    // own line or after a bare `-` (a comment after any other token is read alone).
    let mut line = line_start;
    while line > src.body_start {
        let above = src.line_start_of(line - 1);
        let mut i = first(above);
        if !blank(i) {
            while src.is_dash_entry(i) {
                i = first(i + 1);
            }
            return src.at(i) == b'#' && !in_ranges(&tree.opaque, i);
        }
        line = above;
    }
    false
}
