//! Kubernetes label selectors, for `ImageUpdateAutomation.spec.policySelector`.

use std::collections::BTreeMap;

use super::read::at;
use super::Reader;

#[derive(Clone, Debug, Default)]
pub struct LabelSelector {
    pub match_labels: BTreeMap<String, String>,
    pub match_expressions: Vec<Requirement>,
}

#[derive(Clone, Debug, Default)]
pub struct Requirement {
    pub key: String,
    pub operator: String,
    pub values: Vec<String>,
}

impl LabelSelector {
    /// `matchLabels` and `matchExpressions` below `path`; `key` and `operator` are required.
    pub fn read(r: &mut Reader<'_>, path: &[&str]) -> Self {
        let match_labels = r.string_map(&at(path, &["matchLabels"]));
        let count = r.mappings(&at(path, &["matchExpressions"]));
        let match_expressions = (0..count)
            .map(|i| {
                let i = i.to_string();
                let field = |name| at(path, &["matchExpressions", &i, name]);
                Requirement {
                    key: r.required(&field("key")),
                    operator: r.required(&field("operator")),
                    values: r.strings(&field("values")),
                }
            })
            .collect();
        Self {
            match_labels,
            match_expressions,
        }
    }

    /// Whether `labels` satisfy every term. An unknown operator matches nothing (Flux stalls on it).
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|r| {
                let value = labels.get(&r.key);
                match r.operator.as_str() {
                    "In" => value.is_some_and(|v| r.values.contains(v)),
                    "NotIn" => value.is_none_or(|v| !r.values.contains(v)),
                    "Exists" => value.is_some(),
                    "DoesNotExist" => value.is_none(),
                    _ => false,
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::ObjectView;

    fn selector(yaml: &str) -> LabelSelector {
        let manifest = crate::manifest::parse(yaml).unwrap();
        let mut r = Reader::new(ObjectView::document(&manifest.documents[0]));
        let sel = LabelSelector::read(&mut r, &[]);
        assert_eq!(r.errors, []);
        sel
    }

    #[test]
    fn selector_terms() {
        let labels: BTreeMap<String, String> =
            [("app".to_owned(), "web".to_owned())].into_iter().collect();
        let sel = selector("matchLabels: {app: web}");
        assert!(sel.matches(&labels));
        let sel = selector("matchExpressions: [{key: app, operator: NotIn, values: [web]}]");
        assert!(!sel.matches(&labels));
        let sel = selector("matchExpressions: [{key: tier, operator: DoesNotExist}]");
        assert!(sel.matches(&labels));
        assert!(LabelSelector::default().matches(&BTreeMap::new()));
    }
}
