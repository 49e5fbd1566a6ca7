//! Reading the repository: list, read, screen, parse.
//!
//! Listing, reading and parsing are most of a run's time, and each file is independent. The walk
//! of the work tree hands paths, in small batches, to one worker per core (`std::thread::scope`)
//! while it goes on, so reading overlaps listing; when the walk ends its thread becomes a worker
//! too. Each worker has its own read buffer. The results are put back in path order, so the
//! output does not depend on the number of cores or on timing. Most files hold neither a marker
//! nor a Flux image object: they are screened with a SIMD substring search on the bytes just read
//! and dropped without a copy.

use std::collections::VecDeque;
use std::io::Read as _;
use std::path::Path;
use std::sync::{Condvar, Mutex, PoisonError};

use super::{ModelError, Selection, SourceFile};
use crate::build;
use crate::build::source::{TokenScreen, Tokens};
use crate::config::Config;
use crate::lock::{self, Lock, LockError};
use crate::manifest;
use crate::marker;
use crate::report::Finding;
use crate::rules::Rule;
use crate::text::TextRange;
use crate::workspace::{self, RelPath, Workspace, WorkspaceError};

pub(super) struct Loaded {
    pub files: Vec<SourceFile>,
    pub findings: Vec<Finding>,
    /// Every manifest file the walk listed, with what it may hold: what the builds read.
    pub listing: foldhash::HashMap<RelPath, Tokens>,
    /// The kustomization files, skimmed and parsed for the builds.
    pub kustomizations: Vec<(RelPath, build::source::Walked)>,
}

/// Paths handed to a worker at a time: enough to make the queue's lock cheap, few enough to even
/// out the cores when the parsed files cluster in one directory.
const BATCH: usize = 16;

/// Why a file was kept.
#[derive(Clone, Copy)]
struct Kept {
    selected: bool,
    /// It names the Flux image API group.
    group: bool,
    /// It has a comment that looks like a marker.
    marker: bool,
}

/// What became of one listed file that was kept (or could not be read).
enum Outcome {
    File(Box<(SourceFile, Option<Finding>)>),
    Failed(WorkspaceError),
}

/// Batches of paths from the walk to the workers.
struct Queue {
    state: Mutex<(VecDeque<Vec<RelPath>>, bool)>,
    ready: Condvar,
}

impl Queue {
    fn new() -> Self {
        Self {
            state: Mutex::new((VecDeque::new(), false)),
            ready: Condvar::new(),
        }
    }

    fn push(&self, batch: Vec<RelPath>) {
        if batch.is_empty() {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.0.push_back(batch);
        self.ready.notify_one();
    }

    /// No more batches: workers drain the queue and stop.
    fn close(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.1 = true;
        self.ready.notify_all();
    }

    fn pop(&self) -> Option<Vec<RelPath>> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(batch) = state.0.pop_front() {
                return Some(batch);
            }
            if state.1 {
                return None;
            }
            state = self
                .ready
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// Closes the queue however the walk ends (an error, a panic), so that no worker waits forever.
struct CloseOnDrop<'a>(&'a Queue);

impl Drop for CloseOnDrop<'_> {
    fn drop(&mut self) {
        self.0.close();
    }
}

