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
//! Maps range in Go's key order: files by path, objects by APIVersion, Kind, Name, Namespace (the
//! field order of kyaml's `ResourceIdentifier`).

use std::collections::BTreeMap;

use super::value::{Print, Value};
use super::{Template, TemplateError};

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
        let automation = Value::structure(
            "types.NamespacedName",
            vec![
                ("Namespace", Value::str(&self.automation_namespace)),
                ("Name", Value::str(&self.automation_name)),
            ],
            Vec::new(),
            Print::Stringer(format!(
                "{}/{}",
                self.automation_namespace, self.automation_name
            )),
        );
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
        let changed = Value::structure(
            "update.Result",
            vec![("FileChanges", file_changes)],
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
        Value::structure(
            "source.TemplateData",
            vec![
                ("AutomationObject", automation),
                ("Changed", changed),
                ("Values", values),
            ],
            Vec::new(),
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
