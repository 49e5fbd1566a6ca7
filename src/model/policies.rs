//! Repositories and policies built from their specs once, validated, and resolved against the
//! lock: the one place that decides what a policy selects and whether it needs a digest.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::access::{access, Access};
use super::cooldown::{self, Times};
use super::objects::{Declared, PolicyDecl, RepositoryDecl};
use super::{ObjectKey, RepositoryId, SourceFile};
use crate::image::ImageName;
use crate::lock::Lock;
use crate::policy::{self, Age, Choice, Exclusions, Filter, Order, PolicyError, SelectError};
use crate::report::Finding;
use crate::resources::DigestReflection;
use crate::rules::Rule;
use crate::text::TextRange;

/// What a policy resolves to: Flux's `status.latestRef`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolution {
    /// The repository's `spec.image`, exactly as written.
    pub name: String,
    pub tag: String,
    /// Locked digest of the tag, when one is locked.
    pub digest: Option<String>,
    /// Digest reflection is on: a full marker writes `name:tag@digest`.
    pub reflect_digest: bool,
    /// The digest's age under the policy's cooldown: a too-young digest is not adopted.
    pub digest_age: Age,
}

/// A declared ImageRepository, built.
#[derive(Debug)]
pub struct Repository {
    pub decl: RepositoryDecl,
    /// Its image; `None` when `spec.image` is missing or invalid (reported).
    pub image: Option<ImageName>,
    /// Its compiled exclusion list; `None` when a pattern is invalid (reported).
    pub exclusions: Option<Exclusions>,
}

impl Repository {
    /// Image and exclusions, when both are valid: what refresh and resolution need.
    pub fn built(&self) -> Option<(&ImageName, &Exclusions)> {
        Some((self.image.as_ref()?, self.exclusions.as_ref()?))
    }
}

/// A declared ImagePolicy: compiled, resolved, and what it needs.
#[derive(Debug)]
pub struct Policy {
    pub decl: PolicyDecl,
    /// `spec.imageRepositoryRef`, in the policy's namespace unless it names another.
    pub repository: ObjectKey,
    pub repository_id: Option<RepositoryId>,
    /// The selection rule; `None` when the spec is invalid (reported) or was not needed.
    pub compiled: Option<policy::Policy>,
    pub reflection: DigestReflection,
    /// The selected tag's digest must be locked: digest reflection, or a `:digest` marker.
    pub needs_digest: bool,
    /// Its cooldown and order by first-seen time (annotations over the repository default).
    pub times: Times,
    pub state: State,
}

/// How far a policy got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    Resolved(Resolution),
    /// Its spec, or its repository's, is invalid: `check` says why.
    Invalid,
    /// Its repository's image has no lock entry (or there is no lock).
    NotLocked,
    /// The locked tags hold none it allows.
    NoTag(String),
    /// Not needed for the PATH arguments given, so not resolved.
    NotNeeded,
}

impl Policy {
    pub fn resolution(&self) -> Option<&Resolution> {
        match &self.state {
            State::Resolved(r) => Some(r),
            _ => None,
        }
    }
}

/// One policy resolved on a worker: everything of its [`Policy`] but the declaration, and the
/// findings about it.
struct Resolved {
    findings: Vec<Finding>,
    repository: ObjectKey,
    repository_id: Option<RepositoryId>,
    compiled: Option<policy::Policy>,
    reflection: DigestReflection,
    needs_digest: bool,
    times: Times,
    state: State,
}

pub(super) struct Built {
    pub repositories: Vec<Repository>,
    pub policies: Vec<Policy>,
    pub findings: Vec<Finding>,
}

struct Ctx<'a> {
    files: &'a [SourceFile],
    findings: Vec<Finding>,
}

impl Ctx<'_> {
    fn push<T>(
        &mut self,
        decl: &Declared<T>,
        rule: Rule,
        path: &[&str],
        message: String,
    ) -> &mut Finding {
        let (file, range) = decl.place(path);
        self.findings.push(Finding::new(rule, file, range, message));
        let last = self.findings.len() - 1;
        &mut self.findings[last]
    }
}

