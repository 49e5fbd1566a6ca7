//! Flux v1's automation annotations on a workload: `fluxcd.io/automated` and
//! `fluxcd.io/tag.CONTAINER: semver:…|glob:…|regex:…` (and their older `flux.weave.works/`
//! spelling), converted as Flux's migration guide maps them, and the byte ranges that remove them.

use std::collections::BTreeMap;

use super::propose::{glob_to_regex, Spec};
use crate::fix::Edit;
use crate::manifest::{Document, PathSegment};
use crate::policy::semver::Range;
use crate::policy::{compile_regex_as, GoSyntax};
use crate::text::TextRange;

const PREFIXES: [&str; 2] = ["fluxcd.io/", "flux.weave.works/"];

/// What a v1 annotation says about one container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Filter {
    /// A filter Flux v2 can express as it was meant: `semver:` (or `glob:*`, any tag).
    Same(Option<Spec>),
    /// `glob:` or `regex:`: v1 took the newest matching tag by build time, which v2 cannot read;
    /// the converted policy sorts the matching tags alphabetically.
    ByBuildTime(Spec),
    /// Not convertible (an invalid range or regexp, an unknown prefix): why.
    Invalid(String),
}

/// The v1 annotations of one workload document.
#[derive(Debug, Default)]
pub(crate) struct Annotations {
    /// `tag.CONTAINER` filters, by container name, with the annotation's range.
    pub filters: BTreeMap<String, (Filter, TextRange)>,
    /// Every v1 automation annotation (`automated`, `tag.*`, `locked`, …): the ones removed.
    pub all: Vec<TextRange>,
    /// How many entries `metadata.annotations` has in all.
    pub entries: usize,
}

fn v1_name(key: &str) -> Option<&str> {
    PREFIXES.iter().find_map(|p| key.strip_prefix(p))
}

/// Read the v1 annotations of a document.
pub(crate) fn read(doc: &Document, syntax: GoSyntax) -> Annotations {
    let mut out = Annotations::default();
    let under = |p: &[PathSegment]| {
        p.len() == 3
            && matches!(&p[0], PathSegment::Key(k) if &**k == "metadata")
            && matches!(&p[1], PathSegment::Key(k) if &**k == "annotations")
    };
    out.entries = doc.scalars.iter().filter(|s| under(&s.path)).count()
        + doc.collections.iter().filter(|c| under(&c.path)).count();
    for s in doc.scalars.iter().filter(|s| under(&s.path)) {
        let PathSegment::Key(key) = &s.path[2] else {
            continue;
        };
        let Some(name) = v1_name(key) else {
            continue;
        };
        if !matches!(name, "automated" | "locked" | "locked_msg" | "locked_user")
            && !name.starts_with("tag.")
        {
            continue;
        }
        out.all.push(s.range);
        if let Some(container) = name.strip_prefix("tag.") {
            out.filters
                .insert(container.to_owned(), (convert(&s.value, syntax), s.range));
        }
    }
    out
}

/// One `tag.CONTAINER` value as a Flux v2 policy spec.
pub(crate) fn convert(value: &str, syntax: GoSyntax) -> Filter {
    let value = value.trim();
    if let Some(range) = value.strip_prefix("semver:") {
        return match Range::parse(range) {
            Ok(_) => Filter::Same(Some(Spec::Semver {
                range: range.to_owned(),
            })),
            Err(e) => Filter::Invalid(format!("`{value}`: {e}")),
        };
    }
    if let Some(glob) = value.strip_prefix("glob:") {
        if glob.chars().all(|c| c == '*') {
            return Filter::Same(None);
        }
        return Filter::ByBuildTime(Spec::Alphabetical {
            pattern: glob_to_regex(glob),
        });
    }
    if let Some(re) = value
        .strip_prefix("regexp:")
        .or_else(|| value.strip_prefix("regex:"))
    {
        return match compile_regex_as(re, syntax) {
            Ok(_) => Filter::ByBuildTime(Spec::Alphabetical {
                pattern: re.to_owned(),
            }),
            Err(e) => Filter::Invalid(format!("`{value}`: {e}")),
        };
    }
    Filter::Invalid(format!(
        "`{value}` has none of the prefixes `semver:`, `glob:`, `regex:`"
    ))
}

/// Edits that remove the annotations at `ranges` (their values' ranges) line by line, and the
/// `annotations:` line when nothing is left under it. `None` when one of them is not a block
/// mapping entry on a line of its own, which a line deletion would not remove cleanly.
pub(crate) fn removal(text: &str, ranges: &[TextRange], entries: usize) -> Option<Vec<Edit>> {
    let line_start = |at: usize| text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = |at: usize| text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
    let mut edits = Vec::new();
    let mut first = usize::MAX;
    for range in ranges {
        let start = line_start(range.start());
        let head = text[start..range.start()].trim();
        let key_ok = head.ends_with(':')
            && PREFIXES
                .iter()
                .any(|p| head.trim_start_matches(['"', '\'']).starts_with(p));
        if !key_ok {
            return None;
        }
        first = first.min(start);
        edits.push(Edit {
            range: TextRange::new(start, line_end(range.end())),
            replacement: String::new(),
        });
    }
    if !ranges.is_empty() && ranges.len() == entries && first > 0 {
        let above = line_start(first - 1);
        let line = text[above..first].trim_end();
        if line.trim_start() == "annotations:" {
            edits.push(Edit {
                range: TextRange::new(above, first),
                replacement: String::new(),
            });
        }
    }
    Some(edits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_prefix_converts_as_the_migration_guide_says() {
        assert_eq!(
            convert("semver:~1.0", GoSyntax::default()),
            Filter::Same(Some(Spec::Semver {
                range: "~1.0".to_owned()
            }))
        );
        assert_eq!(convert("glob:*", GoSyntax::default()), Filter::Same(None));
        assert_eq!(
            convert("glob:1.0.*", GoSyntax::default()),
            Filter::ByBuildTime(Spec::Alphabetical {
                pattern: "^1\\.0\\..*$".to_owned()
            })
        );
        assert_eq!(
            convert("regex:^main-[0-9]+$", GoSyntax::default()),
            Filter::ByBuildTime(Spec::Alphabetical {
                pattern: "^main-[0-9]+$".to_owned()
            })
        );
        assert!(matches!(
            convert("semver:1.x.y.z", GoSyntax::default()),
            Filter::Invalid(_)
        ));
        assert!(matches!(
            convert("regex:(a", GoSyntax::default()),
            Filter::Invalid(_)
        ));
        assert!(matches!(
            convert("newest", GoSyntax::default()),
            Filter::Invalid(_)
        ));
    }

    #[test]
    fn removal_takes_whole_lines_and_an_emptied_header() {
        let text = "metadata:\n  annotations:\n    fluxcd.io/automated: \"true\"\n    fluxcd.io/tag.app: semver:~1.0\n  name: x\n";
        let m = crate::manifest::parse(text).unwrap();
        let a = read(&m.documents[0], GoSyntax::default());
        assert_eq!(a.all.len(), 2);
        let edits = removal(text, &a.all, a.entries).unwrap();
        let out = crate::fix::apply_edits(text, &edits).unwrap();
        assert_eq!(out, "metadata:\n  name: x\n");
    }
}
