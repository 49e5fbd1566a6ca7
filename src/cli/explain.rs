//! `imagelock explain NS:NAME`: every locked tag of the policy's repository, why it lost, and
//! the winner; then the markers that use the policy.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde::Serialize;

use super::args::{ExplainArgs, Format, GlobalArgs};
use super::check::options;
use super::ExitStatus;
use crate::engine::{self, Analysis};
use crate::policy::{Choice, Verdict};
use crate::text::LineIndex;

#[derive(Debug, Serialize)]
struct Explanation {
    policy: String,
    file: String,
    kind: String,
    filter: Option<String>,
    repository: String,
    image: String,
    canonical: String,
    exclusions: Vec<String>,
    tags: Vec<TagRow>,
    winner: Option<String>,
    digest: Option<String>,
    error: Option<String>,
    markers: Vec<MarkerRow>,
}

#[derive(Debug, Serialize)]
struct TagRow {
    tag: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    verdict: String,
}

#[derive(Debug, Serialize)]
struct MarkerRow {
    file: String,
    line: usize,
    column: usize,
    setter: String,
    value: String,
    /// `in sync`, `out of date`, or `unresolved` when the policy selects nothing.
    state: &'static str,
}

pub fn run(global: &GlobalArgs, args: &ExplainArgs) -> miette::Result<ExitStatus> {
    let analysis = engine::analyze(&options(global, &[])?)?;
    let key = match args.policy.split_once(':') {
        Some((ns, name)) if !ns.is_empty() && !name.is_empty() && !name.contains(':') => {
            (ns.to_owned(), name.to_owned())
        }
        _ => {
            return Err(miette::miette!(
                code = "imagelock::usage",
                "`{}` is not a policy name; write NAMESPACE:NAME",
                args.policy
            ))
        }
    };
    let explanation = explain(&analysis, &key)?;
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

fn explain(analysis: &Analysis, key: &(String, String)) -> miette::Result<Explanation> {
    let Some(decl) = analysis.model.policies.get(key) else {
        let known: Vec<String> = analysis
            .model
            .policies
            .keys()
            .map(|(ns, n)| format!("{ns}:{n}"))
            .collect();
        return Err(miette::miette!(
            code = "imagelock::usage",
            help = if known.is_empty() {
                "the repository declares no ImagePolicy".to_owned()
            } else {
                format!("declared policies: {}", known.join(", "))
            },
            "no ImagePolicy `{}:{}` is declared in this repository",
            key.0,
            key.1
        ));
    };
    let compiled = engine::compile(&analysis.model, &analysis.files);
    let repo_key = engine::repo_key(decl);
    let image = analysis
        .model
        .repositories
        .get(&repo_key)
        .and_then(|r| r.spec.image.clone())
        .unwrap_or_default();
    let mut e = Explanation {
        policy: format!("{}:{}", key.0, key.1),
        file: decl.rel.clone(),
        kind: String::new(),
        filter: None,
        repository: format!("{}:{}", repo_key.0, repo_key.1),
        image,
        canonical: String::new(),
        exclusions: Vec::new(),
        tags: Vec::new(),
        winner: None,
        digest: None,
        error: None,
        markers: markers(analysis, key),
    };
    let (Some(policy), Some((name, exclusions))) = (
        compiled.policies.get(key),
        compiled.repositories.get(&repo_key),
    ) else {
        e.error = Some(format!(
            "the policy or its repository is invalid; run `imagelock check {}`",
            decl.rel
        ));
        return Ok(e);
    };
    e.kind = match &policy.policy.choice {
        Choice::Semver(range) => format!("semver {range}"),
        Choice::Alphabetical(o) => format!("alphabetical {}", o.as_str()),
        Choice::Numerical(o) => format!("numerical {}", o.as_str()),
    };
    e.filter = decl.spec.filter_tags.as_ref().and_then(|f| {
        let pattern = f.pattern.clone()?;
        Some(match f.extract.as_deref().filter(|x| !x.is_empty()) {
            Some(x) => format!("pattern {pattern}, extract {x}"),
            None => format!("pattern {pattern}"),
        })
    });
    e.canonical = name.canonical();
    let spec_list = analysis
        .model
        .repositories
        .get(&repo_key)
        .map(|r| r.spec.exclusion_list.clone())
        .unwrap_or_default();
    e.exclusions = if spec_list.is_empty() {
        vec![format!(
            "{} (Flux's default)",
            crate::policy::DEFAULT_EXCLUSION
        )]
    } else {
        spec_list
    };
    let Some(entry) = analysis.lock.as_ref().and_then(|l| l.image(&e.canonical)) else {
        e.error = Some(format!(
            "`{}` is not in the lock; run `imagelock refresh`",
            e.canonical
        ));
        return Ok(e);
    };
    let mut excluded = Vec::new();
    let mut kept = Vec::new();
    for tag in &entry.tags {
        match exclusions.excluded_by(tag) {
            Some(i) => excluded.push((tag.clone(), exclusions.pattern(i).to_owned())),
            None => kept.push(tag.clone()),
        }
    }
    let evaluation = policy.policy.evaluate(&kept);
    for t in &evaluation.tags {
        let verdict = match &t.verdict {
            Verdict::FilteredOut => "filtered out by the pattern".to_owned(),
            Verdict::SameKey { winner } => format!("same key as {winner}, which replaces it"),
            Verdict::NotVersion => "not a version".to_owned(),
            Verdict::OutOfRange => "out of range".to_owned(),
            Verdict::NotNumeric => "not a number: fails the policy".to_owned(),
            Verdict::Lower => match &evaluation.result {
                Ok(w) => format!("lower than {w}"),
                Err(_) => "candidate".to_owned(),
            },
            Verdict::Winner => "selected".to_owned(),
        };
        e.tags.push(TagRow {
            tag: t.tag.clone(),
            key: t.key.clone().filter(|k| *k != t.tag),
            verdict,
        });
    }
    for (tag, pattern) in excluded {
        e.tags.push(TagRow {
            tag,
            key: None,
            verdict: format!("excluded by {pattern}"),
        });
    }
    e.tags.sort_by(|a, b| b.tag.cmp(&a.tag));
    match evaluation.result {
        Ok(tag) => {
            e.digest = entry.digests.get(&tag).cloned();
            e.winner = Some(tag);
        }
        Err(err) => e.error = Some(err.to_string()),
    }
    Ok(e)
}

fn markers(analysis: &Analysis, key: &(String, String)) -> Vec<MarkerRow> {
    let mut rows = Vec::new();
    // Markers come in file order: one line index per file.
    let mut index: Option<(&str, LineIndex)> = None;
    for (file, manifest, m, parsed) in analysis.markers() {
        if (parsed.namespace.as_str(), parsed.name.as_str()) != (key.0.as_str(), key.1.as_str()) {
            continue;
        }
        let Some(scalar) = manifest.scalar_of(m) else {
            continue;
        };
        let lines = match &mut index {
            Some((rel, lines)) if *rel == file.rel => lines,
            slot => &mut slot.insert((&file.rel, LineIndex::new(&file.text))).1,
        };
        let at = lines.line_col(&file.text, scalar.range.start());
        let stale = analysis
            .findings
            .iter()
            .any(|f| f.file == file.rel && f.range == scalar.range && f.change.is_some());
        let state = if !analysis.resolutions.contains_key(key) {
            "unresolved"
        } else if stale {
            "out of date"
        } else {
            "in sync"
        };
        rows.push(MarkerRow {
            file: file.rel.clone(),
            line: at.line,
            column: at.column,
            setter: parsed.setter,
            value: scalar.value.clone(),
            state,
        });
    }
    rows
}

fn human(e: &Explanation) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "policy      {}  ({})", e.policy, e.file);
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
    if !e.tags.is_empty() {
        let _ = writeln!(s, "\ntags ({}, in Flux's order):", e.tags.len());
        let width = e
            .tags
            .iter()
            .map(|t| t.tag.chars().count())
            .max()
            .unwrap_or(0);
        for t in &e.tags {
            let key = t
                .key
                .as_deref()
                .map(|k| format!(" (key {k})"))
                .unwrap_or_default();
            let mark = if t.verdict == "selected" { "→" } else { " " };
            let _ = writeln!(s, "  {mark} {:<width$}  {}{key}", t.tag, t.verdict);
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
