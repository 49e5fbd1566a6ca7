//! Spelling a new scalar value so it reads back as the same string, in the old scalar's style.
//!
//! Flux decides quoting with kyaml's `IsYaml1_1NonString`: the value is unmarshalled on its own
//! by go-yaml v2 (a YAML 1.1 resolver running on Go's `strconv`), and a plain value that comes
//! back as anything but a string is double-quoted. [`needs_quotes`] reproduces that resolver
//! exactly and adds the cases where a plain scalar would not even parse as the same text.
//! (go-yaml's emitter single-quotes those; we double-quote them like the non-strings, and we
//! also quote flow indicators, since a scalar's context is not known here.)

use std::fmt::Write as _;

use crate::manifest::ScalarStyle;

/// True when `value`, written as a plain scalar, would not read back as that same string.
///
/// That is either go-yaml v2 resolving it to a non-string (`1`, `08`, `0x1F`, `1_000`, `0b101`,
/// `0o17`, `1e3`, `.5`, `.inf`, `y`, `no`, `on`, `True`, `null`, `~`, the empty string, …; but
/// not `1.0.0`, `v1.0`, `2024-01-01`, `123e4567` (overflows a float), `inf` or `1:20`, since
/// go-yaml does not resolve base-60 numbers), or the text not surviving as a plain scalar:
/// leading or trailing blanks, a leading indicator character, `": "`, `" #"`, a trailing `:`,
/// a flow indicator (`,[]{}`, which would break a flow collection), control characters or
/// line breaks.
pub fn needs_quotes(value: &str) -> bool {
    resolves_to_non_string(value) || !plain_is_safe(value)
}

/// The bytes to splice in place of the old scalar source `old` so that the scalar holds
/// `new_value`.
///
/// `old` is exactly the scalar's source: quotes included, or for a block scalar its header
/// through the last content line (with or without the line break after it). A tag or anchor
/// before the scalar is not part of `old` and stays.
///
/// - Plain stays plain unless [`needs_quotes`]; then it is double-quoted.
/// - Single-quoted stays single-quoted (`'` doubled) unless the value holds control characters
///   or line breaks; then it is double-quoted.
/// - Double-quoted stays double-quoted, escaping `\`, `"`, control characters and YAML 1.1 line
///   breaks; other non-ASCII text is kept as is.
/// - Literal and folded block scalars keep their indicator, their indentation indicator, the
///   comment on the header line and the content indentation; chomping becomes `-` (or clip or
///   keep when the new value ends in line breaks), lines end with `old`'s line ending, and
///   whitespace-only lines after the content are kept as empty lines. When that cannot
///   represent the value (empty value, control characters, a first line starting with a space
///   but no indentation indicator to keep, no content line to learn the indentation from) the
///   value is double-quoted, still followed by the header comment.
pub fn render_scalar(old: &str, style: ScalarStyle, new_value: &str) -> String {
    match style {
        ScalarStyle::Plain => {
            if needs_quotes(new_value) {
                double_quoted(new_value)
            } else {
                new_value.to_owned()
            }
        }
        ScalarStyle::SingleQuoted => {
            if new_value.chars().all(is_inline_printable) {
                single_quoted(new_value)
            } else {
                double_quoted(new_value)
            }
        }
        ScalarStyle::DoubleQuoted => double_quoted(new_value),
        ScalarStyle::Literal | ScalarStyle::Folded => render_block(old, style, new_value),
    }
}

/// [`render_scalar`] for the scalar at `range` of `text`, after a space when the scalar starts
/// right after an anchor name (`&a:b`, which yaml.v3 reads as the anchor `a` on `:b`): spliced
/// in as it is, the new value would continue the name.
pub fn render_scalar_at(
    text: &str,
    range: crate::text::TextRange,
    style: ScalarStyle,
    new_value: &str,
) -> String {
    let old = text.get(range.as_range()).unwrap_or("");
    let rendered = render_scalar(old, style, new_value);
    let glued = range.start() > 0
        && text
            .as_bytes()
            .get(range.start() - 1)
            .is_some_and(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'));
    if glued {
        format!(" {rendered}")
    } else {
        rendered
    }
}

// ---------------------------------------------------------------------------------------------
// Resolution, as go-yaml v2 `resolve("", value)` followed by decoding into `interface{}`.

/// The plain scalars go-yaml v2 looks up by exact text: bools, nulls and the special floats.
const RESOLVE_MAP: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", //
    "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", //
    "", "~", "null", "Null", "NULL", //
    ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", //
    "-.inf", "-.Inf", "-.INF",
];

