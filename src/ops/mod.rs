//! Library operations over the model: each returns data for the CLI to render.

pub mod adopt;
pub mod backfill;
pub mod commit;
pub mod explain;
pub mod fix;
pub mod list;
pub mod refresh;

#[cfg(test)]
mod tests;