/// What resolution needs to know about the markers: the policies that markers in the selected
/// files name, and those a `:digest` marker anywhere names.
#[derive(Clone)]
pub(super) struct Use<'a> {
    pub selected: BTreeSet<ObjectKey>,
    pub digest: BTreeSet<ObjectKey>,
    /// The declared Namespaces' labels, for cross-namespace access.
    pub namespaces: &'a BTreeMap<String, BTreeMap<String, String>>,
    /// The repository's default cooldown.
    pub min_age: Option<policy::cooldown::MinAge>,
    /// How the target Flux release reads tags for semver policies.
    pub semver_rules: policy::semver::SemverRules,
    /// The regexp syntax of the Go the target Flux release is built with.
    pub go_syntax: policy::GoSyntax,
}

pub(super) fn build(
    repositories: BTreeMap<ObjectKey, RepositoryDecl>,
    policies: BTreeMap<ObjectKey, PolicyDecl>,
    files: &[SourceFile],
    lock: Option<&Lock>,
    lock_rel: &str,
    used: &Use<'_>,
) -> Built {
    let mut ctx = Ctx {
        files,
        findings: Vec::new(),
    };
    // Every policy is reported in a full run; with PATH arguments, only those a selected file
    // declares or uses (and their repositories): the rest would be resolved for nothing.
    let reported_policy =
        |key: &ObjectKey, p: &PolicyDecl| files[p.file].selected || used.selected.contains(key);
    let mut repos_to_report: BTreeSet<ObjectKey> = BTreeSet::new();
    for (key, p) in &policies {
        if reported_policy(key, p) {
            repos_to_report.insert(repo_key(p));
        }
    }
    let mut cache = ExclusionCache::default();
    let mut built_repos = Vec::with_capacity(repositories.len());
    for (key, decl) in repositories {
        let report = files[decl.file].selected || repos_to_report.contains(&key);
        let mut sink = Ctx {
            files,
            findings: Vec::new(),
        };
        let (image, exclusions) = build_repository(&mut sink, &decl, &mut cache, used.go_syntax);
        if report {
            ctx.findings.append(&mut sink.findings);
            // Only a repository that builds is looked up: an invalid one says why already.
            if let (Some(image), Some(_)) = (&image, &exclusions) {
                check_locked(&mut ctx, &decl, image, lock, lock_rel);
            }
        }
        built_repos.push(Repository {
            decl,
            image,
            exclusions,
        });
    }
    let index: BTreeMap<&ObjectKey, usize> = built_repos
        .iter()
        .enumerate()
        .map(|(i, r)| (&r.decl.key, i))
        .collect();

    // Policies are independent: resolved on every core, their findings kept in policy order.
    let decls: Vec<(ObjectKey, PolicyDecl)> = policies.into_iter().collect();
    let outcomes = crate::par::map(&decls, |(key, decl)| {
        let repository = repo_key(decl);
        let repository_id = index.get(&repository).map(|&i| RepositoryId(i));
        let needs_marker_digest = used.digest.contains(key);
        let mut out = Resolved {
            findings: Vec::new(),
            repository,
            repository_id,
            compiled: None,
            reflection: DigestReflection::Never,
            needs_digest: needs_marker_digest,
            times: Times::default(),
            state: State::Invalid,
        };
        if !reported_policy(key, decl) {
            out.reflection = DigestReflection::parse(decl.spec.digest_reflection_policy.as_deref())
                .unwrap_or_default();
            out.needs_digest = false;
            out.state = State::NotNeeded;
            return out;
        }
        let mut ctx = Ctx {
            files,
            findings: Vec::new(),
        };
        let compiled = build_policy(&mut ctx, decl, &index, used.semver_rules, used.go_syntax);
        let times = Times::read(decl, used.min_age).map_err(|mut f| ctx.findings.append(&mut f));
        out.times = times.unwrap_or_default();
        let repo = repository_id.map(|id| &built_repos[id.0]);
        let allowed = repo.is_none_or(|r| check_access(&mut ctx, decl, &r.decl, used.namespaces));
        if let Some((policy, reflection)) = compiled.as_ref().filter(|_| allowed && times.is_ok()) {
            out.reflection = *reflection;
            out.needs_digest = *reflection != DigestReflection::Never || needs_marker_digest;
            out.state = resolve_policy(&mut ctx, decl, policy, &out, repo, lock);
        }
        out.compiled = compiled.map(|(p, _)| p);
        out.findings = ctx.findings;
        out
    });
    let mut built_policies = Vec::with_capacity(decls.len());
    for ((_, decl), mut resolved) in decls.into_iter().zip(outcomes) {
        ctx.findings.append(&mut resolved.findings);
        built_policies.push(Policy {
            decl,
            repository: resolved.repository,
            repository_id: resolved.repository_id,
            compiled: resolved.compiled,
            reflection: resolved.reflection,
            needs_digest: resolved.needs_digest,
            times: resolved.times,
            state: resolved.state,
        });
    }
    Built {
        repositories: built_repos,
        policies: built_policies,
        findings: ctx.findings,
    }
}

