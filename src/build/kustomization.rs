//! A `kustomization.yaml` (or `Component`), read as kustomize reads it: the fields that shape
//! image automation objects, and an error for what kustomize would refuse.

use std::sync::Arc;

use super::value::{Node, Origin, Value};
use super::{Problem, Target};
use crate::rules::Rule;

/// The file names kustomize recognises, in the order it tries them.
pub(crate) const FILE_NAMES: &[&str] =
    &["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// A string written in a kustomization, with its place.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub text: String,
    pub origin: Origin,
}

#[derive(Clone, Debug)]
pub(crate) enum PatchBody {
    /// Inline YAML or JSON (`patch:`, or an inline `patchesStrategicMerge` entry).
    Inline(Entry),
    /// A file, relative to the kustomization.
    Path(Entry),
}

#[derive(Clone, Debug)]
pub(crate) struct Patch {
    pub body: PatchBody,
    pub target: Option<Target>,
    /// `options.allowNameChange`.
    pub allow_name_change: bool,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Kustomization {
    /// The file, repository-relative (`""` for a kustomization Flux generated).
    pub file: Option<Arc<str>>,
    pub dir: String,
    pub component: bool,
    pub resources: Vec<Entry>,
    pub components: Vec<Entry>,
    pub namespace: Option<Entry>,
    pub name_prefix: Option<Entry>,
    pub name_suffix: Option<Entry>,
    pub patches_strategic_merge: Vec<Patch>,
    pub patches: Vec<Patch>,
    pub patches_json6902: Vec<Patch>,
    pub labels: Vec<(String, String, Origin)>,
    pub annotations: Vec<(String, String, Origin)>,
    /// A field Flux's build refuses (`helmCharts`: Helm is disabled).
    pub refused: Option<Entry>,
}

/// The fields kustomize knows besides those no build here reads
/// ([`super::simple::UNREAD`]); any other fails a strict read.
const READ: &[&str] = &[
    "apiVersion",
    "kind",
    "resources",
    "bases",
    "components",
    "namespace",
    "namePrefix",
    "nameSuffix",
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "labels",
    "commonLabels",
    "commonAnnotations",
    "helmCharts",
    "helmChartInflationGenerator",
];

fn known(field: &str) -> bool {
    READ.contains(&field) || super::simple::UNREAD.contains(&field)
}

impl Kustomization {
    /// Read the first document of a kustomization file. `strict`: an unknown field is an error
    /// (Flux reads the file at its `spec.path` leniently and drops unknown fields).
    pub fn read(doc: &Node, file: &Arc<str>, strict: bool) -> Result<Self, Problem> {
        let dir = super::source::parent(file).to_owned();
        let invalid = |origin: &Origin, message: String| Problem {
            rule: Rule::InvalidKustomization,
            origin: origin.clone(),
            message,
        };
        if !matches!(doc.value, Value::Map(_)) {
            return Err(invalid(
                &doc.origin,
                "kustomize cannot read this kustomization: it is not a mapping".into(),
            ));
        }
        if doc.entries().is_empty() {
            return Err(invalid(&doc.origin, "kustomization file is empty".into()));
        }
        let mut k = Self {
            file: Some(file.clone()),
            dir,
            ..Self::default()
        };
        match doc.get("kind").and_then(Node::as_str) {
            None | Some("Kustomization") => {}
            Some("Component") => k.component = true,
            Some(other) => {
                return Err(invalid(
                    &doc.get("kind").map_or(&doc.origin, |n| &n.origin).clone(),
                    format!("kind `{other}` is not a kustomization: kustomize takes `Kustomization` or `Component`"),
                ))
            }
        }
        if let Some(api) = doc.get("apiVersion").and_then(Node::as_str) {
            if api.contains("toolkit.fluxcd.io") {
                return Err(invalid(
                    &doc.get("apiVersion").map_or(&doc.origin, |n| &n.origin).clone(),
                    format!("`{api}` is a Flux Kustomization, not a kustomize file: kustomize cannot read it under this name"),
                ));
            }
        }
        for (key, value) in doc.entries() {
            match key.as_str() {
                "resources" | "bases" => k.resources.extend(strings(value, key)?),
                "components" => k.components.extend(strings(value, key)?),
                "namespace" => k.namespace = string(value, key)?,
                "namePrefix" => k.name_prefix = string(value, key)?,
                "nameSuffix" => k.name_suffix = string(value, key)?,
                "patches" => k.patches = patches(value, key, true)?,
                "patchesStrategicMerge" => {
                    k.patches_strategic_merge = smp_entries(value, key)?;
                }
                "patchesJson6902" => k.patches_json6902 = patches(value, key, false)?,
                "commonLabels" => k.labels.extend(pairs(value)),
                "labels" => {
                    for item in value.items() {
                        if let Some(pairs_node) = item.get("pairs") {
                            k.labels.extend(pairs(pairs_node));
                        }
                    }
                }
                "commonAnnotations" => k.annotations.extend(pairs(value)),
                "helmCharts" | "helmChartInflationGenerator" if !value.is_null() => {
                    k.refused = Some(Entry {
                        text: key.clone(),
                        origin: value.origin.clone(),
                    });
                }
                other if strict && !known(other) => {
                    return Err(invalid(
                        &value.origin,
                        format!("invalid Kustomization: unknown field `{other}`"),
                    ));
                }
                _ => {}
            }
        }
        Ok(k)
    }
}

fn wrong(value: &Node, key: &str, expected: &str) -> Problem {
    Problem {
        rule: Rule::InvalidKustomization,
        origin: value.origin.clone(),
        message: format!("`{key}` must be {expected}"),
    }
}

fn string(value: &Node, key: &str) -> Result<Option<Entry>, Problem> {
    if value.is_null() {
        return Ok(None);
    }
    match value.scalar_text() {
        Some(text) => Ok(Some(Entry {
            text: text.to_owned(),
            origin: value.origin.clone(),
        })),
        None => Err(wrong(value, key, "a string")),
    }
}

fn strings(value: &Node, key: &str) -> Result<Vec<Entry>, Problem> {
    match &value.value {
        Value::Null => Ok(Vec::new()),
        Value::Seq(items) => items
            .iter()
            .filter(|n| !n.is_null())
            .map(|n| string(n, key).map(|e| e.expect("not null")))
            .collect(),
        _ => Err(wrong(value, key, "a list of paths")),
    }
}

fn pairs(value: &Node) -> Vec<(String, String, Origin)> {
    value
        .entries()
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), v.scalar_text()?.to_owned(), v.origin.clone())))
        .collect()
}

