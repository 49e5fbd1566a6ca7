//! The file text as the scanners see it: bytes, line starts, and the conversion of yaml-rust2's
//! positions into byte offsets.
//!
//! yaml-rust2 0.13's `Marker::index()` counts characters, except that block-scalar content read in
//! bulk advances it by bytes, so after a block scalar holding non-ASCII text every later index is
//! off. Its line (1-based) and column (characters, reset at each line break) stay right, so
//! positions are computed from those: a line start, then a walk over at most one line's
//! characters, resumed from the previous position when marks move forward on the same line.

use crate::text::LineIndex;

pub(crate) const BOM: &str = "\u{feff}";

pub(crate) struct Source<'a> {
    pub text: &'a str,
    pub bytes: &'a [u8],
    /// 3 when the file starts with a UTF-8 BOM (not given to yaml-rust2), else 0.
    pub body_start: usize,
    lines: LineIndex,
    /// No byte above 0x7F: a column in characters is a column in bytes (most manifests).
    ascii: bool,
}

/// The last position converted, to resume the character walk from.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PosMemo {
    line: usize,
    col: usize,
    byte: usize,
}

impl<'a> Source<'a> {
    pub fn new(text: &'a str) -> Self {
        let body_start = if text.starts_with(BOM) { BOM.len() } else { 0 };
        Self {
            text,
            bytes: text.as_bytes(),
            body_start,
            lines: LineIndex::new(text),
            ascii: text.is_ascii(),
        }
    }

    /// The text handed to yaml-rust2 (without the BOM).
    pub fn body(&self) -> &'a str {
        self.text.get(self.body_start..).unwrap_or("")
    }

    /// Byte offset of yaml-rust2's position `line` (1-based), `col` (characters), clamped to the
    /// end of the file.
    pub fn byte_of(&self, memo: &mut PosMemo, line: usize, col: usize) -> usize {
        let Some(line0) = line.checked_sub(1).filter(|l| *l < self.line_count()) else {
            return self.len();
        };
        let (from, skip) = if memo.line == line && memo.col <= col && memo.byte > 0 {
            (memo.byte, col - memo.col)
        } else {
            (self.line_start(line0), col)
        };
        let byte = if self.ascii {
            // `nth` below yields `None` at the end of the text, hence `len` beyond it.
            let byte = from + skip;
            if byte < self.len() {
                byte
            } else {
                self.len()
            }
        } else {
            self.text
                .get(from..)
                .and_then(|rest| rest.char_indices().nth(skip).map(|(i, _)| from + i))
                .unwrap_or(self.len())
        };
        *memo = PosMemo { line, col, byte };
        byte
    }

    /// No byte above 0x7F.
    pub fn is_ascii(&self) -> bool {
        self.ascii
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn at(&self, pos: usize) -> u8 {
        self.bytes.get(pos).copied().unwrap_or(0)
    }

    pub fn is_eof(&self, pos: usize) -> bool {
        pos >= self.bytes.len()
    }

    /// `\n` or `\r` (a bare `\r` is rejected before scanning, so `\r` always starts `\r\n` or
    /// `\r\r\n`).
    pub fn is_break(&self, pos: usize) -> bool {
        matches!(self.at(pos), b'\n' | b'\r')
    }

    pub fn is_blank(&self, pos: usize) -> bool {
        matches!(self.at(pos), b' ' | b'\t')
    }

    pub fn is_blank_or_breakz(&self, pos: usize) -> bool {
        self.is_eof(pos) || matches!(self.at(pos), b' ' | b'\t' | b'\n' | b'\r')
    }

    /// Position after the line break at `pos` (`\r\n` or `\n`, or `\r\r\n`: kyaml makes it
    /// `\r\n`); `pos` if there is none.
    pub fn skip_break(&self, pos: usize) -> usize {
        match self.at(pos) {
            b'\r' if self.at(pos + 1) == b'\n' => pos + 2,
            b'\r' if self.at(pos + 1) == b'\r' && self.at(pos + 2) == b'\n' => pos + 3,
            b'\r' | b'\n' => pos + 1,
            _ => pos,
        }
    }

    pub fn line_of(&self, pos: usize) -> usize {
        self.lines.line_of(pos)
    }

    pub fn line_count(&self) -> usize {
        self.lines.line_count()
    }

    /// First byte of `line`, after the BOM on line 0.
    pub fn line_start(&self, line: usize) -> usize {
        let start = self.lines.line_start(line);
        if line == 0 {
            start.max(self.body_start)
        } else {
            start
        }
    }

    pub fn line_start_of(&self, pos: usize) -> usize {
        self.line_start(self.line_of(pos))
            .min(pos.max(self.body_start))
    }

    /// End of the line holding `pos`, before its `\r\n` or `\n`.
    pub fn line_end_of(&self, pos: usize) -> usize {
        let mut i = pos;
        while i < self.bytes.len() && !matches!(self.bytes[i], b'\n' | b'\r') {
            i += 1;
        }
        i
    }

    /// Column of `pos` in characters, as yaml-rust2 counts it.
    pub fn col(&self, pos: usize) -> usize {
        let start = self.line_start_of(pos);
        if self.ascii {
            return pos.saturating_sub(start);
        }
        self.text
            .get(start..pos)
            .map_or(pos.saturating_sub(start), |s| s.chars().count())
    }

    /// First non-blank byte of the line holding `pos`.
    pub fn first_non_blank_of_line(&self, pos: usize) -> usize {
        let mut i = self.line_start_of(pos);
        while self.is_blank(i) {
            i += 1;
        }
        i
    }

    /// Whether `pos` is a `-` block-sequence entry indicator (followed by a blank or line end).
    pub fn is_dash_entry(&self, pos: usize) -> bool {
        self.at(pos) == b'-' && self.is_blank_or_breakz(pos + 1)
    }

    pub fn slice(&self, start: usize, end: usize) -> &'a str {
        self.text.get(start..end).unwrap_or("")
    }
}

