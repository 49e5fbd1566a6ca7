//! The one model of the repository that every command views: files, declared objects with
//! their positions, each policy compiled and resolved, and each marker site with the value it
//! holds and the value it should hold. Built once per run, immutable after; data flows one way
//! (discover → parse → objects → policies → sites → findings) and nothing here touches the
//! network. See docs/architecture.md.

mod access;
mod automations;
mod cooldown;
mod ids;
mod load;
mod objects;
mod policies;
mod selection;
mod sites;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use miette::Diagnostic;
use thiserror::Error;

use crate::build;
use crate::config::{Config, Suppressions};
use crate::fix::Edit;
use crate::lock::{Lock, LockError};
use crate::manifest::Manifest;
use crate::report::{Finding, Sources};
use crate::template::flux::ObjectId;
use crate::workspace::{Workspace, WorkspaceError};

pub(crate) use automations::relative_to;
pub use automations::Automation;
pub use ids::{AutomationId, FileId, ObjectKey, PolicyId, RepositoryId};
pub use objects::Declared;
pub use policies::{NoCandidates, Policy, Repository, State};
pub(crate) use selection::Selection;
pub use sites::MarkerSite;

/// What the model needs to know from the command line.
#[derive(Clone, Debug)]
pub struct Options {
    pub workspace: Workspace,
    pub lockfile: PathBuf,
    /// Restrict the files checked or fixed (relative to the working directory or absolute).
    pub paths: Vec<PathBuf>,
    /// `.imagelock.yaml` with the flags applied.
    pub config: Config,
    /// `--cluster`: only this cluster (its root's path, or the path's last part).
    pub cluster: Option<String>,
}

/// One file that was read in full.
#[derive(Debug)]
pub struct SourceFile {
    pub rel: String,
    pub text: String,
    pub manifest: Option<Manifest>,
    /// Inside the PATH arguments (every file when none were given).
    pub selected: bool,
}

/// The repository, as imagelock understands it.
#[derive(Debug)]
pub struct Model {
    /// The opened repository: root and git.
    pub workspace: Workspace,
    /// The files that hold a marker or a Flux image object, in path order.
    pub files: Vec<SourceFile>,
    /// Declared ImageRepositories, in key order.
    pub repositories: Vec<Repository>,
    /// Declared ImagePolicies, in key order.
    pub policies: Vec<Policy>,
    /// Declared ImageUpdateAutomations, in key order.
    pub automations: Vec<Automation>,
    /// Every marker Flux would act on in the selected files, in file order.
    pub sites: Vec<MarkerSite>,
    pub lock: Option<Lock>,
    pub lock_rel: String,
    pub lock_text: Option<String>,
    /// Every finding, sorted.
    pub findings: Vec<Finding>,
    /// What `.imagelock.yaml` and the flags say.
    pub config: Config,
    /// The clusters, by index (`Declared::cluster`): each root's path; one empty name for the
    /// cluster assumed where the repository has no Flux Kustomization.
    pub clusters: Vec<String>,
    /// Texts of other files findings point into (kustomizations, patches).
    other_texts: BTreeMap<String, std::sync::Arc<str>>,
}

#[derive(Debug, Error, Diagnostic)]
#[non_exhaustive]
pub enum ModelError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Lock(#[from] LockError),
    #[error("path `{}` is outside the repository root `{}`", path.display(), root.display())]
    #[diagnostic(code(imagelock::usage))]
    PathOutsideRoot { path: PathBuf, root: PathBuf },
    #[error("no cluster `{name}` in this repository")]
    #[diagnostic(code(imagelock::usage), help("{known}"))]
    UnknownCluster { name: String, known: String },
    #[error("path `{}` does not exist", path.display())]
    #[diagnostic(
        code(imagelock::usage),
        help("PATH arguments are files or directories, relative to the working directory")
    )]
    PathNotFound { path: PathBuf },
}

