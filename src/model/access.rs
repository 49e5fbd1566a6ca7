//! Cross-namespace access to an ImageRepository, as Flux's ACL decides it (fluxcd/pkg
//! `runtime/acl`): a policy in another namespace may use the repository only when its
//! `spec.accessFrom.namespaceSelectors` has a selector whose `matchLabels` the policy's Namespace
//! has (an empty selector matches every namespace). Every Namespace carries the label
//! `kubernetes.io/metadata.name`, which is all imagelock knows of one the repository does not
//! declare.

use std::collections::BTreeMap;

use super::objects::RepositoryDecl;

/// The label the API server puts on every Namespace.
const NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// Whether a policy in `namespace` may use `repo`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Access {
    Allowed,
    Denied(String),
    /// The answer depends on labels of a Namespace the repository does not declare.
    Unknown(String),
}

pub(crate) fn access(
    namespace: &str,
    repo: &RepositoryDecl,
    namespaces: &BTreeMap<String, BTreeMap<String, String>>,
) -> Access {
    if repo.key.namespace == namespace {
        return Access::Allowed;
    }
    let Some(selectors) = &repo.spec.access_from else {
        return Access::Denied(
            "it has no spec.accessFrom, so only policies in its own namespace may use it"
                .to_owned(),
        );
    };
    if selectors.is_empty() {
        return Access::Denied("its spec.accessFrom.namespaceSelectors is empty".to_owned());
    }
    match namespaces.get(namespace) {
        Some(labels) => {
            let has = |(k, v): (&String, &String)| {
                labels.get(k) == Some(v) || (k == NAME_LABEL && v == namespace)
            };
            if selectors.iter().any(|s| s.iter().all(has)) {
                Access::Allowed
            } else {
                Access::Denied(format!(
                    "no namespaceSelector of its spec.accessFrom matches the labels of Namespace `{namespace}`"
                ))
            }
        }
        None => {
            let mut unknown = false;
            for s in selectors {
                match s.get(NAME_LABEL) {
                    Some(v) if v != namespace => {} // selects other namespaces by name
                    _ if s.keys().all(|k| k == NAME_LABEL) => return Access::Allowed,
                    _ => unknown = true,
                }
            }
            if unknown {
                Access::Unknown(format!(
                    "whether Namespace `{namespace}` has the labels its spec.accessFrom selects cannot be told: the repository does not declare that Namespace"
                ))
            } else {
                Access::Denied(format!(
                    "its spec.accessFrom selects other namespaces by name, not `{namespace}`"
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ObjectKey;
    use crate::resources::ImageRepositorySpec;

    fn repo(selectors: Option<&[&[(&str, &str)]]>) -> RepositoryDecl {
        RepositoryDecl {
            file: 0,
            rel: "r.yaml".into(),
            range: crate::text::TextRange::default(),
            fields: Vec::new(),
            key: ObjectKey::new("flux-system", "app"),
            labels: BTreeMap::new(),
            cluster: 0,
            by: String::new(),
            steps: Vec::new(),
            annotations: BTreeMap::new(),
            spec: ImageRepositorySpec {
                access_from: selectors.map(|s| {
                    s.iter()
                        .map(|m| {
                            m.iter()
                                .map(|(k, v)| (k.to_string(), v.to_string()))
                                .collect()
                        })
                        .collect()
                }),
                ..ImageRepositorySpec::default()
            },
        }
    }

    #[test]
    fn flux_acl_on_declared_and_undeclared_namespaces() {
        let mut namespaces = BTreeMap::new();
        namespaces.insert(
            "apps".to_owned(),
            [("team".to_owned(), "web".to_owned())]
                .into_iter()
                .collect(),
        );
        let ns = &namespaces;
        let kind = |a: Access| match a {
            Access::Allowed => "allowed",
            Access::Denied(_) => "denied",
            Access::Unknown(_) => "unknown",
        };
        assert_eq!(kind(access("flux-system", &repo(None), ns)), "allowed");
        assert_eq!(kind(access("apps", &repo(None), ns)), "denied");
        assert_eq!(kind(access("apps", &repo(Some(&[])), ns)), "denied");
        assert_eq!(kind(access("apps", &repo(Some(&[&[]])), ns)), "allowed");
        assert_eq!(
            kind(access("apps", &repo(Some(&[&[("team", "web")]])), ns)),
            "allowed"
        );
        assert_eq!(
            kind(access("apps", &repo(Some(&[&[("team", "db")]])), ns)),
            "denied"
        );
        let by_name: &[&[(&str, &str)]] = &[&[("kubernetes.io/metadata.name", "apps")]];
        assert_eq!(kind(access("apps", &repo(Some(by_name)), ns)), "allowed");
        // A Namespace the repository does not declare: only its name label is known.
        assert_eq!(kind(access("other", &repo(Some(by_name)), ns)), "denied");
        let other: &[&[(&str, &str)]] = &[&[("kubernetes.io/metadata.name", "other")]];
        assert_eq!(kind(access("other", &repo(Some(other)), ns)), "allowed");
        assert_eq!(
            kind(access("other", &repo(Some(&[&[("team", "web")]])), ns)),
            "unknown"
        );
        let both: &[&[(&str, &str)]] =
            &[&[("kubernetes.io/metadata.name", "other"), ("team", "x")]];
        assert_eq!(kind(access("other", &repo(Some(both)), ns)), "unknown");
    }
}