pub(super) fn load(
    workspace: &Workspace,
    selection: &Selection,
    config: &Config,
) -> Result<Loaded, ModelError> {
    let root = &workspace.root;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let queue = Queue::new();
    let mut listing: foldhash::HashMap<RelPath, Tokens> = Default::default();
    let mut kustomizations: Vec<(RelPath, build::source::Walked)> = Vec::new();
    let (walked, mut kept) = std::thread::scope(|s| {
        let helpers: Vec<_> = (1..cores)
            .map(|_| s.spawn(|| Worker::new(root, selection).run(&queue)))
            .collect();
        let walked = {
            let _close = CloseOnDrop(&queue);
            let mut batch = Vec::with_capacity(BATCH);
            let walked = workspace::walk_manifests(workspace, &mut |rel| {
                if config.excludes(&rel) {
                    // Not checked, but a build may still include it.
                    listing.insert(rel, Tokens::ANY);
                    return;
                }
                batch.push(rel);
                if batch.len() == BATCH {
                    queue.push(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
                }
            });
            queue.push(batch);
            walked
        };
        // The walk is over: this thread reads too, until the queue is empty.
        let mut read = Worker::new(root, selection).run(&queue);
        listing.extend(std::mem::take(&mut read.seen));
        kustomizations.extend(std::mem::take(&mut read.kustomizations));
        let mut kept = read.kept;
        for helper in helpers {
            match helper.join() {
                Ok(more) => {
                    kept.extend(more.kept);
                    listing.extend(more.seen);
                    kustomizations.extend(more.kustomizations);
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        (walked, kept)
    });
    walked?;
    kept.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    kept.dedup_by(|a, b| a.0 == b.0);
    let mut files = Vec::with_capacity(kept.len());
    let mut findings = Vec::new();
    for (_, outcome) in kept {
        match outcome {
            Outcome::File(kept) => {
                let (file, finding) = *kept;
                files.push(file);
                findings.extend(finding);
            }
            // The first failure in path order, whichever the workers met first.
            Outcome::Failed(err) => return Err(err.into()),
        }
    }
    Ok(Loaded {
        files,
        findings,
        listing,
        kustomizations,
    })
}

/// What a worker read: the files kept, what every file may hold, the kustomizations skimmed.
struct Read {
    kept: Vec<(RelPath, Outcome)>,
    seen: Vec<(RelPath, Tokens)>,
    kustomizations: Vec<(RelPath, build::source::Walked)>,
}

struct Worker<'a> {
    root: &'a Path,
    /// The root, open: files are opened relative to it, so the kernel does not walk the root's
    /// own path again for each of them.
    #[cfg(target_os = "linux")]
    root_dir: Option<rustix::fd::OwnedFd>,
    selection: &'a Selection,
    tokens: TokenScreen,
    /// What each file read may hold, for the builds.
    seen: Vec<(RelPath, Tokens)>,
    kustomizations: Vec<(RelPath, build::source::Walked)>,
    /// The read buffer, reused across files; only `buf[..len]` holds the current file.
    buf: Vec<u8>,
}

impl<'a> Worker<'a> {
    fn new(root: &'a Path, selection: &'a Selection) -> Self {
        Self {
            root,
            #[cfg(target_os = "linux")]
            root_dir: rustix::fs::open(
                root,
                rustix::fs::OFlags::RDONLY
                    | rustix::fs::OFlags::DIRECTORY
                    | rustix::fs::OFlags::CLOEXEC,
                rustix::fs::Mode::empty(),
            )
            .ok(),
            selection,
            tokens: TokenScreen::new(),
            seen: Vec::new(),
            kustomizations: Vec::new(),
            buf: vec![0; 16 * 1024],
        }
    }

    /// The kept files, and what every file may hold.
    fn run(mut self, queue: &Queue) -> Read {
        let mut kept = Vec::new();
        while let Some(batch) = queue.pop() {
            for rel in batch {
                if let Some(outcome) = self.file(&rel) {
                    kept.push((rel, outcome));
                }
            }
        }
        Read {
            kept,
            seen: self.seen,
            kustomizations: self.kustomizations,
        }
    }

    /// Read one file; `None` when the screen drops it.
    fn file(&mut self, rel: &str) -> Option<Outcome> {
        let read = self
            .open(rel)
            .and_then(|mut file| read_into(&mut file, &mut self.buf, &self.tokens));
        let read = match read {
            Ok(read) => read,
            Err(source) => {
                let path = self.root.join(rel);
                return Some(Outcome::Failed(WorkspaceError::Io { path, source }));
            }
        };
        let selected = self.selection.contains(rel);
        let len = match read {
            ReadFile::Whole(len) => len,
            ReadFile::TooLarge { size, screened } => {
                self.seen.push((rel.to_owned(), Tokens::ANY));
                return screened.then(|| too_large(rel, size, selected));
            }
        };
        let bytes = &self.buf[..len];
        let tokens = self.tokens.tokens(bytes);
        self.seen.push((rel.to_owned(), tokens));
        if build::is_kustomization_file(rel) {
            // Parsed here, on every core, rather than one at a time by the builds.
            let parsed = std::str::from_utf8(bytes)
                .ok()
                .and_then(|text| build::source::Cache::walked_kustomization(text, rel));
            if let Some(parsed) = parsed {
                self.kustomizations.push((rel.to_owned(), parsed));
            }
        }
        let group = tokens.image;
        let marker = marker::mentions_marker(bytes);
        if !(group || marker) {
            return None;
        }
        let kept = Kept {
            selected,
            group,
            marker,
        };
        Some(classify(rel, bytes.to_vec(), kept))
    }
}

/// The largest file imagelock parses. A Kubernetes object is at most 1.5 MiB (etcd's limit), so
/// only a file of thousands of objects comes near; past this, parsing would take seconds and
/// memory in proportion, for a file no one edits by hand.
pub const MAX_FILE_SIZE: usize = 8 << 20;

enum ReadFile {
    /// The file is `buf[..len]`.
    Whole(usize),
    /// Larger than [`MAX_FILE_SIZE`]: screened as it was read, not kept.
    TooLarge { size: u64, screened: bool },
}

impl Worker<'_> {
    /// Open `rel` for reading, relative to the open root where there is one.
    fn open(&self, rel: &str) -> std::io::Result<std::fs::File> {
        #[cfg(target_os = "linux")]
        if let Some(dir) = &self.root_dir {
            use rustix::fs::{Mode, OFlags};
            let fd = rustix::fs::openat(dir, rel, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())?;
            return Ok(std::fs::File::from(fd));
        }
        std::fs::File::open(self.root.join(rel))
    }
}

/// Read a whole file into `buf` (grown as needed), returning its length. One `open`, then `read`
/// until end of file: no `stat` for a size hint, no allocation once the buffer is large enough.
/// A file larger than [`MAX_FILE_SIZE`] is screened a buffer at a time instead of kept.
fn read_into(
    file: &mut std::fs::File,
    buf: &mut Vec<u8>,
    screen: &TokenScreen,
) -> std::io::Result<ReadFile> {
    let mut len = 0;
    loop {
        if len == buf.len() {
            if len > MAX_FILE_SIZE {
                return screen_rest(file, buf, screen)
                    .map(|(size, screened)| ReadFile::TooLarge { size, screened });
            }
            // One byte past the limit tells a file at the limit from a larger one.
            buf.resize((len * 2).min(MAX_FILE_SIZE + 1), 0);
        }
        match file.read(&mut buf[len..]) {
            Ok(0) => return Ok(ReadFile::Whole(len)),
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Screen the rest of a file whose first `buf.len()` bytes are in `buf`, reusing `buf`: the
/// file's size, and whether the screen keeps it. The tail of each buffer is carried into the
/// next, so a needle across the boundary is found.
fn screen_rest(
    file: &mut std::fs::File,
    buf: &mut [u8],
    screen: &TokenScreen,
) -> std::io::Result<(u64, bool)> {
    const CARRY: usize = 64;
    let mut len = buf.len();
    let mut size = len as u64;
    let mut screened = false;
    loop {
        screened = screened || marker::find_key(&buf[..len]).is_some() || screen.image(&buf[..len]);
        let carry = len.min(CARRY);
        buf.copy_within(len - carry..len, 0);
        len = carry;
        let n = loop {
            match file.read(&mut buf[len..]) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                other => break other?,
            }
        };
        if n == 0 {
            return Ok((size, screened));
        }
        len += n;
        size += n as u64;
    }
}

/// A file the screen keeps but that is too large to parse: reported wherever it is, since it may
/// declare Flux objects the rest of the repository needs.
fn too_large(rel: &str, size: u64, selected: bool) -> Outcome {
    let finding = Finding::new(
        Rule::UnparsableFile,
        rel,
        TextRange::default(),
        format!(
            "the file is {:.1} MiB; imagelock parses files of up to {} MiB, so its markers and Flux objects are not checked",
            size as f64 / f64::from(1 << 20),
            MAX_FILE_SIZE >> 20
        ),
    )
    .label("too large to parse")
    .help("split it into smaller files");
    let file = SourceFile {
        rel: rel.to_owned(),
        text: String::new(),
        manifest: None,
        selected,
    };
    Outcome::File(Box::new((file, Some(finding))))
}

/// Decode and parse a file that passed the screen. A file outside the PATH arguments matters only
/// for the Flux objects it declares: one without any is kept unparsed.
fn classify(rel: &str, bytes: Vec<u8>, kept: Kept) -> Outcome {
    let selected = kept.selected;
    let reported = kept.group || (selected && kept.marker);
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(err) => {
            let at = err.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(err.as_bytes()).into_owned();
            let finding = reported.then(|| {
                Finding::new(
                    Rule::UnparsableFile,
                    rel,
                    TextRange::new(at, at + 1),
                    "the file is not valid UTF-8; Flux skips it silently",
                )
                .label("invalid byte")
            });
            let file = SourceFile {
                rel: rel.to_owned(),
                text,
                manifest: None,
                selected,
            };
            return Outcome::File(Box::new((file, finding)));
        }
    };
    let (manifest, finding) = if reported {
        // Only files that may declare Flux objects need the collections the object reader uses.
        let parse = if kept.group {
            manifest::parse
        } else {
            manifest::parse_values
        };
        match parse(&text) {
            Ok(mut m) => {
                if !kept.group {
                    m.retain_marked(super::sites::is_object_id);
                }
                (Some(m), None)
            }
            Err(err) => {
                let finding = Finding::new(
                    Rule::UnparsableFile,
                    rel,
                    clamp(err.span, text.len()),
                    match err.kind {
                        manifest::ParseErrorKind::Unsupported => {
                            format!("imagelock cannot read this file: {}", err.message)
                        }
                        _ => format!("Flux cannot read this file: {}", err.message),
                    },
                )
                .label(err.message.clone())
                .help("Flux skips a file it cannot parse, with no error: none of its markers or objects take effect");
                (None, reported.then_some(finding))
            }
        }
    } else {
        (None, None)
    };
    let file = SourceFile {
        rel: rel.to_owned(),
        text,
        manifest,
        selected,
    };
    Outcome::File(Box::new((file, finding)))
}

fn clamp(span: TextRange, len: usize) -> TextRange {
    let start = span.start().min(len);
    TextRange::new(start, span.end().clamp(start, len))
}

/// The lock, if the file exists.
pub(super) fn read_lock(
    path: &Path,
    rel: &str,
) -> Result<(Option<Lock>, Option<String>), LockError> {
    let text = match fs_err::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((None, None)),
        Err(source) => {
            return Err(LockError::Io {
                path: rel.to_owned(),
                source,
            })
        }
    };
    let lock = match read_canonical(&text) {
        Some(lock) => lock,
        None => lock::parse(rel, &text)?,
    };
    Ok((Some(lock), Some(text)))
}

/// A lock exactly as `lock::to_string` writes it (version 2), or as its version 1 wrote it, read
/// line by line; `None` for anything else (another layout, escapes, another version, unsorted
/// or duplicate keys), which then goes through the YAML reader and its diagnostics. A lock lists
/// every tag of every image, so it is often the largest file of a repository: this reads 200
/// images × 300 tags some 20× faster than the YAML deserializer, with the same result.
fn read_canonical(text: &str) -> Option<Lock> {
    let mut lines = lines(text).skip_while(|l| l.starts_with('#'));
    let v1 = match lines.next()? {
        "version: 1" => true,
        "version: 2" => false,
        _ => return None,
    };
    let mut lock = Lock::new();
    let mut times = Times::default();
    let mut next = lines.next()?;
    if let Some(t) = next.strip_prefix("refreshed: ").filter(|_| !v1) {
        lock.refreshed = Some(times.parse(t)?);
        next = lines.next()?;
    }
    match next {
        "images: {}" => return lines.next().is_none().then_some(lock),
        "images:" => {}
        _ => return None,
    }
    let empty_tags = if v1 { "    tags: []" } else { "    tags: {}" };
    // Tags are collected in a Vec and made a map once: they come sorted (checked), so that is
    // one pass instead of a search per insertion.
    type Building<'a> = (&'a str, Vec<(String, lock::Seen)>, lock::ImageEntry);
    let mut entry: Option<Building<'_>> = None;
    // 0: after the image key, 1: in `tags`, 2: in `digests`, 3: after an empty `tags`.
    let mut section = 0;
    let finish = |lock: &mut Lock, entry: Option<Building<'_>>, section| {
        let Some((name, tags, mut image)) = entry else {
            return Some(());
        };
        image.tags = tags.into_iter().collect();
        // An image without tags or digests, or a `tags:`/`digests:` without items, is a null
        // in YAML: let the YAML reader say so.
        let empty = match section {
            1 => image.tags.is_empty(),
            2 => image.digests.is_empty(),
            3 => false,
            _ => true,
        };
        if empty || lock.images.insert(name.to_owned(), image).is_some() {
            return None;
        }
        Some(())
    };
    for line in lines {
        if let Some(item) = line.strip_prefix("      ") {
            let (_, tags, image) = entry.as_mut()?;
            match section {
                1 if v1 => {
                    let tag = plain_quoted(item.strip_prefix("- ")?)?;
                    push_sorted(tags, tag, None)?;
                }
                1 => {
                    let (tag, seen) = split_key(item)?;
                    let seen = times.seen(seen)?;
                    push_sorted(tags, plain_quoted(tag)?, seen)?;
                }
                2 => {
                    let (tag, value) = split_key(item)?;
                    let locked = if v1 {
                        lock::LockedDigest::new(plain_quoted(value)?, None)
                    } else {
                        let value = value.strip_prefix("{digest: ")?.strip_suffix('}')?;
                        let (digest, seen) = value.split_once(", seen: ")?;
                        lock::LockedDigest::new(plain_quoted(digest)?, times.seen(seen)?)
                    };
                    if image
                        .digests
                        .insert(plain_quoted(tag)?.to_owned(), locked)
                        .is_some()
                    {
                        return None;
                    }
                }
                _ => return None,
            }
        } else if line == "    tags:" && section == 0 && entry.is_some() {
            section = 1;
        } else if line == empty_tags && section == 0 && entry.is_some() {
            section = 3;
        } else if line == "    digests:" && matches!(section, 1 | 3) {
            let tags_empty = section == 3;
            section = 2;
            if !tags_empty && entry.as_ref().is_some_and(|(_, tags, _)| tags.is_empty()) {
                return None;
            }
        } else if let Some(key) = line.strip_prefix("  ").and_then(|k| k.strip_suffix(':')) {
            finish(&mut lock, entry.take(), section)?;
            entry = Some((plain_quoted(key)?, Vec::new(), lock::ImageEntry::default()));
            section = 0;
        } else {
            return None;
        }
    }
    finish(&mut lock, entry, section)?;
    Some(lock)
}

