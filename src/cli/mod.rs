//! Command dispatch, the miette handler, and the one place errors become exit codes.

mod adopt;
mod args;
mod check;
mod commit;
mod completions;
mod explain;
mod list;
mod refresh;
mod rule;
mod try_cmd;

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use miette::IntoDiagnostic;

use crate::model::{Model, Options};
use crate::report::{self, Counts, Finding};
use crate::rules::Severity;

pub use args::{Cli, ColorChoice, Command, Format, GlobalArgs};

/// The documented exit codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// Nothing found; the command did what it was asked.
    Success,
    /// Findings, drift, no tag selected, or files `--diff` would change.
    Failure,
    /// Usage, I/O, network or internal error.
    Error,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        match status {
            ExitStatus::Success => ExitCode::from(0),
            ExitStatus::Failure => ExitCode::from(1),
            ExitStatus::Error => ExitCode::from(2),
        }
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() { 2 } else { 0 };
            // clap prints help/version to stdout and errors to stderr itself.
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    install_handler(cli.global.color);
    match run(cli) {
        Ok(status) => status.into(),
        Err(report) => {
            if is_broken_pipe(&report) {
                return ExitStatus::Success.into();
            }
            let _ = writeln!(io::stderr().lock(), "{report:?}");
            ExitStatus::Error.into()
        }
    }
}

/// Run a parsed command line.
pub fn run(cli: Cli) -> miette::Result<ExitStatus> {
    match cli.command {
        Command::Try(args) => try_cmd::run(&cli.global, &args),
        Command::Check(args) => check::check(&cli.global, &args),
        Command::Fix(args) => check::fix(&cli.global, &args),
        Command::Refresh(args) => refresh::run(&cli.global, &args),
        Command::List => list::run(&cli.global),
        Command::Explain(args) => explain::run(&cli.global, &args),
        Command::Rule(args) => rule::run(&args),
        Command::Adopt(args) => adopt::run(&cli.global, &args),
        Command::Completions(args) => completions::completions(&args),
        Command::Man(args) => completions::man(&args),
    }
}

/// Whether colour goes to the terminal, from `--color`, NO_COLOR and whether stderr is a tty.
pub fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stderr().is_terminal()
        }
    }
}

fn install_handler(choice: ColorChoice) {
    let color = use_color(choice);
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(
            miette::MietteHandlerOpts::new()
                .color(color)
                .unicode(color)
                .terminal_links(false)
                .build(),
        )
    }));
}

fn is_broken_pipe(report: &miette::Report) -> bool {
    report.downcast_ref::<BrokenPipe>().is_some()
        || report.chain().any(|e| {
            e.downcast_ref::<io::Error>()
                .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
        })
}

/// The reader of our output went away (`imagelock rule | head`): exit quietly.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("broken pipe")]
pub struct BrokenPipe;

/// Map an output error, keeping a broken pipe recognisable.
pub fn output(result: io::Result<()>) -> miette::Result<()> {
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Err(BrokenPipe.into()),
        Err(e) => Err(miette::miette!(
            code = "imagelock::io",
            "cannot write output: {e}"
        )),
    }
}

/// The model's options from the global arguments and PATHs.
fn options(global: &GlobalArgs, paths: &[std::path::PathBuf]) -> miette::Result<Options> {
    let workspace = crate::workspace::Workspace::open(global.root.as_deref())?;
    let lockfile = match &global.lockfile {
        Some(p) => std::env::current_dir().into_diagnostic()?.join(p),
        None => workspace.root.join("images.lock"),
    };
    let flags = crate::config::Flags {
        default_namespace: global.default_namespace.as_deref(),
        flux_version: global.flux_version.as_deref(),
        min_age: global.min_age.as_deref(),
        all_markers: global.all_markers,
    };
    let config = crate::config::Config::load(&workspace.root, &flags)?;
    if global.verbose > 0 {
        let mut err = io::stderr().lock();
        if let Some(source) = &config.source {
            output(writeln!(err, "configuration: {}", source.display()))?;
        }
        output(writeln!(err, "flux version: {}", config.flux_version))?;
    }
    Ok(Options {
        workspace,
        lockfile,
        paths: paths.to_vec(),
        config,
        cluster: global.cluster.clone(),
    })
}

/// Print findings in the chosen format; in human format, then `summary` (unless quiet and
/// nothing failed).
fn emit(
    global: &GlobalArgs,
    model: &Model,
    findings: &[Finding],
    counts: Counts,
    summary: &str,
) -> miette::Result<()> {
    let mut out = io::stdout().lock();
    match global.format {
        Format::Human => {
            let shown: Vec<Finding> = findings
                .iter()
                .filter(|f| !global.quiet || f.severity == Severity::Error)
                .cloned()
                .collect();
            let color = use_color(global.color);
            output(out.write_all(report::render_human(&shown, model, color).as_bytes()))?;
            if !global.quiet || counts.failed() {
                output(writeln!(out, "{summary}"))?;
            }
        }
        Format::Json => {
            output(out.write_all(report::render_json(findings, model).as_bytes()))?;
        }
        Format::Sarif => {
            output(out.write_all(report::render_sarif(findings, model).as_bytes()))?;
        }
        Format::Github => {
            output(out.write_all(report::render_github(findings, model).as_bytes()))?;
        }
    }
    Ok(())
}

/// Free the model off the main thread: the process is about to exit, and freeing a large
/// repository's parsed files one allocation at a time takes longer than the exit. When no
/// thread can be started, the model was dropped with the closure that `spawn` refused.
fn release(model: Model) {
    // Dropping the handle detaches the thread; dropping an error drops the refused closure.
    drop(std::thread::Builder::new().spawn(move || drop(model)));
}

/// Exit 1 when anything failed.
fn status(failed: bool) -> ExitStatus {
    if failed {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    }
}

/// `list` and `explain` print tables (human) or JSON; SARIF and GitHub annotations are formats
/// for findings, which they do not produce.
fn table_format(global: &GlobalArgs, command: &str) -> miette::Result<()> {
    match global.format {
        Format::Human | Format::Json => Ok(()),
        Format::Sarif | Format::Github => Err(miette::miette!(
            code = "imagelock::usage",
            help = "use `--format human` or `--format json`; `imagelock check` reports findings as SARIF or GitHub annotations",
            "`imagelock {command}` does not support `--format {}`",
            if global.format == Format::Sarif { "sarif" } else { "github" }
        )),
    }
}
