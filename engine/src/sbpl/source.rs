//! One SBPL source file (the profile or an import) and byte offset → line/column conversion.

use std::sync::Arc;

use crate::model::Origin;
use crate::source::LineIndex;

/// Index of a file in [`super::SbplProfile::files`].
pub(crate) type FileId = usize;

/// The text of one `.sb` file that took part in a parse, kept so the run bundle can digest the
/// whole closure and diagnostics can re-render spans (shared, not copied, by every error).
#[derive(Clone, Debug)]
pub struct SbplSource {
    /// The name diagnostics and origins use (the `file` argument, or the import as resolved).
    pub name: String,
    pub text: Arc<String>,
    /// Line starts: every rule asks for its origin, so a lookup must not scan the file.
    lines: LineIndex,
}

impl PartialEq for SbplSource {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.text == other.text
    }
}

impl Eq for SbplSource {}

impl SbplSource {
    pub(crate) fn new(name: &str, text: &str) -> SbplSource {
        SbplSource {
            name: name.to_string(),
            lines: LineIndex::new(text),
            text: Arc::new(text.to_string()),
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub(crate) fn line_col(&self, offset: usize) -> (u32, u32) {
        self.lines.line_col(&self.text, offset)
    }

    pub(crate) fn origin(&self, span: (usize, usize)) -> Origin {
        let (line, column) = self.line_col(span.0);
        Origin {
            file: self.name.clone(),
            line,
            column,
            span,
            shim: None,
        }
    }
}
