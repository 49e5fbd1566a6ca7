//! Clusters: the Flux Kustomizations of the repository, the tree they form from each root, and
//! kustomize-controller's own steps around each build (the generated kustomization, the spec's
//! fields, post-build substitution, common metadata, the apply's namespace rule).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use super::kustomization::{self, Entry, Kustomization};
use super::kustomize::Builder;
use super::source::{self, Cache, Source, Tokens};
use super::subst::{self, SubstError, Vars};
use super::value::{Node, Origin, Scalar};
use super::{Problem, Resource, Step};
use crate::flux_version::FluxVersion;
use crate::manifest::ScalarStyle;
use crate::rules::Rule;

const KUSTOMIZE_GROUP: &str = "kustomize.toolkit.fluxcd.io";

pub(crate) struct Options {
    pub flux_version: FluxVersion,
    /// The namespace of an object that gets none, where no Flux Kustomization applies it.
    pub default_namespace: String,
}

/// Every cluster's objects, and what the builds met.
#[derive(Debug, Default)]
pub(crate) struct Clusters {
    pub clusters: Vec<Cluster>,
    pub problems: Vec<Problem>,
}

#[derive(Debug)]
pub(crate) struct Cluster {
    /// The root's `spec.path` (`clusters/production`); empty for the assumed cluster.
    pub name: String,
    pub objects: Vec<Applied>,
}

/// An object as a Kustomization applies it.
#[derive(Debug)]
pub(crate) struct Applied {
    pub resource: Resource,
    /// The Flux Kustomization (`namespace/name`) that applies it; empty in the assumed cluster.
    pub by: String,
}

/// A Flux Kustomization's spec, as far as the build reads it.
#[derive(Clone, Debug)]
struct FluxKustomization {
    id: String,
    namespace: String,
    origin: Origin,
    path: Entry,
    source_ref: (String, String, String),
    target_namespace: Option<Entry>,
    name_prefix: Option<Entry>,
    name_suffix: Option<Entry>,
    patches: Vec<kustomization::Patch>,
    components: Vec<Entry>,
    ignore_missing_components: bool,
    post_build: Option<PostBuild>,
    common_labels: Vec<(String, String)>,
    common_annotations: Vec<(String, String)>,
    kube_config: bool,
    decryption: bool,
}

#[derive(Clone, Debug)]
struct PostBuild {
    substitute: Vec<(String, String)>,
    substitute_from: Vec<(String, String, bool, Origin)>,
    always: bool,
    origin: Origin,
}