/// `patches:` (SMP or JSON6902, told apart by content) or legacy `patchesJson6902:`.
pub(crate) fn patches(value: &Node, key: &str, modern: bool) -> Result<Vec<Patch>, Problem> {
    let mut out = Vec::new();
    for item in value.items() {
        let body = match (item.get("patch"), item.get("path")) {
            (Some(p), _) if !p.is_null() => {
                PatchBody::Inline(string(p, "patch")?.ok_or_else(|| wrong(p, key, "a patch"))?)
            }
            (_, Some(p)) if !p.is_null() => {
                PatchBody::Path(string(p, "path")?.ok_or_else(|| wrong(p, key, "a path"))?)
            }
            _ => {
                return Err(Problem {
                    rule: Rule::InvalidKustomization,
                    origin: item.origin.clone(),
                    message: format!("a `{key}` entry needs `patch` or `path`"),
                })
            }
        };
        let target = match item.get("target") {
            Some(t) if !t.is_null() => Some(Target::read(t)?),
            _ => None,
        };
        if !modern && target.as_ref().is_none_or(|t| t.name.is_none()) {
            return Err(Problem {
                rule: Rule::InvalidKustomization,
                origin: item.origin.clone(),
                message: "a `patchesJson6902` entry needs `target.name`".into(),
            });
        }
        let option = |name: &str| {
            item.at(&["options", name])
                .and_then(Node::scalar_text)
                .is_some_and(|t| t == "true")
        };
        out.push(Patch {
            body,
            target,
            allow_name_change: option("allowNameChange"),
        });
    }
    Ok(out)
}

/// `patchesStrategicMerge:` entries: each a file path, or inline YAML.
fn smp_entries(value: &Node, key: &str) -> Result<Vec<Patch>, Problem> {
    Ok(strings(value, key)?
        .into_iter()
        .map(|e| {
            let inline = e.text.contains('\n') || e.text.contains(':');
            Patch {
                body: if inline {
                    PatchBody::Inline(e)
                } else {
                    PatchBody::Path(e)
                },
                target: None,
                allow_name_change: false,
            }
        })
        .collect())
}