/// The indices of the policies named `key`, one per cluster that has it (`policies` in
/// (key, cluster) order).
pub(super) fn named(policies: &[Policy], key: &ObjectKey) -> std::ops::Range<usize> {
    let start = policies.partition_point(|p| p.decl.key < *key);
    let end = policies.partition_point(|p| p.decl.key <= *key);
    start..end
}

/// Lock entries no repository of any cluster declares.
pub(super) fn unused_lock_entries(
    repositories: &[Repository],
    lock: Option<&Lock>,
    lock_rel: &str,
    lock_text: Option<&str>,
) -> Vec<Finding> {
    let (Some(lock), Some(text)) = (lock, lock_text) else {
        return Vec::new();
    };
    let declared: BTreeSet<String> = repositories
        .iter()
        .filter_map(|r| r.image.as_ref().map(ImageName::canonical))
        .collect();
    lock.images
        .keys()
        .filter(|i| !declared.contains(*i))
        .map(|image| {
            Finding::new(
                Rule::UnusedLockEntry,
                lock_rel,
                find_key(text, image),
                format!("`{image}` is locked but no ImageRepository declares it"),
            )
            .help("`imagelock refresh` rewrites the lock without it")
        })
        .collect()
}

/// Repositories and policies of every cluster in (key, cluster) order, each policy's
/// repository id following its repository.
pub(super) fn sort(
    repositories: Vec<Repository>,
    mut policies: Vec<Policy>,
) -> (Vec<Repository>, Vec<Policy>) {
    let mut order: Vec<usize> = (0..repositories.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&repositories[a].decl, &repositories[b].decl);
        (&a.key, a.cluster).cmp(&(&b.key, b.cluster))
    });
    let mut new_id = vec![0; order.len()];
    for (new, &old) in order.iter().enumerate() {
        new_id[old] = new;
    }
    let mut slots: Vec<Option<Repository>> = repositories.into_iter().map(Some).collect();
    let repositories = order
        .iter()
        .map(|&old| slots[old].take().expect("each once"))
        .collect();
    for p in &mut policies {
        p.repository_id = p.repository_id.map(|id| RepositoryId(new_id[id.0]));
    }
    policies.sort_by(|a, b| (&a.decl.key, a.decl.cluster).cmp(&(&b.decl.key, b.decl.cluster)));
    (repositories, policies)
}

/// Whether the policy may use its repository in another namespace; reported when not, or when
/// it cannot be told (then resolved all the same).
fn check_access(
    ctx: &mut Ctx<'_>,
    decl: &PolicyDecl,
    repo: &RepositoryDecl,
    namespaces: &BTreeMap<String, BTreeMap<String, String>>,
) -> bool {
    let (why, allowed) = match access(&decl.key.namespace, repo, namespaces) {
        Access::Allowed => return true,
        Access::Denied(why) => (why, false),
        Access::Unknown(why) => (why, true),
    };
    let path: &[&str] = if decl
        .spec
        .image_repository_ref
        .as_ref()
        .is_some_and(|r| r.namespace.is_some())
    {
        &["spec", "imageRepositoryRef", "namespace"]
    } else {
        &["spec", "imageRepositoryRef", "name"]
    };
    let f = ctx.push(
        decl,
        Rule::CrossNamespaceAccess,
        path,
        format!(
            "ImagePolicy `{}` {} ImageRepository `{}`: {why}",
            decl.id(),
            if allowed {
                "may not be allowed to use"
            } else {
                "may not use"
            },
            repo.key
        ),
    );
    f.help = Some(format!(
        "grant it on the ImageRepository: spec.accessFrom.namespaceSelectors: [{{matchLabels: {{kubernetes.io/metadata.name: {}}}}}]",
        decl.key.namespace
    ));
    if allowed {
        f.severity = crate::rules::Severity::Warning;
    } else {
        f.label = Some("Flux denies this reference: the policy never becomes ready".to_owned());
    }
    allowed
}

