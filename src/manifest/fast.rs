//! The plainest manifests, read without yaml-rust2: block mappings and sequences of one-line
//! plain or quoted scalars, comments, and `---` between documents, which is how most Kubernetes
//! manifests are written. One pass over the lines gives the events yaml-rust2 would give, at the
//! positions the tree needs, to the same tree builder; anything else (a tab, a flow collection, a
//! block scalar, an anchor or tag, a quoted key, an escape, a scalar over several lines, an
//! empty sequence item or document, any doubt) gives up before a tree is returned, and the file is
//! read by yaml-rust2 as before. So the fast path never decides what a file means on its own:
//! where it answers, the answer is yaml-rust2's (a test compares both on every input it takes),
//! at a fraction of the cost: yaml-rust2 reads a character at a time and allocates four strings
//! per scalar.

use memchr::memchr;
use yaml_rust2::parser::Event;
use yaml_rust2::scanner::TScalarStyle;

use super::comments::Comment;
use super::source::Source;
use super::tree::{Builder, Tree};

/// yaml-rust2 ends a simple key after 1024 characters; longer keys are left to it.
const MAX_KEY: usize = 1000;

/// The fast path gave up: yaml-rust2 reads the file.
struct Bail;

type Step = Result<(), Bail>;

#[derive(Clone, Copy)]
struct Open {
    map: bool,
    /// Column of the keys or dashes.
    col: usize,
    /// A sequence at its parent key's column (`key:` then `- x` below it).
    indentless: bool,
}

#[derive(Clone, Copy)]
enum Pending {
    None,
    /// A key with nothing after its `:`, at this column: a collection below it, or a null.
    Value {
        col: usize,
    },
    /// A `-` with nothing after it, at this column.
    Item {
        col: usize,
    },
}

struct Fast<'s, 'a> {
    src: &'s Source<'a>,
    bytes: &'a [u8],
    builder: Builder<'s, 'a>,
    stack: Vec<Open>,
    pending: Pending,
    /// After a scalar, the next content line may not be indented more than this (it would
    /// continue the scalar, or be an error).
    max_indent: Option<usize>,
    doc_open: bool,
    doc_content: bool,
    /// The document's root mapping has started.
    root: bool,
    /// Every comment, in order (what `comments::find` would find).
    comments: Vec<Comment>,
    /// Where the next line to read starts, after a block scalar's content lines.
    resume: Option<usize>,
}

/// The tree of `src` if it is one of the plainest manifests and the builder accepts it; `None`
/// sends the file to yaml-rust2.
pub(super) fn build(src: &Source, collections: bool) -> Option<Tree> {
    let body = &src.bytes[src.body_start..];
    // Tabs and carriage returns have rules of their own in both readers; a BOM inside the file
    // is text to yaml.v3.
    if memchr::memchr2(b'\t', b'\r', body).is_some()
        || memchr::memmem::find(body, super::source::BOM.as_bytes()).is_some()
    {
        return None;
    }
    let mut fast = Fast {
        src,
        bytes: src.bytes,
        builder: Builder::new(src, &[], collections),
        stack: Vec::new(),
        pending: Pending::None,
        max_indent: None,
        doc_open: false,
        doc_content: false,
        root: false,
        comments: Vec::new(),
        resume: None,
    };
    fast.run().ok()?;
    let mut tree = fast.builder.finish();
    tree.comments = Some(fast.comments);
    Some(tree)
}

/// YAML's indicator characters, which the fast readers do not take at the start of a plain
/// scalar (YAML allows a `-`, `?` or `:` there when text follows it; `plain_start` takes `-`).
pub(crate) fn is_indicator(c: u8) -> bool {
    matches!(
        c,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    )
}

impl Fast<'_, '_> {
    fn emit(&mut self, event: Event, pos: usize) -> Step {
        // The builder's own errors (a file Flux skips) are reported as yaml-rust2's reading
        // reports them, with its precedence: give up.
        self.builder
            .event(event, pos, false)
            .map(|_| ())
            .map_err(|_| Bail)
    }

    /// A one-line scalar from `pos` to `end` (quotes included).
    fn scalar_event(&mut self, value: String, style: TScalarStyle, pos: usize, end: usize) -> Step {
        self.builder.known_end = Some(end);
        self.emit(Event::Scalar(value, style, 0, None), pos)
    }

    /// An implicit null, which yaml-rust2 reports at the next token (the tree places it after
    /// its key).
    fn null_event(&mut self, pos: usize) -> Step {
        self.emit(
            Event::Scalar(String::new(), TScalarStyle::Plain, 0, None),
            pos,
        )
    }

