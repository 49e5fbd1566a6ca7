//! Policies built from their specs, validated, and resolved against the lock.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::declarations::{Model, PolicyDecl, RepositoryDecl};
use super::SourceFile;
use crate::image::ImageName;
use crate::lock::Lock;
use crate::policy::{self, Choice, Exclusions, Filter, Order, Policy, PolicyError, SelectError};
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
}

pub(super) struct Resolved {
    pub resolutions: BTreeMap<(String, String), Resolution>,
    pub findings: Vec<Finding>,
}

/// Policies used by markers in the selected files, with whether a `:digest` marker uses them.
pub type Used = BTreeMap<(String, String), bool>;

struct Ctx<'a> {
    files: &'a [SourceFile],
    findings: Vec<Finding>,
}

impl Ctx<'_> {
    fn push<T>(
        &mut self,
        decl: &super::Declared<T>,
        rule: Rule,
        path: &[&str],
        message: String,
    ) -> &mut Finding {
        let range = decl.span(path);
        self.findings
            .push(Finding::new(rule, &decl.rel, range, message));
        let last = self.findings.len() - 1;
        &mut self.findings[last]
    }
}

pub(super) fn resolve(
    model: &Model,
    files: &[SourceFile],
    lock: Option<&Lock>,
    lock_rel: &str,
    lock_text: Option<&str>,
    used: &Used,
) -> Resolved {
    let full = files.iter().all(|f| f.selected);
    let mut ctx = Ctx {
        files,
        findings: Vec::new(),
    };
    let used_keys: BTreeSet<&(String, String)> = used.keys().collect();
    let report_policy =
        |key: &(String, String), p: &PolicyDecl| files[p.file].selected || used_keys.contains(key);

    // Repositories: image name, exclusions, lock entry.
    let mut repos: BTreeMap<(String, String), (ImageName, Exclusions)> = BTreeMap::new();
    let mut repos_to_report: BTreeSet<(String, String)> = BTreeSet::new();
    for (key, p) in &model.policies {
        if report_policy(key, p) {
            repos_to_report.insert(repo_key(p));
        }
    }
    let mut compiled = ExclusionCache::default();
    for (key, repo) in &model.repositories {
        let report = files[repo.file].selected || repos_to_report.contains(key);
        // Outside a full run only what is reported matters: the rest is neither shown nor used.
        if !report {
            continue;
        }
        if let Some(built) = build_repository(&mut ctx, repo, report, &mut compiled) {
            if report {
                check_locked(&mut ctx, repo, &built.0, lock, lock_rel);
            }
            repos.insert(key.clone(), built);
        }
    }
    if full {
        if let (Some(lock), Some(text)) = (lock, lock_text) {
            let declared: BTreeSet<String> = repos.values().map(|(n, _)| n.canonical()).collect();
            for image in lock.images.keys().filter(|i| !declared.contains(*i)) {
                let range = find_key(text, image);
                ctx.findings.push(
                    Finding::new(
                        Rule::UnusedLockEntry,
                        lock_rel,
                        range,
                        format!("`{image}` is locked but no ImageRepository declares it"),
                    )
                    .help("`imagelock refresh` rewrites the lock without it"),
                );
            }
        }
    }

    // Every policy is reported in a full run; with PATH arguments, a policy that no selected
    // file declares or uses would be resolved for nothing. Policies are independent: they are
    // resolved on every core, and their findings kept in policy order.
    let reported: Vec<(&(String, String), &PolicyDecl)> = model
        .policies
        .iter()
        .filter(|(key, decl)| report_policy(key, decl))
        .collect();
    let outcomes = crate::par::map(&reported, |(key, decl)| {
        resolve_policy(model, files, lock, &repos, used, key, decl)
    });
    let mut resolutions = BTreeMap::new();
    for ((key, _), (mut findings, resolution)) in reported.into_iter().zip(outcomes) {
        ctx.findings.append(&mut findings);
        if let Some(resolution) = resolution {
            resolutions.insert(key.clone(), resolution);
        }
    }
    Resolved {
        resolutions,
        findings: ctx.findings,
    }
}

/// One reported policy: its findings, and its resolution when it has one.
fn resolve_policy(
    model: &Model,
    files: &[SourceFile],
    lock: Option<&Lock>,
    repos: &BTreeMap<(String, String), (ImageName, Exclusions)>,
    used: &Used,
    key: &(String, String),
    decl: &PolicyDecl,
) -> (Vec<Finding>, Option<Resolution>) {
    let mut ctx = Ctx {
        files,
        findings: Vec::new(),
    };
    let Some((policy, reflection)) = build_policy(&mut ctx, decl, &model.repositories) else {
        return (ctx.findings, None);
    };
    let Some((image, exclusions)) = repos.get(&repo_key(decl)) else {
        return (ctx.findings, None);
    };
    let Some(entry) = lock.and_then(|l| l.image(&image.canonical())) else {
        return (ctx.findings, None);
    };
    let tags = exclusions.apply(entry.tags.iter().cloned());
    let tag = match policy.select(&tags) {
        Ok(tag) => tag,
        Err(err) => {
            no_tag(&mut ctx, decl, &err, tags.len());
            return (ctx.findings, None);
        }
    };
    let needs_digest = reflection != DigestReflection::Never || used.get(key) == Some(&true);
    let digest = entry.digests.get(&tag).cloned();
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
    let name = model
        .repositories
        .get(&repo_key(decl))
        .and_then(|r| r.spec.image.clone())
        .unwrap_or_default();
    let resolution = Resolution {
        name,
        tag,
        digest,
        reflect_digest: reflection != DigestReflection::Never,
    };
    (ctx.findings, Some(resolution))
}

