//! Split a template into text and actions, and each action into tokens, as Go's
//! `text/template/parse` lexer does: `{{- ` and ` -}}` trim the whitespace around an action,
//! `{{/* … */}}` is a comment.

use super::{ErrorKind, TemplateError};

/// A piece of the template.
#[derive(Clone, Debug, PartialEq)]
pub enum Piece {
    Text(String),
    /// The tokens of one `{{ … }}`, and the byte offset of its `{{`.
    Action(Vec<Token>, usize),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub kind: Tok,
    /// Byte offset in the template.
    pub pos: usize,
    /// Whether whitespace separates this token from the one before it (a field chain such as
    /// `$x.Name` must be written without spaces).
    pub spaced: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// `.Name` (one link of a field chain).
    Field(String),
    /// `.` alone.
    Dot,
    /// `$` or `$name`, with the `$`.
    Var(String),
    /// A keyword or a function name.
    Ident(String),
    Str(String),
    Int(i64),
    Bool(bool),
    Nil,
    LParen,
    RParen,
    Pipe,
    Declare,
    Assign,
    Comma,
}

const LEFT: &str = "{{";
const RIGHT: &str = "}}";

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn err(src: &str, pos: usize, message: impl Into<String>) -> TemplateError {
    TemplateError::at(ErrorKind::Parse, src, pos, message)
}

/// Lex the whole template.
pub fn lex(src: &str) -> Result<Vec<Piece>, TemplateError> {
    let bytes = src.as_bytes();
    let mut pieces = Vec::new();
    let mut pos = 0;
    let mut trim_next = false;
    while pos < src.len() {
        let open = src[pos..].find(LEFT).map(|i| pos + i);
        let text_end = open.unwrap_or(src.len());
        let mut text = &src[pos..text_end];
        if std::mem::take(&mut trim_next) {
            text = text.trim_start_matches(|c: char| c.is_ascii() && is_space(c as u8));
        }
        let Some(open) = open else {
            push_text(&mut pieces, text);
            break;
        };
        let mut inner = open + LEFT.len();
        // `{{- ` trims the text before the action.
        if bytes.get(inner) == Some(&b'-') && bytes.get(inner + 1).is_some_and(|&c| is_space(c)) {
            text = text.trim_end_matches(|c: char| c.is_ascii() && is_space(c as u8));
            inner += 2;
        }
        push_text(&mut pieces, text);
        // A comment opens right after the delimiter (and its trim marker), and closes right
        // before the closing one: `{{/* … */}}`, `{{- /* … */ -}}`.
        if src[inner..].starts_with("/*") {
            let close = src[inner + 2..]
                .find("*/")
                .map(|i| inner + 2 + i + 2)
                .ok_or_else(|| err(src, open, "unclosed comment"))?;
            let (end, trim) = if src[close..].starts_with(RIGHT) {
                (close + RIGHT.len(), false)
            } else if bytes.get(close).is_some_and(|&c| is_space(c))
                && src[close + 1..].starts_with("-}}")
            {
                (close + 4, true)
            } else {
                return Err(err(src, close, "comment ends before closing delimiter"));
            };
            pos = end;
            trim_next = trim;
            continue;
        }
        let (tokens, end, trim) = lex_action(src, inner, open)?;
        pieces.push(Piece::Action(tokens, open));
        pos = end;
        trim_next = trim;
    }
    Ok(pieces)
}

fn push_text(pieces: &mut Vec<Piece>, text: &str) {
    if !text.is_empty() {
        pieces.push(Piece::Text(text.to_owned()));
    }
}

/// At `at` (after optional spaces): `}}` or ` -}}`. Returns the end offset and whether to trim.
fn right_delim(src: &str, at: usize) -> Option<(usize, bool)> {
    let bytes = src.as_bytes();
    if src[at..].starts_with(RIGHT) {
        return Some((at + RIGHT.len(), false));
    }
    let mut i = at;
    while bytes.get(i).is_some_and(|&c| is_space(c)) {
        i += 1;
    }
    if i > at && src[i..].starts_with("-}}") {
        return Some((i + 3, true));
    }
    if src[i..].starts_with(RIGHT) {
        return Some((i + RIGHT.len(), false));
    }
    None
}

