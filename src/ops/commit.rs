//! `fix --commit`: what each ImageUpdateAutomation would have committed, as Flux does — its
//! author, its message template, only files under its `update.path` and only markers of policies
//! in its namespace that its `policySelector` selects ([`crate::model::Coverage`]).
//!
//! Every automation that has something to change gets its own commit (in namespace/name order),
//! as each Flux automation pushes its own. Nothing is written before every message has rendered,
//! every author is known and, unless allowed, every file to change is clean in git.

use std::collections::{BTreeMap, BTreeSet};

use miette::Diagnostic;
use thiserror::Error;

use crate::fix::{apply_edits, Edit};
use crate::git::{Committed, GitError, Identity, Repo};
use crate::model::{relative_to, Automation, FileId, Model};
use crate::report::Finding;
use crate::resources::CommitSpec;
use crate::rules::Rule;
use crate::template::flux::{self, Change, LatestImage};
use crate::text::TextRange;

#[derive(Debug, Error, Diagnostic)]
#[non_exhaustive]
pub enum CommitError {
    #[error("no ImageUpdateAutomation is declared in this repository: `fix --commit` takes the commit's author and message from one")]
    #[diagnostic(
        code(imagelock::no_automation),
        help("declare one (Flux needs it to commit), or run `imagelock fix` and commit yourself")
    )]
    NoAutomation,
    #[error("cannot render spec.git.commit.messageTemplate of ImageUpdateAutomation {automation} (in `{file}`): {message}")]
    #[diagnostic(
        code(imagelock::template),
        help(
            "imagelock renders Flux's Go text/template data exactly, or refuses: see `docs/ci.md`"
        )
    )]
    Template {
        automation: String,
        file: String,
        message: String,
    },
    #[error("ImageUpdateAutomation {automation} (in `{file}`) has no commit author email")]
    #[diagnostic(
        code(imagelock::no_author),
        help("set spec.git.commit.author.email (Flux requires it)")
    )]
    NoAuthor { automation: String, file: String },
    #[error("cannot fix `{file}`: {message}")]
    #[diagnostic(code(imagelock::internal))]
    Internal { file: String, message: String },
    #[error("refusing to commit: {} to be changed {} not committed:\n{}", if dirty.len() == 1 { "a file" } else { "files" }, if dirty.len() == 1 { "is" } else { "are" }, dirty.join("\n"))]
    #[diagnostic(
        code(imagelock::dirty),
        help("commit or stash those changes first, or pass --allow-dirty to commit the files as they are in the work tree")
    )]
    Dirty { dirty: Vec<String> },
    #[error("cannot write `{file}`: {source}")]
    #[diagnostic(code(imagelock::io))]
    Write {
        file: String,
        #[source]
        source: crate::fs::ReplaceError,
    },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Git(#[from] GitError),
}

/// One file's replacement in one commit: what it holds before, and after.
#[derive(Debug)]
pub struct Replacement {
    pub rel: String,
    pub expected: String,
    pub new: String,
}

/// What one automation commits.
#[derive(Debug)]
pub struct PlannedCommit<'a> {
    pub automation: &'a Automation,
    pub author: Identity,
    pub message: String,
    pub writes: Vec<Replacement>,
}

/// Every commit, and what is left to report after them.
#[derive(Debug)]
pub struct CommitPlan<'a> {
    pub commits: Vec<PlannedCommit<'a>>,
    /// Out-of-date markers that no automation updates, left as Flux leaves them.
    pub left_alone: usize,
    /// Every finding but the out-of-date ones that are committed or left alone.
    pub remaining: Vec<Finding>,
}

impl CommitPlan<'_> {
    /// Every file some commit changes, in path order.
    pub fn files(&self) -> Vec<String> {
        let set: BTreeSet<&str> = self
            .commits
            .iter()
            .flat_map(|c| c.writes.iter().map(|w| w.rel.as_str()))
            .collect();
        set.into_iter().map(str::to_owned).collect()
    }
}

