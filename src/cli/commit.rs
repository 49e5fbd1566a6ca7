//! `imagelock fix --commit`: fix, then commit what each ImageUpdateAutomation would have
//! committed, as Flux does — its author, its message template, only files under its
//! `update.path` and only markers of policies in its namespace that its `policySelector` selects.
//!
//! Every automation that has something to change gets its own commit (in namespace/name order),
//! as each Flux automation pushes its own. Nothing is written before every message has rendered,
//! every author is known and, unless `--allow-dirty`, every file to change is clean in git.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use super::args::{FixArgs, Format, GlobalArgs};
use super::check::{emit, options};
use super::ExitStatus;
use crate::engine::{self, Analysis, Declared};
use crate::fix::{apply_edits, Edit};
use crate::git::{Identity, Repo};
use crate::manifest::{Attachment, Manifest, PathSegment};
use crate::report::{self, Counts, Finding};
use crate::resources::ImageUpdateAutomationSpec;
use crate::rules::Rule;
use crate::template::flux::{self, Change, CommitData, ObjectId};

/// One out-of-date marker that fixing changes.
struct Pending {
    file: usize,
    edit: Edit,
    /// The marker's policy (namespace, name).
    policy: (String, String),
    change: Change,
    object: ObjectId,
}

/// One file's replacement: what it holds before, and after.
struct Replacement {
    file: usize,
    expected: String,
    new: String,
}

/// What one automation commits.
struct Planned<'a> {
    automation: &'a Declared<ImageUpdateAutomationSpec>,
    pending: Vec<usize>,
    author: Identity,
    message: String,
}

