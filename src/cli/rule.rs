//! `imagelock rule`: a rule's documentation, or the table of all rules.

use std::io::{self, Write};

use super::args::RuleArgs;
use super::ExitStatus;
use crate::rules::Rule;

pub fn run(args: &RuleArgs) -> miette::Result<ExitStatus> {
    let mut out = io::stdout().lock();
    match &args.rule {
        Some(query) => {
            let Some(rule) = Rule::find(query) else {
                return Err(miette::miette!(
                    code = "imagelock::usage",
                    help = "`imagelock rule` lists every rule",
                    "no rule is called `{query}`"
                ));
            };
            super::output(out.write_all(rule.doc().as_bytes()))?;
        }
        None => {
            let width = Rule::all().map(|r| r.name().len()).max().unwrap_or(0);
            for rule in Rule::all() {
                super::output(writeln!(
                    out,
                    "{}  {:width$}  {:7}  {}",
                    rule.code(),
                    rule.name(),
                    rule.severity().as_str(),
                    rule.summary()
                ))?;
            }
        }
    }
    Ok(ExitStatus::Success)
}
