//! `adopt`: bring a repository's unmarked image references under automation. Finds where images
//! are set (`find.rs`), proposes an ImageRepository and an ImagePolicy per image from the tag in
//! use (`propose.rs`), or reuses the policy the repository declares for it, converts Flux v1's
//! annotations (`v1.rs`), and returns every file's new text (`emit.rs` writes the bytes). Nothing
//! is re-serialised: markers are comments appended to their values' lines, objects are new
//! documents, v1 annotations are removed line by line.

mod emit;
mod find;
mod group;
mod propose;
mod v1;

use std::collections::{BTreeMap, BTreeSet};

use group::{adopt_use, name_groups, Existing, Group};
pub use propose::{SemverWidth, Spec};

use crate::fix::{apply_edits, Edit};
use crate::flux_version::FluxVersion;
use crate::manifest::{self, Attachment, Manifest};
use crate::model::{Model, Selection};
use crate::report::Finding;
use crate::rules::Rule;
use crate::text::TextRange;
use crate::workspace;

/// Flux's own namespace: where new objects go when nothing says otherwise.
const DEFAULT_NAMESPACE: &str = "flux-system";

/// What the command line asks of `adopt`.
#[derive(Clone, Debug)]
pub struct Options {
    /// Namespace of the new objects, unless the kustomization that lists them sets another;
    /// `None`: the ImageUpdateAutomation's, else `flux-system`.
    pub namespace: Option<String>,
    pub width: SemverWidth,
    /// One file (repository-relative) for every new object; else one file per image, in the
    /// ImageUpdateAutomation's directory, else next to the first file that uses the image.
    pub into: Option<String>,
    pub keep_v1_annotations: bool,
}

/// One image put under a policy.
#[derive(Clone, Debug)]
pub struct Proposal {
    /// The image as written where it is used.
    pub image: String,
    pub namespace: String,
    pub policy: String,
    /// The new policy's spec; `None` when an existing policy is reused.
    pub spec: Option<Spec>,
    /// The file the new objects go to (empty when reused).
    pub file: String,
    /// Whether a new ImageRepository is written with it (not when one exists).
    pub new_repository: bool,
    /// Values marked.
    pub markers: usize,
    /// Converted from a Flux v1 annotation.
    pub from_v1: bool,
}

/// One file `adopt` changes or creates.
#[derive(Clone, Debug)]
pub struct FileChange {
    pub rel: String,
    /// The text read; `None` for a new file.
    pub old: Option<String>,
    pub new: String,
}

/// What `adopt` would do (or, after [`write`], did).
#[derive(Debug, Default)]
pub struct Adoption {
    pub files: Vec<FileChange>,
    pub proposals: Vec<Proposal>,
    pub markers: usize,
    /// Flux v1 annotations removed.
    pub v1_removed: usize,
    /// Why some references were left as they are (IL042–IL044), sorted.
    pub findings: Vec<Finding>,
    /// Steps left to the user (a kustomization whose resources cannot take a line).
    pub notes: Vec<String>,
    /// The texts of the files findings point into, for rendering.
    texts: BTreeMap<String, String>,
}

impl crate::report::Sources for Adoption {
    fn text(&self, file: &str) -> Option<&str> {
        self.texts.get(file).map(String::as_str)
    }
}

/// One parsed selected file.
struct Read {
    rel: String,
    text: String,
    manifest: Manifest,
}

