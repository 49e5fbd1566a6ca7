//! Marker sites: every marker of the selected files, joined to its policy, with the value it
//! holds, the value it should hold, the edit between them and the automations that update it.

use super::automations::{coverage, under_path, Automation, Coverage};
use super::policies::{Policy, Resolution};
use super::{FileId, ObjectKey, PolicyId, SourceFile};
use crate::fix::{render_scalar_at, Edit};
use crate::image::{ImageName, Reference};
use crate::lock::Lock;
use crate::manifest::{Attachment, IgnoredReason, Manifest, PathSegment, ScalarNode};
use crate::marker::{self, Marker, MarkerError, Suffix};
use crate::report::{Change, Finding};
use crate::rules::Rule;
use crate::template::flux::ObjectId;
use crate::text::TextRange;

/// One marker that Flux would act on: well formed and attached to a scalar.
#[derive(Clone, Debug)]
pub struct MarkerSite {
    pub file: FileId,
    /// The document holding it.
    pub document: usize,
    pub marker: Marker,
    /// The marked scalar as written (quotes included), and its value.
    pub range: TextRange,
    pub current: String,
    /// The policy it names, when declared (in the first cluster that sets it).
    pub policy: Option<PolicyId>,
    /// The same policy in the other clusters that set it.
    pub others: Vec<PolicyId>,
    /// The clusters that set it disagree on its value: it is left alone.
    pub conflict: bool,
    /// What Flux would write, when the policy resolves (and a needed digest is locked).
    pub wanted: Option<String>,
    /// The edit from `current` to `wanted`, when they differ.
    pub edit: Option<Edit>,
    pub coverage: Coverage,
}

impl MarkerSite {
    pub fn out_of_date(&self) -> bool {
        self.edit.is_some()
    }
}

/// The clusters that set a marker: the policy resolved against, its coverage, the same policy
/// in the other clusters; or, where they disagree, each cluster's value.
struct Choice {
    policy: PolicyId,
    coverage: Coverage,
    others: Vec<PolicyId>,
    disagreement: Option<Vec<(usize, String)>>,
}

/// What marker evaluation reads from the model.
pub(crate) struct Context<'a> {
    pub policies: &'a [Policy],
    pub automations: &'a [Automation],
    pub lock: Option<&'a Lock>,
    pub repositories: &'a [super::policies::Repository],
    /// Cluster names, by index.
    pub clusters: &'a [String],
    /// `--all-markers`: a marker no automation updates is still out of date and fixed.
    pub all_markers: bool,
}

impl Context<'_> {
    /// The policy a marker resolves against, and its coverage: with one cluster, its policy;
    /// with several, those whose automations update the marker (all of them where none does),
    /// which must agree on the value, else `Err` with each cluster's value.
    fn choose(&self, key: &ObjectKey, marker: &Marker, rel: &str) -> Option<Choice> {
        let range = super::policies::named(self.policies, key);
        if range.is_empty() {
            return None;
        }
        let all: Vec<(PolicyId, Coverage)> = range
            .map(|i| {
                (
                    PolicyId(i),
                    coverage(self.automations, &self.policies[i], rel),
                )
            })
            .collect();
        let covered: Vec<&(PolicyId, Coverage)> = all
            .iter()
            .filter(|(_, c)| matches!(c, Coverage::Covered(_)))
            .collect();
        let applying = if covered.is_empty() {
            all.iter().collect()
        } else {
            covered
        };
        let values: Vec<(usize, String)> = applying
            .iter()
            .filter_map(|(id, _)| {
                let p = &self.policies[id.0];
                Some((p.decl.cluster, expected_value(marker, p.resolution()?)?))
            })
            .collect();
        let disagree = values.iter().any(|(_, v)| *v != values[0].1);
        let chosen = applying
            .iter()
            .position(|(id, _)| self.policies[id.0].resolution().is_some())
            .unwrap_or(0);
        let (policy, coverage) = applying[chosen].clone();
        Some(Choice {
            policy,
            coverage,
            others: applying
                .iter()
                .map(|(id, _)| *id)
                .filter(|id| *id != policy)
                .collect(),
            disagreement: disagree.then_some(values),
        })
    }
}