/// `str::lines` (a `\r` before the `\n` dropped too), with one SIMD search over the text
/// rather than a search per line: a lock has one line per tag.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut start = 0;
    let mut breaks = memchr::memchr_iter(b'\n', text.as_bytes());
    std::iter::from_fn(move || {
        let Some(end) = breaks.next() else {
            let last = text.get(start..).filter(|rest| !rest.is_empty());
            start = text.len();
            return last;
        };
        let line = &text[start..end];
        start = end + 1;
        Some(line.strip_suffix('\r').unwrap_or(line))
    })
}

/// `line.split_once(": ")`, searching for the colon alone: the key is a quoted tag.
fn split_key(line: &str) -> Option<(&str, &str)> {
    let bytes = line.as_bytes();
    let mut from = 0;
    while let Some(i) = memchr::memchr(b':', &bytes[from..]) {
        let i = from + i;
        if bytes.get(i + 1) == Some(&b' ') {
            return Some((&line[..i], &line[i + 2..]));
        }
        from = i + 1;
    }
    None
}

/// A tag after the previous one in byte order (so no duplicate either).
fn push_sorted(tags: &mut Vec<(String, lock::Seen)>, tag: &str, seen: lock::Seen) -> Option<()> {
    if tags.last().is_some_and(|(last, _)| last.as_str() >= tag) {
        return None;
    }
    tags.push((tag.to_owned(), seen));
    Some(())
}

