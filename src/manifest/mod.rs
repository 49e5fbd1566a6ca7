//! YAML manifests as Flux reads them: every scalar value with its exact byte span, and every
//! `$imagepolicy` comment with the node yaml.v3 attaches it to (`flux-semantics.md` §1.1).
//!
//! The plainest files (block collections of one-line and literal scalars, most manifests) are
//! read by a fast path of our own (`fast.rs`), which gives the tree builder (`tree.rs`) the
//! events yaml-rust2 would give; every other file is read by yaml-rust2 (`yamlrust.rs`).
//! yaml-rust2 supplies the structure and the parsed values; it reports only where each node
//! starts, in characters, and drops comments. So this module converts positions to bytes once per
//! file (`source.rs`), finds where each scalar ends and checks that against the parsed value
//! (`spans.rs`), and scans and attaches the comments itself (`comments.rs`). Nothing here
//! re-serializes YAML: the spans are for splicing bytes.
//!
//! Files Flux would skip are errors here ([`ParseErrorKind::FluxSkipsFile`]): `%` directives,
//! content on a `---` line, documents whose root is a sequence or a non-null scalar, a
//! `metadata` that is not a mapping, tabs yaml.v3 refuses (`tabs.rs`), keys it cannot find
//! (`keys.rs`), anchor names it refuses (`anchors.rs`). Where yaml-rust2 refuses what yaml.v3
//! reads, it scans a copy of the text that it accepts, with the same positions (`shadow.rs`).
//! Markers Flux never reaches are ignored with their reason (`scope.rs`, duplicate keys).
//! `yamlref.rs` checks all of this against yaml.v3 itself.

mod anchors;
mod comments;
mod fast;
mod flowcolons;
mod keys;
mod scope;
mod shadow;
mod source;
mod spans;
mod style;
mod tabs;
mod tree;
mod yamlrust;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod yamlref;

use std::fmt;

pub(crate) use fast::is_indicator;
pub use style::ScalarStyle;

use crate::text::TextRange;
use source::Source;
use tree::error_at;

/// A parsed YAML file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// The documents, in order. Their ranges tile the file (a comment between documents belongs
    /// to the one before the next `---`). A file without any document has one empty document.
    pub documents: Vec<Document>,
    /// Comments containing `$imagepolicy`, in file order, with what they attach to.
    pub markers: Vec<MarkerComment>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    pub range: TextRange,
    /// Every scalar value in the document (not mapping keys, not implicit nulls such as `key:`),
    /// in document order.
    pub scalars: Vec<ScalarNode>,
    /// Every other value below the root (mappings, sequences, aliases, implicit nulls; not keys),
    /// in the order they end: with `scalars`, the whole shape a typed reader needs.
    pub collections: Vec<CollectionNode>,
}

/// A value that is not a scalar, with its path from the document root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectionNode {
    pub path: Vec<PathSegment>,
    pub kind: CollectionKind,
    pub range: TextRange,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CollectionKind {
    Mapping,
    Sequence,
    Alias,
    /// An implicit null: `key:` or `- ` with nothing after it.
    Empty,
}

/// One scalar value, with its path from the document root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScalarNode {
    pub path: Vec<PathSegment>,
    /// The whole scalar as written: quotes included; for a block scalar, from its `|`/`>` header
    /// through the end of its last content line (line break excluded). A block scalar's header
    /// line may hold a comment, which is then inside this range (see `line_comment`).
    pub range: TextRange,
    pub style: ScalarStyle,
    /// The parsed value.
    pub value: String,
    /// Carries an anchor (`&a value`): changing it changes every `*a`.
    pub anchor: bool,
    /// Explicit tag in shorthand form: `!!str`, `!custom`, `!<verbatim>`.
    pub tag: Option<String>,
    /// The comment after the scalar on its last line (after the header for a block scalar).
    pub line_comment: Option<TextRange>,
}

impl ScalarNode {
    /// The path as `spec.containers[0].image`.
    #[cfg(test)]
    pub fn path_string(&self) -> String {
        display_path(&self.path)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PathSegment {
    /// A mapping key (its parsed value; a non-scalar key is given as written, or `?`). Shared:
    /// every value below the key has it in its path.
    Key(std::sync::Arc<str>),
    Index(usize),
}

/// `spec.containers[0].image`
#[cfg(test)]
pub fn display_path(path: &[PathSegment]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            PathSegment::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            PathSegment::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    out
}

impl fmt::Display for PathSegment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Key(k) => f.write_str(k),
            Self::Index(i) => write!(f, "[{i}]"),
        }
    }
}