/// The sites and findings of one file.
#[derive(Debug, Default)]
pub(crate) struct FileOutcome {
    pub sites: Vec<MarkerSite>,
    pub findings: Vec<Finding>,
}

/// The policies that well-formed markers in this file name, with whether one is a `:digest`.
pub(crate) fn referenced_policies(
    manifest: &Manifest,
) -> impl Iterator<Item = (ObjectKey, bool)> + '_ {
    manifest.markers.iter().filter_map(|m| {
        if !matches!(m.attachment, Attachment::Scalar(_)) {
            return None;
        }
        let marker = marker::parse(&m.text).ok()?;
        let digest = marker.suffix == Suffix::Digest;
        Some((ObjectKey::new(marker.namespace, marker.name), digest))
    })
}

/// Evaluate every marker of one file against the model.
pub(crate) fn evaluate_file(
    cx: &Context<'_>,
    id: FileId,
    file: &SourceFile,
    manifest: &Manifest,
) -> FileOutcome {
    let mut out = FileOutcome::default();
    for m in &manifest.markers {
        if !marker::looks_like_marker(&m.text) {
            continue; // prose that mentions the key
        }
        let scalar = match &m.attachment {
            Attachment::Ignored { reason, .. } => {
                out.findings.push(ignored(file, m.range, reason));
                continue;
            }
            Attachment::Scalar(i) => {
                match manifest
                    .documents
                    .get(m.document)
                    .and_then(|d| d.scalars.get(*i))
                {
                    Some(s) => s,
                    None => continue,
                }
            }
        };
        // Offsets inside the comment text map to the file after the stripped `#` characters.
        let text_start = m.range.end() - m.text.len();
        let marker = match marker::parse(&m.text) {
            Ok(marker) => marker,
            Err(err) => {
                out.findings
                    .push(marker_error(file, m.range, text_start, err));
                continue;
            }
        };
        let setter_range = marker.setter_range.offset(text_start);
        let key = ObjectKey::new(marker.namespace.clone(), marker.name.clone());
        let mut site = MarkerSite {
            file: id,
            document: m.document,
            marker,
            range: scalar.range,
            current: scalar.value.clone(),
            policy: None,
            others: Vec::new(),
            conflict: false,
            wanted: None,
            edit: None,
            coverage: Coverage::NoAutomations,
        };
        // An automation that writes this file, in a cluster without the policy: Flux there
        // skips the marker (the policy may be renamed or moved by that cluster's build).
        if let Some(f) = missing_in_cluster(cx, file, setter_range, &site.marker, &key) {
            out.findings.push(f);
            out.sites.push(site);
            continue;
        }
        let Some(choice) = cx.choose(&key, &site.marker, &file.rel) else {
            out.findings
                .push(unknown_policy(cx, file, setter_range, &site.marker));
            out.sites.push(site);
            continue;
        };
        site.policy = Some(choice.policy);
        site.others = choice.others;
        site.coverage = choice.coverage;
        if let Some(values) = choice.disagreement {
            out.findings
                .push(conflict(cx, file, scalar.range, &site.marker, &values));
            site.conflict = true;
            out.sites.push(site);
            continue;
        }
        let policy = &cx.policies[choice.policy.0];
        if let Some(resolution) = policy.resolution() {
            image_mismatch(file, scalar, &site.marker, resolution, &mut out);
            site.wanted = expected_value(&site.marker, resolution);
            site.wanted = super::cooldown::hold_young_digest(
                site.marker.suffix,
                resolution,
                &scalar.value,
                site.wanted.take(),
            );
        }
        if let Some(held) = current_tag(&site).and_then(|t| t.split('@').next()) {
            out.findings.extend(super::cooldown::hand_set_young(
                cx, policy, file, &site, held,
            ));
        }
        let stale = site.wanted.clone().filter(|w| *w != scalar.value);
        // Where automations are declared, a marker none of them updates is Flux's to leave: said
        // once, as a warning that names the drift, and neither out of date nor fixed (unless
        // `--all-markers` asks for it; `fix --commit` reads the coverage and still leaves it).
        let updated = cx.all_markers
            || matches!(
                site.coverage,
                Coverage::NoAutomations | Coverage::Covered(_)
            );
        coverage_finding(
            cx.automations,
            file,
            setter_range,
            &site,
            stale.as_deref(),
            &mut out,
        );
        if let Some(wanted) = stale.filter(|_| updated) {
            let edit = Edit {
                range: scalar.range,
                replacement: render_scalar_at(&file.text, scalar.range, scalar.style, &wanted),
            };
            if let Some(f) = downgrade(cx, policy, file, &site, &wanted) {
                out.findings.push(f);
            }
            out.findings.push(
                Finding::new(
                    Rule::OutOfDate,
                    &file.rel,
                    scalar.range,
                    format!(
                        "`{}` is out of date: {} → {}",
                        site.marker.setter,
                        display(&scalar.value),
                        wanted
                    ),
                )
                .label(format!("policy resolves to {wanted}"))
                .change(Change {
                    setter: site.marker.setter.clone(),
                    old: scalar.value.clone(),
                    new: wanted,
                    edit: edit.clone(),
                }),
            );
            site.edit = Some(edit);
        }
        out.sites.push(site);
    }
    out
}