fn lex_action(
    src: &str,
    mut i: usize,
    open: usize,
) -> Result<(Vec<Token>, usize, bool), TemplateError> {
    let bytes = src.as_bytes();
    let mut tokens = Vec::new();
    let mut spaced = true;
    loop {
        let Some(&c) = bytes.get(i) else {
            return Err(err(src, open, "unclosed action"));
        };
        if is_space(c) {
            if let Some((end, true)) = right_delim(src, i) {
                return Ok((tokens, end, true));
            }
            i += 1;
            spaced = true;
            continue;
        }
        if src[i..].starts_with(RIGHT) {
            return Ok((tokens, i + RIGHT.len(), false));
        }
        let start = i;
        let kind =
            match c {
                b'|' => {
                    i += 1;
                    Tok::Pipe
                }
                b'(' => {
                    i += 1;
                    Tok::LParen
                }
                b')' => {
                    i += 1;
                    Tok::RParen
                }
                b',' => {
                    i += 1;
                    Tok::Comma
                }
                b':' if bytes.get(i + 1) == Some(&b'=') => {
                    i += 2;
                    Tok::Declare
                }
                b'=' => {
                    i += 1;
                    Tok::Assign
                }
                b'"' => {
                    let (s, end) = quoted(src, i)?;
                    i = end;
                    Tok::Str(s)
                }
                b'`' => {
                    let close = src[i + 1..]
                        .find('`')
                        .ok_or_else(|| err(src, i, "unterminated raw quoted string"))?;
                    let s = src[i + 1..i + 1 + close].replace('\r', "");
                    i += close + 2;
                    Tok::Str(s)
                }
                b'\'' => {
                    return Err(err(
                        src,
                        i,
                        "character constants are not supported by imagelock's template renderer",
                    ))
                }
                b'$' => {
                    i += 1 + ident_len(&src[i + 1..]);
                    Tok::Var(src[start..i].to_owned())
                }
                b'.' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => return Err(err(
                    src,
                    i,
                    "floating-point constants are not supported by imagelock's template renderer",
                )),
                b'.' => {
                    let n = ident_len(&src[i + 1..]);
                    i += 1 + n;
                    if n == 0 {
                        Tok::Dot
                    } else {
                        Tok::Field(src[start + 1..i].to_owned())
                    }
                }
                b'0'..=b'9' | b'-' | b'+' => {
                    let (n, end) = number(src, i)?;
                    i = end;
                    Tok::Int(n)
                }
                _ if c == b'_' || c.is_ascii_alphabetic() || c >= 0x80 => {
                    let n = ident_len(&src[i..]);
                    if n == 0 {
                        return Err(err(src, i, "unexpected character in action"));
                    }
                    i += n;
                    match &src[start..i] {
                        "true" => Tok::Bool(true),
                        "false" => Tok::Bool(false),
                        "nil" => Tok::Nil,
                        word => Tok::Ident(word.to_owned()),
                    }
                }
                _ => {
                    let ch = src[i..].chars().next().unwrap_or('?');
                    return Err(err(src, i, format!("unexpected {ch:?} in action")));
                }
            };
        tokens.push(Token {
            kind,
            pos: start,
            spaced,
        });
        spaced = false;
    }
}

/// Length of the identifier (letters, digits, `_`) at the start of `s`.
fn ident_len(s: &str) -> usize {
    s.char_indices()
        .find(|&(_, c)| !(c == '_' || c.is_alphanumeric()))
        .map_or(s.len(), |(i, _)| i)
}

fn number(src: &str, start: usize) -> Result<(i64, usize), TemplateError> {
    let rest = &src[start..];
    let end = rest
        .char_indices()
        .skip(1)
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .map_or(rest.len(), |(i, _)| i);
    let text = &rest[..end];
    let (negative, digits) = match text.as_bytes()[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let digits = digits.replace('_', "");
    let parsed = if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        i64::from_str_radix(hex, 16)
    } else if let Some(oct) = digits
        .strip_prefix("0o")
        .or_else(|| digits.strip_prefix("0O"))
    {
        i64::from_str_radix(oct, 8)
    } else if let Some(bin) = digits
        .strip_prefix("0b")
        .or_else(|| digits.strip_prefix("0B"))
    {
        i64::from_str_radix(bin, 2)
    } else if digits.len() > 1 && digits.starts_with('0') {
        i64::from_str_radix(&digits[1..], 8)
    } else {
        digits.parse::<i64>()
    };
    match parsed {
        Ok(n) => Ok((if negative { -n } else { n }, start + end)),
        Err(_) => Err(err(
            src,
            start,
            format!(
                "bad number syntax: {text:?} (imagelock's template renderer supports integers only)"
            ),
        )),
    }
}

/// A Go interpreted string literal starting at `start` (the opening quote).
fn quoted(src: &str, start: usize) -> Result<(String, usize), TemplateError> {
    let mut out = String::new();
    let mut chars = src[start + 1..].char_indices();
    let at = |i: usize| start + 1 + i;
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, at(i) + 1)),
            '\n' => break,
            '\\' => {
                let Some((j, e)) = chars.next() else { break };
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'a' => out.push('\u{7}'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'v' => out.push('\u{b}'),
                    '\\' => out.push('\\'),
                    '"' => out.push('"'),
                    'x' | 'u' | 'U' => {
                        let n = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let hex: String = (0..n)
                            .filter_map(|_| chars.next().map(|(_, h)| h))
                            .collect();
                        let ch = u32::from_str_radix(&hex, 16)
                            .ok()
                            .filter(|_| hex.len() == n)
                            .and_then(|v| if e == 'x' && v >= 0x80 { None } else { char::from_u32(v) })
                            .ok_or_else(|| err(src, at(j), "invalid escape in string (imagelock supports \\x below 0x80, \\u and \\U)"))?;
                        out.push(ch);
                    }
                    _ => return Err(err(src, at(j), format!("unknown escape sequence \\{e}"))),
                }
            }
            c => out.push(c),
        }
    }
    Err(err(src, start, "unterminated quoted string"))
}
