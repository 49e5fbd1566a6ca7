//! `WWW-Authenticate` (RFC 7235): quoted values hold commas, schemes and parameter names are
//! case-insensitive, and one header may carry several challenges.

use std::collections::BTreeMap;

/// What a registry asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Challenge {
    /// Send `Authorization: Basic` straight to the registry (htpasswd, ECR).
    Basic,
    /// Get a token from `realm`, then send `Authorization: Bearer`.
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
        /// `insufficient_scope` and friends, when the registry refused a token.
        error: Option<String>,
    },
}

/// One raw challenge: its scheme (lower case) and parameters (names lower case).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Raw {
    pub scheme: String,
    pub params: BTreeMap<String, String>,
}

/// The challenge to answer among all `WWW-Authenticate` values: Bearer before Basic.
pub fn select<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<Challenge> {
    let all: Vec<Raw> = values.into_iter().flat_map(parse).collect();
    let bearer = all.iter().find_map(|c| {
        (c.scheme == "bearer").then(|| {
            c.params.get("realm").map(|realm| Challenge::Bearer {
                realm: realm.clone(),
                service: c.params.get("service").cloned(),
                scope: c.params.get("scope").cloned(),
                error: c.params.get("error").cloned(),
            })
        })?
    });
    bearer.or_else(|| {
        all.iter()
            .any(|c| c.scheme == "basic")
            .then_some(Challenge::Basic)
    })
}

/// Parse one header value into its challenges.
pub fn parse(value: &str) -> Vec<Raw> {
    let mut p = Parser {
        s: value.as_bytes(),
        i: 0,
    };
    let mut out = Vec::new();
    loop {
        p.skip(|c| c == b' ' || c == b'\t' || c == b',');
        let scheme = p.token();
        if scheme.is_empty() {
            if p.i < p.s.len() {
                p.i += 1; // a stray character: skip it rather than loop
                continue;
            }
            break;
        }
        let mut raw = Raw {
            scheme: scheme.to_ascii_lowercase(),
            params: BTreeMap::new(),
        };
        loop {
            let save = p.i;
            p.skip(|c| c == b' ' || c == b'\t' || c == b',');
            let name = p.token();
            p.skip(|c| c == b' ' || c == b'\t');
            if name.is_empty() || p.peek() != Some(b'=') {
                // Not a parameter: the next challenge's scheme (or a token68 we ignore).
                p.i = save;
                if name.is_empty() {
                    p.skip(|c| c == b' ' || c == b'\t' || c == b',');
                } else if raw.params.is_empty() && p.peek() != Some(b',') && p.peek().is_some() {
                    // token68 after the scheme: skip it.
                    p.skip(|c| c == b' ' || c == b'\t');
                    p.skip(|c| c != b',');
                }
                break;
            }
            p.i += 1; // '='
            p.skip(|c| c == b' ' || c == b'\t');
            let value = if p.peek() == Some(b'"') {
                p.quoted()
            } else {
                p.token()
            };
            raw.params.insert(name.to_ascii_lowercase(), value);
        }
        out.push(raw);
        if p.i >= p.s.len() {
            break;
        }
    }
    out
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip(&mut self, mut f: impl FnMut(u8) -> bool) {
        while self.peek().is_some_and(&mut f) {
            self.i += 1;
        }
    }

    fn token(&mut self) -> String {
        let start = self.i;
        self.skip(|c| !matches!(c, b' ' | b'\t' | b',' | b'=' | b'"'));
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    fn quoted(&mut self) -> String {
        self.i += 1; // opening quote
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    if let Some(n) = self.peek() {
                        out.push(n);
                        self.i += 1;
                    }
                }
                _ => out.push(c),
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_with_commas_in_quotes() {
        let c = select([
            r#"Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull,push""#,
        ]);
        assert_eq!(
            c,
            Some(Challenge::Bearer {
                realm: "https://auth.example/token".into(),
                service: Some("reg".into()),
                scope: Some("repository:a/b:pull,push".into()),
                error: None,
            })
        );
    }

    #[test]
    fn case_insensitive_scheme_and_names_and_spaces() {
        let c = select([
            r#"BEARER Realm = "http://127.0.0.1:1/t" , Service=svc, ERROR="insufficient_scope""#,
        ]);
        assert_eq!(
            c,
            Some(Challenge::Bearer {
                realm: "http://127.0.0.1:1/t".into(),
                service: Some("svc".into()),
                scope: None,
                error: Some("insufficient_scope".into()),
            })
        );
        assert_eq!(
            select([r#"basic realm="test-realm""#]),
            Some(Challenge::Basic)
        );
        assert_eq!(select(["Basic"]), Some(Challenge::Basic));
    }

    #[test]
    fn several_challenges_in_one_header() {
        let raw = parse(r#"Basic realm="a, b", Bearer realm="https://x/t",service="s""#);
        assert_eq!(raw.len(), 2);
        assert_eq!(raw[0].scheme, "basic");
        assert_eq!(raw[0].params["realm"], "a, b");
        assert_eq!(raw[1].params["service"], "s");
        // Bearer wins when both are offered.
        assert!(matches!(
            select([r#"Basic realm="a, b", Bearer realm="https://x/t",service="s""#]),
            Some(Challenge::Bearer { .. })
        ));
    }

    #[test]
    fn escapes_and_garbage_never_panic() {
        let raw = parse(r#"Bearer realm="a\"b\\c""#);
        assert_eq!(raw[0].params["realm"], r#"a"b\c"#);
        for s in [
            "",
            ",",
            "=",
            "\"",
            "Bearer =",
            "Bearer realm=\"unterminated",
            "Negotiate abc==",
            "a b c",
            "Bearer realm",
        ] {
            let _ = parse(s);
        }
        assert_eq!(
            select(["Bearer service=x"]),
            None,
            "a Bearer challenge without realm"
        );
        assert_eq!(parse("Negotiate abc==, Basic realm=x")[1].scheme, "basic");
    }
}
