//! yaml-rust2 refuses three spellings yaml.v3 reads: a tab right after a mapping key's `:`
//! (`image:\tx`), a comment right after a closing quote or bracket (`image: "x"# c`), and a
//! quoted scalar continued on a line indented less than yaml-rust2 wants or with tabs (libyaml
//! checks no indentation inside a quoted scalar). Where yaml-rust2 stops on one of them, it scans
//! again a copy of the text with that tab made a space, that comment blanked, or the quoted
//! scalar's continuation lines indented with spaces: same line breaks, and the columns of a line
//! moved only by the spaces inserted at its start, which the tree takes off again (`shifts`), so
//! every position it reports holds for the text itself. The value is the same, since a quoted
//! scalar drops the blanks that start its continuation lines. A copy is kept only if the tree
//! built from it shows that each replacement was what it seemed (the tab not inside a scalar;
//! the comment right after a quoted scalar or a flow collection; the indented lines inside the
//! quoted scalar). Files without these spellings are scanned once, as before.
//!
//! Two spellings yaml-rust2 reads differently without refusing them are in every copy from the
//! start, where a byte screen finds them: an anchor or alias name that yaml.v3 ends at a `:` or
//! `?` (`&an:chor`, `*a:`) gets a space there (and after the indicator in a flow collection,
//! where yaml.v3 reads it as one), and the BOM that starts a later `---` piece is dropped, as
//! yaml.v3 (one stream per piece) drops it.

use super::comments::{self, in_ranges};
use super::scope;
use super::source::Source;
use super::spans;
use super::tree::{Item, Kind, Tree};
use super::yamlrust::{self, Shift};
use super::{anchors, flowcolons, ParseError};

/// yaml-rust2's error for a `%` directive after a document.
const DIRECTIVE: &str = "missing explicit document end marker before directive";

/// At most this many spellings are replaced in one file: each costs a scan.
const MAX_REPLACEMENTS: usize = 32;

#[derive(Clone, Default)]
struct Replacements {
    /// BOMs that start a `---` piece after the first, dropped.
    boms: Vec<usize>,
    /// `:`s yaml.v3 reads inside a flow plain scalar (`flowcolons.rs`), spelled otherwise.
    colons: Vec<usize>,
    /// `?`s yaml.v3 reads as indicators in a flow collection (`flowcolons.rs`): a space after.
    keys: Vec<usize>,
    /// Anchor and alias names yaml.v3 ends early (`anchors::splits`), split.
    splits: Vec<anchors::Split>,
    /// Comment lines right after a block scalar's blank lines, indented less than those but
    /// more than the parent: yaml.v3 ends the scalar there, yaml-rust2 refuses the line. The
    /// copy drops their indentation (the `#`'s position).
    dedents: Vec<usize>,
    /// The tabs made spaces.
    tabs: Vec<usize>,
    /// The comments blanked: from the `#` to the end of the line.
    comments: Vec<(usize, usize)>,
    /// Quoted scalars whose continuation lines are indented: the opening quote and the end.
    quoted: Vec<(usize, usize)>,
    /// Tabs in the indentation of a quoted scalar's continuation line, made spaces.
    indent_tabs: Vec<usize>,
    /// Lines in a flow collection that start left of yaml-rust2's block indentation (yaml.v3
    /// checks none in brackets): the position of their first token, indented in the copy.
    flow_lines: Vec<usize>,
    /// Double-quoted scalars (opening quote, end) whose `\\'` escapes (yaml.v3 reads them as `'`,
    /// yaml-rust2 refuses them) became `\\"`; their values get the `'` back.
    apostrophes: Vec<(usize, usize)>,
    /// The rest of a `---` piece after its first document ended (at a `%` directive, or after a
    /// `...` marker with more on its line), blanked: yaml.v3 decodes one document per piece and
    /// never scans these bytes, while yaml-rust2 refuses them.
    unread: Vec<(usize, usize)>,
}

