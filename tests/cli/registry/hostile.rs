//! More faults from a server of our own: byte-at-a-time answers, connections closed without an
//! answer, a 10 MB tag list, invalid UTF-8, and a registry that answers 401 whatever token it
//! gets. Each run ends within its timeout, names the URL, exits 2 and keeps the previous lock
//! entries; no credential goes anywhere but the registry's own origin and its token realm.

use std::time::{Duration, Instant};

use super::server::{Reply, Server};
use super::{assert_no_secret, locked_tags, repository, Sandbox};

/// A lock that already holds `2.0.0` for each image, to see that a failure keeps it.
fn old_lock(host: &str, names: &[&str]) -> String {
    let mut lock = String::from("version: 1\nimages:\n");
    for name in names {
        lock.push_str(&format!(
            "  \"{host}/{name}/app\":\n    tags:\n      - \"2.0.0\"\n"
        ));
    }
    lock
}

#[test]
fn trickled_closed_huge_and_non_utf8_answers_end_cleanly_and_keep_the_old_entries() {
    let huge = {
        let tags: Vec<String> = (0..900_000).map(|i| format!("1.0.{i}")).collect();
        serde_json::json!({ "name": "huge/app", "tags": tags })
            .to_string()
            .into_bytes()
    };
    assert!(huge.len() > 10_000_000);
    let server = Server::start(move |req| match req.repository().as_str() {
        "trickle/app" => Reply {
            trickle: Some(Duration::from_millis(50)),
            ..Reply::tags("trickle/app", &["1.0.0".to_owned()])
        },
        "closed/app" => Reply {
            hang_up: true,
            ..Reply::new(200)
        },
        "huge/app" => Reply::json(200, "").body(huge.clone()),
        "latin1/app" => {
            Reply::json(200, "").body(b"{\"name\":\"latin1/app\",\"tags\":[\"caf\xe9\"]}".to_vec())
        }
        _ => Reply::tags("ok/app", &["1.0.0".to_owned()]),
    });
    let host = server.host();
    let names = ["trickle", "closed", "huge", "latin1", "ok"];
    let sandbox = Sandbox::new();
    sandbox.flux(
        &names
            .iter()
            .map(|n| repository(n, &format!("{host}/{n}/app"), "  timeout: 2s\n"))
            .collect::<Vec<_>>(),
    );
    sandbox.write_lock(&old_lock(&host, &names));
    let started = Instant::now();
    let run = sandbox.refresh(&[]);
    let took = started.elapsed();
    assert_eq!(run.code, 2, "{}", run.stderr);
    // The trickle would take over 5 s; retries of the closed connection are bounded.
    assert!(took < Duration::from_secs(20), "took {took:?}");
    let e = &run.stderr;
    for name in ["trickle", "closed", "huge", "latin1"] {
        assert!(
            e.contains(&format!("http://{host}/v2/{name}/app/tags/list")),
            "{name}: {e}"
        );
    }
    assert!(e.contains("no answer within 2.0 s"), "{e}");
    assert!(e.contains("the response is larger than"), "{e}");
    assert!(e.contains("malformed JSON"), "{e}");
    let lock = sandbox.lock();
    for name in ["trickle", "closed", "huge", "latin1"] {
        assert_eq!(
            locked_tags(&lock, &format!("{host}/{name}/app")),
            ["2.0.0"],
            "{name}: the previous entry is kept"
        );
    }
    assert_eq!(locked_tags(&lock, &format!("{host}/ok/app")), ["1.0.0"]);
}

#[test]
fn a_registry_that_refuses_every_token_is_asked_a_bounded_number_of_times() {
    let realm =
        Server::start(|_| Reply::json(200, serde_json::json!({ "token": "T0K3N" }).to_string()));
    let realm_url = format!("{}/token", realm.url());
    let registry = Server::start(move |req| {
        Reply::error(401, "UNAUTHORIZED", "authentication required").header(
            "WWW-Authenticate",
            &format!(
                "Bearer realm=\"{realm_url}\",service=\"loop\",scope=\"repository:{}:pull\"",
                req.repository()
            ),
        )
    });
    let host = registry.host();
    let sandbox = Sandbox::new();
    sandbox.flux(&[repository("loop", &format!("{host}/loop/app"), "")]);
    sandbox.write_lock(&old_lock(&host, &["loop"]));
    let run = sandbox.refresh(&[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("HTTP 401"), "{}", run.stderr);
    assert!(
        run.stderr.contains("UNAUTHORIZED: authentication required"),
        "{}",
        run.stderr
    );
    let asked = registry.requests().len();
    assert!(
        (2..=4).contains(&asked),
        "the registry was asked {asked} times"
    );
    assert!(realm.requests().len() <= 2, "{:?}", realm.requests());
    assert_eq!(
        locked_tags(&sandbox.lock(), &format!("{host}/loop/app")),
        ["2.0.0"]
    );
    // The token went to the registry only; nothing but the realm saw a token request.
    assert!(registry
        .authorizations()
        .iter()
        .all(|a| a == "Bearer T0K3N"));
    assert_no_secret(&run, &sandbox.lock(), &["T0K3N"]);
}
