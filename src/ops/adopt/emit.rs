//! The text `adopt` writes: new ImageRepository and ImagePolicy documents, the marker comment,
//! and a new entry in a kustomization's `resources:` list, each spliced in without touching the
//! bytes around it.

use super::propose::Spec;
use crate::fix::Edit;
use crate::manifest::{CollectionKind, Manifest, PathSegment};
use crate::marker::Suffix;
use crate::text::TextRange;

/// The comment that marks a value, with the space before it.
pub(crate) fn marker(namespace: &str, name: &str, suffix: Suffix) -> String {
    format!(
        " # {{\"$imagepolicy\": \"{namespace}:{name}{}\"}}",
        suffix.as_str()
    )
}

/// A YAML single-quoted scalar: readable for ranges and regexps (`>=` and `\` need no escape).
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub(crate) struct NewObjects<'a> {
    pub api_version: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
    /// `spec.image`; `None` when the ImageRepository exists already.
    pub image: Option<&'a str>,
    /// The repository the policy names (its own name unless reused).
    pub repository: &'a str,
    pub spec: &'a Spec,
    pub reflect_digest: bool,
}

/// The documents of one proposal, each ending in a line break.
pub(crate) fn objects(o: &NewObjects<'_>) -> Vec<String> {
    let meta = format!(
        "apiVersion: {}\nmetadata:\n  name: {}\n  namespace: {}\n",
        o.api_version, o.name, o.namespace
    );
    let mut docs = Vec::new();
    if let Some(image) = o.image {
        docs.push(format!(
            "{}spec:\n  image: {image}\n  interval: 5m\n",
            meta.replacen("\nmetadata:", "\nkind: ImageRepository\nmetadata:", 1)
        ));
    }
    let mut policy = meta.replacen("\nmetadata:", "\nkind: ImagePolicy\nmetadata:", 1);
    policy.push_str(&format!(
        "spec:\n  imageRepositoryRef:\n    name: {}\n",
        o.repository
    ));
    let filter = |pattern: &str, extract: Option<&str>| {
        let mut s = format!("  filterTags:\n    pattern: {}\n", quoted(pattern));
        if let Some(e) = extract {
            s.push_str(&format!("    extract: {}\n", quoted(e)));
        }
        s
    };
    match o.spec {
        Spec::Semver { range } => {
            policy.push_str(&format!(
                "  policy:\n    semver:\n      range: {}\n",
                quoted(range)
            ));
        }
        Spec::Numerical { pattern, extract } => {
            policy.push_str(&filter(pattern, Some(extract)));
            policy.push_str("  policy:\n    numerical:\n      order: asc\n");
        }
        Spec::Alphabetical { pattern } => {
            policy.push_str(&filter(pattern, None));
            policy.push_str("  policy:\n    alphabetical:\n      order: asc\n");
        }
    }
    if o.reflect_digest {
        policy.push_str("  digestReflectionPolicy: IfNotPresent\n");
    }
    docs.push(policy);
    docs
}

/// `docs` after `existing` (empty for a new file): joined by `---` lines, in the existing
/// file's line ending.
pub(crate) fn append_documents(existing: &str, docs: &[String]) -> String {
    let crlf = existing.contains("\r\n");
    let mut out = existing.to_owned();
    for doc in docs {
        if !out.is_empty() {
            if !out.ends_with('\n') {
                out.push_str(if crlf { "\r\n" } else { "\n" });
            }
            out.push_str("---\n");
        }
        out.push_str(doc);
    }
    if crlf {
        // Only the appended part is converted: the existing bytes are kept as they were.
        let (head, tail) = out.split_at(existing.len());
        return format!("{head}{}", tail.replace('\n', "\r\n"));
    }
    out
}

/// A kustomization file's `namespace:`, when it sets one: kustomize moves every resource it
/// lists there, whatever the resource says.
pub(crate) fn kustomization_namespace(manifest: &Manifest) -> Option<String> {
    let doc = manifest.documents.first()?;
    doc.scalars
        .iter()
        .find(|s| s.path == [PathSegment::Key("namespace".into())])
        .map(|s| s.value.clone())
        .filter(|v| !v.is_empty())
}