/// Select a tag for one compiled policy from its repository's lock entry.
fn resolve_policy(
    ctx: &mut Ctx<'_>,
    decl: &PolicyDecl,
    policy: &policy::Policy,
    settings: &Resolved,
    repo: Option<&Repository>,
    lock: Option<&Lock>,
) -> State {
    let (reflection, needs_digest, times) =
        (settings.reflection, settings.needs_digest, &settings.times);
    let Some((image, exclusions)) = repo.and_then(Repository::built) else {
        return State::Invalid;
    };
    let Some(entry) = lock.and_then(|l| l.image(&image.canonical())) else {
        return State::NotLocked;
    };
    let tags = exclusions.apply(entry.tag_names().map(String::as_str));
    let tag = match policy.select_timed(&tags, &times.timing(entry, lock)) {
        Ok(tag) => tag,
        Err(err) => {
            no_tag(ctx, decl, &err, tags.len());
            cooldown::no_tag_help(times, ctx.findings.last_mut());
            return State::NoTag(err.to_string());
        }
    };
    ctx.findings.extend(cooldown::flux_would_differ(
        decl, times, policy, &tags, &tag,
    ));
    let digest = entry.digest(&tag).map(str::to_owned);
    let digest_age = times.digest_age(entry, &tag, lock);
    if needs_digest && digest.is_none() {
        ctx.push(
            decl,
            Rule::DigestNotLocked,
            &["spec", "digestReflectionPolicy"],
            format!(
                "policy `{}` needs the digest of `{}:{tag}`, which images.lock does not hold",
                decl.id(),
                image.canonical()
            ),
        )
        .help = Some("run `imagelock refresh` to lock it".into());
    }
    State::Resolved(Resolution {
        name: repo
            .and_then(|r| r.decl.spec.image.clone())
            .unwrap_or_default(),
        tag,
        digest,
        reflect_digest: reflection != DigestReflection::Never,
        digest_age,
    })
}

/// The repository a policy names: `imageRepositoryRef`, in the policy's own namespace unless it
/// gives another.
pub(super) fn repo_key(policy: &PolicyDecl) -> ObjectKey {
    let r = policy.spec.image_repository_ref.as_ref();
    let namespace = r
        .and_then(|r| r.namespace.clone())
        .filter(|ns| !ns.is_empty())
        .unwrap_or_else(|| policy.key.namespace.clone());
    let name = r.and_then(|r| r.name.clone()).unwrap_or_default();
    ObjectKey { namespace, name }
}

/// Compiled exclusion lists by their patterns: most repositories share Flux's default list, and
/// compiling a regex costs far more than matching 300 tags with it.
type ExclusionCache = HashMap<Vec<String>, Option<Exclusions>>;

/// A repository's image and exclusion list, each `None` when invalid (with a finding).
fn build_repository(
    ctx: &mut Ctx<'_>,
    repo: &RepositoryDecl,
    cache: &mut ExclusionCache,
    syntax: policy::GoSyntax,
) -> (Option<ImageName>, Option<Exclusions>) {
    let image = match repo.spec.image.as_deref() {
        None => {
            ctx.push(
                repo,
                Rule::InvalidSpec,
                &["metadata", "name"],
                format!("ImageRepository `{}` has no spec.image", repo.id()),
            );
            None
        }
        Some(image) => match ImageName::parse(image) {
            Ok(name) => Some(name),
            Err(err) => {
                ctx.push(repo, Rule::InvalidSpec, &["spec", "image"], err.to_string());
                None
            }
        },
    };
    if let Some(Some(exclusions)) = cache.get(&repo.spec.exclusion_list) {
        return (image, Some(exclusions.clone()));
    }
    let mut ok = true;
    for (i, pattern) in repo.spec.exclusion_list.iter().enumerate() {
        if let Err(err) = policy::compile_regex_as(pattern, syntax) {
            ok = false;
            let index = i.to_string();
            regex_finding(ctx, repo, &["spec", "exclusionList", &index], &err);
        }
    }
    let exclusions = ok
        .then(|| Exclusions::new_as(&repo.spec.exclusion_list, syntax).ok())
        .flatten();
    cache.insert(repo.spec.exclusion_list.clone(), exclusions.clone());
    (image, exclusions)
}