/// The tree of `src`, scanning copies as needed (see the module comment); yaml-rust2's error on
/// the text itself when there is no tree.
/// `props`: `anchors::props`.
pub(crate) fn build(src: &Source, props: &[usize], collections: bool) -> Result<Tree, ParseError> {
    let splits = anchors::splits(src, props);
    let tokens: Vec<usize> = splits.iter().map(|s| s.at).collect();
    let (colons, keys) = flowcolons::screen(src, &tokens);
    let base = Replacements {
        boms: piece_boms(src),
        colons,
        keys,
        splits,
        ..Replacements::default()
    };
    if base.splits.is_empty() && base.colons.is_empty() && base.keys.is_empty() {
        return build_from(src, collections, base);
    }
    // What the tree shows is not what the byte screen guessed (an `&` or `:` in a quoted scalar
    // or a comment, a context guessed wrong) is taken back, or corrected, and the text scanned
    // again.
    let first = build_from(src, collections, base.clone());
    let again = match &first {
        Ok(tree) => base.fitting(src, tree),
        Err(_) => {
            let plain = Replacements {
                splits: Vec::new(),
                colons: Vec::new(),
                keys: Vec::new(),
                ..base.clone()
            };
            match build_from(src, collections, plain) {
                Ok(tree) => base.fitting(src, &tree),
                Err(_) => return first,
            }
        }
    };
    let Some(again) = again else {
        return first;
    };
    let tree = build_from(src, collections, again.clone())?;
    match again.fitting(src, &tree) {
        None => Ok(tree),
        Some(_) => Err(match again.splits.first() {
            Some(&split) => anchors::unsupported(src, split),
            None => {
                let at = again.colons.iter().chain(&again.keys).next();
                flowcolons::unsupported(src, at.copied().unwrap_or(src.body_start))
            }
        }),
    }
}

fn build_from(src: &Source, collections: bool, base: Replacements) -> Result<Tree, ParseError> {
    // yaml-rust2 reads `\r\r\n` as two line breaks, yaml.v3 (after kyaml's `\r\n` to `\n`) as
    // one: every copy drops the first `\r`, the last byte of its line.
    let body = src.body().as_bytes();
    let double_cr =
        memchr::memchr(b'\r', body).is_some() && memchr::memmem::find(body, b"\r\r\n").is_some();
    let edited = !(base.boms.is_empty()
        && base.splits.is_empty()
        && base.colons.is_empty()
        && base.keys.is_empty());
    let first = if double_cr || edited {
        let (copy, shifts) = base.copy(src);
        yamlrust::build(src, &copy, &shifts, &base.colons, collections)
    } else if let Some(tree) = super::fast::build(src, collections) {
        return Ok(tree);
    } else {
        yamlrust::build(src, src.body(), &[], &[], collections)
    };
    let first = match first {
        Ok(tree) => return Ok(tree),
        Err(e) => e,
    };
    let mut repl = base;
    let mut err = first.clone();
    for _ in 0..MAX_REPLACEMENTS {
        if !repl.add(src, &err) {
            // What stops the scan once the spellings yaml.v3 reads are out of the way: a
            // directive there is one yaml.v3 refuses too.
            if err.message == DIRECTIVE && src.at(err.span.start()) == b'%' {
                return Err(super::directive_error(src, err.span.start()));
            }
            break;
        }
        let (copy, shifts) = repl.copy(src);
        match yamlrust::build(src, &copy, &shifts, &repl.colons, collections) {
            Ok(mut tree) => {
                if !repl.fits(src, &tree) || !repl.restore_apostrophes(src, &mut tree) {
                    break;
                }
                // Nothing there is read: no comment, directive or tab in it counts.
                tree.opaque.extend_from_slice(&repl.unread);
                tree.opaque.sort_unstable();
                return Ok(tree);
            }
            Err(e) => err = e,
        }
    }
    Err(first)
}

/// The BOMs that start a `---` piece after the first (kyaml's split): yaml.v3 reads each piece
/// as a stream of its own and drops its BOM, while to yaml-rust2 it is text.
fn piece_boms(src: &Source) -> Vec<usize> {
    if src.is_ascii() || memchr::memmem::find(src.bytes, super::source::BOM.as_bytes()).is_none() {
        return Vec::new();
    }
    scope::separators(src)
        .into_iter()
        .map(|sep| src.skip_break(src.line_end_of(sep + 1)))
        .filter(|&start| src.bytes[start..].starts_with(super::source::BOM.as_bytes()))
        .collect()
}

