//! The functions a template may call: Go's built-ins that make sense in a commit message, and the
//! string functions of sprig's hermetic set that commit templates use. Anything else is refused
//! when the template is parsed.

use super::value::Value;

/// Go's `text/template` built-ins, less `and`/`or` (evaluated lazily by the executor) and those
/// irrelevant to commit messages.
const BUILTINS: &[&str] = &[
    "and", "or", "not", "len", "index", "print", "printf", "println", "eq", "ne", "lt", "le", "gt",
    "ge",
];

/// sprig functions (hermetic, string-valued) that imagelock renders exactly.
const SPRIG: &[&str] = &[
    "lower",
    "upper",
    "trim",
    "trimAll",
    "trimPrefix",
    "trimSuffix",
    "contains",
    "hasPrefix",
    "hasSuffix",
    "replace",
    "repeat",
    "trunc",
    "quote",
    "squote",
    "default",
    "empty",
];

pub fn exists(name: &str) -> bool {
    BUILTINS.contains(&name) || SPRIG.contains(&name)
}

pub fn unknown_message(name: &str) -> String {
    format!(
        "function {name:?} is not supported by imagelock's template renderer (it renders Go's {} and sprig's {})",
        BUILTINS.join(", "),
        SPRIG.join(", ")
    )
}

/// Call a function other than `and`/`or` on evaluated arguments.
pub fn call(name: &str, args: Vec<Value>) -> Result<Value, String> {
    // An invalid value (a missing map entry) reaches a function as nil, as in Go.
    let args: Vec<Value> = args
        .into_iter()
        .map(|a| match a {
            Value::Missing => Value::Nil,
            other => other,
        })
        .collect();
    match name {
        "not" => {
            let [v] = exact::<1>(name, args)?;
            Ok(Value::Bool(!v.truthy()))
        }
        "len" => {
            let [v] = exact::<1>(name, args)?;
            let n = match &v {
                Value::Str(s) => s.len(),
                Value::List(l) => l.items.len(),
                Value::Map(m) => m.entries.len(),
                other => return Err(format!("len of type {}", other.type_name())),
            };
            Ok(Value::Int(i64::try_from(n).unwrap_or(i64::MAX)))
        }
        "index" => index(args),
        "print" => Ok(Value::Str(sprint(&args)?)),
        "println" => Ok(Value::Str(sprintln(&args)?)),
        "printf" => printf(args),
        "eq" | "ne" | "lt" | "le" | "gt" | "ge" => compare(name, args),
        "lower" => {
            let [s] = strings::<1>(name, args)?;
            Ok(Value::Str(s.chars().flat_map(char::to_lowercase).collect()))
        }
        "upper" => {
            let [s] = strings::<1>(name, args)?;
            Ok(Value::Str(s.chars().flat_map(char::to_uppercase).collect()))
        }
        "trim" => {
            let [s] = strings::<1>(name, args)?;
            Ok(Value::str(s.trim()))
        }
        "trimAll" => {
            let [cut, s] = strings::<2>(name, args)?;
            Ok(Value::str(s.trim_matches(|c| cut.contains(c))))
        }
        "trimPrefix" => {
            let [pre, s] = strings::<2>(name, args)?;
            Ok(Value::str(s.strip_prefix(pre.as_str()).unwrap_or(&s)))
        }
        "trimSuffix" => {
            let [suf, s] = strings::<2>(name, args)?;
            Ok(Value::str(s.strip_suffix(suf.as_str()).unwrap_or(&s)))
        }
        "contains" => {
            let [sub, s] = strings::<2>(name, args)?;
            Ok(Value::Bool(s.contains(sub.as_str())))
        }
        "hasPrefix" => {
            let [pre, s] = strings::<2>(name, args)?;
            Ok(Value::Bool(s.starts_with(pre.as_str())))
        }
        "hasSuffix" => {
            let [suf, s] = strings::<2>(name, args)?;
            Ok(Value::Bool(s.ends_with(suf.as_str())))
        }
        "replace" => {
            let [old, new, s] = strings::<3>(name, args)?;
            Ok(Value::Str(s.replace(old.as_str(), &new)))
        }
        "repeat" => {
            let [count, s] = exact::<2>(name, args)?;
            let (Value::Int(n), Value::Str(s)) = (count, s) else {
                return Err("repeat wants an integer and a string".to_owned());
            };
            let n = usize::try_from(n).map_err(|_| "repeat: negative count".to_owned())?;
            if n.saturating_mul(s.len()) > super::MAX_OUTPUT {
                return Err("repeat: result too long".to_owned());
            }
            Ok(Value::Str(s.repeat(n)))
        }
        "trunc" => {
            let [count, s] = exact::<2>(name, args)?;
            let (Value::Int(n), Value::Str(s)) = (count, s) else {
                return Err("trunc wants an integer and a string".to_owned());
            };
            let len = i64::try_from(s.len()).unwrap_or(i64::MAX);
            let range = if n < 0 && len + n > 0 {
                (len + n) as usize..s.len()
            } else if n >= 0 && len > n {
                0..n as usize
            } else {
                0..s.len()
            };
            s.get(range)
                .map(Value::str)
                .ok_or_else(|| "trunc would cut a character in two".to_owned())
        }
        "quote" | "squote" => {
            let mut parts = Vec::new();
            for a in &args {
                if matches!(a, Value::Nil) {
                    continue;
                }
                let s = a.go_print()?;
                parts.push(if name == "quote" {
                    go_quote(&s)
                } else {
                    format!("'{s}'")
                });
            }
            Ok(Value::Str(parts.join(" ")))
        }
        "default" => {
            if args.is_empty() || args.len() > 2 {
                return Err(format!(
                    "wrong number of args for default: want 1 or 2, got {}",
                    args.len()
                ));
            }
            let mut args = args.into_iter();
            let fallback = args.next().unwrap_or(Value::Nil);
            Ok(match args.next() {
                Some(given) if given.truthy() => given,
                _ => fallback,
            })
        }
        "empty" => {
            let [v] = exact::<1>(name, args)?;
            Ok(Value::Bool(!v.truthy()))
        }
        _ => Err(unknown_message(name)),
    }
}

