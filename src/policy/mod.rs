//! Tag selection with Flux's semantics: semver (Masterminds rules), alphabetical, numerical,
//! `filterTags` (pattern + extract) and `exclusionList`.
//!
//! Everything here is pure: tags in, one tag out. Flux's image-reflector-controller (≥ 1.0) stores
//! tags in descending byte order and its tie-breaks follow that order; [`Policy::evaluate`] sorts
//! its input the same way first, so the result never depends on the order tags arrive in.

pub mod cooldown;
mod extract;
mod gofloat;
pub(crate) mod goregex;
pub mod semver;

use std::borrow::Cow;
use std::sync::Arc;

use miette::{Diagnostic, SourceSpan};
use regex::{CaptureLocations, Regex};
use thiserror::Error;

pub use cooldown::{Age, Timing};
pub use extract::Template;
pub use gofloat::parse_float;
pub(crate) use goregex::GoSyntax;

use self::semver::{Range, SemverRules, Version};

/// Flux's default `exclusionList` when a repository declares none.
pub const DEFAULT_EXCLUSION: &str = r"^.*\.sig$";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    Asc,
    Desc,
}

impl Order {
    /// Flux upper-cases the value; empty means ascending.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "" | "ASC" => Some(Self::Asc),
            "DESC" => Some(Self::Desc),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Asc => "asc",
            Self::Desc => "desc",
        }
    }
}

/// The ordering rule of a policy.
#[derive(Clone, Debug)]
pub enum Choice {
    Semver(Range),
    Alphabetical(Order),
    Numerical(Order),
}

/// `filterTags`: keep tags the pattern matches (leftmost, unanchored), compare the extracted key.
#[derive(Clone, Debug)]
pub struct Filter {
    pub regex: Arc<Regex>,
    pub extract: Option<Template>,
}

impl Filter {
    pub fn new(pattern: &str, extract: Option<&str>) -> Result<Self, PolicyError> {
        Self::new_as(pattern, extract, GoSyntax::default())
    }

    /// [`Filter::new`] with the regexp syntax of the Go a Flux release is built with.
    pub(crate) fn new_as(
        pattern: &str,
        extract: Option<&str>,
        syntax: GoSyntax,
    ) -> Result<Self, PolicyError> {
        Ok(Self {
            regex: compile_regex_as(pattern, syntax)?,
            extract: extract.filter(|e| !e.is_empty()).map(Template::parse),
        })
    }

    #[cfg(test)]
    pub fn key<'t>(&self, tag: &'t str) -> Option<Cow<'t, str>> {
        self.key_in(&mut self.regex.capture_locations(), tag)
    }

    /// The comparison key of `tag`, or `None` when the pattern does not match it; `locs`, the
    /// record of a match, is reused across tags.
    fn key_in<'t>(&self, locs: &mut CaptureLocations, tag: &'t str) -> Option<Cow<'t, str>> {
        match &self.extract {
            None => self.regex.is_match(tag).then_some(Cow::Borrowed(tag)),
            Some(template) => {
                self.regex.captures_read(locs, tag)?;
                let group = |i| locs.get(i).map(|(start, end)| &tag[start..end]);
                Some(Cow::Owned(template.expand(&self.regex, group)))
            }
        }
    }
}

#[derive(Clone, Debug)]
pub struct Policy {
    pub choice: Choice,
    pub filter: Option<Filter>,
    /// How a semver policy reads tags and matches prereleases: the target Flux release decides.
    pub semver_rules: SemverRules,
}

/// The repository's `exclusionList`: a tag matching any entry is dropped before storage.
#[derive(Clone, Debug)]
pub struct Exclusions {
    /// Each pattern as written (the compiled one is its translation) and its regex.
    patterns: Vec<(String, Arc<Regex>)>,
}