pub fn run(global: &GlobalArgs, args: &FixArgs) -> miette::Result<ExitStatus> {
    let analysis = engine::analyze(&options(global, &args.paths)?)?;
    let repo = Repo::open(&analysis.root)?;
    if analysis.model.automations.is_empty() {
        return Err(miette::miette!(
            code = "imagelock::no_automation",
            help = "declare one (Flux needs it to commit), or run `imagelock fix` and commit yourself",
            "no ImageUpdateAutomation is declared in this repository: `fix --commit` takes the commit's author and message from one"
        ));
    }

    let mut remaining: Vec<Finding> = Vec::new();
    let mut unfixable: BTreeSet<usize> = BTreeSet::new();
    for plan in engine::plan(&analysis) {
        if let Err(reason) = plan.result {
            unfixable.insert(plan.index);
            remaining.push(Finding::new(
                Rule::UnparsableFile,
                &plan.rel,
                crate::text::TextRange::default(),
                format!("not fixed: {reason}"),
            ));
        }
    }
    let pending: Vec<Pending> = pending_changes(&analysis)
        .into_iter()
        .filter(|p| !unfixable.contains(&p.file))
        .collect();

    let planned = plan_commits(&analysis, &pending)?;
    let claimed: BTreeSet<usize> = planned
        .iter()
        .flat_map(|p| p.pending.iter().copied())
        .collect();
    let files: Vec<usize> = claimed
        .iter()
        .map(|&i| pending[i].file)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if !args.allow_dirty {
        refuse_dirty(&repo, &analysis, &files)?;
    }

    // Every file's text after each commit, computed (and re-parsed) before anything is written.
    let mut applied: BTreeMap<usize, Vec<Edit>> = BTreeMap::new();
    let mut on_disk: BTreeMap<usize, String> = BTreeMap::new();
    let mut steps: Vec<Vec<Replacement>> = Vec::new();
    for plan in &planned {
        let mut touched: BTreeSet<usize> = BTreeSet::new();
        for &i in &plan.pending {
            let p = &pending[i];
            applied.entry(p.file).or_default().push(p.edit.clone());
            touched.insert(p.file);
        }
        let mut writes = Vec::new();
        for file in touched {
            let source = &analysis.files[file];
            let new = apply_edits(&source.text, &applied[&file])
                .map_err(|e| e.to_string())
                .and_then(|t| match crate::manifest::parse(&t) {
                    Ok(_) => Ok(t),
                    Err(e) => Err(format!("the fixed file would not parse ({})", e.message)),
                })
                .map_err(|e| {
                    miette::miette!(
                        code = "imagelock::internal",
                        "cannot fix `{}`: {e}",
                        source.rel
                    )
                })?;
            let expected = on_disk
                .insert(file, new.clone())
                .unwrap_or_else(|| source.text.clone());
            writes.push(Replacement {
                file,
                expected,
                new,
            });
        }
        steps.push(writes);
    }

    let human = global.format == Format::Human && !global.quiet;
    let mut err = io::stderr().lock();
    for (plan, writes) in planned.iter().zip(&steps) {
        let files: Vec<crate::fs::Replacement<'_>> = writes
            .iter()
            .map(|w| crate::fs::Replacement {
                path: analysis.root.join(&analysis.files[w.file].rel),
                expected: w.expected.as_bytes(),
                new: w.new.as_bytes(),
            })
            .collect();
        let results = crate::fs::replace_all_checked(&analysis.root, &files);
        let mut rels = Vec::new();
        for (w, result) in writes.iter().zip(results) {
            let rel = &analysis.files[w.file].rel;
            result.map_err(|e| {
                miette::miette!(code = "imagelock::io", "cannot write `{rel}`: {e}")
            })?;
            if human {
                super::output(writeln!(err, "fixed {rel}"))?;
            }
            rels.push(rel.clone());
        }
        let committer = repo.committer_for(&plan.author);
        let committed = repo.commit_files(&rels, &plan.author, &committer, &plan.message)?;
        if let (Some(c), true) = (committed, human) {
            super::output(writeln!(
                err,
                "committed {} {} (ImageUpdateAutomation {}/{})",
                &c.id[..c.id.len().min(7)],
                c.summary,
                plan.automation.namespace,
                plan.automation.name
            ))?;
        }
    }

    // Left: everything but the out-of-date findings that were committed. Out-of-date markers no
    // automation governs are Flux's to leave too: the warnings about them stay, they do not fail.
    let committed_edits: BTreeSet<(usize, crate::text::TextRange)> = claimed
        .iter()
        .map(|&i| (pending[i].file, pending[i].edit.range))
        .collect();
    let mut left_alone = 0usize;
    for f in &analysis.findings {
        if f.rule == Rule::OutOfDate {
            let key = f
                .change
                .as_ref()
                .and_then(|c| file_index(&analysis, &f.file).map(|i| (i, c.edit.range)));
            if key.is_some_and(|k| committed_edits.contains(&k)) {
                continue;
            }
            if key.is_some_and(|(i, _)| !unfixable.contains(&i)) {
                left_alone += 1;
                continue;
            }
        }
        remaining.push(f.clone());
    }
    report::sort(&mut remaining);
    if human {
        if planned.is_empty() {
            super::output(writeln!(
                err,
                "nothing to commit: no ImageUpdateAutomation has a marker to update"
            ))?;
        }
        if left_alone > 0 {
            super::output(writeln!(
                err,
                "left {left_alone} out-of-date marker{} that no ImageUpdateAutomation updates, as Flux would",
                if left_alone == 1 { "" } else { "s" }
            ))?;
        }
    }
    drop(err);
    let counts = Counts::of(&remaining);
    emit(global, &analysis, &remaining, counts, false)?;
    Ok(if counts.failed() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

fn file_index(analysis: &Analysis, rel: &str) -> Option<usize> {
    analysis
        .files
        .binary_search_by(|f| f.rel.as_str().cmp(rel))
        .ok()
}

/// Every out-of-date marker with its policy, the object around it and the change Flux records.
fn pending_changes(analysis: &Analysis) -> Vec<Pending> {
    let mut out = Vec::new();
    for finding in &analysis.findings {
        let (Rule::OutOfDate, Some(change)) = (finding.rule, &finding.change) else {
            continue;
        };
        let Some(file) = file_index(analysis, &finding.file) else {
            continue;
        };
        let Some(manifest) = &analysis.files[file].manifest else {
            continue;
        };
        let Some((doc, marker)) = marker_at(manifest, change.edit.range) else {
            continue;
        };
        out.push(Pending {
            file,
            edit: change.edit.clone(),
            policy: (marker.namespace, marker.name),
            change: Change {
                old_value: change.old.clone(),
                new_value: change.new.clone(),
                setter: change.setter.clone(),
            },
            object: object_id(manifest, doc),
        });
    }
    // File order, then position: the order Flux records changes in.
    out.sort_by_key(|p| (p.file, p.edit.range.start));
    out
}

/// The marker attached to the scalar at `range`, with its document.
fn marker_at(
    manifest: &Manifest,
    range: crate::text::TextRange,
) -> Option<(usize, crate::marker::Marker)> {
    manifest.markers.iter().find_map(|m| {
        let Attachment::Scalar(i) = m.attachment else {
            return None;
        };
        let scalar = manifest.documents.get(m.document)?.scalars.get(i)?;
        if scalar.range != range {
            return None;
        }
        crate::marker::parse(&m.text)
            .ok()
            .map(|marker| (m.document, marker))
    })
}

/// The object identifier Flux records: the document's own `apiVersion`, `kind` and metadata,
/// empty where absent (a kustomization or a values file has none).
fn object_id(manifest: &Manifest, doc: usize) -> ObjectId {
    let Some(document) = manifest.documents.get(doc) else {
        return ObjectId::default();
    };
    let get = |path: &[&str]| {
        document
            .scalars
            .iter()
            .find(|s| {
                s.path.len() == path.len()
                    && s.path
                        .iter()
                        .zip(path)
                        .all(|(seg, want)| matches!(seg, PathSegment::Key(k) if k == want))
            })
            .map(|s| s.value.clone())
            .unwrap_or_default()
    };
    ObjectId {
        api_version: get(&["apiVersion"]),
        kind: get(&["kind"]),
        name: get(&["metadata", "name"]),
        namespace: get(&["metadata", "namespace"]),
    }
}

/// Which automation commits which change, with its author and rendered message. A change two
/// automations govern goes to the first (after the first commit, the second finds it done).
fn plan_commits<'a>(
    analysis: &'a Analysis,
    pending: &[Pending],
) -> miette::Result<Vec<Planned<'a>>> {
    let mut automations: Vec<&Declared<ImageUpdateAutomationSpec>> = analysis
        .model
        .automations
        .iter()
        .filter(|a| !a.spec.suspend)
        .collect();
    automations.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    let mut claimed = vec![false; pending.len()];
    let mut out = Vec::new();
    for automation in automations {
        let update_path = automation
            .spec
            .update
            .as_ref()
            .and_then(|u| u.path.as_deref())
            .unwrap_or("");
        let mine: Vec<usize> = (0..pending.len())
            .filter(|&i| !claimed[i] && governs(analysis, automation, update_path, &pending[i]))
            .collect();
        if mine.is_empty() {
            continue;
        }
        for &i in &mine {
            claimed[i] = true;
        }
        let commit = automation
            .spec
            .git
            .as_ref()
            .and_then(|g| g.commit.as_ref())
            .or(automation.spec.commit.as_ref());
        let author = author(automation, commit)?;
        let mut data = CommitData {
            automation_namespace: automation.namespace.clone(),
            automation_name: automation.name.clone(),
            values: commit
                .map(|c| c.message_template_values.clone())
                .unwrap_or_default(),
            ..CommitData::default()
        };
        for &i in &mine {
            let p = &pending[i];
            let file = relative_to(&analysis.files[p.file].rel, update_path);
            data.file_changes
                .entry(file)
                .or_default()
                .entry(p.object.clone())
                .or_default()
                .push(p.change.clone());
        }
        let template = commit.and_then(|c| c.message_template.as_deref());
        let message = flux::render_message(template, &data).map_err(|e| {
            miette::miette!(
                code = "imagelock::template",
                help = "imagelock renders Flux's Go text/template data exactly, or refuses: see `docs/ci.md`",
                "cannot render spec.git.commit.messageTemplate of ImageUpdateAutomation {}/{} (in `{}`): {e}",
                automation.namespace,
                automation.name,
                automation.rel
            )
        })?;
        out.push(Planned {
            automation,
            pending: mine,
            author,
            message,
        });
    }
    Ok(out)
}

