//! `images.lock`: the registry's answer, recorded so that everything else resolves offline.
//!
//! The format (documented in `docs/lockfile.md`, schema in `schemas/images.lock.schema.json`):
//! a generated-file header, `version` first, then one entry per canonical image name with its
//! tags (one per line, byte-sorted) and the digests that policies or markers need.

mod model;
mod serialize;

pub use model::{ImageEntry, Lock, LockError, VERSION};
pub(crate) use serialize::{literal_ascii_in_quotes, literal_in_quotes};
pub use serialize::{parse, to_string};
