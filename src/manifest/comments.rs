//! Comments, found by scanning the source (yaml-rust2 drops them), and attached to nodes the way
//! yaml.v3 does for Flux: a scalar's line comment first, else the head comment of a block-sequence
//! item on the line directly above it. See `flux-semantics.md` §1.1.

use super::source::Source;
use super::tree::{Item, Kind, NodeId, Role, Tree};
use super::{Attachment, IgnoredReason, MarkerComment};
use crate::marker;
use crate::text::TextRange;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    let mut after_scalar = 0;
    while i < bytes.len() {
        while j < opaque.len() && opaque[j].1 <= i {
            j += 1;
        }
        if j < opaque.len() && opaque[j].0 <= i {
            i = opaque[j].1;
            only_blanks = false;
            after_scalar = i;
            continue;
        }
        match bytes[i] {
            b'\n' => only_blanks = true,
            b' ' | b'\t' | b'\r' => {}
            // yaml.v3 also reads a comment right after a closing quote (`"x"# c`).
            b'#' if only_blanks
                || matches!(
                    bytes[i - 1],
                    b' ' | b'\t' | b',' | b'[' | b']' | b'{' | b'}'
                )
                || (after_scalar == i && matches!(bytes[i - 1], b'"' | b'\''))
                || after_block_header(src, i) =>
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

/// Whether `hash`, outside every scalar, follows a block scalar's header with no blank
/// (`key: >#c`, `|-2#c`): libyaml reads a comment there, as after any blank.
pub(crate) fn after_block_header(src: &Source, hash: usize) -> bool {
    let mut i = hash;
    while i > hash.saturating_sub(2)
        && i > src.body_start
        && matches!(src.at(i - 1), b'+' | b'-' | b'0'..=b'9')
    {
        i -= 1;
    }
    i > src.body_start
        && matches!(src.at(i - 1), b'|' | b'>')
        && (i - 1 == src.line_start_of(i - 1) || src.is_blank(i - 2))
}

/// A run of own-line comments (blank lines between them allowed), read as one head comment.
struct Run {
    /// Comment lines in the run.
    len: usize,
    /// The first line after the run with content.
    next_line: usize,
}

struct Attacher<'s, 'a> {
    src: &'s Source<'a>,
    tree: &'s Tree,
    /// `(start, node)` sorted by start then by event order (outer collections first).
    by_start: Vec<(usize, NodeId)>,
    /// The line comment found for each node.
    line_comment: Vec<Option<TextRange>>,
    comments: &'s [Comment],
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
        comments,
    };
    let mut targets: Vec<Option<Target>> = vec![None; comments.len()];
    for (k, c) in comments.iter().enumerate() {
        if !c.own_line && !a.after_bare_dash(*c) {
            let t = a.trailing(*c);
            if let Target::Scalar(id) = t {
                a.line_comment[id] = Some(c.range());
            }
            targets[k] = Some(t);
        }
    }
    // After a bare `-` a comment is a head comment: read once every line comment is known.
    for (k, c) in comments.iter().enumerate() {
        if !c.own_line && a.after_bare_dash(*c) {
            targets[k] = Some(a.trailing(*c));
        }
    }
    let mut k = 0;
    while k < comments.len() {
        if !comments[k].own_line {
            k += 1;
            continue;
        }
        // yaml.v3 joins own-line comments into one head comment, blank lines between them
        // included: a run ends at the first line with content. But comment lines right below
        // content and followed by a blank line are the foot comment of that content.
        let first = k;
        let mut last_line = src.line_of(comments[k].start);
        let adjacent = |k: usize, last_line: usize| {
            k + 1 < comments.len()
                && comments[k + 1].own_line
                && src.line_of(comments[k + 1].start) == last_line + 1
        };
        while adjacent(k, last_line) {
            k += 1;
            last_line += 1;
        }
        if a.blank_lines(last_line + 1, last_line + 2)
            && (a.below_content(comments[first]) || a.left_of_indent(comments[first]))
        {
            for (t, c) in targets[first..=k].iter_mut().zip(&comments[first..=k]) {
                *t = Some(Target::Ignored(IgnoredReason::Detached, c.range()));
            }
            k += 1;
            continue;
        }
        while k + 1 < comments.len()
            && comments[k + 1].own_line
            && a.blank_lines(last_line + 1, src.line_of(comments[k + 1].start))
        {
            k += 1;
            last_line = src.line_of(comments[k].start);
        }
        let mut next_line = last_line + 1;
        while next_line < src.line_count() && a.blank_lines(next_line, next_line + 1) {
            next_line += 1;
        }
        let run = Run {
            len: k - first + 1,
            next_line,
        };
        for (offset, c) in comments[first..=k].iter().enumerate() {
            targets[first + offset] = Some(a.head(*c, &run));
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

    /// Whether only indicators precede the comment on its line (`- # c`).
    fn after_bare_dash(&self, c: Comment) -> bool {
        let line_start = self.src.line_start_of(c.start);
        let items = &self.tree.items;
        let k = items.partition_point(|&(pos, _)| pos <= c.start);
        k.checked_sub(1)
            .and_then(|k| items.get(k))
            .is_none_or(|&(pos, _)| pos <= line_start)
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
        // yaml.v3 gives a bare `-` no line comment: the comment becomes the head comment of
        // whatever follows, the item on the next line or, for an empty item, the next node.
        match self.node_after(dash) {
            Some(id) if matches!(self.tree.nodes[id].role, Role::Item { block_seq: true }) => {
                if self.tree.nodes[id].kind == Kind::Empty {
                    let above = src.line_of(dash).checked_sub(1).map(|l| src.line_start(l));
                    let joined = above.is_some_and(|a| {
                        let i = src.first_non_blank_of_line(a);
                        src.at(i) == b'#' && self.comment_between(i, i + 1)
                    });
                    return self.moved(c, id, dash, joined);
                }
                self.head_of(id)
                    .unwrap_or_else(|| self.non_scalar(id, dash))
            }
            _ => Target::Ignored(IgnoredReason::Detached, c.range()),
        }
    }

    /// A one-line head comment on node `id`: set if it is a scalar value without a line comment.
    fn head_of(&self, id: NodeId) -> Option<Target> {
        let node = &self.tree.nodes[id];
        if !matches!(node.kind, Kind::Scalar(_)) || node.scalar.is_none() {
            return None;
        }
        Some(match self.line_comment[id] {
            Some(lc) => Target::Ignored(IgnoredReason::ShadowedByLineComment, lc),
            None => Target::Scalar(id),
        })
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

    /// Whether lines `from..to` hold only blanks.
    fn blank_lines(&self, from: usize, to: usize) -> bool {
        let src = self.src;
        (from..to).all(|line| {
            line < src.line_count() && {
                let i = src.first_non_blank_of_line(src.line_start(line));
                src.is_eof(i) || src.is_break(i)
            }
        })
    }

    /// Whether the comment is right below a line with content that does not end in `key:`
    /// (where yaml.v3 may read it as a foot comment).
    fn below_content(&self, c: Comment) -> bool {
        let src = self.src;
        let Some(above) = src.line_of(c.start).checked_sub(1) else {
            return false;
        };
        let start = src.line_start(above);
        let end = src.line_end_of(start);
        let k = self.tree.items.partition_point(|&(pos, _)| pos <= end);
        let text = src.slice(start, end).trim();
        let ends_in_key =
            k.checked_sub(1)
                .map(|k| self.tree.items[k])
                .is_some_and(|(pos, item)| {
                    pos >= start
                        && matches!(item, Item::Node(id) if self.tree.nodes[id].role == Role::Key)
                });
        let first = src.first_non_blank_of_line(start);
        let own_comment = text.starts_with('#') && !in_ranges(&self.tree.opaque, first);
        !text.is_empty() && !own_comment && !ends_in_key
    }

    /// Whether the comment is left of the block collection the last token before it is in
    /// (yaml.v3's `indent` there): it then ends that collection, as a foot comment.
    fn left_of_indent(&self, c: Comment) -> bool {
        let src = self.src;
        let items = &self.tree.items;
        let k = items.partition_point(|&(pos, _)| pos <= c.start);
        let Some(&(_, Item::Node(id) | Item::Close(id))) =
            k.checked_sub(1).and_then(|k| items.get(k))
        else {
            return false;
        };
        let node = &self.tree.nodes[id];
        let indent = match node.role {
            Role::Key => src.col(node.start),
            Role::Value { key } => src.col(self.tree.nodes[key].start),
            Role::Item { block_seq: true } => {
                let mut d = node.start;
                while d > 0 && src.is_blank(d - 1) {
                    d -= 1;
                }
                match d.checked_sub(1) {
                    Some(dash) if src.is_dash_entry(dash) => src.col(dash),
                    _ => return false,
                }
            }
            Role::Item { block_seq: false } | Role::Root => return false,
        };
        src.col(c.start) < indent
    }

    /// Whether a comment starts in `from..to`.
    fn comment_between(&self, from: usize, to: usize) -> bool {
        let k = self.comments.partition_point(|c| c.start < from);
        self.comments.get(k).is_some_and(|c| c.start < to)
    }

    /// A comment on its own line, in a run of head-comment lines: the head comment of the item
    /// or value after the run, or nothing Flux reads.
    fn head(&self, c: Comment, run: &Run) -> Target {
        let src = self.src;
        let detached = Target::Ignored(IgnoredReason::Detached, c.range());
        if run.next_line >= src.line_count() {
            return detached;
        }
        let dash = src.first_non_blank_of_line(src.line_start(run.next_line));
        // Inside a scalar that starts on an earlier line (a block scalar's text, say).
        if (dash > 0
            && in_ranges(&self.tree.opaque, dash - 1)
            && in_ranges(&self.tree.opaque, dash))
            || src.is_blank_or_breakz(dash)
        {
            return detached;
        }
        let multi = |target: Target, id: NodeId| match target {
            Target::Scalar(_) if run.len > 1 => {
                Target::Ignored(IgnoredReason::MultiLineHeadComment, self.range(id))
            }
            other => other,
        };
        if !src.is_dash_entry(dash) {
            // A value alone on the line below its key (`key:`, comment, value), or an item of a
            // flow sequence: the comment is its head comment.
            let Some(id) = dash.checked_sub(1).and_then(|p| self.node_after(p)) else {
                return detached;
            };
            match self.tree.nodes[id].role {
                Role::Value { key }
                    if src.line_of(self.tree.nodes[key].end) < src.line_of(c.start) => {}
                Role::Item { block_seq: false } => {}
                _ => return detached,
            }
            return self.head_of(id).map_or(detached, |t| multi(t, id));
        }
        let Some(id) = self.node_after(dash) else {
            return detached;
        };
        let node = &self.tree.nodes[id];
        if !matches!(node.role, Role::Item { block_seq: true }) {
            return detached;
        }
        if node.kind == Kind::Empty {
            return self.moved(c, id, dash, run.len > 1);
        }
        match self.head_of(id) {
            Some(t) => multi(t, id),
            None => self.non_scalar(id, dash),
        }
    }

    /// The comment of an empty item moves on to the next item of its sequence; when another
    /// comment sits in between or `joined` (a head comment of several lines, or a comment both
    /// above and after the `-`), yaml.v3 joins them and the JSON no longer parses.
    fn moved(&self, c: Comment, empty: NodeId, dash: usize, joined: bool) -> Target {
        let src = self.src;
        let sibling = self
            .node_after(self.tree.nodes[empty].start)
            .filter(|&next| {
                let start = self.tree.nodes[next].start;
                let d = src.first_non_blank_of_line(start);
                d < start && src.is_dash_entry(d) && src.col(d) == src.col(dash)
            });
        let Some(next) = sibling else {
            return self.non_scalar(empty, dash);
        };
        match self.head_of(next) {
            Some(Target::Scalar(_))
                if joined || self.comment_between(c.end, self.tree.nodes[next].start) =>
            {
                Target::Ignored(IgnoredReason::MultiLineHeadComment, self.range(next))
            }
            Some(target) => target,
            None => self.non_scalar(empty, dash),
        }
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
