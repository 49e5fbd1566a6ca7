//! Tags, pagination, redirects, retries and digests.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::*;
use crate::registry::client::{Settings, Target};
use crate::registry::transport::{Method, TransportError};
use crate::registry::{digest, tags, RegistryError};

// ---------------------------------------------------------------- tags and pagination

#[test]
fn follows_relative_and_absolute_links_and_sorts() {
    let w = World::new(|r| match path_of(r).as_str() {
        "/v2/demo/app/tags/list?n=1000" => resp(
            200,
            &[("Link", r#"</v2/demo/app/tags/list?n=2&last=b>; rel="next""#)],
            &tags_body(&["b", "a"]),
        ),
        "/v2/demo/app/tags/list?n=2&last=b" => resp(
            200,
            &[(
                "link",
                r#"<http://127.0.0.1:5000/v2/demo/app/tags/list?opaque=x>; rel="next""#,
            )],
            &tags_body(&["d", "c"]),
        ),
        "/v2/demo/app/tags/list?opaque=x" => resp(
            200,
            &[],
            r#"{"name":"demo/app","tags":["e"],"manifest":{}}"#,
        ),
        p => panic!("unexpected {p}"),
    });
    let t = target("127.0.0.1:5000/demo/app", None);
    assert_eq!(w.list(&t).unwrap(), ["a", "b", "c", "d", "e"]);
    assert_eq!(w.log().len(), 3);
}

#[test]
fn retries_without_n_when_rejected() {
    let w = World::new(|r| match r.url.query() {
        Some(_) => resp(
            400,
            &[],
            r#"{"errors":[{"code":"PAGINATION_NUMBER_INVALID","message":"n too large"}]}"#,
        ),
        None => resp(200, &[], &tags_body(&["1"])),
    });
    assert_eq!(
        w.list(&target("127.0.0.1:5000/demo/app", None)).unwrap(),
        ["1"]
    );
    assert_eq!(
        w.log()[1].url,
        "http://127.0.0.1:5000/v2/demo/app/tags/list"
    );
}

#[test]
fn a_full_page_without_link_is_followed_by_last() {
    let settings = Settings {
        page_size: 2,
        ..Settings::default()
    };
    let w = World::with(settings, |r| match path_of(r).as_str() {
        "/v2/demo/app/tags/list?n=2" => resp(200, &[], &tags_body(&["a", "b"])),
        "/v2/demo/app/tags/list?n=2&last=b" => resp(200, &[], &tags_body(&["c"])),
        p => panic!("unexpected {p}"),
    });
    assert_eq!(
        w.list(&target("127.0.0.1:5000/demo/app", None)).unwrap(),
        ["a", "b", "c"]
    );
}

#[test]
fn a_registry_ignoring_n_and_last_ends_the_loop() {
    let settings = Settings {
        page_size: 2,
        ..Settings::default()
    };
    // Distribution 2.8: everything, every time, no Link.
    let w = World::with(settings, |_| resp(200, &[], &tags_body(&["b", "a"])));
    assert_eq!(
        w.list(&target("127.0.0.1:5000/demo/app", None)).unwrap(),
        ["a", "b"]
    );
    assert_eq!(
        w.log().len(),
        2,
        "one last= probe, which brought nothing new"
    );
}

#[test]
fn refuses_cross_origin_links_and_link_loops() {
    let w = World::new(|_| {
        resp(
            200,
            &[(
                "Link",
                r#"<http://127.0.0.1:5001/v2/demo/app/tags/list>; rel="next""#,
            )],
            &tags_body(&["a"]),
        )
    });
    let err = w
        .list(&target("127.0.0.1:5000/demo/app", alice()))
        .unwrap_err();
    assert!(
        matches!(err, RegistryError::CrossOriginLink { .. }),
        "{err}"
    );
    assert_eq!(w.log().len(), 1);
    let w = World::new(|_| {
        resp(
            200,
            &[(
                "Link",
                r#"<https://127.0.0.1:5000/v2/demo/app/tags/list>; rel="next""#,
            )],
            &tags_body(&["a"]),
        )
    });
    assert!(
        matches!(
            w.list(&target("127.0.0.1:5000/demo/app", None)),
            Err(RegistryError::CrossOriginLink { .. })
        ),
        "another scheme"
    );

    let w = World::new(|_| {
        resp(
            200,
            &[("Link", r#"</v2/demo/app/tags/list?n=1000>; rel="next""#)],
            &tags_body(&["a"]),
        )
    });
    let err = w
        .list(&target("127.0.0.1:5000/demo/app", None))
        .unwrap_err();
    assert!(matches!(err, RegistryError::PageCap { .. }), "{err}");
    assert_eq!(w.log().len(), 1);
}

#[test]
fn page_cap() {
    let settings = Settings {
        max_pages: 5,
        ..Settings::default()
    };
    let w = World::with(settings, |r| {
        let i: u32 = r
            .url
            .query_pairs()
            .find(|(k, _)| k == "p")
            .map_or(0, |(_, v)| v.parse().unwrap());
        let link = format!(r#"</v2/demo/app/tags/list?p={}>; rel="next""#, i + 1);
        resp(200, &[("Link", &link)], &tags_body(&[&format!("t{i}")]))
    });
    assert!(matches!(
        w.list(&target("127.0.0.1:5000/demo/app", None)),
        Err(RegistryError::PageCap { pages: 5, .. })
    ));
    assert_eq!(w.log().len(), 5);
}

#[test]
fn malformed_json_and_invalid_tags() {
    let w = World::new(|_| resp(200, &[], "{\"tags\": [\"a\""));
    let err = w
        .list(&target("127.0.0.1:5000/demo/app", None))
        .unwrap_err();
    assert!(matches!(err, RegistryError::Malformed { .. }), "{err}");
    let w = World::new(|_| resp(200, &[], r#"{"tags":["ok","bad tag","../x","ok"]}"#));
    let call_target = target("127.0.0.1:5000/demo/app", None);
    let call = w.client.call(&call_target);
    let listing = tags::list_tags(&w.client, &call).unwrap();
    assert_eq!((listing.tags.len(), listing.invalid), (1, 2));
    let w = World::new(|_| resp(200, &[], r#"{"name":"x","tags":null}"#));
    assert!(w
        .list(&target("127.0.0.1:5000/demo/app", None))
        .unwrap()
        .is_empty());
}

// ---------------------------------------------------------------- redirects

#[test]
fn redirects_strip_credentials_across_origins() {
    let w = World::new(|r| match (r.url.port(), r.header("authorization")) {
        (Some(5000), Some(ALICE)) => resp(
            307,
            &[("Location", "http://127.0.0.1:5001/v2/demo/app/tags/list")],
            "",
        ),
        (Some(5000), _) => resp(401, &[("WWW-Authenticate", "Basic realm=r")], ""),
        (Some(5001), None) => resp(200, &[], &tags_body(&["x"])),
        (port, auth) => panic!("{port:?} got {auth:?}"),
    });
    assert_eq!(
        w.list(&target("127.0.0.1:5000/demo/app", alice())).unwrap(),
        ["x"]
    );
}

#[test]
fn a_challenge_from_a_redirect_target_is_not_answered() {
    let w = World::new(|r| match r.url.host_str() {
        Some("registry.example") => resp(
            302,
            &[("Location", "https://mirror.example/v2/demo/app/tags/list")],
            "",
        ),
        Some("mirror.example") => resp(
            401,
            &[(
                "WWW-Authenticate",
                r#"Bearer realm="https://evil.example/token""#,
            )],
            "",
        ),
        other => panic!("credentials would go to {other:?}"),
    });
    let err = w
        .list(&target("registry.example/demo/app", alice()))
        .unwrap_err();
    assert!(matches!(err, RegistryError::Denied { .. }), "{err}");
}

#[test]
fn no_downgrade_and_no_loops() {
    let w = World::new(|_| {
        resp(
            301,
            &[("Location", "http://registry.example/v2/demo/app/tags/list")],
            "",
        )
    });
    let err = w
        .list(&target("registry.example/demo/app", None))
        .unwrap_err();
    assert!(matches!(err, RegistryError::Downgrade { .. }), "{err}");
    assert_eq!(w.log().len(), 1);

    let w = World::new(|r| {
        let next = if r.url.path().ends_with("/a") {
            "/b"
        } else {
            "/a"
        };
        resp(302, &[("Location", next)], "")
    });
    let err = w
        .list(&target("registry.example/demo/app", None))
        .unwrap_err();
    assert!(matches!(err, RegistryError::RedirectLoop { .. }), "{err}");
    assert!(w.log().len() <= 4);

    let w = World::new(|r| resp(302, &[("Location", &format!("{}x", r.url.path()))], ""));
    assert!(matches!(
        w.list(&target("registry.example/demo/app", None)),
        Err(RegistryError::RedirectLoop { .. })
    ));
    assert_eq!(w.log().len(), 11, "the first request and 10 redirects");
}

// ---------------------------------------------------------------- retries and limits

#[test]
fn retry_after_seconds_date_and_backoff() {
    let count = Arc::new(Mutex::new(0));
    let c = count.clone();
    let w = World::new(move |_| {
        let mut n = c.lock().unwrap();
        *n += 1;
        match *n {
            1 => resp(
                429,
                &[("Retry-After", "2")],
                r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}"#,
            ),
            2 => resp(503, &[("Retry-After", "Fri, 15 Jan 2027 08:00:05 GMT")], ""),
            3 => resp(502, &[], ""),
            _ => resp(200, &[], &tags_body(&["1"])),
        }
    });
    // system_now is 1_800_000_000 s = 2027-01-15T08:00:00Z, plus 2 s slept.
    w.list(&target("127.0.0.1:5000/demo/app", None)).unwrap();
    assert_eq!(
        w.sleeps(),
        [
            Duration::from_secs(2),
            Duration::from_secs(3),
            Duration::from_millis(2000)
        ]
    );
}

#[test]
fn retries_are_bounded_and_the_registry_error_is_kept() {
    let w = World::new(|_| {
        resp(
            500,
            &[],
            r#"{"errors":[{"code":"UNKNOWN","message":"database on fire"}]}"#,
        )
    });
    let err = w
        .list(&target("127.0.0.1:5000/demo/app", None))
        .unwrap_err();
    assert_eq!(w.log().len(), 4);
    assert_eq!(
        w.sleeps(),
        [
            Duration::from_millis(500),
            Duration::from_secs(1),
            Duration::from_secs(2)
        ]
    );
    assert_eq!(
        err.to_string(),
        "http://127.0.0.1:5000/v2/demo/app/tags/list?n=1000: HTTP 500: UNKNOWN: database on fire"
    );

    // A Retry-After past the deadline is not waited for.
    let w = World::new(|_| {
        resp(
            429,
            &[("Retry-After", "3600")],
            "You have reached your pull rate limit.",
        )
    });
    let err = w
        .list(&target("127.0.0.1:5000/demo/app", None))
        .unwrap_err();
    assert!(w.sleeps().is_empty());
    assert!(
        err.to_string()
            .contains("HTTP 429: You have reached your pull rate limit."),
        "{err}"
    );
}

#[test]
fn transport_failures_name_the_url() {
    let w = World::new(|_| Err(TransportError::Timeout));
    let err = w
        .list(&target("127.0.0.1:5000/demo/app", None))
        .unwrap_err();
    assert!(matches!(err, RegistryError::Timeout { .. }));
    let w = World::new(|_| Err(TransportError::TooLarge));
    let err = w
        .list(&target("127.0.0.1:5000/demo/app", None))
        .unwrap_err();
    assert!(
        matches!(err, RegistryError::TooLarge { limit, .. } if limit == 4 << 20),
        "{err}"
    );
}

#[test]
fn the_deadline_covers_the_whole_image() {
    let w = World::new(|_| resp(503, &[], ""));
    let t = Target {
        timeout: Duration::from_secs(2),
        ..target("127.0.0.1:5000/demo/app", None)
    };
    let call = w.client.call(&t);
    w.advance(Duration::from_secs(3));
    assert!(matches!(
        tags::list_tags(&w.client, &call),
        Err(RegistryError::Timeout { .. })
    ));
    assert!(w.log().is_empty());
}

#[test]
fn rate_limit_headers_are_remembered() {
    let w = World::new(|_| {
        resp(
            200,
            &[
                ("ratelimit-limit", "100;w=21600"),
                ("ratelimit-remaining", "42;w=21600"),
                (
                    "docker-content-digest",
                    "sha256:0000000000000000000000000000000000000000000000000000000000000000",
                ),
            ],
            "",
        )
    });
    w.digest(&target("nginx", None), "1.25").unwrap();
    let limits = w.client.rate_limits();
    let l = &limits["registry-1.docker.io:443"];
    assert_eq!(l.remaining.as_deref(), Some("42;w=21600"));
    assert_eq!(
        w.log()[0].url,
        "https://registry-1.docker.io/v2/library/nginx/manifests/1.25"
    );
}

// ---------------------------------------------------------------- digests

#[test]
fn digest_from_head_or_from_the_body() {
    let d = "sha256:505b4f80f06e3d2e5a4934e03ea6237f58f610dd086f0068d1539a06a1bc842b";
    let w = World::new(move |r| {
        assert_eq!(r.header("accept"), Some(digest::MANIFEST_ACCEPT));
        resp(200, &[("Docker-Content-Digest", d)], "")
    });
    assert_eq!(w.digest(&target("127.0.0.1:5000/a", None), "1").unwrap(), d);
    assert_eq!(w.log()[0].method, Method::Head);

    let w = World::new(|r| match r.method {
        Method::Head => resp(200, &[], ""),
        _ => resp(200, &[], "{}"),
    });
    assert_eq!(
        w.digest(&target("127.0.0.1:5000/a", None), "1").unwrap(),
        digest::sha256(b"{}")
    );

    let w = World::new(|_| {
        resp(
            404,
            &[],
            r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
        )
    });
    let err = w
        .digest(&target("127.0.0.1:5000/a", None), "9")
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("HTTP 404: MANIFEST_UNKNOWN: manifest unknown"),
        "{err}"
    );
}
