//! The marker grammar (flux-semantics.md §1.1): a JSON object of strings whose `$imagepolicy`
//! value names a policy as `NS:NAME`, optionally with a `:tag`, `:name` or `:digest` suffix.

use crate::text::TextRange;

/// The key Flux reads a marker by.
pub const KEY: &str = "$imagepolicy";

/// Where [`KEY`] starts in `hay`, in any letter case: Flux reads only the exact key, and a marker
/// spelled `$ImagePolicy` is worth a diagnostic rather than Flux's silence. Serves both the
/// screen that picks the files to parse and the scan for marker comments.
pub fn find_key(hay: &[u8]) -> Option<usize> {
    memchr::memchr_iter(b'$', hay).find(|&at| {
        hay.get(at..at + KEY.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(KEY.as_bytes()))
    })
}

/// Whether a comment that mentions the key is plausibly an attempt at a marker, and so worth a
/// diagnostic when Flux would not read it: it starts like a JSON object, or quotes the key, or
/// has the key between braces. Anything else is prose (`# no $imagepolicy here on purpose`),
/// which Flux ignores and imagelock leaves alone.
pub fn looks_like_marker(text: &str) -> bool {
    let text = text.trim_start();
    if text.starts_with('{') {
        return true;
    }
    let Some(at) = find_key(text.as_bytes()) else {
        return false;
    };
    let quoted = |q: u8| {
        at > 0 && text.as_bytes()[at - 1] == q && text.as_bytes().get(at + KEY.len()) == Some(&q)
    };
    quoted(b'"') || quoted(b'\'') || (text[..at].contains('{') && text[at..].contains('}'))
}

/// Whether `bytes` hold a comment that [`looks_like_marker`]: the screen for files with markers,
/// so that a file mentioning the key only in prose is not parsed (nor reported when it does not
/// parse, as a Helm template would not).
pub fn mentions_marker(bytes: &[u8]) -> bool {
    let mut from = 0;
    while let Some(found) = find_key(&bytes[from..]) {
        let at = from + found;
        let line_start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |i| i + 1);
        let line_end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i);
        if let Some(hash) = memchr::memrchr(b'#', &bytes[line_start..at]) {
            let comment = String::from_utf8_lossy(&bytes[line_start + hash..line_end]);
            if looks_like_marker(comment.trim_start_matches('#')) {
                return true;
            }
        }
        from = at + 1;
    }
    false
}

/// Which part of the image a marker writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Suffix {
    /// `NS:NAME`: `name:tag`, or `name:tag@digest` with digest reflection.
    Full,
    Tag,
    Name,
    Digest,
}

impl Suffix {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "",
            Self::Tag => ":tag",
            Self::Name => ":name",
            Self::Digest => ":digest",
        }
    }
}

/// A well-formed marker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marker {
    pub namespace: String,
    pub name: String,
    pub suffix: Suffix,
    /// The setter name as written, e.g. `flux-system:app:tag`.
    pub setter: String,
    /// Where the setter string sits, relative to the start of the comment's text.
    pub setter_range: TextRange,
}

/// Why a comment mentioning `$imagepolicy` is not a usable marker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MarkerError {
    /// Not a JSON object of strings (IL001).
    Malformed { reason: String },
    /// A third part other than `tag`, `name`, `digest` (IL002).
    UnknownSuffix {
        suffix: String,
        setter_range: TextRange,
    },
    /// Not `NS:NAME[:suffix]` (IL003).
    InvalidReference {
        reason: String,
        setter_range: TextRange,
    },
}