/// One out-of-date marker that a commit changes.
struct Pending {
    file: FileId,
    edit: Edit,
    automation: usize,
    change: Change,
    object: flux::ObjectId,
}

/// Plan every automation's commit from the model, rendering messages and checking that each
/// result parses; nothing is written.
pub fn plan(model: &Model) -> Result<CommitPlan<'_>, CommitError> {
    if model.automations.is_empty() {
        return Err(CommitError::NoAutomation);
    }
    let mut remaining = Vec::new();
    let mut unfixable: BTreeSet<FileId> = BTreeSet::new();
    for fix in super::fix::plan(model) {
        if let Err(reason) = fix.result {
            unfixable.insert(fix.file);
            remaining.push(Finding::new(
                Rule::UnparsableFile,
                &fix.rel,
                TextRange::default(),
                format!("not fixed: {reason}"),
            ));
        }
    }
    // A change two automations govern goes to the first not suspended (after the first commit,
    // the second finds it done); in file order, then position: the order Flux records changes in.
    let mut pending: Vec<Pending> = Vec::new();
    let mut left_alone = 0usize;
    for site in &model.sites {
        let Some(edit) = &site.edit else {
            continue;
        };
        if unfixable.contains(&site.file) {
            continue;
        }
        let first = site
            .coverage
            .automations()
            .iter()
            .map(|id| id.0)
            .find(|&i| !model.automations[i].decl.spec.suspend);
        let Some(automation) = first else {
            left_alone += 1;
            continue;
        };
        pending.push(Pending {
            file: site.file,
            edit: edit.clone(),
            automation,
            change: Change {
                old_value: site.current.clone(),
                new_value: site.wanted.clone().unwrap_or_default(),
                setter: site.marker.setter.clone(),
            },
            object: model.object_of(site),
        });
    }
    pending.sort_by_key(|p| (p.file, p.edit.range.start()));
    let committed: BTreeSet<(FileId, TextRange)> =
        pending.iter().map(|p| (p.file, p.edit.range)).collect();

    // Every file's text after each commit, computed (and re-parsed) before anything is written.
    let mut applied: BTreeMap<FileId, Vec<Edit>> = BTreeMap::new();
    let mut on_disk: BTreeMap<FileId, String> = BTreeMap::new();
    let mut commits = Vec::new();
    for (index, automation) in model.automations.iter().enumerate() {
        let mine: Vec<&Pending> = pending.iter().filter(|p| p.automation == index).collect();
        if mine.is_empty() {
            continue;
        }
        let (author, message) = render(automation, &mine, model)?;
        let mut touched: BTreeSet<FileId> = BTreeSet::new();
        for p in &mine {
            applied.entry(p.file).or_default().push(p.edit.clone());
            touched.insert(p.file);
        }
        let mut writes = Vec::new();
        for file in touched {
            let source = model.file(file);
            let new = apply_edits(&source.text, &applied[&file])
                .map_err(|e| e.to_string())
                .and_then(|t| match crate::manifest::parse_values(&t) {
                    Ok(_) => Ok(t),
                    Err(e) => Err(format!("the fixed file would not parse ({})", e.message)),
                })
                .map_err(|message| CommitError::Internal {
                    file: source.rel.clone(),
                    message,
                })?;
            let expected = on_disk
                .insert(file, new.clone())
                .unwrap_or_else(|| source.text.clone());
            writes.push(Replacement {
                rel: source.rel.clone(),
                expected,
                new,
            });
        }
        commits.push(PlannedCommit {
            automation,
            author,
            message,
            writes,
        });
    }

    // Left: everything but the out-of-date findings that are committed or left alone (Flux
    // leaves them too: the warnings about them stay, they do not fail).
    for f in &model.findings {
        if f.rule == Rule::OutOfDate {
            let key = f
                .change
                .as_ref()
                .and_then(|c| model.file_id(&f.file).map(|i| (i, c.edit.range)));
            if key.is_some_and(|k| committed.contains(&k)) {
                continue;
            }
            if key.is_some_and(|(i, _)| !unfixable.contains(&i)) {
                continue;
            }
        }
        remaining.push(f.clone());
    }
    crate::report::sort(&mut remaining);
    Ok(CommitPlan {
        commits,
        left_alone,
        remaining,
    })
}

