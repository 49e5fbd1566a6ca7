//! `imagelock check` and `imagelock fix`: the CI gate and the rewrite.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::args::{CheckArgs, FixArgs, Format, GlobalArgs};
use super::{emit, options, output, release, status, ExitStatus};
use crate::model::Model;
use crate::ops;
use crate::report::{self, Counts};

pub fn check(global: &GlobalArgs, args: &CheckArgs) -> miette::Result<ExitStatus> {
    let model = Model::build(&options(global, &args.paths)?)?;
    let counts = Counts::of(&model.findings);
    emit(
        global,
        &model,
        &model.findings,
        counts,
        &report::summary_line(counts, true),
    )?;
    release(model);
    Ok(status(counts.failed()))
}

pub fn fix(global: &GlobalArgs, args: &FixArgs) -> miette::Result<ExitStatus> {
    if args.commit {
        return super::commit::run(global, args);
    }
    let model = Model::build(&options(global, &args.paths)?)?;
    let outcome = ops::fix::fix(&model, args.diff);
    let counts = Counts::of(&outcome.remaining);
    let done = rewritten(outcome.values, outcome.files.len(), args.diff);
    let summary = match (done, counts.failed() || counts.warnings > 0) {
        (Some(done), true) => format!("{done}; {}", report::summary_line(counts, false)),
        (Some(done), false) => done,
        (None, _) => report::summary_line(counts, false),
    };
    if args.diff {
        let mut out = io::stdout().lock();
        output(out.write_all(outcome.diff.as_bytes()))?;
        drop(out);
        emit(global, &model, &outcome.remaining, counts, &summary)?;
        release(model);
        return Ok(status(!outcome.diff.is_empty() || counts.failed()));
    }
    if global.format == Format::Human && !global.quiet && !outcome.files.is_empty() {
        // One write, not three per file (stderr is not buffered).
        let mut lines = String::new();
        for f in &outcome.files {
            let _ = writeln!(lines, "fixed {f}");
        }
        output(io::stderr().lock().write_all(lines.as_bytes()))?;
    }
    emit(global, &model, &outcome.remaining, counts, &summary)?;
    if !outcome.not_written.is_empty() {
        return Err(miette::miette!(
            code = "imagelock::io",
            "{}",
            outcome.not_written.join("\n")
        ));
    }
    release(model);
    Ok(status(counts.failed()))
}

/// "2 values rewritten in 1 file" (with `--diff`: "would be rewritten"), when anything was.
fn rewritten(values: usize, files: usize, diff: bool) -> Option<String> {
    (files > 0).then(|| {
        format!(
            "{values} value{} {}rewritten in {files} file{}",
            if values == 1 { "" } else { "s" },
            if diff { "would be " } else { "" },
            if files == 1 { "" } else { "s" },
        )
    })
}
