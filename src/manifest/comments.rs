//! Comments, found by scanning the source (yaml-rust2 drops them), and attached to nodes the way
//! yaml.v3 does for Flux: a scalar's line comment first, else the head comment of a block-sequence
//! item on the line directly above it. See `flux-semantics.md` §1.1.

use super::source::Source;
use super::tree::{Item, Kind, NodeId, Role, Tree};
use super::{Attachment, IgnoredReason, MarkerComment};
use crate::marker;
use crate::text::TextRange;

#[derive(Clone, Copy, Debug)]
pub(crate) struct Comment {
    /// The `#`.
    pub start: usize,
    /// End of the line, before its line break.
    pub end: usize,
    /// Nothing but blanks before it on its line.
    pub own_line: bool,
}

impl Comment {
    fn range(self) -> TextRange {
        TextRange::new(self.start, self.end)
    }
}

/// Where a comment goes before it is turned into the public [`Attachment`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Scalar(NodeId),
    Ignored(IgnoredReason, TextRange),
}

/// Whether `pos` lies inside one of the sorted, disjoint `ranges`.
pub(crate) fn in_ranges(ranges: &[(usize, usize)], pos: usize) -> bool {
    let k = ranges.partition_point(|&(start, _)| start <= pos);
    k > 0 && pos < ranges[k - 1].1
}

/// Every real comment: a `#` outside all scalars, at the start of a line or after a blank or a
/// flow indicator (where a YAML scanner looks for the next token).
pub(crate) fn find(src: &Source, opaque: &[(usize, usize)]) -> Vec<Comment> {
    let bytes = src.bytes;
    let mut comments = Vec::new();
    let mut i = src.body_start;
    let mut j = 0;
    let mut only_blanks = true;
    while i < bytes.len() {
        while j < opaque.len() && opaque[j].1 <= i {
            j += 1;
        }
        if j < opaque.len() && opaque[j].0 <= i {
            i = opaque[j].1;
            only_blanks = false;
            continue;
        }
        match bytes[i] {
            b'\n' => only_blanks = true,
            b' ' | b'\t' | b'\r' => {}
            b'#' if only_blanks
                || matches!(
                    bytes[i - 1],
                    b' ' | b'\t' | b',' | b'[' | b']' | b'{' | b'}'
                ) =>
            {
                let end = src.line_end_of(i);
                comments.push(Comment {
                    start: i,
                    end,
                    own_line: only_blanks,
                });
                i = end;
                continue;
            }
            _ => only_blanks = false,
        }
        i += 1;
    }
    comments
}

struct Attacher<'s, 'a> {
    src: &'s Source<'a>,
    tree: &'s Tree,
    /// `(start, node)` sorted by start then by event order (outer collections first).
    by_start: Vec<(usize, NodeId)>,
    /// The line comment found for each node.
    line_comment: Vec<Option<TextRange>>,
}

