//! `imagelock refresh`: plan (`ops::refresh`), ask the registries (`registry`), write
//! `images.lock` (atomically, only when it changes), and report.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use miette::Diagnostic;

use super::args::{GlobalArgs, RefreshArgs};
use super::ExitStatus;
use crate::model::Model;
use crate::ops::refresh::{self as ops, RefreshError};
use crate::registry::refresh::{self as plan, Key};
use crate::registry::{
    AuthEnv, Client, CredentialStore, HttpOptions, HttpTransport, Live, RegistryError, Settings,
    SystemClock,
};

/// How long a `docker-credential-*` helper may take.
const HELPER_TIMEOUT: Duration = Duration::from_secs(30);

pub fn run(global: &GlobalArgs, args: &RefreshArgs) -> miette::Result<ExitStatus> {
    let started = Instant::now();
    let out = Output::new(global);
    // Setting up the HTTP client (a runtime thread, TLS configuration, CA files) overlaps with
    // reading the repository.
    let transport = Background::start(HttpOptions {
        ca_files: std::env::var_os("SSL_CERT_FILE")
            .filter(|v| !v.is_empty())
            .map(Into::into)
            .into_iter()
            .collect(),
        connect_timeout: None,
        pins: args.resolve.clone(),
    });
    let (now, now_source) = ops::now(
        args.now,
        std::env::var_os("SOURCE_DATE_EPOCH"),
        &SystemClock,
    )?;
    let options = super::options(global, &[])?;
    let lock_display = options
        .lockfile
        .strip_prefix(&options.workspace.root)
        .unwrap_or(&options.lockfile)
        .display()
        .to_string();
    let opened = ops::open(&options, &lock_display)?;
    if let Some(warning) = opened.unreadable {
        out.report(warning);
    }
    let (model, old_text) = (opened.model, opened.old_text);
    let old_lock = model.lock.as_ref();

    out.timing("read the repository", started);
    let planned = ops::plan_refresh(
        &model,
        old_lock,
        &args.repository,
        &options.config.default_namespace,
    )?;
    let mut failed = false;
    for key in &planned.invalid {
        failed = true;
        out.report(RefreshError::InvalidRepository {
            repository: key.slash(),
        });
    }
    let jobs = &planned.jobs;

    out.timing("plan", started);
    let suspended = &planned.suspended;
    for key in &suspended.named {
        out.info(format_args!(
            "ImageRepository {} is suspended (spec.suspend: true); refreshed all the same, as --repository names it",
            key.slash()
        ));
    }
    if global.verbose > 0 {
        for (key, image) in &suspended.skipped {
            out.verbose(format_args!(
                "ImageRepository {} is suspended (spec.suspend: true): `{image}` is not refreshed, its lock entry is kept",
                key.slash()
            ));
        }
        for (key, image) in &suspended.shared {
            out.verbose(format_args!(
                "ImageRepository {} is suspended (spec.suspend: true), but `{image}` is refreshed all the same: another ImageRepository names it (one lock entry per image)",
                key.slash()
            ));
        }
    }
    let credentials = CredentialStore::load(&AuthEnv::from_process(), HELPER_TIMEOUT)?;
    out.timing("credentials", started);
    if global.verbose > 0 {
        explain_credentials(&out, &model, jobs, &credentials);
        for pin in &args.resolve {
            out.verbose(format_args!(
                "--resolve: {}:{} connects to {}",
                pin.host, pin.port, pin.addr
            ));
        }
    }
    let client = Client::new(
        Arc::new(transport.wait()?),
        Arc::new(SystemClock),
        Settings {
            per_host: usize::from(args.per_host),
            ..Settings::default()
        },
    );
    let live = Live {
        client: &client,
        credentials: &credentials,
    };
    out.timing("HTTP client", started);
    let progress = Progress::new(&out, jobs.len());
    // No more workers than requests may be in flight: a worker beyond that would only wait.
    let hosts: BTreeSet<&str> = jobs.iter().map(|j| j.image.registry.as_str()).collect();
    let workers = usize::from(args.jobs).min(usize::from(args.per_host) * hosts.len());
    let outcomes = plan::run_all(&live, jobs, now, workers, &|done, total| {
        progress.update(done, total)
    });
    progress.finish();
    out.timing("registry requests", started);

    let mut stats = Stats::default();
    let mut entries = Vec::with_capacity(outcomes.len());
    for (job, outcome) in jobs.iter().zip(outcomes) {
        stats.add(&outcome);
        if let Ok(entry) = &outcome.entry {
            out.verbose(format_args!(
                "{}: {} tags, {} digests ({} fetched, {} kept)",
                job.canonical,
                entry.tags.len(),
                entry.digests.len(),
                outcome.fetched,
                outcome.kept
            ));
        }
        if outcome.invalid_tags > 0 {
            out.info(format_args!(
                "warning: `{}`: {} listed names are not valid tags and were dropped",
                job.canonical, outcome.invalid_tags
            ));
        }
        for (policy, why) in &outcome.unselected {
            out.verbose(format_args!(
                "policy {} selects no tag ({why}): no digest to lock",
                policy.slash()
            ));
        }
        match outcome.entry {
            Ok(entry) => entries.push((outcome.canonical, Some(entry))),
            Err(error) => {
                failed = true;
                out.report(RefreshError::Image {
                    image: job.canonical.clone(),
                    repositories: names(&job.repositories),
                    error,
                });
                entries.push((outcome.canonical, None));
            }
        }
        for f in outcome.digest_failures {
            failed = true;
            out.report(RefreshError::Digest {
                image: job.canonical.clone(),
                tag: f.tag,
                policies: names(&f.policies),
                error: f.error,
            });
        }
    }

    let mut merged = planned.merge(old_lock, entries);
    backfill(&options, &lock_display, &mut merged, &out);
    let stamped = ops::stamp(
        merged,
        old_lock,
        old_text.as_deref(),
        now,
        &ops::min_ages(&model),
    );
    out.verbose(format_args!(
        "now: {now} ({})",
        match now_source {
            ops::NowSource::Flag => "--now",
            ops::NowSource::SourceDateEpoch => "SOURCE_DATE_EPOCH",
            ops::NowSource::Clock => "the system clock",
        }
    ));
    for (image, n) in &stamped.untimed {
        out.verbose(format_args!(
            "{image}: {n} {} first seen: now (no earlier record)",
            if *n == 1 { "tag" } else { "tags" }
        ));
    }
    let text = stamped.text;
    let changed = old_text.as_deref() != Some(text.as_str());
    out.timing("lock built", started);

    for (host, limit) in client.rate_limits() {
        out.info(format_args!(
            "{host}: ratelimit-remaining {}{}",
            limit.remaining.as_deref().unwrap_or("?"),
            limit
                .limit
                .as_deref()
                .map(|l| format!(" (ratelimit-limit {l})"))
                .unwrap_or_default()
        ));
    }

    if args.locked {
        if failed {
            out.info(format_args!(
                "--locked: {lock_display} not checked, since some images could not be refreshed"
            ));
            return Ok(ExitStatus::Error);
        }
        if changed {
            out.report(RefreshError::Locked { path: lock_display });
            return Ok(ExitStatus::Failure);
        }
        out.info(format_args!(
            "{lock_display} is up to date ({} images{}, {:.2} s)",
            jobs.len(),
            suspended.summary(),
            started.elapsed().as_secs_f64()
        ));
        return Ok(ExitStatus::Success);
    }

    let written =
        crate::fs::write_atomic_if_changed(&options.lockfile, text.as_bytes()).map_err(|e| {
            miette::miette!(code = "imagelock::io", "cannot write `{lock_display}`: {e}")
        })?;
    out.timing("lock written", started);
    out.info(format_args!(
        "{} {} images: {} tags, {} digests fetched, {} kept{}{}; {lock_display} {} ({:.2} s)",
        if failed {
            "Partly refreshed"
        } else {
            "Refreshed"
        },
        jobs.len(),
        stats.tags,
        stats.fetched,
        stats.kept,
        if stats.failed > 0 {
            format!(", {} failed", stats.failed)
        } else {
            String::new()
        },
        suspended.summary(),
        if written { "updated" } else { "unchanged" },
        started.elapsed().as_secs_f64()
    ));
    Ok(if failed {
        ExitStatus::Error
    } else {
        ExitStatus::Success
    })
}

