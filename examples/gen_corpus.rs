//! A deterministic benchmark corpus: `cargo run --release --example gen_corpus -- KIND OUT`.
//!
//! - `monorepo-10k`: 10,000 manifests (Deployments, StatefulSets, Services, ConfigMaps,
//!   HelmReleases, Kustomizations, HPAs; 2–4 KB each; some multi-document) in nested
//!   directories, with 1,000 markers in 800 of them (all four forms, plus head comments above
//!   sequence items), 200 ImageRepositories and 200 ImagePolicies (semver, numerical and
//!   alphabetical, with `filterTags`) in one file each, one ImageUpdateAutomation, and an
//!   `images.lock` of 200 images × 300 tags.
//! - `monorepo-100k`: the same tree grown tenfold: 100,000 manifests, 10,000 markers in 8,000
//!   of them, the same 200 policies and lock.
//! - `dense-2k`: 2,000 manifests that all carry markers (2,500 markers), the same 200 policies in
//!   one multi-document file, and the same lock.
//!
//! `--stale-percent N` (default 25) makes that share of the markers hold an older value than the
//! lock resolves to. Besides the tree, `OUT.targets.json` records what every policy resolves to,
//! for scripts that rewrite markers without imagelock (`bench/ruamel_fix.py`).
//! The same arguments always give the same bytes.

// A command-line tool: it reports on stdout and stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use imagelock::image::ImageName;
use imagelock::lock::{self, ImageEntry, Lock, LockedDigest, Timestamp};

const POLICIES: usize = 200;
const TAGS: usize = 300;
const NS: &str = "flux-system";

/// splitmix64: small, fast and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    fn hex(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len);
        while s.len() < len {
            let _ = write!(s, "{:016x}", self.next());
        }
        s.truncate(len);
        s
    }

    fn word(&mut self) -> &'static str {
        const WORDS: &[&str] = &[
            "alpha", "bravo", "cargo", "delta", "ember", "falcon", "garnet", "harbor", "indigo",
            "juniper", "kepler", "lumen", "meridian", "nimbus", "orbit", "prism", "quartz",
            "raven", "sierra", "tundra", "umber", "vector", "willow", "xenon", "yonder", "zephyr",
        ];
        WORDS[self.below(WORDS.len())]
    }
}

/// One ImageRepository + ImagePolicy pair, with its tags and what it resolves to.
struct Policy {
    name: String,
    image: String,
    kind: PolicyKind,
    reflect_digest: bool,
    tags: Vec<String>,
    winner: String,
    digest: String,
    stale_digest: String,
}

enum PolicyKind {
    Semver(&'static str),
    Numerical,
    Alphabetical,
}

impl Policy {
    fn new(i: usize, rng: &mut Rng) -> Self {
        let name = format!("app-{i:03}");
        let image = format!("registry.example.com/team-{:02}/{name}", i % 20);
        let (kind, tags, winner) = match i % 4 {
            0 | 1 => {
                let ranges = [
                    (">=1.0.0 <2.0.0", "1.9.9"),
                    ("~1.4", "1.4.9"),
                    ("^2.1", "2.9.9"),
                    ("1.x", "1.9.9"),
                ];
                let (range, winner) = ranges[(i / 4 + i % 4) % ranges.len()];
                let mut tags = Vec::with_capacity(TAGS);
                for major in 0..3 {
                    for minor in 0..10 {
                        for patch in 0..10 {
                            tags.push(format!("{major}.{minor}.{patch}"));
                        }
                    }
                }
                (PolicyKind::Semver(range), tags, winner.to_owned())
            }
            2 => {
                let tags: Vec<String> = (0..TAGS)
                    .map(|k| format!("main-{}-{}", rng.hex(7), 1_700_000_000 + k * 3607))
                    .collect();
                let winner = tags[TAGS - 1].clone();
                (PolicyKind::Numerical, tags, winner)
            }
            _ => {
                let tags: Vec<String> = (0..TAGS)
                    .map(|k| format!("{}-{}", date(k), rng.hex(7)))
                    .collect();
                let winner = tags[TAGS - 1].clone();
                (PolicyKind::Alphabetical, tags, winner)
            }
        };
        Self {
            name,
            image,
            kind,
            reflect_digest: i % 25 == 0,
            tags,
            winner,
            digest: format!("sha256:{}", rng.hex(64)),
            stale_digest: format!("sha256:{}", rng.hex(64)),
        }
    }