pub fn repo_key(policy: &PolicyDecl) -> (String, String) {
    let r = policy.spec.image_repository_ref.as_ref();
    let ns = r
        .and_then(|r| r.namespace.clone())
        .filter(|ns| !ns.is_empty())
        .unwrap_or_else(|| policy.namespace.clone());
    let name = r.and_then(|r| r.name.clone()).unwrap_or_default();
    (ns, name)
}

/// Compiled exclusion lists by their patterns: most repositories share Flux's default list, and
/// compiling a regex costs far more than matching 300 tags with it.
type ExclusionCache = HashMap<Vec<String>, Exclusions>;

fn build_repository(
    ctx: &mut Ctx<'_>,
    repo: &RepositoryDecl,
    report: bool,
    compiled: &mut ExclusionCache,
) -> Option<(ImageName, Exclusions)> {
    let mut sink = Ctx {
        files: ctx.files,
        findings: Vec::new(),
    };
    let image = match repo.spec.image.as_deref() {
        None => {
            sink.push(
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
                sink.push(repo, Rule::InvalidSpec, &["spec", "image"], err.to_string());
                None
            }
        },
    };
    if let Some(exclusions) = compiled.get(&repo.spec.exclusion_list) {
        if report {
            ctx.findings.append(&mut sink.findings);
        }
        return Some((image?, exclusions.clone()));
    }
    let mut exclusions_ok = true;
    for (i, pattern) in repo.spec.exclusion_list.iter().enumerate() {
        if let Err(err) = policy::compile_regex(pattern) {
            exclusions_ok = false;
            let index = i.to_string();
            regex_finding(&mut sink, repo, &["spec", "exclusionList", &index], &err);
        }
    }
    if report {
        ctx.findings.append(&mut sink.findings);
    }
    let exclusions = if exclusions_ok {
        Exclusions::new(&repo.spec.exclusion_list).ok()?
    } else {
        return None;
    };
    compiled.insert(repo.spec.exclusion_list.clone(), exclusions.clone());
    Some((image?, exclusions))
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
    repositories: &BTreeMap<(String, String), RepositoryDecl>,
) -> Option<(Policy, DigestReflection)> {
    let spec = &decl.spec;
    let mut ok = true;
    let repo = repo_key(decl);
    if repo.1.is_empty() {
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
                "ImagePolicy `{}` refers to ImageRepository `{}:{}`, which is not declared",
                decl.id(),
                repo.0,
                repo.1
            ),
        );
        let same_name: Vec<String> = repositories
            .keys()
            .filter(|(_, n)| *n == repo.1)
            .map(|(ns, n)| format!("{ns}:{n}"))
            .collect();
        if !same_name.is_empty() {
            f.help = Some(format!(
                "declared in another namespace: {}; set imageRepositoryRef.namespace",
                same_name.join(", ")
            ));
        } else if let Some((_, close)) = repositories
            .keys()
            .filter(|(ns, _)| *ns == repo.0)
            .map(|(_, n)| (strsim::levenshtein(n, &repo.1), n))
            .filter(|(d, _)| *d <= (repo.1.len() / 3).max(2))
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
            match Filter::new(pattern, ft.extract.as_deref()) {
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
    ok.then_some((Policy { choice, filter }, reflection))
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
    _decl: &PolicyDecl,
    field: TextRange,
    err: &dyn miette::Diagnostic,
) -> TextRange {
    let Some(file_text) = files.get(_decl.file).map(|f| f.text.as_str()) else {
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
    let range = decl.span(path);
    ctx.findings.push(Finding::new(
        Rule::InvalidRegex,
        &decl.rel,
        range,
        err.to_string(),
    ));
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

/// Valid repositories and policies, built without reporting: what `refresh` and `explain` need.
#[derive(Debug, Default)]
pub struct Compiled {
    /// (namespace, name) → the repository's image and exclusion list.
    pub repositories: BTreeMap<(String, String), (ImageName, Exclusions)>,
    /// (namespace, name) → the policy, its digest reflection, and its repository's key.
    pub policies: BTreeMap<(String, String), CompiledPolicy>,
}

#[derive(Debug)]
pub struct CompiledPolicy {
    pub policy: Policy,
    pub reflection: DigestReflection,
    pub repository: (String, String),
}

pub fn compile(model: &Model, files: &[SourceFile]) -> Compiled {
    let mut sink = Ctx {
        files,
        findings: Vec::new(),
    };
    let mut compiled = Compiled::default();
    let mut exclusions = ExclusionCache::default();
    for (key, repo) in &model.repositories {
        if let Some(built) = build_repository(&mut sink, repo, false, &mut exclusions) {
            compiled.repositories.insert(key.clone(), built);
        }
    }
    for (key, decl) in &model.policies {
        if let Some((policy, reflection)) = build_policy(&mut sink, decl, &model.repositories) {
            compiled.policies.insert(
                key.clone(),
                CompiledPolicy {
                    policy,
                    reflection,
                    repository: repo_key(decl),
                },
            );
        }
    }
    compiled
}