fn governs(
    analysis: &Analysis,
    automation: &Declared<ImageUpdateAutomationSpec>,
    update_path: &str,
    p: &Pending,
) -> bool {
    if p.policy.0 != automation.namespace {
        return false;
    }
    let Some(policy) = analysis.model.policies.get(&p.policy) else {
        return false;
    };
    let selected = automation
        .spec
        .policy_selector
        .as_ref()
        .is_none_or(|s| s.matches(&policy.labels));
    selected && engine::under_path(&analysis.files[p.file].rel, update_path)
}

/// The path Flux records a file by: relative to `update.path`.
fn relative_to(rel: &str, update_path: &str) -> String {
    let base = update_path.trim_start_matches("./").trim_matches('/');
    if base.is_empty() || base == "." {
        return rel.to_owned();
    }
    if rel == base {
        return rel.rsplit('/').next().unwrap_or(rel).to_owned();
    }
    rel.strip_prefix(base)
        .and_then(|r| r.strip_prefix('/'))
        .unwrap_or(rel)
        .to_owned()
}

/// `spec.git.commit.author` (v1alpha1: `authorName`/`authorEmail`); Flux requires the email.
fn author(
    automation: &Declared<ImageUpdateAutomationSpec>,
    commit: Option<&crate::resources::CommitSpec>,
) -> miette::Result<Identity> {
    let nested = commit.and_then(|c| c.author.as_ref());
    let name = nested
        .and_then(|a| a.name.clone())
        .or_else(|| commit.and_then(|c| c.author_name.clone()))
        .unwrap_or_default();
    let email = nested
        .and_then(|a| a.email.clone())
        .or_else(|| commit.and_then(|c| c.author_email.clone()))
        .filter(|e| !e.is_empty());
    match email {
        Some(email) => Ok(Identity { name, email }),
        None => Err(miette::miette!(
            code = "imagelock::no_author",
            help = "set spec.git.commit.author.email (Flux requires it)",
            "ImageUpdateAutomation {}/{} (in `{}`) has no commit author email",
            automation.namespace,
            automation.name,
            automation.rel
        )),
    }
}

