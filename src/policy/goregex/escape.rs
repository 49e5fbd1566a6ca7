//! Go's `parseEscape` and `parseClassChar`: one escaped or plain rune.

use super::{ErrorCode, GoError};

/// Go's `parseClassChar`: a rune or an escaped rune inside a class opened at `class_start`.
pub(super) fn class_char(s: &str, t: usize, class_start: usize) -> Result<(u32, usize), GoError> {
    match s.as_bytes().get(t) {
        None => Err(GoError::at(
            ErrorCode::MissingBracket,
            s,
            class_start..s.len(),
        )),
        Some(b'\\') => parse_escape(s, t),
        Some(_) => {
            let c = next_char(s, t);
            Ok((u32::from(c), t + c.len_utf8()))
        }
    }
}

/// Go's `parseEscape` at a backslash: the escaped rune and where the escape ends.
pub(super) fn parse_escape(s: &str, pos: usize) -> Result<(u32, usize), GoError> {
    let b = s.as_bytes();
    let invalid = |end: usize| Err(GoError::at(ErrorCode::InvalidEscape, s, pos..end));
    let mut t = pos + 1;
    if t >= s.len() {
        // Go quotes nothing for this one.
        return Err(GoError {
            code: ErrorCode::TrailingBackslash,
            expr: String::new(),
            span: pos..s.len(),
        });
    }
    let c = next_char(s, t);
    t += c.len_utf8();
    let simple = |r: char| Ok((u32::from(r), t));
    match c {
        // Punctuation is always itself; letters and digits are reserved.
        c if c.is_ascii() && !c.is_ascii_alphanumeric() => simple(c),
        // A single non-zero digit would be a backreference: Go has none.
        '1'..='7' if !is_octal(b.get(t)) => invalid(t),
        '0'..='7' => {
            let mut r = u32::from(c) - u32::from('0');
            for _ in 1..3 {
                if !is_octal(b.get(t)) {
                    break;
                }
                r = r * 8 + u32::from(b[t] - b'0');
                t += 1;
            }
            Ok((r, t))
        }
        'x' => {
            if t >= s.len() {
                return invalid(t);
            }
            let c = next_char(s, t);
            t += c.len_utf8();
            if c == '{' {
                let mut digits = 0;
                let mut r: u32 = 0;
                loop {
                    if t >= s.len() {
                        return invalid(t);
                    }
                    let c = next_char(s, t);
                    t += c.len_utf8();
                    if c == '}' {
                        break;
                    }
                    let Some(v) = unhex(c) else {
                        return invalid(t);
                    };
                    r = r * 16 + v;
                    if r > 0x10ffff {
                        return invalid(t);
                    }
                    digits += 1;
                }
                if digits == 0 {
                    return invalid(t);
                }
                return Ok((r, t));
            }
            let x = unhex(c);
            let y = if t < s.len() {
                let c = next_char(s, t);
                t += c.len_utf8();
                unhex(c)
            } else {
                None
            };
            match (x, y) {
                (Some(x), Some(y)) => Ok((x * 16 + y, t)),
                _ => invalid(t),
            }
        }
        'a' => simple('\x07'),
        'f' => simple('\x0c'),
        'n' => simple('\n'),
        'r' => simple('\r'),
        't' => simple('\t'),
        'v' => simple('\x0b'),
        _ => invalid(t),
    }
}

fn is_octal(b: Option<&u8>) -> bool {
    matches!(b, Some(b'0'..=b'7'))
}

fn unhex(c: char) -> Option<u32> {
    c.to_digit(16)
}

/// The char at byte `pos`, which the caller knows is a char boundary inside `s`.
pub(super) fn next_char(s: &str, pos: usize) -> char {
    s.get(pos..)
        .and_then(|t| t.chars().next())
        .unwrap_or('\u{fffd}')
}