/// True when go-yaml v2 would read the plain scalar `value` as something other than a string.
///
/// Timestamps (`2024-01-01`) resolve to `!!timestamp` but decode into `interface{}` as strings,
/// and none of them can also be a number, so they need no case here.
pub(crate) fn resolves_to_non_string(value: &str) -> bool {
    if RESOLVE_MAP.contains(&value) {
        return true;
    }
    match value.as_bytes().first() {
        Some(b'.') => go_float_after_dot(value),
        Some(b'+' | b'-' | b'0'..=b'9') => {
            let plain: String = value.chars().filter(|&c| c != '_').collect();
            if go_parse_int(&plain, 0) || go_parse_uint(&plain, 0).is_some() {
                return true;
            }
            if is_yaml_style_float(&plain) && finite_f64(&plain) {
                return true;
            }
            // go-yaml's own binary fallbacks, which pass the digits to `ParseInt` with base 2,
            // so a sign after the prefix (`0b-1`) is accepted.
            if let Some(digits) = plain.strip_prefix("0b") {
                return go_parse_int(digits, 2) || go_parse_uint(digits, 2).is_some();
            }
            if let Some(digits) = plain.strip_prefix("-0b") {
                return go_parse_int(&format!("-{digits}"), 2);
            }
            false
        }
        _ => false,
    }
}

/// Go's `strconv.ParseUint(s, base, 64)`; `base == 0` reads a `0b`, `0o`, `0x` or `0` prefix.
/// Underscores were removed by the caller.
fn go_parse_uint(s: &str, base: u32) -> Option<u64> {
    let (digits, radix) = if base == 0 {
        let b = s.as_bytes();
        if b.first() == Some(&b'0') {
            match b.get(1).map(u8::to_ascii_lowercase) {
                Some(b'b') if b.len() >= 3 => (&s[2..], 2),
                Some(b'o') if b.len() >= 3 => (&s[2..], 8),
                Some(b'x') if b.len() >= 3 => (&s[2..], 16),
                _ => (&s[1..], 8),
            }
        } else {
            (s, 10)
        }
    } else {
        (s, base)
    };
    if s.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for c in digits.chars() {
        let d = c.to_digit(36)?;
        if d >= radix {
            return None;
        }
        n = n.checked_mul(u64::from(radix))?.checked_add(u64::from(d))?;
    }
    Some(n)
}

/// Go's `strconv.ParseInt(s, base, 64)` succeeding.
fn go_parse_int(s: &str, base: u32) -> bool {
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    match go_parse_uint(rest, base) {
        Some(n) if neg => n <= 1 << 63,
        Some(n) => n < 1 << 63,
        None => false,
    }
}

/// go-yaml's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let int_digits = count_digits(&b[i..]);
    i += int_digits;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let frac_digits = count_digits(&b[i..]);
        if int_digits == 0 && frac_digits == 0 {
            return false;
        }
        i += frac_digits;
    } else if int_digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_digits = count_digits(&b[i..]);
        if exp_digits == 0 {
            return false;
        }
        i += exp_digits;
    }
    i == b.len()
}

fn count_digits(b: &[u8]) -> usize {
    b.iter().take_while(|c| c.is_ascii_digit()).count()
}

/// Go's `strconv.ParseFloat(s, 64)` succeeding on a string starting with `.`: decimal digits,
/// optional exponent, underscores only between digits, and no overflow.
fn go_float_after_dot(s: &str) -> bool {
    if s.contains('_') && !go_underscore_ok(s) {
        return false;
    }
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    is_yaml_style_float(&plain) && finite_f64(&plain)
}

