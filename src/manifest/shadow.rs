//! yaml-rust2 refuses two spellings yaml.v3 reads: a tab right after a mapping key's `:`
//! (`image:\tx`), and a comment right after a closing quote or bracket (`image: "x"# c`). It scans
//! a copy of the text where those tabs are spaces and those comments blanks: same length, same
//! line breaks, so every position it reports holds for the text itself. The copy is kept only if
//! the tree built from it shows that each replacement was what it seemed (not inside a scalar,
//! the comment right after a quoted scalar or a flow collection).

use super::comments::in_ranges;
use super::source::Source;
use super::tree::{Item, Tree};

pub(crate) struct Shadow {
    /// The body to scan.
    pub body: String,
    /// The tabs made spaces.
    tabs: Vec<usize>,
    /// The comments blanked: from the `#` to the end of the line.
    comments: Vec<(usize, usize)>,
}

/// The copies to try, in order: with both replacements, then with each kind alone (a `"#` that
/// opens a quoted scalar is no comment, and spoils the copy that blanks it).
pub(crate) fn shadows<'s>(src: &'s Source<'_>) -> impl Iterator<Item = Shadow> + 's {
    [(true, true), (true, false), (false, true)]
        .into_iter()
        .filter_map(|(tabs, comments)| shadow(src, tabs, comments))
}

/// The copy with the chosen replacements, or `None` when the text has none of them.
fn shadow(src: &Source, with_tabs: bool, with_comments: bool) -> Option<Shadow> {
    let body = src.body().as_bytes();
    let tabs: Vec<usize> = memchr::memmem::find_iter(body, b":\t")
        .filter(|_| with_tabs)
        .map(|at| src.body_start + at + 1)
        .collect();
    let comments: Vec<(usize, usize)> = memchr::memchr_iter(b'#', body)
        .filter(|&at| with_comments && at > 0 && matches!(body[at - 1], b'"' | b'\'' | b']' | b'}'))
        .map(|at| {
            let start = src.body_start + at;
            (start, src.line_end_of(start))
        })
        .collect();
    if tabs.is_empty() && comments.is_empty() {
        return None;
    }
    let mut bytes = body.to_vec();
    for &at in &tabs {
        bytes[at - src.body_start] = b' ';
    }
    for &(start, end) in &comments {
        bytes[start - src.body_start..end - src.body_start].fill(b' ');
    }
    // Whole lines' tails and ASCII tabs became ASCII spaces: still UTF-8.
    let body = String::from_utf8(bytes).ok()?;
    Some(Shadow {
        body,
        tabs,
        comments,
    })
}

impl Shadow {
    /// Whether the tree scanned from the copy reads the text itself.
    pub(crate) fn fits(&self, src: &Source, tree: &Tree) -> bool {
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