impl FluxKustomization {
    fn read(r: &Resource) -> Result<Self, Problem> {
        let node = &r.node;
        let namespace = r.namespace().unwrap_or_default().to_owned();
        let spec = node.get("spec");
        let field = |k: &str| -> Option<Entry> {
            let n = spec?.get(k)?;
            Some(Entry {
                text: n.scalar_text()?.to_owned(),
                origin: n.origin.clone(),
            })
        };
        let path = field("path").unwrap_or_else(|| Entry {
            text: String::new(),
            origin: r.name_origin(),
        });
        let source = |k: &str| {
            spec.and_then(|s| s.at(&["sourceRef", k]))
                .and_then(Node::scalar_text)
                .unwrap_or_default()
                .to_owned()
        };
        let mut source_ref = (source("kind"), source("name"), source("namespace"));
        if source_ref.2.is_empty() {
            source_ref.2.clone_from(&namespace);
        }
        let patches = match spec.and_then(|s| s.get("patches")) {
            Some(p) => kustomization::patches(p, "spec.patches", true)?,
            None => Vec::new(),
        };
        let components = spec
            .and_then(|s| s.get("components"))
            .map(|c| {
                c.items()
                    .iter()
                    .filter_map(|n| {
                        Some(Entry {
                            text: n.scalar_text()?.to_owned(),
                            origin: n.origin.clone(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let post_build = spec.and_then(|s| s.get("postBuild")).map(|pb| PostBuild {
            substitute: pb
                .get("substitute")
                .map(Node::string_map)
                .unwrap_or_default(),
            substitute_from: pb
                .get("substituteFrom")
                .map(|l| {
                    l.items()
                        .iter()
                        .map(|i| {
                            let s = |k: &str| {
                                i.get(k)
                                    .and_then(Node::scalar_text)
                                    .unwrap_or_default()
                                    .to_owned()
                            };
                            (
                                s("kind"),
                                s("name"),
                                s("optional") == "true",
                                i.origin.clone(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
            always: pb.get("substituteStrategy").and_then(Node::scalar_text) == Some("Always"),
            origin: pb.origin.clone(),
        });
        let meta = |k: &str| {
            spec.and_then(|s| s.at(&["commonMetadata", k]))
                .map(Node::string_map)
                .unwrap_or_default()
        };
        Ok(Self {
            id: format!("{namespace}/{}", r.name()),
            namespace,
            origin: r.name_origin(),
            path,
            source_ref,
            target_namespace: field("targetNamespace").filter(|e| !e.text.is_empty()),
            name_prefix: field("namePrefix"),
            name_suffix: field("nameSuffix"),
            patches,
            components,
            ignore_missing_components: field("ignoreMissingComponents")
                .is_some_and(|e| e.text == "true"),
            post_build,
            common_labels: meta("labels"),
            common_annotations: meta("annotations"),
            kube_config: spec
                .and_then(|s| s.get("kubeConfig"))
                .is_some_and(|n| !n.is_null()),
            decryption: spec
                .and_then(|s| s.get("decryption"))
                .is_some_and(|n| !n.is_null()),
        })
    }
}

fn is_flux_kustomization(r: &Resource) -> bool {
    r.is_kind(KUSTOMIZE_GROUP, "Kustomization")
}

/// Build every cluster of the repository.
pub(crate) fn build_clusters(source: &dyn Source, options: &Options) -> Clusters {
    // The files the builds start from, in path order (the order decides which of two objects
    // with one id is read): those that may hold a kept object, and the kustomizations.
    let mut files = source.files();
    files.retain(|(f, t)| t.relevant() || is_kustomization_file(f));
    files.sort_unstable_by_key(|(f, _)| *f);
    let cache = Cache::default();
    let cx = Cx {
        source,
        cache: &cache,
        options,
        config_maps: false,
    };
    // Flux Kustomizations as written, before any build moves or renames them.
    let mut declared: Vec<Resource> = Vec::new();
    let mut builder = Builder::new(source, &cache);
    for (rel, _) in files.iter().filter(|(_, t)| t.kustomize) {
        let Ok(found) = builder.file(rel) else {
            continue;
        };
        declared.extend(found.into_iter().filter(is_flux_kustomization));
    }
    let config_maps = declared.iter().any(|r| {
        r.node
            .at(&["spec", "postBuild", "substituteFrom"])
            .is_some_and(|n| !n.items().is_empty())
    });
    let cx = Cx { config_maps, ..cx };
    if declared.is_empty() {
        return cx.implicit(&files);
    }
    let mut out = Clusters::default();
    // A root: a Kustomization no other Kustomization's build reaches (its own may: the
    // bootstrap's self-loop).
    let mut reached_by: Vec<(String, HashSet<String>)> = Vec::new();
    let mut specs = Vec::new();
    let mut memo = HashMap::new();
    for r in &declared {
        match FluxKustomization::read(r) {
            Ok(k) => {
                let files = source::join("", &k.path.text)
                    .map(|dir| cx.flux_files(&dir, &mut memo))
                    .unwrap_or_default();
                reached_by.push((k.id.clone(), files));
                specs.push((r.file().clone(), k));
            }
            Err(p) => out.problems.push(p),
        }
    }
    for (file, root) in &specs {
        let reached_elsewhere = reached_by
            .iter()
            .any(|(id, files)| *id != root.id && files.contains(&**file));
        if reached_elsewhere {
            continue;
        }
        out.clusters.push(cx.cluster(root, &mut out.problems));
    }
    sort_problems(&mut out.problems);
    out
}

struct Cx<'a> {
    source: &'a dyn Source,
    cache: &'a Cache,
    options: &'a Options,
    config_maps: bool,
}

impl Cx<'_> {
    fn builder(&self) -> Builder<'_> {
        let mut b = Builder::new(self.source, self.cache);
        b.config_maps = self.config_maps;
        b
    }

    /// The files naming the Flux Kustomization group that a build of `dir` includes as
    /// resources (the kustomization's, or the one Flux generates): what tells roots from the
    /// Kustomizations other builds apply. Patches and transformers add no file, so none is
    /// built here.
    fn flux_files(
        &self,
        dir: &str,
        memo: &mut HashMap<String, HashSet<String>>,
    ) -> HashSet<String> {
        if let Some(known) = memo.get(dir) {
            return known.clone();
        }
        memo.insert(dir.to_owned(), HashSet::new()); // a cycle adds nothing
        let mut out = HashSet::new();
        let mut b = self.builder();
        match b.kustomization_in(dir) {
            Some(Ok(k)) => {
                for e in k.resources.iter().chain(&k.components) {
                    let Some(rel) = source::join(&k.dir, &e.text) else {
                        continue;
                    };
                    if self.source.is_file(&rel) {
                        if self.source.tokens(&rel).kustomize {
                            out.insert(rel);
                        }
                    } else if self.source.is_dir(&rel) {
                        out.extend(self.flux_files(&rel, memo));
                    }
                }
            }
            Some(Err(_)) => {}
            None => {
                for e in generate(
                    self.source,
                    dir,
                    &Origin {
                        file: Arc::from(dir),
                        range: Default::default(),
                    },
                )
                .resources
                {
                    let Some(rel) = source::join(dir, &e.text) else {
                        continue;
                    };
                    if self.source.is_file(&rel) {
                        if self.source.tokens(&rel).kustomize {
                            out.insert(rel);
                        }
                    } else {
                        out.extend(self.flux_files(&rel, memo));
                    }
                }
            }
        }
        memo.insert(dir.to_owned(), out.clone());
        out
    }

    /// One cluster: the root, then every Kustomization a build outputs that reads this
    /// repository.
    fn cluster(&self, root: &FluxKustomization, problems: &mut Vec<Problem>) -> Cluster {
        let mut cluster = Cluster {
            name: source::join("", &root.path.text).unwrap_or_default(),
            objects: Vec::new(),
        };
        let mut seen: HashSet<String> = HashSet::from([root.id.clone()]);
        let mut queue = std::collections::VecDeque::from([root.clone()]);
        while let Some(k) = queue.pop_front() {
            let mut b = self.builder();
            let built = self.flux_build(&mut b, &k, &cluster.objects);
            problems.append(&mut b.warnings);
            let resources = match built {
                Ok(r) => r,
                Err(p) => {
                    problems.push(p);
                    continue;
                }
            };
            for r in resources {
                if is_flux_kustomization(&r) {
                    match FluxKustomization::read(&r) {
                        Ok(child) if seen.insert(child.id.clone()) => {
                            if child.kube_config {
                                problems.push(Problem {
                                    rule: Rule::BuildIncomplete,
                                    origin: child.origin.clone(),
                                    message: format!("Kustomization `{}` applies to another cluster (spec.kubeConfig): imagelock leaves it out of `{}`", child.id, cluster.name),
                                });
                            } else if child.source_ref != root.source_ref {
                                problems.push(Problem {
                                    rule: Rule::BuildIncomplete,
                                    origin: child.origin.clone(),
                                    message: format!(
                                        "Kustomization `{}` builds from {} `{}/{}`, not this repository: imagelock cannot see it",
                                        child.id, child.source_ref.0, child.source_ref.2, child.source_ref.1
                                    ),
                                });
                            } else {
                                queue.push_back(child);
                            }
                        }
                        Ok(_) => {}
                        Err(p) => problems.push(p),
                    }
                }
                cluster.objects.push(Applied {
                    resource: r,
                    by: k.id.clone(),
                });
            }
        }
        cluster
    }

    /// The kustomize part of a Flux Kustomization's build: the file at `spec.path` (generated
    /// where missing), with the spec's fields written into it.
    fn kustomize(
        &self,
        b: &mut Builder<'_>,
        k: &FluxKustomization,
    ) -> Result<Vec<Resource>, Problem> {
        let Some(dir) = source::join("", &k.path.text) else {
            return Err(Problem {
                rule: Rule::MissingResource,
                origin: k.path.origin.clone(),
                message: format!("`spec.path` `{}` leaves the repository", k.path.text),
            });
        };
        if !b.source.is_dir(&dir) {
            return Err(Problem {
                rule: Rule::MissingResource,
                origin: k.path.origin.clone(),
                message: format!(
                    "Kustomization `{}`: `spec.path` `{}` does not exist, so Flux fails it",
                    k.id, k.path.text
                ),
            });
        }
        let mut file = match b.source.kustomization_file(&dir) {
            Some(rel) => b.read_kustomization(&rel, false)?,
            None => generate(b.source, &dir, &k.path.origin),
        };
        if let Some(ns) = &k.target_namespace {
            file.namespace = Some(ns.clone());
        }
        if let Some(p) = &k.name_prefix {
            file.name_prefix = Some(p.clone());
        }
        if let Some(s) = &k.name_suffix {
            file.name_suffix = Some(s.clone());
        }
        file.patches.extend(k.patches.iter().cloned());
        for c in &k.components {
            let exists = source::join(&dir, &c.text).is_some_and(|p| b.source.is_dir(&p));
            if exists || !k.ignore_missing_components {
                file.components.push(c.clone());
            }
        }
        b.build(&file)
    }

    /// A whole Flux build: kustomize, then post-build substitution, common metadata and the
    /// apply's rules. `applied`: the cluster's objects so far (substitution sources).
    fn flux_build(
        &self,
        b: &mut Builder<'_>,
        k: &FluxKustomization,
        applied: &[Applied],
    ) -> Result<Vec<Resource>, Problem> {
        let mut resources = self.kustomize(b, k)?;
        resources.retain(|r| {
            r.node
                .at(&[
                    "metadata",
                    "annotations",
                    "config.kubernetes.io/local-config",
                ])
                .and_then(Node::scalar_text)
                != Some("true")
        });
        if let Some(pb) = &k.post_build {
            let vars = self.variables(k, pb, &resources, applied, &mut b.warnings)?;
            if let Some(vars) = vars {
                for r in &mut resources {
                    if disabled(r, "kustomize.toolkit.fluxcd.io/substitute", "disabled") {
                        continue;
                    }
                    substitute(
                        r,
                        &vars,
                        self.options.flux_version >= FluxVersion::V2_9,
                        k,
                        &pb.origin,
                    )?;
                }
            }
        }
        for r in &mut resources {
            for (field, pairs) in [
                ("labels", &k.common_labels),
                ("annotations", &k.common_annotations),
            ] {
                for (key, value) in pairs {
                    let map = r.node.ensure_map(&["metadata", field], &k.origin);
                    map.set(key, Node::string(value, k.origin.clone()));
                }
            }
            if r.namespace().is_none() && !r.is_namespace_object() {
                return Err(Problem {
                    rule: Rule::BuildFailed,
                    origin: r.name_origin(),
                    message: format!("{} has no namespace after Kustomization `{}`'s build: Flux fails the whole Kustomization (\"namespace not specified\")", r.describe(), k.id),
                });
            }
            if let Some(sops) = r.node.get("sops").filter(|n| !n.is_null()) {
                if !k.decryption {
                    return Err(Problem {
                        rule: Rule::BuildFailed,
                        origin: sops.origin.clone(),
                        message: format!("{} is SOPS-encrypted and Kustomization `{}` has no spec.decryption: Flux fails it", r.describe(), k.id),
                    });
                }
            }
        }
        resources.retain(|r| {
            !disabled(r, "kustomize.toolkit.fluxcd.io/ssa", "ignore")
                && !disabled(r, "kustomize.toolkit.fluxcd.io/reconcile", "disabled")
        });
        Ok(resources)
    }

    /// The variables of a post-build; `None` when substitution does not run.
    fn variables(
        &self,
        k: &FluxKustomization,
        pb: &PostBuild,
        own: &[Resource],
        applied: &[Applied],
        warnings: &mut Vec<Problem>,
    ) -> Result<Option<BTreeMap<String, String>>, Problem> {
        let mut vars = BTreeMap::new();
        for (kind, name, optional, origin) in &pb.substitute_from {
            let found = applied.iter().map(|a| &a.resource).chain(own).find(|r| {
                r.group.is_empty()
                    && r.kind == *kind
                    && r.name() == name
                    && r.namespace() == Some(&k.namespace)
            });
            match found {
                Some(r) if r.node.get("sops").is_some_and(|n| !n.is_null()) => warnings.push(Problem {
                    rule: Rule::BuildIncomplete,
                    origin: origin.clone(),
                    message: format!("{kind} `{}/{name}` is SOPS-encrypted: the variables it holds are unknown offline", k.namespace),
                }),
                Some(r) => {
                    vars.extend(r.node.get("data").map(Node::string_map).unwrap_or_default().into_iter().map(|(key, v)| {
                        if kind == "Secret" {
                            (key, decode_base64(&v))
                        } else {
                            (key, v)
                        }
                    }));
                    if kind == "Secret" {
                        vars.extend(r.node.get("stringData").map(Node::string_map).unwrap_or_default());
                    }
                }
                None if *optional => {}
                None => warnings.push(Problem {
                    rule: Rule::BuildIncomplete,
                    origin: origin.clone(),
                    message: format!("{kind} `{}/{name}` is not declared in this repository's cluster: the variables it holds are unknown", k.namespace),
                }),
            }
        }
        vars.extend(pb.substitute.iter().cloned());
        for v in vars.values_mut() {
            v.retain(|c| c != '\n' && c != '\r');
        }
        if let Some(bad) = vars.keys().find(|n| !valid_name(n)) {
            return Err(Problem {
                rule: Rule::BuildFailed,
                origin: pb.origin.clone(),
                message: format!("variable name `{bad}` is invalid: Flux fails Kustomization `{}` (\"var name is invalid\")", k.id),
            });
        }
        Ok((!vars.is_empty() || pb.always).then_some(vars))
    }

    /// Whether a kustomization's resources or components reach, through directories, a file
    /// that may hold an object the builds keep (or something only a build can tell: a remote
    /// base, a path that leaves the repository, a directory without kustomization).
    fn reaches_kept<'k>(
        &self,
        k: &'k Kustomization,
        by_dir: &foldhash::HashMap<&'k str, &'k Kustomization>,
        memo: &mut foldhash::HashMap<&'k str, bool>,
    ) -> bool {
        if let Some(&known) = memo.get(k.dir.as_str()) {
            return known;
        }
        memo.insert(&k.dir, false); // a cycle reaches nothing more
        let mut buf = String::new();
        let reaches = k.resources.iter().chain(&k.components).any(|e| {
            if kustomization::is_remote(&e.text) {
                return true;
            }
            let Some(rel) = source::join_into(&mut buf, &k.dir, &e.text) else {
                return true;
            };
            if self.source.is_file(rel) {
                return self.source.tokens(rel).relevant() || self.config_maps;
            }
            match by_dir.get(rel) {
                Some(sub) => self.reaches_kept(sub, by_dir, memo),
                None => self.source.is_dir(rel),
            }
        });
        memo.insert(&k.dir, reaches);
        reaches
    }

    /// The assumed cluster of a repository without Flux Kustomizations: each top-most
    /// kustomization as a Kustomization with an empty spec, and the plain files no build
    /// reads.
    fn implicit(&self, files: &[(&str, Tokens)]) -> Clusters {
        let mut out = Clusters::default();
        let mut cluster = Cluster {
            name: String::new(),
            objects: Vec::new(),
        };
        let dirs: Vec<String> = files
            .iter()
            .filter(|(f, _)| is_kustomization_file(f))
            .map(|(f, _)| source::parent(f).to_owned())
            .collect();
        let mut kustomizations = Vec::new();
        let mut included: HashSet<String> = HashSet::new();
        let mut unreadable: Vec<String> = Vec::new();
        let mut b = self.builder();
        for dir in dirs {
            match b.kustomization_in(&dir) {
                Some(Ok(k)) => {
                    // Only directories can be included as kustomizations.
                    let dirs = k
                        .resources
                        .iter()
                        .chain(&k.components)
                        .filter(|e| !is_yaml(&e.text));
                    for e in dirs {
                        if let Some(p) = source::join(&k.dir, &e.text) {
                            included.insert(p);
                        }
                    }
                    kustomizations.push(k);
                }
                Some(Err(p)) => {
                    // What it would include is unknown: its own directory's files are not
                    // taken as plain objects.
                    unreadable.push(dir.clone());
                    out.problems.push(p);
                }
                None => {}
            }
        }
        let mut reached: HashSet<Arc<str>> = b.reached.drain(..).collect();
        reached.extend(
            files
                .iter()
                .filter(|(f, _)| unreadable.iter().any(|d| source::parent(f) == d))
                .map(|(f, _)| Arc::from(*f)),
        );
        // A unit that reaches no file that may hold a kept object yields nothing: not built.
        let by_dir: foldhash::HashMap<&str, &Kustomization> = kustomizations
            .iter()
            .map(|k| (k.dir.as_str(), &**k))
            .collect();
        let mut memo = foldhash::HashMap::default();
        for k in kustomizations
            .iter()
            .filter(|k| !included.contains(&k.dir) && !k.component)
            .filter(|k| self.reaches_kept(k, &by_dir, &mut memo))
        {
            let mut b = self.builder();
            let built = b.build(k);
            out.problems.append(&mut b.warnings);
            reached.extend(b.reached);
            match built {
                Ok(resources) => cluster
                    .objects
                    .extend(resources.into_iter().map(|resource| Applied {
                        resource,
                        by: String::new(),
                    })),
                Err(p) => out.problems.push(p),
            }
        }
        let mut b = self.builder();
        for (rel, tokens) in files {
            if !tokens.relevant() || reached.contains(*rel) {
                continue;
            }
            if let Ok(resources) = b.file(rel) {
                cluster
                    .objects
                    .extend(resources.into_iter().map(|resource| Applied {
                        resource,
                        by: String::new(),
                    }));
            }
        }
        let default = Origin {
            file: Arc::from(".imagelock.yaml"),
            range: Default::default(),
        };
        for a in &mut cluster.objects {
            if a.resource.namespace().is_none() && !a.resource.is_namespace_object() {
                let ns = self.options.default_namespace.clone();
                let origin = a.resource.name_origin();
                let meta = a.resource.node.ensure_map(&["metadata"], &origin);
                meta.set("namespace", Node::string(&ns, origin.clone()));
                a.resource
                    .steps
                    .push(Step::new(format!("default namespace `{ns}`"), &default));
            }
        }
        out.clusters.push(cluster);
        sort_problems(&mut out.problems);
        out
    }
}

fn sort_problems(problems: &mut Vec<Problem>) {
    problems.sort_by(|a, b| {
        (&a.origin.file, a.origin.range.start(), &a.message).cmp(&(
            &b.origin.file,
            b.origin.range.start(),
            &b.message,
        ))
    });
    problems.dedup();
}

/// The kustomization Flux writes where `spec.path` has none: every `.yaml`/`.yml` file below,
/// and each directory with a kustomization as a whole.
fn generate(source: &dyn Source, dir: &str, origin: &Origin) -> Kustomization {
    fn walk(source: &dyn Source, base: &str, dir: &str, origin: &Origin, out: &mut Vec<Entry>) {
        for (name, is_dir) in source.list(dir) {
            let rel = if dir.is_empty() {
                name.clone()
            } else {
                format!("{dir}/{name}")
            };
            let relative = rel
                .strip_prefix(base)
                .map_or(rel.as_str(), |r| r.trim_start_matches('/'));
            if is_dir {
                if source.kustomization_file(&rel).is_some() {
                    out.push(Entry {
                        text: format!("./{relative}"),
                        origin: origin.clone(),
                    });
                } else {
                    walk(source, base, &rel, origin, out);
                }
            } else if name.ends_with(".yaml") || name.ends_with(".yml") {
                out.push(Entry {
                    text: format!("./{relative}"),
                    origin: origin.clone(),
                });
            }
        }
    }
    let mut resources = Vec::new();
    walk(source, dir, dir, origin, &mut resources);
    Kustomization {
        file: None,
        dir: dir.to_owned(),
        resources,
        ..Kustomization::default()
    }
}

/// A file named as kustomize names kustomizations.
pub(crate) fn is_kustomization_file(rel: &str) -> bool {
    let name = source::file_name(rel);
    kustomization::FILE_NAMES.contains(&name)
}

/// A path that names a YAML file rather than a directory.
fn is_yaml(path: &str) -> bool {
    path.ends_with(".yaml") || path.ends_with(".yml")
}

fn disabled(r: &Resource, key: &str, value: &str) -> bool {
    ["labels", "annotations"].iter().any(|field| {
        r.meta_map(field)
            .iter()
            .any(|(k, v)| k == key && v.eq_ignore_ascii_case(value))
    })
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

fn decode_base64(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default()
}

/// Substitute every scalar of an object, as Flux does on its YAML text: a value that was
/// written plain is read again as plain YAML, so it may change type or not parse at all.
/// Strict mode is Flux's default from 2.9 (kustomize-controller 1.9).
fn substitute(
    r: &mut Resource,
    vars: &BTreeMap<String, String>,
    strict: bool,
    k: &FluxKustomization,
    origin: &Origin,
) -> Result<(), Problem> {
    let vars = Vars {
        values: vars,
        strict,
    };
    let mut failure: Option<Problem> = None;
    let mut changed = false;
    r.node.scalars_mut(&mut |s: &mut Scalar, at: &Origin| {
        if failure.is_some() || !subst::touches(&s.text) {
            return;
        }
        match subst::substitute(&s.text, &vars) {
            Ok(new) if new == s.text => {}
            Ok(new) => {
                let plain = !crate::fix::needs_quotes(&s.text);
                if plain && starts_badly(&new) {
                    failure = Some(Problem {
                        rule: Rule::BuildFailed,
                        origin: at.clone(),
                        message: format!("after substitution `{}` becomes `{new}`, which Flux's YAML reader cannot parse unquoted: Kustomization `{}` fails", s.text, k.id),
                    });
                    return;
                }
                s.text = new;
                s.style = if plain { ScalarStyle::Plain } else { ScalarStyle::DoubleQuoted };
                s.tag = None;
                changed = true;
            }
            Err(SubstError::Unset(name)) => {
                failure = Some(Problem {
                    rule: Rule::UnsetVariable,
                    origin: at.clone(),
                    message: format!("variable `{name}` has no value in Kustomization `{}`'s post-build substitution: Flux fails it in strict mode (\"variable not set (strict mode)\")", k.id),
                });
            }
            Err(SubstError::Syntax(m)) => {
                failure = Some(Problem {
                    rule: Rule::BuildFailed,
                    origin: at.clone(),
                    message: format!("`{}` cannot be substituted ({m}): Flux fails Kustomization `{}`", s.text, k.id),
                });
            }
        }
    });
    if let Some(f) = failure {
        return Err(f);
    }
    if changed {
        r.steps.push(Step::new(
            format!("post-build substitution of Kustomization `{}`", k.id),
            origin,
        ));
    }
    Ok(())
}

/// A plain scalar that starts with one of YAML's indicators does not parse as the same text.
fn starts_badly(text: &str) -> bool {
    let first = text.chars().next();
    matches!(
        first,
        Some('>' | '|' | '*' | '&' | '!' | '%' | '@' | '`' | '[' | '{' | '#' | '\'' | '"')
    ) || text.starts_with("- ")
        || text.starts_with("? ")
        || text.starts_with(": ")
        || text.contains(": ")
        || text.contains(" #")
}
