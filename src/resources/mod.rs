//! Flux's image automation objects, typed with serde across every API version
//! (`image.toolkit.fluxcd.io/v1alpha1` … `v1`). Fields absent from a version are optional here.

mod selector;

use std::collections::BTreeMap;

use serde::Deserialize;

pub use selector::LabelSelector;

/// The API group every object of interest belongs to.
pub const GROUP: &str = "image.toolkit.fluxcd.io";
/// The versions Flux has shipped; any other is reported.
pub const VERSIONS: &[&str] = &["v1alpha1", "v1alpha2", "v1beta1", "v1beta2", "v1"];

/// What every Kubernetes object has; enough to decide whether a document concerns us.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TypeMeta {
    #[serde(default)]
    pub api_version: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ObjectMeta {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    ImageRepository,
    ImagePolicy,
    ImageUpdateAutomation,
}

impl Kind {
    pub fn parse(kind: &str) -> Option<Self> {
        match kind {
            "ImageRepository" => Some(Self::ImageRepository),
            "ImagePolicy" => Some(Self::ImagePolicy),
            "ImageUpdateAutomation" => Some(Self::ImageUpdateAutomation),
            _ => None,
        }
    }
}

/// `apiVersion` of our group, with its version part, or `None` for other groups.
pub fn group_version(api_version: &str) -> Option<&str> {
    api_version
        .strip_prefix(GROUP)
        .and_then(|rest| rest.strip_prefix('/'))
}

#[derive(Clone, Debug, Deserialize)]
pub struct Object<S> {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default = "Option::default")]
    pub spec: Option<S>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageRepositorySpec {
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub exclusion_list: Vec<String>,
    #[serde(default)]
    pub insecure: bool,
    #[serde(default)]
    pub timeout: Option<String>,
    #[serde(default)]
    pub interval: Option<String>,
    #[serde(default)]
    pub secret_ref: Option<NameRef>,
    #[serde(default)]
    pub cert_secret_ref: Option<NameRef>,
    #[serde(default)]
    pub service_account_name: Option<String>,
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub suspend: bool,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct NameRef {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImagePolicySpec {
    #[serde(default)]
    pub image_repository_ref: Option<NameRef>,
    #[serde(default)]
    pub policy: Option<PolicyChoiceSpec>,
    #[serde(default)]
    pub filter_tags: Option<FilterTagsSpec>,
    #[serde(default)]
    pub digest_reflection_policy: Option<String>,
    #[serde(default)]
    pub interval: Option<String>,
    #[serde(default)]
    pub suspend: bool,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct PolicyChoiceSpec {
    #[serde(default)]
    pub semver: Option<SemverSpec>,
    #[serde(default)]
    pub alphabetical: Option<OrderSpec>,
    #[serde(default)]
    pub numerical: Option<OrderSpec>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct SemverSpec {
    #[serde(default)]
    pub range: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct OrderSpec {
    #[serde(default)]
    pub order: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct FilterTagsSpec {
    #[serde(default)]
    pub pattern: Option<String>,
    #[serde(default)]
    pub extract: Option<String>,
}

/// How a policy reflects digests (`spec.digestReflectionPolicy`, v1beta2 and later).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DigestReflection {
    #[default]
    Never,
    IfNotPresent,
    Always,
}

impl DigestReflection {
    pub fn parse(s: Option<&str>) -> Option<Self> {
        match s {
            None | Some("" | "Never") => Some(Self::Never),
            Some("IfNotPresent") => Some(Self::IfNotPresent),
            Some("Always") => Some(Self::Always),
            Some(_) => None,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageUpdateAutomationSpec {
    #[serde(default)]
    pub update: Option<UpdateSpec>,
    #[serde(default)]
    pub policy_selector: Option<LabelSelector>,
    #[serde(default)]
    pub git: Option<GitSpec>,
    /// v1alpha1 kept the commit settings at the top of the spec (`spec.commit.authorName`).
    #[serde(default)]
    pub commit: Option<CommitSpec>,
    #[serde(default)]
    pub suspend: bool,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct UpdateSpec {
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub strategy: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct GitSpec {
    #[serde(default)]
    pub commit: Option<CommitSpec>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommitSpec {
    #[serde(default)]
    pub author: Option<AuthorSpec>,
    /// v1alpha1's flat author fields.
    #[serde(default)]
    pub author_name: Option<String>,
    #[serde(default)]
    pub author_email: Option<String>,
    #[serde(default)]
    pub message_template: Option<String>,
    #[serde(default)]
    pub message_template_values: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct AuthorSpec {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

/// `kind: List` / `ResourceList` wrappers: their items are objects in their own right.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ListItems {
    #[serde(default)]
    pub items: Vec<serde_yaml::Value>,
}