/// The HTTP transport, built on another thread.
enum Background {
    Running(std::thread::JoinHandle<Result<HttpTransport, RegistryError>>),
    /// The thread could not be started: built when needed.
    Inline(HttpOptions),
}

impl Background {
    fn start(options: HttpOptions) -> Self {
        let copy = options.clone();
        std::thread::Builder::new()
            .name("http-setup".into())
            .spawn(move || HttpTransport::new(&copy))
            .map_or(Self::Inline(options), Self::Running)
    }

    fn wait(self) -> Result<HttpTransport, RegistryError> {
        match self {
            Self::Running(handle) => handle.join().unwrap_or_else(|_| {
                Err(RegistryError::Client {
                    message: "setting up the HTTP client failed unexpectedly".into(),
                })
            }),
            Self::Inline(options) => HttpTransport::new(&options),
        }
    }
}

fn names(keys: &[Key]) -> String {
    let all: Vec<String> = keys.iter().map(Key::slash).collect();
    all.join(", ")
}

#[derive(Default)]
struct Stats {
    tags: usize,
    fetched: usize,
    kept: usize,
    failed: usize,
}

impl Stats {
    fn add(&mut self, o: &plan::Outcome) {
        if let Ok(e) = &o.entry {
            self.tags += e.tags.len();
        }
        self.fetched += o.fetched;
        self.kept += o.kept;
        self.failed += usize::from(o.failed());
    }
}

