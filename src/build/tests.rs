//! Builds of small repositories held in memory, against the outcomes kustomize-semantics.md
//! gives for each pattern.

use super::source::{Memory, Source};
use super::*;
use crate::flux_version::FluxVersion;

fn run(files: &[(&str, &str)]) -> Clusters {
    let source = Memory::new(files);
    let options = Options {
        flux_version: FluxVersion::NEWEST,
        default_namespace: "flux-system".into(),
    };
    build_clusters(&source as &dyn Source, &options)
}

/// `cluster: Kind ns/name key=value…` for the image objects; then the problems.
fn summary(c: &Clusters) -> Vec<String> {
    let mut out = Vec::new();
    for cluster in &c.clusters {
        for a in &cluster.objects {
            let r = &a.resource;
            if r.group != "image.toolkit.fluxcd.io" {
                continue;
            }
            let mut line = format!(
                "{}: {} {}/{}",
                cluster.name,
                r.kind,
                r.namespace().unwrap_or("-"),
                r.name()
            );
            for (label, path) in [
                ("range", &["spec", "policy", "semver", "range"][..]),
                ("pattern", &["spec", "filterTags", "pattern"][..]),
                ("order", &["spec", "policy", "numerical", "order"][..]),
                ("image", &["spec", "image"][..]),
            ] {
                if let Some(v) = r.node.at(path).and_then(Node::scalar_text) {
                    line.push_str(&format!(" {label}={v}"));
                }
            }
            out.push(line);
        }
    }
    for p in &c.problems {
        out.push(format!(
            "{} {}: {}",
            p.rule.code(),
            p.origin.file,
            p.message
        ));
    }
    out
}

const POLICY: &str = "apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: widget
  namespace: flux-system
spec:
  imageRepositoryRef:
    name: widget
  filterTags:
    pattern: ^${env}-
  policy:
    semver:
      range: 1.x
";

fn root(cluster: &str) -> String {
    format!(
        "apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux-system
  namespace: flux-system
spec:
  path: ./clusters/{cluster}
  sourceRef:
    kind: GitRepository
    name: flux-system
"
    )
}

fn apps(cluster: &str) -> String {
    format!(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  path: ./apps/{cluster}
  sourceRef:
    kind: GitRepository
    name: flux-system
  postBuild:
    substitute:
      env: {cluster}
"
    )
}

const FLUX_SYSTEM_K: &str =
    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - gotk-sync.yaml\n";

#[test]
fn two_clusters_from_one_base_as_in_the_worked_example() {
    let stage_root = root("stage");
    let live_root = root("live");
    let stage_apps = apps("stage");
    let live_apps = apps("live");
    let c = run(&[
        ("clusters/stage/flux-system/gotk-sync.yaml", &stage_root),
        ("clusters/stage/flux-system/kustomization.yaml", FLUX_SYSTEM_K),
        ("clusters/stage/apps.yaml", &stage_apps),
        ("clusters/live/flux-system/gotk-sync.yaml", &live_root),
        ("clusters/live/flux-system/kustomization.yaml", FLUX_SYSTEM_K),
        ("clusters/live/apps.yaml", &live_apps),
        ("apps/base/widget/policy.yaml", POLICY),
        ("apps/base/widget/kustomization.yaml", "resources: [policy.yaml]\n"),
        ("apps/stage/kustomization.yaml", "resources: [../base/widget]\n"),
        (
            "apps/live/kustomization.yaml",
            "resources: [../base/widget]\nnamePrefix: live-\npatches:\n  - target: {kind: ImagePolicy}\n    patch: |\n      - op: replace\n        path: /spec/policy/semver/range\n        value: ~1.2.0\n",
        ),
    ]);
    assert_eq!(
        summary(&c),
        [
            "clusters/live: ImagePolicy flux-system/live-widget range=~1.2.0 pattern=^live-",
            "clusters/stage: ImagePolicy flux-system/widget range=1.x pattern=^stage-",
        ]
    );
}