    /// A tag the policy accepts but does not pick: the value of a stale marker.
    fn stale_tag(&self, rng: &mut Rng) -> String {
        match self.kind {
            PolicyKind::Semver(_) => {
                let w: Vec<usize> = self.winner.split('.').map(|p| p.parse().unwrap()).collect();
                format!("{}.{}.{}", w[0], w[1], rng.below(9))
            }
            _ => self.tags[TAGS - 2 - rng.below(50)].clone(),
        }
    }

    fn full(&self, tag: &str, digest: &str) -> String {
        if self.reflect_digest {
            format!("{}:{tag}@{digest}", self.image)
        } else {
            format!("{}:{tag}", self.image)
        }
    }

    fn declarations(&self, out: &mut String) {
        let _ = write!(
            out,
            "apiVersion: image.toolkit.fluxcd.io/v1\n\
             kind: ImageRepository\n\
             metadata:\n  name: {name}\n  namespace: {NS}\n\
             spec:\n  image: {image}\n  interval: 10m\n  provider: generic\n\
             ---\n\
             apiVersion: image.toolkit.fluxcd.io/v1\n\
             kind: ImagePolicy\n\
             metadata:\n  name: {name}\n  namespace: {NS}\n\
             spec:\n  imageRepositoryRef:\n    name: {name}\n",
            name = self.name,
            image = self.image,
        );
        if self.reflect_digest {
            out.push_str("  digestReflectionPolicy: IfNotPresent\n");
        }
        match self.kind {
            PolicyKind::Semver(range) => {
                let _ = write!(out, "  policy:\n    semver:\n      range: '{range}'\n");
            }
            PolicyKind::Numerical => out.push_str(
                "  filterTags:\n    pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)$'\n    extract: '$ts'\n\
                 \x20 policy:\n    numerical:\n      order: asc\n",
            ),
            PolicyKind::Alphabetical => out.push_str(
                "  filterTags:\n    pattern: '^(?P<day>[0-9]{4}\\.[0-9]{2}\\.[0-9]{2})-[a-f0-9]+$'\n    extract: '$day'\n\
                 \x20 policy:\n    alphabetical:\n      order: asc\n",
            ),
        }
    }
}

/// `2024.01.01` plus `k` days.
fn date(mut k: usize) -> String {
    const DAYS: [usize; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut month = 0;
    while k >= DAYS[month] {
        k -= DAYS[month];
        month += 1;
    }
    format!("2024.{:02}.{:02}", month + 1, k + 1)
}

/// The marked file forms, by marked-file index modulo 8.
#[derive(Clone, Copy)]
enum Form {
    /// `image: REPO:TAG # {"$imagepolicy": "NS:NAME"}` in a Deployment.
    DeploymentFull,
    StatefulSetFull,
    /// `repository` (`:name`) and `tag` (`:tag`) in HelmRelease values.
    HelmNameTag,
    /// `newName` (`:name`) and `newTag` (`:tag`) in a kustomization.yaml.
    KustomizeNameTag,
    /// A head comment above a `- REPO:TAG` sequence item, in a second document.
    PrepullHeadComment,
    /// `digest` (`:digest`) in a kustomization.yaml.
    KustomizeDigest,
}

fn form_of(j: usize) -> Form {
    match j % 8 {
        0..=2 => Form::DeploymentFull,
        3 => Form::StatefulSetFull,
        4 => Form::HelmNameTag,
        5 => Form::KustomizeNameTag,
        6 => Form::PrepullHeadComment,
        _ => Form::KustomizeDigest,
    }
}

impl Form {
    fn file_name(self) -> &'static str {
        match self {
            Self::DeploymentFull | Self::PrepullHeadComment => "deployment.yaml",
            Self::StatefulSetFull => "statefulset.yaml",
            Self::HelmNameTag => "helmrelease.yaml",
            Self::KustomizeNameTag | Self::KustomizeDigest => "kustomization.yaml",
        }
    }
}

/// What a marked file's markers write, for the caller's count of expected changes.
struct Marks {
    markers: usize,
    stale: usize,
}

/// The resources a generated kustomization lists until its directory's files are known.
const KUSTOMIZATION_RESOURCES: &str =
    "resources:\n  - deployment.yaml\n  - service.yaml\n  - configmap.yaml\n  - hpa.yaml\n";

struct Gen<'a> {
    rng: Rng,
    policies: &'a [Policy],
    stale_percent: usize,
}