fn check_locked(
    ctx: &mut Ctx<'_>,
    repo: &RepositoryDecl,
    image: &ImageName,
    lock: Option<&Lock>,
    lock_rel: &str,
) {
    if lock.is_some_and(|l| l.image(&image.canonical()).is_some()) {
        return;
    }
    let why = if lock.is_none() {
        format!("there is no lockfile `{lock_rel}`")
    } else {
        format!("`{lock_rel}` has no entry for `{}`", image.canonical())
    };
    ctx.push(
        repo,
        Rule::RepositoryNotLocked,
        &["spec", "image"],
        format!("ImageRepository `{}` is not locked: {why}", repo.id()),
    )
    .help = Some("run `imagelock refresh` to list its tags".into());
}

fn build_policy(
    ctx: &mut Ctx<'_>,
    decl: &PolicyDecl,
    repositories: &BTreeMap<&ObjectKey, usize>,
    semver_rules: policy::semver::SemverRules,
    go_syntax: policy::GoSyntax,
) -> Option<(policy::Policy, DigestReflection)> {
    let spec = &decl.spec;
    let mut ok = true;
    let repo = repo_key(decl);
    if repo.name.is_empty() {
        ctx.push(
            decl,
            Rule::InvalidSpec,
            &["metadata", "name"],
            format!(
                "ImagePolicy `{}` has no spec.imageRepositoryRef.name",
                decl.id()
            ),
        );
        ok = false;
    } else if !repositories.contains_key(&repo) {
        let f = ctx.push(
            decl,
            Rule::MissingImageRepository,
            &["spec", "imageRepositoryRef", "name"],
            format!(
                "ImagePolicy `{}` refers to ImageRepository `{repo}`, which is not declared",
                decl.id(),
            ),
        );
        let same_name: Vec<String> = repositories
            .keys()
            .filter(|k| k.name == repo.name)
            .map(ToString::to_string)
            .collect();
        if !same_name.is_empty() {
            f.help = Some(format!(
                "declared in another namespace: {}; set imageRepositoryRef.namespace",
                same_name.join(", ")
            ));
        } else if let Some((_, close)) = repositories
            .keys()
            .filter(|k| k.namespace == repo.namespace)
            .map(|k| (strsim::levenshtein(&k.name, &repo.name), &k.name))
            .filter(|(d, _)| *d <= (repo.name.len() / 3).max(2))
            .min()
        {
            f.help = Some(format!("did you mean `{close}`?"));
        }
        ok = false;
    }
    let reflection = match DigestReflection::parse(spec.digest_reflection_policy.as_deref()) {
        Some(r) => r,
        None => {
            ctx.push(
                decl,
                Rule::InvalidSpec,
                &["spec", "digestReflectionPolicy"],
                "digestReflectionPolicy must be Never, IfNotPresent or Always".into(),
            );
            ok = false;
            DigestReflection::Never
        }
    };
    let choice = build_choice(ctx, decl);
    let filter = match spec.filter_tags.as_ref() {
        Some(ft) if ft.pattern.is_some() || ft.extract.is_some() => {
            let pattern = ft.pattern.as_deref().unwrap_or("");
            match Filter::new_as(pattern, ft.extract.as_deref(), go_syntax) {
                Ok(filter) => {
                    if let Some(template) = &filter.extract {
                        let missing = template.missing_groups(&filter.regex);
                        if !missing.is_empty() {
                            ctx.push(
                                decl,
                                Rule::ExtractMissingGroup,
                                &["spec", "filterTags", "extract"],
                                format!(
                                    "extract names {} which the pattern `{pattern}` does not define; it expands to nothing",
                                    missing.join(", ")
                                ),
                            );
                            ok = false;
                        }
                    }
                    Some(filter)
                }
                Err(err) => {
                    regex_finding(ctx, decl, &["spec", "filterTags", "pattern"], &err);
                    ok = false;
                    None
                }
            }
        }
        _ => None,
    };
    let choice = choice?;
    ok.then_some((
        policy::Policy {
            choice,
            filter,
            semver_rules,
        },
        reflection,
    ))
}