/// Parse a comment's text (after its leading `#` characters are removed, as Flux does).
pub fn parse(text: &str) -> Result<Marker, MarkerError> {
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(text).map_err(|e| MarkerError::Malformed {
            reason: json_reason(text, &e),
        })?;
    for (key, value) in &map {
        if !value.is_string() {
            return Err(MarkerError::Malformed {
                reason: format!(
                    "the value of `{key}` is {}; Flux reads markers only when every value is a string",
                    kind_of(value)
                ),
            });
        }
    }
    let Some(setter) = map.get("$imagepolicy").and_then(|v| v.as_str()) else {
        let near = map
            .keys()
            .find(|k| k.trim().eq_ignore_ascii_case("$imagepolicy"));
        return Err(MarkerError::Malformed {
            reason: match near {
                Some(k) => format!("the key is `{k}`; Flux matches exactly `$imagepolicy`"),
                None => "the object has no `$imagepolicy` key".to_owned(),
            },
        });
    };
    let setter_range = locate_setter(text, setter);
    let parts: Vec<&str> = setter.split(':').collect();
    let invalid = |reason: String| MarkerError::InvalidReference {
        reason,
        setter_range,
    };
    if setter.trim() != setter || setter.chars().any(char::is_whitespace) {
        return Err(invalid(format!(
            "`{setter}` contains white space; Flux compares the name exactly"
        )));
    }
    let suffix = match parts.as_slice() {
        [_, _] => Suffix::Full,
        [_, _, s] => match *s {
            "tag" => Suffix::Tag,
            "name" => Suffix::Name,
            "digest" => Suffix::Digest,
            other => {
                return Err(MarkerError::UnknownSuffix {
                    suffix: other.to_owned(),
                    setter_range,
                })
            }
        },
        [_] => {
            return Err(invalid(format!(
                "`{setter}` has no namespace; write `NAMESPACE:{setter}`"
            )))
        }
        _ => {
            return Err(invalid(format!(
                "`{setter}` has {} parts; expected `NAMESPACE:NAME` with an optional `:tag`, `:name` or `:digest`",
                parts.len()
            )))
        }
    };
    if parts[0].is_empty() || parts[1].is_empty() {
        return Err(invalid(format!(
            "`{setter}` has an empty namespace or name"
        )));
    }
    Ok(Marker {
        namespace: parts[0].to_owned(),
        name: parts[1].to_owned(),
        suffix,
        setter: setter.to_owned(),
        setter_range,
    })
}