/// `-v`: which local source stands in for each registry's credentials, and for the in-cluster
/// fields (`secretRef`, `serviceAccountName`, `provider`) imagelock cannot read.
fn explain_credentials(out: &Output, model: &Model, jobs: &[plan::Job], store: &CredentialStore) {
    let mut by_registry: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for job in jobs {
        let source = match store.lookup(&job.image) {
            Ok(found) => found.source,
            Err(e) => format!("error: {e}"),
        };
        by_registry
            .entry(job.image.registry.clone())
            .or_default()
            .entry(source)
            .or_default()
            .push(job.canonical.clone());
    }
    for (registry, sources) in &by_registry {
        if sources.len() == 1 {
            for source in sources.keys() {
                out.verbose(format_args!("credentials for {registry}: {source}"));
            }
        } else {
            for (source, images) in sources {
                for image in images {
                    out.verbose(format_args!("credentials for {image}: {source}"));
                }
            }
        }
    }
    for job in jobs {
        for key in &job.repositories {
            let Some(id) = model.repository_id(key) else {
                continue;
            };
            let spec = &model.repository(id).decl.spec;
            let mut cluster = Vec::new();
            if let Some(name) = spec.secret_ref.as_ref().and_then(|r| r.name.as_deref()) {
                cluster.push(format!("secretRef `{name}`"));
            }
            if let Some(sa) = spec.service_account_name.as_deref() {
                cluster.push(format!("serviceAccountName `{sa}`"));
            }
            if let Some(p) = spec.provider.as_deref().filter(|p| *p != "generic") {
                cluster.push(format!(
                    "provider `{p}` (use its docker credential helper locally)"
                ));
            }
            if let Some(name) = spec
                .cert_secret_ref
                .as_ref()
                .and_then(|r| r.name.as_deref())
            {
                cluster.push(format!(
                    "certSecretRef `{name}` (set SSL_CERT_FILE locally)"
                ));
            }
            if !cluster.is_empty() {
                out.verbose(format_args!(
                    "ImageRepository {}: {} live in the cluster; imagelock uses the local credentials above instead",
                    key.slash(),
                    cluster.join(", ")
                ));
            }
        }
    }
}