/// The tag a marker's value holds, for the suffixes that carry one.
fn current_tag(site: &MarkerSite) -> Option<&str> {
    match site.marker.suffix {
        Suffix::Full => Reference::split(&site.current).tag,
        Suffix::Tag => Some(site.current.as_str()),
        Suffix::Name | Suffix::Digest => None,
    }
}

/// A rewrite to a tag the policy ranks below the one the marker holds: the held tag is no longer
/// in the lock (deleted from the registry, or excluded), so the policy falls back. Flux would
/// write it silently; a reviewer should see it.
fn downgrade(
    cx: &Context<'_>,
    policy: &Policy,
    file: &SourceFile,
    site: &MarkerSite,
    wanted: &str,
) -> Option<Finding> {
    let resolution = policy.resolution()?;
    let held = current_tag(site)?.split('@').next()?;
    if held.is_empty() || held == resolution.tag {
        return None;
    }
    let compiled = policy.compiled.as_ref()?;
    let pair = [held.to_owned(), resolution.tag.clone()];
    if compiled.select(&pair).ok()? != held {
        return None; // the policy does not prefer the held tag: an ordinary update
    }
    let (entry, exclusions) = locked_entry(cx, policy)?;
    let locked = entry.tags.contains_key(held) && exclusions.excluded_by(held).is_none();
    if locked {
        return None; // the held tag is locked and lost on the policy's own terms
    }
    Some(
        Finding::new(
            Rule::Downgrade,
            &file.rel,
            site.range,
            format!(
                "`{}` would go down from `{held}` to `{}`: `{held}` is not among the locked tags",
                site.marker.setter, resolution.tag
            ),
        )
        .label(format!("rewritten to {wanted}"))
        .help("if the tag was deleted from the registry, this is what Flux will do; otherwise run `imagelock refresh` first"),
    )
}

/// The lock entry of a policy's repository's image, and the repository's exclusions.
pub(super) fn locked_entry<'a>(
    cx: &Context<'a>,
    policy: &Policy,
) -> Option<(&'a crate::lock::ImageEntry, &'a crate::policy::Exclusions)> {
    let repo = cx.repositories.get(policy.repository_id?.0)?;
    let (image, exclusions) = repo.built()?;
    Some((cx.lock?.image(&image.canonical())?, exclusions))
}

/// The paths of the values [`object_id`] reads.
const OBJECT_ID: [&[&str]; 4] = [
    &["apiVersion"],
    &["kind"],
    &["metadata", "name"],
    &["metadata", "namespace"],
];

/// Whether a scalar is one [`object_id`] reads: kept when a file's other values are dropped.
pub(crate) fn is_object_id(scalar: &ScalarNode) -> bool {
    OBJECT_ID.iter().any(|path| at_path(scalar, path))
}

fn at_path(scalar: &ScalarNode, path: &[&str]) -> bool {
    scalar.path.len() == path.len()
        && (scalar.path.iter().zip(path))
            .all(|(seg, want)| matches!(seg, PathSegment::Key(k) if **k == **want))
}

