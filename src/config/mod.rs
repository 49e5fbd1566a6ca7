//! `.imagelock.yaml`: the repository's configuration, as linters have one (ruff's
//! `per-file-ignores`, typos' `_typos.toml`). Flags override the file, the file overrides the
//! defaults. Inline suppressions (`# imagelock: ignore[IL022]`) are in `suppress.rs`.

mod suppress;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use miette::{Diagnostic, NamedSource, SourceSpan};
use schemars::JsonSchema;
use serde::Deserialize;
use thiserror::Error;

use crate::flux_version::FluxVersion;
use crate::policy::cooldown::{MinAge, MinAgeError};
use crate::report::Finding;
use crate::rules::{Rule, Severity};

pub(crate) use suppress::Suppressions;

/// The file's name, at the repository root.
pub const FILE_NAME: &str = ".imagelock.yaml";

/// The configuration file as written.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(
    title = ".imagelock.yaml",
    description = "imagelock's configuration for one repository"
)]
pub struct ConfigFile {
    /// Namespace of objects that declare none and get none from a kustomization, in a repository
    /// without Flux Kustomizations
    /// (`--default-namespace` overrides it; default `flux-system`).
    #[serde(default)]
    pub default_namespace: Option<String>,
    /// Files imagelock never reads, as globs relative to the root (`charts/**`, `**/*.tmpl.yaml`).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Rules not reported anywhere, by code (`IL016`) or name (`image-mismatch`).
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Rules reported as warnings, which do not fail `check`.
    #[serde(default)]
    pub warn: Vec<String>,
    /// Rules ignored or made warnings in the files a glob matches.
    #[serde(default)]
    pub per_path: BTreeMap<String, PathRules>,
    /// The Flux release the repository runs, as `MAJOR.MINOR` (`"2.7"`; `v2.7` and `2.7.1` are
    /// accepted): which API versions, commit template data and semver rules (tag parsing,
    /// prereleases in ranges) are checked against (`--flux-version` overrides it; default: the newest release imagelock models).
    #[serde(default)]
    pub flux_version: Option<String>,
    /// Cooldown for every ImagePolicy that sets none in its `imagelock.dev/min-age`
    /// annotation: a tag or digest first seen less than this long before the lock's last refresh
    /// is not adopted. A whole number and a unit, `30m`, `48h` or `7d`; `0` for none
    /// (`--min-age` overrides it; default: none). See cooldown.md.
    #[serde(default, deserialize_with = "text_or_number")]
    #[schemars(regex(pattern = r"^(0|[0-9]{1,10}[mhd])$"))]
    pub min_age: Option<String>,
    /// Treat every marker as one Flux updates, also where ImageUpdateAutomations are declared
    /// and none would update it (outside their update.path, not selected by a policySelector,
    /// in another namespace, or only suspended ones): `check` reports it out of date and `fix`
    /// rewrites it, besides the warning that Flux leaves it. `fix --commit` still follows Flux
    /// (`--all-markers` turns it on; default: false).
    #[serde(default)]
    pub all_markers: bool,
}

/// What one `per-path` glob changes.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PathRules {
    /// Rules not reported in these files.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Rules reported as warnings in these files.
    #[serde(default)]
    pub warn: Vec<String>,
}

#[derive(Debug, Error, Diagnostic)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("cannot read `{path}`: {message}")]
    #[diagnostic(code(imagelock::config))]
    Invalid {
        path: String,
        message: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("here")]
        span: Option<SourceSpan>,
    },
    #[error("`{path}`: `{rule}` is not a rule")]
    #[diagnostic(
        code(imagelock::config),
        help("`imagelock rule` lists every rule's code and name")
    )]
    UnknownRule {
        path: String,
        rule: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("unknown rule")]
        span: Option<SourceSpan>,
    },
    #[error("`{path}`: `{glob}` is not a valid glob: {message}")]
    #[diagnostic(code(imagelock::config))]
    Glob {
        path: String,
        glob: String,
        message: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("here")]
        span: Option<SourceSpan>,
    },
    #[error("`{path}`: {message}")]
    #[diagnostic(
        code(imagelock::config),
        help("docs/flux-versions.md lists the Flux versions imagelock models")
    )]
    FluxVersion {
        path: String,
        message: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("flux-version")]
        span: Option<SourceSpan>,
    },
    #[error("--flux-version: {message}")]
    #[diagnostic(
        code(imagelock::usage),
        help("docs/flux-versions.md lists the Flux versions imagelock models")
    )]
    FluxVersionFlag { message: String },
    #[error("`{path}`: {source}")]
    #[diagnostic(code(imagelock::config), help("see docs/cooldown.md"))]
    MinAge {
        path: String,
        source: MinAgeError,
        #[source_code]
        src: NamedSource<String>,
        #[label("min-age")]
        span: Option<SourceSpan>,
    },
    #[error("--min-age: {source}")]
    #[diagnostic(code(imagelock::usage), help("see docs/cooldown.md"))]
    MinAgeFlag { source: MinAgeError },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Io(#[from] crate::workspace::WorkspaceError),
}