/// Go's `strconv.underscoreOK` for a decimal number: every `_` sits between two digits.
fn go_underscore_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let start = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let mut prev = b'^';
    for &c in &b[start..] {
        let class = match c {
            b'0'..=b'9' => b'0',
            b'_' if prev != b'0' => return false,
            b'_' => b'_',
            _ if prev == b'_' => return false,
            _ => b'!',
        };
        prev = class;
    }
    prev != b'_'
}

/// The float parses without overflowing (Go reports overflow as an error; underflow is fine).
fn finite_f64(s: &str) -> bool {
    s.parse::<f64>().is_ok_and(f64::is_finite)
}

// ---------------------------------------------------------------------------------------------
// Plain-scalar safety, after libyaml's `yaml_emitter_analyze_scalar`, made context-free.

fn plain_is_safe(value: &str) -> bool {
    let Some(first) = value.chars().next() else {
        return false;
    };
    if value.starts_with([' ', '\t']) || value.ends_with([' ', '\t']) {
        return false;
    }
    if !value.chars().all(is_inline_printable) {
        return false;
    }
    if value.starts_with("---") || value.starts_with("...") {
        return false;
    }
    let second = value.chars().nth(1);
    let starts_badly = match first {
        '-' => second.is_none_or(|c| c == ' '),
        '?' | ':' | ',' | '[' | ']' | '{' | '}' | '#' | '&' | '*' | '!' | '|' | '>' | '\''
        | '"' | '%' | '@' | '`' => true,
        _ => false,
    };
    if starts_badly {
        return false;
    }
    if value.contains([',', '[', ']', '{', '}']) {
        return false;
    }
    !(value.contains(": ") || value.ends_with(':') || value.contains(" #"))
}

/// YAML's `c-printable` minus tab and every line break (YAML 1.1 also breaks lines at NEL,
/// LS and PS) and minus the byte-order mark: what may stand unescaped inside one line of a
/// plain or single-quoted scalar.
fn is_inline_printable(c: char) -> bool {
    matches!(c,
        ' '..='~'
        | '\u{A0}'..='\u{2027}'
        | '\u{202A}'..='\u{D7FF}'
        | '\u{E000}'..='\u{FEFE}'
        | '\u{FF00}'..='\u{FFFD}'
        | '\u{10000}'..='\u{10FFFF}')
}

// ---------------------------------------------------------------------------------------------
// Flow scalars.

fn single_quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' {
            out.push('\'');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

fn double_quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        let escape = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\0' => "\\0",
            '\u{7}' => "\\a",
            '\u{8}' => "\\b",
            '\t' => "\\t",
            '\n' => "\\n",
            '\u{b}' => "\\v",
            '\u{c}' => "\\f",
            '\r' => "\\r",
            '\u{1b}' => "\\e",
            '\u{85}' => "\\N",
            '\u{2028}' => "\\L",
            '\u{2029}' => "\\P",
            c if is_inline_printable(c) => {
                out.push(c);
                continue;
            }
            c => {
                let code = u32::from(c);
                // Writing to a String cannot fail.
                let _ = match code {
                    0..=0xFF => write!(out, "\\x{code:02X}"),
                    0x100..=0xFFFF => write!(out, "\\u{code:04X}"),
                    _ => write!(out, "\\U{code:08X}"),
                };
                continue;
            }
        };
        out.push_str(escape);
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------------------------------------
// Block scalars.

/// What a block scalar's old source tells us about how to write the new one.
struct BlockSource<'a> {
    /// The header after its indicators: spaces and a comment, or nothing.
    header_rest: &'a str,
    line_ending: &'static str,
    /// Column of the content: the first content line's for auto-detected indentation, the
    /// smallest for an explicit indicator. `None` without content lines.
    content_indent: Option<usize>,
    /// The line breaks after the last content line (whitespace-only lines become empty).
    tail: String,
}

