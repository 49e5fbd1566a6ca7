//! Flux's post-build substitution (fluxcd/pkg envsubst, a drone/envsubst fork): `${VAR}`,
//! defaults, the `$$` escape, bash-like functions, strict mode.

use std::collections::BTreeMap;

/// Why a text cannot be substituted: Flux fails the Kustomization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SubstError {
    /// A variable with no value in strict mode.
    Unset(String),
    /// `${X-d}`, `${}`, an unclosed `${`.
    Syntax(String),
}

/// Variables, and whether an unset one fails (strict) or becomes empty.
pub(crate) struct Vars<'a> {
    pub values: &'a BTreeMap<String, String>,
    pub strict: bool,
}

/// Whether a text holds anything substitution changes.
pub(crate) fn touches(text: &str) -> bool {
    text.contains('$')
}

/// Substitute `text`.
pub(crate) fn substitute(text: &str, vars: &Vars<'_>) -> Result<String, SubstError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            // `$$` is `$` everywhere.
            out.push('$');
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{') {
            let end =
                closing(body).ok_or_else(|| SubstError::Syntax("missing closing brace".into()))?;
            out.push_str(&expand(&body[..end], vars)?);
            rest = &body[end + 1..];
        } else {
            // `$X` without braces stays as written.
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The `}` closing a `${`, nested braces counted.
fn closing(body: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in body.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return Some(i),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}

fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// One `${…}` body.
fn expand(body: &str, vars: &Vars<'_>) -> Result<String, SubstError> {
    if let Some(name) = body.strip_prefix('#') {
        return Ok(value(name, vars)?.chars().count().to_string());
    }
    let split = body
        .find(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
        .unwrap_or(body.len());
    let (name, op) = body.split_at(split);
    if name.is_empty() {
        return Err(SubstError::Syntax("unable to parse variable name".into()));
    }
    let set = vars.values.get(name).filter(|v| !v.is_empty());
    for prefix in [":=", ":-", "=", ":+", ":?"] {
        if let Some(default) = op.strip_prefix(prefix) {
            return match set {
                Some(v) => Ok(v.clone()),
                None => substitute(default, vars),
            };
        }
    }
    if op.is_empty() {
        return value(name, vars);
    }
    if matches!(op.as_bytes()[0], b'-' | b'+' | b'?' | b'[') {
        return Err(SubstError::Syntax("missing closing brace".into()));
    }
    let v = value(name, vars)?;
    Ok(match op {
        "^" => upper_first(&v, false),
        "^^" => v.to_uppercase(),
        "," => upper_first(&v, true),
        ",," => v.to_lowercase(),
        _ if op.starts_with(':') => substring(&v, &op[1..])?,
        _ if op.starts_with("##") => trim_prefix(&v, &op[2..], true),
        _ if op.starts_with('#') => trim_prefix(&v, &op[1..], false),
        _ if op.starts_with("%%") => trim_suffix(&v, &op[2..], true),
        _ if op.starts_with('%') => trim_suffix(&v, &op[1..], false),
        _ if op.starts_with('/') => replace(&v, &op[1..]),
        _ => {
            return Err(SubstError::Syntax(format!(
                "unknown operator in `${{{body}}}`"
            )))
        }
    })
}

fn value(name: &str, vars: &Vars<'_>) -> Result<String, SubstError> {
    if !is_name(name) && !name.chars().all(|c| c.is_ascii_digit()) {
        return Err(SubstError::Syntax("unable to parse variable name".into()));
    }
    match vars.values.get(name) {
        Some(v) => Ok(v.clone()),
        None if vars.strict => Err(SubstError::Unset(name.to_owned())),
        None => Ok(String::new()),
    }
}

fn upper_first(v: &str, lower: bool) -> String {
    let mut chars = v.chars();
    match chars.next() {
        Some(c) if lower => c.to_lowercase().chain(chars).collect(),
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn substring(v: &str, spec: &str) -> Result<String, SubstError> {
    let bad = || SubstError::Syntax(format!("bad substring `{spec}`"));
    let chars: Vec<char> = v.chars().collect();
    let (start, len) = match spec.split_once(':') {
        Some((s, l)) => (s.trim(), Some(l.trim())),
        None => (spec.trim(), None),
    };
    let start: usize = start.parse().map_err(|_| bad())?;
    let start = start.min(chars.len());
    let end = match len {
        Some(l) => start + l.parse::<usize>().map_err(|_| bad())?,
        None => chars.len(),
    }
    .min(chars.len());
    Ok(chars[start..end].iter().collect())
}

/// A shell pattern with `*` and `?`, matched against the whole text.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    fn go(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('*', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
            Some(('?', rest)) => !t.is_empty() && go(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    go(&p, &t)
}

fn boundaries(v: &str) -> Vec<usize> {
    v.char_indices().map(|(i, _)| i).chain([v.len()]).collect()
}

fn trim_prefix(v: &str, pattern: &str, longest: bool) -> String {
    let mut cuts = boundaries(v);
    if longest {
        cuts.reverse();
    }
    cuts.into_iter()
        .find(|&i| glob(pattern, &v[..i]))
        .map_or_else(|| v.to_owned(), |i| v[i..].to_owned())
}

fn trim_suffix(v: &str, pattern: &str, longest: bool) -> String {
    let mut cuts = boundaries(v);
    if !longest {
        cuts.reverse();
    }
    cuts.into_iter()
        .find(|&i| glob(pattern, &v[i..]))
        .map_or_else(|| v.to_owned(), |i| v[..i].to_owned())
}

fn replace(v: &str, spec: &str) -> String {
    let (all, spec) = match spec.strip_prefix('/') {
        Some(s) => (true, s),
        None => (false, spec),
    };
    let (from, to) = spec.split_once('/').unwrap_or((spec, ""));
    if from.is_empty() {
        return v.to_owned();
    }
    if all {
        v.replace(from, to)
    } else {
        v.replacen(from, to, 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, vars: &[(&str, &str)], strict: bool) -> Result<String, SubstError> {
        let values = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        substitute(
            text,
            &Vars {
                values: &values,
                strict,
            },
        )
    }

    #[test]
    fn flux_substitution_table() {
        let vars = [("app", "orders"), ("minor", ""), ("X", "Hello")];
        for (text, want) in [
            ("${app}-svc", "orders-svc"),
            ("1.${minor:=4}.x", "1.4.x"),
            ("${minor:-d}", "d"),
            ("${minor=d}", "d"),
            ("${app:+d}", "orders"),
            ("${minor:?d}", "d"),
            ("$app", "$app"),
            ("$${app}", "${app}"),
            ("a$$b", "a$b"),
            ("${#app}", "6"),
            ("${X^^}", "HELLO"),
            ("${X,,}", "hello"),
            ("${X,}", "hello"),
            ("${app^}", "Orders"),
            ("${X:1}", "ello"),
            ("${X:1:2}", "el"),
            ("${app#o}", "rders"),
            ("${app##*r}", "s"),
            ("${app%s}", "order"),
            ("${app%%r*}", "o"),
            ("${app/r/R}", "oRders"),
            ("${app//r/R}", "oRdeRs"),
            ("${unset:=${app}}", "orders"),
        ] {
            assert_eq!(run(text, &vars, true).as_deref(), Ok(want), "{text}");
        }
        assert_eq!(run("${v}", &vars, true), Err(SubstError::Unset("v".into())));
        assert_eq!(run("${v}x", &vars, false).as_deref(), Ok("x"));
        assert_eq!(run("${1}", &vars, false).as_deref(), Ok(""));
        for bad in ["${X-d}", "${X+d}", "${X?d}", "${}", "${X[@]}", "${X"] {
            assert!(
                matches!(run(bad, &vars, false), Err(SubstError::Syntax(_))),
                "{bad}"
            );
        }
    }
}
