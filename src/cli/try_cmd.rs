//! `imagelock try`: one policy over tags from stdin.

use std::io::{self, Read, Write};

use miette::{IntoDiagnostic, NamedSource, Report};

use super::args::{GlobalArgs, OrderArg, TryArgs};
use super::ExitStatus;
use crate::flux_version::FluxVersion;
use crate::policy::{self, Choice, Exclusions, Filter, GoSyntax, Order, Policy, PolicyError};

pub fn run(global: &GlobalArgs, args: &TryArgs) -> miette::Result<ExitStatus> {
    // No repository is read, so no `.imagelock.yaml`: the flag alone names the release.
    let flux = match &global.flux_version {
        Some(text) => FluxVersion::parse(text)
            .map_err(|message| miette::miette!(code = "imagelock::usage", "{message}"))?,
        None => FluxVersion::default(),
    };
    let (mut policy, exclusions) = build(args, flux.go_syntax())?;
    policy.semver_rules = flux.semver_rules();
    let mut input = Vec::new();
    io::stdin()
        .lock()
        .read_to_end(&mut input)
        .into_diagnostic()?;
    let tags = read_tags(&input)?;
    let read = tags.len();
    let kept = exclusions.apply(tags.iter().map(String::as_str));
    let excluded = read - kept.len();
    match policy.select(&kept) {
        Ok(tag) => {
            super::output(writeln!(io::stdout().lock(), "{tag}"))?;
            Ok(ExitStatus::Success)
        }
        Err(err) => {
            super::output(writeln!(
                io::stderr().lock(),
                "no tag selected: {err} ({read} read, {excluded} excluded)"
            ))?;
            Ok(ExitStatus::Failure)
        }
    }
}

/// Blank lines are skipped; surrounding whitespace and a CR are trimmed.
fn read_tags(input: &[u8]) -> miette::Result<Vec<String>> {
    let mut tags = Vec::new();
    for (n, line) in input.split(|b| *b == b'\n').enumerate() {
        let line = std::str::from_utf8(line).map_err(|_| {
            miette::miette!(
                code = "imagelock::invalid_input",
                "stdin line {} is not valid UTF-8",
                n + 1
            )
        })?;
        let tag = line.trim();
        if !tag.is_empty() {
            tags.push(tag.to_owned());
        }
    }
    Ok(tags)
}

fn build(args: &TryArgs, syntax: GoSyntax) -> miette::Result<(Policy, Exclusions)> {
    let choice = if let Some(range) = &args.semver {
        Choice::Semver(
            range
                .parse()
                .map_err(|e| in_arg(PolicyError::from(e), "--semver", range))?,
        )
    } else if let Some(order) = args.alphabetical {
        Choice::Alphabetical(order.into())
    } else if let Some(order) = args.numerical {
        Choice::Numerical(order.into())
    } else {
        unreachable!("clap requires one policy kind")
    };
    let filter = match &args.filter_pattern {
        Some(pattern) => Some(
            Filter::new_as(pattern, args.extract.as_deref(), syntax)
                .map_err(|e| in_arg(e, "--filter-pattern", pattern))?,
        ),
        None => None,
    };
    for pattern in &args.exclude {
        policy::compile_regex_as(pattern, syntax).map_err(|e| in_arg(e, "--exclude", pattern))?;
    }
    let exclusions = Exclusions::new_as(&args.exclude, syntax).map_err(Report::new)?;
    Ok((
        Policy {
            choice,
            filter,
            semver_rules: Default::default(),
        },
        exclusions,
    ))
}

/// Attach the argument's text so the diagnostic underlines the bad part of it.
fn in_arg(err: PolicyError, flag: &str, text: &str) -> Report {
    Report::new(err).with_source_code(NamedSource::new(flag, text.to_owned()))
}

impl From<OrderArg> for Order {
    fn from(o: OrderArg) -> Self {
        match o {
            OrderArg::Asc => Order::Asc,
            OrderArg::Desc => Order::Desc,
        }
    }
}
