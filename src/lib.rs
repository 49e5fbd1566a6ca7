//! imagelock: Flux's image update automation in git — markers validated against the declared
//! policies, resolved offline from `images.lock`, rewritten byte-exactly.
//!
//! The library serves its binary: the public surface is the command line (`cli`) and what the
//! integration tests, the corpus generator and the fuzz targets use (`image`, `lock`,
//! `registry::transport`, and `fuzzing` behind the `fuzzing` feature). Everything else is
//! crate-private, so the compiler sees dead code. docs/architecture.md maps the modules.

mod build;
pub mod cli;
mod config;
mod fix;
mod flux_version;
mod fs;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
mod git;
pub mod image;
pub mod lock;
mod manifest;
mod marker;
mod model;
mod ops;
mod par;
mod policy;
pub mod registry;
mod report;
mod resources;
mod rules;
#[cfg(test)]
mod schemas;
mod template;
mod text;
mod workspace;