/// Times as the writer quotes them. Most tags of a lock share a few times (one per refresh that
/// found something), so the last one read is kept and a repeat is not parsed again.
#[derive(Default)]
struct Times<'a> {
    last: Option<(&'a str, lock::Timestamp)>,
}

impl<'a> Times<'a> {
    fn parse(&mut self, quoted: &'a str) -> Option<lock::Timestamp> {
        if let Some((_, t)) = self.last.filter(|(text, _)| *text == quoted) {
            return Some(t);
        }
        // Only the canonical shape: 20 bytes ending in `Z`, quoted.
        let inner = quoted.strip_prefix('"')?.strip_suffix('"')?;
        if inner.len() != 20 || !inner.ends_with('Z') {
            return None;
        }
        let t = inner.parse().ok()?;
        self.last = Some((quoted, t));
        Some(t)
    }

    /// `null` or a time.
    fn seen(&mut self, value: &'a str) -> Option<lock::Seen> {
        if value == "null" {
            return Some(None);
        }
        self.parse(value).map(Some)
    }
}

/// The content of a `"..."` token that needs no unescaping: no `"` or `\` inside, and only
/// characters YAML allows unescaped.
fn plain_quoted(token: &str) -> Option<&str> {
    let inner = token.strip_prefix('"')?.strip_suffix('"')?;
    if inner.bytes().all(crate::lock::literal_ascii_in_quotes) {
        return Some(inner);
    }
    inner
        .chars()
        .all(crate::lock::literal_in_quotes)
        .then_some(inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::ImageEntry;

    #[test]
    fn lines_and_keys_split_as_the_standard_library_does() {
        for text in [
            "",
            "\n",
            "a",
            "a\n",
            "a\r\nb",
            "a\r",
            "a\r\n\r\n",
            "\n\nx\r",
            "a:b: c\n: d",
        ] {
            assert_eq!(
                lines(text).collect::<Vec<_>>(),
                text.lines().collect::<Vec<_>>(),
                "{text:?}"
            );
        }
        for line in ["\"a\": b", "a:b: c", "a:", ": ", "a: b: c", "sha256:x", ""] {
            assert_eq!(split_key(line), line.split_once(": "), "{line:?}");
        }
    }

    fn sample() -> Lock {
        let mut lock = Lock::new();
        let t0: lock::Seen = Some("2026-11-01T08:00:00Z".parse().unwrap());
        let t1: lock::Seen = Some("2026-11-29T12:00:00Z".parse().unwrap());
        lock.refreshed = t1;
        let entry =
            |tags: &[(&str, lock::Seen)], digests: &[(&str, &str, lock::Seen)]| ImageEntry {
                tags: tags.iter().map(|(t, s)| ((*t).to_owned(), *s)).collect(),
                digests: digests
                    .iter()
                    .map(|(t, d, s)| ((*t).to_owned(), lock::LockedDigest::new(*d, *s)))
                    .collect(),
            };
        lock.images.insert(
            "ghcr.io/a/b".into(),
            entry(
                &[("1.0", t0), ("1.10", t1), ("2.0.0-rc.1", None)],
                &[("1.10", "sha256:00", t1)],
            ),
        );
        lock.images
            .insert("index.docker.io/library/x".into(), entry(&[], &[]));
        lock.images.insert(
            "quay.io/c/d".into(),
            entry(&[], &[("latest", "sha256:ff", None)]),
        );
        lock.images.insert(
            "r.example/é".into(),
            entry(&[("ü", t0), ("yes", t0), ("~", t1)], &[]),
        );
        lock
    }

    /// `sample` as version 1 wrote it, without times.
    const SAMPLE_V1: &str = "# generated
version: 1
images:
  \"ghcr.io/a/b\":
    tags:
      - \"1.0\"
      - \"1.10\"
      - \"2.0.0-rc.1\"
    digests:
      \"1.10\": \"sha256:00\"
  \"index.docker.io/library/x\":
    tags: []
  \"quay.io/c/d\":
    tags: []
    digests:
      \"latest\": \"sha256:ff\"
  \"r.example/é\":
    tags:
      - \"yes\"
      - \"~\"
      - \"ü\"
";

    #[test]
    fn canonical_locks_read_as_the_yaml_reader_reads_them() {
        for lock in [Lock::new(), sample()] {
            let text = lock::to_string(&lock);
            let fast = read_canonical(&text).expect("canonical text takes the fast path");
            assert_eq!(fast, lock::parse("images.lock", &text).unwrap());
            assert_eq!(fast, lock);
        }
        let fast = read_canonical(SAMPLE_V1).expect("a version 1 lock takes the fast path");
        assert_eq!(fast, lock::parse("images.lock", SAMPLE_V1).unwrap());
        let mut untimed = sample();
        untimed.refreshed = None;
        for entry in untimed.images.values_mut() {
            entry.tags.values_mut().for_each(|s| *s = None);
            entry.digests.values_mut().for_each(|d| d.seen = None);
        }
        assert_eq!(fast.images, untimed.images);
        let empty = "version: 1\nimages: {}\n";
        assert_eq!(
            read_canonical(empty),
            Some(lock::parse("l", empty).unwrap())
        );
    }

    #[test]
    fn anything_else_goes_to_the_yaml_reader() {
        let text = lock::to_string(&sample());
        let cases = [
            text.replace("version: 2", "version: 3"),
            text.replace("version: 2", "version: \"2\""),
            text.replace("\"1.10\": ", "\"1.10\":  "),
            text.replace("\"ghcr.io/a/b\"", "ghcr.io/a/b"),
            text.replace("\"1.0\"", "\"1.\\u0030\""),
            text.replace("\"1.0\"", "'1.0'"),
            text.replace("      \"1.0\": \"2026-11-01T08:00:00Z\"\n", "      \"1.0\": \"2026-11-01T08:00:00Z\" # x\n"),
            text.replace("images:\n", "images:\n\n"),
            text.replace("quay.io/c/d", "ghcr.io/a/b"),
            text.replace(
                "    digests:\n      \"1.10\"",
                "    digests:\n      \"1.10\": {digest: \"x\", seen: null}\n      \"1.10\"",
            ),
            text.replace("      \"1.0\": \"2026-11-01T08:00:00Z\"\n      \"1.10\": \"2026-11-29T12:00:00Z\"\n      \"2.0.0-rc.1\": null\n", ""),
            text.replace("    tags: {}\n", ""),
            text.replace("    tags: {}\n", "    tags: []\n"),
            text.replace("    tags: {}\n", "    extra: {}\n"),
            // Times other than the writer's: an offset, a fraction, unquoted, a date alone.
            text.replace("\"2026-11-01T08:00:00Z\"", "\"2026-11-01T09:00:00+01:00\""),
            text.replace("\"2026-11-01T08:00:00Z\"", "\"2026-11-01T08:00:00.5Z\""),
            text.replace("\"2026-11-01T08:00:00Z\"", "2026-11-01T08:00:00Z"),
            text.replace("\"2026-11-01T08:00:00Z\"", "\"2026-11-01\""),
            text.replace("\"2026-11-01T08:00:00Z\"", "~"),
            text.replace("refreshed: \"2026-11-29T12:00:00Z\"", "refreshed: null"),
            text.replace(", seen: ", ",  seen: "),
            text.replace("{digest: ", "{ digest: "),
            // A version 1 shape in a version 2 lock, and unsorted or repeated tags.
            text.replace("      \"1.0\": \"2026-11-01T08:00:00Z\"", "      - \"1.0\""),
            text.replace("\"1.0\": \"2026-11-01T08:00:00Z\"", "\"1.2\": \"2026-11-01T08:00:00Z\""),
            text.replace("\"1.0\": \"2026-11-01T08:00:00Z\"", "\"1.10\": \"2026-11-01T08:00:00Z\""),
            format!("{text}  \"z\":\n"),
            format!("{text}# trailing comment\n"),
            SAMPLE_V1.replace("version: 1", "version: 1\nrefreshed: \"2026-11-01T08:00:00Z\""),
            SAMPLE_V1.replace("    tags: []", "    tags: {}"),
            SAMPLE_V1.replace("      \"1.10\": \"sha256:00\"", "      \"1.10\": {digest: \"sha256:00\", seen: null}"),
        ];
        for case in cases {
            assert_ne!(case, text);
            assert!(
                read_canonical(&case).is_none(),
                "fast path taken for:\n{case}"
            );
        }
    }

    #[test]
    fn files_past_the_size_limit_are_screened_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let screen = TokenScreen::new();
        let mut buf = vec![0; 16 * 1024];
        let read = |name: &str, bytes: &[u8], buf: &mut Vec<u8>| {
            let path = dir.path().join(name);
            fs_err::write(&path, bytes).unwrap();
            read_into(&mut std::fs::File::open(&path).unwrap(), buf, &screen).unwrap()
        };
        let at_limit = vec![b'a'; MAX_FILE_SIZE];
        assert!(
            matches!(read("at.yaml", &at_limit, &mut buf), ReadFile::Whole(n) if n == MAX_FILE_SIZE)
        );

        // A needle across two reads of the screen, far past the limit.
        let mut big = vec![b' '; 3 * MAX_FILE_SIZE];
        // The first buffer holds bytes [0, MAX_FILE_SIZE + 1): the needle starts 5 bytes before
        // its end.
        let at = MAX_FILE_SIZE + 1 - 5;
        big[at..at + 12].copy_from_slice(b"$imagepolicy");
        match read("big.yaml", &big, &mut buf) {
            ReadFile::TooLarge { size, screened } => {
                assert_eq!(size, big.len() as u64);
                assert!(screened);
            }
            ReadFile::Whole(_) => panic!("kept a file past the limit"),
        }
        big[at..at + 12].fill(b' ');
        assert!(matches!(
            read("plain.yaml", &big, &mut buf),
            ReadFile::TooLarge {
                screened: false,
                ..
            }
        ));
        assert!(
            buf.len() <= MAX_FILE_SIZE + 1,
            "buffer grew to {}",
            buf.len()
        );
    }
}
