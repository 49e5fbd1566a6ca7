//! Backfill: when a lock without times (version 1) is upgraded, each tag's and digest's first-seen
//! time comes from the git history of the lock — the commit time of the earliest commit whose
//! lock holds it — since that commit is a record nobody can back-date after the fact either.
//! What no committed lock holds gets the refresh time (`Lock::stamp`).

use std::collections::BTreeMap;

use crate::git::FileVersion;
use crate::lock::{Lock, Timestamp};

/// Where a first-seen time came from, for `-v`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backfilled {
    pub image: String,
    /// The tag, or `tag@digest` for a digest.
    pub what: String,
    pub time: Timestamp,
    /// The commit whose lock first held it.
    pub commit: String,
}

/// Give every tag and digest of `lock` without a time the time of the earliest version in
/// `history` (oldest first) whose lock holds it. Versions that do not parse are skipped: an old
/// lock that no longer reads says nothing.
pub fn backfill(lock: &mut Lock, history: &[FileVersion]) -> Vec<Backfilled> {
    if !lock.has_untimed() {
        return Vec::new();
    }
    // (image, tag or tag@digest) → (time, commit), the earliest.
    let mut first: BTreeMap<(String, String), (Timestamp, &str)> = BTreeMap::new();
    for version in history {
        let Some(time) = u64::try_from(version.time)
            .ok()
            .and_then(Timestamp::from_unix)
        else {
            continue;
        };
        let Ok(text) = std::str::from_utf8(&version.text) else {
            continue;
        };
        let Ok(old) = crate::lock::parse("images.lock", text) else {
            continue;
        };
        for (image, entry) in old.images {
            let digests = entry
                .digests
                .iter()
                .map(|(tag, d)| format!("{tag}@{}", d.digest));
            for what in entry.tags.into_keys().chain(digests) {
                let slot = first
                    .entry((image.clone(), what))
                    .or_insert((time, &version.commit));
                if time < slot.0 {
                    *slot = (time, &version.commit);
                }
            }
        }
    }
    let mut out = Vec::new();
    let mut give = |image: &str, what: String, seen: &mut Option<Timestamp>| {
        if seen.is_some() {
            return;
        }
        if let Some((time, commit)) = first.get(&(image.to_owned(), what.clone())) {
            *seen = Some(*time);
            out.push(Backfilled {
                image: image.to_owned(),
                what,
                time: *time,
                commit: (*commit).to_owned(),
            });
        }
    };
    for (image, entry) in &mut lock.images {
        for (tag, seen) in &mut entry.tags {
            give(image, tag.clone(), seen);
        }
        for (tag, d) in &mut entry.digests {
            give(image, format!("{tag}@{}", d.digest), &mut d.seen);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(commit: &str, time: i64, tags: &[&str]) -> FileVersion {
        let mut text = String::from("version: 1\nimages:\n  \"ghcr.io/o/a\":\n    tags:\n");
        for t in tags {
            text.push_str(&format!("      - \"{t}\"\n"));
        }
        FileVersion {
            commit: commit.into(),
            time,
            text: text.into_bytes(),
        }
    }

    #[test]
    fn each_tag_gets_the_time_of_the_first_lock_that_held_it() {
        let history = [
            version("aaaaaaa", 1_795_000_000, &["1.0.0"]),
            version("bbbbbbb", 1_795_100_000, &["1.0.0", "1.1.0"]),
            FileVersion {
                commit: "ccccccc".into(),
                time: 1_795_150_000,
                text: b"version: 99\n".to_vec(),
            },
        ];
        let mut lock = crate::lock::parse(
            "images.lock",
            "version: 1\nimages:\n  \"ghcr.io/o/a\":\n    tags:\n      - \"1.0.0\"\n      - \"1.1.0\"\n      - \"1.2.0\"\n",
        )
        .unwrap();
        let filled = backfill(&mut lock, &history);
        let tags = &lock.images["ghcr.io/o/a"].tags;
        assert_eq!(tags["1.0.0"], Timestamp::from_unix(1_795_000_000));
        assert_eq!(tags["1.1.0"], Timestamp::from_unix(1_795_100_000));
        assert_eq!(tags["1.2.0"], None, "left for the refresh time");
        let commits: Vec<_> = filled.iter().map(|b| b.commit.as_str()).collect();
        assert_eq!(commits, ["aaaaaaa", "bbbbbbb"]);
    }
}