impl Gen<'_> {
    fn stale(&mut self) -> bool {
        self.rng.below(100) < self.stale_percent
    }

    fn marker(policy: &Policy, suffix: &str) -> String {
        format!("{{\"$imagepolicy\": \"{NS}:{}{suffix}\"}}", policy.name)
    }

    /// (tag, digest, stale) for one marker.
    fn values(&mut self, p: &Policy) -> (String, String, bool) {
        if self.stale() {
            (p.stale_tag(&mut self.rng), p.stale_digest.clone(), true)
        } else {
            (p.winner.clone(), p.digest.clone(), false)
        }
    }

    /// Padding lines of `key: value` pairs at `indent`, until `out` reaches `size` bytes.
    fn pad_env(&mut self, out: &mut String, indent: &str, size: usize) {
        let mut n = 0;
        while out.len() < size {
            let _ = write!(
                out,
                "{indent}- name: {}_{}_{n}\n{indent}  value: \"{}-{}\"\n",
                self.rng.word().to_uppercase(),
                self.rng.word().to_uppercase(),
                self.rng.word(),
                self.rng.below(10_000),
            );
            n += 1;
        }
    }

    fn header(&mut self, out: &mut String, team: usize, svc: &str) {
        let _ = writeln!(
            out,
            "# team-{team:02}/{svc}: owned by the {} squad",
            self.rng.word()
        );
    }

    fn metadata(&mut self, out: &mut String, name: &str, team: usize) {
        let _ = write!(
            out,
            "metadata:\n  name: {name}\n  namespace: team-{team:02}\n  labels:\n    \
             app.kubernetes.io/name: {name}\n    app.kubernetes.io/part-of: team-{team:02}\n    \
             app.kubernetes.io/managed-by: flux\n  annotations:\n    \
             example.com/owner: \"{}@example.com\"\n    example.com/revision: \"{}\"\n",
            self.rng.word(),
            self.rng.below(500),
        );
    }

    fn container(&mut self, out: &mut String, image_line: &str, name: &str, with_env: bool) {
        let _ = write!(
            out,
            "        - name: {name}\n          {image_line}\n          imagePullPolicy: IfNotPresent\n\
             \x20         ports:\n            - name: http\n              containerPort: {}\n\
             \x20         resources:\n            requests:\n              cpu: {}m\n              memory: {}Mi\n\
             \x20           limits:\n              memory: {}Mi\n\
             \x20         readinessProbe:\n            httpGet:\n              path: /healthz\n              port: http\n\
             \x20           periodSeconds: 10\n",
            8000 + self.rng.below(100),
            50 * self.rng.range(1, 8),
            64 * self.rng.range(1, 8),
            128 * self.rng.range(2, 16),
        );
        if with_env {
            out.push_str("          env:\n");
        }
    }

    /// A Deployment or StatefulSet; `image` is the main container's image line.
    fn workload(&mut self, kind: &str, team: usize, svc: &str, image: &str, size: usize) -> String {
        let mut out = String::with_capacity(size + 512);
        self.header(&mut out, team, svc);
        let _ = writeln!(out, "apiVersion: apps/v1\nkind: {kind}");
        self.metadata(&mut out, svc, team);
        let _ = write!(
            out,
            "spec:\n  replicas: {}\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: {svc}\n\
             \x20 template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: {svc}\n\
             \x20   spec:\n      serviceAccountName: {svc}\n      containers:\n",
            self.rng.range(1, 6),
        );
        let sidecar = format!(
            "image: docker.io/library/nginx:1.{}.{}",
            self.rng.range(20, 27),
            self.rng.below(5)
        );
        self.container(&mut out, &sidecar, "proxy", false);
        self.container(&mut out, image, "app", true);
        self.pad_env(&mut out, "            ", size);
        out
    }

    fn helmrelease(&mut self, team: usize, svc: &str, values: &str, size: usize) -> String {
        let mut out = String::with_capacity(size + 512);
        self.header(&mut out, team, svc);
        out.push_str("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n");
        self.metadata(&mut out, svc, team);
        let _ = write!(
            out,
            "spec:\n  interval: 10m\n  chart:\n    spec:\n      chart: generic-service\n      version: \"{}.{}.x\"\n\
             \x20     sourceRef:\n        kind: HelmRepository\n        name: charts\n        namespace: {NS}\n\
             \x20 values:\n    replicaCount: {}\n{values}    service:\n      type: ClusterIP\n      port: 80\n    env:\n",
            self.rng.range(1, 4),
            self.rng.below(10),
            self.rng.range(1, 6),
        );
        self.pad_env(&mut out, "      ", size);
        out
    }

    fn kustomization(&mut self, team: usize, svc: &str, images: &str, size: usize) -> String {
        let mut out = String::with_capacity(size + 512);
        self.header(&mut out, team, svc);
        let _ = write!(
            out,
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: team-{team:02}\n\
             {KUSTOMIZATION_RESOURCES}\
             commonLabels:\n  app.kubernetes.io/part-of: team-{team:02}\n{images}\
             configMapGenerator:\n  - name: {svc}-settings\n    literals:\n",
        );
        let mut n = 0;
        while out.len() < size {
            let _ = writeln!(
                out,
                "      - {}_{n}={}-{}",
                self.rng.word().to_uppercase(),
                self.rng.word(),
                self.rng.hex(12)
            );
            n += 1;
        }
        out
    }

    fn service(&mut self, team: usize, svc: &str, size: usize) -> String {
        let mut out = String::with_capacity(size + 512);
        self.header(&mut out, team, svc);
        out.push_str("apiVersion: v1\nkind: Service\n");
        self.metadata(&mut out, svc, team);
        let _ = write!(
            out,
            "spec:\n  type: ClusterIP\n  selector:\n    app.kubernetes.io/name: {svc}\n  ports:\n"
        );
        let mut n = 0;
        while out.len() < size {
            let _ = write!(
                out,
                "    - name: {}-{n}\n      port: {}\n      targetPort: {}\n      protocol: TCP\n",
                self.rng.word(),
                80 + n,
                8000 + self.rng.below(1000)
            );
            n += 1;
        }
        out
    }

    fn configmap(&mut self, team: usize, svc: &str, size: usize) -> String {
        let mut out = String::with_capacity(size + 512);
        self.header(&mut out, team, svc);
        out.push_str("apiVersion: v1\nkind: ConfigMap\n");
        self.metadata(&mut out, &format!("{svc}-config"), team);
        out.push_str("data:\n  app.properties: |\n");
        while out.len() < size {
            let _ = writeln!(
                out,
                "    {}.{}={}",
                self.rng.word(),
                self.rng.word(),
                self.rng.hex(16)
            );
        }
        let _ = writeln!(
            out,
            "  log-level: \"{}\"",
            ["debug", "info", "warn"][self.rng.below(3)]
        );
        out
    }

    fn hpa(&mut self, team: usize, svc: &str, size: usize) -> String {
        let mut out = String::with_capacity(size + 512);
        self.header(&mut out, team, svc);
        out.push_str("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n");
        self.metadata(&mut out, svc, team);
        let _ = write!(
            out,
            "spec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: {svc}\n\
             \x20 minReplicas: {}\n  maxReplicas: {}\n  metrics:\n",
            self.rng.range(1, 3),
            self.rng.range(4, 20),
        );
        while out.len() < size {
            let _ = write!(
                out,
                "    - type: Resource\n      resource:\n        name: {}\n        target:\n          type: Utilization\n          averageUtilization: {}\n",
                ["cpu", "memory"][self.rng.below(2)],
                self.rng.range(50, 90),
            );
        }
        out
    }

    /// The file `form` names, carrying markers for `policy`.
    fn marked(
        &mut self,
        form: Form,
        team: usize,
        svc: &str,
        p: &Policy,
        size: usize,
    ) -> (String, Marks) {
        let mut marks = Marks {
            markers: 0,
            stale: 0,
        };
        let value = |g: &mut Self, marks: &mut Marks| {
            let v = g.values(p);
            marks.markers += 1;
            marks.stale += usize::from(v.2);
            v
        };
        let text = match form {
            Form::DeploymentFull | Form::StatefulSetFull => {
                let (tag, digest, _) = value(self, &mut marks);
                let line = format!("image: {} # {}", p.full(&tag, &digest), Self::marker(p, ""));
                let kind = match form {
                    Form::DeploymentFull => "Deployment",
                    _ => "StatefulSet",
                };
                self.workload(kind, team, svc, &line, size)
            }
            Form::PrepullHeadComment => {
                let (tag, digest, _) = value(self, &mut marks);
                let image = format!("image: {}:{}", p.image, p.winner);
                let mut out =
                    self.workload("Deployment", team, svc, &image, size.saturating_sub(600));
                let _ = write!(
                    out,
                    "---\napiVersion: cache.example.com/v1\nkind: ImagePrepull\nmetadata:\n  name: {svc}\n  namespace: team-{team:02}\n\
                     spec:\n  nodeSelector:\n    pool: general\n  images:\n    - docker.io/library/busybox:1.36\n    # {}\n    - {}\n    - docker.io/library/alpine:3.20\n",
                    Self::marker(p, ""),
                    p.full(&tag, &digest),
                );
                out
            }
            Form::HelmNameTag => {
                let (tag, _, _) = value(self, &mut marks);
                marks.markers += 1; // `:name`: only tags move, the name is always in sync.
                let quote = if self.rng.below(2) == 0 { "\"" } else { "" };
                let values = format!(
                    "    image:\n      repository: {} # {}\n      tag: {quote}{tag}{quote} # {}\n      pullPolicy: IfNotPresent\n",
                    p.image,
                    Self::marker(p, ":name"),
                    Self::marker(p, ":tag"),
                );
                self.helmrelease(team, svc, &values, size)
            }
            Form::KustomizeNameTag => {
                let (tag, _, _) = value(self, &mut marks);
                marks.markers += 1;
                let images = format!(
                    "images:\n  - name: app\n    newName: {} # {}\n    newTag: {tag} # {}\n",
                    p.image,
                    Self::marker(p, ":name"),
                    Self::marker(p, ":tag"),
                );
                self.kustomization(team, svc, &images, size)
            }
            Form::KustomizeDigest => {
                let (_, digest, _) = value(self, &mut marks);
                let images = format!(
                    "images:\n  - name: app\n    newName: {}\n    digest: {digest} # {}\n",
                    p.image,
                    Self::marker(p, ":digest"),
                );
                self.kustomization(team, svc, &images, size)
            }
        };
        (text, marks)
    }
}

