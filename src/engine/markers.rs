//! Markers in one file: validated, resolved, compared with the value they mark.

use std::collections::BTreeMap;

use super::declarations::Model;
use super::resolve::{Resolution, Used};
use super::SourceFile;
use crate::fix::{render_scalar, Edit};
use crate::image::{ImageName, Reference};
use crate::manifest::{Attachment, IgnoredReason, Manifest, ScalarNode};
use crate::marker::{self, Marker, MarkerError, Suffix};
use crate::report::{Change, Finding};
use crate::rules::Rule;
use crate::text::TextRange;

/// Findings and out-of-date edits of one file.
#[derive(Debug, Default)]
pub struct FileOutcome {
    pub findings: Vec<Finding>,
    pub edits: Vec<Edit>,
}

/// The policies that well-formed markers in this file name, with whether one needs a digest.
pub fn referenced_policies(manifest: &Manifest) -> Used {
    let mut used = Used::new();
    for m in &manifest.markers {
        if !matches!(m.attachment, Attachment::Scalar(_)) {
            continue;
        }
        if let Ok(marker) = marker::parse(&m.text) {
            let needs = used.entry((marker.namespace, marker.name)).or_insert(false);
            *needs |= marker.suffix == Suffix::Digest;
        }
    }
    used
}

/// Evaluate every marker of `file` against the model and the resolutions.
pub fn evaluate_file(
    model: &Model,
    resolutions: &BTreeMap<(String, String), Resolution>,
    file: &SourceFile,
    manifest: &Manifest,
) -> FileOutcome {
    let mut out = FileOutcome::default();
    for m in &manifest.markers {
        let scalar = match &m.attachment {
            Attachment::Ignored { reason, target } => {
                out.findings.push(ignored(file, m.range, *target, reason));
                continue;
            }
            Attachment::Scalar(i) => {
                match manifest
                    .documents
                    .get(m.document)
                    .and_then(|d| d.scalars.get(*i))
                {
                    Some(s) => s,
                    None => continue,
                }
            }
        };
        // Offsets inside the comment text map to the file after the stripped `#` characters.
        let text_start = m.range.end() - m.text.len();
        let marker = match marker::parse(&m.text) {
            Ok(marker) => marker,
            Err(err) => {
                out.findings
                    .push(marker_error(file, m.range, text_start, err));
                continue;
            }
        };
        let setter_range = marker.setter_range.offset(text_start);
        let key = (marker.namespace.clone(), marker.name.clone());
        let Some(policy) = model.policies.get(&key) else {
            out.findings
                .push(unknown_policy(model, file, setter_range, &marker));
            continue;
        };
        automation_checks(model, file, setter_range, &marker, &policy.labels, &mut out);
        let Some(resolution) = resolutions.get(&key) else {
            continue; // the policy's own findings say why
        };
        image_mismatch(file, scalar, &marker, resolution, &mut out);
        let Some(expected) = expected_value(&marker, resolution) else {
            continue; // a needed digest is not locked: reported on the policy
        };
        if scalar.value == expected {
            continue;
        }
        let old_source = file.text.get(scalar.range.as_range()).unwrap_or("");
        let edit = Edit {
            range: scalar.range,
            replacement: render_scalar(old_source, scalar.style, &expected),
        };
        out.findings.push(
            Finding::new(
                Rule::OutOfDate,
                &file.rel,
                scalar.range,
                format!(
                    "`{}` is out of date: {} → {}",
                    marker.setter,
                    display(&scalar.value),
                    expected
                ),
            )
            .label(format!("policy resolves to {expected}"))
            .change(Change {
                setter: marker.setter.clone(),
                old: scalar.value.clone(),
                new: expected,
                edit: edit.clone(),
            }),
        );
        out.edits.push(edit);
    }
    out
}

fn display(value: &str) -> String {
    if value.is_empty() {
        "\"\"".to_owned()
    } else {
        value.to_owned()
    }
}

