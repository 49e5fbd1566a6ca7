//! `adopt` end to end against Debian's `docker-registry`: adopt a repository with no automation
//! (workloads, a HelmRelease's values, a kustomization's `images:`), refresh, check passes; new
//! tags are pushed, refresh, and `fix` changes exactly the values `adopt` marked.

use super::distribution::{push_image, Kind, Pusher, Registry};
use super::Sandbox;

fn lines_changed(before: &str, after: &str) -> Vec<(String, String)> {
    before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect()
}

#[test]
fn adopt_then_refresh_check_and_fix_a_new_tag() {
    let registry = Registry::start("");
    let host = registry.host();
    let pusher = Pusher::anonymous(registry.port);
    push_image(
        &pusher,
        "acme/web",
        Kind::OciManifest,
        &["1.4.1", "1.4.2", "0.9.0"],
    );
    push_image(
        &pusher,
        "acme/report",
        Kind::OciIndex,
        &["main-abc1234-1706659200", "dev-abc1234-1806659200"],
    );
    let sandbox = Sandbox::new();
    sandbox.file(
        "apps/web.yaml",
        &format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      initContainers:\n        - name: migrate\n          image: {host}/acme/web:1.4.2\n      containers:\n        - name: web\n          image: \"{host}/acme/web:1.4.2\"\n        - name: cache\n          image: redis:latest\n"
        ),
    );
    sandbox.file(
        "apps/jobs.yaml",
        &format!(
            "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: report\nspec:\n  schedule: \"0 3 * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n            - name: report\n              image: {host}/acme/report:main-abc1234-1706659200\n"
        ),
    );
    // A HelmRelease's `repository`/`tag` values and a kustomization's `images:` entry.
    push_image(&pusher, "acme/api", Kind::DockerV2, &["2.0.0"]);
    push_image(&pusher, "acme/worker", Kind::OciManifest, &["0.3.0"]);
    sandbox.file(
        "apps/api.yaml",
        &format!(
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: api\n  namespace: apps\nspec:\n  interval: 10m\n  chart:\n    spec:\n      chart: api\n  values:\n    image:\n      repository: {host}/acme/api\n      tag: 2.0.0\n"
        ),
    );
    sandbox.file(
        "apps/kustomization.yaml",
        &format!(
            "resources:\n  - web.yaml\n  - jobs.yaml\n  - api.yaml\nimages:\n  - name: worker\n    newName: {host}/acme/worker\n    newTag: 0.3.0\n"
        ),
    );
    let original_web = fs_err::read_to_string(sandbox.repo().join("apps/web.yaml")).unwrap();

    // Dry run: a diff, exit 1, nothing written.
    let dry = sandbox.imagelock(&["adopt"]);
    assert_eq!(dry.code, 1, "{}{}", dry.stdout, dry.stderr);
    assert!(
        dry.stdout.contains("+++ b/apps/web-image.yaml"),
        "{}",
        dry.stdout
    );
    assert_eq!(
        fs_err::read_to_string(sandbox.repo().join("apps/web.yaml")).unwrap(),
        original_web
    );
    let write = sandbox.imagelock(&["adopt", "--write"]);
    assert_eq!(write.code, 0, "{}{}", write.stdout, write.stderr);
    let adopted_web = fs_err::read_to_string(sandbox.repo().join("apps/web.yaml")).unwrap();
    let adopted_jobs = fs_err::read_to_string(sandbox.repo().join("apps/jobs.yaml")).unwrap();
    assert_eq!(adopted_web.matches("\"$imagepolicy\"").count(), 2);
    assert_eq!(adopted_jobs.matches("\"$imagepolicy\"").count(), 1);
    let adopted_api = fs_err::read_to_string(sandbox.repo().join("apps/api.yaml")).unwrap();
    let adopted_kustomization =
        fs_err::read_to_string(sandbox.repo().join("apps/kustomization.yaml")).unwrap();
    assert!(adopted_api.contains("tag: 2.0.0 # {\"$imagepolicy\": \"flux-system:api:tag\"}"));
    assert!(adopted_kustomization
        .contains("newTag: 0.3.0 # {\"$imagepolicy\": \"flux-system:worker:tag\"}"));
    assert!(
        adopted_kustomization.contains("  - web-image.yaml\n"),
        "{adopted_kustomization}"
    );

    // Refresh the new repositories; check passes without an edit, explain shows each policy.
    sandbox.refresh_exits(0, &[]);
    let check = sandbox.imagelock(&["check"]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
    for policy in [
        "flux-system:web",
        "flux-system:report",
        "flux-system:api",
        "flux-system:worker",
    ] {
        let explain = sandbox.imagelock(&["explain", policy]);
        assert_eq!(
            explain.code, 0,
            "{policy}: {}{}",
            explain.stdout, explain.stderr
        );
    }
    let explain = sandbox.imagelock(&["explain", "flux-system:web"]);
    assert!(explain.stdout.contains("1.4.2"), "{}", explain.stdout);

    // New tags: refresh, then fix moves exactly the adopted values.
    push_image(&pusher, "acme/web", Kind::OciManifest, &["1.4.3", "2.0.0"]);
    push_image(
        &pusher,
        "acme/report",
        Kind::OciIndex,
        &["main-def5678-1706745600"],
    );
    // The default range keeps the major: api 2.1.0 but not 3.0.0, worker 0.4.0 (`<1.0.0`).
    push_image(&pusher, "acme/api", Kind::DockerV2, &["2.1.0", "3.0.0"]);
    push_image(
        &pusher,
        "acme/worker",
        Kind::OciManifest,
        &["0.3.1", "0.4.0"],
    );
    sandbox.refresh_exits(0, &[]);
    let drift = sandbox.imagelock(&["check"]);
    assert_eq!(drift.code, 1, "{}", drift.stdout);
    let fix = sandbox.imagelock(&["fix"]);
    assert_eq!(fix.code, 0, "{}{}", fix.stdout, fix.stderr);
    let fixed_web = fs_err::read_to_string(sandbox.repo().join("apps/web.yaml")).unwrap();
    let fixed_jobs = fs_err::read_to_string(sandbox.repo().join("apps/jobs.yaml")).unwrap();
    let changed = lines_changed(&adopted_web, &fixed_web);
    assert_eq!(changed.len(), 2, "{changed:#?}");
    for (old, new) in &changed {
        assert!(
            old.contains("\"$imagepolicy\": \"flux-system:web\""),
            "{old}"
        );
        assert_eq!(new, &old.replace(":1.4.2", ":1.4.3"));
    }
    let changed = lines_changed(&adopted_jobs, &fixed_jobs);
    assert_eq!(changed.len(), 1, "{changed:#?}");
    assert_eq!(
        changed[0].1,
        changed[0]
            .0
            .replace("main-abc1234-1706659200", "main-def5678-1706745600")
    );
    assert_eq!(fixed_web.lines().count(), adopted_web.lines().count());
    let fixed_api = fs_err::read_to_string(sandbox.repo().join("apps/api.yaml")).unwrap();
    assert_eq!(
        lines_changed(&adopted_api, &fixed_api),
        [(
            "      tag: 2.0.0 # {\"$imagepolicy\": \"flux-system:api:tag\"}".to_owned(),
            "      tag: 2.1.0 # {\"$imagepolicy\": \"flux-system:api:tag\"}".to_owned()
        )]
    );
    let fixed_kustomization =
        fs_err::read_to_string(sandbox.repo().join("apps/kustomization.yaml")).unwrap();
    assert_eq!(
        lines_changed(&adopted_kustomization, &fixed_kustomization),
        [(
            "    newTag: 0.3.0 # {\"$imagepolicy\": \"flux-system:worker:tag\"}".to_owned(),
            "    newTag: 0.4.0 # {\"$imagepolicy\": \"flux-system:worker:tag\"}".to_owned()
        )]
    );
    let clean = sandbox.imagelock(&["check"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
    // Adopting again finds nothing.
    let again = sandbox.imagelock(&["adopt"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
}
