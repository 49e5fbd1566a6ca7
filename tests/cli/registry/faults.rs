//! Against a fault-injecting server of our own on 127.0.0.1: pagination in every Link form,
//! 429 with Retry-After, 5xx, slow, oversized and malformed answers, redirect loops, and
//! cross-origin redirects and Links — asserting from what each server received that no
//! credential ever left its origin.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;

use super::server::{Reply, Req, Server};
use super::{
    assert_no_secret, assert_stderr, basic, locked_digest, locked_tags, policy, repository, Sandbox,
};

const DIGEST_A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

fn many(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("1.{}.{}", i / 100, i % 100))
        .collect()
}

/// The repository name of a `/v2/<name>/tags/list` or `/v2/<name>/manifests/<ref>` request.
fn tag_lists(server: &Server, repo: &str) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.path() == format!("/v2/{repo}/tags/list"))
        .count()
}

/// A page of `all` after `last`, with a `Link` to the next one in the given form.
fn page(req: &Req, name: &str, all: &[String], size: usize, form: &str) -> Reply {
    let last = match form {
        "opaque" => req.query("next_page").map(|c| {
            String::from_utf8(base64::engine::general_purpose::URL_SAFE.decode(c).unwrap()).unwrap()
        }),
        _ => req.query("last"),
    };
    let rest: Vec<String> = all
        .iter()
        .filter(|t| last.as_ref().is_none_or(|l| *t > l))
        .cloned()
        .collect();
    if rest.len() <= size {
        return Reply::tags(name, &rest);
    }
    let chunk = &rest[..size];
    let last = chunk.last().unwrap();
    let link = match form {
        "relative" => format!("/v2/{name}/tags/list?n={size}&last={last}"),
        "absolute" => format!(
            "http://{}/v2/{name}/tags/list?n={size}&last={last}",
            req.header("host").unwrap()
        ),
        _ => format!(
            "/v2/{name}/tags/list?next_page={}",
            base64::engine::general_purpose::URL_SAFE.encode(last)
        ),
    };
    Reply::tags(name, chunk).header("Link", &format!("<{link}>; rel=\"next\""))
}

#[test]
fn pagination_in_every_link_form_and_n_rejected() {
    let all = many(2500);
    let mut with_sig = all.clone();
    with_sig.push("1.0.0.sig".into());
    with_sig.sort();
    let server = Server::start(move |req| {
        let name = req.repository();
        let n: Option<usize> = req.query("n").and_then(|n| n.parse().ok());
        match name.as_str() {
            // Honours n, relative Links (GHCR, distribution 3).
            "rel/app" => page(req, &name, &with_sig, n.unwrap_or(100), "relative"),
            // Rejects n > 100 (old Quay, ECR above 1000); absolute Links.
            "abs/app" if n.is_some_and(|n| n > 100) => {
                Reply::error(400, "PAGINATION_NUMBER_INVALID", "n too large")
            }
            "abs/app" => page(req, &name, &with_sig, n.unwrap_or(100), "absolute"),
            // Ignores n; an opaque cursor.
            "opaque/app" => page(req, &name, &with_sig, 50, "opaque"),
            _ => Reply::error(404, "NAME_UNKNOWN", "repository name not known to registry"),
        }
    });
    let host = server.host();
    let sandbox = Sandbox::with_flux(&[
        repository("rel", &format!("{host}/rel/app"), ""),
        repository("abs", &format!("{host}/abs/app"), ""),
        repository("opaque", &format!("{host}/opaque/app"), ""),
    ]);
    let run = sandbox.refresh_exits(0, &[]);
    let lock = sandbox.lock();
    let mut sorted = all.clone();
    sorted.sort();
    for repo in ["rel/app", "abs/app", "opaque/app"] {
        assert_eq!(
            locked_tags(&lock, &format!("{host}/{repo}")),
            sorted,
            "{repo}"
        );
    }
    assert_eq!(tag_lists(&server, "rel/app"), 3, "n=1000: three pages");
    assert_eq!(
        tag_lists(&server, "abs/app"),
        1 + 26,
        "a 400, then pages of 100"
    );
    assert_eq!(tag_lists(&server, "opaque/app"), 51);
    assert!(!run.stderr.contains('\r'), "no progress bar off a terminal");
}