/// Plan the adoption of the selected files' image references.
pub fn plan(
    model: &Model,
    selection: &Selection,
    options: &Options,
) -> Result<Adoption, workspace::WorkspaceError> {
    let mut listed = Vec::new();
    workspace::walk_manifests(&model.workspace, &mut |rel| listed.push(rel))?;
    listed.sort_unstable();
    listed.dedup();
    let root = model.root();
    let selected: Vec<String> = listed
        .into_iter()
        .filter(|r| selection.contains(r))
        .collect();
    // Reading and parsing are most of the work, and files are independent: on every core. A
    // file that cannot be read or parsed holds nothing adopt could mark (`check` reports the
    // ones that matter to Flux), and one that never says `image` nor `repository` holds no
    // image reference: neither is parsed. Only files with uses are kept.
    let (files, all): (Vec<Read>, Vec<Vec<find::Use>>) = crate::par::map(&selected, |rel| {
        let text = crate::fs::read_to_string(root.join(rel)).ok()?;
        if !text.contains("image") && !text.contains("repository") {
            return None;
        }
        let manifest = manifest::parse(&text).ok()?;
        let uses = find::uses(rel, &text, &manifest);
        (!uses.is_empty()).then(|| {
            (
                Read {
                    rel: rel.clone(),
                    text,
                    manifest,
                },
                uses,
            )
        })
    })
    .into_iter()
    .flatten()
    .unzip();
    let mut out = Adoption::default();
    let existing = Existing::of(model);
    let mut groups: Vec<Group> = Vec::new();
    let mut v1_docs: Vec<(usize, v1::Annotations, bool)> = Vec::new();
    // An image a kustomization's `images:` replaces is set there: the container that names it
    // (`image: app`) is not where a marker belongs.
    let replaced: BTreeSet<&str> = all
        .iter()
        .flatten()
        .filter_map(|u| u.replaces.as_deref())
        .collect();
    for (f, (file, uses)) in files.iter().zip(&all).enumerate() {
        let mut annotations: BTreeMap<usize, (v1::Annotations, bool)> = BTreeMap::new();
        for u in uses {
            if u.container.is_some() && !annotations.contains_key(&u.doc) {
                let a = v1::read(
                    &file.manifest.documents[u.doc],
                    model.config.flux_version.go_syntax(),
                );
                if !a.all.is_empty() {
                    annotations.insert(u.doc, (a, true));
                }
            }
        }
        for u in uses {
            if u.container.is_some() && replaced.contains(u.image.as_str()) {
                continue;
            }
            let v1_entry = annotations.get_mut(&u.doc);
            let filter = match (&v1_entry, &u.container) {
                (Some((a, _)), Some(c)) => a.filters.get(c).cloned(),
                _ => None,
            };
            let ok = adopt_use(
                &mut out,
                &mut groups,
                &existing,
                options,
                &file.rel,
                u.clone(),
                filter,
            );
            if let Some((_, complete)) = v1_entry {
                *complete &= ok;
            }
        }
        // A `tag.CONTAINER` filter that names no container of its workload converts to
        // nothing: say so, and keep the annotations.
        for (&d, (a, complete)) in &mut annotations {
            for (container, (_, range)) in &a.filters {
                let named = uses
                    .iter()
                    .any(|u| u.doc == d && u.container.as_deref() == Some(container.as_str()));
                if !named {
                    *complete = false;
                    out.findings.push(Finding::new(
                        Rule::FluxV1Annotation,
                        &file.rel,
                        *range,
                        format!("Flux v1 filter for container `{container}`, which this workload does not have: not converted"),
                    ));
                }
            }
        }
        v1_docs.extend(annotations.into_values().map(|(a, c)| (f, a, c)));
    }
    name_groups(&mut groups, &existing, options, &files, model);

    // Edits per file, and new files.
    let mut edits: BTreeMap<String, Vec<Edit>> = BTreeMap::new();
    let mut new_docs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let api_version = if model.config.flux_version >= FluxVersion::V2_7 {
        "image.toolkit.fluxcd.io/v1"
    } else {
        "image.toolkit.fluxcd.io/v1beta2"
    };
    for g in &groups {
        for (rel, range, suffix) in &g.marks {
            edits.entry(rel.clone()).or_default().push(Edit {
                range: TextRange::empty(range.end()),
                replacement: emit::marker(&g.namespace, &g.name, *suffix),
            });
        }
        if let (None, Some(spec)) = (&g.reuse, &g.spec) {
            let repository = g.repository.as_ref().map_or(g.name.as_str(), |r| &r.1);
            new_docs
                .entry(g.file.clone())
                .or_default()
                .extend(emit::objects(&emit::NewObjects {
                    api_version,
                    namespace: &g.namespace,
                    name: &g.name,
                    image: g.repository.is_none().then_some(g.image.as_str()),
                    repository,
                    spec,
                    reflect_digest: g.reflect_digest,
                }));
        }
        out.proposals.push(Proposal {
            image: g.image.clone(),
            namespace: g.namespace.clone(),
            policy: g.name.clone(),
            spec: if g.reuse.is_some() {
                None
            } else {
                g.spec.clone()
            },
            file: if g.reuse.is_some() {
                String::new()
            } else {
                g.file.clone()
            },
            new_repository: g.reuse.is_none() && g.repository.is_none(),
            markers: g.marks.len(),
            from_v1: g.from_v1,
        });
        out.markers += g.marks.len();
    }
    out.proposals
        .sort_by(|a, b| (&a.namespace, &a.policy).cmp(&(&b.namespace, &b.policy)));
    for (f, a, complete) in &v1_docs {
        let file = &files[*f];
        if options.keep_v1_annotations {
            continue;
        }
        if !complete {
            out.findings.push(
                Finding::new(
                    Rule::FluxV1Annotation,
                    &file.rel,
                    a.all[0],
                    "Flux v1 annotations kept: not every container of this workload could be adopted",
                )
                .help("see the other findings for this file; remove the annotations once every container has a marker"),
            );
            continue;
        }
        match v1::removal(&file.text, &a.all, a.entries) {
            Some(e) => {
                out.v1_removed += a.all.len();
                edits.entry(file.rel.clone()).or_default().extend(e);
            }
            None => out.findings.push(Finding::new(
                Rule::FluxV1Annotation,
                &file.rel,
                a.all[0],
                "Flux v1 annotations kept: they are not each on a line of their own; remove them by hand",
            )),
        }
    }
    add_to_kustomizations(&mut out, &mut edits, &new_docs, root);
    finish(&mut out, &files, edits, new_docs, root);
    crate::report::sort(&mut out.findings);
    for f in &out.findings {
        if let Some(read) = files.iter().find(|r| r.rel == f.file) {
            out.texts.insert(read.rel.clone(), read.text.clone());
        }
    }
    Ok(out)
}