/// A kustomization's text with the values of the fields no build reads blanked out (offsets
/// kept, trailing blanks cut): generators and image lists can be most of a file, and every
/// kustomization of a repository is read. `None` when there is nothing to skip, or the text is
/// not the plain block mapping this line-wise cut is sure about (then it is parsed whole; a
/// cut that does not parse is parsed whole as well).
pub(crate) fn skim(text: &str) -> Option<String> {
    let mut out: Vec<u8> = text.as_bytes().to_vec();
    let mut lines = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        lines.push((at, line));
        at += line.len();
    }
    // Each top-level key line starts an entry; the entry runs to the next one.
    let mut starts: Vec<(usize, usize, bool)> = Vec::new();
    for (i, (at, line)) in lines.iter().enumerate() {
        let first = line.as_bytes().first().copied().unwrap_or(b'\n');
        match first {
            b' ' | b'#' | b'\n' => continue,
            b'\t' | b'\r' | b'%' | b'"' | b'\'' | b'{' | b'[' | b'?' | b'&' | b'*' | b'!'
            | b'|' | b'>' => return None,
            b'-' if line.starts_with("---")
                || !(line.starts_with("- ") || line.trim_end() == "-") =>
            {
                return None
            }
            b'-' => continue, // an item of the entry above
            _ => {}
        }
        if line.starts_with("...") {
            return None;
        }
        let (key, rest) = line.split_once(':')?;
        if !key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
            || !(rest.is_empty() || rest.starts_with([' ', '\n', '\r']))
        {
            return None;
        }
        starts.push((i, at + key.len() + 1, super::simple::UNREAD.contains(&key)));
    }
    let mut skipped = false;
    for (n, &(_, value_start, unread)) in starts.iter().enumerate() {
        if !unread {
            continue;
        }
        let end = starts
            .get(n + 1)
            .map_or(text.len(), |&(next, _, _)| lines[next].0);
        for b in &mut out[value_start..end] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
        skipped = true;
    }
    if !skipped {
        return None;
    }
    let keep = out
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    out.truncate(keep);
    out.push(b'\n');
    String::from_utf8(out).ok()
}

/// Whether a `resources:` or `components:` entry names a remote base, which cannot be read
/// offline.
pub(crate) fn is_remote(path: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "https://",
        "http://",
        "git::",
        "ssh://",
        "git@",
        "github.com/",
        "gitlab.com/",
        "bitbucket.org/",
        "file://",
        "oci://",
    ];
    PREFIXES.iter().any(|p| path.starts_with(p))
        || memchr::memchr_iter(b'?', path.as_bytes()).any(|i| path[i..].starts_with("?ref="))
        || crate::text::has_double_slash(path)
}

#[cfg(test)]
mod tests {
    use super::skim;

    #[test]
    fn remote_entries() {
        for (path, remote) in [
            ("https://example.com/x", true),
            ("github.com/org/repo//deploy?ref=v1", true),
            ("org/repo?ref=v1", true),
            ("org/repo?depth=1?ref=v1", true),
            ("org/repo?depth=1", false),
            ("../base", false),
            ("base/kustomization.yaml", false),
        ] {
            assert_eq!(super::is_remote(path), remote, "{path}");
        }
    }

    #[test]
    fn skimming_blanks_unread_values_and_keeps_offsets() {
        let text = "kind: Kustomization\nconfigMapGenerator:\n- name: a\n  literals: [x]\nresources:\n  - a.yaml\nimages:\n  - name: x\n    newTag: '1'\n";
        let skimmed = skim(text).unwrap();
        assert_eq!(
            skimmed,
            "kind: Kustomization\nconfigMapGenerator:\n         \n               \nresources:\n  - a.yaml\nimages:\n"
        );
        let at = text.find("a.yaml").unwrap();
        assert_eq!(&skimmed[at..at + 6], "a.yaml");
        for unsure in [
            "resources: [a]\n",
            "\"quoted\": 1\nimages: []\n",
            "---\nimages: []\n",
            "images:\n\t- x\n",
            "{images: []}\n",
        ] {
            assert_eq!(skim(unsure), None, "{unsure:?}");
        }
    }
}