impl Replacements {
    /// The splits and colons the tree confirms, if that is not all of them.
    fn fitting(&self, src: &Source, tree: &Tree) -> Option<Replacements> {
        let (splits, splits_same) = anchors::fitting(&self.splits, tree);
        let (colons, colons_same) = flowcolons::fitting(src, &self.colons, tree);
        let (keys, keys_same) = flowcolons::fitting_keys(&self.keys, tree);
        (!(splits_same && colons_same && keys_same)).then(|| Replacements {
            splits,
            colons,
            keys,
            ..self.clone()
        })
    }

    /// Drops the byte screens' guess nearest at or after `pos` (else the last one); false when
    /// there is none.
    fn take_back_guess(&mut self, pos: usize) -> bool {
        let guesses = (self.colons.iter().copied().map(|at| (at, 0)))
            .chain(self.splits.iter().map(|s| (s.at, 1)))
            .chain(self.keys.iter().copied().map(|at| (at, 2)));
        let Some((at, kind)) =
            (guesses.clone().filter(|&(at, _)| at >= pos).min()).or_else(|| guesses.max())
        else {
            return false;
        };
        match kind {
            0 => self.colons.retain(|&c| c != at),
            1 => self.splits.retain(|s| s.at != at),
            _ => self.keys.retain(|&k| k != at),
        }
        true
    }

    /// Adds the replacement for the spelling yaml-rust2 stopped on, if it is one yaml.v3 reads.
    fn add(&mut self, src: &Source, err: &ParseError) -> bool {
        let pos = err.span.start();
        // What the byte screens guessed (a `:` inside a flow plain scalar, an anchor name to
        // split, a `?` indicator) can be inside a scalar whose source the copy's spelling then
        // hides from the tree (a block scalar's content line `:}` after a `{` in a comment, or
        // `&q:`): taken back, the nearest at or after the scalar's start, one per scan.
        if err.message == super::tree::UNKNOWN_EXTENT && self.take_back_guess(pos) {
            return true;
        }
        // Each kind once per place: the same spelling found again means the copy did not help.
        if let Some(quoted) = quoted_at(src, err) {
            return push_new(&mut self.quoted, quoted, |a, b| a.0 == b.0);
        }
        if let Some(unread) = unread_at(src, err) {
            return push_new(&mut self.unread, unread, |a, b| a.0 == b.0);
        }
        if let Some(token) = flow_line_at(src, err) {
            return push_new(&mut self.flow_lines, token, PartialEq::eq);
        }
        if let Some(quoted) = apostrophe_at(src, err) {
            return push_new(&mut self.apostrophes, quoted, PartialEq::eq);
        }
        if let Some(hash) = dedent_at(src, err) {
            return push_new(&mut self.dedents, hash, PartialEq::eq);
        }
        if let Some(tab) = indent_tab_at(src, err) {
            return push_new(&mut self.indent_tabs, tab, PartialEq::eq);
        }
        // yaml-rust2 reports at or just after the spelling: the nearest one is it.
        let near = (pos.saturating_sub(2).max(src.body_start)..=pos).rev();
        // Or at the token after a run of blanks: back over them to the `:`.
        let mut after_blanks = pos;
        while after_blanks > src.body_start && src.is_blank(after_blanks - 1) {
            after_blanks -= 1;
        }
        let tab = near
            .clone()
            .chain([after_blanks])
            .find(|&p| src.at(p) == b'\t' && p > 0 && src.at(p - 1) == b':');
        if let Some(tab) = tab.filter(|t| !self.tabs.contains(t)) {
            self.tabs.push(tab);
            return true;
        }
        let hash = near.into_iter().find(|&p| {
            src.at(p) == b'#'
                && p > 0
                && (matches!(
                    src.at(p - 1),
                    b'"' | b'\'' | b']' | b'}' | b',' | b'[' | b'{'
                ) || comments::after_block_header(src, p))
        });
        if let Some(hash) = hash.filter(|h| !self.comments.iter().any(|c| c.0 == *h)) {
            self.comments.push((hash, src.line_end_of(hash)));
            return true;
        }
        false
    }

