//! Byte ranges and line/column lookup, shared by every module that points into a file.

use std::fmt;

/// A half-open byte range `[start, end)` into one file's text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TextRange {
    pub start: u32,
    pub end: u32,
}

impl TextRange {
    pub fn new(start: usize, end: usize) -> Self {
        debug_assert!(start <= end);
        Self {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    pub fn empty(at: usize) -> Self {
        Self::new(at, at)
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    pub fn start(self) -> usize {
        self.start as usize
    }

    pub fn end(self) -> usize {
        self.end as usize
    }

    pub fn as_range(self) -> std::ops::Range<usize> {
        self.start()..self.end()
    }

    /// Shift by `offset` bytes, for ranges computed inside a sub-slice.
    pub fn offset(self, offset: usize) -> Self {
        Self::new(self.start() + offset, self.end() + offset)
    }

    pub fn contains_range(self, other: TextRange) -> bool {
        self.start <= other.start && other.end <= self.end
    }
}

impl fmt::Display for TextRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

impl From<TextRange> for miette::SourceSpan {
    fn from(r: TextRange) -> Self {
        (r.start(), r.len()).into()
    }
}

/// 1-based line and column (column counted in characters, as editors and SARIF expect).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// Line starts of one file, built once, to turn byte offsets into line/column.
#[derive(Clone, Debug)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        // Manifest lines are some 30 bytes long: room for most files' lines at once.
        let mut line_starts = Vec::with_capacity(text.len() / 24 + 1);
        line_starts.push(0);
        line_starts.extend(memchr_newlines(text.as_bytes()));
        Self { line_starts }
    }

    /// The 0-based line holding byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts[line.min(self.line_starts.len() - 1)]
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 1-based line and character column of byte `offset` in `text`.
    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_of(offset);
        let start = self.line_starts[line];
        let column = text[start..offset].chars().count() + 1;
        LineCol {
            line: line + 1,
            column,
        }
    }
}

fn memchr_newlines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    memchr::memchr_iter(b'\n', bytes).map(|i| i + 1)
}

/// The file name of a `/`-separated path.
pub fn file_name(rel: &str) -> &str {
    last_slash(rel).map_or(rel, |i| &rel[i + 1..])
}

/// The directory of a `/`-separated path (`""` at the top).
pub fn parent(rel: &str) -> &str {
    last_slash(rel).map_or("", |i| &rel[..i])
}

/// A byte loop from the end: a file name is a few bytes, and `rsplit`'s searcher costs more
/// to set up than this costs to run (it ran some 50,000 times per run, once per path).
pub fn last_slash(rel: &str) -> Option<usize> {
    rel.as_bytes().iter().rposition(|&b| b == b'/')
}

/// Whether a path holds `//`: a byte loop, as above (`str::contains` sets up a searcher per
/// call, and it runs for every path every kustomization lists).
pub fn has_double_slash(path: &str) -> bool {
    path.as_bytes().windows(2).any(|w| w == b"//")
}

/// The largest char boundary at or below `offset`.
pub fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let text = "a: é\nb: c\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 0), LineCol { line: 1, column: 1 });
        let b = text.find('b').unwrap();
        assert_eq!(idx.line_col(text, b), LineCol { line: 2, column: 1 });
        let c = text.find('c').unwrap();
        assert_eq!(idx.line_col(text, c), LineCol { line: 2, column: 4 });
        let e_end = text.find('\n').unwrap();
        assert_eq!(idx.line_col(text, e_end), LineCol { line: 1, column: 5 });
    }

    #[test]
    fn double_slashes() {
        for (path, has) in [
            ("a//b", true),
            ("//", true),
            ("a/b/", false),
            ("/", false),
            ("", false),
        ] {
            assert_eq!(has_double_slash(path), has, "{path}");
            assert_eq!(has_double_slash(path), path.contains("//"), "{path}");
        }
    }
}
