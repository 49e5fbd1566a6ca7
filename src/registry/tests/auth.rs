//! Challenges, tokens and credentials.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::*;
use crate::registry::config::Credential;
use crate::registry::transport::{Method, Request, Response, TransportError};
use crate::registry::RegistryError;

// ---------------------------------------------------------------- authentication

fn token_registry(
    realm: &'static str,
    require: Option<&'static str>,
) -> impl Fn(&Request) -> Result<Response, TransportError> + Send + Sync {
    move |r: &Request| {
        if r.url.as_str().starts_with(realm) {
            if let Some(want) = require {
                if r.header("authorization") != Some(want) {
                    return resp(
                        401,
                        &[],
                        r#"{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}"#,
                    );
                }
            }
            let scope = r
                .url
                .query_pairs()
                .find(|(k, _)| k == "scope")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            return resp(
                200,
                &[],
                &serde_json::json!({ "token": format!("tok-{scope}"), "expires_in": 300 })
                    .to_string(),
            );
        }
        let scope = format!(
            "repository:{}:pull",
            r.url
                .path()
                .trim_start_matches("/v2/")
                .rsplit_once("/tags")
                .map_or("", |(n, _)| n)
        );
        if r.header("authorization") == Some(&format!("Bearer tok-{scope}")) {
            return resp(200, &[], &tags_body(&["1.0.0"]));
        }
        let challenge =
            format!(r#"Bearer realm="{realm}",service="registry.example",scope="{scope}""#);
        resp(
            401,
            &[("Www-Authenticate", &challenge)],
            r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
        )
    }
}

#[test]
fn bearer_flow_with_basic_at_the_realm_only() {
    let w = World::new(token_registry("https://auth.example/token", Some(ALICE)));
    let a = target("registry.example/demo/app", alice());
    assert_eq!(w.list(&a).unwrap(), ["1.0.0"]);
    let log = w.log();
    assert_eq!(log.len(), 3, "{log:#?}");
    assert_eq!(log[0].auth, None);
    assert!(log[1].url.starts_with("https://auth.example/token?service=registry.example&scope=repository%3Ademo%2Fapp%3Apull&account=alice"), "{}", log[1].url);
    assert_eq!(log[1].auth.as_deref(), Some(ALICE));
    assert_eq!(
        log[2].auth.as_deref(),
        Some("Bearer tok-repository:demo/app:pull")
    );
    // The registry never sees the password, the realm never sees the token.
    assert!(log
        .iter()
        .filter(|s| s.url.starts_with("https://registry.example"))
        .all(|s| s.auth.as_deref() != Some(ALICE)));

    // A second repository on the same registry authenticates up front: no 401 round trip.
    let b = target("registry.example/demo/other", alice());
    w.list(&b).unwrap();
    assert_eq!(w.log().len(), 5);
    // And the first one's token is reused.
    w.list(&a).unwrap();
    assert_eq!(w.log().len(), 6);
}

#[test]
fn anonymous_token_and_wrong_credentials() {
    let w = World::new(token_registry("https://auth.example/token", None));
    w.list(&target("registry.example/demo/app", None)).unwrap();
    assert_eq!(w.log()[1].auth, None, "anonymous token request");

    let w = World::new(token_registry(
        "https://auth.example/token",
        Some("Basic other"),
    ));
    let err = w
        .list(&target("registry.example/demo/app", alice()))
        .unwrap_err();
    match &err {
        RegistryError::Denied {
            url,
            code,
            has_credentials,
            ..
        } => {
            assert!(url.starts_with("https://auth.example/token"));
            assert_eq!(code.as_deref(), Some("UNAUTHORIZED"));
            assert!(has_credentials);
        }
        other => panic!("{other:?}"),
    }
    assert!(!format!("{err:?}{err}").contains("s3cret"));
}

#[test]
fn token_expiry_renews_early_and_a_rejected_token_is_renewed_once() {
    let w = World::new(token_registry("https://auth.example/token", None));
    let t = target("registry.example/demo/app", None);
    w.list(&t).unwrap();
    let tokens = |w: &World| {
        w.log()
            .iter()
            .filter(|s| s.url.starts_with("https://auth.example"))
            .count()
    };
    assert_eq!(tokens(&w), 1);
    w.advance(Duration::from_secs(200));
    w.list(&t).unwrap();
    assert_eq!(tokens(&w), 1, "still valid");
    w.advance(Duration::from_secs(75)); // 275 s: within 30 s of the 300 s expiry
    w.list(&t).unwrap();
    assert_eq!(tokens(&w), 2, "renewed early");

    // A cached token the registry no longer accepts: dropped, fetched anew, retried once.
    let revoked = Arc::new(Mutex::new(false));
    let flag = revoked.clone();
    let inner = token_registry("https://auth.example/token", None);
    let w = World::new(move |r| {
        if r.url.host_str() == Some("registry.example")
            && *flag.lock().unwrap()
            && r.header("authorization").is_some()
        {
            *flag.lock().unwrap() = false;
            return resp(
                401,
                &[(
                    "WWW-Authenticate",
                    r#"Bearer realm="https://auth.example/token",service="registry.example""#,
                )],
                "",
            );
        }
        inner(r)
    });
    w.list(&t).unwrap();
    *revoked.lock().unwrap() = true;
    w.list(&t).unwrap();
    assert_eq!(tokens(&w), 2);
}

#[test]
fn insufficient_scope_is_denied_after_one_fresh_token() {
    let w = World::new(|r| {
        if r.url.host_str() == Some("auth.example") {
            return resp(200, &[], r#"{"access_token":"empty-grant"}"#);
        }
        resp(
            401,
            &[(
                "Www-Authenticate",
                r#"Bearer realm="https://auth.example/token",service="s",scope="repository:priv/app:pull",error="insufficient_scope""#,
            )],
            r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":[]}]}"#,
        )
    });
    let err = w
        .list(&target("registry.example/priv/app", None))
        .unwrap_err();
    match &err {
        RegistryError::Denied {
            insufficient_scope,
            has_credentials,
            code,
            ..
        } => {
            assert!(insufficient_scope);
            assert!(!has_credentials);
            assert_eq!(code.as_deref(), Some("UNAUTHORIZED"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(w.log().len(), 3, "401, token, 401: no loop");
}

#[test]
fn basic_challenge() {
    let handler = |r: &Request| {
        if r.header("authorization") == Some(ALICE) {
            resp(200, &[], &tags_body(&["1"]))
        } else {
            resp(
                401,
                &[("WWW-Authenticate", r#"Basic realm="test-realm""#)],
                r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
            )
        }
    };
    let w = World::new(handler);
    assert_eq!(
        w.list(&target("127.0.0.1:5000/priv/app", alice())).unwrap(),
        ["1"]
    );
    // Known to be Basic now: the next repository sends credentials up front.
    w.list(&target("127.0.0.1:5000/priv/other", alice()))
        .unwrap();
    assert_eq!(w.log().len(), 3);

    let w = World::new(handler);
    let err = w
        .list(&target("127.0.0.1:5000/priv/app", None))
        .unwrap_err();
    assert!(
        matches!(
            err,
            RegistryError::Denied {
                has_credentials: false,
                status: 401,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("UNAUTHORIZED: authentication required"),
        "{err}"
    );
}

#[test]
fn identity_and_registry_tokens() {
    let w = World::new(|r| {
        if r.url.host_str() == Some("auth.example") {
            assert_eq!(r.method, Method::Post);
            return resp(200, &[], r#"{"access_token":"from-refresh"}"#);
        }
        if r.header("authorization") == Some("Bearer from-refresh") {
            return resp(200, &[], &tags_body(&["1"]));
        }
        resp(
            401,
            &[(
                "WWW-Authenticate",
                r#"Bearer realm="https://auth.example/oauth2/token",service="svc""#,
            )],
            "",
        )
    });
    let cred = Credential::IdentityToken {
        username: String::new(),
        token: "refresh-me".into(),
    };
    w.list(&target("registry.example/a/b", Some(cred))).unwrap();
    let body = w.log()[1].body.clone().unwrap();
    assert!(
        body.contains("grant_type=refresh_token")
            && body.contains("refresh_token=refresh-me")
            && body.contains("service=svc"),
        "{body}"
    );
    assert_eq!(w.log()[1].auth, None);

    let w = World::new(|r| match r.header("authorization") {
        Some("Bearer static") => resp(200, &[], &tags_body(&["1"])),
        _ => resp(401, &[], ""),
    });
    w.list(&target(
        "registry.example/a/b",
        Some(Credential::RegistryToken("static".into())),
    ))
    .unwrap();
    assert_eq!(w.log().len(), 1);
}

#[test]
fn unsafe_realms_get_nothing() {
    for realm in [
        "http://auth.example/token",
        "https://127.0.0.1:9999/token",
        "https://169.254.169.254/latest",
    ] {
        let w = World::new(move |r| {
            assert_eq!(
                r.url.host_str(),
                Some("registry.example"),
                "no request may reach {}",
                r.url
            );
            resp(
                401,
                &[(
                    "WWW-Authenticate",
                    &format!(r#"Bearer realm="{realm}",service="s""#),
                )],
                "",
            )
        });
        let err = w
            .list(&target("registry.example/a/b", alice()))
            .unwrap_err();
        assert!(
            matches!(err, RegistryError::UnsafeRealm { .. }),
            "{realm}: {err}"
        );
    }
}
