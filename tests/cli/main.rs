//! The one integration test binary: the real `imagelock` executable over fixture trees.
//!
//! `testdata/cases/<case>/in/` is a repository (with its `images.lock`); `out/`, when present,
//! holds every file that `fix` must change, byte for byte. Each case snapshots `check`'s human and
//! JSON output, runs `fix`, compares the tree, then runs `fix` again to prove it is a no-op.

mod common;

mod adopt;
mod cases;
mod commit;
mod hostile;
mod interrupt;
mod precommit;
mod registry;
mod reports;
mod try_cmd;
mod usage;