fn build_choice(ctx: &mut Ctx<'_>, decl: &PolicyDecl) -> Option<Choice> {
    let kinds = decl.spec.policy.clone().unwrap_or_default();
    let set: Vec<&str> = [
        kinds.semver.as_ref().map(|_| "semver"),
        kinds.alphabetical.as_ref().map(|_| "alphabetical"),
        kinds.numerical.as_ref().map(|_| "numerical"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if set.is_empty() {
        ctx.push(
            decl,
            Rule::NoPolicyKind,
            &["metadata", "name"],
            format!(
                "ImagePolicy `{}` sets none of semver, alphabetical and numerical",
                decl.id()
            ),
        );
        return None;
    }
    if set.len() > 1 {
        ctx.push(
            decl,
            Rule::MultiplePolicyKinds,
            &["spec", "policy", set[1]],
            format!(
                "ImagePolicy `{}` sets {}; Flux uses only `{}`",
                decl.id(),
                set.join(" and "),
                set[0]
            ),
        );
    }
    if let Some(semver) = &kinds.semver {
        let range = semver.range.as_deref().unwrap_or("");
        return match range.parse() {
            Ok(range) => Some(Choice::Semver(range)),
            Err(err) => {
                let err = PolicyError::from(err);
                let base = decl.span(&["spec", "policy", "semver", "range"]);
                let range = inner_span(ctx.files, decl, base, &err);
                ctx.findings.push(
                    Finding::new(
                        Rule::InvalidSemverRange,
                        &decl.rel,
                        range,
                        format!("{err}"),
                    )
                    .help("ranges follow Masterminds semver v3: `>=1.2.0 <2.0.0`, `^1.2`, `~1.2.3`, `1.2.x`"),
                );
                None
            }
        };
    }
    let (kind, order) = match (&kinds.alphabetical, &kinds.numerical) {
        (Some(a), _) => ("alphabetical", a.order.as_deref()),
        (None, Some(n)) => ("numerical", n.order.as_deref()),
        (None, None) => return None,
    };
    let Some(parsed) = Order::parse(order.unwrap_or("")) else {
        ctx.push(
            decl,
            Rule::InvalidSpec,
            &["spec", "policy", kind, "order"],
            format!("{kind} order must be `asc` or `desc`"),
        );
        return None;
    };
    Some(if kind == "alphabetical" {
        Choice::Alphabetical(parsed)
    } else {
        Choice::Numerical(parsed)
    })
}

/// Narrow a field's span to the error's own span inside the value, where the value is written
/// plainly enough for offsets to carry over.
fn inner_span(
    files: &[SourceFile],
    decl: &PolicyDecl,
    field: TextRange,
    err: &dyn miette::Diagnostic,
) -> TextRange {
    let Some(file_text) = files.get(decl.file).map(|f| f.text.as_str()) else {
        return field;
    };
    let source = file_text.get(field.as_range()).unwrap_or("");
    let quote = usize::from(source.starts_with(['"', '\'']));
    if source.contains('\\') || source.contains("''") {
        return field;
    }
    let Some(label) = err.labels().and_then(|mut l| l.next()) else {
        return field;
    };
    let start = field.start() + quote + label.offset();
    let end = start + label.len();
    if end <= field.end() {
        TextRange::new(start, end)
    } else {
        field
    }
}

fn regex_finding<T>(
    ctx: &mut Ctx<'_>,
    decl: &super::Declared<T>,
    path: &[&str],
    err: &PolicyError,
) {
    let field = decl.span(path);
    let range = match err {
        PolicyError::InvalidRegex {
            pattern,
            span: Some(part),
            ..
        } => within_scalar(ctx.files, decl.file, field, pattern, part),
        _ => field,
    };
    ctx.findings.push(Finding::new(
        Rule::InvalidRegex,
        &decl.rel,
        range,
        err.to_string(),
    ));
}

/// The bytes of `part` (a span of `value`) in the file, where the scalar at `field` spells
/// `value` out as it is (plain or single-quoted without `''`, or double-quoted without escapes);
/// else the whole field.
fn within_scalar(
    files: &[SourceFile],
    file: usize,
    field: TextRange,
    value: &str,
    part: &miette::SourceSpan,
) -> TextRange {
    let Some(source) = files.get(file).and_then(|f| f.text.get(field.as_range())) else {
        return field;
    };
    let quote = usize::from(source.starts_with(['"', '\'']));
    let spelled = source.get(quote..quote + value.len()) == Some(value);
    let start = field.start() + quote + part.offset();
    let end = start + part.len();
    if spelled && !part.is_empty() && end <= field.end() {
        TextRange::new(start, end)
    } else {
        field
    }
}

fn no_tag(ctx: &mut Ctx<'_>, decl: &PolicyDecl, err: &SelectError, count: usize) {
    let path: &[&str] = match decl.spec.policy.as_ref() {
        Some(p) if p.semver.is_some() => &["spec", "policy", "semver", "range"],
        _ => &["metadata", "name"],
    };
    let mut help = format!("see why each tag lost: `imagelock explain {}`", decl.id());
    if matches!(err, SelectError::NoMatch) {
        help.push_str("; prereleases match only when the range carries one (e.g. `>=1.0.0-0`)");
    }
    ctx.push(
        decl,
        Rule::NoTagSelected,
        path,
        format!(
            "policy `{}` selects no tag from the {count} locked tags: {err}",
            decl.id()
        ),
    )
    .help = Some(help);
}

/// The range of `"image":` in the lock text, for a finding about that entry.
fn find_key(text: &str, image: &str) -> TextRange {
    let quoted = format!("{}:", serde_json::to_string(image).unwrap_or_default());
    text.find(&quoted)
        .map(|i| TextRange::new(i, i + quoted.len() - 1))
        .unwrap_or_default()
}

/// Every locked tag of a policy's repository, and why each lost or won: what `explain` shows.
#[derive(Debug)]
pub struct Candidates<'a> {
    pub image: &'a ImageName,
    /// Tags the exclusion list drops, with the pattern that drops each.
    pub excluded: Vec<(String, String)>,
    /// The policy over the rest: every tag's verdict, and the winner.
    pub evaluation: policy::Evaluation,
    /// The winner's locked digest.
    pub digest: Option<String>,
    /// The lock entry: first-seen times.
    pub entry: &'a crate::lock::ImageEntry,
}

/// Why a policy has no candidates to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoCandidates {
    /// The policy or its repository is invalid.
    Invalid,
    /// The repository's image (canonical name given) is not locked.
    NotLocked(String),
}