fn kind_of(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

fn json_reason(text: &str, err: &serde_json::Error) -> String {
    let trimmed = text.trim_start();
    if trimmed.starts_with("{'") || trimmed.contains("'$imagepolicy'") {
        return "single-quoted JSON; Flux reads only double-quoted JSON".to_owned();
    }
    if !trimmed.starts_with('{') {
        return "the comment is not a JSON object".to_owned();
    }
    if err.classify() == serde_json::error::Category::Syntax
        && err.to_string().starts_with("trailing characters")
    {
        return "text after the JSON object; Flux ignores the whole comment".to_owned();
    }
    let msg = err.to_string();
    let msg = msg.split(" at line ").next().unwrap_or(&msg);
    format!("invalid JSON: {msg}")
}

/// The byte range of the setter's string literal in `text`, or the whole text.
fn locate_setter(text: &str, setter: &str) -> TextRange {
    let whole = TextRange::new(0, text.len());
    let Some(key) = text.find("\"$imagepolicy\"") else {
        return whole;
    };
    let after = key + "\"$imagepolicy\"".len();
    let Some(colon) = text[after..].find(':') else {
        return whole;
    };
    let value_start = after + colon + 1;
    let Some(quote) = text[value_start..].find('"') else {
        return whole;
    };
    let start = value_start + quote;
    // The literal may hold escapes; its source is at least as long as the decoded setter.
    match text[start + 1..].find('"') {
        Some(end) if setter.len() <= end || !setter.contains('\\') => {
            TextRange::new(start, start + 1 + end + 1)
        }
        _ => whole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_key_in_any_letter_case() {
        assert!(find_key(br#"a: b # {"$imagepolicy": "ns:p"}"#).is_some());
        assert_eq!(find_key(br#"a: b # {"$ImagePolicy": "ns:p"}"#), Some(9));
        assert!(find_key(b"$IMAGEPOLICY").is_some());
        assert!(find_key(b"a: $imagepolic").is_none());
        assert!(find_key(b"$ $ imagepolicy").is_none());
    }

    fn ok(text: &str) -> (String, String, Suffix) {
        let m = parse(text).unwrap();
        (m.namespace, m.name, m.suffix)
    }

    #[test]
    fn accepts_flux_grammar() {
        let full = ("flux-system".to_owned(), "app".to_owned(), Suffix::Full);
        assert_eq!(ok(r#" {"$imagepolicy": "flux-system:app"}"#), full);
        assert_eq!(ok(r#"{"$imagepolicy":"flux-system:app"}   "#), full);
        assert_eq!(
            ok(r#" { "x": "y", "$imagepolicy" : "flux-system:app" } "#),
            full
        );
        // the last duplicate wins, as in Go
        assert_eq!(
            ok(r#"{"$imagepolicy": "a:b", "$imagepolicy": "flux-system:app"}"#),
            full
        );
        assert_eq!(ok(r#"{"$imagepolicy": "ns:p:tag"}"#).2, Suffix::Tag);
        assert_eq!(ok(r#"{"$imagepolicy": "ns:p:name"}"#).2, Suffix::Name);
        assert_eq!(ok(r#"{"$imagepolicy": "ns:p:digest"}"#).2, Suffix::Digest);
    }

    #[test]
    fn rejects_what_flux_ignores() {
        let malformed = |t: &str| matches!(parse(t), Err(MarkerError::Malformed { .. }));
        assert!(malformed(r#"{"$imagepolicy": "ns:p"} trailing"#));
        assert!(malformed(r#"{'$imagepolicy': 'ns:p'}"#));
        assert!(malformed(r#"{"$imagepolicy": "ns:p", "n": 1}"#));
        assert!(malformed(r#"{"$ImagePolicy": "ns:p"}"#));
        assert!(malformed(r#"$imagepolicy: ns:p"#));
        assert!(matches!(
            parse(r#"{"$imagepolicy": "ns:p:TAG"}"#),
            Err(MarkerError::UnknownSuffix { .. })
        ));
        for bad in ["p", " ns:p", "ns:p:tag:digest", ":p", "ns:"] {
            let text = format!(r#"{{"$imagepolicy": "{bad}"}}"#);
            assert!(
                matches!(parse(&text), Err(MarkerError::InvalidReference { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn locates_the_setter() {
        let text = r#" {"$imagepolicy": "ns:p:TAG"}"#;
        let Err(MarkerError::UnknownSuffix { setter_range, .. }) = parse(text) else {
            panic!()
        };
        assert_eq!(&text[setter_range.as_range()], "\"ns:p:TAG\"");
    }
}

#[cfg(test)]
mod lookalike_tests {
    use super::looks_like_marker;

    #[test]
    fn attempts_at_markers_are_told_from_prose() {
        for attempt in [
            r#" {"$imagepolicy": "flux-system:app"}"#,
            r#"{"$imagepolicy": flux-system:app}"#,
            r#"{'$imagepolicy': 'flux-system:app'}"#,
            r#" {$imagepolicy: flux-system:app}"#,
            r#" image policy: "$imagepolicy": "flux-system:app""#,
            r#" '$ImagePolicy'"#,
            r#" marker {"$IMAGEPOLICY" "x"}"#,
            " {",
        ] {
            assert!(looks_like_marker(attempt), "{attempt}");
        }
        for prose in [
            " The image line below carries the $imagepolicy setter comment.",
            " pinned by hand, no $imagepolicy marker on purpose",
            " $imagepolicy: flux-system:app",
            " see {docs} for $imagepolicy",
            " $imagepolicy} {",
        ] {
            assert!(!looks_like_marker(prose), "{prose}");
        }
    }
}

#[cfg(test)]
mod screen_tests {
    use super::mentions_marker;

    #[test]
    fn the_screen_passes_attempts_and_drops_prose() {
        let marked = b"a: 1\nimage: x:1 # {\"$imagepolicy\": \"ns:app\"}\n";
        assert!(mentions_marker(marked));
        assert!(mentions_marker(
            b"# prose $imagepolicy\n- x # {\"$imagepolicy\": \"a:b\"}"
        ));
        assert!(mentions_marker(b"## {'$ImagePolicy': 'a:b'}"));
        assert!(!mentions_marker(
            b"# the $imagepolicy marker goes below\nimage: x:1\n"
        ));
        assert!(
            !mentions_marker(b"description: \"{$imagepolicy}\"\n"),
            "not in a comment"
        );
        assert!(!mentions_marker(b"no key at all"));
    }
}
