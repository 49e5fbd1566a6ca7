//! `imagelock list`: one row per policy — the `flux get image policy` of this tool.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::args::{Format, GlobalArgs};
use super::check::options;
use super::ExitStatus;
use crate::engine::{self, Analysis};
use crate::rules::Rule;

#[derive(Debug, Serialize)]
pub struct Row {
    pub policy: String,
    pub image: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
    /// Markers naming this policy, across the repository.
    pub markers: usize,
    pub out_of_date: usize,
    /// `in sync`, `out of date`, `unused`, or why the policy does not resolve.
    pub status: String,
}

/// A count per policy (namespace, name).
type PerPolicy = BTreeMap<(String, String), usize>;

/// Markers per policy, and out-of-date findings per policy.
pub fn marker_counts(analysis: &Analysis) -> (PerPolicy, PerPolicy) {
    let mut markers = BTreeMap::new();
    for (_, _, _, parsed) in analysis.markers() {
        *markers.entry((parsed.namespace, parsed.name)).or_insert(0) += 1;
    }
    let mut stale = BTreeMap::new();
    for f in analysis
        .findings
        .iter()
        .filter(|f| f.rule == Rule::OutOfDate)
    {
        if let Some(change) = &f.change {
            let mut parts = change.setter.split(':');
            if let (Some(ns), Some(name)) = (parts.next(), parts.next()) {
                *stale.entry((ns.to_owned(), name.to_owned())).or_insert(0) += 1;
            }
        }
    }
    (markers, stale)
}

pub fn rows(analysis: &Analysis) -> Vec<Row> {
    let (markers, stale) = marker_counts(analysis);
    analysis
        .model
        .policies
        .iter()
        .map(|(key, decl)| {
            let repo = analysis.model.repositories.get(&engine::repo_key(decl));
            let image = repo.and_then(|r| r.spec.image.clone()).unwrap_or_default();
            let resolution = analysis.resolutions.get(key);
            let count = markers.get(key).copied().unwrap_or(0);
            let out_of_date = stale.get(key).copied().unwrap_or(0);
            let status = match resolution {
                None => unresolved_reason(analysis, decl),
                Some(_) if out_of_date > 0 => "out of date".to_owned(),
                Some(_) if count == 0 => "unused".to_owned(),
                Some(_) => "in sync".to_owned(),
            };
            Row {
                policy: format!("{}:{}", key.0, key.1),
                image,
                tag: resolution.map(|r| r.tag.clone()),
                digest: resolution.and_then(|r| r.digest.clone()),
                markers: count,
                out_of_date,
                status,
            }
        })
        .collect()
}

/// The first finding inside the policy's document (or its repository's), as a short reason.
fn unresolved_reason(analysis: &Analysis, decl: &engine::PolicyDecl) -> String {
    let doc_range = |file: usize, doc: usize| {
        analysis.files[file]
            .manifest
            .as_ref()
            .and_then(|m| m.documents.get(doc))
            .map(|d| d.range)
    };
    let mut places = vec![(decl.rel.clone(), doc_range(decl.file, decl.doc))];
    if let Some(repo) = analysis.model.repositories.get(&engine::repo_key(decl)) {
        places.push((repo.rel.clone(), doc_range(repo.file, repo.doc)));
    }
    places
        .iter()
        .find_map(|(rel, range)| {
            let range = (*range)?;
            analysis
                .findings
                .iter()
                .find(|f| f.file == *rel && range.contains_range(f.range))
        })
        .map_or_else(
            || "unresolved: see `imagelock check`".to_owned(),
            |f| format!("unresolved: {}", f.rule.name()),
        )
}

pub fn run(global: &GlobalArgs) -> miette::Result<ExitStatus> {
    let analysis = engine::analyze(&options(global, &[])?)?;
    let rows = rows(&analysis);
    let mut out = io::stdout().lock();
    if global.format == Format::Json {
        for row in &rows {
            let line = serde_json::to_string(row).unwrap_or_default();
            super::output(writeln!(out, "{line}"))?;
        }
        return Ok(ExitStatus::Success);
    }
    let table: Vec<[String; 6]> = std::iter::once(
        ["POLICY", "IMAGE", "TAG", "DIGEST", "MARKERS", "STATUS"].map(String::from),
    )
    .chain(rows.iter().map(|r| {
        [
            r.policy.clone(),
            r.image.clone(),
            r.tag.clone().unwrap_or_else(|| "-".into()),
            r.digest.as_deref().map_or_else(|| "-".into(), short_digest),
            r.markers.to_string(),
            r.status.clone(),
        ]
    }))
    .collect();
    let mut widths = [0usize; 6];
    for row in &table {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in &table {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        super::output(writeln!(out, "{}", line.trim_end()))?;
    }
    Ok(ExitStatus::Success)
}

/// `sha256:4f1d2c3b4a59…`: enough to recognise, short enough for a table.
pub fn short_digest(d: &str) -> String {
    match d.split_once(':') {
        Some((algo, hex)) if hex.len() > 12 => format!("{algo}:{}…", &hex[..12]),
        _ => d.to_owned(),
    }
}