    /// A comment from the `#` at `start` to the end of its line.
    fn comment(&mut self, start: usize, eol: usize, own_line: bool) {
        self.comments.push(Comment {
            start,
            end: eol,
            own_line,
        });
    }

    fn run(&mut self) -> Step {
        let bytes = self.bytes;
        let len = bytes.len();
        self.emit(Event::StreamStart, self.src.body_start)?;
        let mut line = self.src.body_start;
        while line < len {
            let eol = memchr(b'\n', &bytes[line..]).map_or(len, |i| line + i);
            let mut p = line;
            while p < eol && bytes[p] == b' ' {
                p += 1;
            }
            if p < eol && bytes[p] == b'#' {
                self.comment(p, eol, true);
            } else if p < eol {
                let indent = p - line;
                if indent == 0 && bytes[line..eol].starts_with(b"---") {
                    self.separator(line, eol)?;
                } else if indent == 0 && (bytes[p] == b'%' || bytes[line..eol].starts_with(b"..."))
                {
                    return Err(Bail);
                } else {
                    self.content(p, indent, eol)?;
                }
            }
            line = (eol + 1).max(self.resume.take().unwrap_or(0));
        }
        self.end_document(len)?;
        self.emit(Event::StreamEnd, len)
    }

    /// A `---` line.
    fn separator(&mut self, line: usize, eol: usize) -> Step {
        self.line_rest(line + 3, eol)?;
        self.end_document(line)?;
        self.emit(Event::DocumentStart, line)?;
        self.doc_open = true;
        Ok(())
    }

    /// Ends the open document, if any, at `pos`: the next `---` or the end of the file.
    fn end_document(&mut self, pos: usize) -> Step {
        if !self.doc_open {
            return Ok(());
        }
        if !self.doc_content {
            return Err(Bail);
        }
        match self.pending {
            Pending::Value { .. } => self.null_event(pos)?,
            Pending::Item { .. } => return Err(Bail),
            Pending::None => {}
        }
        self.pending = Pending::None;
        self.max_indent = None;
        while let Some(open) = self.stack.pop() {
            self.close(open, pos)?;
        }
        self.emit(Event::DocumentEnd, pos)?;
        self.doc_open = false;
        self.doc_content = false;
        self.root = false;
        Ok(())
    }

    fn close(&mut self, open: Open, pos: usize) -> Step {
        let event = if open.map {
            Event::MappingEnd
        } else {
            Event::SequenceEnd
        };
        self.emit(event, pos)
    }

    fn push(&mut self, map: bool, col: usize, indentless: bool, pos: usize) -> Step {
        let event = if map {
            Event::MappingStart(0, None)
        } else {
            Event::SequenceStart(0, None)
        };
        self.emit(event, pos)?;
        self.stack.push(Open {
            map,
            col,
            indentless,
        });
        Ok(())
    }

    fn is_dash(&self, p: usize, eol: usize) -> bool {
        self.bytes[p] == b'-' && (p + 1 == eol || self.bytes[p + 1] == b' ')
    }

    /// A line whose first non-blank byte, at `p` and column `indent`, is not a comment.
    fn content(&mut self, p: usize, indent: usize, eol: usize) -> Step {
        if !self.doc_open {
            self.emit(Event::DocumentStart, p)?;
            self.doc_open = true;
        }
        self.doc_content = true;
        if self.max_indent.take().is_some_and(|max| indent > max) {
            return Err(Bail);
        }
        let dash = self.is_dash(p, eol);
        match std::mem::replace(&mut self.pending, Pending::None) {
            Pending::Value { col } => {
                if indent > col {
                    self.push(!dash, indent, false, p)?;
                    return self.entry(p, indent, eol, dash);
                }
                let top_map = self.stack.last().is_some_and(|o| o.map && o.col == col);
                if indent == col && dash && top_map {
                    self.push(false, indent, true, p)?;
                    return self.entry(p, indent, eol, dash);
                }
                // `key:` and nothing below it: a null.
                self.null_event(p)?;
            }
            Pending::Item { col } => {
                if indent > col && !dash {
                    self.push(true, indent, false, p)?;
                    return self.entry(p, indent, eol, dash);
                }
                return Err(Bail);
            }
            Pending::None => {}
        }
        while let Some(&top) = self.stack.last() {
            if top.col > indent || (top.col == indent && top.indentless && !dash) {
                self.stack.pop();
                self.close(top, p)?;
            } else {
                break;
            }
        }
        match self.stack.last() {
            None => {
                // A second root node, or a root that is not a mapping: yaml-rust2 says which.
                if self.root || dash {
                    return Err(Bail);
                }
                self.root = true;
                self.push(true, indent, false, p)?;
            }
            Some(top) if top.col != indent || top.map == dash => return Err(Bail),
            Some(_) => {}
        }
        self.entry(p, indent, eol, dash)
    }

