//! What can go wrong while talking to a registry. Messages never carry a credential: URLs are
//! shown without user information, and helper output is never echoed.

use miette::Diagnostic;
use thiserror::Error;

/// One registry request or credential lookup that failed.
#[derive(Debug, Error, Diagnostic)]
#[non_exhaustive]
pub enum RegistryError {
    /// The registry answered with an error status; `code` and `message` are its own.
    #[error("{url}: HTTP {status}{}", registry_says(code.as_deref(), message.as_deref()))]
    #[diagnostic(code(imagelock::registry::status))]
    Status {
        url: String,
        status: u16,
        code: Option<String>,
        message: Option<String>,
    },
    /// 401 or 403 after every credential and token this run could offer.
    #[error("{url}: access denied (HTTP {status}){}{}", registry_says(code.as_deref(), message.as_deref()), scope_note(insufficient_scope))]
    #[diagnostic(
        code(imagelock::registry::denied),
        help("{}", denied_help(*has_credentials))
    )]
    Denied {
        url: String,
        status: u16,
        code: Option<String>,
        message: Option<String>,
        insufficient_scope: bool,
        has_credentials: bool,
    },
    #[error("{url}: no answer within {seconds:.1} s")]
    #[diagnostic(
        code(imagelock::registry::timeout),
        help("the ImageRepository's spec.timeout bounds the whole refresh of its image")
    )]
    Timeout { url: String, seconds: f64 },
    #[error("{url}: cannot connect: {message}")]
    #[diagnostic(code(imagelock::registry::connect))]
    Connect {
        url: String,
        message: String,
        /// For a certificate that is not trusted: how to trust its CA.
        #[help]
        help: Option<String>,
    },
    #[error("{url}: {message}")]
    #[diagnostic(code(imagelock::registry::io))]
    Io { url: String, message: String },
    #[error("{url}: the response is larger than {limit} bytes")]
    #[diagnostic(code(imagelock::registry::too_large))]
    TooLarge { url: String, limit: usize },
    #[error("{url}: malformed JSON: {message}")]
    #[diagnostic(code(imagelock::registry::malformed))]
    Malformed { url: String, message: String },
    #[error("{url}: too many redirects (a loop?)")]
    #[diagnostic(code(imagelock::registry::redirect_loop))]
    RedirectLoop { url: String },
    #[error("{from}: refusing a redirect from https to plain http ({to})")]
    #[diagnostic(code(imagelock::registry::downgrade))]
    Downgrade { from: String, to: String },
    #[error("{url}: refusing the next page at another origin ({link})")]
    #[diagnostic(
        code(imagelock::registry::cross_origin_link),
        help("tag pages are followed only on the registry's own scheme, host and port")
    )]
    CrossOriginLink { url: String, link: String },
    #[error("{url}: more than {pages} pages of tags, or a page link that loops")]
    #[diagnostic(code(imagelock::registry::page_cap))]
    PageCap { url: String, pages: usize },
    #[error("{url}: {message}")]
    #[diagnostic(code(imagelock::registry::bad_challenge))]
    BadChallenge { url: String, message: String },
    #[error("{url}: refusing the token realm `{realm}`: {reason}")]
    #[diagnostic(
        code(imagelock::registry::unsafe_realm),
        help(
            "credentials only go to the registry itself or to a token service it names over https"
        )
    )]
    UnsafeRealm {
        url: String,
        realm: String,
        reason: String,
    },
    #[error("{url}: the token service answered without a token")]
    #[diagnostic(code(imagelock::registry::no_token))]
    NoToken { url: String },
    #[error("credential helper `{helper}` failed for `{server}`: {message}")]
    #[diagnostic(
        code(imagelock::registry::credential_helper),
        help("run `echo {server} | {helper} get` to see what it says")
    )]
    Helper {
        helper: String,
        server: String,
        message: String,
    },
    #[error("{path}: cannot read credentials: {message}")]
    #[diagnostic(code(imagelock::registry::auth_config))]
    Config { path: String, message: String },
    #[error("cannot set up the HTTP client: {message}")]
    #[diagnostic(code(imagelock::registry::client))]
    Client { message: String },
}

fn registry_says(code: Option<&str>, message: Option<&str>) -> String {
    match (code, message) {
        (Some(c), Some(m)) => format!(": {c}: {m}"),
        (Some(c), None) => format!(": {c}"),
        (None, Some(m)) => format!(": {m}"),
        (None, None) => String::new(),
    }
}

fn scope_note(insufficient: &bool) -> &'static str {
    if *insufficient {
        " (insufficient_scope: the token does not grant pull on this repository)"
    } else {
        ""
    }
}

fn denied_help(has_credentials: bool) -> &'static str {
    if has_credentials {
        "the credentials found were refused, or do not grant pull on this repository; `imagelock -v refresh` says where they came from"
    } else {
        "no credentials were found for this registry: `docker login` (or `skopeo login`) it, or add it to $DOCKER_CONFIG/config.json or $REGISTRY_AUTH_FILE"
    }
}

/// The registry's own error code and message, from `{"errors":[{"code","message"}]}`.
pub(crate) fn error_body(body: &[u8]) -> (Option<String>, Option<String>) {
    #[derive(serde::Deserialize)]
    struct Body {
        #[serde(default)]
        errors: Vec<Item>,
    }
    #[derive(serde::Deserialize)]
    struct Item {
        #[serde(default)]
        code: Option<String>,
        #[serde(default)]
        message: Option<String>,
    }
    match serde_json::from_slice::<Body>(body) {
        Ok(b) => match b.errors.into_iter().next() {
            Some(i) => (i.code.map(clip), i.message.map(clip)),
            None => (None, None),
        },
        Err(_) => {
            // A plain-text body (Docker Hub's pull-limit 429 is one): its first line.
            let text = String::from_utf8_lossy(body);
            let line = text.lines().map(str::trim).find(|l| !l.is_empty());
            (
                None,
                line.filter(|l| !l.starts_with('<'))
                    .map(|l| clip(l.to_owned())),
            )
        }
    }
}

fn clip(mut s: String) -> String {
    const MAX: usize = 300;
    if s.len() > MAX {
        let mut end = MAX;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
    s
}