/// The identifier Flux records for the object around a marker: the document's own
/// `apiVersion`, `kind` and metadata, empty where absent (a kustomization or a values file).
pub(crate) fn object_id(manifest: &Manifest, doc: usize) -> ObjectId {
    let Some(document) = manifest.documents.get(doc) else {
        return ObjectId::default();
    };
    let get = |path: &[&str]| {
        (document.scalars.iter())
            .find(|s| at_path(s, path))
            .map(|s| s.value.clone())
            .unwrap_or_default()
    };
    let [api_version, kind, name, namespace] = OBJECT_ID.map(get);
    ObjectId {
        api_version,
        kind,
        name,
        namespace,
    }
}

fn display(value: &str) -> String {
    if value.is_empty() {
        "\"\"".to_owned()
    } else {
        value.to_owned()
    }
}

/// The value Flux writes for this marker (flux-semantics.md §1.3).
fn expected_value(marker: &Marker, r: &Resolution) -> Option<String> {
    Some(match marker.suffix {
        Suffix::Full if r.reflect_digest => format!("{}:{}@{}", r.name, r.tag, r.digest.as_ref()?),
        Suffix::Full => format!("{}:{}", r.name, r.tag),
        Suffix::Tag => r.tag.clone(),
        Suffix::Name => r.name.clone(),
        Suffix::Digest => r.digest.clone()?,
    })
}

fn ignored(file: &SourceFile, comment: TextRange, reason: &IgnoredReason) -> Finding {
    let why = match reason {
        IgnoredReason::OnKey => "it sits on a mapping key, not on a value",
        IgnoredReason::OnMapping => "it sits on a mapping, not on a scalar value",
        IgnoredReason::OnSequence => "it sits on a sequence, not on a scalar value",
        IgnoredReason::OnAlias => "it sits on an alias; Flux never changes aliases (mark the anchored value instead)",
        IgnoredReason::EmptyValue => "the value is empty, so the comment belongs to the key (write `\"\"` to mark an empty value)",
        IgnoredReason::InBlockScalar => "it is text inside a block scalar, not a comment",
        IgnoredReason::MultiLineHeadComment => "the comment above the item spans several lines; Flux reads it as one text that is not JSON",
        IgnoredReason::Detached => "a comment on its own line works only directly above a `- value` sequence item; here it belongs to a key or to nothing",
        IgnoredReason::ShadowedByLineComment => "the item below has its own line comment, which Flux reads instead",
        IgnoredReason::DuplicateKey => "an earlier entry of this mapping has the same key; Flux (kyaml) reaches only the first",
        IgnoredReason::NotRead => "Flux never reads this part of the file (after `...` in the same `---` piece, or outside a `List`'s `items`)",
    };
    Finding::new(
        Rule::IgnoredMarker,
        &file.rel,
        comment,
        format!("Flux ignores this marker: {why}"),
    )
    .help("put the marker at the end of the line holding the value, or on the line directly above a `- value` sequence item")
}