/// The settings the command line gives, which win over the file's.
#[derive(Clone, Copy, Debug, Default)]
pub struct Flags<'a> {
    /// `--default-namespace`.
    pub default_namespace: Option<&'a str>,
    /// `--flux-version`.
    pub flux_version: Option<&'a str>,
    /// `--min-age`.
    pub min_age: Option<&'a str>,
    /// `--all-markers`.
    pub all_markers: bool,
}

/// The configuration in effect.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The file it was read from, if any.
    pub source: Option<PathBuf>,
    pub default_namespace: String,
    /// The Flux release the repository is checked against.
    pub(crate) flux_version: FluxVersion,
    /// The repository's default cooldown (`None`: none).
    pub(crate) min_age: Option<MinAge>,
    /// Markers no automation would update are still out of date and fixed (`fix --commit`
    /// aside).
    pub(crate) all_markers: bool,
    exclude: Option<GlobSet>,
    ignore: BTreeSet<Rule>,
    warn: BTreeSet<Rule>,
    per_path: Vec<(GlobSet, BTreeSet<Rule>, BTreeSet<Rule>)>,
}

impl Config {
    /// Read `.imagelock.yaml` at `root` when it exists; the command line's `flags` win over the
    /// file's settings.
    pub fn load(root: &Path, flags: &Flags<'_>) -> Result<Self, ConfigError> {
        let path = root.join(FILE_NAME);
        let text = match crate::fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => return Err(crate::workspace::WorkspaceError::Io { path, source }.into()),
        };
        let mut config = match &text {
            Some(text) => Self::parse(FILE_NAME, text)?,
            None => Self::default(),
        };
        config.source = text.map(|_| path);
        if let Some(ns) = flags.default_namespace {
            ns.clone_into(&mut config.default_namespace);
        }
        if config.default_namespace.is_empty() {
            "flux-system".clone_into(&mut config.default_namespace);
        }
        if let Some(version) = flags.flux_version {
            config.flux_version = FluxVersion::parse(version)
                .map_err(|message| ConfigError::FluxVersionFlag { message })?;
        }
        if let Some(age) = flags.min_age {
            let age: MinAge = age
                .parse()
                .map_err(|source| ConfigError::MinAgeFlag { source })?;
            config.min_age = Some(age).filter(|a| !a.is_zero());
        }
        config.all_markers |= flags.all_markers;
        Ok(config)
    }

    /// Build from the text of a configuration file named `name`.
    pub fn parse(name: &str, text: &str) -> Result<Self, ConfigError> {
        let src = || NamedSource::new(name, text.to_owned()).with_language("yaml");
        let file: ConfigFile = if text.trim().is_empty() {
            ConfigFile::default()
        } else {
            serde_yaml::from_str(text).map_err(|e| ConfigError::Invalid {
                path: name.to_owned(),
                message: e
                    .to_string()
                    .split(" at line ")
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
                src: src(),
                span: e
                    .location()
                    .map(|l| SourceSpan::from((l.index().min(text.len()), 0))),
            })?
        };
        let span_of = |needle: &str| {
            text.find(needle)
                .map(|at| SourceSpan::from((at, needle.len())))
        };
        let rules = |names: &[String]| -> Result<BTreeSet<Rule>, ConfigError> {
            names
                .iter()
                .map(|n| {
                    Rule::find(n).ok_or_else(|| ConfigError::UnknownRule {
                        path: name.to_owned(),
                        rule: n.clone(),
                        src: src(),
                        span: span_of(n),
                    })
                })
                .collect()
        };
        let globs = |patterns: &[String]| -> Result<GlobSet, ConfigError> {
            let mut set = GlobSetBuilder::new();
            for p in patterns {
                let glob =
                    Glob::new(p.trim_start_matches("./")).map_err(|e| ConfigError::Glob {
                        path: name.to_owned(),
                        glob: p.clone(),
                        message: e.kind().to_string(),
                        src: src(),
                        span: span_of(p),
                    })?;
                set.add(glob);
            }
            set.build().map_err(|e| ConfigError::Glob {
                path: name.to_owned(),
                glob: patterns.join(", "),
                message: e.to_string(),
                src: src(),
                span: None,
            })
        };
        let flux_version = match &file.flux_version {
            None => FluxVersion::default(),
            Some(v) => FluxVersion::parse(v).map_err(|message| ConfigError::FluxVersion {
                path: name.to_owned(),
                message,
                src: src(),
                span: value_span(text, "flux-version", v),
            })?,
        };
        let min_age = match &file.min_age {
            None => None,
            Some(v) => Some(v.parse::<MinAge>().map_err(|source| ConfigError::MinAge {
                path: name.to_owned(),
                source,
                src: src(),
                span: value_span(text, "min-age", v),
            })?),
        };
        let mut per_path = Vec::new();
        for (glob, r) in &file.per_path {
            per_path.push((
                globs(std::slice::from_ref(glob))?,
                rules(&r.ignore)?,
                rules(&r.warn)?,
            ));
        }
        Ok(Self {
            source: None,
            default_namespace: file.default_namespace.unwrap_or_default(),
            flux_version,
            min_age: min_age.filter(|a| !a.is_zero()),
            all_markers: file.all_markers,
            exclude: (!file.exclude.is_empty())
                .then(|| globs(&file.exclude))
                .transpose()?,
            ignore: rules(&file.ignore)?,
            warn: rules(&file.warn)?,
            per_path,
        })
    }

    /// Whether a repository-relative file is excluded from reading.
    pub fn excludes(&self, rel: &str) -> bool {
        self.exclude.as_ref().is_some_and(|set| set.is_match(rel))
    }

    /// The severity a rule has in a file: `None` when it is ignored there.
    fn severity(&self, rule: Rule, file: &str, own: Severity) -> Option<Severity> {
        let mut severity = own;
        if self.ignore.contains(&rule) {
            return None;
        }
        if self.warn.contains(&rule) {
            severity = Severity::Warning;
        }
        for (set, ignore, warn) in &self.per_path {
            if set.is_match(file) {
                if ignore.contains(&rule) {
                    return None;
                }
                if warn.contains(&rule) {
                    severity = Severity::Warning;
                }
            }
        }
        Some(severity)
    }

    /// Drop the findings the configuration ignores and lower those it makes warnings.
    pub(crate) fn apply(&self, findings: Vec<Finding>) -> Vec<Finding> {
        self.split(findings).0
    }

    /// The findings kept (with their severity here), and those the configuration ignores.
    fn split(&self, findings: Vec<Finding>) -> (Vec<Finding>, Vec<Finding>) {
        let mut kept = Vec::with_capacity(findings.len());
        let mut dropped = Vec::new();
        for mut f in findings {
            match self.severity(f.rule, &f.file, f.severity) {
                Some(severity) => {
                    f.severity = severity;
                    kept.push(f);
                }
                None => dropped.push(f),
            }
        }
        (kept, dropped)
    }

    /// The configuration, then the inline suppressions: the findings kept, and every finding
    /// either of them drops.
    pub(crate) fn filter(
        &self,
        findings: Vec<Finding>,
        suppressions: &mut Suppressions,
        sources: &dyn crate::report::Sources,
    ) -> (Vec<Finding>, Vec<Finding>) {
        let (kept, mut dropped) = self.split(findings);
        let (kept, mut suppressed) = suppressions.apply(kept, sources);
        dropped.append(&mut suppressed);
        (kept, dropped)
    }
}

#[cfg(test)]
mod tests;

/// The span of `value` after the first `key` in the file's text, for a diagnostic.
fn value_span(text: &str, key: &str, value: &str) -> Option<SourceSpan> {
    let at = text.find(key)?;
    let off = text[at..].find(value)?;
    Some(SourceSpan::from((at + off, value.len())))
}

/// A string, or a plain number read as its text: `min-age: 0` (or `48`, which is then reported
/// as a duration without a unit) rather than a YAML type error.
fn text_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        Text(String),
        Number(u64),
    }
    Ok(Option::<Text>::deserialize(d)?.map(|t| match t {
        Text::Text(s) => s,
        Text::Number(n) => n.to_string(),
    }))
}
