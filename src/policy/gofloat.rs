//! Go's `strconv.ParseFloat(s, 64)` acceptance, which Flux's numerical policy uses.
//!
//! Rust's `f64::from_str` accepts a different language (no `_`, no hex floats, `infinity` spelled
//! differently), so the syntax is checked here first and only the digits are handed to Rust.

/// Parse `s` as Go's `ParseFloat(s, 64)` would; `None` where Go returns an error (syntax or range).
pub fn parse_float(s: &str) -> Option<f64> {
    if let Some(v) = special(s) {
        return Some(v);
    }
    let (negative, body) = match s.as_bytes().first()? {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    let value = if body.len() > 2 && (body.starts_with("0x") || body.starts_with("0X")) {
        parse_hex(&body[2..])?
    } else {
        parse_decimal(body)?
    };
    if value.is_infinite() {
        return None; // Go: ErrRange
    }
    Some(if negative { -value } else { value })
}

/// `inf`, `infinity` (any case, optional sign) and `nan` (any case, no sign).
fn special(s: &str) -> Option<f64> {
    let lower = s.to_ascii_lowercase();
    let (sign, rest) = match lower.as_bytes().first()? {
        b'+' => (1.0, &lower[1..]),
        b'-' => (-1.0, &lower[1..]),
        _ => {
            if lower == "nan" {
                return Some(f64::NAN);
            }
            (1.0, lower.as_str())
        }
    };
    (rest == "inf" || rest == "infinity").then_some(sign * f64::INFINITY)
}

/// Underscores may only separate digits (Go's `underscoreOK` for base 10).
fn strip_underscores(body: &str, is_digit: fn(u8) -> bool, prefixed: bool) -> Option<String> {
    let bytes = body.as_bytes();
    let mut out = String::with_capacity(body.len());
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'_' {
            // A base prefix counts as a digit before the first underscore.
            let prev_ok = if i == 0 {
                prefixed
            } else {
                is_digit(bytes[i - 1])
            };
            let next_ok = bytes.get(i + 1).is_some_and(|&n| is_digit(n));
            if !prev_ok || !next_ok {
                return None;
            }
        } else {
            out.push(b as char);
        }
    }
    Some(out)
}

fn parse_decimal(body: &str) -> Option<f64> {
    let cleaned = strip_underscores(body, |b| b.is_ascii_digit(), false)?;
    let bytes = cleaned.as_bytes();
    // mantissa: digits [. digits], at least one digit; exponent: e[+-]digits
    let mut i = 0;
    let mut digits = 0;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
        digits += 1;
    }
    if i < bytes.len() && bytes[i] == b'.' {
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        i += 1;
        if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    if i != bytes.len() {
        return None;
    }
    cleaned.parse::<f64>().ok()
}

/// Hex mantissa with a mandatory binary exponent: `1p-2`, `1.8p1`, `_1p0` after `0x`.
fn parse_hex(body: &str) -> Option<f64> {
    let cleaned = strip_underscores(body, |b| b.is_ascii_hexdigit(), true)?;
    let (mantissa, exponent) = cleaned.split_once(['p', 'P'])?;
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut m: u64 = 0;
    let mut exp: i64 = 0;
    let mut sticky = false;
    for (k, c) in int_part.chars().chain(frac_part.chars()).enumerate() {
        let d = u64::from(c.to_digit(16)?);
        let is_frac = k >= int_part.len();
        if m >> 60 == 0 {
            m = m * 16 + d;
            if is_frac {
                exp -= 4;
            }
        } else {
            // Precision beyond 64 bits: keep the magnitude, remember lost bits for rounding.
            sticky |= d != 0;
            if !is_frac {
                exp += 4;
            }
        }
    }
    if sticky {
        m |= 1;
    }
    let exp_digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    if exp_digits.is_empty() || !exp_digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let e: i64 = exponent.parse().unwrap_or(if exponent.starts_with('-') {
        i64::MIN / 2
    } else {
        i64::MAX / 2
    });
    Some(scale(m as f64, exp.saturating_add(e)))
}

fn scale(mut v: f64, mut e: i64) -> f64 {
    if v == 0.0 {
        return 0.0;
    }
    while e > 0 && v.is_finite() {
        let step = e.min(1000);
        v *= 2f64.powi(step as i32);
        e -= step;
    }
    while e < 0 && v != 0.0 {
        let step = (-e).min(1000);
        v /= 2f64.powi(step as i32);
        e += step;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::parse_float;

    #[test]
    fn accepts_what_go_accepts() {
        let cases: &[(&str, f64)] = &[
            ("01", 1.0),
            ("1e3", 1000.0),
            ("+5", 5.0),
            ("-5", -5.0),
            ("1_000", 1000.0),
            (".5", 0.5),
            ("1.", 1.0),
            ("0x1p-2", 0.25),
            ("0x1.8p1", 3.0),
            ("0x_1p0", 1.0),
            ("1606364286", 1_606_364_286.0),
            ("47.40896403322944", 47.408_964_033_229_44),
            ("1e-400", 0.0),
        ];
        for (s, want) in cases {
            assert_eq!(parse_float(s), Some(*want), "{s}");
        }
        for s in ["Inf", "+inf", "-Infinity", "INF"] {
            assert!(parse_float(s).unwrap().is_infinite(), "{s}");
        }
        assert!(parse_float("NaN").unwrap().is_nan());
        assert!(parse_float("nan").unwrap().is_nan());
    }

    #[test]
    fn rejects_what_go_rejects() {
        for s in [
            "", "0x10", "1e400", " 1", "1 ", "1a", "b", "_1", "1_", "1__0", "+nan", "infin", ".",
            "e5", "1e", "0x", "0xp1", "1.2.3", "--1", "1,5",
        ] {
            assert_eq!(parse_float(s).map(|_| ()), None, "{s:?}");
        }
    }
}