/// Attaches the comments; fills every scalar's `line_comment` and returns the marker comments
/// (those containing `$imagepolicy`, plus marker-looking text inside block scalars).
pub(crate) fn attach(src: &Source, tree: &mut Tree, comments: &[Comment]) -> Vec<MarkerComment> {
    let mut by_start: Vec<(usize, NodeId)> = tree
        .nodes
        .iter()
        .enumerate()
        .map(|(id, n)| (n.start, id))
        .collect();
    by_start.sort_unstable();
    let mut a = Attacher {
        src,
        tree,
        by_start,
        line_comment: vec![None; tree.nodes.len()],
    };
    let mut targets: Vec<Option<Target>> = vec![None; comments.len()];
    for (k, c) in comments.iter().enumerate() {
        if !c.own_line {
            let t = a.trailing(*c);
            if let Target::Scalar(id) = t {
                a.line_comment[id] = Some(c.range());
            }
            targets[k] = Some(t);
        }
    }
    let mut k = 0;
    while k < comments.len() {
        if !comments[k].own_line {
            k += 1;
            continue;
        }
        // A run of own-line comments on consecutive lines is one head comment.
        let first = k;
        let mut last_line = src.line_of(comments[k].start);
        while k + 1 < comments.len()
            && comments[k + 1].own_line
            && src.line_of(comments[k + 1].start) == last_line + 1
        {
            k += 1;
            last_line += 1;
        }
        for (offset, c) in comments[first..=k].iter().enumerate() {
            targets[first + offset] = Some(a.head(*c, k - first + 1, last_line + 1));
        }
        k += 1;
    }

    let mut markers = Vec::new();
    for (c, target) in comments.iter().zip(targets) {
        let text = src.slice(c.start, c.end);
        if marker::find_key(text.as_bytes()).is_none() {
            continue;
        }
        let (document, attachment) = match target {
            Some(Target::Scalar(id)) => {
                let node = &a.tree.nodes[id];
                match node.scalar {
                    Some(_) if node.dup => {
                        (node.doc, ignored(IgnoredReason::DuplicateKey, node.range()))
                    }
                    Some(index) => (node.doc, Attachment::Scalar(index)),
                    None => (
                        a.doc_of(c.start),
                        ignored(IgnoredReason::Detached, c.range()),
                    ),
                }
            }
            Some(Target::Ignored(reason, target)) => (a.doc_of(c.start), ignored(reason, target)),
            None => (
                a.doc_of(c.start),
                ignored(IgnoredReason::Detached, c.range()),
            ),
        };
        markers.push(MarkerComment {
            range: c.range(),
            text: text.trim_start_matches('#').to_owned(),
            document,
            attachment,
        });
    }
    a.block_scalar_markers(&mut markers);
    markers.sort_by_key(|m| m.range.start);

    let line_comment = a.line_comment;
    for (node, lc) in tree.nodes.iter().zip(line_comment) {
        if let (Some(index), Some(lc)) = (node.scalar, lc) {
            if let Some(s) = tree
                .docs
                .get_mut(node.doc)
                .and_then(|d| d.scalars.get_mut(index))
            {
                s.line_comment = Some(lc);
            }
        }
    }
    markers
}

fn ignored(reason: IgnoredReason, target: TextRange) -> Attachment {
    Attachment::Ignored { reason, target }
}

impl Attacher<'_, '_> {
    fn doc_of(&self, pos: usize) -> usize {
        let docs = &self.tree.docs;
        docs.partition_point(|d| d.range.start() <= pos)
            .saturating_sub(1)
    }

    /// The outermost node that starts after `pos`.
    fn node_after(&self, pos: usize) -> Option<NodeId> {
        let k = self.by_start.partition_point(|&(start, _)| start <= pos);
        self.by_start.get(k).map(|&(_, id)| id)
    }

    fn range(&self, id: NodeId) -> TextRange {
        self.tree.nodes[id].range()
    }

    /// What a node that a comment sits on (but is not a scalar it could set) means.
    fn non_scalar(&self, id: NodeId, dash: usize) -> Target {
        let node = &self.tree.nodes[id];
        let reason = match node.kind {
            Kind::Empty => {
                return Target::Ignored(IgnoredReason::EmptyValue, TextRange::new(dash, dash + 1))
            }
            Kind::Map => IgnoredReason::OnMapping,
            Kind::Seq => IgnoredReason::OnSequence,
            Kind::Alias => IgnoredReason::OnAlias,
            Kind::Scalar(_) => IgnoredReason::Detached,
        };
        Target::Ignored(reason, node.range())
    }

    /// A comment after something on its line: it belongs to the last thing before it.
    fn trailing(&self, c: Comment) -> Target {
        let src = self.src;
        let line_start = src.line_start_of(c.start);
        let items = &self.tree.items;
        let k = items.partition_point(|&(pos, _)| pos <= c.start);
        if let Some(&(pos, item)) = k.checked_sub(1).and_then(|k| items.get(k)) {
            if pos > line_start {
                return self.after_item(item, c);
            }
        }
        // Nothing but indicators before it: `- # c`, `? # c`, `&a # c`.
        let mut dash = None;
        for d in line_start..c.start {
            if src.is_dash_entry(d) && (d == line_start || src.is_blank(d - 1)) {
                dash = Some(d);
            }
        }
        let Some(dash) = dash else {
            return Target::Ignored(IgnoredReason::Detached, c.range());
        };
        match self.node_after(dash) {
            Some(id) if matches!(self.tree.nodes[id].role, Role::Item { block_seq: true }) => {
                self.non_scalar(id, dash)
            }
            _ => Target::Ignored(IgnoredReason::Detached, c.range()),
        }
    }

