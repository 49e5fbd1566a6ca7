//! Drives yaml-rust2 over the text, or over a scanned copy of it (`shadow.rs`), and hands its
//! events to the tree builder at byte positions of the text.

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::ScanError;

use super::source::{PosMemo, Source};
use super::tree::{error_at, Builder, Tree};
use super::{ParseError, ParseErrorKind};

/// An edit of one line in a scanned copy (`shadow.rs`): from column `col` of the copy's 1-based
/// `line` (characters), `delta` spaces were inserted (> 0) or characters of the text dropped (< 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Shift {
    pub line: usize,
    pub col: usize,
    pub delta: isize,
}

/// A column of the scanned copy as a column of the text: `shifts` is sorted by line and column.
/// A column inside inserted spaces is the column where they were inserted.
#[inline]
fn unshift(shifts: &[Shift], line: usize, col: usize) -> usize {
    // Nearly every file is scanned as it is.
    if shifts.is_empty() {
        return col;
    }
    unshift_edited(shifts, line, col)
}

#[inline(never)]
fn unshift_edited(shifts: &[Shift], line: usize, col: usize) -> usize {
    let k = shifts.partition_point(|s| s.line < line);
    let mut text_col = col;
    for s in shifts[k..]
        .iter()
        .take_while(|s| s.line == line && s.col <= col)
    {
        if s.delta > 0 {
            text_col -= s.delta.unsigned_abs().min(col - s.col);
        } else {
            text_col += s.delta.unsigned_abs();
        }
    }
    text_col
}

/// Builds the tree of `src`, scanning `body`: the text after the BOM, or a copy of it with the
/// same line breaks whose lines differ only as `shifts` says (see `shadow.rs`).
pub(crate) fn build(
    src: &Source,
    body: &str,
    shifts: &[Shift],
    colons: &[usize],
    collections: bool,
) -> Result<Tree, ParseError> {
    let mut b = Builder::new(src, colons, collections);
    // Events are handled as they come, one ahead (not collected first: a file's events would be
    // copied a dozen times as the list grew). A scan error anywhere still comes first, as if the
    // whole file had been scanned before any event was handled.
    let mut parser = Parser::new_from_str(body);
    let scan = |e: ScanError| scan_error(src, shifts, &e);
    let mut memo = PosMemo::default();
    let mut next = Some(parser.next_token().map_err(scan)?);
    while let Some((event, mark)) = next.take() {
        if event != Event::StreamEnd {
            next = Some(parser.next_token().map_err(scan)?);
        }
        // yaml-rust2 reports an indentless sequence whose first item is a flow sequence (and an
        // implicit `[k: v]` pair whose key is a flow mapping) at the inner bracket: that bracket
        // belongs to the inner collection.
        let shadowed = matches!(
            &next,
            Some((Event::SequenceStart(..) | Event::MappingStart(..), after)) if *after == mark
        );
        let pos = src.byte_of(
            &mut memo,
            mark.line(),
            unshift(shifts, mark.line(), mark.col()),
        );
        match b.event(event, pos, shadowed) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => {
                while let Some((event, _)) = next.take() {
                    if event != Event::StreamEnd {
                        next = Some(parser.next_token().map_err(scan)?);
                    }
                }
                return Err(err);
            }
        }
    }
    Ok(b.finish())
}

fn scan_error(src: &Source, shifts: &[Shift], e: &ScanError) -> ParseError {
    let m = e.marker();
    let pos = src.byte_of(
        &mut PosMemo::default(),
        m.line(),
        unshift(shifts, m.line(), m.col()),
    );
    // yaml-rust2 wants quoted scalars and flow collections indented; yaml.v3 does not, so Flux
    // may well read these files (tests/yamlref): imagelock's own limit, not a verdict on Flux.
    let kind = match e.info() {
        "invalid indentation in quoted scalar"
        | "tab cannot be used as indentation"
        | "invalid indentation in flow construct" => ParseErrorKind::Unsupported,
        _ => ParseErrorKind::Syntax,
    };
    error_at(src, pos, kind, e.info().to_owned())
}
