//! Where a piece of the experiment came from, in a form that survives into artifacts.

use serde::{Deserialize, Serialize};

/// A location in a source file: a path relative to the experiment (or `std/<name>` for the
/// standard library), 1-based line and column, and the byte span for diagnostics.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Origin {
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// Byte offset and length in the file, for re-rendering diagnostics.
    #[serde(default, skip_serializing)]
    pub span: (usize, usize),
    /// The shim that contributed this rule, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shim: Option<String>,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)?;
        if let Some(shim) = &self.shim {
            write!(f, " (shim {shim})")?;
        }
        Ok(())
    }
}