impl Exclusions {
    /// An empty list means Flux's default, `^.*\.sig$`.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<Self, PolicyError> {
        Self::new_as(patterns, GoSyntax::default())
    }

    /// [`Exclusions::new`] with the regexp syntax of the Go a Flux release is built with.
    pub(crate) fn new_as<S: AsRef<str>>(
        patterns: &[S],
        syntax: GoSyntax,
    ) -> Result<Self, PolicyError> {
        let compile = |p: &str| Ok((p.to_owned(), compile_regex_as(p, syntax)?));
        let patterns = if patterns.is_empty() {
            vec![compile(DEFAULT_EXCLUSION)?]
        } else {
            patterns
                .iter()
                .map(|p| compile(p.as_ref()))
                .collect::<Result<_, PolicyError>>()?
        };
        Ok(Self { patterns })
    }

    /// The index of the first pattern that excludes `tag`.
    pub fn excluded_by(&self, tag: &str) -> Option<usize> {
        self.patterns.iter().position(|(_, re)| re.is_match(tag))
    }

    pub fn pattern(&self, index: usize) -> &str {
        self.patterns.get(index).map_or("", |(p, _)| p.as_str())
    }

    pub fn apply<'t>(&self, tags: impl IntoIterator<Item = &'t str>) -> Vec<&'t str> {
        tags.into_iter()
            .filter(|t| self.excluded_by(t).is_none())
            .collect()
    }
}

/// Compile a pattern as Flux does (Go's `regexp.Compile` of the Go the target release is built
/// with), with Go's error and its byte span.
pub(crate) fn compile_regex_as(pattern: &str, syntax: GoSyntax) -> Result<Arc<Regex>, PolicyError> {
    goregex::compile_as(pattern, syntax).map_err(|err| PolicyError::InvalidRegex {
        pattern: pattern.to_owned(),
        message: err.to_string(),
        span: Some(SourceSpan::from((
            err.span.start,
            err.span.end.saturating_sub(err.span.start),
        ))),
    })
}

/// A policy that cannot be built from its spec.
#[derive(Debug, Error, Diagnostic)]
#[non_exhaustive]
pub enum PolicyError {
    #[error("invalid regular expression pattern '{pattern}': {message}")]
    #[diagnostic(code(imagelock::invalid_regex))]
    InvalidRegex {
        pattern: String,
        message: String,
        #[label("{message}")]
        span: Option<SourceSpan>,
    },
    #[error(transparent)]
    #[diagnostic(transparent)]
    InvalidRange(#[from] semver::RangeError),
}

/// No tag can be selected; the messages are Flux's own.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SelectError {
    #[error("version list argument cannot be empty")]
    Empty,
    #[error("unable to determine latest version from provided list")]
    NoMatch,
    #[error("failed to parse invalid numeric value '{0}'")]
    NotNumeric(String),
}

/// Why one tag did or did not win, for `explain`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// `filterTags.pattern` does not match it.
    FilteredOut,
    /// Another tag with the same extracted key took its place.
    SameKey {
        winner: String,
    },
    /// Not a version under Flux's tag parsing (semver policies).
    NotVersion,
    /// A version outside the range.
    OutOfRange,
    /// Not a number under Go's `ParseFloat` (numerical policies; this fails the policy).
    NotNumeric,
    /// First seen too recently for the policy's cooldown (or at no recorded time): not a
    /// candidate.
    TooYoung(Age),
    /// A candidate that lost to the winner.
    Lower,
    Winner,
}

/// The outcome of a policy over a tag list.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// Distinct tags in descending byte order, each with its key and verdict.
    pub tags: Vec<TagVerdict>,
    pub result: Result<String, SelectError>,
}

#[derive(Clone, Debug)]
pub struct TagVerdict {
    pub tag: String,
    pub key: Option<String>,
    pub verdict: Verdict,
}

impl Policy {
    /// Pick the tag Flux would pick. Order of `tags` does not matter.
    pub fn select<S: AsRef<str>>(&self, tags: &[S]) -> Result<String, SelectError> {
        self.select_timed(tags, &Timing::default())
    }

    pub fn evaluate<S: AsRef<str>>(&self, tags: &[S]) -> Evaluation {
        self.evaluate_timed(tags, &Timing::default())
    }

