//! Anchor and alias names, and tags. yaml.v3 (libyaml) reads a name as letters, digits, `_` and `-`, and
//! wants a blank or one of ``?:,]}%@` `` right after it; yaml-rust2 reads up to the next blank or
//! flow indicator. Where yaml.v3's name is empty or followed by another character, Flux cannot
//! parse the file. Where a `:` or `?` follows (`&an:chor value`), yaml.v3 reads the anchor `an`
//! and then a new token at that character: the scanned copy gets a space there ([`splits`],
//! `shadow.rs`). `%`, `@` and `` ` `` start no token, so there yaml.v3 stops.

use super::comments::{in_ranges, Comment};
use super::source::Source;
use super::tree::{error_at, flux_skips, Tree};
use super::{ParseError, ParseErrorKind};

/// The first anchor (`&name`) or alias (`*name`) whose name yaml.v3 reads differently.
pub(crate) fn check(
    src: &Source,
    props: &[usize],
    opaque: &[(usize, usize)],
    comments: &[Comment],
) -> Result<(), ParseError> {
    for &at in props {
        if in_ranges(opaque, at) || in_comment(comments, at) {
            continue;
        }
        if src.at(at) == b'!' {
            check_tag(src, at)?;
            continue;
        }
        let name_end = (at + 1..src.len())
            .find(|&i| {
                src.is_blank_or_breakz(i) || matches!(src.at(i), b',' | b'[' | b']' | b'{' | b'}')
            })
            .unwrap_or(src.len());
        let v3_end = (at + 1..name_end)
            .find(|&i| !(src.at(i).is_ascii_alphanumeric() || matches!(src.at(i), b'_' | b'-')))
            .unwrap_or(name_end);
        if v3_end == name_end {
            continue;
        }
        let follows = matches!(
            src.at(v3_end),
            b'?' | b':' | b',' | b']' | b'}' | b'%' | b'@' | b'`'
        );
        if v3_end > at + 1 && matches!(src.at(v3_end), b'%' | b'@' | b'`') {
            return Err(flux_skips(
                src,
                v3_end,
                "a character that cannot start any token, right after an anchor or alias name",
                "yaml.v3 ends anchor and alias names before it and then cannot read it; put a \
                 space after the name, or rename it",
            ));
        }
        if v3_end == at + 1 || !follows {
            let what = if src.at(at) == b'&' {
                "anchor"
            } else {
                "alias"
            };
            return Err(flux_skips(
                src,
                v3_end,
                &format!("a character yaml.v3 does not allow in an {what} name"),
                "yaml.v3 reads anchor and alias names of letters, digits, `_` and `-` only; \
                 rename it",
            ));
        }
    }
    Ok(())
}

/// An anchor or alias name that yaml.v3 ends at a `:` or `?` where yaml-rust2 reads on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Split {
    /// The `&` or `*`.
    pub amp: usize,
    /// The `:` or `?`: a space goes before it.
    pub at: usize,
    /// In a flow collection, where yaml.v3 reads that character as an indicator whatever
    /// follows (a space goes after it too).
    pub flow: bool,
}

/// Every `&`, `*` and `!` where a token may start (at a line start, after a blank, `[`, `{` or
/// `,`): anchors, aliases and tags, unless inside a scalar or a comment. One pass serves
/// [`splits`] before the tree and [`check`] after it.
pub(crate) fn props(src: &Source) -> Vec<usize> {
    let body = &src.bytes[src.body_start..];
    memchr::memchr3_iter(b'&', b'*', b'!', body)
        .map(|found| src.body_start + found)
        .filter(|&at| {
            at == src.body_start
                || matches!(src.at(at - 1), b'\n' | b' ' | b'\t' | b'[' | b'{' | b',')
        })
        .collect()
}

/// Every `&name:`/`&name?` (and `*`) among `props`: some may be inside a scalar or a comment,
/// and the context is a guess from the line; [`fitting`] checks both against a tree.
pub(crate) fn splits(src: &Source, props: &[usize]) -> Vec<Split> {
    let mut out = Vec::new();
    for &amp in props.iter().filter(|&&at| src.at(at) != b'!') {
        let line_start = src.line_start_of(amp);
        let mut at = amp + 1;
        while src.at(at).is_ascii_alphanumeric() || matches!(src.at(at), b'_' | b'-') {
            at += 1;
        }
        if at == amp + 1 || !matches!(src.at(at), b':' | b'?') {
            continue;
        }
        let before = src.bytes[line_start..amp]
            .iter()
            .rev()
            .find(|b| !matches!(b, b' ' | b'\t'));
        let flow = matches!(before, Some(b'[' | b'{' | b','));
        out.push(Split { amp, at, flow });
    }
    out
}

/// The splits a tree shows are real (their `&` outside every scalar), each with its context as
/// the tree has it; and whether that is `splits` unchanged.
pub(crate) fn fitting(splits: &[Split], tree: &Tree) -> (Vec<Split>, bool) {
    let out: Vec<Split> = (splits.iter())
        .filter(|s| !in_ranges(&tree.opaque, s.amp))
        .map(|s| Split {
            flow: in_ranges(&tree.flow, s.amp),
            ..*s
        })
        .collect();
    let same = out == splits;
    (out, same)
}

/// A split the tree from the copy does not confirm: imagelock's limit.
pub(crate) fn unsupported(src: &Source, split: Split) -> ParseError {
    let mut e = error_at(
        src,
        split.at,
        ParseErrorKind::Unsupported,
        "an anchor or alias name followed right away by `:` or `?`, which imagelock cannot read \
         as yaml.v3 does here"
            .to_owned(),
    );
    e.help = Some("put a space after the name".to_owned());
    e
}

/// yaml.v3 reads `,`, `[` and `]` as part of a tag (URI characters); yaml-rust2 ends the tag
/// there. A tag followed right away by one of them is read differently, so it is refused.
fn check_tag(src: &Source, at: usize) -> Result<(), ParseError> {
    // A verbatim tag (`!<tag:x,2000:y>`) runs to its `>` in both.
    if src.at(at + 1) == b'<' {
        return Ok(());
    }
    let end = (at + 1..src.len())
        .find(|&i| {
            src.is_blank_or_breakz(i) || matches!(src.at(i), b',' | b'[' | b']' | b'{' | b'}')
        })
        .unwrap_or(src.len());
    if !matches!(src.at(end), b',' | b'[' | b']') {
        return Ok(());
    }
    let mut e = error_at(
        src,
        end,
        ParseErrorKind::Unsupported,
        "a tag followed right away by `,`, `[` or `]`, which yaml.v3 reads as part of the tag"
            .to_owned(),
    );
    e.help = Some("put a space after the tag".to_owned());
    Err(e)
}

fn in_comment(comments: &[Comment], pos: usize) -> bool {
    let k = comments.partition_point(|c| c.start <= pos);
    k > 0 && pos < comments[k - 1].end
}