impl Model {
    /// Read the repository and build the model.
    pub fn build(options: &Options) -> Result<Self, ModelError> {
        let root = &options.workspace.root;
        let selection = Selection::new(root, &options.paths)?;
        let lock_rel = selection::rel_for(root, &options.lockfile);
        // The lock is one large file, independent of the manifests: read it on its own thread
        // while the manifests are listed and read. Errors keep their order: the manifests' first.
        let (loaded, lock) = std::thread::scope(|s| {
            let lock = s.spawn(|| load::read_lock(&options.lockfile, &lock_rel));
            let loaded = load::load(&options.workspace, &selection, &options.config);
            let lock = lock
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (loaded, lock)
        });
        let loaded = loaded?;
        let (lock, lock_text) = lock?;
        let mut findings = loaded.findings;
        let files = loaded.files;
        let full = files.iter().all(|f| f.selected);
        // Files the walk parsed with their collections are not parsed again by the builds.
        let mut parsed = foldhash::HashMap::default();
        let mut kustomizations = foldhash::HashMap::default();
        kustomizations.extend(loaded.kustomizations);
        for file in &files {
            if let (Some(manifest), true) = (
                &file.manifest,
                memchr::memmem::find(file.text.as_bytes(), crate::resources::GROUP.as_bytes())
                    .is_some(),
            ) {
                let rel: std::sync::Arc<str> = std::sync::Arc::from(file.rel.as_str());
                parsed.insert(
                    file.rel.clone(),
                    std::sync::Arc::new(build::source::trees(manifest, &rel)),
                );
            }
        }
        let source = build::source::Disk::new(root.clone(), loaded.listing, parsed, kustomizations);
        let mut clusters = build::build_clusters(
            &source,
            &build::Options {
                flux_version: options.config.flux_version,
                default_namespace: options.config.default_namespace.clone(),
            },
        );
        if let Some(name) = &options.cluster {
            only_cluster(&mut clusters, name)?;
        }
        // A build problem is the repository's: said in a full run, or with the file it is in.
        findings.extend(
            clusters
                .problems
                .iter()
                .filter(|p| full || selection.contains(&p.origin.file))
                .map(build::Problem::finding),
        );
        let per_cluster = objects::collect(&files, &clusters, options.config.flux_version);

        let mut used = policies::Use {
            selected: BTreeSet::new(),
            digest: BTreeSet::new(),
            namespaces: &BTreeMap::new(),
            min_age: options.config.min_age,
            semver_rules: options.config.flux_version.semver_rules(),
            go_syntax: options.config.flux_version.go_syntax(),
        };
        for file in &files {
            let Some(manifest) = &file.manifest else {
                continue;
            };
            for (key, digest) in sites::referenced_policies(manifest) {
                if digest {
                    used.digest.insert(key.clone());
                }
                if file.selected {
                    used.selected.insert(key);
                }
            }
        }
        let mut repositories = Vec::new();
        let mut all_policies = Vec::new();
        let mut automations = Vec::new();
        for mut objects in per_cluster {
            findings.append(&mut objects.findings);
            let used = policies::Use {
                namespaces: &objects.namespaces,
                ..used.clone()
            };
            let built = policies::build(
                objects.repositories,
                objects.policies,
                &files,
                lock.as_ref(),
                &lock_rel,
                &used,
            );
            findings.extend(built.findings);
            let offset = repositories.len();
            repositories.extend(built.repositories);
            all_policies.extend(built.policies.into_iter().map(|mut p| {
                p.repository_id = p.repository_id.map(|id| RepositoryId(id.0 + offset));
                p
            }));
            automations.extend(
                objects
                    .automations
                    .into_values()
                    .map(|decl| Automation { decl }),
            );
        }
        if full {
            findings.extend(policies::unused_lock_entries(
                &repositories,
                lock.as_ref(),
                &lock_rel,
                lock_text.as_deref(),
            ));
        }
        let (repositories, policies) = policies::sort(repositories, all_policies);
        automations
            .sort_by(|a, b| (&a.decl.key, a.decl.cluster).cmp(&(&b.decl.key, b.decl.cluster)));
        let mut reported = BTreeSet::new();
        for automation in &automations {
            // One template check per declaration, however many clusters apply it.
            if automation_reported(automation, &files)
                && reported.insert((automation.decl.rel.clone(), automation.decl.range))
            {
                findings.extend(automation.check_template(options.config.flux_version));
            }
        }
        let cluster_names = clusters.clusters.iter().map(|c| c.name.clone()).collect();

        let mut model = Self {
            workspace: options.workspace.clone(),
            files,
            repositories,
            policies,
            automations,
            clusters: cluster_names,
            other_texts: BTreeMap::new(),
            sites: Vec::new(),
            lock,
            lock_rel,
            lock_text,
            findings: Vec::new(),
            config: options.config.clone(),
        };
        let cx = model.context();
        let mut sites = Vec::new();
        let marked: Vec<(usize, &SourceFile, &Manifest)> = (model.files.iter().enumerate())
            .filter_map(|(i, f)| Some((i, f, f.manifest.as_ref().filter(|_| f.selected)?)))
            .collect();
        let outcomes = crate::par::map(&marked, |&(index, file, manifest)| {
            sites::evaluate_file(&cx, FileId(index), file, manifest)
        });
        for outcome in outcomes {
            findings.extend(outcome.findings);
            sites.extend(outcome.sites);
        }
        model.sites = sites;
        // Files the model does not hold (kustomizations, patches) that findings or the objects'
        // provenance point into keep their text.
        let mut others: BTreeSet<&str> = findings.iter().map(|f| f.file.as_str()).collect();
        let steps = (model.policies.iter().map(|p| &p.decl.steps))
            .chain(model.repositories.iter().map(|r| &r.decl.steps))
            .chain(model.automations.iter().map(|a| &a.decl.steps));
        let mut texts = BTreeMap::new();
        for step in steps.flatten() {
            others.insert(&step.origin.file);
        }
        for file in others {
            if file != model.lock_rel && model.file_id(file).is_none() {
                if let Some(text) = build::source::Source::text(&source, file) {
                    texts.insert(file.to_owned(), text);
                }
            }
        }
        model.other_texts = texts;
        model.findings = model.configure(findings);
        Ok(model)
    }

