//! Namespace inference: `metadata.namespace`, else the `namespace:` of the nearest kustomization
//! above the file, else the default (`flux-system`, as Flux).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

const KUSTOMIZATION_NAMES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

pub struct NamespaceResolver {
    root: PathBuf,
    default: String,
    /// Directory (relative, `/`-separated, "" for the root) → namespace from its kustomization.
    cache: HashMap<String, Option<String>>,
}

impl NamespaceResolver {
    pub fn new(root: &Path, default: &str) -> Self {
        Self {
            root: root.to_path_buf(),
            default: default.to_owned(),
            cache: HashMap::new(),
        }
    }

    /// The namespace of an object in file `rel` whose metadata says `declared`.
    pub fn resolve(&mut self, rel: &str, declared: Option<&str>) -> String {
        if let Some(ns) = declared.filter(|ns| !ns.is_empty()) {
            return ns.to_owned();
        }
        let mut dir = parent(rel);
        loop {
            if let Some(ns) = self.kustomization_namespace(dir) {
                return ns;
            }
            if dir.is_empty() {
                return self.default.clone();
            }
            dir = parent(dir);
        }
    }

    fn kustomization_namespace(&mut self, dir: &str) -> Option<String> {
        if let Some(cached) = self.cache.get(dir) {
            return cached.clone();
        }
        #[derive(Deserialize)]
        struct Kustomization {
            #[serde(default)]
            namespace: Option<String>,
        }
        let base = if dir.is_empty() {
            self.root.clone()
        } else {
            self.root.join(dir)
        };
        let found = KUSTOMIZATION_NAMES.iter().find_map(|name| {
            let text = fs_err::read_to_string(base.join(name)).ok()?;
            let k: Kustomization = serde_yaml::from_str(&text).ok()?;
            k.namespace.filter(|ns| !ns.is_empty())
        });
        self.cache.insert(dir.to_owned(), found.clone());
        found
    }
}

fn parent(rel: &str) -> &str {
    rel.rfind('/').map_or("", |i| &rel[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_kustomization_wins() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs_err::create_dir_all(root.join("apps/web/deep")).unwrap();
        fs_err::write(root.join("apps/kustomization.yaml"), "namespace: apps\n").unwrap();
        fs_err::write(root.join("apps/web/Kustomization"), "namespace: web\n").unwrap();
        let mut r = NamespaceResolver::new(root, "flux-system");
        assert_eq!(r.resolve("apps/web/deep/x.yaml", None), "web");
        assert_eq!(r.resolve("apps/y.yaml", None), "apps");
        assert_eq!(r.resolve("z.yaml", None), "flux-system");
        assert_eq!(r.resolve("apps/web/x.yaml", Some("mine")), "mine");
    }
}