/// A comment whose text contains `$imagepolicy`, and what it is attached to under yaml.v3's rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarkerComment {
    /// From the `#` to the end of the comment, line break excluded.
    pub range: TextRange,
    /// The comment text after removing all leading `#` characters (Flux's rule).
    pub text: String,
    /// Index into [`Manifest::documents`].
    pub document: usize,
    pub attachment: Attachment,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attachment {
    /// yaml.v3 would set this scalar: an index into `documents[document].scalars`.
    Scalar(usize),
    /// Flux ignores it; `target` is the range of what it sits on, for a diagnostic.
    Ignored {
        reason: IgnoredReason,
        target: TextRange,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IgnoredReason {
    /// On a mapping key (`key: # m` with the value on the next line, `spec: # m`). `target`: key.
    OnKey,
    /// After a flow mapping (`m: {a: 1} # m`) or above a mapping item. `target`: the mapping.
    OnMapping,
    /// After a flow sequence (`q: [a, b] # m`) or above a nested sequence. `target`: sequence.
    OnSequence,
    /// After an alias (`x: *a # m`). `target`: the alias.
    OnAlias,
    /// On an empty (null) value: `tag: # m`, `- # m`. `target`: the key or the dash.
    EmptyValue,
    /// Text inside a `|`/`>` block scalar, not a comment. `target`: the block scalar.
    InBlockScalar,
    /// The last line of a head comment of several lines; yaml.v3 joins them and the JSON no
    /// longer parses. `target`: the item.
    MultiLineHeadComment,
    /// A comment on its own line not directly above a block-sequence item (above a mapping key,
    /// after a blank line, after `---`), or after a bare `-` whose item is on a later line.
    /// `target`: the comment itself (or the item).
    Detached,
    /// Directly above a block-sequence item that has its own line comment, which yaml.v3 reads
    /// instead. `target`: that line comment.
    ShadowedByLineComment,
    /// On a value under a key that an earlier entry of the same mapping has: kyaml reaches only
    /// the first entry. `target`: the value.
    DuplicateKey,
    /// In a part of the file Flux never reads: a document after `...` in the same `---` piece
    /// (yaml.v3 decodes only the first), or outside the `items` of a file's lone `List`.
    /// `target`: the value.
    NotRead,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// Not valid YAML (yaml-rust2's error, or a character yaml.v3 refuses).
    Syntax,
    /// Valid YAML that Flux's image-automation-controller cannot parse, so it silently skips the
    /// whole file: a `%` directive, content on a `---` line, a document root that is a sequence or
    /// a non-null scalar.
    FluxSkipsFile,
    /// Valid YAML that imagelock does not handle: bare CR or NEL/LS/PS line breaks, a scalar
    /// whose exact extent could not be determined, or indentation yaml-rust2 refuses in a quoted
    /// scalar or flow collection that yaml.v3 accepts.
    Unsupported,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{message}")]
pub struct ParseError {
    pub message: String,
    /// Byte span in the original file.
    #[label("here")]
    pub span: TextRange,
    pub kind: ParseErrorKind,
    #[help]
    pub help: Option<String>,
}

/// Parses a YAML file: documents, scalar values with byte spans, and marker comments attached as
/// yaml.v3 attaches them.
pub fn parse(text: &str) -> Result<Manifest, ParseError> {
    parse_with(text, true)
}

/// [`parse`] without [`Document::collections`]: enough for markers and scalar values, and
/// cheaper (most parsed files hold markers and no Flux object).
pub(crate) fn parse_values(text: &str) -> Result<Manifest, ParseError> {
    parse_with(text, false)
}

fn parse_with(text: &str, collections: bool) -> Result<Manifest, ParseError> {
    let src = Source::new(text);
    if let Some((pos, c)) = source::find_unsupported_char(text, src.body_start) {
        let (kind, message) = match c {
            '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' => (
                ParseErrorKind::Unsupported,
                format!("unsupported line break U+{:04X}", u32::from(c)),
            ),
            _ => (
                ParseErrorKind::Syntax,
                format!("control or non-printable character U+{:04X}", u32::from(c)),
            ),
        };
        return Err(error_at(&src, pos, kind, message));
    }
    let props = anchors::props(&src);
    let mut tree = shadow::build(&src, &props, collections)?;
    check_directives(&src, &tree.opaque)?;
    scope::check_piece_starts(&src, &tree.opaque)?;
    let comments = match tree.comments.take() {
        Some(comments) => comments,
        None => comments::find(&src, &tree.opaque),
    };
    tabs::check(&src, &tree, &comments)?;
    anchors::check(&src, &props, &tree.opaque, &comments)?;
    let mut markers = comments::attach(&src, &mut tree, &comments);
    scope::unread(&src, &tree, &mut markers);
    Ok(Manifest {
        documents: tree.docs,
        markers,
    })
}

/// Whether the fast reader takes `text`, checking that it reads it as yaml-rust2 does (fuzzing).
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn fast_path_agrees(text: &str) -> bool {
    fast::agrees(text)
}

/// yaml.v3 refuses `%YAML 1.2`, and kyaml's document split separates any directive from its
/// document: Flux skips files with directives. (A directive after the first document of its
/// `---` piece is never scanned; `shadow.rs` has made it opaque.)
fn check_directives(src: &Source, opaque: &[(usize, usize)]) -> Result<(), ParseError> {
    for line in 0..src.line_count() {
        let pos = src.line_start(line);
        if src.at(pos) == b'%' && !comments::in_ranges(opaque, pos) {
            return Err(directive_error(src, pos));
        }
    }
    Ok(())
}

fn directive_error(src: &Source, pos: usize) -> ParseError {
    tree::flux_skips(
        src,
        pos,
        "a `%` directive",
        "Flux (yaml.v3 behind kyaml) cannot parse files with directives and skips them; remove \
         the directive",
    )
}

impl Manifest {
    /// The scalar a marker is attached to, if Flux would set one.
    #[cfg(test)]
    pub fn scalar_of(&self, marker: &MarkerComment) -> Option<&ScalarNode> {
        match marker.attachment {
            Attachment::Scalar(i) => self.documents.get(marker.document)?.scalars.get(i),
            Attachment::Ignored { .. } => None,
        }
    }

    /// Drops the scalars no marker is attached to, but those `keep` wants; markers still point
    /// at theirs. A file read only for its markers is kept for the whole run: its other values
    /// are most of its parsed size.
    pub(crate) fn retain_marked(&mut self, keep: impl Fn(&ScalarNode) -> bool) {
        for (d, doc) in self.documents.iter_mut().enumerate() {
            let marked: Vec<usize> = (self.markers.iter())
                .filter(|m| m.document == d)
                .filter_map(|m| match m.attachment {
                    Attachment::Scalar(i) => Some(i),
                    Attachment::Ignored { .. } => None,
                })
                .collect();
            // The new index of each scalar kept, in document order.
            let mut index = vec![None; doc.scalars.len()];
            let mut kept = 0;
            let mut i = 0;
            doc.scalars.retain(|s| {
                let retain = marked.contains(&i) || keep(s);
                if retain {
                    index[i] = Some(kept);
                    kept += 1;
                }
                i += 1;
                retain
            });
            doc.scalars.shrink_to_fit();
            for m in self.markers.iter_mut().filter(|m| m.document == d) {
                if let Attachment::Scalar(i) = &mut m.attachment {
                    // Every marked scalar was kept.
                    *i = index.get(*i).copied().flatten().unwrap_or(*i);
                }
            }
        }
    }
}

#[cfg(test)]
mod retain_tests {
    #[test]
    fn markers_keep_their_values_when_the_rest_is_dropped() {
        let text = "a: 1\nb: x # {\"$imagepolicy\": \"ns:p\"}\nc:\n  - y\n  - z # {\"$imagepolicy\": \"ns:q:tag\"}\n---\nkind: K\nd: w # {\"$imagepolicy\": \"ns:r\"}\ne: v\n";
        let full = super::parse_values(text).unwrap();
        let mut kept = full.clone();
        kept.retain_marked(|s| s.value == "K");
        let values = |m: &super::Manifest| -> Vec<Option<String>> {
            m.markers
                .iter()
                .map(|marker| m.scalar_of(marker).map(|s| s.value.clone()))
                .collect()
        };
        assert_eq!(values(&kept), values(&full));
        assert_eq!(
            values(&kept),
            [Some("x".into()), Some("z".into()), Some("w".into())]
        );
        let left: Vec<Vec<&str>> = (kept.documents.iter())
            .map(|d| d.scalars.iter().map(|s| s.value.as_str()).collect())
            .collect();
        assert_eq!(left, [vec!["x", "z"], vec!["K", "w"]]);
    }
}
