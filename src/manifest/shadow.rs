//! yaml-rust2 refuses two spellings yaml.v3 reads: a tab right after a mapping key's `:`
//! (`image:\tx`), and a comment right after a closing quote or bracket (`image: "x"# c`). Where
//! yaml-rust2 stops on one of them, it scans again a copy of the text with that tab made a space
//! or that comment blanked: same length, same line breaks, so every position it reports holds
//! for the text itself. A copy is kept only if the tree built from it shows that each replacement
//! was what it seemed (not inside a scalar; the comment right after a quoted scalar or a flow
//! collection). Files without these spellings are scanned once, as before.

use super::comments::in_ranges;
use super::source::Source;
use super::tree::{self, Item, Tree};
use super::ParseError;

/// At most this many spellings are replaced in one file: each costs a scan.
const MAX_REPLACEMENTS: usize = 32;

#[derive(Default)]
struct Replacements {
    /// The tabs made spaces.
    tabs: Vec<usize>,
    /// The comments blanked: from the `#` to the end of the line.
    comments: Vec<(usize, usize)>,
}

/// The tree of `src`, scanning copies as needed (see the module comment); yaml-rust2's error on
/// the text itself when there is no tree.
pub(crate) fn build(src: &Source, collections: bool) -> Result<Tree, ParseError> {
    let first = match tree::build(src, src.body(), collections) {
        Ok(tree) => return Ok(tree),
        Err(e) => e,
    };
    let mut repl = Replacements::default();
    let mut err = first.clone();
    for _ in 0..MAX_REPLACEMENTS {
        if !repl.add(src, &err) {
            break;
        }
        match tree::build(src, &repl.copy(src), collections) {
            Ok(tree) if repl.fits(src, &tree) => return Ok(tree),
            Ok(_) => break,
            Err(e) => err = e,
        }
    }
    Err(first)
}

impl Replacements {
    /// Adds the replacement for the spelling yaml-rust2 stopped on, if it is one of the two.
    fn add(&mut self, src: &Source, err: &ParseError) -> bool {
        let pos = err.span.start();
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
            src.at(p) == b'#' && p > 0 && matches!(src.at(p - 1), b'"' | b'\'' | b']' | b'}')
        });
        if let Some(hash) = hash.filter(|h| !self.comments.iter().any(|c| c.0 == *h)) {
            self.comments.push((hash, src.line_end_of(hash)));
            return true;
        }
        false
    }

    /// The body with the replacements: whole lines' tails and ASCII tabs became ASCII spaces.
    fn copy(&self, src: &Source) -> String {
        let mut bytes = src.body().as_bytes().to_vec();
        let at = |pos: usize| pos - src.body_start;
        for &tab in &self.tabs {
            bytes[at(tab)] = b' ';
        }
        for &(start, end) in &self.comments {
            bytes[at(start)..at(end)].fill(b' ');
        }
        String::from_utf8(bytes).unwrap_or_default()
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
            quoted || closed
        };
        self.tabs.iter().all(|&at| !in_ranges(&tree.opaque, at))
            && self
                .comments
                .iter()
                .all(|&(start, end)| !overlaps(start, end) && after_token(start))
    }
}
