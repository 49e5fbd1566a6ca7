//! Where images are set in a manifest, read from the spanned tree: the containers of every pod
//! template, a kustomization's `images:` entries, and the image settings of a HelmRelease's
//! values.

use std::collections::{BTreeSet, HashMap};

use crate::build::is_kustomization_file;
use crate::image::{ImageName, Reference};
use crate::manifest::{Attachment, Document, Manifest, PathSegment, ScalarNode};
use crate::marker::Suffix;
use crate::text::TextRange;

/// One place an image is set: one value (`image: app:1.0`), or two that together make one
/// (`repository:` and `tag:`, `newName:` and `newTag:`).
#[derive(Clone, Debug)]
pub(crate) struct Use {
    pub doc: usize,
    /// The image as written, without tag or digest (`ghcr.io/org/app`).
    pub image: String,
    pub canonical: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
    /// The values to mark, with the marker's suffix each needs.
    pub marks: Vec<Mark>,
    /// The container's `name`, for a pod template (what Flux v1's `tag.CONTAINER` names).
    pub container: Option<String>,
    /// Where to point a finding: the value holding the tag, else the first mark.
    pub range: TextRange,
    /// Something already marks one of its values: adopted before.
    pub marked: bool,
    /// For a kustomization `images:` entry, its `name`: the image it replaces in the resources.
    pub replaces: Option<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct Mark {
    pub range: TextRange,
    pub suffix: Suffix,
    /// The value has a comment of its own on its line: the marker cannot go there.
    pub commented: bool,
}

/// Pod template paths by workload kind.
fn pod_spec(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "Pod" => &["spec"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => &["spec", "template", "spec"],
        _ => return None,
    })
}

const CONTAINER_LISTS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

/// A document's scalars by path.
struct Paths<'d> {
    doc: &'d Document,
    by_path: HashMap<&'d [PathSegment], usize>,
}

impl<'d> Paths<'d> {
    fn new(doc: &'d Document) -> Self {
        // The first of two entries with one key wins: kyaml, and so Flux, reaches only it.
        let mut by_path = HashMap::new();
        for (i, s) in doc.scalars.iter().enumerate() {
            by_path.entry(s.path.as_slice()).or_insert(i);
        }
        Self { doc, by_path }
    }

    fn get(&self, path: &[PathSegment]) -> Option<&'d ScalarNode> {
        self.by_path.get(path).map(|&i| &self.doc.scalars[i])
    }

    fn value(&self, keys: &[&str]) -> Option<&'d str> {
        let path: Vec<PathSegment> = keys.iter().map(|k| key(k)).collect();
        self.get(&path).map(|s| s.value.as_str())
    }
}

fn key(k: &str) -> PathSegment {
    PathSegment::Key(k.into())
}

fn is_key(seg: &PathSegment, k: &str) -> bool {
    matches!(seg, PathSegment::Key(s) if **s == *k)
}

/// Every image use in a parsed file, in file order.
pub(crate) fn uses(rel: &str, text: &str, manifest: &Manifest) -> Vec<Use> {
    let marked: BTreeSet<(usize, usize)> = manifest
        .markers
        .iter()
        .filter_map(|m| match m.attachment {
            Attachment::Scalar(i) => Some((m.document, i)),
            Attachment::Ignored { .. } => None,
        })
        .collect();
    let mut out = Vec::new();
    for (d, doc) in manifest.documents.iter().enumerate() {
        let paths = Paths::new(doc);
        let kind = paths.value(&["kind"]).unwrap_or("");
        let api = paths.value(&["apiVersion"]).unwrap_or("");
        let mut found = Vec::new();
        if let Some(prefix) = pod_spec(kind) {
            containers(&paths, prefix, &mut found);
        } else if kind == "HelmRelease" && api.starts_with("helm.toolkit.fluxcd.io/") {
            helm_values(&paths, &mut found);
        } else if is_kustomization_file(rel)
            && (kind.is_empty() || kind == "Kustomization" || kind == "Component")
            && !api.starts_with("kustomize.toolkit.fluxcd.io/")
        {
            kustomize_images(&paths, &mut found);
        }
        for (mut u, scalars) in found {
            u.doc = d;
            u.marked = scalars.iter().any(|&i| marked.contains(&(d, i)));
            for (mark, &i) in u.marks.iter_mut().zip(&scalars) {
                mark.commented =
                    doc.scalars[i].line_comment.is_some() || !ends_line(text, &doc.scalars[i]);
            }
            out.push(u);
        }
    }
    out
}

/// Nothing but blanks follows the value on its line: a `# comment` can be appended there (not
/// inside a flow collection, not on a block scalar's header).
fn ends_line(text: &str, scalar: &ScalarNode) -> bool {
    if scalar.style.is_block() {
        return false;
    }
    let rest = &text[scalar.range.end()..];
    let line = rest.split('\n').next().unwrap_or("");
    line.trim_end_matches('\r').trim().is_empty()
}

type Found = Vec<(Use, Vec<usize>)>;

fn index_of(paths: &Paths<'_>, s: &ScalarNode) -> usize {
    paths.by_path[s.path.as_slice()]
}