/// What adding `file` to a kustomization's `resources:` takes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Listing {
    /// Listed already.
    Listed,
    /// This insertion after the last item.
    Add(Edit),
    /// The kustomization lists its resources in a way a line cannot be added to (a flow
    /// sequence, no `resources:`): the user adds it.
    Cannot,
}

/// Add `files` (in the kustomization's directory) after the last item of `resources:`, in one
/// insertion, leaving out the ones listed already.
pub(crate) fn add_resources(text: &str, manifest: &Manifest, files: &[&str]) -> Listing {
    let Some(doc) = manifest.documents.first() else {
        return Listing::Cannot;
    };
    let resources = [PathSegment::Key("resources".into())];
    let is_seq = doc
        .collections
        .iter()
        .any(|c| c.path == resources && c.kind == CollectionKind::Sequence);
    let items: Vec<_> = doc
        .scalars
        .iter()
        .filter(|s| s.path.len() == 2 && s.path[..1] == resources)
        .collect();
    if !is_seq || items.is_empty() {
        return Listing::Cannot;
    }
    let missing: Vec<&str> = files
        .iter()
        .copied()
        .filter(|f| !items.iter().any(|s| s.value.trim_start_matches("./") == *f))
        .collect();
    if missing.is_empty() {
        return Listing::Listed;
    }
    let last = items[items.len() - 1];
    let line_start = text[..last.range.start()].rfind('\n').map_or(0, |i| i + 1);
    let head = &text[line_start..last.range.start()];
    let indent_len = head.len() - head.trim_start().len();
    let after_dash = head.trim_start();
    // A block item: `<indent>- value` (the item alone on its line).
    if !after_dash.starts_with('-') || !after_dash[1..].trim().is_empty() {
        return Listing::Cannot;
    }
    let line_end = text[last.range.end()..]
        .find('\n')
        .map(|i| last.range.end() + i + 1);
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let line: String = missing
        .iter()
        .map(|f| format!("{}- {f}{eol}", &head[..indent_len]))
        .collect();
    Listing::Add(match line_end {
        Some(at) => Edit {
            range: TextRange::empty(at),
            replacement: line,
        },
        None => Edit {
            range: TextRange::empty(text.len()),
            replacement: format!("{eol}{}", line.trim_end_matches(['\r', '\n'])),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_get_a_line_in_the_list_s_own_indentation() {
        let text = "namespace: apps\nresources:\n  - deploy.yaml\n  - svc.yaml\nimages: []\n";
        let m = crate::manifest::parse(text).unwrap();
        assert_eq!(kustomization_namespace(&m).as_deref(), Some("apps"));
        let Listing::Add(edit) = add_resources(text, &m, &["app-image.yaml", "svc.yaml"]) else {
            panic!()
        };
        let out = crate::fix::apply_edits(text, &[edit]).unwrap();
        assert_eq!(
            out,
            "namespace: apps\nresources:\n  - deploy.yaml\n  - svc.yaml\n  - app-image.yaml\nimages: []\n"
        );
        assert_eq!(add_resources(text, &m, &["svc.yaml"]), Listing::Listed);
        let flow = "resources: [a.yaml]\n";
        let m = crate::manifest::parse(flow).unwrap();
        assert_eq!(add_resources(flow, &m, &["b.yaml"]), Listing::Cannot);
    }

    #[test]
    fn documents_append_after_a_separator_in_the_file_s_line_ending() {
        let docs = vec!["a: 1\n".to_owned(), "b: 2\n".to_owned()];
        assert_eq!(append_documents("", &docs), "a: 1\n---\nb: 2\n");
        assert_eq!(
            append_documents("x: 0\r\n", &docs),
            "x: 0\r\n---\r\na: 1\r\n---\r\nb: 2\r\n"
        );
    }
}