fn exact<const N: usize>(name: &str, args: Vec<Value>) -> Result<[Value; N], String> {
    let got = args.len();
    args.try_into()
        .map_err(|_| format!("wrong number of args for {name}: want {N} got {got}"))
}

fn strings<const N: usize>(name: &str, args: Vec<Value>) -> Result<[String; N], String> {
    let values = exact::<N>(name, args)?;
    let mut out: [String; N] = std::array::from_fn(|_| String::new());
    for (slot, v) in out.iter_mut().zip(values) {
        match v {
            Value::Str(s) => *slot = s,
            other => {
                return Err(format!(
                    "wrong type for value in {name}; expected string; got {}",
                    other.type_name()
                ))
            }
        }
    }
    Ok(out)
}

fn index(args: Vec<Value>) -> Result<Value, String> {
    let mut args = args.into_iter();
    let mut item = args
        .next()
        .ok_or_else(|| "wrong number of args for index: want at least 1 got 0".to_owned())?;
    for key in args {
        item = match (&item, &key) {
            (Value::List(l), Value::Int(i)) => usize::try_from(*i)
                .ok()
                .and_then(|i| l.items.get(i).cloned())
                .ok_or_else(|| format!("error calling index: index out of range: {i}"))?,
            (Value::Map(m), Value::Str(_)) if matches!(m.zero, Value::Str(_)) => m
                .entries
                .iter()
                .find(|(k, _)| matches!((k, &key), (Value::Str(a), Value::Str(b)) if a == b))
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| m.zero.clone()),
            (Value::Str(s), Value::Int(i)) => usize::try_from(*i)
                .ok()
                .and_then(|i| s.as_bytes().get(i))
                .map(|b| Value::Int(i64::from(*b)))
                .ok_or_else(|| format!("error calling index: index out of range: {i}"))?,
            _ => {
                return Err(format!(
                    "error calling index: cannot index {} with {}",
                    item.type_name(),
                    key.type_name()
                ))
            }
        };
    }
    Ok(item)
}

/// `fmt.Sprint`: a space between operands when neither is a string.
pub fn sprint(args: &[Value]) -> Result<String, String> {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 && !matches!(a, Value::Str(_)) && !matches!(args[i - 1], Value::Str(_)) {
            out.push(' ');
        }
        out.push_str(&a.go_print()?);
    }
    Ok(out)
}

/// `fmt.Sprintln`: spaces between all operands, and a newline.
fn sprintln(args: &[Value]) -> Result<String, String> {
    let parts: Result<Vec<String>, String> = args.iter().map(Value::go_print).collect();
    Ok(parts?.join(" ") + "\n")
}