/// The kustomization file of a directory, read and parsed.
fn kustomization_of(
    dir: &str,
    files: &[Read],
    root: &std::path::Path,
) -> Option<(String, String, Manifest)> {
    ["kustomization.yaml", "kustomization.yml", "Kustomization"]
        .iter()
        .map(|n| {
            if dir.is_empty() {
                (*n).to_owned()
            } else {
                format!("{dir}/{n}")
            }
        })
        .find_map(|rel| {
            if let Some(f) = files.iter().find(|f| f.rel == rel) {
                return Some((rel, f.text.clone(), f.manifest.clone()));
            }
            let text = crate::fs::read_to_string(root.join(&rel)).ok()?;
            let manifest = manifest::parse(&text).ok()?;
            Some((rel, text, manifest))
        })
}

/// List each new file in its directory's kustomization, where that one lists files.
fn add_to_kustomizations(
    out: &mut Adoption,
    edits: &mut BTreeMap<String, Vec<Edit>>,
    new_docs: &BTreeMap<String, Vec<String>>,
    root: &std::path::Path,
) {
    let mut by_dir: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for rel in new_docs.keys() {
        if !root.join(rel).exists() {
            let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
            by_dir.entry(dir).or_default().push(name);
        }
    }
    for (dir, names) in by_dir {
        let Some((k_rel, text, manifest)) = kustomization_of(dir, &[], root) else {
            continue;
        };
        match emit::add_resources(&text, &manifest, &names) {
            emit::Listing::Listed => {}
            emit::Listing::Add(edit) => edits.entry(k_rel).or_default().push(edit),
            emit::Listing::Cannot => out.notes.push(format!(
                "add {} to the resources of `{k_rel}`: adopt cannot add a line to its list",
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}

/// Apply the edits, check that each marker lands where Flux reads it, and build the new files.
fn finish(
    out: &mut Adoption,
    files: &[Read],
    edits: BTreeMap<String, Vec<Edit>>,
    new_docs: BTreeMap<String, Vec<String>>,
    root: &std::path::Path,
) {
    for (rel, edits) in edits {
        let (text, before) = match files.iter().find(|f| f.rel == rel) {
            Some(f) => (f.text.clone(), attached(&f.manifest)),
            None => match crate::fs::read_to_string(root.join(&rel)) {
                Ok(t) => {
                    let n = manifest::parse(&t).map_or(0, |m| attached(&m));
                    (t, n)
                }
                Err(_) => continue,
            },
        };
        let inserted = edits
            .iter()
            .filter(|e| e.replacement.contains("\"$imagepolicy\""))
            .count();
        let verified = apply_edits(&text, &edits)
            .map_err(|e| e.to_string())
            .and_then(|new| match manifest::parse(&new) {
                Ok(m) if attached(&m) == before + inserted => Ok(new),
                Ok(_) => Err("a marker would not be read by Flux".to_owned()),
                Err(e) => Err(format!("the result would not parse: {}", e.message)),
            });
        match verified {
            Ok(new) => out.files.push(FileChange {
                rel,
                old: Some(text),
                new,
            }),
            Err(why) => out.findings.push(Finding::new(
                Rule::UnmarkableReference,
                &rel,
                TextRange::default(),
                format!("file left unchanged: {why}"),
            )),
        }
    }
    for (rel, docs) in new_docs {
        let old = crate::fs::read_to_string(root.join(&rel)).ok();
        let new = emit::append_documents(old.as_deref().unwrap_or(""), &docs);
        match out.files.iter_mut().find(|f| f.rel == rel) {
            // The file also gets markers (an `--into` file that uses images): append to those.
            Some(f) => f.new = emit::append_documents(&f.new, &docs),
            None => out.files.push(FileChange { rel, old, new }),
        }
    }
    out.files.sort_by(|a, b| a.rel.cmp(&b.rel));
}

fn attached(m: &Manifest) -> usize {
    m.markers
        .iter()
        .filter(|k| matches!(k.attachment, Attachment::Scalar(_)))
        .count()
}

impl Adoption {
    /// Whether anything would change.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The unified diff of every change (new files from `/dev/null`).
    pub fn diff(&self) -> String {
        let mut out = String::new();
        for f in &self.files {
            let old_header = if f.old.is_some() {
                format!("a/{}", f.rel)
            } else {
                "/dev/null".to_owned()
            };
            out.push_str(
                &similar::TextDiff::from_lines(f.old.as_deref().unwrap_or(""), &f.new)
                    .unified_diff()
                    .context_radius(3)
                    .header(&old_header, &format!("b/{}", f.rel))
                    .to_string(),
            );
        }
        out
    }
}

/// Write every change: existing files atomically and only if unchanged since read, new files
/// atomically. Returns the files that could not be written, with why.
pub fn write(root: &std::path::Path, adoption: &Adoption) -> Vec<String> {
    let mut failed = Vec::new();
    let replacements: Vec<crate::fs::Replacement<'_>> = adoption
        .files
        .iter()
        .filter_map(|f| {
            Some(crate::fs::Replacement {
                path: root.join(&f.rel),
                expected: f.old.as_ref()?.as_bytes(),
                new: f.new.as_bytes().into(),
            })
        })
        .collect();
    let results = crate::fs::replace_all_checked(root, &replacements);
    for (r, result) in replacements.iter().zip(results) {
        if let Err(e) = result {
            failed.push(format!("{}: not written: {e}", r.path.display()));
        }
    }
    // New files wait on the disk one flush each: several at once overlap those waits.
    let new: Vec<&FileChange> = adoption.files.iter().filter(|f| f.old.is_none()).collect();
    let results = crate::par::map_io(&new, |f| {
        let path = root.join(&f.rel);
        path.parent()
            .map_or(Ok(()), fs_err::create_dir_all)
            .and_then(|()| crate::fs::write_atomic_if_changed(&path, f.new.as_bytes()))
    });
    for (f, result) in new.iter().zip(results) {
        if let Err(e) = result {
            failed.push(format!("{}: not written: {e}", f.rel));
        }
    }
    failed
}
