//! The data Flux's image-automation-controller (v1.0 and later) gives a commit message template
//! (flux-semantics.md §4.3), built from the changes of one automation run:
//!
//! - `.AutomationObject`: `types.NamespacedName` (`.Namespace`, `.Name`), printing `ns/name`;
//! - `.Changed.FileChanges`: file path (relative to `update.path`) → object → changes, each change
//!   `{OldValue, NewValue, Setter}` and each object `{APIVersion, Kind, Name, Namespace}`;
//! - `.Changed.Changes`: every distinct change, sorted by setter, old value, new value;
//! - `.Changed.Objects`: object → its changes across all files, each list sorted the same way;
//! - `.Values`: `spec.git.commit.messageTemplateValues`.
//!
//! For a target Flux release before 2.7 the data also has the legacy result
//! (docs/flux-versions.md): `.Updated` and, from 2.3, `.Changed.ImageResult`; before 2.3 there is
//! no `.Changed` and no `.Values`.
//!
//! Maps range in Go's key order: files by path, objects by APIVersion, Kind, Name, Namespace (the
//! field order of kyaml's `ResourceIdentifier`).

use std::collections::BTreeMap;

use super::value::{Print, Value};
use super::{Template, TemplateError};
use crate::flux_version::FluxVersion;

/// Flux's message when the automation has no template.
pub const DEFAULT_MESSAGE: &str = "Update from image update automation";

/// One changed scalar.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Change {
    pub old_value: String,
    pub new_value: String,
    /// The marker's policy reference as written, e.g. `flux-system:app:tag`.
    pub setter: String,
}

/// The object a change sits in; fields are empty when the document lacks them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId {
    // Declaration order is Go's sort order: kyaml's TypeMeta, then NameMeta.
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub namespace: String,
}

/// What one automation changed, and what its message template may use.
#[derive(Clone, Debug, Default)]
pub struct CommitData {
    pub automation_namespace: String,
    pub automation_name: String,
    /// File (relative to `update.path`) → object → changes in file order.
    pub file_changes: BTreeMap<String, BTreeMap<ObjectId, Vec<Change>>>,
    pub values: BTreeMap<String, String>,
    /// The release whose template data this is.
    pub(crate) flux: FluxVersion,
    /// For the legacy result: each policy's latest image, by `namespace:name`.
    pub(crate) images: BTreeMap<String, LatestImage>,
}

/// A policy's latest image, as the legacy result's image references describe it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct LatestImage {
    /// The repository's `spec.image`, as written.
    pub(crate) image: String,
    pub(crate) tag: String,
    pub(crate) policy_namespace: String,
    pub(crate) policy_name: String,
}

impl LatestImage {
    /// `namespace:name` of the policy a marker's setter (`ns:name` or `ns:name:tag`) names.
    pub(crate) fn policy_key(setter: &str) -> String {
        setter.splitn(3, ':').take(2).collect::<Vec<_>>().join(":")
    }

    /// go-containerregistry's reference with Flux's `ImageRef` methods.
    fn to_value(&self) -> Value {
        let (registry, repository) = match crate::image::ImageName::parse(&self.image) {
            Ok(name) => (name.registry, name.repository),
            // The repository's spec is reported invalid elsewhere; keep the text as written.
            Err(_) => (String::new(), self.image.clone()),
        };
        let string = format!("{}:{}", self.image, self.tag);
        Value::structure(
            "update.imageRef",
            Vec::new(),
            vec![
                ("String", Value::str(&string)),
                ("Identifier", Value::str(&self.tag)),
                ("Repository", Value::str(&repository)),
                ("Registry", Value::str(&registry)),
                (
                    "Name",
                    Value::str(format!("{registry}/{repository}:{}", self.tag)),
                ),
                (
                    "Policy",
                    namespaced_name(&self.policy_namespace, &self.policy_name),
                ),
            ],
            Print::Stringer(string),
        )
    }
}

fn namespaced_name(namespace: &str, name: &str) -> Value {
    Value::structure(
        "types.NamespacedName",
        vec![
            ("Namespace", Value::str(namespace)),
            ("Name", Value::str(name)),
        ],
        Vec::new(),
        Print::Stringer(format!("{namespace}/{name}")),
    )
}

impl CommitData {
    /// Every distinct change, in Flux's order (setter, old value, new value).
    pub fn changes(&self) -> Vec<Change> {
        let mut all: Vec<Change> = self
            .file_changes
            .values()
            .flat_map(|objects| objects.values().flatten().cloned())
            .collect();
        sort_changes(&mut all);
        all.dedup();
        all
    }

    /// Object → its changes across files, each list in Flux's order (duplicates kept).
    pub fn objects(&self) -> BTreeMap<ObjectId, Vec<Change>> {
        let mut out: BTreeMap<ObjectId, Vec<Change>> = BTreeMap::new();
        for objects in self.file_changes.values() {
            for (id, changes) in objects {
                out.entry(id.clone())
                    .or_default()
                    .extend(changes.iter().cloned());
            }
        }
        for changes in out.values_mut() {
            sort_changes(changes);
        }
        out
    }

