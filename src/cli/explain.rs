//! `imagelock explain NS:NAME`: every locked tag of the policy's repository, why it lost, and
//! the winner; then the markers that use the policy.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::args::{ExplainArgs, Format, GlobalArgs};
use super::{options, ExitStatus};
use crate::model::{Model, ObjectKey};
use crate::ops::explain::{explain, Explanation};

pub fn run(global: &GlobalArgs, args: &ExplainArgs) -> miette::Result<ExitStatus> {
    super::table_format(global, "explain")?;
    let Some(key) = ObjectKey::parse(&args.policy) else {
        return Err(miette::miette!(
            code = "imagelock::usage",
            "`{}` is not a policy name; write NAMESPACE:NAME",
            args.policy
        ));
    };
    let model = Model::build(&options(global, &[])?)?;
    let Some(explanation) = explain(&model, &key) else {
        let known: Vec<String> = model
            .policies
            .iter()
            .map(|p| p.decl.key.to_string())
            .collect();
        return Err(miette::miette!(
            code = "imagelock::usage",
            help = if known.is_empty() {
                "the repository declares no ImagePolicy".to_owned()
            } else {
                format!("declared policies: {}", known.join(", "))
            },
            "no ImagePolicy `{key}` is declared in this repository",
        ));
    };
    let mut out = io::stdout().lock();
    let text = if global.format == Format::Json {
        serde_json::to_string_pretty(&explanation).unwrap_or_default() + "\n"
    } else {
        human(&explanation)
    };
    super::output(out.write_all(text.as_bytes()))?;
    Ok(if explanation.winner.is_some() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

fn human(e: &Explanation) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "policy      {}  ({})", e.policy, e.file);
    if !e.cluster.is_empty() {
        let by = if e.applied_by.is_empty() {
            String::new()
        } else {
            format!("  (applied by Kustomization {})", e.applied_by)
        };
        let _ = writeln!(s, "cluster     {}{by}", e.cluster);
    }
    for (i, step) in e.shaped_by.iter().enumerate() {
        let head = if i == 0 { "shaped by" } else { "" };
        let _ = writeln!(s, "{head:<12}{}  ({}:{})", step.step, step.file, step.line);
    }
    if !e.also_in.is_empty() {
        let _ = writeln!(
            s,
            "            also in {} (explain one with --cluster NAME)",
            e.also_in.join(", ")
        );
    }
    if !e.kind.is_empty() {
        let _ = writeln!(s, "            {}", e.kind);
    }
    if let Some(filter) = &e.filter {
        let _ = writeln!(s, "            filterTags {filter}");
    }
    let _ = writeln!(s, "repository  {}  {}", e.repository, e.image);
    if !e.canonical.is_empty() {
        let _ = writeln!(s, "            locked as {}", e.canonical);
    }
    for x in &e.exclusions {
        let _ = writeln!(s, "            exclusionList {x}");
    }
    if let Some(order) = &e.order {
        let _ = writeln!(s, "            order {order} (imagelock only)");
    }
    if let Some(age) = &e.min_age {
        let now = e.refreshed.as_deref().unwrap_or("never (no refresh time)");
        let _ = writeln!(
            s,
            "            min-age {age}, measured at the lock's refresh, {now}"
        );
    }
    if !e.tags.is_empty() {
        let _ = writeln!(s, "\ntags ({}, in Flux's order):", e.tags.len());
        let width = e
            .tags
            .iter()
            .map(|t| t.tag.chars().count())
            .max()
            .unwrap_or(0);
        // The first-seen column only when the lock records times (version 1 did not).
        let times = e.tags.iter().any(|t| t.first_seen.is_some());
        for t in &e.tags {
            let seen = match (&t.first_seen, times) {
                (Some(at), _) => format!("{at}  "),
                (None, true) => format!("{:<20}  ", "-"),
                (None, false) => String::new(),
            };
            let key = t
                .key
                .as_deref()
                .map(|k| format!(" (key {k})"))
                .unwrap_or_default();
            let mark = if t.verdict == "selected" { "→" } else { " " };
            let _ = writeln!(s, "  {mark} {:<width$}  {seen}{}{key}", t.tag, t.verdict);
        }
    }
    match (&e.winner, &e.error) {
        (Some(w), _) => {
            let digest = e
                .digest
                .as_deref()
                .map(|d| format!(" @ {d}"))
                .unwrap_or_default();
            let _ = writeln!(s, "\nwinner: {w}{digest}");
            if let Some(from) = &e.digest_eligible_from {
                let _ = writeln!(
                    s,
                    "        its digest is too young: markers keep their digest until {from}"
                );
            }
        }
        (None, Some(err)) => {
            let _ = writeln!(s, "\nno tag selected: {err}");
        }
        (None, None) => {}
    }
    if e.markers.is_empty() {
        let _ = writeln!(s, "\nno marker uses this policy");
    } else {
        let _ = writeln!(s, "\nmarkers ({}):", e.markers.len());
        for m in &e.markers {
            let _ = writeln!(
                s,
                "  {}:{}:{}  {}  {}  ({})",
                m.file, m.line, m.column, m.setter, m.value, m.state
            );
        }
    }
    s
}