    /// The configuration's and the inline suppressions' say over the findings. An out-of-date
    /// value whose finding is suppressed is pinned: `fix` leaves it too.
    fn configure(&mut self, findings: Vec<Finding>) -> Vec<Finding> {
        let mut suppressions = Suppressions::default();
        for file in &self.files {
            suppressions.scan(&file.rel, &file.text);
        }
        let config = &self.config;
        let (mut findings, dropped) = config.filter(findings, &mut suppressions, &*self);
        let selected = |f: &str| self.file_id(f).is_some_and(|id| self.file(id).selected);
        findings.extend(config.apply(suppressions.unused(&selected)));
        let mut sites = std::mem::take(&mut self.sites);
        pin(&mut sites, &dropped, |f| self.file_id(f));
        self.sites = sites;
        crate::report::sort(&mut findings);
        findings
    }

    fn context(&self) -> sites::Context<'_> {
        sites::Context {
            policies: &self.policies,
            automations: &self.automations,
            lock: self.lock.as_ref(),
            repositories: &self.repositories,
            clusters: &self.clusters,
            all_markers: self.config.all_markers,
        }
    }

    pub fn root(&self) -> &std::path::Path {
        &self.workspace.root
    }

    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0]
    }

    pub fn file_id(&self, rel: &str) -> Option<FileId> {
        self.files
            .binary_search_by(|f| f.rel.as_str().cmp(rel))
            .ok()
            .map(FileId)
    }

    /// The 1-based line of a byte offset in a file the model or a finding reads.
    pub fn line_of(&self, file: &str, offset: usize) -> usize {
        use crate::report::Sources as _;
        self.text(file)
            .and_then(|t| t.get(..offset))
            .map_or(1, |t| t.matches('\n').count() + 1)
    }

    /// A cluster's name (empty for the cluster assumed without Flux Kustomizations).
    pub fn cluster_name(&self, cluster: usize) -> &str {
        self.clusters.get(cluster).map_or("", String::as_str)
    }

    /// The policy `key` in the first cluster that has it (`--cluster` picks another).
    pub fn policy_id(&self, key: &ObjectKey) -> Option<PolicyId> {
        policies::named(&self.policies, key).next().map(PolicyId)
    }

    pub fn policy(&self, id: PolicyId) -> &Policy {
        &self.policies[id.0]
    }

    pub fn repository(&self, id: RepositoryId) -> &Repository {
        &self.repositories[id.0]
    }

    /// The repository a policy names, when declared.
    pub fn repository_of(&self, policy: &Policy) -> Option<&Repository> {
        policy.repository_id.map(|id| self.repository(id))
    }

    pub fn repository_id(&self, key: &ObjectKey) -> Option<RepositoryId> {
        self.repositories
            .binary_search_by(|r| r.decl.key.cmp(key))
            .ok()
            .map(RepositoryId)
    }

    /// The sites whose marker `policy` sets (alone, or with its namesakes in other clusters).
    pub fn sites_of(&self, policy: PolicyId) -> impl Iterator<Item = &MarkerSite> {
        self.sites
            .iter()
            .filter(move |s| s.policy == Some(policy) || s.others.contains(&policy))
    }

    /// The out-of-date edits, by file.
    pub fn edits(&self) -> BTreeMap<FileId, Vec<Edit>> {
        let mut edits: BTreeMap<FileId, Vec<Edit>> = BTreeMap::new();
        for site in &self.sites {
            if let Some(edit) = &site.edit {
                edits.entry(site.file).or_default().push(edit.clone());
            }
        }
        edits
    }

    /// The sites a new text of a file would have (the text is handed back): how a fix is checked
    /// before it is written.
    pub(crate) fn evaluate(
        &self,
        id: FileId,
        text: String,
        manifest: &Manifest,
    ) -> (String, Vec<MarkerSite>) {
        let probe = SourceFile {
            rel: self.file(id).rel.clone(),
            text,
            manifest: None,
            selected: true,
        };
        let outcome = sites::evaluate_file(&self.context(), id, &probe, manifest);
        let mut suppressions = Suppressions::default();
        suppressions.scan(&probe.rel, &probe.text);
        let one = OneFile(&probe);
        let (_, dropped) = self
            .config
            .filter(outcome.findings, &mut suppressions, &one);
        let mut sites = outcome.sites;
        pin(&mut sites, &dropped, |_| Some(id));
        (probe.text, sites)
    }

    /// The object Flux records a site's change under.
    pub fn object_of(&self, site: &MarkerSite) -> ObjectId {
        self.file(site.file)
            .manifest
            .as_ref()
            .map(|m| sites::object_id(m, site.document))
            .unwrap_or_default()
    }
}

