//! `fix`: new file contents from the model's edits, each verified before it is written, written
//! in batches (`fs::replace_all_made`); and what is left to report afterwards.

use std::collections::BTreeSet;

use crate::fix::{apply_edits, Edit};
use crate::manifest;
use crate::model::{FileId, Model};
use crate::report::Finding;
use crate::rules::Rule;
use crate::text::TextRange;

/// The new text of one file, or why it is left untouched.
#[derive(Debug)]
pub struct FileFix {
    pub file: FileId,
    pub rel: String,
    pub result: Result<String, String>,
}

/// Apply each file's edits in one pass, then re-parse and re-evaluate the result: a file whose
/// output does not parse, or that a second pass would change again, is left as it was.
/// Files are independent: they are planned on every core.
pub fn plan(model: &Model) -> Vec<FileFix> {
    let edited: Vec<_> = model.edits().into_iter().collect();
    crate::par::map(&edited, |(id, edits)| FileFix {
        file: *id,
        rel: model.file(*id).rel.clone(),
        result: plan_one(model, *id, edits),
    })
}

/// The new text of one file, or why it is left untouched.
fn plan_one(model: &Model, id: FileId, edits: &[Edit]) -> Result<String, String> {
    apply_edits(&model.file(id).text, edits)
        .map_err(|e| format!("conflicting edits: {e}"))
        .and_then(|new_text| verify(model, id, new_text))
}

fn verify(model: &Model, id: FileId, new_text: String) -> Result<String, String> {
    let manifest = manifest::parse_values(&new_text).map_err(|e| {
        format!(
            "the fixed file would not parse ({}); left unchanged",
            e.message
        )
    })?;
    let (text, sites) = model.evaluate(id, new_text, &manifest);
    if sites.iter().any(|s| s.out_of_date()) {
        return Err("a second pass would change the file again; left unchanged".to_owned());
    }
    Ok(text)
}

/// What `fix` did, or with `diff`, would do.
#[derive(Debug, Default)]
pub struct FixOutcome {
    /// Files written (or, with `diff`, that would be), in path order.
    pub files: Vec<String>,
    /// Marked values rewritten in them.
    pub values: usize,
    /// The unified diff, with `diff`.
    pub diff: String,
    /// Files that could not be written, with why.
    pub not_written: Vec<String>,
    /// What is left to report: everything but the out-of-date findings of fixed files (with
    /// `diff`, every finding but the out-of-date ones, which the diff shows).
    pub remaining: Vec<Finding>,
}

/// Fix every out-of-date marker of the selected files; with `diff`, write nothing.
pub fn fix(model: &Model, diff: bool) -> FixOutcome {
    let mut out = FixOutcome::default();
    let mut fixed: BTreeSet<FileId> = BTreeSet::new();
    if diff {
        for plan in plan(model) {
            match plan.result {
                Ok(new_text) => {
                    let file = model.file(plan.file);
                    (out.diff).push_str(&unified_diff(&plan.rel, &file.text, &new_text));
                    fixed.insert(plan.file);
                }
                Err(reason) => not_fixed(&mut out, &plan.rel, reason),
            }
        }
    } else {
        // Each file planned on the way to its write: planning a batch of files overlaps the
        // renames of the batch before.
        let edited: Vec<_> = model.edits().into_iter().collect();
        let writes = crate::fs::replace_all_made(model.root(), &edited, |(id, edits)| {
            let new_text = plan_one(model, *id, edits)?;
            let file = model.file(*id);
            Ok(crate::fs::Replacement {
                path: model.root().join(&file.rel),
                expected: file.text.as_bytes(),
                new: new_text.into_bytes().into(),
            })
        });
        for ((id, _), write) in edited.iter().zip(writes) {
            let rel = &model.file(*id).rel;
            match write {
                Ok(Ok(_)) => {
                    fixed.insert(*id);
                }
                Ok(Err(err)) => out.not_written.push(format!("{rel}: not fixed: {err}")),
                Err(reason) => not_fixed(&mut out, rel, reason),
            }
        }
    }
    out.files = fixed.iter().map(|&id| model.file(id).rel.clone()).collect();
    out.values = model
        .sites
        .iter()
        .filter(|s| s.out_of_date() && fixed.contains(&s.file))
        .count();
    let written: BTreeSet<&str> = if diff {
        BTreeSet::new()
    } else {
        out.files.iter().map(String::as_str).collect()
    };
    out.remaining.extend(
        model
            .findings
            .iter()
            .filter(|f| f.rule != Rule::OutOfDate || !(diff || written.contains(f.file.as_str())))
            .cloned(),
    );
    crate::report::sort(&mut out.remaining);
    out
}

/// A file left as it was, and why, as a finding.
fn not_fixed(out: &mut FixOutcome, rel: &str, reason: String) {
    out.remaining.push(Finding::new(
        Rule::UnparsableFile,
        rel,
        TextRange::default(),
        format!("not fixed: {reason}"),
    ));
}

fn unified_diff(rel: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{rel}"), &format!("b/{rel}"))
        .to_string()
}
