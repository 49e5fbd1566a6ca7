//! Flux's image automation objects, typed across every API version
//! (`image.toolkit.fluxcd.io/v1alpha1` … `v1`), read from the spanned YAML tree (`read.rs`).
//! Fields absent from a version are optional here.

mod read;
mod selector;

use std::collections::BTreeMap;

use read::at;
pub(crate) use read::dotted;
pub use read::{ObjectView, Reader, ShapeError};
pub use selector::LabelSelector;

/// The API group every object of interest belongs to.
pub const GROUP: &str = "image.toolkit.fluxcd.io";
/// The versions Flux has shipped; any other is reported.
pub const VERSIONS: &[&str] = &["v1alpha1", "v1alpha2", "v1beta1", "v1beta2", "v1"];

#[derive(Clone, Debug, Default)]
pub struct ObjectMeta {
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub labels: BTreeMap<String, String>,
    /// Flux ignores annotations; imagelock reads its own (`imagelock.dev/…`) from them.
    pub annotations: BTreeMap<String, String>,
}

/// The kinds imagelock reads, named as Flux names them.
#[allow(clippy::enum_variant_names)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    ImageRepository,
    ImagePolicy,
    ImageUpdateAutomation,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::ImageRepository => "ImageRepository",
            Self::ImagePolicy => "ImagePolicy",
            Self::ImageUpdateAutomation => "ImageUpdateAutomation",
        }
    }

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

#[derive(Clone, Debug, Default)]
pub struct ImageRepositorySpec {
    pub image: Option<String>,
    pub exclusion_list: Vec<String>,
    pub insecure: bool,
    pub timeout: Option<String>,
    pub secret_ref: Option<NameRef>,
    pub cert_secret_ref: Option<NameRef>,
    pub service_account_name: Option<String>,
    pub provider: Option<String>,
    pub suspend: bool,
    /// `spec.accessFrom.namespaceSelectors`, each a `matchLabels` map: who in other namespaces
    /// may use it. `None` when `accessFrom` is absent.
    pub access_from: Option<Vec<BTreeMap<String, String>>>,
}