    /// What may follow a token that ends at `end`: blanks, then the end of the line or a comment
    /// after a blank (recorded).
    fn line_rest(&mut self, end: usize, eol: usize) -> Step {
        let (i, ends) = self.after_blanks(end, eol);
        if !ends || (i < eol && i == end) {
            return Err(Bail);
        }
        Ok(())
    }

    /// The first byte after the blanks from `from`, and whether the line ends there: nothing
    /// more, or a comment (recorded).
    fn after_blanks(&mut self, from: usize, eol: usize) -> (usize, bool) {
        let mut i = from;
        while i < eol && self.bytes[i] == b' ' {
            i += 1;
        }
        if i < eol && self.bytes[i] != b'#' {
            return (i, false);
        }
        if i < eol {
            self.comment(i, eol, false);
        }
        (i, true)
    }

    /// An entry of the innermost collection (at column `col`) starting at `p`: a sequence item
    /// if `dash`, else a key and its value.
    fn entry(&mut self, p: usize, col: usize, eol: usize, dash: bool) -> Step {
        if !dash {
            return self.pair(p, col, eol);
        }
        let (q, ends) = self.after_blanks(p + 1, eol);
        if ends {
            self.pending = Pending::Item { col };
            return Ok(());
        }
        if self.key_end(q, eol)?.is_some() {
            self.push(true, col + (q - p), false, q)?;
            return self.pair(q, col + (q - p), eol);
        }
        self.scalar(q, eol, col)
    }

    /// Where the `:` of a plain key starting at `p` is, if the line holds one; `None` for a
    /// scalar. A quoted key gives up.
    fn key_end(&self, p: usize, eol: usize) -> Result<Option<usize>, Bail> {
        let bytes = self.bytes;
        let c = bytes[p];
        if c == b'"' || c == b'\'' {
            // A quoted scalar is a key when a `:` follows it: left to yaml-rust2.
            let mut i = p + 1;
            while i < eol && bytes[i] != c {
                i += 1;
            }
            i += 1;
            while i < eol && bytes[i] == b' ' {
                i += 1;
            }
            return if i < eol && bytes[i] == b':' {
                Err(Bail)
            } else {
                Ok(None)
            };
        }
        if !self.plain_start(p, eol) {
            return Ok(None);
        }
        for i in p..eol {
            match bytes[i] {
                b'#' if bytes[i - 1] == b' ' => return Ok(None),
                b':' if i + 1 == eol || bytes[i + 1] == b' ' => {
                    return if i - p > MAX_KEY {
                        Err(Bail)
                    } else {
                        Ok(Some(i))
                    };
                }
                _ => {}
            }
        }
        Ok(None)
    }

    /// A plain scalar may start at `p`: not an indicator, or a `-` followed by text (`-1`,
    /// `--flag`).
    fn plain_start(&self, p: usize, eol: usize) -> bool {
        let c = self.bytes[p];
        !is_indicator(c) || (c == b'-' && p + 1 < eol && self.bytes[p + 1] != b' ')
    }

    /// A mapping entry whose key starts at `p`, in the mapping at column `col`.
    fn pair(&mut self, p: usize, col: usize, eol: usize) -> Step {
        let bytes = self.bytes;
        let colon = self.key_end(p, eol)?.ok_or(Bail)?;
        let mut key_end = colon;
        while bytes[key_end - 1] == b' ' {
            key_end -= 1;
        }
        let key = self.src.slice(p, key_end).to_owned();
        self.scalar_event(key, TScalarStyle::Plain, p, key_end)?;
        let (v, ends) = self.after_blanks(colon + 1, eol);
        if ends {
            self.pending = Pending::Value { col };
            return Ok(());
        }
        self.scalar(v, eol, col)
    }