    /// [`Policy::evaluate_timed`]'s winner alone, without a verdict per tag: what resolution
    /// needs, from the same decision.
    pub fn select_timed<S: AsRef<str>>(
        &self,
        tags: &[S],
        timing: &Timing<'_>,
    ) -> Result<String, SelectError> {
        let sorted = sorted_tags(tags);
        let decision = self.decide(&sorted, timing);
        decision.winner.map(|i| sorted[i].to_owned())
    }

    /// [`Policy::evaluate`] with first-seen times: a tag the cooldown finds too young is no
    /// candidate, and with `newest_first_seen` the candidate first seen last wins. Resolution and
    /// `explain` both come here, so they cannot disagree on which tag is eligible.
    pub fn evaluate_timed<S: AsRef<str>>(&self, tags: &[S], timing: &Timing<'_>) -> Evaluation {
        let sorted = sorted_tags(tags);
        let decision = self.decide(&sorted, timing);
        let tags = sorted
            .iter()
            .zip(decision.keys)
            .zip(decision.verdicts)
            .map(|((tag, key), verdict)| TagVerdict {
                tag: (*tag).to_owned(),
                key: key.map(Cow::into_owned),
                verdict,
            })
            .collect();
        Evaluation {
            tags,
            result: decision.winner.map(|i| sorted[i].to_owned()),
        }
    }

    /// The one decision: every tag's key and verdict, and the winner's index in `sorted`
    /// (distinct tags in descending byte order).
    fn decide<'t>(&self, sorted: &[&'t str], timing: &Timing<'_>) -> Decision<'t> {
        let mut verdicts = vec![Verdict::FilteredOut; sorted.len()];
        let mut keys: Vec<Option<Cow<'t, str>>> = vec![None; sorted.len()];
        // Candidates: (key, index of the tag). As in Flux, a later tag in list order replaces an
        // earlier one with the same key; Flux then iterates its map in random order, where we keep
        // the keys in descending byte order, so ties break as they do without a filter.
        let mut candidates: Vec<(Cow<'t, str>, usize)> = Vec::with_capacity(sorted.len());
        match &self.filter {
            None => {
                for (i, tag) in sorted.iter().enumerate() {
                    if eligible(timing, tag, &mut verdicts[i]) {
                        candidates.push((Cow::Borrowed(*tag), i));
                    }
                }
            }
            Some(filter) => {
                let mut by_key: foldhash::HashMap<Cow<'t, str>, usize> = Default::default();
                let mut locs = filter.regex.capture_locations();
                for (i, tag) in sorted.iter().enumerate() {
                    if let Some(key) = filter.key_in(&mut locs, tag) {
                        keys[i] = Some(key.clone());
                        // Before keys are merged: a young tag must not displace an old one.
                        if !eligible(timing, tag, &mut verdicts[i]) {
                            continue;
                        }
                        if let Some(previous) = by_key.insert(key, i) {
                            verdicts[previous] = Verdict::SameKey {
                                winner: (*tag).to_owned(),
                            };
                        }
                    }
                }
                candidates.extend(by_key);
                candidates.sort_unstable_by(|a, b| b.0.cmp(&a.0));
            }
        }
        for (key, i) in &candidates {
            keys[*i] = Some(key.clone());
            verdicts[*i] = Verdict::Lower;
        }

        let winner = if candidates.is_empty() {
            Err(SelectError::Empty)
        } else {
            match &self.choice {
                Choice::Semver(range) => {
                    pick_semver(range, self.semver_rules, &candidates, &mut verdicts)
                }
                Choice::Alphabetical(order) => Ok(pick_alphabetical(*order, &candidates)),
                Choice::Numerical(order) => pick_numerical(*order, &candidates, &mut verdicts),
            }
        };
        let winner = match winner {
            Ok(_) if timing.newest_first_seen => {
                Ok(pick_first_seen(timing, sorted, &candidates, &verdicts))
            }
            other => other,
        };
        if let Ok(i) = winner {
            verdicts[i] = Verdict::Winner;
        }
        Decision {
            keys,
            verdicts,
            winner,
        }
    }
}

