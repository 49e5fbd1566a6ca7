//! The properties the fuzz targets check (`fuzz/`), kept in the library so that `cargo test`
//! replays every saved input under `testdata/fuzz/<target>/` as a regression test.
//! Each function panics when a property fails; that is how a fuzzer sees a failure.

use crate::fix::{apply_edits, render_scalar_at, Edit};
use crate::manifest::{self, Attachment};
use crate::policy::semver::{Range, Version};

/// The manifest/marker parser: never panics; every span it reports is inside the text, on
/// character boundaries, and every marker's comment range ends with its text.
pub fn manifest(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Where the fast reader answers, its tree is yaml-rust2's.
    manifest::fast_path_agrees(text);
    let Ok(parsed) = manifest::parse(text) else {
        return;
    };
    for doc in &parsed.documents {
        assert!(text.get(doc.range.as_range()).is_some(), "document range");
        for scalar in &doc.scalars {
            assert!(text.get(scalar.range.as_range()).is_some(), "scalar range");
        }
    }
    for marker in &parsed.markers {
        let comment = text.get(marker.range.as_range()).expect("marker range");
        assert!(comment.ends_with(&marker.text), "marker text");
        let _ = crate::marker::parse(&marker.text);
    }
}

/// The rewrite: setting every marked scalar (first line of the input: the new value; the rest:
/// the manifest) never panics; the output parses; only the marked spans change; every marked
/// scalar then holds the value, so a second pass changes nothing.
pub fn rewrite(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let (value, text) = input.split_once('\n').unwrap_or(("1.2.3", input));
    let Ok(parsed) = manifest::parse(text) else {
        return;
    };
    let mut edits = Vec::new();
    for m in &parsed.markers {
        let Attachment::Scalar(i) = m.attachment else {
            continue;
        };
        let scalar = &parsed.documents[m.document].scalars[i];
        edits.push(Edit {
            range: scalar.range,
            replacement: render_scalar_at(text, scalar.range, scalar.style, value),
        });
    }
    if edits.is_empty() {
        return;
    }
    let Ok(out) = apply_edits(text, &edits) else {
        return; // two markers on one anchored scalar through aliases, for instance
    };
    let reparsed = manifest::parse(&out).expect("the rewritten file parses");
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| e.range.start);
    sorted.dedup_by_key(|e| e.range);
    let (mut at_in, mut at_out) = (0usize, 0usize);
    for e in &sorted {
        let gap = e.range.start() - at_in;
        assert_eq!(
            &text[at_in..e.range.start()],
            &out[at_out..at_out + gap],
            "bytes outside the marked spans changed"
        );
        at_out += gap + e.replacement.len();
        at_in = e.range.end();
    }
    assert_eq!(&text[at_in..], &out[at_out..], "the tail changed");
    for m in &reparsed.markers {
        if let Attachment::Scalar(i) = m.attachment {
            assert_eq!(reparsed.documents[m.document].scalars[i].value, value);
        }
    }
}

/// The range parser and matcher (first line: the range; second: a tag): never panic; error
/// spans stay inside the range text.
pub fn range(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (range, tag) = text.split_once('\n').unwrap_or((text, "1.2.3"));
    match Range::parse(range) {
        Ok(range) => {
            if let Some(version) = Version::parse_tag(tag) {
                let _ = range.matches(&version);
            }
        }
        Err(err) => assert!(range.get(err.span.as_range()).is_some(), "error span"),
    }
    let _ = Version::parse(tag);
}

/// The lock reader: never panics; whatever it accepts, the writer writes and reads back equal.
pub fn lock(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(lock) = crate::lock::parse("images.lock", text) {
        let written = crate::lock::to_string(&lock);
        let back = crate::lock::parse("images.lock", &written).expect("own output reads back");
        assert_eq!(back, lock);
        assert_eq!(crate::lock::to_string(&back), written);
    }
}

#[cfg(test)]
mod tests {
    /// Every saved fuzz input (seeds and former crashes) still holds its property.
    #[test]
    fn replay_saved_inputs() {
        let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fuzz");
        type Check = fn(&[u8]);
        let targets: [(&str, Check); 4] = [
            ("manifest", super::manifest),
            ("rewrite", super::rewrite),
            ("range", super::range),
            ("lock", super::lock),
        ];
        let mut count = 0;
        for (name, check) in targets {
            for entry in fs_err::read_dir(base.join(name)).unwrap() {
                let path = entry.unwrap().path();
                let data = fs_err::read(&path).unwrap();
                let result = std::panic::catch_unwind(|| check(&data));
                assert!(result.is_ok(), "{name}: {} fails", path.display());
                count += 1;
            }
        }
        assert!(count > 20, "the saved inputs are missing");
    }
}