#[derive(Clone, Debug, Default)]
pub struct NameRef {
    pub name: Option<String>,
    pub namespace: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct ImagePolicySpec {
    pub image_repository_ref: Option<NameRef>,
    pub policy: Option<PolicyChoiceSpec>,
    pub filter_tags: Option<FilterTagsSpec>,
    pub digest_reflection_policy: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct PolicyChoiceSpec {
    pub semver: Option<SemverSpec>,
    pub alphabetical: Option<OrderSpec>,
    pub numerical: Option<OrderSpec>,
}

#[derive(Clone, Debug, Default)]
pub struct SemverSpec {
    pub range: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct OrderSpec {
    pub order: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct FilterTagsSpec {
    pub pattern: Option<String>,
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

#[derive(Clone, Debug, Default)]
pub struct ImageUpdateAutomationSpec {
    pub update: Option<UpdateSpec>,
    pub policy_selector: Option<LabelSelector>,
    pub git: Option<GitSpec>,
    /// v1alpha1 kept the commit settings at the top of the spec (`spec.commit.authorName`).
    pub commit: Option<CommitSpec>,
    pub suspend: bool,
}

#[derive(Clone, Debug, Default)]
pub struct UpdateSpec {
    pub path: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct GitSpec {
    pub commit: Option<CommitSpec>,
}

#[derive(Clone, Debug, Default)]
pub struct CommitSpec {
    pub author: Option<AuthorSpec>,
    /// v1alpha1's flat author fields.
    pub author_name: Option<String>,
    pub author_email: Option<String>,
    pub message_template: Option<String>,
    pub message_template_values: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default)]
pub struct AuthorSpec {
    pub name: Option<String>,
    pub email: Option<String>,
}

impl ObjectMeta {
    pub fn read(r: &mut Reader<'_>) -> Self {
        Self {
            name: r.string(&["metadata", "name"]),
            namespace: r.string(&["metadata", "namespace"]),
            labels: r.string_map(&["metadata", "labels"]),
            annotations: r.string_map(&["metadata", "annotations"]),
        }
    }
}

impl NameRef {
    fn read(r: &mut Reader<'_>, path: &[&str]) -> Option<Self> {
        if !r.mapping(path) {
            return None;
        }
        Some(Self {
            name: r.string(&at(path, &["name"])),
            namespace: r.string(&at(path, &["namespace"])),
        })
    }
}

impl ImageRepositorySpec {
    pub fn read(r: &mut Reader<'_>) -> Self {
        // Read for its shape only: a scan interval means nothing offline.
        r.string(&["spec", "interval"]);
        Self {
            image: r.string(&["spec", "image"]),
            exclusion_list: r.strings(&["spec", "exclusionList"]),
            insecure: r.bool(&["spec", "insecure"]),
            timeout: r.string(&["spec", "timeout"]),
            secret_ref: NameRef::read(r, &["spec", "secretRef"]),
            cert_secret_ref: NameRef::read(r, &["spec", "certSecretRef"]),
            service_account_name: r.string(&["spec", "serviceAccountName"]),
            provider: r.string(&["spec", "provider"]),
            suspend: r.bool(&["spec", "suspend"]),
            access_from: r.mapping(&["spec", "accessFrom"]).then(|| {
                let selectors = ["spec", "accessFrom", "namespaceSelectors"];
                let count = r.mappings(&selectors);
                (0..count)
                    .map(|i| {
                        let i = i.to_string();
                        r.string_map(&at(&selectors, &[&i, "matchLabels"]))
                    })
                    .collect()
            }),
        }
    }
}

impl ImagePolicySpec {
    pub fn read(r: &mut Reader<'_>) -> Self {
        let order = |r: &mut Reader<'_>, kind: &str| {
            r.mapping(&["spec", "policy", kind]).then(|| OrderSpec {
                order: r.string(&["spec", "policy", kind, "order"]),
            })
        };
        let policy = r.mapping(&["spec", "policy"]).then(|| PolicyChoiceSpec {
            semver: r
                .mapping(&["spec", "policy", "semver"])
                .then(|| SemverSpec {
                    range: r.string(&["spec", "policy", "semver", "range"]),
                }),
            alphabetical: order(r, "alphabetical"),
            numerical: order(r, "numerical"),
        });
        // Read for their shape only: a suspended policy keeps its last resolution in the
        // cluster, and imagelock resolves from the lock either way.
        r.string(&["spec", "interval"]);
        r.bool(&["spec", "suspend"]);
        let filter_tags = r.mapping(&["spec", "filterTags"]).then(|| FilterTagsSpec {
            pattern: r.string(&["spec", "filterTags", "pattern"]),
            extract: r.string(&["spec", "filterTags", "extract"]),
        });
        Self {
            image_repository_ref: NameRef::read(r, &["spec", "imageRepositoryRef"]),
            policy,
            filter_tags,
            digest_reflection_policy: r.string(&["spec", "digestReflectionPolicy"]),
        }
    }
}

impl ImageUpdateAutomationSpec {
    pub fn read(r: &mut Reader<'_>) -> Self {
        let update = r.mapping(&["spec", "update"]).then(|| {
            // Read for its shape only: `Setters` is the one strategy Flux has.
            r.string(&["spec", "update", "strategy"]);
            UpdateSpec {
                path: r.string(&["spec", "update", "path"]),
            }
        });
        let policy_selector = r
            .mapping(&["spec", "policySelector"])
            .then(|| LabelSelector::read(r, &["spec", "policySelector"]));
        let git = r.mapping(&["spec", "git"]).then(|| GitSpec {
            commit: CommitSpec::read(r, &["spec", "git", "commit"]),
        });
        Self {
            update,
            policy_selector,
            git,
            commit: CommitSpec::read(r, &["spec", "commit"]),
            suspend: r.bool(&["spec", "suspend"]),
        }
    }
}

impl CommitSpec {
    fn read(r: &mut Reader<'_>, path: &[&str]) -> Option<Self> {
        if !r.mapping(path) {
            return None;
        }
        let author = r.mapping(&at(path, &["author"])).then(|| AuthorSpec {
            name: r.string(&at(path, &["author", "name"])),
            email: r.string(&at(path, &["author", "email"])),
        });
        Some(Self {
            author,
            author_name: r.string(&at(path, &["authorName"])),
            author_email: r.string(&at(path, &["authorEmail"])),
            message_template: r.string(&at(path, &["messageTemplate"])),
            message_template_values: r.string_map(&at(path, &["messageTemplateValues"])),
        })
    }
}