    /// The body with the replacements, and where its columns differ from the text's (sorted).
    /// Only ASCII bytes change or are inserted, and only whole BOMs dropped: the copy is UTF-8.
    fn copy(&self, src: &Source) -> (String, Vec<Shift>) {
        let mut bytes = src.body().as_bytes().to_vec();
        let at = |pos: usize| pos - src.body_start;
        for &tab in self.tabs.iter().chain(&self.indent_tabs) {
            bytes[at(tab)] = b' ';
        }
        for &(quote, end) in &self.apostrophes {
            let mut i = quote + 1;
            while let Some(k) = spans::escape_at(src, i, end, b'\'') {
                bytes[at(k + 1)] = b'"';
                i = k + 2;
            }
        }
        for &(start, end) in &self.comments {
            bytes[at(start)..at(end)].fill(b' ');
        }
        for &colon in &self.colons {
            bytes[at(colon)] = flowcolons::STANDIN;
        }
        for &(start, end) in &self.unread {
            for b in &mut bytes[at(start)..at(end)] {
                if !matches!(*b, b'\n' | b'\r') {
                    *b = b' ';
                }
            }
        }
        // (position in the text, spaces inserted there or, if negative, bytes dropped)
        let mut edits: Vec<(usize, isize)> = Vec::new();
        for &(quote, end) in &self.quoted {
            let need = src.col(quote) + 1;
            let mut line = src.skip_break(src.line_end_of(quote));
            while line < end {
                let mut i = line;
                while src.is_blank(i) {
                    bytes[at(i)] = b' ';
                    i += 1;
                }
                let indicator = i == line
                    && (src.bytes[i..].starts_with(b"---") || src.bytes[i..].starts_with(b"..."))
                    && src.is_blank_or_breakz(i + 3);
                if i < end && !src.is_break(i) && !indicator && i - line < need {
                    edits.push((line, (need - (i - line)) as isize));
                }
                line = src.skip_break(src.line_end_of(i));
            }
        }
        for &token in &self.flow_lines {
            // Right of every column of the lines before: past any block indentation.
            let line = src.line_start_of(token);
            let need = longest_line(src, line) + 1;
            if token - line < need {
                edits.push((line, (need - (token - line)) as isize));
            }
        }
        for &hash in &self.dedents {
            let line = src.line_start_of(hash);
            edits.push((line, -((hash - line) as isize)));
        }
        for &bom in &self.boms {
            edits.push((bom, -(super::source::BOM.len() as isize)));
        }
        for &key in &self.keys {
            edits.push((key + 1, 1));
        }
        for split in &self.splits {
            edits.push((split.at, 1));
            if split.flow && !src.is_blank_or_breakz(split.at + 1) {
                edits.push((split.at + 1, 1));
            }
        }
        // At one position, the spaces go before what is dropped there (a quoted scalar's
        // continuation line may start with a piece's BOM).
        edits.sort_unstable_by_key(|&(pos, n)| (pos, n < 0, n));
        // One indentation per line start (the first asked for).
        edits.dedup_by(|b, a| a.0 == b.0 && a.1 > 0 && b.1 > 0);
        let mut out = Vec::with_capacity(bytes.len() + edits.len() * 4);
        let mut from = 0;
        let mut shifts = Vec::with_capacity(edits.len());
        let (mut line_at, mut line_delta) = (usize::MAX, 0isize);
        for &(pos, n) in &edits {
            // Edits never overlap; should two, the later one starts where the earlier ended.
            let upto = at(pos).max(from);
            out.extend_from_slice(&bytes[from..upto]);
            from = upto;
            let line = src.line_of(pos) + 1;
            if line != line_at {
                (line_at, line_delta) = (line, 0);
            }
            let col = src.col(pos).saturating_add_signed(line_delta);
            if n > 0 {
                out.resize(out.len() + n.unsigned_abs(), b' ');
                line_delta += n;
                shifts.push(Shift {
                    line,
                    col,
                    delta: n,
                });
            } else {
                // A BOM or spaces, dropped.
                let dropped = src.slice(pos, pos + n.unsigned_abs()).chars().count();
                let dropped = isize::try_from(dropped).unwrap_or(isize::MAX);
                from = (at(pos) + n.unsigned_abs()).clamp(from, bytes.len());
                line_delta -= dropped;
                shifts.push(Shift {
                    line,
                    col,
                    delta: -dropped,
                });
            }
        }
        out.extend_from_slice(&bytes[from..]);
        if memchr::memmem::find(&out, b"\r\r\n").is_some() {
            let mut kept = Vec::with_capacity(out.len());
            for (i, &b) in out.iter().enumerate() {
                if !(b == b'\r' && out.get(i + 1..i + 3) == Some(b"\r\n")) {
                    kept.push(b);
                }
            }
            out = kept;
        }
        (String::from_utf8(out).unwrap_or_default(), shifts)
    }

