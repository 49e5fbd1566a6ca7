//! Against Debian's `docker-registry` (distribution 2.8): anonymous, htpasswd Basic, token
//! auth with our own token server, a private repository denied, and the digests of the four
//! manifest kinds.

use std::time::Duration;

use super::distribution::{htpasswd, push_image, Kind, Pki, Pusher, Registry, TokenServer};
use super::{
    assert_no_secret, assert_stderr, basic, locked_digest, locked_tags, policy, repository, Sandbox,
};

#[test]
fn anonymous_tags_and_the_digests_of_four_manifest_kinds() {
    let registry = Registry::start("");
    let host = registry.host();
    let pusher = Pusher::anonymous(registry.port);
    let mut many: Vec<String> = (0..60)
        .map(|i| format!("1.{}.{}", i / 10, i % 10))
        .collect();
    many.extend([
        "2.0.0".to_owned(),
        "latest".to_owned(),
        "1.5.9.sig".to_owned(),
    ]);
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let kinds = [
        ("oci", Kind::OciManifest),
        ("index", Kind::OciIndex),
        ("docker", Kind::DockerV2),
        ("list", Kind::ManifestList),
    ];
    let mut expected = Vec::new();
    let mut docs = Vec::new();
    for (name, kind) in kinds {
        let tags: &[&str] = if kind == Kind::OciManifest {
            &many
        } else {
            &["1.0.0", "1.5.0", "2.0.0"]
        };
        expected.push(push_image(&pusher, &format!("demo/{name}"), kind, tags));
        docs.push(repository(name, &format!("{host}/demo/{name}"), ""));
        docs.push(policy(name, name, ">=1.0.0 <2.0.0", "Always"));
    }
    let sandbox = Sandbox::with_flux(&docs);
    sandbox.refresh_exits(0, &[]);
    let lock = sandbox.lock();

    let oci_tags = locked_tags(&lock, &format!("{host}/demo/oci"));
    assert_eq!(
        oci_tags.len(),
        62,
        "60 + 2.0.0 + latest, the .sig excluded: {oci_tags:?}"
    );
    assert!(oci_tags.windows(2).all(|w| w[0] < w[1]), "sorted");
    assert_eq!(
        locked_digest(&lock, &format!("{host}/demo/oci"), "1.5.9").as_ref(),
        Some(&expected[0])
    );
    for ((name, _), digest) in kinds.iter().zip(&expected).skip(1) {
        let image = format!("{host}/demo/{name}");
        assert_eq!(locked_tags(&lock, &image), ["1.0.0", "1.5.0", "2.0.0"]);
        // For the index and the list: their own digest, as Flux reflects it.
        assert_eq!(
            locked_digest(&lock, &image, "1.5.0").as_ref(),
            Some(digest),
            "{name}"
        );
    }

    // Nothing changed at the registry: the lock is not rewritten, and --locked agrees.
    let before = fs_err::metadata(sandbox.lock_path())
        .unwrap()
        .modified()
        .unwrap();
    std::thread::sleep(Duration::from_millis(20));
    // One request at a time gives the same lock.
    let again = sandbox.refresh_exits(0, &["--jobs", "1", "--per-host", "1"]);
    assert_stderr(&again, "unchanged");
    assert_eq!(
        fs_err::metadata(sandbox.lock_path())
            .unwrap()
            .modified()
            .unwrap(),
        before
    );
    assert_eq!(sandbox.lock(), lock);
    assert_eq!(sandbox.refresh(&["--locked"]).code, 0);

    // A new tag: --locked fails and writes nothing; a refresh takes it.
    push_image(&pusher, "demo/index", Kind::OciIndex, &["1.6.0"]);
    let locked = sandbox.refresh_exits(1, &["--locked"]);
    assert_stderr(&locked, "--locked");
    assert_eq!(sandbox.lock(), lock);
    assert_eq!(sandbox.refresh(&[]).code, 0);
    let lock = sandbox.lock();
    assert!(locked_tags(&lock, &format!("{host}/demo/index")).contains(&"1.6.0".to_owned()));
    assert!(locked_digest(&lock, &format!("{host}/demo/index"), "1.6.0").is_some());
    assert!(
        locked_digest(&lock, &format!("{host}/demo/index"), "1.5.0").is_none(),
        "only needed digests"
    );

    // Offline from here: check resolves from the lock.
    sandbox.file(
        "deploy.yaml",
        &format!(
            "image: {host}/demo/index:1.6.0@{} # {{\"$imagepolicy\": \"flux-system:index\"}}\n",
            locked_digest(&lock, &format!("{host}/demo/index"), "1.6.0").unwrap()
        ),
    );
    drop(registry);
    let check = sandbox.imagelock(&["check"]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
}

#[test]
fn htpasswd_basic_auth_from_docker_config_or_a_credential_helper() {
    let dir = tempfile::tempdir().unwrap();
    let file = htpasswd(dir.path(), &[("alice", "s3cret")]);
    let registry = Registry::start(&format!(
        "  htpasswd: {{realm: test-realm, path: {}}}\n",
        file.display()
    ));
    let host = registry.host();
    let auth = format!("Basic {}", basic("alice", "s3cret"));
    let pusher = Pusher {
        port: registry.port,
        auth: Box::new(|_| Some(auth.clone())),
    };
    push_image(&pusher, "priv/app", Kind::OciManifest, &["1.0.0", "1.1.0"]);
    let docs = [
        repository(
            "app",
            &format!("{host}/priv/app"),
            "  secretRef:\n    name: regcred\n",
        ),
        policy("app", "app", "1.x", "IfNotPresent"),
    ];

    // No credentials: denied, with the registry's code and message, exit 2, no lock entry.
    let sandbox = Sandbox::with_flux(&docs);
    let run = sandbox.refresh_exits(2, &[]);
    assert_stderr(
        &run,
        "access denied (HTTP 401): UNAUTHORIZED: authentication required",
    );
    assert_stderr(&run, "no credentials were found");
    assert!(locked_tags(&sandbox.lock(), &format!("{host}/priv/app")).is_empty());

    // From ~/.docker/config.json, named by -v, never shown.
    sandbox.docker_config(
        &serde_json::json!({ "auths": { host.clone(): { "auth": basic("alice", "s3cret") } } }),
    );
    let run = sandbox.refresh_exits(0, &["-v"]);
    assert_stderr(
        &run,
        &format!("credentials for {host}: auths[\"{host}\"] in "),
    );
    assert_stderr(&run, "secretRef `regcred` live in the cluster");
    let lock = sandbox.lock();
    assert_eq!(
        locked_tags(&lock, &format!("{host}/priv/app")),
        ["1.0.0", "1.1.0"]
    );
    assert!(locked_digest(&lock, &format!("{host}/priv/app"), "1.1.0").is_some());
    assert_no_secret(&run, &lock, &["s3cret", &basic("alice", "s3cret")]);

    // Wrong password: refused, said so.
    sandbox.docker_config(
        &serde_json::json!({ "auths": { host.clone(): { "auth": basic("alice", "wrong") } } }),
    );
    let run = sandbox.refresh(&[]);
    assert_eq!(run.code, 2);
    assert_stderr(&run, "the credentials found were refused");
    assert_eq!(sandbox.lock(), lock, "a failure keeps the previous entry");

    // A credential helper (credHelpers wins over auths), called once with the bare host.
    let calls = sandbox.path().join("helper.log");
    sandbox.helper(
        "test",
        &format!(
            "read server\necho \"$1 $server\" >> {}\n[ \"$1\" = get ] && [ \"$server\" = {host} ] && printf '{{\"ServerURL\":\"%s\",\"Username\":\"alice\",\"Secret\":\"s3cret\"}}' \"$server\" && exit 0\necho 'credentials not found in native keychain'; exit 1\n",
            calls.display()
        ),
    );
    sandbox.docker_config(&serde_json::json!({
        "auths": { host.clone(): { "auth": basic("alice", "wrong") } },
        "credHelpers": { host.clone(): "test" },
    }));
    let run = sandbox.refresh_exits(0, &["-v"]);
    assert_stderr(
        &run,
        "credential helper docker-credential-test (credHelpers in",
    );
    assert_eq!(
        fs_err::read_to_string(&calls).unwrap(),
        format!("get {host}\n")
    );
    assert_no_secret(&run, &sandbox.lock(), &["s3cret"]);
}

#[test]
fn token_auth_anonymous_private_denied_and_credentials_for_the_realm_only() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = TokenServer::start(dir.path(), &[("alice", "s3cret")]);
    let registry = Registry::start(&tokens.auth_yaml());
    let host = registry.host();
    let pusher = Pusher {
        port: registry.port,
        auth: Box::new(|repo| {
            Some(format!(
                "Bearer {}",
                tokens.token(("alice", "s3cret"), repo, "pull,push")
            ))
        }),
    };
    let public = push_image(&pusher, "demo/app", Kind::OciIndex, &["1.0.0", "1.1.0"]);
    push_image(&pusher, "priv/app", Kind::DockerV2, &["3.0.0"]);
    let before = tokens.server.requests().len();

    let sandbox = Sandbox::with_flux(&[
        repository("public", &format!("{host}/demo/app"), ""),
        policy("public", "public", "1.x", "IfNotPresent"),
        repository("private", &format!("{host}/priv/app"), ""),
    ]);
    let old =
        format!("version: 1\nimages:\n  \"{host}/priv/app\":\n    tags:\n      - \"2.9.0\"\n");
    sandbox.write_lock(&old);

    // Anonymous: the public repository through an anonymous token; the private one denied
    // (the token grants nothing), its previous entry kept, exit 2.
    let run = sandbox.refresh_exits(2, &[]);
    assert_stderr(
        &run,
        &format!("cannot refresh `{host}/priv/app` (flux-system/private)"),
    );
    assert_stderr(&run, "insufficient_scope");
    let lock = sandbox.lock();
    assert_eq!(
        locked_tags(&lock, &format!("{host}/demo/app")),
        ["1.0.0", "1.1.0"]
    );
    assert_eq!(
        locked_digest(&lock, &format!("{host}/demo/app"), "1.1.0"),
        Some(public)
    );
    assert_eq!(locked_tags(&lock, &format!("{host}/priv/app")), ["2.9.0"]);
    let anonymous = &tokens.server.requests()[before..];
    assert!(
        !anonymous.is_empty()
            && anonymous
                .iter()
                .all(|r| r.header("authorization").is_none())
    );

    // With credentials: Basic goes to the token realm (with account=alice), never elsewhere.
    sandbox.docker_config(
        &serde_json::json!({ "auths": { host.clone(): { "auth": basic("alice", "s3cret") } } }),
    );
    let before = tokens.server.requests().len();
    let run = sandbox.refresh_exits(0, &[]);
    assert_eq!(
        locked_tags(&sandbox.lock(), &format!("{host}/priv/app")),
        ["3.0.0"]
    );
    let with_creds = &tokens.server.requests()[before..];
    assert!(
        with_creds
            .iter()
            .all(|r| r.header("authorization")
                == Some(&format!("Basic {}", basic("alice", "s3cret"))))
    );
    assert!(with_creds
        .iter()
        .any(|r| r.query("account").as_deref() == Some("alice")
            && r.query_all("scope") == ["repository:priv/app:pull"]));
    assert_no_secret(&run, &sandbox.lock(), &["s3cret"]);
}

