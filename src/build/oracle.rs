//! The differential test of the kustomize layer against the real kustomize: each directory of
//! testdata/kustomize/ built here and by kustomize's own library (its output recorded in
//! testdata/kustomize/expected.json by tests/kustomize/gen.py). The image automation objects and
//! Namespaces must be the same, value for value; a build kustomize fails must fail here.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::kustomize::Builder;
use super::source::{self, Cache, Memory};
use super::value::{Node, Value};
use super::Resource;

/// An object's values, places and styles aside, keys sorted.
fn canonical(node: &Node) -> String {
    match &node.value {
        Value::Null | Value::Alias => "~".to_owned(),
        Value::Scalar(s) if s.is_null() => "~".to_owned(),
        Value::Scalar(s) => format!("{:?}", s.text),
        Value::Seq(items) => format!(
            "[{}]",
            items.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        Value::Map(entries) => {
            let sorted: BTreeMap<&str, String> = entries
                .iter()
                .map(|(k, v)| (k.as_str(), canonical(v)))
                .collect();
            let body: Vec<String> = sorted.iter().map(|(k, v)| format!("{k:?}:{v}")).collect();
            format!("{{{}}}", body.join(","))
        }
    }
}

fn kept(resources: impl Iterator<Item = Resource>) -> Vec<String> {
    let mut out: Vec<String> = resources
        .filter(|r| r.group == crate::resources::GROUP || r.is_namespace_object())
        .map(|r| canonical(&r.node))
        .collect();
    out.sort();
    out
}

fn files(dir: &Path, prefix: &str, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = fs_err::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if path.is_dir() {
            files(&path, &rel, out);
        } else {
            out.push((rel, fs_err::read_to_string(&path).unwrap()));
        }
    }
}

#[test]
fn builds_agree_with_kustomize() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/kustomize");
    let table: serde_json::Value =
        serde_json::from_str(&fs_err::read_to_string(root.join("expected.json")).unwrap()).unwrap();
    let cases = table["cases"].as_object().unwrap();
    assert!(cases.len() >= 10, "the table is missing cases");
    let mut disagree = Vec::new();
    for (case, expected) in cases {
        let mut found = Vec::new();
        files(&root.join(case), "", &mut found);
        let pairs: Vec<(&str, &str)> = found
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let memory = Memory::new(&pairs);
        let cache = Cache::default();
        let mut builder = Builder::new(&memory, &cache);
        let built = match builder.kustomization_in("") {
            Some(Ok(k)) => builder.build(&k),
            Some(Err(p)) => Err(p),
            None => Err(builder_problem(case)),
        };
        match (expected.get("output").and_then(|o| o.as_str()), built) {
            (Some(output), Ok(resources)) => {
                let docs = source::parse(output, &Arc::from("kustomize")).unwrap();
                let want = kept(docs.iter().cloned().flat_map(|d| Resource::new(d, false)));
                let got = kept(resources.into_iter());
                if want != got {
                    disagree.push(format!(
                        "{case}:\n  kustomize {want:#?}\n  imagelock {got:#?}"
                    ));
                }
            }
            (None, Err(_)) => {}
            (Some(_), Err(p)) => disagree.push(format!(
                "{case}: kustomize builds it, imagelock fails: {p:?}"
            )),
            (None, Ok(_)) => disagree.push(format!(
                "{case}: kustomize fails ({}), imagelock builds it",
                expected["error"]
            )),
        }
    }
    assert!(disagree.is_empty(), "{}", disagree.join("\n"));
}

fn builder_problem(case: &str) -> super::Problem {
    super::Problem {
        rule: crate::rules::Rule::InvalidKustomization,
        origin: super::Origin {
            file: Arc::from(case),
            range: Default::default(),
        },
        message: "the kustomization does not read".into(),
    }
}