/// The value Flux writes for this marker (flux-semantics.md §1.3).
fn expected_value(marker: &Marker, r: &Resolution) -> Option<String> {
    Some(match marker.suffix {
        Suffix::Full if r.reflect_digest => format!("{}:{}@{}", r.name, r.tag, r.digest.as_ref()?),
        Suffix::Full => format!("{}:{}", r.name, r.tag),
        Suffix::Tag => r.tag.clone(),
        Suffix::Name => r.name.clone(),
        Suffix::Digest => r.digest.clone()?,
    })
}

fn ignored(
    file: &SourceFile,
    comment: TextRange,
    target: TextRange,
    reason: &IgnoredReason,
) -> Finding {
    let why = match reason {
        IgnoredReason::OnKey => "it sits on a mapping key, not on a value",
        IgnoredReason::OnMapping => "it sits on a mapping, not on a scalar value",
        IgnoredReason::OnSequence => "it sits on a sequence, not on a scalar value",
        IgnoredReason::OnAlias => "it sits on an alias; Flux never changes aliases (mark the anchored value instead)",
        IgnoredReason::EmptyValue => "the value is empty, so the comment belongs to the key (write `\"\"` to mark an empty value)",
        IgnoredReason::InBlockScalar => "it is text inside a block scalar, not a comment",
        IgnoredReason::MultiLineHeadComment => "the comment above the item spans several lines; Flux reads it as one text that is not JSON",
        IgnoredReason::Detached => "a comment on its own line works only directly above a `- value` sequence item; here it belongs to a key or to nothing",
        IgnoredReason::ShadowedByLineComment => "the item below has its own line comment, which Flux reads instead",
    };
    let _ = target;
    Finding::new(
        Rule::IgnoredMarker,
        &file.rel,
        comment,
        format!("Flux ignores this marker: {why}"),
    )
    .help("put the marker at the end of the line holding the value, or on the line directly above a `- value` sequence item")
}