/// What [`Policy::decide`] found, by index into the sorted tags.
struct Decision<'t> {
    keys: Vec<Option<Cow<'t, str>>>,
    verdicts: Vec<Verdict>,
    winner: Result<usize, SelectError>,
}

/// Distinct tags in descending byte order: the order Flux's tie-breaks assume.
fn sorted_tags<S: AsRef<str>>(tags: &[S]) -> Vec<&str> {
    let mut sorted: Vec<&str> = tags.iter().map(AsRef::as_ref).collect();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    sorted.dedup();
    sorted
}

/// Whether a tag is old enough to be a candidate; a too-young one gets its verdict here.
fn eligible(timing: &Timing<'_>, tag: &str, verdict: &mut Verdict) -> bool {
    let age = timing.age(tag);
    if !age.eligible() {
        *verdict = Verdict::TooYoung(age);
    }
    age.eligible()
}

/// Among the candidates the policy's kind accepts (still `Lower`, or the kind's own winner), the
/// one first seen last; a tie goes to the greatest key.
fn pick_first_seen(
    timing: &Timing<'_>,
    sorted: &[&str],
    candidates: &[(Cow<'_, str>, usize)],
    verdicts: &[Verdict],
) -> usize {
    candidates
        .iter()
        .filter(|(_, i)| verdicts[*i] == Verdict::Lower)
        .max_by(|a, b| {
            let seen = |i: usize| timing.seen(sorted[i]);
            seen(a.1).cmp(&seen(b.1)).then_with(|| a.0.cmp(&b.0))
        })
        .map_or(0, |(_, i)| *i)
}

/// Maximum by precedence among parsable, in-range keys; the first in list order wins a tie.
fn pick_semver(
    range: &Range,
    rules: SemverRules,
    candidates: &[(Cow<'_, str>, usize)],
    verdicts: &mut [Verdict],
) -> Result<usize, SelectError> {
    let mut best: Option<(Version, usize)> = None;
    for (key, i) in candidates {
        let Some(version) = rules.parse_tag(key) else {
            verdicts[*i] = Verdict::NotVersion;
            continue;
        };
        if !range.matches_under(&version, rules) {
            verdicts[*i] = Verdict::OutOfRange;
            continue;
        }
        let better = best
            .as_ref()
            .is_none_or(|(b, _)| version.cmp_precedence(b).is_gt());
        if better {
            best = Some((version, *i));
        }
    }
    best.map(|(_, i)| i).ok_or(SelectError::NoMatch)
}

/// Byte order: `asc` takes the greatest key, `desc` the least.
fn pick_alphabetical(order: Order, candidates: &[(Cow<'_, str>, usize)]) -> usize {
    let pick = match order {
        Order::Asc => candidates.iter().max_by(|a, b| a.0.cmp(&b.0)),
        Order::Desc => candidates.iter().min_by(|a, b| a.0.cmp(&b.0)),
    };
    pick.map_or(0, |(_, i)| *i)
}

/// Flux's loop, kept exactly: every key must parse; on a tie (and around NaN) the later wins.
fn pick_numerical(
    order: Order,
    candidates: &[(Cow<'_, str>, usize)],
    verdicts: &mut [Verdict],
) -> Result<usize, SelectError> {
    let mut latest: Option<(f64, usize)> = None;
    for (key, i) in candidates {
        let Some(value) = parse_float(key) else {
            verdicts[*i] = Verdict::NotNumeric;
            return Err(SelectError::NotNumeric(key.clone().into_owned()));
        };
        let keep_previous = match (&latest, order) {
            (None, _) => false,
            (Some((prev, _)), Order::Asc) => value < *prev,
            (Some((prev, _)), Order::Desc) => value > *prev,
        };
        if !keep_previous {
            latest = Some((value, *i));
        }
    }
    latest.map(|(_, i)| i).ok_or(SelectError::Empty)
}

#[cfg(test)]
mod tests;
