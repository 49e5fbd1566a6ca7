//! `images.lock`: the registry's answer, recorded so that everything else resolves offline.
//!
//! The format (documented in `docs/lockfile.md`, schema in `schemas/images.lock.schema.json`):
//! a generated-file header, `version` first, the time of the last refresh that changed it, then
//! one entry per canonical image name with its tags (one per line, byte-sorted, each with the
//! time it was first seen) and the digests that policies or markers need (with theirs).

mod model;
mod serialize;
mod time;

pub use model::{ImageEntry, Lock, LockError, LockedDigest, Seen, TimeError, Timestamp, VERSION};
pub(crate) use serialize::{literal_ascii_in_quotes, literal_in_quotes};
pub use serialize::{parse, to_string};