    fn after_item(&self, item: Item, c: Comment) -> Target {
        let nodes = &self.tree.nodes;
        match item {
            Item::Node(id) => {
                let node = &nodes[id];
                if node.role == Role::Key {
                    return match node.value.map(|v| nodes[v].kind) {
                        None | Some(Kind::Empty) => {
                            Target::Ignored(IgnoredReason::EmptyValue, node.range())
                        }
                        Some(_) => Target::Ignored(IgnoredReason::OnKey, node.range()),
                    };
                }
                if node.in_key {
                    return Target::Ignored(IgnoredReason::OnKey, node.range());
                }
                match node.kind {
                    Kind::Scalar(_) if node.scalar.is_some() => Target::Scalar(id),
                    Kind::Alias => Target::Ignored(IgnoredReason::OnAlias, node.range()),
                    _ => Target::Ignored(IgnoredReason::Detached, c.range()),
                }
            }
            Item::Open(id) | Item::Close(id) => {
                let reason = if nodes[id].kind == Kind::Map {
                    IgnoredReason::OnMapping
                } else {
                    IgnoredReason::OnSequence
                };
                Target::Ignored(reason, self.range(id))
            }
            Item::DocMarker => Target::Ignored(IgnoredReason::Detached, c.range()),
        }
    }

    /// A comment on its own line, in a run of `run_len` comment lines followed by `next_line`:
    /// the head comment of a block-sequence item on that line, or nothing Flux reads.
    fn head(&self, c: Comment, run_len: usize, next_line: usize) -> Target {
        let src = self.src;
        let detached = Target::Ignored(IgnoredReason::Detached, c.range());
        if next_line >= src.line_count() {
            return detached;
        }
        let dash = src.first_non_blank_of_line(src.line_start(next_line));
        if !src.is_dash_entry(dash) || in_ranges(&self.tree.opaque, dash) {
            return detached;
        }
        let Some(id) = self.node_after(dash) else {
            return detached;
        };
        let node = &self.tree.nodes[id];
        if !matches!(node.role, Role::Item { block_seq: true }) {
            return detached;
        }
        if !matches!(node.kind, Kind::Scalar(_)) || node.scalar.is_none() {
            return self.non_scalar(id, dash);
        }
        if let Some(lc) = self.line_comment[id] {
            return Target::Ignored(IgnoredReason::ShadowedByLineComment, lc);
        }
        if run_len > 1 {
            return Target::Ignored(IgnoredReason::MultiLineHeadComment, node.range());
        }
        Target::Scalar(id)
    }

    /// `#` text inside block scalars is not a comment; a line there that looks like a marker is
    /// reported so that users learn Flux ignores it.
    fn block_scalar_markers(&self, markers: &mut Vec<MarkerComment>) {
        let src = self.src;
        for &(id, body_start, body_end) in &self.tree.block_bodies {
            let body = src.slice(body_start, body_end);
            let mut from = 0;
            while let Some(found) = body
                .get(from..)
                .and_then(|rest| marker::find_key(rest.as_bytes()))
            {
                let at = body_start + from + found;
                let line_start = src.line_start_of(at);
                let line_end = src.line_end_of(at);
                from = line_end - body_start;
                let hash = (line_start..at)
                    .find(|&h| src.at(h) == b'#' && (h == line_start || src.is_blank(h - 1)));
                if let Some(hash) = hash {
                    let text = src.slice(hash, line_end);
                    markers.push(MarkerComment {
                        range: TextRange::new(hash, line_end),
                        text: text.trim_start_matches('#').to_owned(),
                        document: self.tree.nodes[id].doc,
                        attachment: ignored(IgnoredReason::InBlockScalar, self.range(id)),
                    });
                }
            }
        }
    }
}