/// A use from one value holding a whole reference (`name[:tag][@digest]`).
fn full(paths: &Paths<'_>, s: &ScalarNode) -> Option<(Use, Vec<usize>)> {
    let r = Reference::split(&s.value);
    let name = ImageName::parse(r.name).ok()?;
    Some((
        Use {
            doc: 0,
            image: r.name.to_owned(),
            canonical: name.canonical(),
            tag: r.tag.map(str::to_owned),
            digest: r.digest.map(str::to_owned),
            marks: vec![Mark {
                range: s.range,
                suffix: Suffix::Full,
                commented: false,
            }],
            container: None,
            range: s.range,
            marked: false,
            replaces: None,
        },
        vec![index_of(paths, s)],
    ))
}

fn containers(paths: &Paths<'_>, prefix: &[&str], found: &mut Found) {
    for s in &paths.doc.scalars {
        let p = &s.path;
        let n = prefix.len();
        if p.len() != n + 3
            || !prefix.iter().zip(p).all(|(k, seg)| is_key(seg, k))
            || !CONTAINER_LISTS.iter().any(|l| is_key(&p[n], l))
            || !matches!(p[n + 1], PathSegment::Index(_))
            || !is_key(&p[n + 2], "image")
        {
            continue;
        }
        if let Some((mut u, scalars)) = full(paths, s) {
            let mut name_path = p.clone();
            name_path[n + 2] = key("name");
            u.container = paths.get(&name_path).map(|c| c.value.clone());
            found.push((u, scalars));
        }
    }
}

/// `images:` entries: the image is `newName` (else `name`), the tag `newTag`. `newName` gets a
/// `:name` marker and `newTag` a `:tag` one, as in Flux's guide.
fn kustomize_images(paths: &Paths<'_>, found: &mut Found) {
    for s in &paths.doc.scalars {
        let p = &s.path;
        if p.len() != 3
            || !is_key(&p[0], "images")
            || !matches!(p[1], PathSegment::Index(_))
            || !is_key(&p[2], "name")
        {
            continue;
        }
        let field = |f: &str| {
            let mut q = p.clone();
            q[2] = key(f);
            paths.get(&q)
        };
        let new_name = field("newName");
        let image = new_name.map_or(s.value.as_str(), |n| n.value.as_str());
        let Ok(name) = ImageName::parse(image) else {
            continue;
        };
        let tag = field("newTag");
        let mut marks = Vec::new();
        let mut scalars = Vec::new();
        for (scalar, suffix) in [(new_name, Suffix::Name), (tag, Suffix::Tag)] {
            if let Some(scalar) = scalar {
                marks.push(Mark {
                    range: scalar.range,
                    suffix,
                    commented: false,
                });
                scalars.push(index_of(paths, scalar));
            }
        }
        found.push((
            Use {
                doc: 0,
                image: image.to_owned(),
                canonical: name.canonical(),
                tag: tag.map(|t| t.value.clone()),
                digest: field("digest").map(|d| d.value.clone()),
                range: tag.map_or(s.range, |t| t.range),
                // Without a newTag there is nothing a policy could set: no marks.
                marks: if tag.is_some() { marks } else { Vec::new() },
                container: None,
                marked: false,
                replaces: Some(s.value.clone()),
            },
            if tag.is_some() { scalars } else { Vec::new() },
        ));
    }
}

/// A HelmRelease's values: an `image:` string holding a reference, or a mapping with
/// `repository:` and `tag:` (and maybe `registry:`), at any depth.
fn helm_values(paths: &Paths<'_>, found: &mut Found) {
    let values = [key("spec"), key("values")];
    for s in &paths.doc.scalars {
        let p = &s.path;
        if p.len() <= 2 || p[..2] != values {
            continue;
        }
        let last = &p[p.len() - 1];
        if is_key(last, "image") {
            // `image: nginx` without `/` or `:` is as likely a chart's switch as an image: only
            // values that name a registry path or a tag are taken.
            if s.value.contains(['/', ':']) {
                if let Some(u) = full(paths, s) {
                    found.push(u);
                }
            }
        } else if is_key(last, "repository") {
            let sibling = |f: &str| {
                let mut q = p.clone();
                *q.last_mut().expect("non-empty") = key(f);
                paths.get(&q)
            };
            let Some(tag) = sibling("tag") else {
                continue;
            };
            let registry = sibling("registry").filter(|r| !r.value.is_empty());
            let image = match registry {
                Some(r) => format!("{}/{}", r.value, s.value),
                None => s.value.clone(),
            };
            let Ok(name) = ImageName::parse(&image) else {
                continue;
            };
            // With a separate registry, the repository holds only part of the name: `:name`
            // would write the whole of it there, so only the tag is marked.
            let mut marks = Vec::new();
            let mut scalars = Vec::new();
            if registry.is_none() {
                marks.push(Mark {
                    range: s.range,
                    suffix: Suffix::Name,
                    commented: false,
                });
                scalars.push(index_of(paths, s));
            }
            marks.push(Mark {
                range: tag.range,
                suffix: Suffix::Tag,
                commented: false,
            });
            scalars.push(index_of(paths, tag));
            found.push((
                Use {
                    doc: 0,
                    image,
                    canonical: name.canonical(),
                    tag: Some(tag.value.clone()),
                    digest: None,
                    marks,
                    container: None,
                    range: tag.range,
                    marked: false,
                    replaces: None,
                },
                scalars,
            ));
        }
    }
}