impl super::Model {
    /// The candidates of a policy: the same tags, after the same exclusions, as its resolution.
    pub fn candidates(&self, id: super::PolicyId) -> Result<Candidates<'_>, NoCandidates> {
        let policy = self.policy(id);
        let (Some(compiled), Some((image, exclusions))) = (
            policy.compiled.as_ref(),
            self.repository_of(policy).and_then(Repository::built),
        ) else {
            return Err(NoCandidates::Invalid);
        };
        let canonical = image.canonical();
        let entry = self
            .lock
            .as_ref()
            .and_then(|l| l.image(&canonical))
            .ok_or(NoCandidates::NotLocked(canonical))?;
        let mut excluded = Vec::new();
        let mut kept = Vec::new();
        for tag in entry.tag_names() {
            match exclusions.excluded_by(tag) {
                Some(i) => excluded.push((tag.clone(), exclusions.pattern(i).to_owned())),
                None => kept.push(tag.clone()),
            }
        }
        let evaluation =
            compiled.evaluate_timed(&kept, &policy.times.timing(entry, self.lock.as_ref()));
        let digest = evaluation
            .result
            .as_ref()
            .ok()
            .and_then(|tag| entry.digest(tag).map(str::to_owned));
        Ok(Candidates {
            image,
            excluded,
            evaluation,
            digest,
            entry,
        })
    }
}