    /// Puts back the `'` of each `\\'` escape that the copy spelled `\\"`: every `"` of such a
    /// value, provided the scalar has no other way to spell one. False if it has.
    fn restore_apostrophes(&self, src: &Source, tree: &mut Tree) -> bool {
        for &(quote, end) in &self.apostrophes {
            let text = src.slice(quote + 1, end - 1);
            let other_quote = spans::escape_at(src, quote, end, b'"').is_some()
                || ["\\x22", "\\u0022", "\\U00000022"]
                    .iter()
                    .any(|e| text.contains(e));
            if other_quote {
                return false;
            }
            for doc in &mut tree.docs {
                for scalar in &mut doc.scalars {
                    if scalar.range.start() == quote {
                        scalar.value = scalar.value.replace('"', "'");
                    }
                }
            }
        }
        true
    }

    /// Whether the tree scanned from the copy reads the text itself.
    fn fits(&self, src: &Source, tree: &Tree) -> bool {
        let overlaps = |start: usize, end: usize| {
            let k = tree.opaque.partition_point(|&(s, _)| s < end);
            k > 0 && tree.opaque[k - 1].1 > start
        };
        let after_token = |at: usize| {
            let quoted = matches!(src.at(at - 1), b'"' | b'\'')
                && tree.opaque.binary_search_by_key(&at, |&(_, e)| e).is_ok();
            let k = tree.items.partition_point(|&(pos, _)| pos < at);
            let closed = matches!(tree.items.get(k), Some(&(pos, Item::Close(_))) if pos == at);
            // A `,`, `[` or `{` outside every scalar, in a flow collection: an indicator.
            let indicator = matches!(src.at(at - 1), b',' | b'[' | b'{')
                && in_ranges(&tree.flow, at - 1)
                && !in_ranges(&tree.opaque, at - 1);
            // Right after a block scalar's header: the scalar's trailing-comment position.
            let header = tree.items[k..]
                .iter()
                .take_while(|(pos, _)| *pos == at)
                .any(|&(_, item)| {
                    matches!(item, Item::Node(id)
                        if matches!(tree.nodes[id].kind, Kind::Scalar(s) if s.is_block()))
                });
            quoted || closed || indicator || header
        };
        let quoted = |&(quote, end): &(usize, usize)| {
            let k = tree.opaque.partition_point(|&(s, _)| s < quote);
            tree.opaque.get(k) == Some(&(quote, end))
        };
        self.quoted.iter().chain(&self.apostrophes).all(quoted)
            && self.flow_lines.iter().all(|&at| in_ranges(&tree.flow, at))
            && self
                .unread
                .iter()
                .all(|&(start, _)| !in_ranges(&tree.opaque, start))
            && self
                .indent_tabs
                .iter()
                .all(|&at| in_ranges(&tree.opaque, at))
            && self.tabs.iter().all(|&at| !in_ranges(&tree.opaque, at))
            && self.dedents.iter().all(|&at| !in_ranges(&tree.opaque, at))
            && self
                .comments
                .iter()
                .all(|&(start, end)| !overlaps(start, end) && after_token(start))
    }
}

/// The quoted scalar yaml-rust2 refused for the indentation of a continuation line: its opening
/// quote (where yaml-rust2 reports it) and its end.
fn quoted_at(src: &Source, err: &ParseError) -> Option<(usize, usize)> {
    let quote = err.span.start();
    if err.message != "invalid indentation in quoted scalar" {
        return None;
    }
    let end = match src.at(quote) {
        b'"' => spans::double_quoted_end(src, quote),
        b'\'' => spans::single_quoted_end(src, quote),
        _ => None,
    }?;
    Some((quote, end))
}