fn marker_error(
    file: &SourceFile,
    comment: TextRange,
    text_start: usize,
    err: MarkerError,
) -> Finding {
    match err {
        MarkerError::Malformed { reason } => Finding::new(
            Rule::MalformedMarker,
            &file.rel,
            comment,
            format!("malformed marker: {reason}"),
        )
        .help(r#"write it as `# {"$imagepolicy": "NAMESPACE:NAME"}`"#),
        MarkerError::UnknownSuffix {
            suffix,
            setter_range,
        } => {
            let mut f = Finding::new(
                Rule::UnknownSuffix,
                &file.rel,
                setter_range.offset(text_start),
                format!("unknown marker suffix `:{suffix}`"),
            )
            .label("expected `:tag`, `:name` or `:digest`");
            let lower = suffix.to_ascii_lowercase();
            if ["tag", "name", "digest"].contains(&lower.as_str()) {
                f = f.help(format!("suffixes are lowercase: write `:{lower}`"));
            }
            f
        }
        MarkerError::InvalidReference {
            reason,
            setter_range,
        } => Finding::new(
            Rule::InvalidPolicyReference,
            &file.rel,
            setter_range.offset(text_start),
            format!("invalid policy reference: {reason}"),
        ),
    }
}

fn unknown_policy(model: &Model, file: &SourceFile, range: TextRange, marker: &Marker) -> Finding {
    let wanted = format!("{}:{}", marker.namespace, marker.name);
    let best = model
        .policies
        .keys()
        .map(|(ns, n)| format!("{ns}:{n}"))
        .map(|c| (strsim::levenshtein(&wanted, &c), c))
        .min();
    let mut f = Finding::new(
        Rule::UnknownPolicy,
        &file.rel,
        range,
        format!("no ImagePolicy `{wanted}` is declared in this repository"),
    )
    .label("unknown policy");
    match best {
        Some((d, c)) if d <= (wanted.len() / 3).max(2) => {
            f = f.help(format!("did you mean `{c}{}`?", marker.suffix.as_str()));
        }
        _ if model.policies.is_empty() => {
            f = f.help("the repository declares no ImagePolicy at all");
        }
        _ => {}
    }
    f
}

fn automation_checks(
    model: &Model,
    file: &SourceFile,
    range: TextRange,
    marker: &Marker,
    labels: &BTreeMap<String, String>,
    out: &mut FileOutcome,
) {
    if model.automations.is_empty() {
        return;
    }
    let in_namespace: Vec<_> = model
        .automations
        .iter()
        .filter(|a| a.namespace == marker.namespace)
        .collect();
    if in_namespace.is_empty() {
        out.findings.push(Finding::new(
            Rule::PolicyOutsideAutomationNamespace,
            &file.rel,
            range,
            format!(
                "no ImageUpdateAutomation in namespace `{}`: Flux uses only policies in an automation's own namespace and never updates this marker",
                marker.namespace
            ),
        ));
        return;
    }
    let selecting: Vec<_> = in_namespace
        .iter()
        .filter(|a| {
            a.spec
                .policy_selector
                .as_ref()
                .is_none_or(|s| s.matches(labels))
        })
        .collect();
    if selecting.is_empty() {
        out.findings.push(Finding::new(
            Rule::PolicyNotSelected,
            &file.rel,
            range,
            format!(
                "no ImageUpdateAutomation's policySelector selects policy `{}:{}`",
                marker.namespace, marker.name
            ),
        ));
        return;
    }
    let covered = selecting.iter().any(|a| {
        let path = a
            .spec
            .update
            .as_ref()
            .and_then(|u| u.path.as_deref())
            .unwrap_or("");
        under_path(&file.rel, path)
    });
    if !covered {
        out.findings.push(Finding::new(
            Rule::MarkerOutsideUpdatePath,
            &file.rel,
            range,
            format!(
                "`{}` is outside the update.path of every ImageUpdateAutomation that uses policy `{}:{}`",
                file.rel, marker.namespace, marker.name
            ),
        ));
    }
}

/// Whether repository-relative `rel` is under an automation's `update.path`.
pub fn under_path(rel: &str, path: &str) -> bool {
    let path = path.trim_start_matches("./").trim_matches('/');
    path.is_empty()
        || path == "."
        || rel == path
        || (rel.starts_with(path) && rel.as_bytes().get(path.len()) == Some(&b'/'))
}

fn image_mismatch(
    file: &SourceFile,
    scalar: &ScalarNode,
    marker: &Marker,
    r: &Resolution,
    out: &mut FileOutcome,
) {
    let current = match marker.suffix {
        Suffix::Full => Reference::split(&scalar.value).name,
        Suffix::Name => scalar.value.as_str(),
        Suffix::Tag | Suffix::Digest => return,
    };
    if current.is_empty() {
        return;
    }
    let same = match (ImageName::parse(current), ImageName::parse(&r.name)) {
        (Ok(a), Ok(b)) => a == b,
        _ => current == r.name,
    };
    if !same {
        out.findings.push(
            Finding::new(
                Rule::ImageMismatch,
                &file.rel,
                scalar.range,
                format!(
                    "this field holds image `{current}`, but policy `{}` tracks `{}`; Flux overwrites it anyway",
                    marker.setter, r.name
                ),
            )
            .label("different image"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::under_path;

    #[test]
    fn update_paths() {
        assert!(under_path("clusters/a.yaml", ""));
        assert!(under_path("clusters/a.yaml", "./"));
        assert!(under_path("clusters/a.yaml", "./clusters"));
        assert!(under_path("clusters/a.yaml", "clusters/"));
        assert!(under_path("clusters/a.yaml", "clusters/a.yaml"));
        assert!(!under_path("clusters2/a.yaml", "clusters"));
        assert!(!under_path("apps/a.yaml", "clusters"));
    }
}