/// yaml.v3's reader rejects characters outside YAML's printable set (`is_printable`). A bare CR
/// and NEL/LS/PS are legal YAML line breaks to yaml.v3 but not to yaml-rust2 (or the reverse), so
/// they are refused too rather than risk spans that disagree with Flux's reading.
/// Returns the byte offset and the offending character.
pub(crate) fn find_unsupported_char(text: &str, body_start: usize) -> Option<(usize, char)> {
    let bytes = text.as_bytes();
    let mut i = body_start;
    // Eight bytes at a time while they are plain (nearly every byte of a manifest), then byte by
    // byte, decoding only other characters.
    while let Some(&b) = bytes.get(i) {
        if let Some(chunk) = bytes
            .get(i..i + 8)
            .and_then(|c| <[u8; 8]>::try_from(c).ok())
        {
            if all_plain(u64::from_le_bytes(chunk)) {
                i += 8;
                continue;
            }
        }
        if matches!(b, b' '..=b'~' | b'\n' | b'\t') {
            i += 1;
            continue;
        }
        let c = if b.is_ascii() {
            char::from(b)
        } else {
            text.get(i..).and_then(|rest| rest.chars().next())?
        };
        let ok = match c {
            '\t' | '\n' | ' '..='~' => true,
            // kyaml replaces `\r\n` with `\n` before yaml.v3 reads: `\r\r\n` is one break.
            '\r' => {
                bytes.get(i + 1) == Some(&b'\n')
                    || (bytes.get(i + 1) == Some(&b'\r') && bytes.get(i + 2) == Some(&b'\n'))
            }
            '\u{2028}' | '\u{2029}' => false,
            '\u{a0}'..='\u{d7ff}' | '\u{10000}'..='\u{10ffff}' => true,
            // A BOM after the file's start is an ordinary character to yaml.v3 (and yaml-rust2).
            '\u{e000}'..='\u{fffd}' => true,
            _ => false,
        };
        if !ok {
            return Some((i, c));
        }
        i += c.len_utf8();
    }
    None
}

/// `0x80` in each byte of `v` that is zero, `0` in the others (exact: no carry between bytes).
fn zero_bytes(v: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    !(((v & LOW7) + LOW7) | v | LOW7)
}

/// Whether each of the eight bytes in `x` is printable ASCII (`' '..='~'`), `\n` or `\t`.
fn all_plain(x: u64) -> bool {
    const EACH: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    if x & HIGH != 0 || zero_bytes(x ^ (0x7f * EACH)) != 0 {
        return false;
    }
    // An ASCII byte below 0x20 has bits 5 and 6 clear.
    let control = zero_bytes(x & (0x60 * EACH));
    let allowed =
        zero_bytes(x ^ (u64::from(b'\n') * EACH)) | zero_bytes(x ^ (u64::from(b'\t') * EACH));
    control & !allowed == 0
}

#[cfg(test)]
mod tests {
    use super::all_plain;

    #[test]
    fn eight_bytes_at_a_time_agree_with_one_at_a_time() {
        let plain = |b: u8| matches!(b, b' '..=b'~' | b'\n' | b'\t');
        for b in 0..=u8::MAX {
            for at in 0..8 {
                for fill in [b'a', b'\n', b'\t', b' ', b'~'] {
                    let mut chunk = [fill; 8];
                    chunk[at] = b;
                    assert_eq!(all_plain(u64::from_le_bytes(chunk)), plain(b), "{chunk:?}");
                }
            }
        }
    }
}