#[test]
fn the_namespace_of_a_kustomization_overrides_the_written_one() {
    let c = run(&[
        (
            "apps/kustomization.yaml",
            "namespace: apps\nresources: [policy.yaml]\n",
        ),
        ("apps/policy.yaml", POLICY),
    ]);
    assert_eq!(
        summary(&c),
        [": ImagePolicy apps/widget range=1.x pattern=^${env}-"]
    );
    assert_eq!(c.clusters.len(), 1);
}

#[test]
fn the_including_kustomization_decides_not_the_directory_above() {
    // `apps/team/policy.yaml` sits below `apps/` but is included by `overlay/`.
    let policy = POLICY.replace("  namespace: flux-system\n", "");
    let c = run(&[
        (
            "apps/kustomization.yaml",
            "namespace: wrong\nresources: []\n",
        ),
        ("apps/team/policy.yaml", &policy),
        (
            "overlay/kustomization.yaml",
            "namespace: right\nresources: [../apps/team/policy.yaml]\n",
        ),
    ]);
    assert_eq!(
        summary(&c),
        [": ImagePolicy right/widget range=1.x pattern=^${env}-"]
    );
}

#[test]
fn patches_strategic_merge_and_json6902_and_legacy_order() {
    let c = run(&[
        ("base/policy.yaml", POLICY),
        ("base/kustomization.yaml", "resources: [policy.yaml]\nnamePrefix: b-\n"),
        (
            "overlay/kustomization.yaml",
            "resources: [../base]\nnamespace: apps\nnamePrefix: o-\n\
             patchesStrategicMerge:\n  - smp.yaml\n\
             patches:\n  - path: numerical.yaml\n    target:\n      kind: ImagePolicy\n      name: widget\n\
             patchesJson6902:\n  - target: {kind: ImagePolicy, name: o-b-widget}\n    path: json.yaml\n",
        ),
        (
            "overlay/smp.yaml",
            "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: b-widget\n  namespace: flux-system\nspec:\n  filterTags: {pattern: '^v'}\n",
        ),
        (
            "overlay/numerical.yaml",
            "- op: remove\n  path: /spec/policy/semver\n- op: add\n  path: /spec/policy/numerical\n  value: {order: asc}\n",
        ),
        (
            "overlay/json.yaml",
            "- {op: replace, path: /spec/policy/numerical/order, value: desc}\n",
        ),
    ]);
    assert_eq!(
        summary(&c),
        [": ImagePolicy apps/o-b-widget pattern=^v order=desc"]
    );
    // The patch files are not objects.
    let files = c.clusters.iter().flat_map(|c| &c.objects);
    assert!(files
        .into_iter()
        .all(|a| &**a.resource.file() != "overlay/smp.yaml"));
}

#[test]
fn loud_where_flux_fails() {
    let c = run(&[
        ("a/kustomization.yaml", "resources: [p.yaml, missing.yaml]\n"),
        ("a/p.yaml", POLICY),
        // Reaches no file with an object imagelock reads: not built, so not reported.
        ("f/kustomization.yaml", "resources: [gone.yaml]\n"),
        ("b/kustomization.yaml", "resources: [p.yaml]\nfoo: 1\n"),
        ("b/p.yaml", POLICY),
        (
            "c/kustomization.yaml",
            "resources: [p.yaml]\npatchesStrategicMerge:\n  - |\n    apiVersion: image.toolkit.fluxcd.io/v1\n    kind: ImagePolicy\n    metadata: {name: nothing, namespace: flux-system}\n",
        ),
        ("c/p.yaml", POLICY),
        (
            "d/kustomization.yaml",
            "resources: [p.yaml]\npatches:\n  - target: {kind: ImagePolicy}\n    patch: '[{op: remove, path: /spec/filterTags/extract}]'\n",
        ),
        ("d/p.yaml", POLICY),
        ("e/kustomization.yaml", "resources:\n- https://github.com/org/repo//base?ref=v1\n"),
        // In brackets the `?` ends the plain value for libyaml's scanners (yaml.v3, and the
        // goyaml.v2 behind kustomize's reader), which then fail.
        ("g/kustomization.yaml", "resources: [https://github.com/org/repo//base?ref=v1]\n"),
    ]);
    let s = summary(&c);
    let codes: Vec<&str> = s.iter().map(|l| &l[..5]).collect();
    assert_eq!(
        codes,
        ["IL033", "IL032", "IL034", "IL036", "IL037", "IL032"],
        "{s:#?}"
    );
}

