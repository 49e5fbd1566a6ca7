//! Cooldowns: the one place that decides whether a tag or digest is old enough to be adopted.
//! Ages are measured from the first-seen times `refresh` wrote into the lock to the lock's
//! `refreshed` time, never to the wall clock, so `check` and `fix` stay pure functions of the
//! repository.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::lock::{Seen, Timestamp};

/// A minimum age: `<digits><unit>`, unit `m` (minutes), `h` (hours) or `d` (days); `0` (with or
/// without a unit) turns a cooldown off. At most 3650 days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MinAge(u64);

/// 3650 days, in seconds: far above any sensible cooldown, far below an overflow.
const MAX_SECONDS: u64 = 3650 * 86_400;

/// Why a text is not a minimum age.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a minimum age: write a whole number and a unit, `30m`, `48h` or `7d` (`0` turns the cooldown off; at most 3650d)")]
pub struct MinAgeError(pub String);

impl MinAge {
    pub fn seconds(self) -> u64 {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl FromStr for MinAge {
    type Err = MinAgeError;

    fn from_str(s: &str) -> Result<Self, MinAgeError> {
        let err = || MinAgeError(s.to_owned());
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (digits, unit) = s.split_at(split);
        if digits.is_empty() || digits.len() > 10 {
            return Err(err());
        }
        let n: u64 = digits.parse().map_err(|_| err())?;
        let scale = match unit {
            "" if n == 0 => 0,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(err()),
        };
        let seconds = n.checked_mul(scale).filter(|s| *s <= MAX_SECONDS);
        seconds.map(Self).ok_or_else(err)
    }
}

impl fmt::Display for MinAge {
    /// The largest unit that divides it: `48h` prints as `2d`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 => f.write_str("0"),
            s if s % 86_400 == 0 => write!(f, "{}d", s / 86_400),
            s if s % 3600 == 0 => write!(f, "{}h", s / 3600),
            s => write!(f, "{}m", s / 60),
        }
    }
}

/// A policy's cooldown: its minimum age and the lock's `refreshed` time ("now").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cooldown {
    pub min_age: MinAge,
    /// `None`: the lock records no refresh time (a version 1 lock), so no age can be told.
    pub now: Option<Timestamp>,
}

/// How old a tag or digest is, under a cooldown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Age {
    /// Old enough, or no cooldown applies.
    Eligible,
    /// First seen too recently: eligible from this time on.
    TooYoung { seen: Timestamp, from: Timestamp },
    /// No recorded time (`null`, or a lock without `refreshed`): not eligible, since nothing
    /// says it is old enough; the next `refresh` records a time.
    Unknown,
}

impl Age {
    pub fn eligible(self) -> bool {
        self == Self::Eligible
    }
}

impl Cooldown {
    /// The one rule: eligible when `seen + min_age <= now`.
    pub fn age(self, seen: Seen) -> Age {
        if self.min_age.is_zero() {
            return Age::Eligible;
        }
        let (Some(seen), Some(now)) = (seen, self.now) else {
            return Age::Unknown;
        };
        match eligible_from(seen, self.min_age) {
            Some(from) if from > now => Age::TooYoung { seen, from },
            _ => Age::Eligible,
        }
    }
}

/// The time a thing first seen at `seen` becomes old enough.
pub fn eligible_from(seen: Timestamp, min_age: MinAge) -> Option<Timestamp> {
    Timestamp::from_unix(seen.unix().saturating_add(min_age.seconds()))
}

/// Whether time passing from `before` to `now` made something first seen at `seen` old enough
/// under `min_age`: what makes a refresh that found nothing new still move `refreshed`.
pub fn matured(seen: Timestamp, min_age: MinAge, before: Timestamp, now: Timestamp) -> bool {
    !min_age.is_zero() && eligible_from(seen, min_age).is_some_and(|f| before < f && f <= now)
}

/// A policy's time settings: its cooldown and whether the newest first-seen tag wins.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    /// `None`: no cooldown.
    pub min_age: Option<MinAge>,
    pub newest_first_seen: bool,
}