fn refuse_dirty(repo: &Repo, analysis: &Analysis, files: &[usize]) -> miette::Result<()> {
    let rels: Vec<String> = files
        .iter()
        .map(|&i| analysis.files[i].rel.clone())
        .collect();
    let dirt = repo.dirt(&rels)?;
    let dirty: Vec<String> = rels
        .iter()
        .zip(dirt)
        .filter_map(|(rel, d)| d.map(|d| format!("  {}: {d}", repo.path_of(rel))))
        .collect();
    if dirty.is_empty() {
        return Ok(());
    }
    Err(miette::miette!(
        code = "imagelock::dirty",
        help = "commit or stash those changes first, or pass --allow-dirty to commit the files as they are in the work tree",
        "refusing to commit: {} to be changed {} not committed:\n{}",
        if dirty.len() == 1 { "a file" } else { "files" },
        if dirty.len() == 1 { "is" } else { "are" },
        dirty.join("\n")
    ))
}

#[cfg(test)]
mod tests {
    use super::relative_to;

    #[test]
    fn file_paths_are_relative_to_the_update_path_as_flux_records_them() {
        assert_eq!(relative_to("clusters/app.yaml", ""), "clusters/app.yaml");
        assert_eq!(relative_to("clusters/app.yaml", "./"), "clusters/app.yaml");
        assert_eq!(relative_to("clusters/app.yaml", "./clusters"), "app.yaml");
        assert_eq!(relative_to("clusters/a/b.yaml", "clusters/"), "a/b.yaml");
        assert_eq!(
            relative_to("clusters/app.yaml", "clusters/app.yaml"),
            "app.yaml"
        );
    }
}
