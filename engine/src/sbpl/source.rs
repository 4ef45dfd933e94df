//! One SBPL source file (the profile or an import) and byte offset → line/column conversion.

use crate::model::Origin;

/// Index of a file in [`super::SbplProfile::files`].
pub type FileId = usize;

/// The text of one `.sb` file that took part in a parse, kept so the run bundle can digest the
/// whole closure and diagnostics can re-render spans.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SbplSource {
    /// The name diagnostics and origins use (the `file` argument, or the import as resolved).
    pub name: String,
    pub text: String,
}

impl SbplSource {
    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        (line as u32, column as u32)
    }

    pub fn origin(&self, span: (usize, usize)) -> Origin {
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