#[test]
fn too_many_requests_waits_for_retry_after() {
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let server = Server::start(move |req| {
        if c.fetch_add(1, Ordering::SeqCst) < 2 {
            return Reply::error(429, "TOOMANYREQUESTS", "slow down").header("Retry-After", "1");
        }
        Reply::tags(&req.repository(), &["1.0.0".to_owned()])
    });
    let sandbox = Sandbox::with_flux(&[repository(
        "app",
        &format!("{}/demo/app", server.host()),
        "",
    )]);
    let start = Instant::now();
    let (run, waits) = sandbox.refresh_on_a_virtual_clock(&[]);
    let took = start.elapsed();
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Two waits of the second the server asked for, each before a new attempt.
    assert_eq!(waits, [1000, 1000], "the waits, in ms");
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[test]
fn server_errors_are_retried_then_reported_and_the_old_entry_kept() {
    let flaky = Arc::new(AtomicUsize::new(0));
    let f = flaky.clone();
    let server = Server::start(move |req| match req.repository().as_str() {
        "flaky/app" if f.fetch_add(1, Ordering::SeqCst) == 0 => Reply::new(503),
        "flaky/app" => Reply::tags("flaky/app", &["2.0.0".to_owned()]),
        _ => Reply::error(500, "UNKNOWN", "database on fire"),
    });
    let host = server.host();
    let sandbox = Sandbox::with_flux(&[
        repository("flaky", &format!("{host}/flaky/app"), ""),
        repository("broken", &format!("{host}/broken/app"), ""),
    ]);
    let old = format!(
        "# old\nversion: 1\nimages:\n  \"{host}/broken/app\":\n    tags:\n      - \"0.1.0\"\n    digests:\n      \"0.1.0\": \"{DIGEST_A}\"\n  \"{host}/flaky/app\":\n    tags:\n      - \"1.0.0\"\n"
    );
    sandbox.write_lock(&old);
    let (run, waits) = sandbox.refresh_on_a_virtual_clock(&[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    // Backoff: flaky's one retry after 0.5 s; broken's three after 0.5, 1 and 2 s.
    assert_eq!(waits, [500, 500, 1000, 2000], "the waits, in ms");
    assert!(run.stderr.contains(&format!("cannot refresh `{host}/broken/app` (flux-system/broken); its previous lock entry is kept")), "{}", run.stderr);
    assert_stderr(&run, "HTTP 500: UNKNOWN: database on fire");
    assert_eq!(tag_lists(&server, "broken/app"), 4, "three retries");
    let lock = sandbox.lock();
    assert_eq!(locked_tags(&lock, &format!("{host}/flaky/app")), ["2.0.0"]);
    assert_eq!(locked_tags(&lock, &format!("{host}/broken/app")), ["0.1.0"]);
    assert_eq!(
        locked_digest(&lock, &format!("{host}/broken/app"), "0.1.0").as_deref(),
        Some(DIGEST_A)
    );
}

#[test]
fn slow_oversized_and_malformed_answers_fail_cleanly() {
    let big = vec![b' '; 5 << 20];
    let server = Server::start(move |req| match req.repository().as_str() {
        "slow/app" => Reply {
            delay: Duration::from_secs(8),
            ..Reply::tags("slow/app", &[])
        },
        "big/app" => Reply::json(200, "").body(big.clone()),
        "stream/app" => Reply {
            no_length: true,
            ..Reply::json(200, "").body(big.clone())
        },
        "bad/app" => Reply::json(200, r#"{"name":"bad/app","tags":["1.0.0","#),
        "wrong/app" => Reply::json(200, r#"{"name":"x","tags":{"not":"a list"}}"#),
        _ => Reply::tags("ok/app", &["1.0.0".to_owned()]),
    });
    let host = server.host();
    let sandbox = Sandbox::with_flux(&[
        repository("slow", &format!("{host}/slow/app"), "  timeout: 1s\n"),
        repository("big", &format!("{host}/big/app"), ""),
        repository("stream", &format!("{host}/stream/app"), ""),
        repository("bad", &format!("{host}/bad/app"), ""),
        repository("wrong", &format!("{host}/wrong/app"), ""),
        repository("ok", &format!("{host}/ok/app"), ""),
    ]);
    let start = Instant::now();
    let run = sandbox.refresh(&[]);
    assert!(
        start.elapsed() < Duration::from_secs(6),
        "the 1 s timeout is honoured: {:?}",
        start.elapsed()
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    let e = &run.stderr;
    assert!(
        e.contains(&format!(
            "http://{host}/v2/slow/app/tags/list?n=1000: no answer within 1.0 s"
        )),
        "{e}"
    );
    assert!(
        e.contains(&format!(
            "http://{host}/v2/big/app/tags/list?n=1000: the response is larger than 4194304 bytes"
        )),
        "{e}"
    );
    assert!(e.contains(&format!("http://{host}/v2/stream/app/tags/list?n=1000: the response is larger than 4194304 bytes")), "{e}");
    assert!(
        e.contains(&format!(
            "http://{host}/v2/bad/app/tags/list?n=1000: malformed JSON"
        )),
        "{e}"
    );
    assert!(
        e.contains(&format!(
            "http://{host}/v2/wrong/app/tags/list?n=1000: malformed JSON"
        )),
        "{e}"
    );
    assert_eq!(
        locked_tags(&sandbox.lock(), &format!("{host}/ok/app")),
        ["1.0.0"]
    );
}

#[test]
fn redirect_loops_are_cut() {
    let server = Server::start(|req| {
        let to = if req.query("hop").is_some() {
            "/v2/loop/app/tags/list?n=1000"
        } else {
            "/v2/loop/app/tags/list?hop=1"
        };
        Reply::new(302).header("Location", to)
    });
    let sandbox = Sandbox::with_flux(&[repository(
        "loop",
        &format!("{}/loop/app", server.host()),
        "",
    )]);
    let run = sandbox.refresh(&[]);
    assert_eq!(run.code, 2);
    assert_stderr(&run, "too many redirects");
    assert!(
        server.requests().len() <= 3,
        "a loop is seen at once: {}",
        server.requests().len()
    );
}

/// The registry wants Basic alice; `moved/app` is redirected to `elsewhere`, `linked/app`'s
/// next page is on `elsewhere`. Credentials must never reach `elsewhere`.
#[test]
fn credentials_never_follow_a_cross_origin_redirect_or_link() {
    let elsewhere = Server::start(|req| {
        let all = vec!["9.9.9".to_owned()];
        Reply::tags(&req.repository(), &all)
    });
    let other = elsewhere.url();
    let auth = format!("Basic {}", basic("alice", "s3cret"));
    let registry = Server::start(move |req| {
        if req.header("authorization") != Some(auth.as_str()) {
            return Reply::error(401, "UNAUTHORIZED", "authentication required")
                .header("WWW-Authenticate", "Basic realm=\"fault\"");
        }
        match req.repository().as_str() {
            "moved/app" => Reply::new(307).header("Location", &format!("{other}{}", req.target)),
            "linked/app" => Reply::tags("linked/app", &["1.0.0".to_owned()]).header(
                "Link",
                &format!("<{other}/v2/linked/app/tags/list?last=1.0.0>; rel=\"next\""),
            ),
            _ => Reply::tags("home/app", &["1.0.0".to_owned()]),
        }
    });
    let host = registry.host();
    let sandbox = Sandbox::with_flux(&[
        repository("moved", &format!("{host}/moved/app"), ""),
        repository("linked", &format!("{host}/linked/app"), ""),
        repository("home", &format!("{host}/home/app"), ""),
    ]);
    sandbox.docker_config(
        &serde_json::json!({ "auths": { host.clone(): { "auth": basic("alice", "s3cret") } } }),
    );
    let run = sandbox.refresh_exits(2, &[]);
    assert_stderr(&run, "refusing the next page at another origin");
    let lock = sandbox.lock();
    assert_eq!(
        locked_tags(&lock, &format!("{host}/moved/app")),
        ["9.9.9"],
        "the redirect is followed"
    );
    assert_eq!(locked_tags(&lock, &format!("{host}/home/app")), ["1.0.0"]);
    assert!(locked_tags(&lock, &format!("{host}/linked/app")).is_empty());

    assert!(
        elsewhere.authorizations().is_empty(),
        "a credential left its origin: {:?}",
        elsewhere.authorizations()
    );
    assert!(
        elsewhere
            .requests()
            .iter()
            .all(|r| r.path() == "/v2/moved/app/tags/list"),
        "the cross-origin Link was not followed"
    );
    assert!(registry
        .authorizations()
        .iter()
        .any(|a| a.starts_with("Basic ")));
    assert_no_secret(&run, &lock, &["s3cret", &basic("alice", "s3cret")]);
}

/// Bearer: Basic credentials go to the token realm (another port), the token to the registry,
/// and nothing to where the registry redirects.
#[test]
fn basic_to_the_realm_bearer_to_the_registry_nothing_elsewhere() {
    let elsewhere = Server::start(|req| Reply::tags(&req.repository(), &["5.0.0".to_owned()]));
    let realm = Server::start(|req| {
        if req.header("authorization")
            != Some(format!("Basic {}", basic("alice", "s3cret")).as_str())
        {
            return Reply::error(401, "UNAUTHORIZED", "bad credentials");
        }
        let scope = req.query("scope").unwrap_or_default();
        Reply::json(
            200,
            serde_json::json!({ "access_token": format!("T:{scope}") }).to_string(),
        )
    });
    let realm_url = format!("{}/token", realm.url());
    let other = elsewhere.url();
    let registry = Server::start(move |req| {
        let name = req.repository();
        if req.header("authorization") != Some(format!("Bearer T:repository:{name}:pull").as_str())
        {
            return Reply::error(401, "UNAUTHORIZED", "authentication required")
                .header("Www-Authenticate", &format!("Bearer realm=\"{realm_url}\",service=\"fault\",scope=\"repository:{name}:pull\""));
        }
        match name.as_str() {
            "moved/app" => Reply::new(307).header("Location", &format!("{other}{}", req.target)),
            _ => Reply::tags(&name, &["1.0.0".to_owned()]),
        }
    });
    let host = registry.host();
    let sandbox = Sandbox::with_flux(&[
        repository("a", &format!("{host}/a/app"), ""),
        repository("moved", &format!("{host}/moved/app"), ""),
    ]);
    sandbox.docker_config(&serde_json::json!({ "auths": { host.clone(): { "username": "alice", "password": "s3cret" } } }));
    let run = sandbox.refresh_exits(0, &[]);
    let lock = sandbox.lock();
    assert_eq!(locked_tags(&lock, &format!("{host}/a/app")), ["1.0.0"]);
    assert_eq!(locked_tags(&lock, &format!("{host}/moved/app")), ["5.0.0"]);
    assert!(realm
        .authorizations()
        .iter()
        .all(|a| a.starts_with("Basic ")));
    assert!(!realm.authorizations().is_empty());
    assert!(
        registry
            .authorizations()
            .iter()
            .all(|a| a.starts_with("Bearer T:")),
        "{:?}",
        registry.authorizations()
    );
    assert!(
        elsewhere.authorizations().is_empty(),
        "{:?}",
        elsewhere.authorizations()
    );
    assert_no_secret(&run, &lock, &["s3cret", "T:repository"]);
}

#[test]
fn locked_fails_when_the_lock_would_change_and_writes_nothing() {
    let tags = Arc::new(std::sync::Mutex::new(vec!["1.0.0".to_owned()]));
    let t = tags.clone();
    let server = Server::start(move |req| Reply::tags(&req.repository(), &t.lock().unwrap()));
    let sandbox = Sandbox::with_flux(&[repository(
        "app",
        &format!("{}/demo/app", server.host()),
        "",
    )]);
    assert_eq!(sandbox.refresh(&["--locked"]).code, 1, "no lock yet");
    assert!(!sandbox.lock_path().exists());
    assert_eq!(sandbox.refresh(&[]).code, 0);
    let lock = sandbox.lock();
    assert_eq!(sandbox.refresh(&["--locked"]).code, 0);
    tags.lock().unwrap().push("1.1.0".into());
    let run = sandbox.refresh_exits(1, &["--locked"]);
    assert_stderr(&run, "needs to be updated but --locked was passed");
    assert_eq!(sandbox.lock(), lock);
}

#[test]
fn one_query_per_image_and_repository_selects_one() {
    let a = Server::start(|req| {
        Reply::tags(
            &req.repository(),
            &["1.0.0".to_owned(), "dev-1".to_owned(), "rc-1".to_owned()],
        )
    });
    let b = Server::start(|req| Reply::tags(&req.repository(), &["2.0.0".to_owned()]));
    let sandbox = Sandbox::with_flux(&[
        repository(
            "a1",
            &format!("{}/shared/app", a.host()),
            "  exclusionList: [\"^dev-\"]\n",
        ),
        repository(
            "a2",
            &format!("{}/shared/app", a.host()),
            "  exclusionList: [\"^dev-\", \"^rc-\"]\n",
        ),
        repository("b", &format!("{}/b/app", b.host()), ""),
    ]);
    sandbox.refresh_exits(0, &[]);
    assert_eq!(
        a.requests().len(),
        1,
        "two ImageRepositories, one image, one query"
    );
    assert_eq!(
        locked_tags(&sandbox.lock(), &format!("{}/shared/app", a.host())),
        ["1.0.0", "rc-1"],
        "kept when any repository keeps it"
    );

    sandbox.refresh_exits(0, &["--repository", "flux-system/b"]);
    assert_eq!((a.requests().len(), b.requests().len()), (1, 2));

    let run = sandbox.refresh(&["--repository", "flux-system/bb"]);
    assert_eq!(run.code, 2);
    assert_stderr(&run, "did you mean flux-system/b?");
}

#[test]
fn digests_by_head_or_get_and_rate_limits_reported() {
    let manifest = br#"{"schemaVersion":2}"#.to_vec();
    let server = Server::start(move |req| {
        let name = req.repository();
        if req.path().ends_with("/tags/list") {
            return Reply::tags(&name, &["1.0.0".to_owned(), "1.1.0".to_owned()]);
        }
        assert!(req
            .header("accept")
            .unwrap()
            .contains("application/vnd.oci.image.index.v1+json"));
        let reply = Reply::json(200, "")
            .header("ratelimit-limit", "100;w=21600")
            .header("ratelimit-remaining", "7;w=21600")
            .body(manifest.clone());
        match name.as_str() {
            "nohead/app" => reply,
            _ => reply.header("Docker-Content-Digest", DIGEST_A),
        }
    });
    let host = server.host();
    let sandbox = Sandbox::with_flux(&[
        repository("head", &format!("{host}/head/app"), ""),
        policy("head", "head", "1.x", "Always"),
        repository("nohead", &format!("{host}/nohead/app"), ""),
        policy("nohead", "nohead", "1.x", ""),
    ]);
    // nohead's policy reflects no digest, but a :digest marker needs one.
    sandbox.file(
        "app.yaml",
        "digest: sha256:x # {\"$imagepolicy\": \"flux-system:nohead:digest\"}\n",
    );
    let run = sandbox.refresh_exits(0, &[]);
    let lock = sandbox.lock();
    assert_eq!(
        locked_digest(&lock, &format!("{host}/head/app"), "1.1.0").as_deref(),
        Some(DIGEST_A)
    );
    let hashed = format!(
        "sha256:{:x}",
        <sha2::Sha256 as sha2::Digest>::digest(br#"{"schemaVersion":2}"#)
    );
    assert_eq!(
        locked_digest(&lock, &format!("{host}/nohead/app"), "1.1.0"),
        Some(hashed)
    );
    let methods: BTreeMap<String, Vec<String>> = server
        .requests()
        .iter()
        .filter(|r| r.path().contains("/manifests/"))
        .fold(BTreeMap::new(), |mut m, r| {
            m.entry(r.repository()).or_default().push(r.method.clone());
            m
        });
    assert_eq!(methods["head/app"], ["HEAD"]);
    assert_eq!(methods["nohead/app"], ["HEAD", "GET"]);
    assert!(
        run.stderr.contains(&format!(
            "127.0.0.1:{}: ratelimit-remaining 7;w=21600 (ratelimit-limit 100;w=21600)",
            server.port
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn helper_not_found_is_anonymous_and_a_broken_config_names_its_file() {
    let server = Server::start(|req| match req.header("authorization") {
        Some(_) => Reply::tags("x", &["1.0.0".to_owned()]),
        None => Reply::error(401, "UNAUTHORIZED", "authentication required")
            .header("WWW-Authenticate", "Basic realm=\"x\""),
    });
    let host = server.host();
    let sandbox = Sandbox::with_flux(&[repository(
        "app",
        &format!("{host}/demo/app"),
        "  provider: aws\n",
    )]);
    sandbox.helper(
        "none",
        "echo 'credentials not found in native keychain'; exit 1\n",
    );
    sandbox.docker_config(&serde_json::json!({ "credsStore": "none" }));
    let run = sandbox.refresh_exits(2, &["-v"]);
    assert_stderr(&run, &format!("credentials for {host}: anonymous"));
    assert_stderr(
        &run,
        "provider `aws` (use its docker credential helper locally)",
    );
    assert_stderr(&run, "no credentials were found");
    assert!(server.authorizations().is_empty());

    // A helper that fails otherwise is an error naming it, never echoing its output.
    sandbox.helper("broken", "echo 'leaked-secret'; exit 3\n");
    sandbox.docker_config(&serde_json::json!({ "credHelpers": { host.clone(): "broken" } }));
    let run = sandbox.refresh(&[]);
    assert_eq!(run.code, 2);
    assert_stderr(&run, &format!("credential helper `docker-credential-broken` failed for `{host}`: it exited with status 3"));
    assert!(!run.stderr.contains("leaked-secret"));

    fs_err::write(
        sandbox.home().join(".docker/config.json"),
        "{\"auths\": {\"x\": ",
    )
    .unwrap();
    let run = sandbox.refresh(&[]);
    assert_eq!(run.code, 2);
    assert_stderr(&run, ".docker/config.json: cannot read credentials");
}

#[test]
fn an_unreadable_lock_is_replaced_with_a_warning() {
    let server = Server::start(|req| Reply::tags(&req.repository(), &["1.0.0".to_owned()]));
    let sandbox = Sandbox::with_flux(&[repository(
        "app",
        &format!("{}/demo/app", server.host()),
        "",
    )]);
    sandbox.write_lock("version: 99\nimages: {}\n");
    assert_eq!(sandbox.refresh(&["--locked"]).code, 1);
    let run = sandbox.refresh_exits(0, &[]);
    assert!(
        run.stderr
            .contains("`images.lock` cannot be read; refresh writes a new one"),
        "{}",
        run.stderr
    );
    assert_stderr(&run, "version 99 is not supported");
    assert_eq!(
        locked_tags(&sandbox.lock(), &format!("{}/demo/app", server.host())),
        ["1.0.0"]
    );
    let quiet = sandbox.imagelock(&["-q", "refresh"]);
    assert_eq!((quiet.code, quiet.stderr.as_str()), (0, ""));
}

#[test]
fn a_progress_bar_on_a_terminal_only() {
    let server = Server::start(|req| Reply::tags(&req.repository(), &["1.0.0".to_owned()]));
    let sandbox = Sandbox::with_flux(&[
        repository("a", &format!("{}/a/app", server.host()), ""),
        repository("b", &format!("{}/b/app", server.host()), ""),
    ]);
    let piped = sandbox.refresh_exits(0, &[]);
    assert!(!piped.stderr.contains("refreshing [") && !piped.stderr.contains('\r'));

    // util-linux `script` gives imagelock a pseudo-terminal.
    super::distribution::require("script", "bsdutils");
    let command = format!(
        "{} --root {} refresh",
        env!("CARGO_BIN_EXE_imagelock"),
        sandbox.repo().display()
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", sandbox.home())
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("refreshing [") && text.contains("2/2 images"),
        "{text:?}"
    );
}

#[test]
fn registry_auth_file_with_a_repository_scoped_key() {
    let auth = format!("Basic {}", basic("bob", "hunter2"));
    let server = Server::start(move |req| {
        if req.header("authorization") == Some(auth.as_str()) {
            return Reply::tags(&req.repository(), &["1.0.0".to_owned()]);
        }
        Reply::error(401, "UNAUTHORIZED", "authentication required")
            .header("WWW-Authenticate", "Basic realm=\"x\"")
    });
    let host = server.host();
    let sandbox = Sandbox::with_flux(&[repository(
        "app",
        &format!("{host}/team/app"),
        "  serviceAccountName: puller\n",
    )]);
    let file = sandbox.path().join("auth.json");
    fs_err::write(
        &file,
        serde_json::json!({ "auths": {
            format!("{host}/team"): { "auth": basic("bob", "hunter2") },
            host.clone(): { "auth": basic("bob", "wrong") },
        } })
        .to_string(),
    )
    .unwrap();
    let run = sandbox.imagelock_env(&[("REGISTRY_AUTH_FILE", &file)], &["-v", "refresh"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_stderr(
        &run,
        &format!(
            "credentials for {host}: auths[\"{host}/team\"] in {}",
            file.display()
        ),
    );
    assert_stderr(&run, "serviceAccountName `puller` live in the cluster");
    assert_no_secret(
        &run,
        &sandbox.lock(),
        &["hunter2", &basic("bob", "hunter2")],
    );
}

/// What two servers saw: the most requests in flight at once on each, and over both.
#[derive(Default)]
struct Peaks {
    total: AtomicUsize,
    total_peak: AtomicUsize,
    host: [AtomicUsize; 2],
    host_peak: [AtomicUsize; 2],
}

impl Peaks {
    fn handle(&self, which: usize, req: &Req) -> Reply {
        let t = self.total.fetch_add(1, Ordering::SeqCst) + 1;
        self.total_peak.fetch_max(t, Ordering::SeqCst);
        let h = self.host[which].fetch_add(1, Ordering::SeqCst) + 1;
        self.host_peak[which].fetch_max(h, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(150));
        self.host[which].fetch_sub(1, Ordering::SeqCst);
        self.total.fetch_sub(1, Ordering::SeqCst);
        Reply::tags(&req.repository(), &["1.0.0".to_owned()])
    }

    /// (peak over both hosts, peak per host), and reset.
    fn take(&self) -> (usize, [usize; 2]) {
        let host = [0, 1].map(|i| self.host_peak[i].swap(0, Ordering::SeqCst));
        (self.total_peak.swap(0, Ordering::SeqCst), host)
    }
}

#[test]
fn jobs_and_per_host_bound_the_requests_in_flight() {
    let peaks = Arc::new(Peaks::default());
    let servers = [0, 1].map(|which| {
        let p = peaks.clone();
        Server::start(move |req| p.handle(which, req))
    });
    let mut docs = Vec::new();
    for (s, server) in servers.iter().enumerate() {
        for i in 0..6 {
            let name = format!("s{s}r{i}");
            docs.push(repository(
                &name,
                &format!("{}/demo/{name}", server.host()),
                "",
            ));
        }
    }
    let sandbox = Sandbox::with_flux(&docs);
    let refresh = |args: &[&str]| {
        let run = sandbox.refresh(args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert_eq!(
            locked_tags(&sandbox.lock(), &format!("{}/demo/s1r5", servers[1].host())),
            ["1.0.0"]
        );
        peaks.take()
    };

    // Defaults (16 images at once, 8 per host): up to six of a host at once.
    let (total, host) = refresh(&[]);
    assert!(
        total > 4 && host.iter().all(|h| *h > 2 && *h <= 6),
        "{total} {host:?}"
    );
    let (total, host) = refresh(&["--per-host", "2"]);
    assert!(
        total <= 4 && host.iter().all(|h| *h == 2),
        "{total} {host:?}"
    );
    let (total, host) = refresh(&["--jobs", "3"]);
    assert!(
        (2..=3).contains(&total) && host.iter().all(|h| *h <= 3),
        "{total} {host:?}"
    );
    let (total, host) = refresh(&["--jobs", "1"]);
    assert_eq!((total, host.iter().max().copied()), (1, Some(1)));
}
