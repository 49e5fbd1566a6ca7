//! Patches as kustomize applies them to custom resources: target selection, strategic merge
//! (no schema: every list is replaced), and JSON6902 (evanphx/json-patch v4's rules).

use super::value::{Node, Origin, Value};
use super::{Problem, Resource};
use crate::rules::Rule;

/// A `target:` selector: Go regular expressions anchored as `^(?:…)$`, and label and
/// annotation selectors.
#[derive(Clone, Debug, Default)]
pub(crate) struct Target {
    pub group: Option<Pattern>,
    pub version: Option<Pattern>,
    pub kind: Option<Pattern>,
    pub name: Option<Pattern>,
    pub namespace: Option<Pattern>,
    pub label_selector: Option<String>,
    pub annotation_selector: Option<String>,
}

/// One field of a target: a plain name compared as text, or a compiled Go regular expression.
#[derive(Clone, Debug)]
pub(crate) enum Pattern {
    Text(String),
    Regex(std::sync::Arc<regex::Regex>),
}

impl Pattern {
    fn new(text: &str) -> Result<Self, String> {
        if !text.contains(|c: char| "\\.+*?()|[]{}^$".contains(c)) {
            return Ok(Self::Text(text.to_owned()));
        }
        crate::policy::goregex::compile(&format!("^(?:{text})$"))
            .map(Self::Regex)
            .map_err(|e| format!("invalid target pattern `{text}`: {e}"))
    }

    fn matches_any(&self, values: &[&str]) -> bool {
        match self {
            Self::Text(t) => values.contains(&t.as_str()),
            Self::Regex(re) => values.iter().any(|v| re.is_match(v)),
        }
    }
}

impl Target {
    pub fn read(node: &Node) -> Result<Self, Problem> {
        let problem = |message: String| Problem {
            rule: Rule::InvalidKustomization,
            origin: node.origin.clone(),
            message,
        };
        let text = |k: &str| {
            node.get(k)
                .and_then(Node::scalar_text)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let field = |k: &str| {
            text(k)
                .map(|t| Pattern::new(&t).map_err(problem))
                .transpose()
        };
        let target = Self {
            group: field("group")?,
            version: field("version")?,
            kind: field("kind")?,
            name: field("name")?,
            namespace: field("namespace")?,
            label_selector: text("labelSelector"),
            annotation_selector: text("annotationSelector"),
        };
        for s in [&target.label_selector, &target.annotation_selector]
            .into_iter()
            .flatten()
        {
            Selector::parse(s).map_err(|message| Problem {
                rule: Rule::InvalidKustomization,
                origin: node.origin.clone(),
                message: format!("invalid selector `{s}`: {message}"),
            })?;
        }
        Ok(target)
    }

    /// Whether the target selects `r`, as kustomize's `Select`.
    pub fn selects(&self, r: &Resource) -> Result<bool, Problem> {
        let matches = |pattern: &Option<Pattern>, values: &[&str]| {
            pattern.as_ref().is_none_or(|p| p.matches_any(values))
        };
        let names = [r.original_name(), r.name()];
        let namespaces = [
            r.original_namespace().unwrap_or("default"),
            r.namespace().unwrap_or("default"),
        ];
        let cluster_scoped = r.is_namespace_object();
        if cluster_scoped && self.namespace.is_some() {
            return Ok(false);
        }
        let labels = |path: &str| {
            r.node
                .at(&["metadata", path])
                .map(Node::string_map)
                .unwrap_or_default()
        };
        let selector_ok = |s: &Option<String>, path: &str| {
            s.as_deref()
                .is_none_or(|s| Selector::parse(s).is_ok_and(|sel| sel.matches(&labels(path))))
        };
        Ok(matches(&self.group, &[r.group.as_str()])
            && matches(&self.version, &[r.version.as_str()])
            && matches(&self.kind, &[r.kind.as_str()])
            && matches(&self.name, &names)
            && (cluster_scoped || matches(&self.namespace, &namespaces))
            && selector_ok(&self.label_selector, "labels")
            && selector_ok(&self.annotation_selector, "annotations"))
    }
}

/// A Kubernetes label selector: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`.
pub(crate) struct Selector(Vec<Requirement>);

enum Requirement {
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

impl Selector {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        let mut rest = text.trim();
        while !rest.is_empty() {
            // A requirement ends at a comma outside parentheses.
            let mut depth = 0;
            let end = rest
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    c == ',' && depth == 0
                })
                .map_or(rest.len(), |(i, _)| i);
            out.push(Requirement::parse(rest[..end].trim())?);
            rest = rest[end..].trim_start_matches(',').trim();
        }
        Ok(Self(out))
    }

    pub fn matches(&self, labels: &[(String, String)]) -> bool {
        let get = |k: &str| labels.iter().find(|(key, _)| key == k).map(|(_, v)| v);
        self.0.iter().all(|r| match r {
            Requirement::In(k, vs) => get(k).is_some_and(|v| vs.contains(v)),
            Requirement::NotIn(k, vs) => get(k).is_none_or(|v| !vs.contains(v)),
            Requirement::Exists(k) => get(k).is_some(),
            Requirement::NotExists(k) => get(k).is_none(),
        })
    }
}