/// The author and rendered message of one automation's commit.
fn render(
    automation: &Automation,
    mine: &[&Pending],
    model: &Model,
) -> Result<(Identity, String), CommitError> {
    let decl = &automation.decl;
    let commit = automation.commit_spec().map(|(c, _)| c);
    let author = author(automation, commit)?;
    let mut data = automation.commit_data(model.config.flux_version);
    data.images = model
        .policies
        .iter()
        .filter_map(|p| {
            let r = p.resolution()?;
            let latest = LatestImage {
                image: r.name.clone(),
                tag: r.tag.clone(),
                policy_namespace: p.decl.key.namespace.clone(),
                policy_name: p.decl.key.name.clone(),
            };
            Some((p.decl.id(), latest))
        })
        .collect();
    for p in mine {
        let file = relative_to(&model.file(p.file).rel, automation.update_path());
        data.file_changes
            .entry(file)
            .or_default()
            .entry(p.object.clone())
            .or_default()
            .push(p.change.clone());
    }
    let template = commit.and_then(|c| c.message_template.as_deref());
    let message = flux::render_message(template, &data).map_err(|e| CommitError::Template {
        automation: decl.key.slash(),
        file: decl.rel.clone(),
        message: e.to_string(),
    })?;
    Ok((author, message))
}

/// `spec.git.commit.author` (v1alpha1: `authorName`/`authorEmail`); Flux requires the email.
fn author(automation: &Automation, commit: Option<&CommitSpec>) -> Result<Identity, CommitError> {
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
        None => Err(CommitError::NoAuthor {
            automation: automation.decl.key.slash(),
            file: automation.decl.rel.clone(),
        }),
    }
}

/// Refuse files with uncommitted changes.
pub fn refuse_dirty(repo: &Repo, rels: &[String]) -> Result<(), CommitError> {
    let dirt = repo.dirt(rels)?;
    let dirty: Vec<String> = rels
        .iter()
        .zip(dirt)
        .filter_map(|(rel, d)| d.map(|d| format!("  {}: {d}", repo.path_of(rel))))
        .collect();
    if dirty.is_empty() {
        Ok(())
    } else {
        Err(CommitError::Dirty { dirty })
    }
}

/// What happened as the plan was carried out, for the caller to report.
#[derive(Debug)]
pub enum Event<'a> {
    Fixed(&'a str),
    Committed {
        commit: Committed,
        automation: &'a Automation,
    },
}

/// Write and commit each planned commit in turn.
pub fn execute<'a>(
    model: &Model,
    repo: &Repo,
    plan: &'a CommitPlan<'_>,
    on: &mut dyn FnMut(Event<'a>) -> miette::Result<()>,
) -> miette::Result<()> {
    for planned in &plan.commits {
        let files: Vec<crate::fs::Replacement<'_>> = planned
            .writes
            .iter()
            .map(|w| crate::fs::Replacement {
                path: model.root().join(&w.rel),
                expected: w.expected.as_bytes(),
                new: w.new.as_bytes().into(),
            })
            .collect();
        let results = crate::fs::replace_all_checked(model.root(), &files);
        let mut rels = Vec::new();
        for (w, result) in planned.writes.iter().zip(results) {
            result.map_err(|source| CommitError::Write {
                file: w.rel.clone(),
                source,
            })?;
            on(Event::Fixed(&w.rel))?;
            rels.push(w.rel.clone());
        }
        let committer = repo.committer_for(&planned.author);
        let committed = repo.commit_files(&rels, &planned.author, &committer, &planned.message)?;
        if let Some(commit) = committed {
            on(Event::Committed {
                commit,
                automation: planned.automation,
            })?;
        }
    }
    Ok(())
}
