//! `imagelock fix --commit`: plan each ImageUpdateAutomation's commit (`ops::commit`), then
//! write, commit and report.

use std::io::{self, Write};

use super::args::{FixArgs, Format, GlobalArgs};
use super::{emit, options, output, status, ExitStatus};
use crate::git::Repo;
use crate::model::Model;
use crate::ops::commit::{self, Event};
use crate::report::{self, Counts};

pub fn run(global: &GlobalArgs, args: &FixArgs) -> miette::Result<ExitStatus> {
    let model = Model::build(&options(global, &args.paths)?)?;
    let repo = Repo::open(&model.workspace)?;
    let plan = commit::plan(&model)?;
    if !args.allow_dirty {
        commit::refuse_dirty(&repo, &plan.files())?;
    }
    let human = global.format == Format::Human && !global.quiet;
    // A write per line (stderr is not buffered: one per piece of each line otherwise).
    let mut err = io::LineWriter::new(io::stderr().lock());
    commit::execute(&model, &repo, &plan, &mut |event| {
        if !human {
            return Ok(());
        }
        match event {
            Event::Fixed(rel) => output(writeln!(err, "fixed {rel}")),
            Event::Committed { commit, automation } => output(writeln!(
                err,
                "committed {} {} (ImageUpdateAutomation {})",
                &commit.id[..commit.id.len().min(7)],
                commit.summary,
                automation.decl.key.slash()
            )),
        }
    })?;
    if human {
        if plan.commits.is_empty() {
            output(writeln!(
                err,
                "nothing to commit: no ImageUpdateAutomation has a marker to update"
            ))?;
        }
        if plan.left_alone > 0 {
            output(writeln!(
                err,
                "left {} out-of-date marker{} that no ImageUpdateAutomation updates, as Flux would",
                plan.left_alone,
                if plan.left_alone == 1 { "" } else { "s" }
            ))?;
        }
    }
    drop(err);
    let counts = Counts::of(&plan.remaining);
    emit(
        global,
        &model,
        &plan.remaining,
        counts,
        &report::summary_line(counts, false),
    )?;
    Ok(status(counts.failed()))
}