impl Requirement {
    fn parse(text: &str) -> Result<Self, String> {
        let key = |k: &str| {
            let k = k.trim();
            if k.is_empty() || k.contains(char::is_whitespace) {
                Err(format!("`{k}` is not a label key"))
            } else {
                Ok(k.to_owned())
            }
        };
        if let Some(k) = text.strip_prefix('!') {
            return Ok(Self::NotExists(key(k)?));
        }
        if let Some((k, v)) = text.split_once("!=") {
            return Ok(Self::NotIn(key(k)?, vec![v.trim().to_owned()]));
        }
        if let Some((k, v)) = text.split_once("==").or_else(|| text.split_once('=')) {
            return Ok(Self::In(key(k)?, vec![v.trim().to_owned()]));
        }
        for (op, not) in [(" notin ", true), (" in ", false)] {
            if let Some((k, set)) = text.split_once(op) {
                let set = set.trim();
                let inner = set
                    .strip_prefix('(')
                    .and_then(|s| s.strip_suffix(')'))
                    .ok_or_else(|| format!("`{set}` is not a parenthesised set"))?;
                let values = inner.split(',').map(|v| v.trim().to_owned()).collect();
                return Ok(if not {
                    Self::NotIn(key(k)?, values)
                } else {
                    Self::In(key(k)?, values)
                });
            }
        }
        Ok(Self::Exists(key(text)?))
    }
}

/// Strategic merge of `patch` into `target` for a resource without a schema: mappings merge key
/// by key, `null` deletes, scalars and lists replace, `$patch: replace|delete` on a mapping.
pub(crate) fn merge(target: &mut Node, patch: &Node) {
    match (&mut target.value, &patch.value) {
        (Value::Map(_), Value::Map(entries)) => {
            if directive(patch) == Some("replace") {
                *target = without_directives(patch);
                return;
            }
            for (key, value) in entries {
                if key.starts_with('$') {
                    continue;
                }
                if value.is_null() || directive(value) == Some("delete") {
                    target.remove(key);
                    continue;
                }
                match target.get_mut(key) {
                    Some(existing)
                        if matches!(existing.value, Value::Map(_))
                            && matches!(value.value, Value::Map(_)) =>
                    {
                        merge(existing, value);
                    }
                    _ => target.set(key, without_directives(value)),
                }
            }
        }
        _ => *target = without_directives(patch),
    }
}

/// `$patch` of a mapping.
pub(crate) fn directive(node: &Node) -> Option<&str> {
    node.get("$patch").and_then(Node::scalar_text)
}

fn without_directives(node: &Node) -> Node {
    let mut node = node.clone();
    strip(&mut node);
    node
}

fn strip(node: &mut Node) {
    match &mut node.value {
        Value::Map(entries) => {
            entries.retain(|(k, _)| !k.starts_with('$'));
            entries.iter_mut().for_each(|(_, v)| strip(v));
        }
        Value::Seq(items) => items.iter_mut().for_each(strip),
        _ => {}
    }
}

/// One JSON6902 operation.
#[derive(Clone, Debug)]
pub(crate) struct Operation {
    op: String,
    path: Vec<String>,
    from: Option<Vec<String>>,
    value: Option<Node>,
    origin: Origin,
}

/// Read a JSON6902 document (a sequence of `{op, path, …}`).
pub(crate) fn operations(doc: &Node) -> Result<Vec<Operation>, String> {
    let Value::Seq(items) = &doc.value else {
        return Err("a JSON6902 patch is a list of operations".into());
    };
    items
        .iter()
        .map(|item| {
            let op = item
                .get("op")
                .and_then(Node::scalar_text)
                .ok_or("an operation without `op`")?
                .to_owned();
            let path = pointer(
                item.get("path")
                    .and_then(Node::scalar_text)
                    .ok_or("an operation without `path`")?,
            )?;
            let from = match item.get("from").and_then(Node::scalar_text) {
                Some(f) => Some(pointer(f)?),
                None => None,
            };
            Ok(Operation {
                op,
                path,
                from,
                value: item.get("value").cloned(),
                origin: item.origin.clone(),
            })
        })
        .collect()
}