/// Keep the cluster `--cluster` names: by its root's path, or the path's last part.
fn only_cluster(clusters: &mut build::Clusters, name: &str) -> Result<(), ModelError> {
    let name = name.trim_matches('/');
    let matches = |c: &str| c == name || (!c.is_empty() && c.rsplit('/').next() == Some(name));
    if !clusters.clusters.iter().any(|c| matches(&c.name)) {
        let known: Vec<String> = clusters
            .clusters
            .iter()
            .filter(|c| !c.name.is_empty())
            .map(|c| format!("`{}`", c.name))
            .collect();
        return Err(ModelError::UnknownCluster {
            name: name.to_owned(),
            known: if known.is_empty() {
                "the repository has no Flux Kustomization, so it is one cluster: leave --cluster out".to_owned()
            } else {
                format!("the clusters are {}", known.join(", "))
            },
        });
    }
    clusters.clusters.retain(|c| matches(&c.name));
    Ok(())
}

/// A value whose out-of-date finding the configuration or a suppression dropped is pinned: its
/// site loses its edit, so `fix` leaves it too. `file_of` places a finding's file.
fn pin(sites: &mut [MarkerSite], dropped: &[Finding], file_of: impl Fn(&str) -> Option<FileId>) {
    let pinned: BTreeSet<(FileId, crate::text::TextRange)> = dropped
        .iter()
        .filter(|f| f.rule == crate::rules::Rule::OutOfDate)
        .filter_map(|f| Some((file_of(&f.file)?, f.range)))
        .collect();
    for site in sites {
        if pinned.contains(&(site.file, site.range)) {
            site.edit = None;
        }
    }
}

/// An automation's findings are reported with its file, or in every run without PATHs.
fn automation_reported(automation: &Automation, files: &[SourceFile]) -> bool {
    files.get(automation.decl.file).is_some_and(|f| f.selected)
}

/// One file as the only source.
struct OneFile<'a>(&'a SourceFile);

impl Sources for OneFile<'_> {
    fn text(&self, file: &str) -> Option<&str> {
        (file == self.0.rel).then_some(self.0.text.as_str())
    }
}

impl Sources for Model {
    fn text(&self, file: &str) -> Option<&str> {
        if file == self.lock_rel {
            return self.lock_text.as_deref();
        }
        match self.file_id(file) {
            Some(id) => Some(self.file(id).text.as_str()),
            None => self.other_texts.get(file).map(|t| &**t),
        }
    }
}
