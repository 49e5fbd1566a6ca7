//! `imagelock adopt`: renders the library's adoption plan (a diff, the proposals, the findings and
//! a summary) and, with `--write`, has it written.

use std::io::{self, Write};

use super::args::{AdoptArgs, Format, GlobalArgs, SemverRangeArg};
use super::{options, output, release, use_color, ExitStatus};
use crate::model::{Model, Selection};
use crate::ops::adopt::{self, Adoption, SemverWidth, Spec};
use crate::report;
use crate::rules::Severity;

pub fn run(global: &GlobalArgs, args: &AdoptArgs) -> miette::Result<ExitStatus> {
    if let Some(namespace) = args.namespace.as_deref().filter(|n| !is_dns_label(n)) {
        return Err(miette::miette!(
            code = "imagelock::usage",
            help = "lowercase letters, digits and `-`, at most 63, starting and ending with a letter or digit",
            "`--namespace {namespace}` is not a valid Kubernetes namespace"
        ));
    }
    let opts = options(global, &args.paths)?;
    let selection = Selection::new(&opts.workspace.root, &opts.paths)?;
    let into = match &args.into {
        Some(path) => Some(into_rel(&opts.workspace.root, path)?),
        None => None,
    };
    let model = Model::build(&opts)?;
    let plan = adopt::plan(
        &model,
        &selection,
        &adopt::Options {
            namespace: args.namespace.clone(),
            width: match args.semver_range {
                SemverRangeArg::Patch => SemverWidth::Patch,
                SemverRangeArg::Minor => SemverWidth::Minor,
                SemverRangeArg::Major => SemverWidth::Major,
            },
            into,
            keep_v1_annotations: args.keep_v1_annotations,
        },
    )?;
    let root = model.root().to_path_buf();
    release(model);
    let mut out = io::stdout().lock();
    if !args.write && global.format == Format::Human {
        output(out.write_all(plan.diff().as_bytes()))?;
    }
    match global.format {
        Format::Human => {
            let shown: Vec<_> = plan
                .findings
                .iter()
                .filter(|f| !global.quiet || f.severity == Severity::Error)
                .cloned()
                .collect();
            let color = use_color(global.color);
            output(out.write_all(report::render_human(&shown, &plan, color).as_bytes()))?;
            if !global.quiet {
                output(out.write_all(proposals(&plan).as_bytes()))?;
                for note in &plan.notes {
                    output(writeln!(out, "note: {note}"))?;
                }
                output(writeln!(out, "{}", summary(&plan, args.write)))?;
            }
        }
        Format::Json => {
            output(out.write_all(report::render_json(&plan.findings, &plan).as_bytes()))?
        }
        Format::Sarif => {
            output(out.write_all(report::render_sarif(&plan.findings, &plan).as_bytes()))?
        }
        Format::Github => {
            output(out.write_all(report::render_github(&plan.findings, &plan).as_bytes()))?;
        }
    }
    drop(out);
    if !args.write {
        return Ok(if plan.is_empty() {
            ExitStatus::Success
        } else {
            ExitStatus::Failure
        });
    }
    let failed = adopt::write(&root, &plan);
    if global.format == Format::Human && !global.quiet {
        let mut err = io::stderr().lock();
        for f in plan
            .files
            .iter()
            .filter(|f| !failed.iter().any(|e| e.starts_with(&f.rel)))
        {
            output(writeln!(err, "adopted {}", f.rel))?;
        }
    }
    if !failed.is_empty() {
        return Err(miette::miette!(
            code = "imagelock::io",
            "{}",
            failed.join("\n")
        ));
    }
    Ok(ExitStatus::Success)
}

/// `--into` as a repository-relative path; it must lie inside the repository.
fn into_rel(root: &std::path::Path, path: &std::path::Path) -> miette::Result<String> {
    let cwd = std::env::current_dir()
        .map_err(|e| miette::miette!("cannot read the working directory: {e}"))?;
    let abs = cwd.join(path);
    let root_abs = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    // The file may not exist yet: its directory is what must be inside the root.
    let parent = abs
        .parent()
        .map(|p| p.canonicalize().unwrap_or_else(|_| p.to_path_buf()));
    let name = abs.file_name().map(|n| n.to_string_lossy().into_owned());
    let (Some(parent), Some(name)) = (parent, name) else {
        return Err(bad_into(path));
    };
    let Ok(dir) = parent.strip_prefix(&root_abs) else {
        return Err(bad_into(path));
    };
    if !crate::workspace::is_manifest_name(&name) {
        return Err(miette::miette!(
            code = "imagelock::usage",
            help = "Flux reads only `.yaml` and `.yml` files",
            "`--into {}` is not a YAML file name",
            path.display()
        ));
    }
    let dir = dir.to_string_lossy().replace('\\', "/");
    Ok(if dir.is_empty() {
        name
    } else {
        format!("{dir}/{name}")
    })
}

fn bad_into(path: &std::path::Path) -> miette::Report {
    miette::miette!(
        code = "imagelock::usage",
        help = "give a file inside the repository; its directory must exist",
        "`--into {}` is not a file inside the repository",
        path.display()
    )
}

fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// One line per image: the policy, what it selects by, and where it is written.
fn proposals(plan: &Adoption) -> String {
    let mut out = String::new();
    for p in &plan.proposals {
        let how = match &p.spec {
            None => "existing policy".to_owned(),
            Some(Spec::Semver { range }) => format!("semver `{range}`"),
            Some(Spec::Numerical { pattern, extract }) => {
                format!("numerical on `{extract}` of `{pattern}`")
            }
            Some(Spec::Alphabetical { pattern }) => {
                format!("alphabetical over tags matching `{pattern}`")
            }
        };
        let place = match (p.file.is_empty(), p.new_repository) {
            (true, _) => String::new(),
            (false, true) => format!(" -> {} (with its ImageRepository)", p.file),
            (false, false) => format!(" -> {}", p.file),
        };
        out.push_str(&format!(
            "{}:{} {} ({how}{}), {} marker{}{place}\n",
            p.namespace,
            p.policy,
            p.image,
            if p.from_v1 { ", from Flux v1" } else { "" },
            p.markers,
            if p.markers == 1 { "" } else { "s" },
        ));
    }
    out
}

fn summary(plan: &Adoption, written: bool) -> String {
    let plural = |n: usize, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
    if plan.is_empty() {
        return match plan.findings.len() {
            0 => "nothing to adopt".to_owned(),
            n => format!("nothing to adopt; {}", plural(n, "warning")),
        };
    }
    let new = plan.proposals.iter().filter(|p| p.spec.is_some()).count();
    let reused = plan.proposals.len() - new;
    let mut parts = vec![
        plural(plan.markers, "marker"),
        format!("{new} new polic{}", if new == 1 { "y" } else { "ies" }),
    ];
    if reused > 0 {
        parts.push(format!("{reused} reused"));
    }
    if plan.v1_removed > 0 {
        parts.push(format!(
            "{} removed",
            plural(plan.v1_removed, "Flux v1 annotation")
        ));
    }
    let last = parts.pop().unwrap_or_default();
    let mut line = format!(
        "{}{last} {} {}",
        parts.iter().map(|p| format!("{p}, ")).collect::<String>(),
        if written { "in" } else { "would change" },
        plural(plan.files.len(), "file")
    );
    if !plan.findings.is_empty() {
        line.push_str(&format!("; {}", plural(plan.findings.len(), "warning")));
    }
    if !written {
        line.push_str(" — run `imagelock adopt --write`");
    }
    line
}
