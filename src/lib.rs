//! imagelock: Flux's image update automation in git — markers validated against the declared
//! policies, resolved offline from `images.lock`, rewritten byte-exactly.

pub mod cli;
pub mod fix;
pub mod fs;
#[doc(hidden)]
pub mod fuzzing;
pub mod git;
pub mod image;
pub mod lock;
pub mod manifest;
pub mod marker;
pub mod model;
pub mod ops;
pub mod par;
pub mod policy;
pub mod registry;
pub mod report;
pub mod resources;
pub mod rules;
pub mod template;
pub mod text;
pub mod workspace;