fn marker_error(
    file: &SourceFile,
    comment: TextRange,
    text_start: usize,
    err: MarkerError,
) -> Finding {
    match err {
        MarkerError::Malformed { reason } => Finding::new(
            Rule::MalformedMarker,
            &file.rel,
            comment,
            format!("malformed marker: {reason}"),
        )
        .help(r#"write it as `# {"$imagepolicy": "NAMESPACE:NAME"}`"#),
        MarkerError::UnknownSuffix {
            suffix,
            setter_range,
        } => {
            let mut f = Finding::new(
                Rule::UnknownSuffix,
                &file.rel,
                setter_range.offset(text_start),
                format!("unknown marker suffix `:{suffix}`"),
            )
            .label("expected `:tag`, `:name` or `:digest`");
            let lower = suffix.to_ascii_lowercase();
            if ["tag", "name", "digest"].contains(&lower.as_str()) {
                f = f.help(format!("suffixes are lowercase: write `:{lower}`"));
            }
            f
        }
        MarkerError::InvalidReference {
            reason,
            setter_range,
        } => Finding::new(
            Rule::InvalidPolicyReference,
            &file.rel,
            setter_range.offset(text_start),
            format!("invalid policy reference: {reason}"),
        ),
    }
}

/// A cluster whose automation in the marker's namespace writes this file, but which has no
/// policy of the marker's name.
fn missing_in_cluster(
    cx: &Context<'_>,
    file: &SourceFile,
    range: TextRange,
    marker: &Marker,
    key: &ObjectKey,
) -> Option<Finding> {
    let named = super::policies::named(cx.policies, key);
    let has = |cluster: usize| {
        cx.policies[named.clone()]
            .iter()
            .any(|p| p.decl.cluster == cluster)
    };
    let automation = cx.automations.iter().find(|a| {
        a.decl.key.namespace == key.namespace
            && under_path(&file.rel, a.update_path())
            && !has(a.decl.cluster)
    })?;
    let cluster = automation.decl.cluster;
    let cluster_name = cx.clusters.get(cluster).map_or("", String::as_str);
    let wanted = key.to_string();
    let best = closest(
        &wanted,
        cx.policies.iter().filter(|p| p.decl.cluster == cluster),
    );
    let elsewhere: Vec<String> = cx.policies[named]
        .iter()
        .filter_map(|p| cx.clusters.get(p.decl.cluster))
        .map(|c| format!("`{c}`"))
        .collect();
    let mut message = format!(
        "no ImagePolicy `{wanted}` in cluster `{cluster_name}`, whose ImageUpdateAutomation `{}` updates this file",
        automation.decl.key
    );
    if !elsewhere.is_empty() {
        message.push_str(&format!(" (cluster {} has one)", elsewhere.join(", ")));
    }
    let mut f = Finding::new(Rule::UnknownPolicy, &file.rel, range, message)
        .label("unknown in this cluster");
    if let Some((_, c)) =
        best.filter(|(d, c)| *d <= (wanted.len() / 2).max(2) || c.ends_with(&key.name))
    {
        f = f.help(format!(
            "the cluster's build names it `{c}`: write `{c}{}`",
            marker.suffix.as_str()
        ));
    }
    Some(f)
}

/// How many leading directories two repository-relative paths share.
fn common_dirs(a: &str, b: &str) -> usize {
    let (a, b) = (
        super::super::build::source::parent(a),
        super::super::build::source::parent(b),
    );
    a.split('/')
        .zip(b.split('/'))
        .take_while(|(x, y)| x == y && !x.is_empty())
        .count()
}

/// Two clusters that would write different values into one marker.
fn conflict(
    cx: &Context<'_>,
    file: &SourceFile,
    range: TextRange,
    marker: &Marker,
    values: &[(usize, String)],
) -> Finding {
    let name = |c: usize| {
        cx.clusters
            .get(c)
            .map_or_else(|| "?".to_owned(), |n| format!("`{n}`"))
    };
    let each: Vec<String> = values
        .iter()
        .map(|(c, v)| format!("{v} in cluster {}", name(*c)))
        .collect();
    Finding::new(
        Rule::ClusterConflict,
        &file.rel,
        range,
        format!(
            "policy `{}:{}` resolves differently per cluster: {}; their automations would overwrite each other",
            marker.namespace,
            marker.name,
            each.join(", ")
        ),
    )
    .label("clusters disagree")
    .help("give the clusters' policies different names, or narrow each automation's update.path to its own cluster's files")
}

/// The policy whose `namespace:name` is nearest `wanted`, with its edit distance.
fn closest<'p>(
    wanted: &str,
    policies: impl Iterator<Item = &'p Policy>,
) -> Option<(usize, String)> {
    policies
        .map(|p| p.decl.key.to_string())
        .map(|c| (strsim::levenshtein(wanted, &c), c))
        .min()
}

