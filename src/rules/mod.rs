//! The registry of rules: every problem imagelock reports has a stable code, a kebab-case name,
//! a default severity, a one-line summary and a page in `docs/rules/<name>.md`.

use strum::{EnumIter, IntoEnumIterator};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

macro_rules! rules {
    ($( $variant:ident = ($code:literal, $name:literal, $severity:ident, $summary:literal), )*) => {
        /// Every rule. Codes are stable: never renumber, only add.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, EnumIter)]
        pub enum Rule { $( $variant, )* }

        impl Rule {
            pub fn code(self) -> &'static str { match self { $( Self::$variant => $code, )* } }
            pub fn name(self) -> &'static str { match self { $( Self::$variant => $name, )* } }
            pub fn severity(self) -> Severity { match self { $( Self::$variant => Severity::$severity, )* } }
            pub fn summary(self) -> &'static str { match self { $( Self::$variant => $summary, )* } }
            pub fn doc(self) -> &'static str {
                match self { $( Self::$variant => include_str!(concat!("../../docs/rules/", $name, ".md")), )* }
            }
        }
    };
}

rules! {
    MalformedMarker = ("IL001", "malformed-marker", Error,
        "A `$imagepolicy` comment that is not a JSON object of strings; Flux ignores it"),
    UnknownSuffix = ("IL002", "unknown-suffix", Error,
        "A marker suffix other than `:tag`, `:name` or `:digest`; Flux ignores it"),
    InvalidPolicyReference = ("IL003", "invalid-policy-reference", Error,
        "A marker whose policy is not written `NAMESPACE:NAME`; Flux ignores it"),
    UnknownPolicy = ("IL004", "unknown-policy", Error,
        "A marker naming an ImagePolicy the repository does not declare"),
    PolicyOutsideAutomationNamespace = ("IL005", "policy-outside-automation-namespace", Warning,
        "A marker whose policy lives in a namespace with no ImageUpdateAutomation; Flux never updates it"),
    PolicyNotSelected = ("IL006", "policy-not-selected", Warning,
        "A marker whose policy no ImageUpdateAutomation's policySelector selects"),
    MarkerOutsideUpdatePath = ("IL007", "marker-outside-update-path", Warning,
        "A marker in a file outside every ImageUpdateAutomation's update.path"),
    IgnoredMarker = ("IL008", "ignored-marker", Error,
        "A marker where Flux never reads it: on a key, mapping, sequence, alias, empty value or inside a block scalar"),
    MissingImageRepository = ("IL009", "missing-image-repository", Error,
        "An ImagePolicy whose imageRepositoryRef names no declared ImageRepository"),
    InvalidSemverRange = ("IL010", "invalid-semver-range", Error,
        "A semver range Flux cannot parse"),
    InvalidRegex = ("IL011", "invalid-regex", Error,
        "A filterTags pattern or exclusionList entry that is not a valid regular expression"),
    ExtractMissingGroup = ("IL012", "extract-missing-group", Error,
        "A filterTags.extract template naming a group the pattern does not have"),
    MultiplePolicyKinds = ("IL013", "multiple-policy-kinds", Warning,
        "An ImagePolicy with more than one of semver, alphabetical and numerical"),
    NoPolicyKind = ("IL014", "no-policy-kind", Error,
        "An ImagePolicy with none of semver, alphabetical and numerical"),
    InvalidSpec = ("IL015", "invalid-spec", Error,
        "A field of an ImageRepository or ImagePolicy that Flux rejects"),
    ImageMismatch = ("IL016", "image-mismatch", Warning,
        "The image in a marked field is not the image of its policy's repository"),
    UnparsableFile = ("IL017", "unparsable-file", Error,
        "A file with markers or Flux objects that does not parse; Flux skips it silently"),
    RepositoryNotLocked = ("IL018", "repository-not-locked", Error,
        "A declared ImageRepository whose image has no entry in images.lock"),
    DigestNotLocked = ("IL019", "digest-not-locked", Error,
        "A digest a policy or marker needs is not in images.lock"),
    UnusedLockEntry = ("IL020", "unused-lock-entry", Warning,
        "An images.lock entry that no ImageRepository declares"),
    NoTagSelected = ("IL021", "no-tag-selected", Error,
        "A policy that selects no tag from the locked tags"),
    OutOfDate = ("IL022", "out-of-date", Error,
        "A marked value that differs from what its policy resolves to"),
    DuplicateObject = ("IL023", "duplicate-object", Error,
        "Two ImageRepository, ImagePolicy or ImageUpdateAutomation objects with the same namespace and name"),
    Downgrade = ("IL024", "downgrade", Warning,
        "A marker that fixing would move to a tag its policy ranks lower, because the tag it holds is not locked"),
    UnusedSuppression = ("IL025", "unused-suppression", Warning,
        "An `# imagelock: ignore` comment that suppresses nothing, or that imagelock cannot read"),
    CrossNamespaceAccess = ("IL026", "cross-namespace-access", Error,
        "An ImagePolicy using an ImageRepository in another namespace whose spec.accessFrom does not grant it"),
    InvalidCommitTemplate = ("IL027", "invalid-commit-template", Error,
        "An ImageUpdateAutomation commit message template that Flux cannot render"),
    UnsupportedApiVersion = ("IL028", "unsupported-api-version", Error,
        "An image.toolkit.fluxcd.io API version the target Flux release does not serve (error) or deprecates (warning)"),
    TooYoung = ("IL029", "too-young", Error,
        "A marker holding a tag first seen more recently than its policy's minimum age allows"),
    FirstSeenOrder = ("IL030", "first-seen-order", Warning,
        "An ImagePolicy ordered by first-seen time that Flux in the cluster would resolve differently"),
    InvalidKustomization = ("IL032", "invalid-kustomization", Error,
        "A kustomization file (or a Flux Kustomization's patch or target) that kustomize cannot read; Flux fails the build"),
    MissingResource = ("IL033", "missing-resource", Error,
        "A resource, component, patch or spec.path that does not exist in the repository; Flux fails the build"),
    PatchTargetNotFound = ("IL034", "patch-target-not-found", Error,
        "A strategic-merge patch without a target that matches no object (or several); kustomize fails the build"),
    UnsetVariable = ("IL035", "unset-variable", Error,
        "A `${VAR}` with no value in a Flux Kustomization's post-build substitution; strict mode fails the build"),
    BuildFailed = ("IL036", "build-failed", Error,
        "A build Flux fails (JSON6902 patch, duplicate object, Helm, no namespace, substitution): none of its objects exist"),
    BuildIncomplete = ("IL037", "build-incomplete", Warning,
        "Part of a build imagelock cannot see offline (remote base, another source, SOPS, objects not in git)"),
    ClusterConflict = ("IL038", "cluster-conflict", Error,
        "A marker that two clusters' automations would set to different values, or the same object applied by two Kustomizations"),
    SuspendedAutomation = ("IL039", "suspended-automation", Warning,
        "A marker that only suspended ImageUpdateAutomations update; Flux leaves it while they are suspended"),
    UnversionedImage = ("IL042", "unversioned-image", Warning,
        "An image reference whose tag gives no version to follow (latest, a commit SHA, no tag): `adopt` proposes no policy for it"),
    UnmarkableReference = ("IL043", "unmarkable-reference", Warning,
        "An image reference `adopt` cannot mark: a comment already ends its line, or it sits in a flow collection or block scalar"),
    FluxV1Annotation = ("IL044", "flux-v1-annotation", Warning,
        "A Flux v1 automation annotation that `adopt` converted with a change of meaning, or could not convert"),
}

impl Rule {
    /// Look a rule up by code (`IL004`, any case) or name (`unknown-policy`).
    pub fn find(query: &str) -> Option<Self> {
        Self::iter().find(|r| r.code().eq_ignore_ascii_case(query) || r.name() == query)
    }

    pub fn all() -> impl Iterator<Item = Self> {
        Self::iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_and_names_are_unique_and_documented() {
        let mut codes = HashSet::new();
        let mut names = HashSet::new();
        for rule in Rule::all() {
            assert!(codes.insert(rule.code()), "duplicate code {}", rule.code());
            assert!(names.insert(rule.name()), "duplicate name {}", rule.name());
            let doc = rule.doc();
            for section in ["## What", "## Why", "## Example", "## Fix"] {
                assert!(doc.contains(section), "{} lacks {section}", rule.name());
            }
            assert!(doc.starts_with(&format!("# {} ({})", rule.name(), rule.code())));
        }
    }

    #[test]
    fn the_set_of_codes_is_stable() {
        let table: Vec<String> = Rule::all()
            .map(|r| format!("{} {} {}", r.code(), r.name(), r.severity().as_str()))
            .collect();
        insta::assert_snapshot!(table.join("\n"));
    }
}