impl<'a> BlockSource<'a> {
    fn parse(old: &'a str) -> Self {
        let line_ending = if old.contains("\r\n") { "\r\n" } else { "\n" };
        let header_end = old.find('\n').unwrap_or(old.len());
        let header = &old[..header_end];
        let header = header.strip_suffix('\r').unwrap_or(header);

        let mut rest = header.strip_prefix(['|', '>']).unwrap_or(header);
        let mut indent_digit = None;
        for _ in 0..2 {
            match rest.chars().next() {
                Some(c @ '1'..='9') => {
                    indent_digit = Some(c);
                    rest = &rest[1..];
                }
                Some('+' | '-') => rest = &rest[1..],
                _ => break,
            }
        }

        let mut content_indent: Option<usize> = None;
        let mut last_content_end = None;
        let mut offset = header_end;
        for line in old[header_end..].split_inclusive('\n') {
            let text = line.trim_end_matches('\n').trim_end_matches('\r');
            let indent = text.len() - text.trim_start_matches(' ').len();
            // The first piece is the header's own line break, which holds no text.
            if indent < text.len() {
                content_indent = Some(match (content_indent, indent_digit) {
                    (None, _) => indent,
                    (Some(ci), Some(_)) => ci.min(indent),
                    (Some(ci), None) => ci,
                });
                last_content_end = Some(offset + text.len());
            }
            offset += line.len();
        }

        let tail_src = &old[last_content_end.unwrap_or(header_end)..];
        let tail = tail_src
            .chars()
            .filter(|&c| c == '\n' || c == '\r')
            .collect();
        Self {
            header_rest: rest,
            line_ending,
            content_indent,
            tail,
        }
    }
}

fn render_block(old: &str, style: ScalarStyle, value: &str) -> String {
    let src = BlockSource::parse(old);
    let body = value.trim_end_matches('\n');
    let trailing_breaks = value.len() - body.len();
    let first_text = body.split('\n').find(|l| !l.is_empty());
    // yaml.v3 detects the indentation on the first text line: a space or a tab there would need
    // a digit, so such a value is double-quoted.
    let needs_digit = first_text.is_some_and(|l| l.starts_with([' ', '\t']));

    let representable = !body.is_empty()
        && value
            .chars()
            .all(|c| c == '\n' || c == '\t' || is_inline_printable(c))
        && !needs_digit;
    let indent = match src.content_indent {
        Some(ci) if ci > 0 && representable => ci,
        _ => {
            let mut out = double_quoted(value);
            out.push_str(src.header_rest);
            out.push_str(&src.tail);
            return out;
        }
    };

    let le = src.line_ending;
    let chomp = match trailing_breaks {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let mut out = String::with_capacity(old.len() + value.len());
    out.push(if style == ScalarStyle::Folded {
        '>'
    } else {
        '|'
    });
    // No indentation digit: the parent's indentation, which it counts from, is not known here
    // (the old lines may sit deeper than it says); the first line, never blank-led here, sets
    // the indentation instead.
    out.push_str(chomp);
    out.push_str(src.header_rest);

    let lines = if style == ScalarStyle::Folded {
        folded_lines(body)
    } else {
        body.split('\n').collect()
    };
    for line in lines {
        out.push_str(le);
        if !line.is_empty() {
            out.extend(std::iter::repeat_n(' ', indent));
            out.push_str(line);
        }
    }

    if trailing_breaks >= 2 {
        // Keep chomping: the extra breaks are content, so blank lines from `old` must go.
        for _ in 1..trailing_breaks {
            out.push_str(le);
        }
        if src.tail.contains('\n') {
            out.push_str(le);
        }
    } else {
        out.push_str(&src.tail);
    }
    out
}

/// The source lines that a folded scalar reads back as `body` (no trailing breaks): a line
/// break between two lines that start with text folds into a space, so each such break gets
/// an extra empty line. Breaks next to lines starting with a blank are kept as they are.
fn folded_lines(body: &str) -> Vec<&str> {
    let segments: Vec<&str> = body.split('\n').collect();
    let starts_with_text = |s: &str| !s.is_empty() && !s.starts_with([' ', '\t']);
    let mut lines = Vec::with_capacity(segments.len() * 2);
    for (i, seg) in segments.iter().enumerate() {
        lines.push(*seg);
        if starts_with_text(seg) {
            let next_text = segments[i + 1..].iter().find(|s| !s.is_empty());
            if next_text.is_some_and(|s| starts_with_text(s)) {
                lines.push("");
            }
        }
    }
    lines
}
