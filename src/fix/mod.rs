//! Fixes as byte-range edits: render a marked scalar's new bytes, then splice every edit into
//! the file in one sorted pass. Nothing here re-serialises YAML; every byte outside an edit is
//! kept, including a BOM, CRLF line endings and the final newline.

pub mod apply;
pub mod edit;
pub mod quote;

#[cfg(test)]
mod tests;

pub use apply::apply_edits;
#[cfg(test)]
use apply::{ApplyError, EditConflict};
pub use edit::Edit;
pub(crate) use quote::needs_quotes;
#[cfg(test)]
use quote::render_scalar;
pub use quote::render_scalar_at;
pub(crate) use quote::resolves_to_non_string;
