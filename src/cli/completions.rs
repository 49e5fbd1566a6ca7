//! `imagelock completions SHELL` and `imagelock man [COMMAND]`: generated from the clap
//! definitions, so they never drift from the parser.

use std::io::{self, Write};

use clap::CommandFactory;

use super::args::{Cli, CompletionsArgs, ManArgs};
use super::ExitStatus;

pub(crate) fn completions(args: &CompletionsArgs) -> miette::Result<ExitStatus> {
    let mut cmd = Cli::command();
    // Generated into memory first: clap_complete panics when its writer fails (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "imagelock", &mut script);
    super::output(io::stdout().lock().write_all(&script))?;
    Ok(ExitStatus::Success)
}

pub(crate) fn man(args: &ManArgs) -> miette::Result<ExitStatus> {
    // Built once from the root so that subcommands get their `imagelock-check` page names and
    // `imagelock check` synopses; `help` is no page of its own.
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    let cmd = match &args.command {
        None => root,
        Some(name) => match root.find_subcommand(name) {
            Some(sub) => sub.clone(),
            None => {
                let names: Vec<&str> = root.get_subcommands().map(|c| c.get_name()).collect();
                return Err(miette::miette!(
                    code = "imagelock::usage",
                    help = format!("one of: {}", names.join(", ")),
                    "no command is called `{name}`"
                ));
            }
        },
    };
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut page).map_err(|e| {
        miette::miette!(
            code = "imagelock::internal",
            "cannot render the man page: {e}"
        )
    })?;
    super::output(io::stdout().lock().write_all(&page))?;
    Ok(ExitStatus::Success)
}