/// An RFC 6901 pointer's tokens.
fn pointer(text: &str) -> Result<Vec<String>, String> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let rest = text
        .strip_prefix('/')
        .ok_or_else(|| format!("`{text}` is not a JSON pointer"))?;
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

impl Operation {
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// Apply to a resource's tree; the error is json-patch's message.
    pub fn apply(&self, doc: &mut Node) -> Result<(), String> {
        let show = |p: &[String]| format!("/{}", p.join("/"));
        match self.op.as_str() {
            "add" => {
                let value = self.value.clone().ok_or("`add` needs a value")?;
                add(doc, &self.path, value, false).map_err(|_| {
                    format!(
                        "add operation does not apply: doc is missing path: \"{}\"",
                        show(&self.path)
                    )
                })
            }
            "replace" => {
                let value = self.value.clone().ok_or("`replace` needs a value")?;
                add(doc, &self.path, value, true).map_err(|_| {
                    format!(
                        "replace operation does not apply: doc is missing path: \"{}\"",
                        show(&self.path)
                    )
                })
            }
            "remove" => remove(doc, &self.path)
                .map(drop)
                .map_err(|_| format!("Unable to remove nonexistent key: \"{}\"", show(&self.path))),
            "move" | "copy" => {
                let from = self.from.as_deref().ok_or("`from` is required")?;
                let value = if self.op == "move" {
                    remove(doc, from)
                } else {
                    get(doc, from).cloned().ok_or(())
                }
                .map_err(|_| {
                    format!(
                        "{} operation does not apply: doc is missing from path: \"{}\"",
                        self.op,
                        show(from)
                    )
                })?;
                add(doc, &self.path, value, false).map_err(|_| {
                    format!(
                        "{} operation does not apply: doc is missing destination path: \"{}\"",
                        self.op,
                        show(&self.path)
                    )
                })
            }
            "test" => {
                let want = self.value.as_ref();
                let got = get(doc, &self.path);
                let same = match (got, want) {
                    (Some(g), Some(w)) => same_value(g, w),
                    (None, None) => true,
                    _ => false,
                };
                if same {
                    Ok(())
                } else {
                    Err(format!("testing value \"{}\" failed", show(&self.path)))
                }
            }
            other => Err(format!("unexpected op `{other}`")),
        }
    }
}

fn get<'a>(doc: &'a Node, path: &[String]) -> Option<&'a Node> {
    path.iter().try_fold(doc, |node, token| match &node.value {
        Value::Map(_) => node.get(token),
        Value::Seq(items) => token.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

fn get_mut<'a>(doc: &'a mut Node, path: &[String]) -> Option<&'a mut Node> {
    path.iter()
        .try_fold(doc, |node, token| match &mut node.value {
            Value::Map(entries) => entries.iter_mut().find(|(k, _)| k == token).map(|(_, v)| v),
            Value::Seq(items) => token.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
            _ => None,
        })
}

/// `add` (or `replace`, which on an array needs the index to exist and on an object adds a
/// missing member: json-patch v4).
fn add(doc: &mut Node, path: &[String], value: Node, replace: bool) -> Result<(), ()> {
    let Some((last, parent)) = path.split_last() else {
        *doc = value;
        return Ok(());
    };
    let parent = get_mut(doc, parent).ok_or(())?;
    match &mut parent.value {
        Value::Map(_) => {
            parent.set(last, value);
            Ok(())
        }
        Value::Seq(items) => {
            if replace {
                let i: usize = last.parse().map_err(drop)?;
                *items.get_mut(i).ok_or(())? = value;
            } else if last == "-" {
                items.push(value);
            } else {
                let i: usize = last.parse().map_err(drop)?;
                if i > items.len() {
                    return Err(());
                }
                items.insert(i, value);
            }
            Ok(())
        }
        _ => Err(()),
    }
}

fn remove(doc: &mut Node, path: &[String]) -> Result<Node, ()> {
    let (last, parent) = path.split_last().ok_or(())?;
    let parent = get_mut(doc, parent).ok_or(())?;
    match &mut parent.value {
        Value::Map(_) => parent.remove(last).ok_or(()),
        Value::Seq(items) => {
            let i: usize = last.parse().map_err(drop)?;
            (i < items.len()).then(|| items.remove(i)).ok_or(())
        }
        _ => Err(()),
    }
}