/// First-seen times for what the lock carries without one (a version 1 lock), from the git
/// history of the lock; each source said with `-v`. Without git, or when the history cannot be
/// read, the refresh time is all there is.
fn backfill(
    options: &crate::model::Options,
    lock_rel: &str,
    lock: &mut crate::lock::Lock,
    out: &Output,
) {
    if !lock.has_untimed() {
        return;
    }
    let history =
        crate::git::Repo::open(&options.workspace).and_then(|repo| repo.file_versions(lock_rel));
    let history = match history {
        Ok(history) => history,
        Err(err) => {
            out.verbose(format_args!("no git history for first-seen times: {err}"));
            return;
        }
    };
    for b in crate::ops::backfill::backfill(lock, &history) {
        out.verbose(format_args!(
            "{}: {} first seen: {} (git history: commit {})",
            b.image, b.what, b.time, b.commit
        ));
    }
}

/// stderr, by verbosity; diagnostics through the installed miette handler.
struct Output {
    quiet: bool,
    verbose: bool,
    timings: bool,
    lock: Mutex<()>,
    terminal: bool,
    color: bool,
}

impl Output {
    fn new(global: &GlobalArgs) -> Self {
        Self {
            quiet: global.quiet,
            verbose: global.verbose > 0,
            timings: global.verbose > 1,
            lock: Mutex::new(()),
            terminal: io::stderr().is_terminal(),
            color: super::use_color(global.color),
        }
    }

    fn write(&self, args: std::fmt::Arguments<'_>) {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let _ = writeln!(io::stderr().lock(), "{args}");
    }

    fn info(&self, args: std::fmt::Arguments<'_>) {
        if !self.quiet {
            self.write(args);
        }
    }

    /// `-vv`: when each phase ended, from the start.
    fn timing(&self, phase: &str, started: Instant) {
        if self.timings {
            self.write(format_args!(
                "{:8.1} ms  {phase}",
                started.elapsed().as_secs_f64() * 1000.0
            ));
        }
    }

    fn verbose(&self, args: std::fmt::Arguments<'_>) {
        if self.verbose {
            self.write(args);
        }
    }

    /// Through the installed handler on a terminal; unwrapped otherwise, so that a URL or a
    /// registry's message stays on one line in CI logs.
    fn report(&self, diagnostic: impl Diagnostic + Send + Sync + 'static) {
        let is_warning = diagnostic.severity() == Some(miette::Severity::Warning);
        if is_warning && self.quiet {
            return;
        }
        if self.terminal {
            self.write(format_args!("{:?}", miette::Report::new(diagnostic)));
            return;
        }
        struct Unwrapped<'a>(&'a dyn Diagnostic, &'a miette::MietteHandler);
        impl std::fmt::Debug for Unwrapped<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                miette::ReportHandler::debug(self.1, self.0, f)
            }
        }
        let handler = miette::MietteHandlerOpts::new()
            .color(self.color)
            .unicode(self.color)
            .terminal_links(false)
            .wrap_lines(false)
            .build();
        self.write(format_args!("{:?}", Unwrapped(&diagnostic, &handler)));
    }
}

/// A one-line progress bar on a terminal; nothing otherwise.
struct Progress<'a> {
    out: &'a Output,
    enabled: bool,
}

impl<'a> Progress<'a> {
    fn new(out: &'a Output, total: usize) -> Self {
        Self {
            out,
            enabled: out.terminal && !out.quiet && total > 1,
        }
    }

    fn update(&self, done: usize, total: usize) {
        if !self.enabled {
            return;
        }
        const WIDTH: usize = 30;
        let filled = WIDTH * done / total.max(1);
        let _guard = self.out.lock.lock().unwrap_or_else(|e| e.into_inner());
        let _ = write!(
            io::stderr().lock(),
            "\r\x1b[2Krefreshing [{}{}] {done}/{total} images",
            "=".repeat(filled),
            " ".repeat(WIDTH - filled)
        );
    }

    fn finish(&self) {
        if self.enabled {
            let _guard = self.out.lock.lock().unwrap_or_else(|e| e.into_inner());
            let _ = write!(io::stderr().lock(), "\r\x1b[2K");
        }
    }
}
