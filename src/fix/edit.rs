//! One byte-range replacement in a file's text.

use crate::text::TextRange;

/// Replace the bytes in `range` with `replacement`. An empty range inserts; an empty
/// replacement deletes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Edit {
    pub range: TextRange,
    pub replacement: String,
}

impl Edit {
    /// Replace `range` with `replacement`.
    #[cfg(test)]
    pub fn replace(range: TextRange, replacement: impl Into<String>) -> Self {
        Self {
            range,
            replacement: replacement.into(),
        }
    }

    /// The edit that makes the scalar whose source is `src[range]` (spelled in `style`) hold
    /// `new_value`, keeping its style where YAML allows. `None` when `range` does not select
    /// text of `src` (out of bounds or not on character boundaries).
    #[cfg(test)]
    pub fn scalar(
        src: &str,
        range: TextRange,
        style: crate::manifest::ScalarStyle,
        new_value: &str,
    ) -> Option<Self> {
        let old = src.get(range.start()..range.end())?;
        Some(Self::replace(
            range,
            super::quote::render_scalar(old, style, new_value),
        ))
    }

    /// True when applying the edit to `src` would not change it.
    #[cfg(test)]
    pub fn is_noop(&self, src: &str) -> bool {
        src.get(self.range.start()..self.range.end()) == Some(self.replacement.as_str())
    }
}
