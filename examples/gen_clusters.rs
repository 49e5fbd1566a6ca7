//! A deterministic benchmark repository of 20 clusters built from one base with overlays:
//! `cargo run --release --example gen_clusters -- OUT`.
//!
//! - `clusters/cNN/` (20): the bootstrap files (`flux-system/gotk-sync.yaml` with the root
//!   Kustomization, its `kustomization.yaml`), an `apps` Kustomization building
//!   `apps/overlays/cNN` with a post-build substitution of the cluster's name, and an
//!   ImageUpdateAutomation for that overlay;
//! - `apps/base/svc-NNN/` (50 services): an ImageRepository and an ImagePolicy (semver), a
//!   Deployment and a Service, and their kustomization;
//! - `apps/overlays/cNN/`: all 50 services, common labels, and two patches per overlay (a
//!   JSON6902 range per cluster on every ImagePolicy, a strategic-merge interval); one values file
//!   per service with the marker, in sync with the lock;
//! - `images.lock`: 50 images × 40 tags.
//!
//! About 1,300 files, 1,000 markers, 1,000 policies across the clusters.

// A command-line tool: it reports on stdout and stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use imagelock::image::ImageName;
use imagelock::lock::{self, ImageEntry, Lock, Timestamp};

const CLUSTERS: usize = 20;
const SERVICES: usize = 50;

fn write(root: &Path, rel: &str, text: &str) -> std::io::Result<()> {
    let path = root.join(rel);
    if let Some(dir) = path.parent() {
        fs_err::create_dir_all(dir)?;
    }
    fs_err::write(path, text)
}

fn image(s: usize) -> String {
    format!("registry.example.com/team-{:02}/svc-{s:03}", s % 10)
}

/// The minor version cluster `c` allows: clusters spread over minors 1.0 to 1.3.
fn minor(c: usize) -> usize {
    c % 4
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out] = args.as_slice() else {
        eprintln!("usage: gen_clusters OUT_DIR");
        return ExitCode::from(2);
    };
    match run(Path::new(out)) {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen_clusters: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(root: &Path) -> Result<String, Box<dyn std::error::Error>> {
    if root.exists() {
        fs_err::remove_dir_all(root)?;
    }
    let mut files = 0;
    let mut put = |rel: &str, text: &str| -> std::io::Result<()> {
        files += 1;
        write(root, rel, text)
    };
    for s in 0..SERVICES {
        let dir = format!("apps/base/svc-{s:03}");
        put(
            &format!("{dir}/policy.yaml"),
            &format!(
                "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: svc-{s:03}\n  namespace: flux-system\n\
                 spec:\n  image: {}\n  interval: 10m\n---\n\
                 apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: svc-{s:03}\n  namespace: flux-system\n\
                 spec:\n  imageRepositoryRef:\n    name: svc-{s:03}\n  filterTags:\n    pattern: '^${{CLUSTER}}-(?P<v>.*)$|^(?P<v>[0-9.]+)$'\n    extract: '$v'\n\
                 \x20 policy:\n    semver:\n      range: 1.x\n",
                image(s)
            ),
        )?;
        put(
            &format!("{dir}/deployment.yaml"),
            &format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc-{s:03}\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: svc-{s:03}\n\
                 \x20 template:\n    metadata:\n      labels:\n        app: svc-{s:03}\n    spec:\n      containers:\n        - name: app\n          image: {}:1.0.0\n          ports:\n            - containerPort: 8080\n",
                image(s)
            ),
        )?;
        put(
            &format!("{dir}/service.yaml"),
            &format!("apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-{s:03}\nspec:\n  selector:\n    app: svc-{s:03}\n  ports:\n    - port: 80\n      targetPort: 8080\n"),
        )?;
        put(
            &format!("{dir}/kustomization.yaml"),
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - policy.yaml\n  - deployment.yaml\n  - service.yaml\n",
        )?;
    }
    let mut markers = 0;
    for c in 0..CLUSTERS {
        let name = format!("c{c:02}");
        put(
            &format!("clusters/{name}/flux-system/gotk-sync.yaml"),
            &format!(
                "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\n\
                 spec:\n  interval: 1m\n  ref:\n    branch: main\n  url: ssh://git@example.com/org/fleet\n---\n\
                 apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: flux-system\n  namespace: flux-system\n\
                 spec:\n  interval: 10m\n  path: ./clusters/{name}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
            ),
        )?;
        put(
            &format!("clusters/{name}/flux-system/kustomization.yaml"),
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - gotk-sync.yaml\n",
        )?;
        put(
            &format!("clusters/{name}/apps.yaml"),
            &format!(
                "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\n\
                 spec:\n  interval: 10m\n  path: ./apps/overlays/{name}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n\
                 \x20 postBuild:\n    substitute:\n      CLUSTER: {name}\n"
            ),
        )?;
        put(
            &format!("clusters/{name}/automation.yaml"),
            &format!(
                "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageUpdateAutomation\nmetadata:\n  name: flux-system\n  namespace: flux-system\n\
                 spec:\n  interval: 30m\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  git:\n    commit:\n      author:\n        email: fluxcdbot@users.noreply.github.com\n        name: fluxcdbot\n\
                 \x20 update:\n    path: ./apps/overlays/{name}\n    strategy: Setters\n"
            ),
        )?;
        let dir = format!("apps/overlays/{name}");
        let mut k = String::from(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n",
        );
        for s in 0..SERVICES {
            let _ = writeln!(k, "  - ../../base/svc-{s:03}");
        }
        let _ = write!(
            k,
            "commonLabels:\n  cluster: {name}\npatches:\n  - target:\n      kind: ImagePolicy\n      name: svc-.*\n    patch: |\n      - op: replace\n        path: /spec/policy/semver/range\n        value: ~1.{}.0\n  - path: interval.yaml\n    target:\n      kind: ImageRepository\n",
            minor(c)
        );
        put(&format!("{dir}/kustomization.yaml"), &k)?;
        put(
            &format!("{dir}/interval.yaml"),
            "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: not-used\nspec:\n  interval: 5m\n",
        )?;
        for s in 0..SERVICES {
            put(
                &format!("{dir}/values-svc-{s:03}.yaml"),
                &format!(
                    "replicaCount: 2\nimage: {}:1.{}.9 # {{\"$imagepolicy\": \"flux-system:svc-{s:03}\"}}\nresources:\n  limits:\n    memory: 256Mi\n",
                    image(s),
                    minor(c)
                ),
            )?;
            markers += 1;
        }
    }
    let mut lock = Lock::new();
    let seen = Timestamp::from_unix(1_795_953_600).ok_or("time out of range")?;
    lock.refreshed = Some(seen);
    for s in 0..SERVICES {
        let mut entry = ImageEntry::default();
        for minor in 0..4 {
            for patch in 0..10 {
                entry.tags.insert(format!("1.{minor}.{patch}"), Some(seen));
            }
        }
        lock.images
            .insert(ImageName::parse(&image(s))?.canonical(), entry);
    }
    put("images.lock", &lock::to_string(&lock))?;
    Ok(format!(
        "clusters-20: {files} files, {CLUSTERS} clusters, {SERVICES} services, {markers} markers"
    ))
}
