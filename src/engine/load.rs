//! Reading the repository: list, read, screen, parse.

use std::path::Path;

use super::{EngineError, Selection, SourceFile};
use crate::lock::{self, Lock, LockError};
use crate::manifest;
use crate::report::Finding;
use crate::rules::Rule;
use crate::text::TextRange;
use crate::workspace;

pub(super) struct Loaded {
    pub files: Vec<SourceFile>,
    pub findings: Vec<Finding>,
    pub listed: usize,
}

/// Only files holding a marker or a Flux image object are parsed in full.
pub fn is_interesting(bytes: &[u8]) -> bool {
    contains(bytes, b"$imagepolicy") || contains(bytes, b"image.toolkit.fluxcd.io")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

pub(super) fn load(root: &Path, selection: &Selection) -> Result<Loaded, EngineError> {
    let listed = workspace::list_manifests(root)?;
    let mut files = Vec::new();
    let mut findings = Vec::new();
    for rel in &listed {
        let selected = selection.contains(rel);
        let path = root.join(rel);
        let bytes = match fs_err::read(&path) {
            Ok(b) => b,
            Err(source) => {
                return Err(workspace::WorkspaceError::Io { path, source }.into());
            }
        };
        if !is_interesting(&bytes) {
            continue;
        }
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(err) => {
                let at = err.utf8_error().valid_up_to();
                let text = String::from_utf8_lossy(err.as_bytes()).into_owned();
                if selected || contains(text.as_bytes(), b"image.toolkit.fluxcd.io") {
                    findings.push(
                        Finding::new(
                            Rule::UnparsableFile,
                            rel,
                            TextRange::new(at, at + 1),
                            "the file is not valid UTF-8; Flux skips it silently",
                        )
                        .label("invalid byte"),
                    );
                }
                files.push(SourceFile {
                    rel: rel.clone(),
                    text,
                    manifest: None,
                    selected,
                });
                continue;
            }
        };
        let manifest = match manifest::parse(&text) {
            Ok(m) => Some(m),
            Err(err) => {
                if selected || contains(text.as_bytes(), b"image.toolkit.fluxcd.io") {
                    findings.push(
                        Finding::new(
                            Rule::UnparsableFile,
                            rel,
                            clamp(err.span, text.len()),
                            format!("the file does not parse: {}", err.message),
                        )
                        .label(err.message.clone())
                        .help("Flux skips a file it cannot parse, with no error: none of its markers or objects take effect"),
                    );
                }
                None
            }
        };
        files.push(SourceFile {
            rel: rel.clone(),
            text,
            manifest,
            selected,
        });
    }
    Ok(Loaded {
        files,
        findings,
        listed: listed.len(),
    })
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
    let lock = lock::parse(rel, &text)?;
    Ok((Some(lock), Some(text)))
}
