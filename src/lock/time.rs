//! First-seen and refresh times: UTC, whole seconds, written as RFC 3339 (`2026-11-29T12:00:00Z`).
//! Hand-written rather than a date crate: the lock needs one format, both ways, and nothing else.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Seconds since the Unix epoch, in the years 1970 to 9999 (four-digit years keep the text
/// sortable and of one width).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(u64);

/// 9999-12-31T23:59:59Z.
const MAX: u64 = 253_402_300_799;

impl Timestamp {
    /// `None` past the year 9999.
    pub fn from_unix(seconds: u64) -> Option<Self> {
        (seconds <= MAX).then_some(Self(seconds))
    }

    pub fn unix(self) -> u64 {
        self.0
    }

    /// The system time, in whole seconds (before 1970 reads as the epoch).
    pub fn from_system(time: std::time::SystemTime) -> Self {
        let secs = time
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Self(secs.min(MAX))
    }

    /// The canonical text, exactly 20 bytes.
    pub fn write(self, out: &mut String) {
        use fmt::Write as _;
        let days = self.0 / 86_400;
        let rem = self.0 % 86_400;
        let (y, m, d) = civil_from_days(days);
        let _ = write!(
            out,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            rem / 3600,
            rem / 60 % 60,
            rem % 60
        );
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::with_capacity(20);
        self.write(&mut s);
        f.write_str(&s)
    }
}

/// Why a text is not a time.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an RFC 3339 time such as 2026-11-29T12:00:00Z (years 1970 to 9999)")]
pub struct TimeError(pub String);

impl FromStr for Timestamp {
    type Err = TimeError;

    /// RFC 3339: `YYYY-MM-DDTHH:MM:SS`, optional fraction (dropped: whole seconds), then `Z` or
    /// an offset `±HH:MM` (converted to UTC).
    fn from_str(s: &str) -> Result<Self, TimeError> {
        parse(s.as_bytes()).ok_or_else(|| TimeError(s.to_owned()))
    }
}

fn digits(b: &[u8]) -> Option<u64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, d| n * 10 + u64::from(d - b'0')))
}

fn parse(b: &[u8]) -> Option<Timestamp> {
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' {
        return None;
    }
    let (year, month, day) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    let (hour, minute, second) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    if year < 1970 || !(1..=12).contains(&month) || day == 0 || day > days_in(year, month) {
        return None;
    }
    // 60: a leap second, read as the last second of its minute.
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &b[19..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        rest = &frac[n..];
    }
    let offset: i64 = match rest {
        b"Z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (h, m) = (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?);
            if h > 23 || m > 59 {
                return None;
            }
            let minutes = i64::try_from(h * 60 + m).ok()?;
            if *sign == b'+' {
                minutes * 60
            } else {
                -minutes * 60
            }
        }
        _ => return None,
    };
    let local =
        days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second.min(59);
    let utc = i64::try_from(local).ok()?.checked_sub(offset)?;
    Timestamp::from_unix(u64::try_from(utc).ok()?)
}

fn leap(y: u64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in(y: u64, m: u64) -> u64 {
    match m {
        2 if leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a date from 1970 on (Howard Hinnant's algorithm, unsigned).
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + u64::from(m <= 2), m, d)
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Timestamp {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A UTC time in whole seconds, RFC 3339 (`2026-11-29T12:00:00Z`).",
            "type": "string",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_reads_rfc3339_utc() {
        for (secs, text) in [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (1_795_953_600, "2026-11-29T12:00:00Z"),
            (MAX, "9999-12-31T23:59:59Z"),
        ] {
            let t = Timestamp::from_unix(secs).unwrap();
            assert_eq!(t.to_string(), text);
            assert_eq!(text.parse::<Timestamp>(), Ok(t));
        }
        assert_eq!(Timestamp::from_unix(MAX + 1), None);
    }

    #[test]
    fn reads_offsets_and_fractions_as_whole_utc_seconds() {
        let t = |s: &str| s.parse::<Timestamp>().map(|t| t.to_string());
        assert_eq!(
            t("2026-11-29T13:30:00.999+01:30").unwrap(),
            "2026-11-29T12:00:00Z"
        );
        assert_eq!(
            t("2026-11-29T00:00:00-00:30").unwrap(),
            "2026-11-29T00:30:00Z"
        );
        for bad in [
            "",
            "2026-11-29",
            "2026-11-29 12:00:00Z",
            "2026-11-29T12:00:00",
            "2026-02-29T12:00:00Z",
            "2026-13-01T12:00:00Z",
            "2026-11-29T24:00:00Z",
            "2026-11-29T12:00:00.Z",
            "2026-11-29T12:00:00+1:00",
            "1969-12-31T23:59:59Z",
            "1970-01-01T00:00:00+00:01",
            "２026-11-29T12:00:00Z",
        ] {
            assert!(t(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_time_round_trips(secs in 0..=MAX) {
            let t = Timestamp::from_unix(secs).unwrap();
            let text = t.to_string();
            proptest::prop_assert_eq!(text.len(), 20);
            proptest::prop_assert_eq!(text.parse::<Timestamp>(), Ok(t));
        }

        #[test]
        fn no_text_panics(s in "\\PC{0,30}|[0-9T:+.Z-]{18,26}") {
            let _ = s.parse::<Timestamp>();
        }
    }
}
