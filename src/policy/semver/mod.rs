//! The semver range engine of `spec.policy.semver`: Masterminds/semver v3.5 versions and
//! constraints (as Flux >= 2.7 uses them) and Flux's tag parser. See
//! `flux-semantics.md` §3.2, §3.3 and §5.

mod error;
mod grammar;
mod range;
mod rules;
mod version;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_props;
#[cfg(test)]
mod tests_select;
#[cfg(test)]
mod tests_table;
#[cfg(test)]
mod tests_tags;

pub use error::RangeError;
#[cfg(test)]
use error::RangeErrorKind;
pub use range::Range;
pub use rules::SemverRules;
pub use version::Version;
#[cfg(test)]
use version::{VersionError, MAX_VERSION_LEN};