/// Every tag `policy` selects from `tags` at `now`, or will select as its too-young tags come of
/// age if no newer tag appears, in that order: refresh locks a digest for each, so that a
/// digest is first seen with its tag and comes of age with it. A tag without a time counts as
/// first seen `now`. Without a cooldown, the one tag selected.
pub fn selections(
    policy: &super::Policy,
    tags: &[&str],
    seen: &BTreeMap<String, Seen>,
    settings: Settings,
    now: Timestamp,
) -> Result<Vec<String>, super::SelectError> {
    if settings == Settings::default() {
        return policy.select(tags).map(|t| vec![t]); // times play no part: no copy of them
    }
    let seen: BTreeMap<String, Seen> = tags
        .iter()
        .map(|t| {
            (
                (*t).to_owned(),
                seen.get(*t).copied().flatten().or(Some(now)),
            )
        })
        .collect();
    let at = |now: Timestamp| {
        let timing = Timing {
            seen: Some(&seen),
            cooldown: settings.min_age.map(|min_age| Cooldown {
                min_age,
                now: Some(now),
            }),
            newest_first_seen: settings.newest_first_seen,
        };
        policy.select_timed(tags, &timing)
    };
    let first = at(now);
    let Some(min_age) = settings.min_age else {
        return first.map(|t| vec![t]);
    };
    let mut froms: Vec<Timestamp> = seen
        .values()
        .flatten()
        .filter_map(|s| eligible_from(*s, min_age))
        .filter(|f| *f > now)
        .collect();
    froms.sort_unstable();
    froms.dedup();
    let mut out: Vec<String> = first.iter().cloned().collect();
    for from in froms {
        if let Ok(tag) = at(from) {
            if !out.contains(&tag) {
                out.push(tag);
            }
        }
    }
    match (out.is_empty(), first) {
        (true, Err(e)) => Err(e),
        _ => Ok(out),
    }
}

/// What a policy's selection knows of time: each tag's first-seen time, the cooldown, and
/// whether the newest first-seen tag wins (imagelock's opt-in order for unorderable tags).
#[derive(Clone, Copy, Default)]
pub struct Timing<'a> {
    pub seen: Option<&'a BTreeMap<String, Seen>>,
    pub cooldown: Option<Cooldown>,
    pub newest_first_seen: bool,
}

impl Timing<'_> {
    pub fn seen(&self, tag: &str) -> Seen {
        self.seen.and_then(|s| s.get(tag).copied().flatten())
    }

    pub fn age(&self, tag: &str) -> Age {
        match self.cooldown {
            Some(c) => c.age(self.seen(tag)),
            None => Age::Eligible,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn min_ages_accept_minutes_hours_days_and_zero_only() {
        for (text, secs) in [
            ("30m", 1800),
            ("48h", 172_800),
            ("7d", 604_800),
            ("0", 0),
            ("0h", 0),
            ("3650d", MAX_SECONDS),
        ] {
            assert_eq!(
                text.parse::<MinAge>().map(MinAge::seconds),
                Ok(secs),
                "{text}"
            );
        }
        for bad in [
            "",
            "h",
            "48",
            "1.5h",
            "48H",
            " 48h",
            "48h ",
            "-1h",
            "2w",
            "1h30m",
            "3651d",
            "99999999999d",
        ] {
            assert!(bad.parse::<MinAge>().is_err(), "{bad:?}");
        }
        assert_eq!("48h".parse::<MinAge>().unwrap().to_string(), "2d");
        assert_eq!("90m".parse::<MinAge>().unwrap().to_string(), "90m");
    }

    #[test]
    fn a_tag_is_eligible_once_seen_plus_min_age_is_not_after_now() {
        let c = Cooldown {
            min_age: "48h".parse().unwrap(),
            now: Some(t("2026-11-30T13:00:00Z")),
        };
        assert_eq!(
            c.age(Some(t("2026-11-30T12:00:00Z"))),
            Age::TooYoung {
                seen: t("2026-11-30T12:00:00Z"),
                from: t("2026-12-02T12:00:00Z")
            }
        );
        assert_eq!(c.age(Some(t("2026-11-28T13:00:00Z"))), Age::Eligible);
        assert_eq!(c.age(None), Age::Unknown);
        let off = Cooldown {
            min_age: "0".parse().unwrap(),
            now: None,
        };
        assert_eq!(off.age(None), Age::Eligible);
        let v1 = Cooldown { now: None, ..c };
        assert_eq!(v1.age(Some(t("2020-01-01T00:00:00Z"))), Age::Unknown);
    }

    #[test]
    fn maturing_happens_once_between_two_refreshes() {
        let m: MinAge = "48h".parse().unwrap();
        let seen = t("2026-11-30T12:00:00Z");
        let (a, b, c) = (
            t("2026-11-30T13:00:00Z"),
            t("2026-12-02T13:00:00Z"),
            t("2026-12-03T13:00:00Z"),
        );
        assert!(matured(seen, m, a, b));
        assert!(!matured(seen, m, b, c));
        assert!(!matured(seen, m, a, a));
    }
}
