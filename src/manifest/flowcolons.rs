//! Plain scalars in flow collections. yaml.v3 (libyaml) ends one there at `,`, `?`, `[`, `]`,
//! `{`, `}`, or at a `:` before a blank; yaml-rust2 also at a `:` before `,`, `[`, `]`, `{` or
//! `}`, and not at `?`. So `[b:, c]` holds the item `b:` to yaml.v3 and the mapping `{b: null}`
//! to yaml-rust2. The scanned copy spells such a `:` (before `,`, `]` or `}`) as [`STANDIN`],
//! which yaml-rust2 keeps in the scalar, and the tree puts the `:` back into the value
//! (`tree.rs`). Where yaml.v3 then fails (a `?` inside the scalar, a `[` or `{` right after the
//! `:`), the tree refuses the file.
//!
//! Also, at a token start in a flow collection yaml.v3 reads `?` as the explicit-key indicator
//! whatever follows (`[?b]` is `[{b: null}]`), yaml-rust2 only before a blank: the copy has a
//! space after such a `?` ([`keys`]).

use super::comments::in_ranges;
use super::source::Source;
use super::tree::{error_at, Tree};
use super::{ParseError, ParseErrorKind};

/// What the copy has instead of the `:`: a character plain in flow context to yaml-rust2.
pub(crate) const STANDIN: u8 = b';';

/// The byte screens below, from the first `[` or `{` (a file without one has no flow
/// collection): the `:`s of [`candidates`] and the `?`s of [`keys`].
pub(crate) fn screen(src: &Source, tokens: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let body = &src.bytes[src.body_start..];
    match memchr::memchr2(b'[', b'{', body) {
        Some(first) => {
            let from = src.body_start + first;
            (candidates(src, from, tokens), keys(src, from))
        }
        None => (Vec::new(), Vec::new()),
    }
}

/// Every `:` after `from` right before `,`, `]` or `}` that may be inside a plain scalar (not
/// right after an indicator or a quote); [`fitting`] checks them against a tree. `tokens`:
/// positions where a token starts (split anchor names), which are not candidates.
fn candidates(src: &Source, from: usize, tokens: &[usize]) -> Vec<usize> {
    let mut out = Vec::new();
    for found in memchr::memchr3_iter(b',', b']', b'}', &src.bytes[from..]) {
        let at = from + found;
        if at < src.body_start + 2 || src.at(at - 1) != b':' {
            continue;
        }
        let colon = at - 1;
        let before = src.at(colon - 1);
        if matches!(
            before,
            b'[' | b'{' | b',' | b'"' | b'\'' | b']' | b'}' | b'\n' | b'\r'
        ) || tokens.contains(&colon)
        {
            continue;
        }
        out.push(colon);
    }
    out
}

/// The candidates a tree shows inside a plain scalar (after its first character) in a flow
/// collection; and whether that is all of them.
pub(crate) fn fitting(src: &Source, colons: &[usize], tree: &Tree) -> (Vec<usize>, bool) {
    let out: Vec<usize> = (colons.iter().copied())
        .filter(|&at| {
            let k = tree.opaque.partition_point(|&(s, _)| s < at);
            let inside = k > 0 && {
                let (start, end) = tree.opaque[k - 1];
                at < end && !matches!(src.at(start), b'"' | b'\'' | b'|' | b'>')
            };
            inside && in_ranges(&tree.flow, at)
        })
        .collect();
    let same = out.len() == colons.len();
    (out, same)
}

/// Every `?` after `from` at a token start (after a blank, `[`, `{` or `,`) with no blank after
/// it; [`fitting_keys`] checks them against a tree.
fn keys(src: &Source, from: usize) -> Vec<usize> {
    let mut out = Vec::new();
    for found in memchr::memchr_iter(b'?', &src.bytes[from..]) {
        let at = from + found;
        if matches!(src.at(at - 1), b' ' | b'\t' | b'[' | b'{' | b',')
            && !src.is_blank_or_breakz(at + 1)
        {
            out.push(at);
        }
    }
    out
}

/// The `?`s a tree shows are indicators in a flow collection (outside every scalar); and
/// whether that is all of them.
pub(crate) fn fitting_keys(keys: &[usize], tree: &Tree) -> (Vec<usize>, bool) {
    let out: Vec<usize> = (keys.iter().copied())
        .filter(|&at| in_ranges(&tree.flow, at) && !in_ranges(&tree.opaque, at))
        .collect();
    let same = out.len() == keys.len();
    (out, same)
}

/// A candidate the tree from the copy does not confirm: imagelock's limit.
pub(crate) fn unsupported(src: &Source, at: usize) -> ParseError {
    let mut e = error_at(
        src,
        at,
        ParseErrorKind::Unsupported,
        "a `:` right before `,`, `]` or `}`, or a `?` right before a value, in a flow \
         collection, which imagelock cannot read as yaml.v3 does here"
            .to_owned(),
    );
    e.help = Some("quote the value, or put a space after the `?`".to_owned());
    e
}
