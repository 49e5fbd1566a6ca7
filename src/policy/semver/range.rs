//! Masterminds/semver v3.5 `NewConstraint` and `Constraints.Check`, as Flux >= 2.7 uses
//! them for `spec.policy.semver.range` (`IncludePrerelease` left false), and the
//! per-constraint prerelease rule of the 3.2/3.3 releases Flux <= 2.6 used.

use std::fmt;
use std::str::FromStr;

use super::error::{diagnose_group, RangeError, RangeErrorKind, Rewritten};
use super::grammar::{is_ws, is_x, CONSTRAINT, FIND, HYPHEN_RANGE, VALID_GROUP};
use super::version::{Version, VersionError};
use super::SemverRules;
use crate::text::TextRange;

/// Longest range `NewConstraint` accepts (Masterminds `MaxConstraintLen`), in bytes.
pub const MAX_RANGE_LEN: usize = 512;
/// Most `||` groups `NewConstraint` accepts (Masterminds `MaxConstraintGroups`).
pub const MAX_RANGE_GROUPS: usize = 32;

/// A parsed range: OR groups of AND constraints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Range {
    text: String,
    groups: Vec<Group>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Group {
    constraints: Vec<Constraint>,
    /// Some constraint of the group names a prerelease, so prerelease versions may match
    /// (group-wide since Masterminds v3.4.0).
    contains_pre: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// none or `=`
    TildeOrEqual,
    /// `!=`
    NotEqual,
    /// `>`
    Greater,
    /// `<`
    Less,
    /// `>=` or `=>`
    GreaterEqual,
    /// `<=` or `=<`
    LessEqual,
    /// `~` or `~>`
    Tilde,
    /// `^`
    Caret,
}