/// `fmt.Sprintf` for the verbs `%v %s %d %q %t %%`, with `-` and a width. Anything Go would
/// print as `%!…` (a wrong type, a missing or extra operand) is an error here.
fn printf(args: Vec<Value>) -> Result<Value, String> {
    let mut args = args.into_iter();
    let format = match args.next() {
        Some(Value::Str(s)) => s,
        Some(other) => {
            return Err(format!(
                "printf: format must be a string, got {}",
                other.type_name()
            ))
        }
        None => return Err("wrong number of args for printf: want at least 1 got 0".to_owned()),
    };
    let mut out = String::new();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut left = false;
        let mut zero = false;
        while let Some(&f) = chars.peek() {
            match f {
                '-' => left = true,
                '0' => zero = true,
                _ => break,
            }
            chars.next();
        }
        let mut width = 0usize;
        while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
            width = width.saturating_mul(10).saturating_add(d as usize);
            chars.next();
        }
        let verb = chars.next().ok_or("printf: format ends with %")?;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let arg = args
            .next()
            .ok_or_else(|| format!("printf: missing operand for %{verb}"))?;
        let text = match (verb, &arg) {
            ('v', _) => arg.go_print()?,
            ('s', Value::Str(s)) => s.clone(),
            ('q', Value::Str(s)) => go_quote(s),
            ('d', Value::Int(n)) => n.to_string(),
            ('t', Value::Bool(b)) => b.to_string(),
            ('s' | 'q' | 'd' | 't', _) => {
                return Err(format!("printf: %{verb} of a {}", arg.type_name()))
            }
            _ => {
                return Err(format!(
                    "printf: verb %{verb} is not supported by imagelock"
                ))
            }
        };
        let pad = width.saturating_sub(text.chars().count());
        if left {
            out.push_str(&text);
            out.extend(std::iter::repeat_n(' ', pad));
        } else {
            let fill = if zero && verb == 'd' { '0' } else { ' ' };
            if fill == '0' && text.starts_with('-') {
                out.push('-');
                out.extend(std::iter::repeat_n('0', pad));
                out.push_str(&text[1..]);
            } else {
                out.extend(std::iter::repeat_n(fill, pad));
                out.push_str(&text);
            }
        }
    }
    if let Some(extra) = args.next() {
        return Err(format!("printf: extra operand {}", extra.type_name()));
    }
    Ok(Value::Str(out))
}

/// Go's `strconv.Quote`.
pub fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() || c == '\u{feff}' => {
                if (c as u32) > 0xffff {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                } else {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn compare(name: &str, args: Vec<Value>) -> Result<Value, String> {
    use std::cmp::Ordering;
    let basic = |v: &Value| matches!(v, Value::Bool(_) | Value::Int(_) | Value::Str(_));
    let order = |a: &Value, b: &Value| -> Result<Ordering, String> {
        match (a, b) {
            (Value::Int(x), Value::Int(y)) => Ok(x.cmp(y)),
            (Value::Str(x), Value::Str(y)) => Ok(x.as_bytes().cmp(y.as_bytes())),
            (Value::Bool(x), Value::Bool(y)) if matches!(name, "eq" | "ne") => Ok(x.cmp(y)),
            _ if !basic(a) || !basic(b) => Err(format!(
                "error calling {name}: invalid type for comparison ({} and {})",
                a.type_name(),
                b.type_name()
            )),
            _ => Err(format!(
                "error calling {name}: incompatible types for comparison"
            )),
        }
    };
    if name == "eq" {
        let mut it = args.iter();
        let first = it.next().ok_or("missing argument for comparison")?;
        if args.len() < 2 {
            return Err("missing argument for comparison".to_owned());
        }
        for other in it {
            if order(first, other)? == Ordering::Equal {
                return Ok(Value::Bool(true));
            }
        }
        return Ok(Value::Bool(false));
    }
    let [a, b] = exact::<2>(name, args)?;
    let o = order(&a, &b)?;
    Ok(Value::Bool(match name {
        "ne" => o != Ordering::Equal,
        "lt" => o == Ordering::Less,
        "le" => o != Ordering::Greater,
        "gt" => o == Ordering::Greater,
        _ => o != Ordering::Less,
    }))
}
