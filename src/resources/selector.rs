//! Kubernetes label selectors, for `ImageUpdateAutomation.spec.policySelector`.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    #[serde(default)]
    pub match_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub match_expressions: Vec<Requirement>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Requirement {
    pub key: String,
    pub operator: String,
    #[serde(default)]
    pub values: Vec<String>,
}

impl LabelSelector {
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

    #[test]
    fn selector_terms() {
        let labels: BTreeMap<String, String> =
            [("app".to_owned(), "web".to_owned())].into_iter().collect();
        let sel: LabelSelector = serde_yaml::from_str("matchLabels: {app: web}").unwrap();
        assert!(sel.matches(&labels));
        let sel: LabelSelector =
            serde_yaml::from_str("matchExpressions: [{key: app, operator: NotIn, values: [web]}]")
                .unwrap();
        assert!(!sel.matches(&labels));
        let sel: LabelSelector =
            serde_yaml::from_str("matchExpressions: [{key: tier, operator: DoesNotExist}]")
                .unwrap();
        assert!(sel.matches(&labels));
        assert!(LabelSelector::default().matches(&BTreeMap::new()));
    }
}