struct Args {
    kind: String,
    out: PathBuf,
    stale_percent: usize,
    seed: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut positional = Vec::new();
    let mut stale_percent = 25;
    let mut seed = 7;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--stale-percent" => {
                stale_percent = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|v| *v <= 100)
                    .ok_or("--stale-percent takes 0..=100")?;
            }
            "--seed" => {
                seed = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--seed takes a number")?;
            }
            _ => positional.push(arg),
        }
    }
    let [kind, out] = <[String; 2]>::try_from(positional).map_err(|_| {
        "usage: gen_corpus monorepo-10k|monorepo-100k|dense-2k OUT_DIR [--stale-percent N] [--seed N]"
    })?;
    if !["monorepo-10k", "monorepo-100k", "dense-2k"].contains(&kind.as_str()) {
        return Err(format!(
            "unknown corpus `{kind}`: monorepo-10k, monorepo-100k or dense-2k"
        ));
    }
    Ok(Args {
        kind,
        out: PathBuf::from(out),
        stale_percent,
        seed,
    })
}

fn write(root: &Path, rel: &str, text: &str) -> std::io::Result<()> {
    let path = root.join(rel);
    if let Some(dir) = path.parent() {
        fs_err::create_dir_all(dir)?;
    }
    fs_err::write(path, text)
}

