//! Walks yaml-rust2's events once and builds a flat node list with byte spans: every scalar (keys
//! too, since their text hides `#`), alias and collection, with its role (key, value, item) and the
//! documents' scalar values with their paths.

use yaml_rust2::parser::{Event, Tag};
use yaml_rust2::scanner::TScalarStyle;

use super::comments::Comment;
use super::keys;
use super::source::Source;
use super::spans;
use super::{
    flowcolons, CollectionKind, CollectionNode, Document, ParseError, ParseErrorKind, PathSegment,
    ScalarNode, ScalarStyle,
};
use crate::text::TextRange;

pub(crate) type NodeId = usize;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Scalar(ScalarStyle),
    /// An implicit null (`key:`, `- `): no source text. Placed (empty) right after its key or
    /// its dash, since yaml-rust2 reports it at the next token.
    Empty,
    Alias,
    Seq,
    Map,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Root,
    Key,
    Value {
        key: NodeId,
    },
    /// An item of a block or flow sequence.
    Item {
        block_seq: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Node {
    pub kind: Kind,
    pub role: Role,
    /// Index of the document holding the node.
    pub doc: usize,
    pub start: usize,
    pub end: usize,
    /// Inside a mapping key (or the key itself): never a reported scalar.
    pub in_key: bool,
    /// For a key: its value node, once known.
    pub value: Option<NodeId>,
    /// For a reported scalar: its index in the document's `scalars`.
    pub scalar: Option<usize>,
    /// Below a mapping entry whose key an earlier entry of the same mapping has: kyaml's field
    /// lookup reaches only the first, so Flux never visits it.
    pub dup: bool,
}

impl Node {
    pub fn range(&self) -> TextRange {
        TextRange::new(self.start, self.end.max(self.start))
    }
}

/// Something a trailing comment can follow on its line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Item {
    /// A scalar (after its text, or after a block scalar's header), a key, or an alias.
    Node(NodeId),
    /// Just after the `[` or `{` of a flow collection.
    Open(NodeId),
    /// Just after the `]` or `}` of a flow collection.
    Close(NodeId),
    /// A `---` or `...` line.
    DocMarker,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Tree {
    pub nodes: Vec<Node>,
    pub docs: Vec<Document>,
    /// `(position, item)`, sorted by position.
    pub items: Vec<(usize, Item)>,
    /// Ranges where `#` is text, not a comment: every scalar's source; sorted, disjoint.
    pub opaque: Vec<(usize, usize)>,
    /// `(node, body start, body end)` of every block scalar with content.
    pub block_bodies: Vec<(NodeId, usize, usize)>,
    /// Outermost flow collections (`[...]`, `{...}`): where yaml.v3 accepts any tab.
    pub flow: Vec<(usize, usize)>,
    /// Plain scalars inside a block collection: their start and end, and the column below which
    /// a tab in the indentation of their lines (and the blank lines after) breaks yaml.v3's scan.
    pub plain_ends: Vec<(usize, usize, usize)>,
    /// Block scalars: the first byte after the header's line break, and the content indentation.
    pub block_scans: Vec<(usize, usize)>,
    /// Per document: its root mapping has an `items` or `functionConfig` key (kyaml unwraps a
    /// lone `List` that has one).
    pub list_keys: Vec<bool>,
    /// The comments, when the scanner found them on its way (the fast path); else
    /// `comments::find` looks for them.
    pub comments: Option<Vec<Comment>>,
}

struct Frame {
    node: NodeId,
    is_map: bool,
    /// In flow context (inside `[...]`/`{...}`).
    flow: bool,
    /// Written with brackets (an implicit `[a: b]` pair mapping is not).
    bracketed: bool,
    /// Block indentation (column of the keys or dashes), once known.
    col: Option<isize>,
    count: usize,
    key: Option<NodeId>,
    key_text: String,
    in_key: bool,
    seg: Option<PathSegment>,
    last_end: usize,
    /// The document root's mapping, or the value of its first `metadata`: kyaml checks the
    /// first `metadata` (and its first `annotations`) entry.
    meta_level: Option<u8>,
    /// The first `metadata` (or `annotations`) key of this mapping has been seen.
    meta_seen: bool,
    /// Where this mapping's key hashes start in [`Builder::key_hashes`].
    keys_from: usize,
    /// The collection is a duplicate entry's value, or inside one.
    dup: bool,
}

/// A scalar's source: `start..end`, where a trailing comment may follow (`trail`: the end of a
/// block scalar's header), and a block scalar's content lines.
struct Extent {
    start: usize,
    end: usize,
    trail: usize,
    body: Option<(usize, usize)>,
    /// For a block scalar: where its content lines start and their indentation.
    block_scan: Option<(usize, usize)>,
}

pub(super) struct Builder<'s, 'a> {
    src: &'s Source<'a>,
    tree: Tree,
    frames: Vec<Frame>,
    /// End of the last token seen: where a block scalar's header search starts.
    cursor: usize,
    doc_starts: Vec<usize>,
    after_doc_end: Option<usize>,
    /// `:`s the copy spells [`flowcolons::STANDIN`], to put back into plain scalars.
    colons: &'s [usize],
    /// Record `Document::collections`.
    collections: bool,
    /// The mapping about to start is the first `metadata` of a document root.
    next_meta_level: Option<u8>,
    /// Where the next scalar ends, when its scanner knows (the fast path, one-line scalars).
    pub(super) known_end: Option<usize>,
    /// Hashes of the keys seen so far in each open mapping, outermost first: a mapping's keys
    /// are contiguous, since a nested mapping ends before its parent's next key (one vector for
    /// all, not one per mapping; a mapping has few keys: a scan beats a set).
    key_hashes: Vec<u64>,
}

/// The message of a scalar whose source the tree cannot map byte for byte.
pub(crate) const UNKNOWN_EXTENT: &str =
    "could not determine the exact source extent of this scalar";

pub(crate) fn error_at(
    src: &Source,
    pos: usize,
    kind: ParseErrorKind,
    message: String,
) -> ParseError {
    let pos = pos.min(src.len());
    let len = src
        .text
        .get(pos..)
        .and_then(|s| s.chars().next())
        .map_or(0, char::len_utf8);
    ParseError {
        message,
        span: TextRange::new(pos, pos + len),
        kind,
        help: None,
    }
}

/// A file Flux skips: the reason at `pos`, and what to do in `help`.
pub(crate) fn flux_skips(src: &Source, pos: usize, message: &str, help: &str) -> ParseError {
    let mut e = error_at(src, pos, ParseErrorKind::FluxSkipsFile, message.to_owned());
    e.help = Some(help.to_owned());
    e
}

fn tag_text(tag: &Tag) -> String {
    match tag.handle.as_str() {
        "tag:yaml.org,2002:" => format!("!!{}", tag.suffix),
        "" => format!("!<{}>", tag.suffix),
        handle => format!("{handle}{}", tag.suffix),
    }
}

fn style_of(style: TScalarStyle) -> ScalarStyle {
    match style {
        TScalarStyle::Plain => ScalarStyle::Plain,
        TScalarStyle::SingleQuoted => ScalarStyle::SingleQuoted,
        TScalarStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
        TScalarStyle::Literal => ScalarStyle::Literal,
        TScalarStyle::Folded => ScalarStyle::Folded,
    }
}

fn is_null(value: &str) -> bool {
    matches!(value, "" | "~" | "null" | "Null" | "NULL")
}

impl<'s, 'a> Builder<'s, 'a> {
    pub(super) fn new(src: &'s Source<'a>, colons: &'s [usize], collections: bool) -> Self {
        // Typical manifests have an event every 15 bytes and a node every 25: sized up front, the
        // vectors do not regrow (and copy) a dozen times per file.
        let nodes = src.len() / 24;
        Builder {
            src,
            tree: Tree {
                nodes: Vec::with_capacity(nodes),
                docs: Vec::new(),
                items: Vec::with_capacity(nodes),
                opaque: Vec::with_capacity(nodes),
                block_bodies: Vec::new(),
                flow: Vec::new(),
                plain_ends: Vec::new(),
                block_scans: Vec::new(),
                list_keys: Vec::new(),
                comments: None,
            },
            frames: Vec::new(),
            cursor: src.body_start,
            doc_starts: Vec::new(),
            after_doc_end: None,
            colons,
            collections,
            next_meta_level: None,
            known_end: None,
            key_hashes: Vec::new(),
        }
    }

    /// The tree, once the last event has been handled.
    pub(super) fn finish(mut self) -> Tree {
        let src = self.src;
        let b = &mut self;
        if b.tree.docs.is_empty() {
            b.doc_starts.push(0);
            b.tree.list_keys.push(false);
            b.tree.docs.push(Document {
                range: TextRange::new(0, 0),
                scalars: Vec::new(),
                collections: Vec::new(),
            });
        }
        let n = b.tree.docs.len();
        for i in 0..n {
            let end = b.doc_starts.get(i + 1).copied().unwrap_or(src.len());
            b.tree.docs[i].range = TextRange::new(b.doc_starts[i], end.max(b.doc_starts[i]));
            // The scalars are kept for the whole run, for every file with a marker: no spare room.
            b.tree.docs[i].scalars.shrink_to_fit();
        }
        b.tree.items.sort_by_key(|(pos, _)| *pos);
        b.tree.opaque.sort_unstable();
        self.tree
    }
}

impl Builder<'_, '_> {
    fn err(&self, pos: usize, kind: ParseErrorKind, message: &str) -> ParseError {
        error_at(self.src, pos, kind, message.to_owned())
    }

    /// Handles one event, which the scanner reported at byte `pos`; false at the end of the
    /// stream.
    pub(super) fn event(
        &mut self,
        event: Event,
        pos: usize,
        shadowed: bool,
    ) -> Result<bool, ParseError> {
        let src = self.src;
        match event {
            Event::StreamEnd => return Ok(false),
            Event::StreamStart | Event::Nothing => {}
            Event::DocumentStart => self.document_start(pos)?,
            Event::DocumentEnd => {
                if src.col(pos) == 0 && src.bytes.get(pos..).is_some_and(|r| r.starts_with(b"..."))
                {
                    self.tree.items.push((pos + 3, Item::DocMarker));
                    self.cursor = self.cursor.max(pos + 3);
                    let eol = src.line_end_of(pos);
                    self.after_doc_end = Some(src.skip_break(eol));
                }
            }
            Event::Alias(_) => {
                let mut end = pos + 1;
                while end < src.len()
                    && !src.is_blank_or_breakz(end)
                    && !matches!(src.at(end), b',' | b'[' | b']' | b'{' | b'}')
                {
                    end += 1;
                }
                let seg = self.child_segment();
                let id = self.add(Kind::Alias, pos, end, false)?;
                self.record(id, seg, CollectionKind::Alias);
                self.tree.items.push((end, Item::Node(id)));
                self.cursor = self.cursor.max(end);
                self.finish_child(id);
            }
            Event::Scalar(value, style, anchor, tag) => {
                self.scalar(pos, value, style, anchor, tag.as_ref())?;
            }
            Event::SequenceStart(..) => self.collection_start(pos, false, shadowed)?,
            Event::MappingStart(..) => self.collection_start(pos, true, shadowed)?,
            Event::SequenceEnd | Event::MappingEnd => self.collection_end(pos),
        }
        Ok(true)
    }

    fn document_start(&mut self, pos: usize) -> Result<(), ParseError> {
        let src = self.src;
        let explicit = src.col(pos) == 0
            && src.bytes.get(pos..).is_some_and(|r| r.starts_with(b"---"))
            && src.is_blank_or_breakz(pos + 3);
        let start = if self.tree.docs.is_empty() {
            0
        } else if explicit {
            pos
        } else {
            self.after_doc_end.unwrap_or(self.cursor)
        };
        self.after_doc_end = None;
        self.doc_starts.push(start);
        self.tree.list_keys.push(false);
        self.tree.docs.push(Document {
            range: TextRange::new(start, start),
            scalars: Vec::new(),
            collections: Vec::new(),
        });
        if explicit {
            let mut i = pos + 3;
            while src.is_blank(i) {
                i += 1;
            }
            // kyaml splits at `\n---` lines only: on the file's first line, `--- !tag` or
            // `--- {...}` goes to yaml.v3 whole, which reads it.
            let first_line = pos == src.body_start;
            if !first_line && !src.is_eof(i) && !src.is_break(i) && src.at(i) != b'#' {
                return Err(flux_skips(
                    src,
                    i,
                    "content on a `---` document-start line",
                    "Flux splits files on `---` lines and cannot parse this one, so it skips the \
                     whole file; move the content to the next line",
                ));
            }
            self.tree.items.push((pos + 3, Item::DocMarker));
            self.cursor = self.cursor.max(pos + 3);
        }
        Ok(())
    }

    /// Creates a node, giving it its role from the enclosing collection. `null` tells whether a
    /// scalar is a null (the only scalar Flux accepts as a document root).
    fn add(
        &mut self,
        kind: Kind,
        start: usize,
        end: usize,
        null: bool,
    ) -> Result<NodeId, ParseError> {
        let id = self.tree.nodes.len();
        let mut in_key = false;
        let mut dup = self.frames.last().is_some_and(|f| f.dup);
        let role = match self.frames.last_mut() {
            None => Role::Root,
            Some(frame) => {
                frame.count += 1;
                in_key = frame.in_key;
                if frame.is_map {
                    if let Some(key) = frame.key.take() {
                        let hash = key_hash(&frame.key_text);
                        if self.key_hashes[frame.keys_from..].contains(&hash) {
                            dup = true;
                        } else {
                            self.key_hashes.push(hash);
                        }
                        Role::Value { key }
                    } else {
                        frame.key = Some(id);
                        frame.key_text.clear();
                        in_key = true;
                        Role::Key
                    }
                } else {
                    Role::Item {
                        block_seq: !frame.flow,
                    }
                }
            }
        };
        match role {
            Role::Value { key } => {
                self.tree.nodes[key].value = Some(id);
                if self.frames.last().is_some_and(|f| f.flow) {
                    let k = &self.tree.nodes[key];
                    keys::check_flow_key(self.src, k.start, k.end)?;
                }
                self.check_meta(kind, start, null)?;
            }
            Role::Root => self.check_root(kind, start, null)?,
            Role::Key | Role::Item { .. } => {}
        }
        // A mapping without braces is placed at its first key; a block mapping's indentation is
        // the column of that key's properties, if any, as in yaml-rust2's scanner.
        if let Some(frame) = self.frames.last_mut() {
            if frame.is_map && !frame.bracketed && frame.count == 1 {
                let s = if frame.flow {
                    start
                } else {
                    props_start(self.src, start)
                };
                if !frame.flow {
                    frame.col = Some(isize::try_from(self.src.col(s)).unwrap_or(0));
                }
                self.tree.nodes[frame.node].start = s;
                frame.last_end = s;
            }
        }
        self.tree.nodes.push(Node {
            kind,
            role,
            doc: self.tree.docs.len().saturating_sub(1),
            start,
            end,
            in_key,
            value: None,
            scalar: None,
            dup,
        });
        Ok(id)
    }

    /// kyaml annotates every document it reads: the first `metadata` of a document root, and
    /// its first `annotations`, must be absent, null or a mapping, or Flux cannot read the file.
    fn check_meta(&mut self, kind: Kind, start: usize, null: bool) -> Result<(), ParseError> {
        self.next_meta_level = None;
        let Some(frame) = self.frames.last_mut() else {
            return Ok(());
        };
        let Some(level) = frame.meta_level else {
            return Ok(());
        };
        if level == 0 && matches!(frame.key_text.as_str(), "items" | "functionConfig") {
            if let Some(flag) = self.tree.list_keys.last_mut() {
                *flag = true;
            }
        }
        let name = if level == 0 {
            "metadata"
        } else {
            "annotations"
        };
        if frame.meta_seen || frame.key_text != name {
            return Ok(());
        }
        frame.meta_seen = true;
        match kind {
            Kind::Map => {
                self.next_meta_level = (level == 0).then_some(1);
                return Ok(());
            }
            Kind::Empty => return Ok(()),
            Kind::Scalar(_) if null => return Ok(()),
            _ => {}
        }
        let path = if level == 0 {
            "metadata"
        } else {
            "metadata.annotations"
        };
        Err(flux_skips(
            self.src,
            start,
            &format!("`{path}` is not a mapping"),
            "kyaml, which Flux reads files with, adds annotations to every document and fails \
             the whole file when `metadata` or `metadata.annotations` is neither a mapping nor \
             null",
        ))
    }

    fn check_root(&self, kind: Kind, start: usize, null: bool) -> Result<(), ParseError> {
        let message = match kind {
            Kind::Seq => "the document root is a sequence",
            Kind::Alias => "the document root is an alias",
            Kind::Scalar(_) if !null => "the document root is a scalar",
            Kind::Scalar(_) | Kind::Empty | Kind::Map => return Ok(()),
        };
        Err(flux_skips(
            self.src,
            start,
            message,
            "Flux needs every document to be a mapping (or empty) and skips the whole file \
             otherwise",
        ))
    }

    /// Bookkeeping once a node's extent is final.
    fn finish_child(&mut self, id: NodeId) {
        let end = self.tree.nodes[id].end;
        let is_key = self.tree.nodes[id].role == Role::Key;
        if let Some(frame) = self.frames.last_mut() {
            frame.last_end = frame.last_end.max(end);
            let n = &self.tree.nodes[id];
            // A scalar key's text is its parsed value, which `scalar` sets next.
            if is_key && frame.key_text.is_empty() && !matches!(n.kind, Kind::Scalar(_)) {
                frame.key_text = self.src.slice(n.start, n.end).to_owned();
            }
        }
    }

    /// The path segment of the next child of the innermost collection.
    fn child_segment(&self) -> Option<PathSegment> {
        let frame = self.frames.last()?;
        if frame.is_map {
            frame
                .key
                .map(|_| PathSegment::Key(frame.key_text.as_str().into()))
        } else {
            Some(PathSegment::Index(frame.count))
        }
    }

    fn scalar(
        &mut self,
        pos: usize,
        value: String,
        style: TScalarStyle,
        anchor: usize,
        tag: Option<&Tag>,
    ) -> Result<(), ParseError> {
        let style = style_of(style);
        let value = if style == ScalarStyle::Plain && !self.colons.is_empty() {
            self.restore_colons(pos, value)
        } else {
            value
        };
        let seg = self.child_segment();
        if style == ScalarStyle::Plain && value.is_empty() {
            let key = self
                .frames
                .last()
                .is_some_and(|f| f.is_map && f.key.is_none());
            if key && anchor == 0 && tag.is_none() {
                keys::check_empty_key(self.src, pos)?;
            }
            // yaml-rust2 places an implicit null at the next token. Put a mapping value right after
            // its key, and a sequence item right after its dash, so positions stay ordered.
            let at = match self.frames.last() {
                Some(f) if f.is_map => f.key.map_or(pos, |k| self.tree.nodes[k].end),
                Some(f) if !f.flow => {
                    spans::find_dash(self.src, self.cursor, pos).map_or(pos, |d| d + 1)
                }
                _ => pos,
            };
            let id = self.add(Kind::Empty, at, at, true)?;
            self.record(id, seg, CollectionKind::Empty);
            self.cursor = self.cursor.max(at);
            self.finish_child(id);
            return Ok(());
        }
        let in_flow = self.frames.last().is_some_and(|f| f.flow);
        let first = self.src.at(pos);
        let bar = style == ScalarStyle::Plain && matches!(first, b'|' | b'>');
        if in_flow && style == ScalarStyle::Plain && first == b':' {
            // yaml.v3 takes every `:` in flow context for a value indicator.
            return Err(flux_skips(
                self.src,
                pos,
                "a value starting with `:` inside a flow collection",
                "yaml.v3 reads a `:` in brackets as the separator of a key and its value; quote \
                 the value",
            ));
        }
        if in_flow && (style.is_block() || bar) {
            // In a flow collection yaml-rust2 reads `>- x` as a plain scalar; libyaml takes `|`
            // and `>` for block scalar headers, which flow context refuses ("found character that
            // cannot start any token").
            let header = if bar {
                pos
            } else {
                spans::find_block_header(self.src, self.cursor, pos).unwrap_or(pos)
            };
            return Err(flux_skips(
                self.src,
                header,
                "a block scalar (`|` or `>`) inside a flow collection (`[...]` or `{...}`)",
                "yaml.v3 reads `|` and `>` as block scalars only outside brackets; quote the \
                 value or write the collection in block style",
            ));
        }
        let Extent {
            start,
            end,
            trail,
            body,
            block_scan,
        } = self
            .extent(pos, &value, style)
            .ok_or_else(|| self.unknown_extent(pos))?;
        if style == ScalarStyle::DoubleQuoted {
            if let Some(at) = spans::escape_at(self.src, start, end, b'/') {
                return Err(flux_skips(
                    self.src,
                    at,
                    "the escape `\\/`, which yaml.v3 does not know",
                    "yaml.v3 refuses escapes other than YAML 1.1's; write `/` without the backslash",
                ));
            }
        }
        if in_flow && style == ScalarStyle::Plain {
            self.check_flow_plain(start, end)?;
        }
        let null = style == ScalarStyle::Plain && is_null(&value);
        let id = self.add(Kind::Scalar(style), start, end, null)?;
        self.tree.items.push((trail, Item::Node(id)));
        if let Some(scan) = block_scan {
            self.tree.block_scans.push(scan);
        }
        if style == ScalarStyle::Plain {
            // yaml.v3's `indent` for the scan: one more than the column of the block collection
            // around it (in brackets too: flow collections set no indentation).
            if let Some(frame) = self.frames.iter().rev().find(|f| !f.flow) {
                let indent = frame.col.map_or(0, |c| usize::try_from(c + 1).unwrap_or(0));
                self.tree.plain_ends.push((start, end, indent));
            }
        }
        match body {
            Some((b0, b1)) => {
                self.tree.opaque.push((b0, b1));
                self.tree.block_bodies.push((id, b0, b1));
            }
            None if !style.is_block() => self.tree.opaque.push((start, end)),
            None => {}
        }
        self.cursor = self.cursor.max(end);
        self.finish_child(id);
        let node = &self.tree.nodes[id];
        if node.role == Role::Key {
            if let Some(frame) = self.frames.last_mut() {
                frame.key_text = value;
            }
            return Ok(());
        }
        if node.in_key || node.role == Role::Root {
            return Ok(());
        }
        let depth =
            self.frames.iter().filter(|f| f.seg.is_some()).count() + usize::from(seg.is_some());
        let mut path: Vec<PathSegment> = Vec::with_capacity(depth);
        path.extend(self.frames.iter().filter_map(|f| f.seg.clone()));
        path.extend(seg);
        let scalar = ScalarNode {
            path,
            range: TextRange::new(start, end),
            style,
            value,
            anchor: anchor != 0,
            tag: tag.map(tag_text),
            line_comment: None,
        };
        if let Some(doc) = self.tree.docs.last_mut() {
            self.tree.nodes[id].scalar = Some(doc.scalars.len());
            doc.scalars.push(scalar);
        }
        Ok(())
    }

    /// The value of the plain scalar at `pos` with the `:`s of its first line back (its first
    /// line is in the value as written).
    #[inline(never)]
    fn restore_colons(&self, pos: usize, value: String) -> String {
        let line_end = self.src.line_end_of(pos);
        let mut bytes = value.into_bytes();
        for &at in self.colons.iter().filter(|&&at| pos < at && at < line_end) {
            if let Some(b) = bytes
                .get_mut(at - pos)
                .filter(|b| **b == flowcolons::STANDIN)
            {
                *b = b':';
            }
        }
        String::from_utf8(bytes).unwrap_or_default()
    }

    /// Where a scalar that yaml-rust2 reported at `pos` lies.
    fn extent(&mut self, pos: usize, value: &str, style: ScalarStyle) -> Option<Extent> {
        let src = self.src;
        let inline = |end| Extent {
            start: pos,
            end,
            trail: end,
            body: None,
            block_scan: None,
        };
        if let Some(end) = self.known_end.take() {
            return Some(inline(end));
        }
        match style {
            ScalarStyle::Plain => {
                let flow = self.frames.last().is_some_and(|f| f.flow);
                spans::plain_end(src, pos, flow, value).map(inline)
            }
            ScalarStyle::DoubleQuoted => spans::double_quoted_end(src, pos).map(inline),
            ScalarStyle::SingleQuoted => spans::single_quoted_end(src, pos).map(inline),
            ScalarStyle::Literal | ScalarStyle::Folded => {
                let header = spans::find_block_header(src, self.cursor, pos)?;
                // A block mapping's indentation is known at its first key; when that key is
                // this scalar (`? |`), it is the column where the mapping starts (the `?`).
                let parent_indent = match self.frames.last() {
                    None => -1,
                    Some(f) if f.col.is_none() && f.is_map && !f.flow => {
                        let start = self.tree.nodes[f.node].start;
                        (src.at(start) == b'?')
                            .then(|| isize::try_from(src.col(start)).unwrap_or(0))?
                    }
                    Some(f) => f.col?,
                };
                let ext = spans::block_extent(src, header, parent_indent, value)?;
                Some(Extent {
                    start: header,
                    end: ext.end,
                    trail: ext.header_end,
                    body: ext.body,
                    block_scan: ext.scan,
                })
            }
        }
    }

    /// yaml.v3 ends a plain scalar in a flow collection at a `?` (then an indicator it cannot
    /// take there), and fails on a `:` after it, there or after blanks, that a `[`, `{` or `&`
    /// follows (`flowcolons.rs`).
    fn check_flow_plain(&self, start: usize, end: usize) -> Result<(), ParseError> {
        let src = self.src;
        let question = memchr::memchr(b'?', &src.bytes[start + 1..end]).map(|k| start + 1 + k);
        if let Some(at) = question {
            return Err(flux_skips(
                src,
                at,
                "a `?` inside a plain value in a flow collection",
                "yaml.v3 ends a plain value in brackets at `?` and then cannot read on; quote \
                 the value",
            ));
        }
        // Blanks and line breaks may stand between the value and the `:` (`{b :[c]}`).
        let mut colon = end;
        while matches!(src.at(colon), b' ' | b'\t' | b'\n' | b'\r') {
            colon += 1;
        }
        if src.at(colon) == b':' && matches!(src.at(colon + 1), b'[' | b'{' | b'&') {
            return Err(flux_skips(
                src,
                colon + 1,
                "a flow collection right after `:` in a flow collection",
                "yaml.v3 reads that `:` as part of the plain value before it and then cannot \
                 read on; put a space after the `:`",
            ));
        }
        Ok(())
    }

    fn unknown_extent(&self, pos: usize) -> ParseError {
        let mut e = self.err(pos, ParseErrorKind::Unsupported, UNKNOWN_EXTENT);
        e.help = Some("imagelock does not edit a file it cannot map byte for byte".to_owned());
        e
    }

    fn collection_start(
        &mut self,
        pos: usize,
        is_map: bool,
        shadowed: bool,
    ) -> Result<(), ParseError> {
        let src = self.src;
        let open = if is_map { b'{' } else { b'[' };
        let bracketed = src.at(pos) == open && !shadowed;
        let parent_flow = self.frames.last().is_some_and(|f| f.flow);
        let flow = bracketed || parent_flow;
        let seg = self.child_segment();
        let mut start = pos;
        let mut col = None;
        if !flow && !is_map {
            // An indentless sequence (`key:` then `- x` at the key's column) is reported at the
            // first item's content; its dash is the first thing on that line.
            if let Some(parent) = self.frames.last() {
                if parent.is_map && !parent.flow && parent.key.is_some() {
                    let dash = src.first_non_blank_of_line(pos);
                    let dash_col = isize::try_from(src.col(dash)).ok();
                    if dash < pos && src.is_dash_entry(dash) && dash_col == parent.col {
                        start = dash;
                    }
                }
            }
            col = Some(isize::try_from(src.col(start)).unwrap_or(0));
            // The first item's dash: where the search for an empty item's dash starts.
            self.cursor = self.cursor.max(start);
        }
        let kind = if is_map { Kind::Map } else { Kind::Seq };
        let id = self.add(kind, start, start, false)?;
        let meta_level = if self.frames.is_empty() {
            Some(0)
        } else {
            self.next_meta_level.take()
        }
        .filter(|_| is_map);
        let in_key = self.tree.nodes[id].in_key;
        if bracketed {
            self.tree.items.push((pos + 1, Item::Open(id)));
            self.cursor = self.cursor.max(pos + 1);
        }
        self.frames.push(Frame {
            node: id,
            is_map,
            flow,
            bracketed,
            col,
            count: 0,
            key: None,
            key_text: String::new(),
            in_key,
            seg,
            last_end: start,
            meta_level,
            meta_seen: false,
            keys_from: self.key_hashes.len(),
            dup: self.tree.nodes[id].dup,
        });
        Ok(())
    }

    fn collection_end(&mut self, pos: usize) {
        let Some(frame) = self.frames.pop() else {
            return;
        };
        self.key_hashes.truncate(frame.keys_from);
        let close = if frame.is_map { b'}' } else { b']' };
        // After a trailing `,` yaml-rust2 reports the end at that `,`.
        let mut pos = pos;
        if frame.bracketed && self.src.at(pos) == b',' {
            pos += 1;
            while self.src.is_blank(pos) || self.src.is_break(pos) {
                pos += 1;
            }
        }
        let end = if frame.bracketed && self.src.at(pos) == close {
            if !self.frames.last().is_some_and(|f| f.flow) {
                self.tree
                    .flow
                    .push((self.tree.nodes[frame.node].start, pos + 1));
            }
            self.tree.items.push((pos + 1, Item::Close(frame.node)));
            self.cursor = self.cursor.max(pos + 1);
            pos + 1
        } else {
            frame.last_end
        };
        let node = &mut self.tree.nodes[frame.node];
        node.end = end.max(node.start);
        let kind = if frame.is_map {
            CollectionKind::Mapping
        } else {
            CollectionKind::Sequence
        };
        self.record(frame.node, frame.seg, kind);
        self.finish_child(frame.node);
    }

    /// Adds a value that is not a scalar to its document's `collections` (keys and what is
    /// inside them are not values). `seg` is its own segment; the open frames give the rest.
    fn record(&mut self, id: NodeId, seg: Option<PathSegment>, kind: CollectionKind) {
        let node = &self.tree.nodes[id];
        if !self.collections || node.in_key || node.role == Role::Key {
            return;
        }
        let range = node.range();
        let mut path: Vec<PathSegment> = self.frames.iter().filter_map(|f| f.seg.clone()).collect();
        path.extend(seg);
        if let Some(doc) = self.tree.docs.last_mut() {
            doc.collections.push(CollectionNode { path, kind, range });
        }
    }
}

/// A mapping key's identity for duplicate detection.
fn key_hash(key: &str) -> u64 {
    use std::hash::BuildHasher as _;
    foldhash::fast::FixedState::with_seed(0).hash_one(key)
}

/// Start of the properties (`&anchor`, `!tag`) written before the token at `pos` on its line, or
/// of a `?` explicit-key indicator; `pos` when there are none.
fn props_start(src: &Source, pos: usize) -> usize {
    let line_start = src.line_start_of(pos);
    let mut start = pos;
    for _ in 0..3 {
        let mut i = start;
        while i > line_start && src.is_blank(i - 1) {
            i -= 1;
        }
        if i == start {
            break;
        }
        let word_end = i;
        while i > line_start && !src.is_blank(i - 1) {
            i -= 1;
        }
        let word = &src.bytes[i..word_end];
        if word.starts_with(b"&") || word.starts_with(b"!") || word == b"?" {
            start = i;
        } else {
            break;
        }
    }
    start
}