/// The `#` of a comment line that yaml-rust2 refused as indented wrongly in a block scalar
/// (after blank lines indented more, and right of the parent's indentation): to yaml.v3 that
/// line ends the scalar.
fn dedent_at(src: &Source, err: &ParseError) -> Option<usize> {
    let hash = err.span.start();
    let line = src.line_start_of(hash);
    let spaces = src.bytes[line..hash].iter().all(|&b| b == b' ');
    (err.message == "wrongly indented line in block scalar" && src.at(hash) == b'#' && spaces)
        .then_some(hash)
}

/// The tab yaml-rust2 refused in the indentation of a quoted scalar's continuation line (it
/// reports the tab itself, not the scalar): the blanks before it, all of them on that line.
fn indent_tab_at(src: &Source, err: &ParseError) -> Option<usize> {
    let tab = err.span.start();
    let line = src.line_start_of(tab);
    let leading = src.bytes[line..tab]
        .iter()
        .all(|b| matches!(b, b' ' | b'\t'));
    (err.message == "tab cannot be used as indentation" && src.at(tab) == b'\t' && leading)
        .then_some(tab)
}

/// Where yaml-rust2 refused what comes after a document that yaml.v3 has already finished: a
/// `%` directive line (no `...` before it), or content after `...` on its line. From there to the
/// end of the `---` piece (kyaml's split) nothing is read.
fn unread_at(src: &Source, err: &ParseError) -> Option<(usize, usize)> {
    let line = src.line_start_of(err.span.start());
    let start = match err.message.as_str() {
        DIRECTIVE if src.at(line) == b'%' => line,
        "invalid content after document end marker" if src.bytes[line..].starts_with(b"...") => {
            line + 3
        }
        _ => return None,
    };
    // The piece holding it, split as kyaml splits: a directive first in its piece (nothing but
    // comments before it) starts no document, and yaml.v3 then fails on the piece.
    let seps = scope::separators(src);
    let k = seps.partition_point(|&sep| sep < line);
    let piece_start = k.checked_sub(1).map_or(src.body_start, |k| {
        src.skip_break(src.line_end_of(seps[k] + 1))
    });
    let piece_end = seps.get(k).copied().unwrap_or(src.len());
    let content_before = src.slice(piece_start, line).lines().any(|l| {
        let t = l.trim_start_matches([' ', '\t']);
        !t.is_empty() && !t.starts_with('#') && t != "\r"
    });
    content_before.then_some((start, piece_end))
}

/// The double-quoted scalar yaml-rust2 refused for an escape, if it holds a `\\'` (yaml.v3 reads
/// it as `'`).
fn apostrophe_at(src: &Source, err: &ParseError) -> Option<(usize, usize)> {
    let quote = err.span.start();
    if err.message != "while parsing a quoted scalar, found unknown escape character"
        || src.at(quote) != b'"'
    {
        return None;
    }
    let end = spans::double_quoted_end(src, quote)?;
    spans::escape_at(src, quote, end, b'\'').map(|_| (quote, end))
}

/// The first token of a line that yaml-rust2 refused as indented left of its block indentation,
/// which in a flow collection yaml.v3 does not check.
fn flow_line_at(src: &Source, err: &ParseError) -> Option<usize> {
    let token = err.span.start();
    let indentation = matches!(
        err.message.as_str(),
        "invalid indentation" | "invalid indentation in flow construct"
    );
    (indentation && src.first_non_blank_of_line(token) == token).then_some(token)
}

/// The length in bytes (at least the characters) of the longest line before `line`.
fn longest_line(src: &Source, line: usize) -> usize {
    src.bytes[src.body_start..line]
        .split(|&b| b == b'\n')
        .map(<[u8]>::len)
        .max()
        .unwrap_or(0)
}

/// Adds `item` unless `same` finds it already there; whether it was added.
fn push_new<T>(list: &mut Vec<T>, item: T, same: impl Fn(&T, &T) -> bool) -> bool {
    if list.iter().any(|x| same(x, &item)) {
        return false;
    }
    list.push(item);
    true
}