    /// A one-line scalar value at `v`, inside the block collection at column `col`.
    fn scalar(&mut self, v: usize, eol: usize, col: usize) -> Step {
        let bytes = self.bytes;
        let c = bytes[v];
        if c == b'|' {
            return self.literal(v, eol, col);
        }
        let end = match c {
            b'"' => {
                let close = (v + 1..eol).find(|&i| matches!(bytes[i], b'"' | b'\\'));
                let close = close.filter(|&i| bytes[i] == b'"').ok_or(Bail)?;
                let value = self.src.slice(v + 1, close).to_owned();
                self.scalar_event(value, TScalarStyle::DoubleQuoted, v, close + 1)?;
                close + 1
            }
            b'\'' => {
                let mut value = String::new();
                let mut i = v + 1;
                loop {
                    let rel = memchr(b'\'', &bytes[i..eol]).ok_or(Bail)?;
                    value.push_str(self.src.slice(i, i + rel));
                    i += rel + 1;
                    if i < eol && bytes[i] == b'\'' {
                        value.push('\'');
                        i += 1;
                    } else {
                        break;
                    }
                }
                self.emit(Event::Scalar(value, TScalarStyle::SingleQuoted, 0, None), v)?;
                i
            }
            _ if !self.plain_start(v, eol) => return Err(Bail),
            _ => {
                let mut end = eol;
                for i in v..eol {
                    match bytes[i] {
                        b'#' if bytes[i - 1] == b' ' => {
                            end = i;
                            break;
                        }
                        // `key: a: b` is an error; `a:b` is text.
                        b':' if i + 1 == eol || bytes[i + 1] == b' ' => return Err(Bail),
                        _ => {}
                    }
                }
                while bytes[end - 1] == b' ' {
                    end -= 1;
                }
                let value = self.src.slice(v, end).to_owned();
                self.scalar_event(value, TScalarStyle::Plain, v, end)?;
                end
            }
        };
        self.line_rest(end, eol)?;
        self.max_indent = Some(col);
        Ok(())
    }
}

impl Fast<'_, '_> {
    /// A literal block scalar whose header (`|` or `|-`, no indentation indicator) is at `v`, in
    /// the block collection at column `col`: its content lines are those indented as the first
    /// (more than `col`), up to the first line indented less. Leading blank lines, blank lines
    /// with more spaces than the content's indentation, `|+`, folded scalars and a last line
    /// without a line break are left to yaml-rust2.
    fn literal(&mut self, v: usize, eol: usize, col: usize) -> Step {
        let bytes = self.bytes;
        let len = bytes.len();
        let mut h = v + 1;
        let strip = h < eol && bytes[h] == b'-';
        if strip {
            h += 1;
        }
        self.line_rest(h, eol)?;
        let mut value = String::new();
        let mut indent = None;
        let mut first = None;
        // Line breaks seen since the last content line: written when more content follows.
        let mut breaks = 0;
        let mut line = eol + 1;
        let mut last_end = None;
        while line < len {
            let end = memchr(b'\n', &bytes[line..]).map_or(len, |k| line + k);
            let mut p = line;
            while p < end && bytes[p] == b' ' {
                p += 1;
            }
            let n = p - line;
            if p == end {
                // A blank line: inside the scalar unless it has more spaces than its content.
                if indent.is_none_or(|ind| n > ind) {
                    return Err(Bail);
                }
                breaks += 1;
                line = end + 1;
                continue;
            }
            let ind = *indent.get_or_insert(n);
            if n < ind {
                break;
            }
            if n <= col || end == len {
                return Err(Bail);
            }
            if first.is_none() {
                first = Some(line + ind);
            } else {
                value.extend(std::iter::repeat_n('\n', breaks + 1));
            }
            breaks = 0;
            value.push_str(self.src.slice(line + ind, end));
            last_end = Some(end);
            line = end + 1;
        }
        let (Some(first), Some(last_end)) = (first, last_end) else {
            return Err(Bail);
        };
        if !strip {
            value.push('\n');
        }
        self.emit(Event::Scalar(value, TScalarStyle::Literal, 0, None), first)?;
        self.resume = Some(last_end + 1);
        self.max_indent = Some(col);
        Ok(())
    }
}

/// Whether the fast path takes `text`; panics if its tree differs from yaml-rust2's (tests and
/// the `manifest` fuzz target).
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn agrees(text: &str) -> bool {
    let src = Source::new(text);
    if super::source::find_unsupported_char(text, src.body_start).is_some() {
        return false;
    }
    let mut took = false;
    for collections in [false, true] {
        let Some(fast) = build(&src, collections) else {
            continue;
        };
        took = true;
        match super::yamlrust::build(&src, src.body(), &[], &[], collections) {
            Ok(slow) => {
                let mut fast = fast;
                let comments = fast.comments.take();
                let found = super::comments::find(&src, &slow.opaque);
                assert_eq!(comments, Some(found), "comments differ on\n{text}");
                assert_eq!(fast, slow, "trees differ on\n{text}");
            }
            Err(e) => panic!("the fast path took a file yaml-rust2 refuses ({e:?}):\n{text}"),
        }
    }
    took
}

#[cfg(test)]
#[path = "fast_tests.rs"]
mod tests;
