//! Which uses share a policy, what that policy is, and the names and files of the new objects.

use crate::flux_version::FluxVersion;
use std::collections::{BTreeMap, BTreeSet};

use super::propose::{self, Spec};
use super::{emit, find, kustomization_of, v1, Adoption, Options, Read, DEFAULT_NAMESPACE};
use crate::marker::Suffix;
use crate::model::Model;
use crate::report::Finding;
use crate::rules::Rule;
use crate::text::TextRange;

/// A group of uses that share one policy.
pub(super) struct Group {
    pub(super) canonical: String,
    pub(super) image: String,
    /// The first using file's directory, where a per-image file goes.
    pub(super) dir: String,
    pub(super) spec: Option<Spec>,
    /// An existing policy (namespace, name) to reuse.
    pub(super) reuse: Option<(String, String)>,
    /// An existing repository (namespace, name) the new policy names.
    pub(super) repository: Option<(String, String)>,
    pub(super) reflect_digest: bool,
    pub(super) from_v1: bool,
    pub(super) marks: Vec<(String, TextRange, Suffix)>,
    /// The tags in use of its uses: a policy must keep them all.
    pub(super) tags: Vec<String>,
    pub(super) namespace: String,
    pub(super) name: String,
    pub(super) file: String,
}

/// Decide what becomes of one use: a group (new or joined) and its marks, or a finding. Returns
/// whether the use is (or already was) adopted.
pub(super) fn adopt_use(
    out: &mut Adoption,
    groups: &mut Vec<Group>,
    existing: &Existing,
    options: &Options,
    rel: &str,
    u: find::Use,
    filter: Option<(v1::Filter, TextRange)>,
) -> bool {
    if u.marked {
        return true;
    }
    if u.marks.is_empty() {
        // A kustomization entry without `newTag`: nothing a policy could set.
        out.findings
            .push(no_policy(rel, &u, &propose::NoPolicy::NoTag));
        return false;
    }
    if u.marks.iter().any(|m| m.commented) {
        out.findings.push(
            Finding::new(
                Rule::UnmarkableReference,
                rel,
                u.range,
                format!(
                    "`{}` not marked: its line ends in a comment or the value sits inside a flow collection or block scalar",
                    u.image
                ),
            )
            .help("put the value on a line of its own, without a comment, and run adopt again"),
        );
        return false;
    }
    // A declared policy is reused for a tag adopt would propose one for, or one the policy
    // itself keeps: `latest` next to a policy's `1.4.2` stays unmarked, on every run alike.
    let reuse = existing.policies.get(&u.canonical).cloned().filter(|_| {
        let tag = u.tag.as_deref().unwrap_or("");
        propose::propose(u.tag.as_deref(), options.width, existing.flux).is_ok()
            || existing
                .compiled
                .get(&u.canonical)
                .and_then(Option::as_ref)
                .is_some_and(|p| p.select(&[tag]).is_ok_and(|t| t == tag))
    });
    if reuse.is_none() && existing.policies.contains_key(&u.canonical) && filter.is_none() {
        let why = propose::propose(u.tag.as_deref(), options.width, existing.flux)
            .err()
            .unwrap_or(propose::NoPolicy::NoTag);
        out.findings.push(no_policy(rel, &u, &why));
        return false;
    }
    let mut from_v1 = false;
    let spec = if reuse.is_some() {
        None
    } else {
        match filter {
            Some((v1::Filter::Invalid(why), range)) => {
                out.findings.push(
                    Finding::new(
                        Rule::FluxV1Annotation,
                        rel,
                        range,
                        format!("Flux v1 filter not converted: {why}"),
                    )
                    .help(
                        "write the ImagePolicy by hand, or fix the annotation and run adopt again",
                    ),
                );
                return false;
            }
            Some((v1::Filter::ByBuildTime(spec), range)) => {
                out.findings.push(
                    Finding::new(
                        Rule::FluxV1Annotation,
                        rel,
                        range,
                        "Flux v1 picked the newest matching tag by build time, which Flux v2 cannot read: the converted policy sorts the matching tags alphabetically",
                    )
                    .help("check that the tags sort by age, or tag images with a build stamp (flux's sortable tags guide) and use a numerical policy"),
                );
                from_v1 = true;
                Some(spec)
            }
            Some((v1::Filter::Same(Some(spec)), _)) => {
                from_v1 = true;
                Some(spec)
            }
            Some((v1::Filter::Same(None), _)) | None => {
                match propose::propose(u.tag.as_deref(), options.width, existing.flux) {
                    Ok(spec) => Some(spec),
                    Err(why) => {
                        out.findings.push(no_policy(rel, &u, &why));
                        return false;
                    }
                }
            }
        }
    };
    let reflect = u.digest.is_some() && u.marks.iter().any(|m| m.suffix == Suffix::Full);
    let tag = u.tag.clone().unwrap_or_default();
    let joined = groups.iter_mut().position(|g| {
        g.canonical == u.canonical
            && g.reuse == reuse
            && g.from_v1 == from_v1
            && joins(g, spec.as_ref(), &tag, from_v1, existing.flux)
    });
    let group = match joined {
        Some(i) => &mut groups[i],
        None => {
            groups.push(Group {
                canonical: u.canonical.clone(),
                image: u.image.clone(),
                dir: crate::text::parent(rel).to_owned(),
                spec,
                repository: existing.repositories.get(&u.canonical).cloned(),
                reuse,
                reflect_digest: false,
                from_v1,
                marks: Vec::new(),
                tags: Vec::new(),
                namespace: String::new(),
                name: String::new(),
                file: String::new(),
            });
            groups.last_mut().expect("just pushed")
        }
    };
    group.reflect_digest |= reflect;
    group.tags.push(tag);
    group
        .marks
        .extend(u.marks.iter().map(|m| (rel.to_owned(), m.range, m.suffix)));
    true
}