    /// The value of `.` for the template.
    pub fn to_value(&self) -> Value {
        let automation = namespaced_name(&self.automation_namespace, &self.automation_name);
        let file_changes = Value::map(
            "update.FileChanges",
            self.file_changes
                .iter()
                .map(|(file, objects)| (Value::str(file), object_changes(objects)))
                .collect(),
            Print::Refuse,
            Value::Nil,
        );
        let changes = changes_value(&self.changes());
        let objects = object_changes(&self.objects());
        let legacy = self
            .flux
            .has_legacy_template_data()
            .then(|| self.legacy_result());
        let mut changed_fields = vec![("FileChanges", file_changes)];
        if let Some(legacy) = &legacy {
            changed_fields.push(("ImageResult", legacy.clone()));
        }
        let changed = Value::structure(
            "update.Result",
            changed_fields,
            vec![("Changes", changes), ("Objects", objects)],
            Print::Refuse,
        );
        let values = Value::map(
            "map[string]string",
            self.values
                .iter()
                .map(|(k, v)| (Value::str(k), Value::str(v)))
                .collect(),
            Print::Default,
            Value::str(""),
        );
        let mut fields = vec![("AutomationObject", automation)];
        if let Some(legacy) = legacy {
            fields.push(("Updated", legacy));
        }
        if self.flux.has_changed_template_data() {
            fields.push(("Changed", changed));
            fields.push(("Values", values));
        }
        Value::structure("source.TemplateData", fields, Vec::new(), Print::Refuse)
    }

    /// File → object → the latest image of each change's policy, once per change, in file order.
    fn legacy_files(&self) -> BTreeMap<&str, BTreeMap<&ObjectId, Vec<&LatestImage>>> {
        self.file_changes
            .iter()
            .map(|(file, objects)| {
                let objects = objects
                    .iter()
                    .map(|(id, changes)| {
                        let images = changes
                            .iter()
                            .filter_map(|c| self.images.get(&LatestImage::policy_key(&c.setter)))
                            .collect();
                        (id, images)
                    })
                    .collect();
                (file.as_str(), objects)
            })
            .collect()
    }

    /// The pre-2.7 `update.Result`: `.Files` (file → `{Objects}`), `.Objects` (merged over
    /// files) and `.Images` (each image reference once). Flux ranges over Go maps to build the
    /// last two, in random order; here files and objects go in key order.
    fn legacy_result(&self) -> Value {
        let files = self.legacy_files();
        let refs = |images: &[&LatestImage]| {
            Value::list(
                "[]update.ImageRef",
                images.iter().map(|i| i.to_value()).collect(),
                Print::Refuse,
            )
        };
        let object_refs = |objects: &BTreeMap<&ObjectId, Vec<&LatestImage>>| {
            Value::map(
                "map[update.ObjectIdentifier][]update.ImageRef",
                objects
                    .iter()
                    .map(|(id, images)| (object_id_value(id), refs(images)))
                    .collect(),
                Print::Refuse,
                Value::Nil,
            )
        };
        let mut merged: BTreeMap<&ObjectId, Vec<&LatestImage>> = BTreeMap::new();
        let mut all: Vec<&LatestImage> = Vec::new();
        for objects in files.values() {
            for (id, images) in objects {
                merged.entry(id).or_default().extend(images.iter().copied());
                for image in images {
                    if !all.contains(image) {
                        all.push(image);
                    }
                }
            }
        }
        let file_results = Value::map(
            "map[string]update.FileResult",
            files
                .iter()
                .map(|(file, objects)| {
                    (
                        Value::str(*file),
                        Value::structure(
                            "update.FileResult",
                            vec![("Objects", object_refs(objects))],
                            Vec::new(),
                            Print::Refuse,
                        ),
                    )
                })
                .collect(),
            Print::Refuse,
            Value::Nil,
        );
        Value::structure(
            "update.Result",
            vec![("Files", file_results)],
            vec![("Images", refs(&all)), ("Objects", object_refs(&merged))],
            Print::Refuse,
        )
    }
}

fn sort_changes(changes: &mut [Change]) {
    changes.sort_by(|a, b| {
        (
            a.setter.as_bytes(),
            a.old_value.as_bytes(),
            a.new_value.as_bytes(),
        )
            .cmp(&(
                b.setter.as_bytes(),
                b.old_value.as_bytes(),
                b.new_value.as_bytes(),
            ))
    });
}

fn change_value(c: &Change) -> Value {
    Value::structure(
        "update.Change",
        vec![
            ("OldValue", Value::str(&c.old_value)),
            ("NewValue", Value::str(&c.new_value)),
            ("Setter", Value::str(&c.setter)),
        ],
        Vec::new(),
        Print::Default,
    )
}

fn changes_value(changes: &[Change]) -> Value {
    Value::list(
        "update.Changes",
        changes.iter().map(change_value).collect(),
        Print::Refuse,
    )
}

fn object_id_value(id: &ObjectId) -> Value {
    Value::structure(
        "update.ObjectIdentifier",
        vec![
            ("APIVersion", Value::str(&id.api_version)),
            ("Kind", Value::str(&id.kind)),
            ("Name", Value::str(&id.name)),
            ("Namespace", Value::str(&id.namespace)),
        ],
        Vec::new(),
        Print::Refuse,
    )
}

fn object_changes(objects: &BTreeMap<ObjectId, Vec<Change>>) -> Value {
    Value::map(
        "update.ObjectChanges",
        objects
            .iter()
            .map(|(id, changes)| (object_id_value(id), changes_value(changes)))
            .collect(),
        Print::Refuse,
        Value::Nil,
    )
}

/// The commit message Flux would write: the template rendered over `data`, or Flux's default
/// message when there is no template (or an empty one).
pub fn render_message(template: Option<&str>, data: &CommitData) -> Result<String, TemplateError> {
    match template {
        None | Some("") => Ok(DEFAULT_MESSAGE.to_owned()),
        Some(src) => Template::parse(src)?.render(&data.to_value()),
    }
}