#[test]
fn substitution_from_config_maps_strict_and_escapes() {
    let root = root("one");
    let k = "apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  path: ./apps
  sourceRef:
    kind: GitRepository
    name: flux-system
  targetNamespace: team
  postBuild:
    substitute:
      app: orders
    substituteFrom:
      - kind: ConfigMap
        name: vars
";
    let vars = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: vars\n  namespace: flux-system\ndata:\n  minor: \"4\"\n";
    let policy = "apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: ${app}
spec:
  imageRepositoryRef:
    name: ${app}
  filterTags:
    pattern: '^$${v}'
  policy:
    semver:
      range: \"1.${minor}.x\"
";
    let c = run(&[
        ("clusters/one/flux-system/gotk-sync.yaml", &root),
        ("clusters/one/flux-system/kustomization.yaml", FLUX_SYSTEM_K),
        ("clusters/one/apps.yaml", k),
        ("clusters/one/vars.yaml", vars),
        ("apps/policy.yaml", policy),
    ]);
    assert_eq!(
        summary(&c),
        ["clusters/one: ImagePolicy team/orders range=1.4.x pattern=^${v}"]
    );
    let strict = policy.replace("1.${minor}.x", "${nothing}");
    let c = run(&[
        ("clusters/one/flux-system/gotk-sync.yaml", &root),
        ("clusters/one/flux-system/kustomization.yaml", FLUX_SYSTEM_K),
        ("clusters/one/apps.yaml", k),
        ("clusters/one/vars.yaml", vars),
        ("apps/policy.yaml", &strict),
    ]);
    let s = summary(&c);
    assert_eq!(s.len(), 1, "{s:#?}");
    assert!(
        s[0].starts_with("IL035 apps/policy.yaml: variable `nothing`"),
        "{s:#?}"
    );
}

#[test]
fn a_generated_kustomization_lists_files_and_kustomization_directories() {
    let root = root("one");
    let c = run(&[
        ("clusters/one/flux-system/gotk-sync.yaml", &root),
        ("clusters/one/flux-system/kustomization.yaml", FLUX_SYSTEM_K),
        ("clusters/one/policy.yaml", POLICY),
        (
            "clusters/one/sub/policy2.yml",
            &POLICY.replace("name: widget\n  namespace", "name: other\n  namespace"),
        ),
        ("clusters/one/k/kustomization.yaml", "resources: []\n"),
        (
            "clusters/one/k/unlisted.yaml",
            &POLICY.replace("name: widget\n  namespace", "name: unlisted\n  namespace"),
        ),
        ("clusters/one/notes.json", "{}"),
    ]);
    assert_eq!(
        summary(&c),
        [
            "clusters/one: ImagePolicy flux-system/widget range=1.x pattern=^${env}-",
            "clusters/one: ImagePolicy flux-system/other range=1.x pattern=^${env}-",
        ]
    );
}

#[test]
fn components_transform_everything_accumulated() {
    let c = run(&[
        ("app/kustomization.yaml", "resources: [p.yaml]\ncomponents: [../comp]\n"),
        ("app/p.yaml", POLICY),
        (
            "comp/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n  - target: {kind: ImagePolicy}\n    patch: |\n      - {op: replace, path: /spec/policy/semver/range, value: 2.x}\n",
        ),
    ]);
    assert_eq!(
        summary(&c),
        [": ImagePolicy flux-system/widget range=2.x pattern=^${env}-"]
    );
}
