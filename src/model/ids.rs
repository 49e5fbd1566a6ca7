//! Typed ids that join the parts of the model, and the key objects are known by.

use std::fmt;

/// `namespace:name`: how markers, policies and repositories name an object.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    /// `NAMESPACE:NAME`; `None` unless both parts are non-empty.
    pub fn parse(s: &str) -> Option<Self> {
        let (ns, name) = s.split_once(':')?;
        (!ns.is_empty() && !name.is_empty() && !name.contains(':')).then(|| Self::new(ns, name))
    }

    /// `NAMESPACE/NAME`, as Flux's events and kubectl name objects.
    pub fn slash(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.namespace, self.name)
    }
}

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident,)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub(crate) usize);
    )*};
}

ids! {
    /// A file of [`super::Model::files`].
    FileId,
    /// An ImageRepository of [`super::Model::repositories`].
    RepositoryId,
    /// An ImagePolicy of [`super::Model::policies`].
    PolicyId,
    /// An ImageUpdateAutomation of [`super::Model::automations`].
    AutomationId,
}

#[cfg(test)]
mod tests {
    use super::ObjectKey;

    #[test]
    fn keys_parse_as_markers_write_them() {
        let key = ObjectKey::parse("flux-system:app").unwrap();
        assert_eq!(
            (key.to_string(), key.slash()),
            ("flux-system:app".into(), "flux-system/app".into())
        );
        for bad in ["app", ":app", "ns:", "ns:a:b", "ns/app"] {
            assert_eq!(ObjectKey::parse(bad), None, "{bad}");
        }
        assert!(
            ObjectKey::new("a", "z") < ObjectKey::new("b", "a"),
            "namespace first"
        );
    }
}