/// HTTPS end to end: the registry serves TLS with a certificate for a DNS name, signed by a CA
/// made for the test. `--resolve` pins that name to 127.0.0.1 (nothing else is ever reached;
/// a loopback address in the image would mean plain HTTP, as in Flux).
#[test]
fn https_with_a_custom_ca_and_a_pinned_address() {
    const NAME: &str = "registry.imagelock.test";
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::generate(dir.path(), NAME);
    // Pushed over plain HTTP to one registry, served over HTTPS by another on the same storage.
    let plain = Registry::start("");
    let pusher = Pusher::anonymous(plain.port);
    let digest = push_image(&pusher, "demo/app", Kind::OciManifest, &["1.0.0", "1.1.0"]);
    let tls = Registry::start_with("", Some(&pki), Some(&plain.storage));
    let host = format!("{NAME}:{}", tls.port);
    let image = format!("{host}/demo/app");
    let pin = format!("{host}:127.0.0.1");

    let sandbox = Sandbox::with_flux(&[
        repository("app", &image, ""),
        policy("app", "app", "1.x", "IfNotPresent"),
    ]);
    let ca: &[(&str, &std::path::Path)] = &[("SSL_CERT_FILE", &pki.ca)];

    let run = sandbox.imagelock_env(ca, &["refresh", "--resolve", &pin]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lock = sandbox.lock();
    assert_eq!(locked_tags(&lock, &image), ["1.0.0", "1.1.0"]);
    assert_eq!(locked_digest(&lock, &image, "1.1.0"), Some(digest));

    // A new tag, and no CA: the certificate is not trusted. Exit 2, the registry named, the
    // lock untouched.
    push_image(&pusher, "demo/app", Kind::OciManifest, &["1.2.0"]);
    let run = sandbox.refresh_exits(2, &["--resolve", &pin]);
    assert_stderr(&run, &format!("cannot refresh `{image}` (flux-system/app)"));
    assert_stderr(&run, &format!("https://{host}/v2/"));
    assert_stderr(&run, "UnknownIssuer");
    assert_stderr(&run, "SSL_CERT_FILE");
    assert_eq!(sandbox.lock(), lock);

    // The CA again: the new tag is taken.
    let run = sandbox.imagelock_env(ca, &["refresh", "--resolve", &pin]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        locked_tags(&sandbox.lock(), &image),
        ["1.0.0", "1.1.0", "1.2.0"]
    );
}

/// `spec.suspend: true`: Flux does not scan the repository, and a refresh does not either — its
/// lock entry stays as it was — unless `--repository` names it.
#[test]
fn suspended_repositories_are_skipped_unless_named() {
    let registry = Registry::start("");
    let host = registry.host();
    let pusher = Pusher::anonymous(registry.port);
    push_image(&pusher, "demo/live", Kind::OciManifest, &["1.0.0", "1.1.0"]);
    let asleep = push_image(&pusher, "demo/asleep", Kind::OciIndex, &["2.0.0", "2.1.0"]);
    let (live, asleep_image) = (format!("{host}/demo/live"), format!("{host}/demo/asleep"));
    let sandbox = Sandbox::with_flux(&[
        repository("live", &live, ""),
        repository("asleep", &asleep_image, "  suspend: true\n"),
        policy("asleep", "asleep", "2.x", "IfNotPresent"),
    ]);
    let old = format!(
        "version: 1\nimages:\n  \"{asleep_image}\":\n    tags:\n      - \"1.9.0\"\n    digests:\n      \"1.9.0\": \"sha256:{}\"\n",
        "b".repeat(64)
    );
    sandbox.write_lock(&old);

    let run = sandbox.refresh_exits(0, &["-v"]);
    assert_stderr(&run, "Refreshed 1 images: 2 tags, 0 digests fetched, 0 kept, 1 suspended ImageRepository skipped (its entry kept)");
    assert_stderr(&run, &format!("ImageRepository flux-system/asleep is suspended (spec.suspend: true): `{asleep_image}` is not refreshed, its lock entry is kept"));
    let lock = sandbox.lock();
    assert_eq!(locked_tags(&lock, &live), ["1.0.0", "1.1.0"]);
    assert_eq!(locked_tags(&lock, &asleep_image), ["1.9.0"], "untouched");
    assert_eq!(
        locked_digest(&lock, &asleep_image, "1.9.0"),
        Some(format!("sha256:{}", "b".repeat(64)))
    );
    assert_eq!(sandbox.refresh(&["--locked"]).code, 0, "nothing to change");

    // Named: refreshed all the same, and said so.
    let run = sandbox.refresh_exits(0, &["--repository", "flux-system/asleep"]);
    assert!(
        run.stderr.contains("ImageRepository flux-system/asleep is suspended (spec.suspend: true); refreshed all the same, as --repository names it"),
        "{}",
        run.stderr
    );
    let lock = sandbox.lock();
    assert_eq!(locked_tags(&lock, &asleep_image), ["2.0.0", "2.1.0"]);
    assert_eq!(locked_digest(&lock, &asleep_image, "2.1.0"), Some(asleep));
    assert_eq!(locked_tags(&lock, &live), ["1.0.0", "1.1.0"]);
}
