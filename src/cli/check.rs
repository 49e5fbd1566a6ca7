//! `imagelock check` and `imagelock fix`: the CI gate and the rewrite.

use std::io::{self, Write};

use miette::IntoDiagnostic;

use super::args::{CheckArgs, FixArgs, Format, GlobalArgs};
use super::ExitStatus;
use crate::engine::{self, Analysis, Options};
use crate::report::{self, Counts, Finding};
use crate::rules::{Rule, Severity};

pub fn options(global: &GlobalArgs, paths: &[std::path::PathBuf]) -> miette::Result<Options> {
    let root = crate::workspace::find_root(global.root.as_deref())?;
    let lockfile = match &global.lockfile {
        Some(p) => std::env::current_dir().into_diagnostic()?.join(p),
        None => root.join("images.lock"),
    };
    Ok(Options {
        root,
        lockfile,
        default_namespace: global.default_namespace.clone(),
        paths: paths.to_vec(),
    })
}

pub fn check(global: &GlobalArgs, args: &CheckArgs) -> miette::Result<ExitStatus> {
    let analysis = engine::analyze(&options(global, &args.paths)?)?;
    let counts = Counts::of(&analysis.findings);
    emit(global, &analysis, &analysis.findings, counts, true)?;
    release(analysis);
    Ok(if counts.failed() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// Free the analysis off the main thread: the process is about to exit, and freeing a large
/// repository's parsed files one allocation at a time takes longer than the exit. Dropped inline
/// when no thread can be started.
fn release(analysis: Analysis) {
    let _ = std::thread::Builder::new().spawn(move || drop(analysis));
}

pub fn fix(global: &GlobalArgs, args: &FixArgs) -> miette::Result<ExitStatus> {
    if args.commit {
        return super::commit::run(global, args);
    }
    let analysis = engine::analyze(&options(global, &args.paths)?)?;
    let plans = engine::plan(&analysis);
    let mut remaining: Vec<Finding> = Vec::new();
    let mut fixed_files: Vec<&str> = Vec::new();
    let mut diff = String::new();
    let mut not_written: Vec<String> = Vec::new();
    // Every rewritten file at once: the writes share their waits for the disk.
    let replacements: Vec<crate::fs::Replacement<'_>> = plans
        .iter()
        .filter(|_| !args.diff)
        .filter_map(|plan| {
            Some(crate::fs::Replacement {
                path: analysis.root.join(&plan.rel),
                expected: analysis.files[plan.index].text.as_bytes(),
                new: plan.result.as_ref().ok()?.as_bytes(),
            })
        })
        .collect();
    let mut writes = crate::fs::replace_all_checked(&analysis.root, &replacements).into_iter();
    for plan in &plans {
        let file = &analysis.files[plan.index];
        match &plan.result {
            Ok(new_text) if args.diff => {
                diff.push_str(&unified_diff(&plan.rel, &file.text, new_text))
            }
            Ok(_) => match writes.next() {
                Some(Ok(_)) => fixed_files.push(&plan.rel),
                Some(Err(err)) => not_written.push(format!("{}: not fixed: {err}", plan.rel)),
                None => {}
            },
            Err(reason) => remaining.push(Finding::new(
                Rule::UnparsableFile,
                &plan.rel,
                crate::text::TextRange::default(),
                format!("not fixed: {reason}"),
            )),
        }
    }
    let written: std::collections::BTreeSet<&str> = if args.diff {
        Default::default()
    } else {
        fixed_files.iter().copied().collect()
    };
    // What is left: everything but the out-of-date findings of files that were written.
    remaining.extend(
        analysis
            .findings
            .iter()
            .filter(|f| !(f.rule == Rule::OutOfDate && written.contains(f.file.as_str())))
            .cloned(),
    );
    report::sort(&mut remaining);
    if args.diff {
        let mut out = io::stdout().lock();
        super::output(out.write_all(diff.as_bytes()))?;
        let errors: Vec<Finding> = remaining
            .into_iter()
            .filter(|f| f.rule != Rule::OutOfDate)
            .collect();
        let counts = Counts::of(&errors);
        emit(global, &analysis, &errors, counts, false)?;
        release(analysis);
        return Ok(if diff.is_empty() && !counts.failed() {
            ExitStatus::Success
        } else {
            ExitStatus::Failure
        });
    }
    let counts = Counts::of(&remaining);
    if global.format == Format::Human && !global.quiet && !fixed_files.is_empty() {
        let mut err = io::stderr().lock();
        for f in &fixed_files {
            super::output(writeln!(err, "fixed {f}"))?;
        }
    }
    emit(global, &analysis, &remaining, counts, false)?;
    if !not_written.is_empty() {
        return Err(miette::miette!(
            code = "imagelock::io",
            "{}",
            not_written.join("\n")
        ));
    }
    release(analysis);
    Ok(if counts.failed() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

pub(super) fn emit(
    global: &GlobalArgs,
    analysis: &Analysis,
    findings: &[Finding],
    counts: Counts,
    fixable: bool,
) -> miette::Result<()> {
    let mut out = io::stdout().lock();
    match global.format {
        Format::Human => {
            let shown: Vec<Finding> = findings
                .iter()
                .filter(|f| !global.quiet || f.severity == Severity::Error)
                .cloned()
                .collect();
            let color = super::use_color(global.color);
            super::output(out.write_all(report::render_human(&shown, analysis, color).as_bytes()))?;
            if !global.quiet || counts.failed() {
                super::output(writeln!(out, "{}", report::summary_line(counts, fixable)))?;
            }
        }
        Format::Json => {
            super::output(out.write_all(report::render_json(findings, analysis).as_bytes()))?;
        }
        Format::Sarif => {
            super::output(out.write_all(report::render_sarif(findings, analysis).as_bytes()))?;
        }
        Format::Github => {
            super::output(out.write_all(report::render_github(findings, analysis).as_bytes()))?;
        }
    }
    Ok(())
}

fn unified_diff(rel: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{rel}"), &format!("b/{rel}"))
        .to_string()
}