fn unknown_policy(
    cx: &Context<'_>,
    file: &SourceFile,
    range: TextRange,
    marker: &Marker,
) -> Finding {
    let wanted = format!("{}:{}", marker.namespace, marker.name);
    let best = closest(&wanted, cx.policies.iter());
    let mut f = Finding::new(
        Rule::UnknownPolicy,
        &file.rel,
        range,
        format!("no ImagePolicy `{wanted}` is declared in this repository"),
    )
    .label("unknown policy");
    // A build that moved or renamed the policy (kustomize's namespace, prefix or suffix)
    // explains the miss best.
    // Of several, the one whose build steps sit nearest the marker's file.
    let near = |p: &Policy| {
        p.decl
            .steps
            .iter()
            .map(|s| common_dirs(&s.origin.file, &file.rel))
            .max()
            .unwrap_or(0)
    };
    let moved = cx
        .policies
        .iter()
        .filter(|p| {
            let name = &p.decl.key.name;
            p.decl.key.to_string() != wanted
                && (*name == marker.name
                    || name.ends_with(&format!("-{}", marker.name))
                    || name.starts_with(&format!("{}-", marker.name)))
                && !p.decl.steps.is_empty()
        })
        .max_by_key(|p| near(p));
    if let Some(p) = moved {
        let how: Vec<String> = p
            .decl
            .steps
            .iter()
            .filter(|s| s.what.starts_with("namespace") || s.what.starts_with("name "))
            .map(|s| format!("{} by `{}`", s.what, s.origin.file))
            .collect();
        if !how.is_empty() {
            return f.help(format!(
                "the build makes ImagePolicy `{}` of `{}` into `{}` ({}): did you mean `{}{}`?",
                marker.name,
                p.decl.rel,
                p.decl.key,
                how.join(", "),
                p.decl.key,
                marker.suffix.as_str()
            ));
        }
    }
    match best {
        Some((d, c)) if d <= (wanted.len() / 3).max(2) => {
            f = f.help(format!("did you mean `{c}{}`?", marker.suffix.as_str()));
        }
        _ if cx.policies.is_empty() => {
            f = f.help("the repository declares no ImagePolicy at all");
        }
        _ => {}
    }
    f
}

/// What the automations leave undone: each case of [`Coverage`] but the covered.
fn coverage_finding(
    automations: &[Automation],
    file: &SourceFile,
    range: TextRange,
    site: &MarkerSite,
    stale: Option<&str>,
    out: &mut FileOutcome,
) {
    let marker = &site.marker;
    let (rule, mut message) = match site.coverage {
        Coverage::NoAutomations | Coverage::Covered(_) => return,
        Coverage::NoneInNamespace => (
            Rule::PolicyOutsideAutomationNamespace,
            format!(
                "no ImageUpdateAutomation in namespace `{}`: Flux uses only policies in an automation's own namespace and never updates this marker",
                marker.namespace
            ),
        ),
        Coverage::NotSelected => (
            Rule::PolicyNotSelected,
            format!(
                "no ImageUpdateAutomation's policySelector selects policy `{}:{}`",
                marker.namespace, marker.name
            ),
        ),
        Coverage::OutsidePath => (
            Rule::MarkerOutsideUpdatePath,
            format!(
                "`{}` is outside the update.path of every ImageUpdateAutomation that uses policy `{}:{}`",
                file.rel, marker.namespace, marker.name
            ),
        ),
        Coverage::Suspended(ref ids) => {
            let names: Vec<String> = ids
                .iter()
                .map(|id| format!("`{}`", automations[id.0].decl.key.slash()))
                .collect();
            (
                Rule::SuspendedAutomation,
                format!(
                    "only suspended ImageUpdateAutomations ({}) would update this marker: Flux does not while they are suspended",
                    names.join(", ")
                ),
            )
        }
    };
    if let Some(wanted) = stale {
        message.push_str(&format!(
            "; its value differs from the policy's ({} → {wanted}), which Flux leaves as it is",
            display(&site.current)
        ));
    }
    out.findings
        .push(Finding::new(rule, &file.rel, range, message));
}

fn image_mismatch(
    file: &SourceFile,
    scalar: &ScalarNode,
    marker: &Marker,
    r: &Resolution,
    out: &mut FileOutcome,
) {
    let current = match marker.suffix {
        Suffix::Full => Reference::split(&scalar.value).name,
        Suffix::Name => scalar.value.as_str(),
        Suffix::Tag | Suffix::Digest => return,
    };
    if current.is_empty() {
        return;
    }
    let same = match (ImageName::parse(current), ImageName::parse(&r.name)) {
        (Ok(a), Ok(b)) => a == b,
        _ => current == r.name,
    };
    if !same {
        out.findings.push(
            Finding::new(
                Rule::ImageMismatch,
                &file.rel,
                scalar.range,
                format!(
                    "this field holds image `{current}`, but policy `{}` tracks `{}`; Flux overwrites it anyway",
                    marker.setter, r.name
                ),
            )
            .label("different image"),
        );
    }
}
