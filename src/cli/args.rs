//! The command line, declared with clap; validated into commands in a second stage.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "imagelock",
    version,
    about = "Flux image automation in git: check $imagepolicy markers, fix them from images.lock, refresh the lock from registries",
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: GlobalArgs,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Repository root [default: the git repository around the working directory, else the working directory]
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// The lockfile [default: images.lock at the root]
    #[arg(long, global = true, value_name = "PATH")]
    pub lockfile: Option<PathBuf>,
    /// Namespace of objects that declare none and get none from a kustomization, where the repository has no Flux Kustomization [default: .imagelock.yaml's default-namespace, else flux-system]
    #[arg(long, global = true, value_name = "NS")]
    pub default_namespace: Option<String>,
    /// The Flux release the repository runs, as MAJOR.MINOR: the API versions, commit template data and semver rules (tag parsing, prereleases in ranges) it is checked against (`try` reads this flag only) [default: .imagelock.yaml's flux-version, else the newest modelled, 2.9]
    #[arg(long, global = true, value_name = "X.Y")]
    pub flux_version: Option<String>,
    /// Only this cluster: a Flux root Kustomization's path (`clusters/production`) or its last part (`production`) [default: every cluster]
    #[arg(long, global = true, value_name = "NAME")]
    pub cluster: Option<String>,
    /// Cooldown for policies without an imagelock.dev/min-age annotation: tags and digests first seen less than this long before the lock's last refresh are not adopted (30m, 48h, 7d; 0 for none) [default: .imagelock.yaml's min-age, else none]
    #[arg(long, global = true, value_name = "AGE")]
    pub min_age: Option<String>,
    /// Where ImageUpdateAutomations are declared, treat the markers none of them would update (outside their update.path, not selected, another namespace, only suspended automations) as updated all the same: `check` reports them out of date and `fix` rewrites them; `fix --commit` still leaves them, as Flux does [default: .imagelock.yaml's all-markers, else off]
    #[arg(long, global = true)]
    pub all_markers: bool,
    /// Output format
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// When to use colour (NO_COLOR is respected by `auto`)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print less: only errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more: where values and credentials come from
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate every marker and report every value that differs from the lock (read-only)
    Check(CheckArgs),
    /// Rewrite marked values to the lock's resolution, changing only their bytes
    Fix(FixArgs),
    /// Query registries and update images.lock (the only command that uses the network)
    Refresh(RefreshArgs),
    /// One row per policy: image, selected tag and digest, markers using it, in sync or not
    List,
    /// Why each locked tag of a policy's repository lost, and which one won
    Explain(ExplainArgs),
    /// Run an ad-hoc policy over tags read from stdin, one per line; print the chosen tag
    Try(TryArgs),
    /// Show a rule's documentation, or the table of rules
    Rule(RuleArgs),
    /// Bring unmarked image references under automation: propose ImageRepository and ImagePolicy objects, add markers, convert Flux v1 annotations (a diff unless --write)
    Adopt(AdoptArgs),
    /// Print the shell completion script for SHELL to stdout
    Completions(CompletionsArgs),
    /// Print the man page (roff) to stdout: imagelock(1), or imagelock-COMMAND(1)
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Restrict the files checked (declarations are still read from the whole repository)
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct FixArgs {
    /// Restrict the files fixed (declarations are still read from the whole repository)
    pub paths: Vec<PathBuf>,
    /// Print a unified diff of what would change and write nothing (exit 1 when not empty)
    #[arg(long, conflicts_with = "commit")]
    pub diff: bool,
    /// Commit the changed files with the author and message of their ImageUpdateAutomation
    #[arg(long)]
    pub commit: bool,
    /// With --commit: allow files with uncommitted changes
    #[arg(long, requires = "commit")]
    pub allow_dirty: bool,
}

#[derive(Debug, Args)]
pub struct AdoptArgs {
    /// Restrict the files searched for image references (declared objects are still read from the whole repository)
    pub paths: Vec<PathBuf>,
    /// Write the changes [default: print a unified diff, write nothing, exit 1 when not empty]
    #[arg(long)]
    pub write: bool,
    /// Width of proposed semver ranges for a tag 1.2.3: patch (>=1.2.3 <1.3.0), minor (>=1.2.3 <2.0.0), major (>=1.2.3)
    #[arg(long, value_enum, value_name = "WIDTH", default_value_t = SemverRangeArg::Minor)]
    pub semver_range: SemverRangeArg,
    /// Write every new object into this one file [default: one file per image, in the ImageUpdateAutomation's directory, else next to the first file that uses the image]
    #[arg(long, value_name = "PATH")]
    pub into: Option<PathBuf>,
    /// Namespace of new objects, unless the kustomization that lists them sets another [default: the ImageUpdateAutomation's, else flux-system]
    #[arg(long, value_name = "NS")]
    pub namespace: Option<String>,
    /// Keep Flux v1 annotations (fluxcd.io/automated, fluxcd.io/tag.*) after converting them
    #[arg(long)]
    pub keep_v1_annotations: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SemverRangeArg {
    Patch,
    Minor,
    Major,
}

#[derive(Debug, Args)]
pub struct RefreshArgs {
    /// Fail (exit 1) if the lock would change, and write nothing
    #[arg(long)]
    pub locked: bool,
    /// Refresh only this repository (NS/NAME)
    #[arg(long, value_name = "NS/NAME")]
    pub repository: Vec<String>,
    /// Images refreshed at once, over all registries (1 to 256)
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: u16,
    /// Requests in flight to one registry host at once (1 to 256)
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub per_host: u16,
    /// Connect to ADDR for HOST on PORT instead of asking DNS, as curl's --resolve (repeatable)
    #[arg(long, value_name = "HOST:PORT:ADDR")]
    pub resolve: Vec<crate::registry::Pin>,
    /// The time recorded for tags and digests first seen now (RFC 3339, e.g.
    /// 2026-11-29T12:00:00Z); default: SOURCE_DATE_EPOCH when set, else the system clock
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<crate::lock::Timestamp>,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The policy, as NS:NAME
    pub policy: String,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("kind").required(true).multiple(false)))]
pub struct TryArgs {
    /// A Masterminds semver range, as in `spec.policy.semver.range`
    #[arg(long, group = "kind", value_name = "RANGE", allow_hyphen_values = true)]
    pub semver: Option<String>,
    /// Alphabetical order: asc picks the greatest, desc the least
    #[arg(long, group = "kind", value_name = "ORDER")]
    pub alphabetical: Option<OrderArg>,
    /// Numerical order: asc picks the greatest, desc the least
    #[arg(long, group = "kind", value_name = "ORDER")]
    pub numerical: Option<OrderArg>,
    /// filterTags.pattern: keep tags this regular expression matches
    #[arg(long, value_name = "RE", allow_hyphen_values = true)]
    pub filter_pattern: Option<String>,
    /// filterTags.extract: compare this expansion of the match ($1, ${name}) instead of the tag
    #[arg(
        long,
        value_name = "TEMPLATE",
        requires = "filter_pattern",
        allow_hyphen_values = true
    )]
    pub extract: Option<String>,
    /// exclusionList entry (repeatable); without any, Flux's default `^.*\.sig$` applies
    #[arg(long, value_name = "RE", allow_hyphen_values = true)]
    pub exclude: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OrderArg {
    Asc,
    Desc,
}

#[derive(Debug, Args)]
pub struct RuleArgs {
    /// A rule code (IL001) or name (unknown-policy)
    pub rule: Option<String>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// A command (check, fix, ...): its own page instead of imagelock(1)
    pub command: Option<String>,
}