/// Equal as JSON values (places and quoting aside).
fn same_value(a: &Node, b: &Node) -> bool {
    match (&a.value, &b.value) {
        (Value::Scalar(x), Value::Scalar(y)) => x.text == y.text,
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| b.get(k).is_some_and(|w| same_value(v, w)))
        }
        (Value::Seq(x), Value::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same_value(v, w))
        }
        (x, y) => a.is_null() && b.is_null() || x == y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn tree(yaml: &str) -> Node {
        let docs = super::super::source::parse(yaml, &Arc::from("t.yaml")).unwrap();
        docs[0].clone()
    }

    fn text(node: &Node) -> String {
        match &node.value {
            Value::Null => "null".into(),
            Value::Alias => "*".into(),
            Value::Scalar(s) => s.text.clone(),
            Value::Seq(items) => format!(
                "[{}]",
                items.iter().map(text).collect::<Vec<_>>().join(", ")
            ),
            Value::Map(entries) => format!(
                "{{{}}}",
                entries
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", text(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    #[test]
    fn strategic_merge_without_a_schema() {
        for (before, patch, after) in [
            (
                "policy: {semver: {range: 1.x}}",
                "policy: {semver: null, alphabetical: {order: asc}}",
                "{policy: {alphabetical: {order: asc}}}",
            ),
            (
                "exclusionList: [a, b]",
                "exclusionList: [c]",
                "{exclusionList: [c]}",
            ),
            (
                "filterTags: {pattern: p, extract: $v}",
                "filterTags: {extract: $w}",
                "{filterTags: {pattern: p, extract: $w}}",
            ),
            (
                "a: {b: 1, c: 2}",
                "a: {$patch: replace, d: 3}",
                "{a: {d: 3}}",
            ),
            ("a: {b: 1}\nc: 2", "a: {$patch: delete}", "{c: 2}"),
        ] {
            let mut t = tree(before);
            merge(&mut t, &tree(patch));
            assert_eq!(text(&t), after, "{before} + {patch}");
        }
    }

    #[test]
    fn json6902_follows_json_patch_v4() {
        let ok = |before: &str, ops: &str| -> Result<String, String> {
            let mut t = tree(before);
            for op in operations(&tree(ops))? {
                op.apply(&mut t)?;
            }
            Ok(text(&t))
        };
        assert_eq!(
            ok(
                "spec: {policy: {semver: {range: 1.x}}}",
                "- {op: remove, path: /spec/policy/semver}\n- {op: add, path: /spec/policy/numerical, value: {order: asc}}"
            ),
            Ok("{spec: {policy: {numerical: {order: asc}}}}".into())
        );
        assert_eq!(
            ok(
                "spec: {policy: {semver: {}}}",
                "- {op: replace, path: /spec/policy/semver/range, value: 2.x}"
            ),
            Ok("{spec: {policy: {semver: {range: 2.x}}}}".into())
        );
        assert!(ok(
            "spec: {policy: {semver: {range: 1.x}}}",
            "- {op: replace, path: /spec/policy/alphabetical/order, value: asc}"
        )
        .unwrap_err()
        .contains("missing path"));
        assert!(ok("spec: {}", "- {op: remove, path: /spec/filterTags}")
            .unwrap_err()
            .contains("nonexistent"));
        assert_eq!(
            ok(
                "l: [a, c]",
                "[{op: add, path: /l/1, value: b}, {op: add, path: /l/-, value: d}]"
            ),
            Ok("{l: [a, b, c, d]}".into())
        );
        assert_eq!(
            ok(
                "m: {a~b/c: 1}",
                "- {op: replace, path: /m/a~0b~1c, value: 2}"
            ),
            Ok("{m: {a~b/c: 2}}".into())
        );
        assert!(ok("a: 1", "- {op: test, path: /a, value: 2}").is_err());
        assert_eq!(
            ok("a: 1", "- {op: move, from: /a, path: /b}"),
            Ok("{b: 1}".into())
        );
    }

    #[test]
    fn label_selectors() {
        let labels = vec![
            ("app".to_owned(), "web".to_owned()),
            ("tier".to_owned(), "x".to_owned()),
        ];
        for (sel, want) in [
            ("app=web", true),
            ("app==web,tier", true),
            ("app!=web", false),
            ("missing!=a", true),
            ("app in (api, web)", true),
            ("app notin (web)", false),
            ("!app", false),
            ("!other", true),
            ("app=web,tier=y", false),
        ] {
            assert_eq!(
                Selector::parse(sel).unwrap().matches(&labels),
                want,
                "{sel}"
            );
        }
        assert!(Selector::parse("app in web").is_err());
    }
}
