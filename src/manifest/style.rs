//! How a scalar is spelled in the source: kept on rewrite.

/// The presentation style of a YAML scalar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    /// `|` block scalar.
    Literal,
    /// `>` block scalar.
    Folded,
}

impl ScalarStyle {
    pub fn is_block(self) -> bool {
        matches!(self, Self::Literal | Self::Folded)
    }
}