fn automation() -> String {
    format!(
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageUpdateAutomation\nmetadata:\n  name: {NS}\n  namespace: {NS}\n\
         spec:\n  interval: 30m\n  sourceRef:\n    kind: GitRepository\n    name: {NS}\n  git:\n    checkout:\n      ref:\n        branch: main\n\
         \x20   commit:\n      author:\n        email: fluxcdbot@users.noreply.github.com\n        name: fluxcdbot\n\
         \x20     messageTemplate: 'Update images'\n    push:\n      branch: main\n  update:\n    path: ./\n    strategy: Setters\n"
    )
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("gen_corpus: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen_corpus: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<String, Box<dyn std::error::Error>> {
    if args.out.exists() {
        fs_err::remove_dir_all(&args.out)?;
    }
    fs_err::create_dir_all(&args.out)?;
    let root = args.out.as_path();
    let mut rng = Rng(args.seed);
    let policies: Vec<Policy> = (0..POLICIES).map(|i| Policy::new(i, &mut rng)).collect();

    // The lock, written by imagelock's own writer.
    let mut lock = Lock::new();
    // One refresh time for every tag, as after a first refresh: fixed, so the corpus is too.
    let seen = Timestamp::from_unix(1_795_953_600).ok_or("time out of range")?;
    lock.refreshed = Some(seen);
    for p in &policies {
        let canonical = ImageName::parse(&p.image)?.canonical();
        let entry = ImageEntry {
            tags: p.tags.iter().map(|t| (t.clone(), Some(seen))).collect(),
            digests: [(p.winner.clone(), LockedDigest::new(&p.digest, Some(seen)))]
                .into_iter()
                .collect(),
        };
        lock.images.insert(canonical, entry);
    }
    write(root, "images.lock", &lock::to_string(&lock))?;
    write(root, ".gitignore", "/build/\n*.tmp\n")?;

    let mut files = 0;
    let dense = args.kind == "dense-2k";
    if dense {
        let mut text = String::new();
        for (i, p) in policies.iter().enumerate() {
            if i > 0 {
                text.push_str("---\n");
            }
            p.declarations(&mut text);
        }
        text.push_str("---\n");
        text.push_str(&automation());
        write(
            root,
            "clusters/prod/flux-system/image-automation.yaml",
            &text,
        )?;
        files += 1;
    } else {
        for p in &policies {
            let mut text = format!("# Image automation for {}\n", p.name);
            p.declarations(&mut text);
            write(
                root,
                &format!("clusters/prod/flux-system/images/{}.yaml", p.name),
                &text,
            )?;
        }
        write(
            root,
            "clusters/prod/flux-system/image-automation.yaml",
            &automation(),
        )?;
        files += POLICIES + 1;
    }

    let mut gen = Gen {
        rng: Rng(args.seed ^ 0x5EED),
        policies: &policies,
        stale_percent: args.stale_percent,
    };
    let (total, marked_files) = match args.kind.as_str() {
        "dense-2k" => (2001, 2000),
        "monorepo-100k" => (100_000, 8_000),
        _ => (10_000, 800),
    };
    let services = if dense {
        2000
    } else {
        (total - files).div_ceil(5)
    };
    // Which services carry a marked file: spread evenly and deterministically.
    let marked_services: Vec<usize> = (0..marked_files)
        .map(|j| j * services / marked_files)
        .collect();
    let mut markers = 0;
    let mut stale = 0;
    let mut j = 0;
    let mut s = 0;
    while files < total && s < services {
        let team = s % 40;
        let svc = format!("svc-{s:04}");
        let dir = format!(
            "apps/team-{team:02}/{}/{svc}",
            ["base", "prod", "staging"][s % 3]
        );
        let marked = marked_services.get(j) == Some(&s);
        let form = marked.then(|| form_of(j));
        let mut emitted: Vec<(String, String)> = Vec::new();
        if let Some(form) = form {
            let p = &gen.policies[(j * 7 + s) % POLICIES];
            let size = gen.rng.range(2048, 4096);
            let (text, marks) = gen.marked(form, team, &svc, p, size);
            markers += marks.markers;
            stale += marks.stale;
            emitted.push((form.file_name().to_owned(), text));
            j += 1;
        }
        if !dense {
            let names = [
                "deployment.yaml",
                "service.yaml",
                "configmap.yaml",
                "kustomization.yaml",
                "hpa.yaml",
            ];
            for name in names {
                if files + emitted.len() >= total {
                    break;
                }
                if emitted.iter().any(|(n, _)| n == name)
                    || (name == "deployment.yaml"
                        && emitted
                            .iter()
                            .any(|(n, _)| n == "statefulset.yaml" || n == "helmrelease.yaml"))
                {
                    continue;
                }
                let size = gen.rng.range(2048, 4096);
                let text = match name {
                    "deployment.yaml" => {
                        let image = format!(
                            "image: registry.example.com/team-{:02}/{svc}:{}.{}.{}",
                            team % 20,
                            gen.rng.below(3),
                            gen.rng.below(10),
                            gen.rng.below(10)
                        );
                        let multi = s % 5 == 0;
                        let size = if multi { size - 700 } else { size };
                        let mut t = gen.workload("Deployment", team, &svc, &image, size);
                        if multi {
                            // Multi-document: the Service in the same file.
                            t.push_str("---\n");
                            t.push_str(&gen.service(team, &svc, 600));
                        }
                        t
                    }
                    "service.yaml" => gen.service(team, &svc, size),
                    "configmap.yaml" => gen.configmap(team, &svc, size),
                    "kustomization.yaml" => gen.kustomization(team, &svc, "", size),
                    _ => gen.hpa(team, &svc, size),
                };
                emitted.push((name.to_owned(), text));
            }
        }
        // A kustomization lists the resources its directory really has: kustomize (and so
        // imagelock's build) fails on a missing one.
        let listed: String = emitted
            .iter()
            .filter(|(n, _)| n != "kustomization.yaml")
            .map(|(n, _)| format!("  - {n}\n"))
            .collect();
        for (name, text) in &mut emitted {
            if name == "kustomization.yaml" {
                *text = text.replace(KUSTOMIZATION_RESOURCES, &format!("resources:\n{listed}"));
            }
        }
        for (name, text) in &emitted {
            write(root, &format!("{dir}/{name}"), text)?;
        }
        files += emitted.len();
        s += 1;
    }

    let mut targets = serde_json::Map::new();
    for p in &policies {
        targets.insert(
            format!("{NS}:{}", p.name),
            serde_json::json!({
                "name": p.image,
                "tag": p.winner,
                "digest": p.digest,
                "reflect_digest": p.reflect_digest,
            }),
        );
    }
    let targets_path = PathBuf::from(format!("{}.targets.json", args.out.display()));
    fs_err::write(
        &targets_path,
        serde_json::to_string_pretty(&targets)? + "\n",
    )?;
    Ok(format!(
        "{}: {files} manifests, {markers} markers in {j} files ({stale} stale), {} policies, lock {}×{}",
        args.kind, POLICIES, POLICIES, TAGS
    ))
}