/// Whether a use with the tag `tag` (and the proposal `spec`) can share group `g`'s policy: one
/// policy per image where one can keep every tag in use. A v1 filter is the workload's choice
/// and only joins its equal; a proposal joins when the group's policy keeps its tag, or takes
/// the group over when its own keeps every tag the group has (`1.5.0` joins `>=1.4.2 <2.0.0`;
/// `1.4.2` widens a group started at `1.5.0`; `2.1.0` needs a policy of its own).
fn joins(g: &mut Group, spec: Option<&Spec>, tag: &str, from_v1: bool, flux: FluxVersion) -> bool {
    let (Some(mine), Some(new)) = (&g.spec, spec) else {
        return true;
    };
    if from_v1 {
        return mine == new;
    }
    if mine.keeps(tag, flux).is_ok() {
        return true;
    }
    if g.tags.iter().all(|t| new.keeps(t, flux).is_ok()) {
        g.spec = Some(new.clone());
        return true;
    }
    false
}

fn no_policy(rel: &str, u: &find::Use, why: &propose::NoPolicy) -> Finding {
    Finding::new(
        Rule::UnversionedImage,
        rel,
        u.range,
        format!("`{}`: {}", u.image, why.message()),
    )
    .help("pin a version tag (MAJOR.MINOR.PATCH, or a tag with a build stamp) and run adopt again")
}

/// The repository's declared objects, by canonical image.
pub(super) struct Existing {
    /// The first policy (by key) whose repository has the image.
    pub(super) policies: BTreeMap<String, (String, String)>,
    /// The first repository (by key) with the image.
    pub(super) repositories: BTreeMap<String, (String, String)>,
    /// Every declared name: new objects get other names.
    pub(super) names: BTreeSet<String>,
    /// The reused policies' selection rules, by image (`None` when invalid).
    pub(super) compiled: BTreeMap<String, Option<crate::policy::Policy>>,
    /// The target Flux release: its tag parsing and regexp syntax judge the proposals.
    pub(super) flux: FluxVersion,
}

impl Existing {
    pub(super) fn of(model: &Model) -> Self {
        let mut policies = BTreeMap::new();
        let mut repositories = BTreeMap::new();
        let mut names = BTreeSet::new();
        let mut compiled = BTreeMap::new();
        for r in &model.repositories {
            names.insert(r.decl.key.name.clone());
            if let Some(image) = &r.image {
                repositories
                    .entry(image.canonical())
                    .or_insert_with(|| (r.decl.key.namespace.clone(), r.decl.key.name.clone()));
            }
        }
        for p in &model.policies {
            names.insert(p.decl.key.name.clone());
            if let Some(image) = model.repository_of(p).and_then(|r| r.image.as_ref()) {
                if let std::collections::btree_map::Entry::Vacant(e) =
                    policies.entry(image.canonical())
                {
                    e.insert((p.decl.key.namespace.clone(), p.decl.key.name.clone()));
                    compiled.insert(image.canonical(), p.compiled.clone());
                }
            }
        }
        Self {
            policies,
            repositories,
            names,
            compiled,
            flux: model.config.flux_version,
        }
    }
}