impl Op {
    fn from_text(op: &str) -> Option<Op> {
        Some(match op {
            "" | "=" => Op::TildeOrEqual,
            "!=" => Op::NotEqual,
            ">" => Op::Greater,
            "<" => Op::Less,
            ">=" | "=>" => Op::GreaterEqual,
            "<=" | "=<" => Op::LessEqual,
            "~" | "~>" => Op::Tilde,
            "^" => Op::Caret,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Constraint {
    op: Op,
    /// The comparison version, wildcards and missing parts zero-filled.
    con: Version,
    /// Some part was a wildcard or missing (`1.2`, `1.x`, `*`).
    dirty: bool,
    /// The minor part was a wildcard or missing (`1`, `1.x`).
    minor_dirty: bool,
    /// The patch part was a wildcard or missing (`1.2`, `1.2.x`).
    patch_dirty: bool,
}

impl Range {
    /// Masterminds `NewConstraint`. Errors carry a byte span into `text`.
    pub fn parse(text: &str) -> Result<Range, RangeError> {
        let whole = TextRange::new(0, text.len());
        if text.len() > MAX_RANGE_LEN {
            return Err(RangeError::new(
                text,
                RangeErrorKind::TooLong,
                whole,
                format!(
                    "is {} bytes long; at most {MAX_RANGE_LEN} are allowed",
                    text.len()
                ),
            ));
        }
        if text.bytes().all(is_ws) {
            return Err(RangeError::new(
                text,
                RangeErrorKind::Empty,
                whole,
                "is empty; write e.g. `>=1.0.0` or `*`".into(),
            ));
        }
        let rewritten = rewrite_hyphen_ranges(text);
        let o = rewritten.text.as_str();
        let mut bounds = Vec::new();
        let mut start = 0;
        for (at, _) in o.match_indices("||") {
            bounds.push((start, at));
            start = at + 2;
        }
        bounds.push((start, o.len()));
        if bounds.len() > MAX_RANGE_GROUPS {
            return Err(RangeError::new(
                text,
                RangeErrorKind::TooManyGroups,
                whole,
                format!(
                    "has {} `||` alternatives; at most {MAX_RANGE_GROUPS} are allowed",
                    bounds.len()
                ),
            ));
        }
        let mut groups = Vec::with_capacity(bounds.len());
        for (gs, ge) in bounds {
            let group = &o[gs..ge];
            if !VALID_GROUP.is_match(group) {
                return Err(diagnose_group(text, &rewritten, gs, ge));
            }
            let mut atoms: Vec<(usize, usize)> = FIND
                .find_iter(group)
                .map(|m| (m.start(), m.end()))
                .collect();
            if atoms.is_empty() {
                atoms.push((0, group.len()));
            }
            let mut constraints = Vec::with_capacity(atoms.len());
            for (s, e) in atoms {
                constraints.push(parse_constraint(text, &rewritten, gs + s, gs + e)?);
            }
            let contains_pre = constraints.iter().any(|c| c.con.is_prerelease());
            groups.push(Group {
                constraints,
                contains_pre,
            });
        }
        Ok(Range {
            text: text.to_owned(),
            groups,
        })
    }

    /// Masterminds `Constraints.Check` (>= 3.4, Flux >= 2.7): some group whose every
    /// constraint matches.
    pub fn matches(&self, v: &Version) -> bool {
        self.matches_under(v, SemverRules::From2_7)
    }

    /// `Constraints.Check` as the Masterminds release of `rules` runs it. Before 3.4 (Flux <=
    /// 2.6) each constraint decides alone whether a prerelease may match: it must carry one
    /// itself, except a plain `!=` (not a wildcard), which never looked.
    pub fn matches_under(&self, v: &Version, rules: SemverRules) -> bool {
        self.groups.iter().any(|g| {
            g.constraints.iter().all(|c| {
                let include_pre = match rules {
                    SemverRules::From2_7 => g.contains_pre,
                    SemverRules::UpTo2_6 => {
                        c.con.is_prerelease() || (c.op == Op::NotEqual && !c.dirty)
                    }
                };
                c.check(v, include_pre)
            })
        })
    }

    /// Number of `||` groups.
    pub fn groups(&self) -> usize {
        self.groups.len()
    }

    /// Number of constraints in each `||` group, in order.
    pub fn group_sizes(&self) -> Vec<usize> {
        self.groups.iter().map(|g| g.constraints.len()).collect()
    }

    /// The range text as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl FromStr for Range {
    type Err = RangeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Range::parse(s)
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Masterminds `rewriteRange`: every `A - B` match (found in the original text) replaces
/// the first occurrence of its matched text in the string so far with `>= A, <= B `.
pub(super) fn rewrite_hyphen_ranges(text: &str) -> Rewritten {
    let mut out = Rewritten::identity(text);
    for caps in HYPHEN_RANGE.captures_iter(text) {
        let (Some(m), Some(lo), Some(hi)) = (caps.get(0), caps.get(1), caps.get(11)) else {
            continue;
        };
        let Some(pos) = out.text.find(m.as_str()) else {
            continue; // strings.Replace with no occurrence changes nothing
        };
        let end = pos + m.len();
        let here = out.origin_of(pos, end);
        let in_place = here == TextRange::new(m.start(), m.end());
        let mut origin = Vec::new();
        let mut push = |piece: &str, at: Option<usize>| {
            for i in 0..piece.len() {
                origin.push(match at {
                    Some(a) if in_place => TextRange::new(a + i, a + i + 1),
                    _ => here,
                });
            }
        };
        push(">= ", None);
        push(lo.as_str(), Some(lo.start()));
        push(", <= ", None);
        push(hi.as_str(), Some(hi.start()));
        push(" ", None);
        let replacement = format!(">= {}, <= {} ", lo.as_str(), hi.as_str());
        out.text.replace_range(pos..end, &replacement);
        out.origin.splice(pos..end, origin);
    }
    out
}

/// Masterminds `parseConstraint` for one atom `o[start..end]` of a validated group.
fn parse_constraint(
    text: &str,
    rw: &Rewritten,
    start: usize,
    end: usize,
) -> Result<Constraint, RangeError> {
    let atom = &rw.text[start..end];
    let atom_span = rw.origin_of(start, end);
    let Some(caps) = CONSTRAINT.captures(atom) else {
        return Err(RangeError::new(
            text,
            RangeErrorKind::InvalidConstraint,
            atom_span,
            "is not a valid constraint".into(),
        ));
    };
    let part = |i: usize| caps.get(i).map_or("", |m| m.as_str());
    let (op_text, orig, major, minor, patch, pre) =
        (part(1), part(2), part(3), part(4), part(5), part(6));
    let Some(op) = Op::from_text(op_text) else {
        return Err(RangeError::new(
            text,
            RangeErrorKind::InvalidConstraint,
            atom_span,
            format!("has an unknown operator `{op_text}`"),
        ));
    };
    let (mut dirty, mut minor_dirty, mut patch_dirty) = (false, false, false);
    let ver = if is_x(major) || major.is_empty() {
        dirty = true;
        format!("0.0.0{pre}")
    } else if is_x(minor.strip_prefix('.').unwrap_or(minor)) || minor.is_empty() {
        dirty = true;
        minor_dirty = true;
        format!("{major}.0.0{pre}")
    } else if is_x(patch.strip_prefix('.').unwrap_or(patch)) || patch.is_empty() {
        dirty = true;
        patch_dirty = true;
        format!("{major}{minor}.0{pre}")
    } else {
        orig.to_owned()
    };
    let con = Version::parse(&ver).map_err(|e| {
        let span = caps.get(2).map_or(atom_span, |m| {
            rw.origin_of(start + m.start(), start + m.end())
        });
        RangeError::new(
            text,
            RangeErrorKind::InvalidVersion,
            span,
            match e {
                VersionError::Malformed { .. } => "is not a valid version \
                    (expected [v]MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD], \
                    where a part may be `x`, `X` or `*`)"
                    .to_owned(),
                other => format!("is not a valid version: {other}"),
            },
        )
    })?;
    Ok(Constraint {
        op,
        con,
        dirty,
        minor_dirty,
        patch_dirty,
    })
}

impl Constraint {
    /// The Masterminds constraint functions. `include_pre` is the group-wide flag.
    fn check(&self, v: &Version, include_pre: bool) -> bool {
        if v.is_prerelease() && !include_pre {
            return false;
        }
        let c = &self.con;
        let cmp = v.cmp_precedence(c);
        match self.op {
            Op::TildeOrEqual => {
                if self.dirty {
                    self.tilde(v)
                } else {
                    cmp.is_eq()
                }
            }
            Op::NotEqual => {
                if self.dirty {
                    if c.major() != v.major() {
                        return true;
                    }
                    if c.minor() != v.minor() && !self.minor_dirty {
                        return true;
                    } else if self.minor_dirty {
                        return false;
                    } else if c.patch() != v.patch() && !self.patch_dirty {
                        return true;
                    } else if self.patch_dirty {
                        return (v.is_prerelease() || c.is_prerelease()) && v.prerelease_differs(c);
                    }
                }
                !cmp.is_eq()
            }
            Op::Greater => {
                if !self.dirty {
                    return cmp.is_gt();
                }
                if v.major() > c.major() {
                    true
                } else if v.major() < c.major() || self.minor_dirty {
                    false
                } else if self.patch_dirty {
                    v.minor() > c.minor()
                } else {
                    cmp.is_gt()
                }
            }
            Op::Less => cmp.is_lt(),
            Op::GreaterEqual => cmp.is_ge(),
            Op::LessEqual => {
                if !self.dirty {
                    return cmp.is_le();
                }
                !(v.major() > c.major()
                    || (v.major() == c.major() && v.minor() > c.minor() && !self.minor_dirty))
            }
            Op::Tilde => self.tilde(v),
            Op::Caret => self.caret(v),
        }
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.cmp_precedence(c).is_lt() {
            return false;
        }
        // ~0.0.0 and ~* accept everything (but not ~0 or ~0.0, which are dirty).
        if c.major() == 0
            && c.minor() == 0
            && c.patch() == 0
            && !self.minor_dirty
            && !self.patch_dirty
        {
            return true;
        }
        if v.major() != c.major() {
            return false;
        }
        v.minor() == c.minor() || self.minor_dirty
    }

    fn caret(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.cmp_precedence(c).is_lt() {
            return false;
        }
        if c.major() > 0 || self.minor_dirty {
            return v.major() == c.major();
        }
        if v.major() > 0 {
            return false;
        }
        if c.minor() > 0 || self.patch_dirty {
            return v.minor() == c.minor();
        }
        if v.minor() > 0 {
            return false;
        }
        c.patch() == v.patch()
    }
}
