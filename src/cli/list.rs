//! `imagelock list`: one row per policy — the `flux get image policy` of this tool.

use std::io::{self, Write};

use super::args::{Format, GlobalArgs};
use super::{options, ExitStatus};
use crate::model::Model;
use crate::ops::list::rows;

pub fn run(global: &GlobalArgs) -> miette::Result<ExitStatus> {
    super::table_format(global, "list")?;
    let model = Model::build(&options(global, &[])?)?;
    let rows = rows(&model);
    let mut out = io::stdout().lock();
    if global.format == Format::Json {
        for row in &rows {
            let line = serde_json::to_string(row).unwrap_or_default();
            super::output(writeln!(out, "{line}"))?;
        }
        return Ok(ExitStatus::Success);
    }
    // The cluster in the policy column only where the repository has clusters; the NEXT
    // column only where a cooldown holds an update back.
    let clustered = rows.iter().any(|r| !r.cluster.is_empty());
    let next = rows.iter().any(|r| r.next.is_some());
    let head = [
        "POLICY", "IMAGE", "TAG", "DIGEST", "MARKERS", "STATUS", "NEXT",
    ];
    let table: Vec<Vec<String>> = std::iter::once(head.map(String::from).to_vec())
        .chain(rows.iter().map(|r| {
            vec![
                if clustered {
                    format!("{} ({})", r.policy, r.cluster)
                } else {
                    r.policy.clone()
                },
                r.image.clone(),
                r.tag.clone().unwrap_or_else(|| "-".into()),
                r.digest.as_deref().map_or_else(|| "-".into(), short_digest),
                r.markers.to_string(),
                r.status.clone(),
                match (&r.next, &r.next_eligible_from) {
                    (Some(tag), Some(from)) => format!("{} from {from}", short_next(tag)),
                    _ => "-".into(),
                },
            ]
        }))
        .map(|mut row| {
            row.truncate(if next { 7 } else { 6 });
            row
        })
        .collect();
    let mut widths = [0usize; 7];
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

/// A next update `tag@sha256:…` with its digest shortened.
fn short_next(next: &str) -> String {
    match next.split_once('@') {
        Some((tag, digest)) => format!("{tag}@{}", short_digest(digest)),
        None => next.to_owned(),
    }
}

/// `sha256:4f1d2c3b4a59…`: enough to recognise, short enough for a table.
fn short_digest(d: &str) -> String {
    match d.split_once(':') {
        Some((algo, hex)) if hex.len() > 12 => format!("{algo}:{}…", &hex[..12]),
        _ => d.to_owned(),
    }
}
