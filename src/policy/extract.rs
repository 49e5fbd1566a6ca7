//! `filterTags.extract`: Go's `regexp.Expand` template language, which Flux uses to turn a tag
//! into the key the policy compares.

use regex::Regex;

use super::goregex::go_group_name;

/// A parsed `extract` template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Literal(String),
    /// `$1`, `${1}`: a group number (no leading zeros, as Go).
    Index(usize),
    /// `$name`, `${name}`, and number-like names Go treats as names (`$01`, `$1x`).
    Name(String),
}

impl Template {
    /// Parse as Go does: it never fails; malformed `$` sequences are literal text.
    pub fn parse(template: &str) -> Self {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = template;
        while let Some(pos) = rest.find('$') {
            literal.push_str(&rest[..pos]);
            rest = &rest[pos + 1..];
            if let Some(after) = rest.strip_prefix('$') {
                literal.push('$');
                rest = after;
                continue;
            }
            match reference(rest) {
                Some((part, after)) => {
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(part);
                    rest = after;
                }
                None => literal.push('$'),
            }
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Self { parts }
    }

    /// Expand against one match of `regex`: `group(i)` is group `i`'s text, if it took part;
    /// unknown or non-participating groups give the empty string.
    pub fn expand<'h>(&self, regex: &Regex, group: impl Fn(usize) -> Option<&'h str>) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Index(i) => {
                    if let Some(m) = group(*i) {
                        out.push_str(m);
                    }
                }
                Part::Name(name) => {
                    // Go takes the first group of that name that took part in the match.
                    let found = regex
                        .capture_names()
                        .enumerate()
                        .filter(|(_, n)| n.map(go_group_name) == Some(name.as_str()))
                        .find_map(|(i, _)| group(i));
                    if let Some(m) = found {
                        out.push_str(m);
                    }
                }
            }
        }
        out
    }

    /// Group references that `regex` does not define: they always expand to nothing.
    pub fn missing_groups(&self, regex: &Regex) -> Vec<String> {
        let mut missing = Vec::new();
        for part in &self.parts {
            match part {
                Part::Index(i) if *i >= regex.captures_len() => missing.push(format!("${i}")),
                Part::Name(name)
                    if !regex
                        .capture_names()
                        .any(|n| n.map(go_group_name) == Some(name.as_str())) =>
                {
                    missing.push(format!("${{{name}}}"));
                }
                _ => {}
            }
        }
        missing
    }
}

/// After a `$`: `name` or `{name}`, where a name is a run of letters, digits and `_`.
fn reference(s: &str) -> Option<(Part, &str)> {
    let (braced, body) = match s.strip_prefix('{') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let len: usize = body
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .map(char::len_utf8)
        .sum();
    if len == 0 {
        return None;
    }
    let name = &body[..len];
    let mut rest = &body[len..];
    if braced {
        rest = rest.strip_prefix('}')?;
    }
    let numeric = name.bytes().all(|b| b.is_ascii_digit())
        && !(name.len() > 1 && name.starts_with('0'))
        && name.len() <= 8;
    let part = match name.parse::<usize>() {
        Ok(n) if numeric => Part::Index(n),
        _ => Part::Name(name.to_owned()),
    };
    Some((part, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(pattern: &str, template: &str, input: &str) -> String {
        let re = Regex::new(pattern).unwrap();
        let caps = re.captures(input).unwrap();
        Template::parse(template).expand(&re, |i| caps.get(i).map(|m| m.as_str()))
    }

    #[test]
    fn go_expand_rules() {
        assert_eq!(expand(r"ver(\d+)", "$1", "ver12"), "12");
        assert_eq!(expand(r"ver(\d+)", "${1}", "ver12"), "12");
        assert_eq!(expand(r"ver(\d+)", "${1}x", "ver12"), "12x");
        // longest-name rule: `$1x` names group "1x", which does not exist
        assert_eq!(expand(r"ver(\d+)", "$1x", "ver12"), "");
        assert_eq!(expand(r"ver(?P<n>\d+)", "$n", "ver12"), "12");
        assert_eq!(expand(r"ver(?P<n>\d+)", "${n}-$$", "ver12"), "12-$");
        assert_eq!(expand(r"ver(\d+)", "$2", "ver12"), "");
        assert_eq!(expand(r"a(x)?b", "[$1]", "ab"), "[]");
        // malformed references are literal
        assert_eq!(expand(r"v(\d)", "${1", "v1"), "${1");
        assert_eq!(expand(r"v(\d)", "$-", "v1"), "$-");
        assert_eq!(expand(r"v(\d)", "$", "v1"), "$");
        // leading zero makes it a name, not a number
        assert_eq!(expand(r"v(\d)", "$01", "v1"), "");
    }

    #[test]
    fn missing_groups_are_reported() {
        let re = Regex::new(r"ver(?P<n>\d+)").unwrap();
        assert_eq!(
            Template::parse("$n $1").missing_groups(&re),
            Vec::<String>::new()
        );
        assert_eq!(
            Template::parse("$num ${2}").missing_groups(&re),
            vec!["${num}".to_owned(), "$2".to_owned()]
        );
    }
}