/// Give each group its namespace, name and file.
pub(super) fn name_groups(
    groups: &mut [Group],
    existing: &Existing,
    options: &Options,
    files: &[Read],
    model: &Model,
) {
    let mut taken = existing.names.clone();
    let home = model.automations.first().map(|a| {
        let rel = a.decl.rel.as_str();
        (crate::text::parent(rel), a.decl.key.namespace.as_str())
    });
    // Repositories written in this run, by image: a second policy for an image (tags in use
    // no one range keeps) names the first one's repository and goes into its file.
    let mut created: BTreeMap<String, (String, String, String)> = BTreeMap::new();
    for g in groups.iter_mut() {
        if let Some((ns, name)) = &g.reuse {
            g.namespace.clone_from(ns);
            g.name.clone_from(name);
            continue;
        }
        if let (None, Some((ns, name, file))) = (&g.repository, created.get(&g.canonical)) {
            g.repository = Some((ns.clone(), name.clone()));
            g.namespace.clone_from(ns);
            g.name = unique_name(&g.canonical, &mut taken);
            g.file.clone_from(file);
            continue;
        }
        // A policy for an existing repository goes next to it, in its namespace.
        if let Some((ns, name)) = &g.repository {
            g.namespace.clone_from(ns);
            g.file = model
                .repositories
                .iter()
                .find(|r| r.decl.key.namespace == *ns && r.decl.key.name == *name)
                .map(|r| r.decl.rel.clone())
                .unwrap_or_default();
        }
        // Where the repository declares an ImageUpdateAutomation, its directory is where Flux
        // applies the automation's own objects: new objects go there, in its namespace, where
        // its automation reads them. Next to the image's first use they would take on the
        // namespace of an application's kustomization, out of every automation's reach.
        let dir = match (&options.into, home) {
            (Some(into), _) => crate::text::parent(into).to_owned(),
            (None, Some((dir, _))) => dir.to_owned(),
            (None, None) => g.dir.clone(),
        };
        if g.repository.is_none() {
            g.namespace = kustomization_of(&dir, files, model.root())
                .and_then(|(_, _, m)| emit::kustomization_namespace(&m))
                .or_else(|| options.namespace.clone())
                .or_else(|| home.map(|(_, ns)| ns.to_owned()))
                .unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned());
        }
        g.name = unique_name(&g.canonical, &mut taken);
        if g.file.is_empty() {
            g.file = match &options.into {
                Some(into) => into.clone(),
                None if dir.is_empty() => format!("{}-image.yaml", g.name),
                None => format!("{dir}/{}-image.yaml", g.name),
            };
        }
        if g.repository.is_none() {
            created.insert(
                g.canonical.clone(),
                (g.namespace.clone(), g.name.clone(), g.file.clone()),
            );
        }
    }
}

/// A Kubernetes name from the image's last path parts, not taken yet.
pub(super) fn unique_name(canonical: &str, taken: &mut BTreeSet<String>) -> String {
    let parts: Vec<&str> = canonical.rsplit('/').collect();
    let clean = |s: &str| {
        let mut out: String = s
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        while out.contains("--") {
            out = out.replace("--", "-");
        }
        out.trim_matches('-').chars().take(53).collect::<String>()
    };
    let mut candidates = vec![clean(parts[0])];
    if parts.len() > 2 {
        candidates.push(clean(&format!("{}-{}", parts[1], parts[0])));
    }
    let base = candidates[0].clone();
    let name = candidates
        .into_iter()
        .find(|c| !c.is_empty() && !taken.contains(c))
        .unwrap_or_else(|| {
            (2..)
                .map(|n| format!("{base}-{n}"))
                .find(|c| !taken.contains(c))
                .expect("unbounded")
        });
    taken.insert(name.clone());
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_kubernetes_names_and_unique() {
        let mut taken = BTreeSet::from(["web".to_owned()]);
        assert_eq!(unique_name("ghcr.io/acme/web", &mut taken), "acme-web");
        assert_eq!(unique_name("ghcr.io/other/web", &mut taken), "other-web");
        assert_eq!(unique_name("ghcr.io/acme/web", &mut taken), "web-2");
        assert_eq!(
            unique_name("index.docker.io/library/my_app.v2", &mut taken),
            "my-app-v2"
        );
        let long = format!("ghcr.io/acme/{}", "a".repeat(80));
        let name = unique_name(&long, &mut taken);
        assert!(name.len() <= 53 && name.bytes().all(|b| b.is_ascii_lowercase()));
    }
}
