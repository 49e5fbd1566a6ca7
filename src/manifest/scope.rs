//! The parts of a file Flux reads: kyaml splits the text at `\n---…\n` lines and yaml.v3 decodes
//! only the first document of each piece, so a document after `...` in the same piece is never
//! read; a file whose only document is a `List` (or `ResourceList`) with `items` is replaced by
//! those items, so nothing outside them is visited.

use super::comments::in_ranges;
use super::source::{Source, BOM};
use super::tree::{flux_skips, Kind, Role, Tree};
use super::{Attachment, IgnoredReason, MarkerComment, ParseError, PathSegment};
use crate::text::TextRange;

/// The search for `\n---`, built once (building it per call cost more than most searches).
static SEPARATOR: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\n---"));

/// Start offsets (of the `\n`) of kyaml's document separators: `\n---` then the rest of the
/// line and its line break; matches do not overlap.
pub(crate) fn separators(src: &Source) -> Vec<usize> {
    let bytes = src.bytes;
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = SEPARATOR.find(&bytes[from..]) {
        let at = from + found;
        let Some(eol) = memchr::memchr(b'\n', &bytes[at + 4..]) else {
            break;
        };
        out.push(at);
        from = at + 4 + eol + 1;
    }
    out
}

/// `line_start`, or past the BOM that starts the line if the line starts a `---` piece after
/// the first: yaml.v3 reads each piece as a stream and drops that BOM (`shadow.rs` drops it from
/// what yaml-rust2 scans), so the line's indentation starts after it.
pub(crate) fn after_piece_bom(src: &Source, line_start: usize) -> usize {
    let bom = BOM.as_bytes();
    if line_start == 0 || !src.bytes[line_start..].starts_with(bom) {
        return line_start;
    }
    let piece_start = separators(src)
        .into_iter()
        .any(|sep| src.skip_break(src.line_end_of(sep + 1)) == line_start);
    if piece_start {
        line_start + bom.len()
    } else {
        line_start
    }
}

/// yaml.v3 fails on a piece whose first token is a `...` document end marker: with no document
/// started, its parser wants node content there ("did not find expected node content").
pub(crate) fn check_piece_starts(
    src: &Source,
    opaque: &[(usize, usize)],
) -> Result<(), ParseError> {
    let mut next = Some(src.body_start);
    let mut from = 0;
    while let Some(start) = next {
        // The next piece: after the next `\n---…\n` line (as `separators` finds them).
        let mut rest = None;
        next = SEPARATOR.find(&src.bytes[from..]).and_then(|found| {
            let sep = from + found;
            let eol = sep + 4 + memchr::memchr(b'\n', &src.bytes[sep + 4..])?;
            rest = Some((sep + 4, eol));
            from = eol + 1;
            Some(eol + 1)
        });
        // kyaml fails the file on a separator line with more than a comment after `---`, even
        // one inside a multi-line scalar (outside one the tree has refused it already).
        if let Some((rest_start, eol)) = rest {
            let text = src
                .slice(rest_start, eol)
                .trim_matches(|c: char| c.is_whitespace());
            if !text.is_empty() && !text.starts_with('#') {
                return Err(flux_skips(
                    src,
                    rest_start,
                    "content after `---` on a line kyaml splits documents at",
                    "kyaml splits the file at every line that starts with `---` and wants \
                     nothing but a comment after it; indent that line",
                ));
            }
        }
        // The first line that is neither blank nor a comment.
        let mut line = after_piece_bom(src, start);
        let first = loop {
            let mut i = line;
            while src.is_blank(i) {
                i += 1;
            }
            if src.is_eof(i) || !(src.is_break(i) || src.at(i) == b'#') {
                break i;
            }
            line = src.skip_break(src.line_end_of(i));
        };
        if first == line
            && src.bytes[first..].starts_with(b"...")
            && src.is_blank_or_breakz(first + 3)
            && !in_ranges(opaque, first)
        {
            return Err(flux_skips(
                src,
                first,
                "a `...` document end marker before any document",
                "yaml.v3 wants a document before `...` (kyaml reads each `---` piece on its own); \
                 remove the marker",
            ));
        }
    }
    Ok(())
}

/// Marks the markers of the documents Flux never reads as ignored.
pub(crate) fn unread(src: &Source, tree: &Tree, markers: &mut [MarkerComment]) {
    let seps = separators(src);
    let piece_of = |pos: usize| seps.partition_point(|&s| s < pos);
    // The documents yaml.v3 decodes: the first with content in each piece.
    let mut read = vec![false; tree.docs.len()];
    let mut last_piece = None;
    let roots = root_nodes(tree);
    for (i, doc) in tree.docs.iter().enumerate() {
        let Some(root) = roots[i] else {
            continue;
        };
        let piece = piece_of(doc.range.start().max(tree.nodes[root].start));
        if last_piece != Some(piece) {
            read[i] = true;
            last_piece = Some(piece);
        }
    }
    let lone_list = lone_list(tree, &read, &roots);
    for m in markers.iter_mut() {
        let Attachment::Scalar(index) = m.attachment else {
            continue;
        };
        let Some(scalar) = tree.docs.get(m.document).and_then(|d| d.scalars.get(index)) else {
            continue;
        };
        let in_items = scalar.path.len() >= 2 && scalar.path[0] == PathSegment::Key("items".into());
        let skipped = !read[m.document] || (lone_list == Some(m.document) && !in_items);
        if skipped {
            m.attachment = Attachment::Ignored {
                reason: IgnoredReason::NotRead,
                target: TextRange::new(scalar.range.start(), scalar.range.end()),
            };
        }
    }
}

/// Each document's root node, unless it is empty (no content, or an implicit null).
fn root_nodes(tree: &Tree) -> Vec<Option<usize>> {
    let mut roots = vec![None; tree.docs.len()];
    for (id, node) in tree.nodes.iter().enumerate() {
        if node.role == Role::Root && node.kind != Kind::Empty {
            if let Some(r) = roots.get_mut(node.doc) {
                r.get_or_insert(id);
            }
        }
    }
    roots
}

/// The document kyaml unwraps: the only one read with content, a mapping whose first `kind` is
/// `List` or `ResourceList` and that has `items` or `functionConfig`.
fn lone_list(tree: &Tree, read: &[bool], roots: &[Option<usize>]) -> Option<usize> {
    let mut docs = (0..tree.docs.len()).filter(|&i| read[i] && roots[i].is_some());
    let doc = docs.next()?;
    if docs.next().is_some() || !tree.list_keys.get(doc).copied().unwrap_or(false) {
        return None;
    }
    let kind = tree.docs[doc]
        .scalars
        .iter()
        .find(|s| s.path.len() == 1 && s.path[0] == PathSegment::Key("kind".into()))?;
    matches!(kind.value.as_str(), "List" | "ResourceList").then_some(doc)
}
