//! source: the files of an experiment's closure (root, imports, stdlib) and how they are found.

use std::path::PathBuf;
use std::sync::Arc;

use miette::NamedSource;

pub mod loader;
pub mod stdlib;

/// Index of a file in load order; diagnostics sort by it so output is stable.
pub type FileId = usize;

/// One loaded text file.
#[derive(Debug)]
pub struct SourceFile {
    pub id: FileId,
    /// The name diagnostics show: the path as given on the command line (imports joined onto
    /// their importer's), or `std/<name>.kdl`.
    pub display: String,
    /// The name artifacts show: relative to the experiment's directory, or `std/<name>.kdl`.
    pub artifact: String,
    /// Where the file is on disk; `None` for the embedded stdlib.
    pub path: Option<PathBuf>,
    /// `Some(name)` for a stdlib file (`shims/linux`).
    pub stdlib: Option<String>,
    pub text: Arc<String>,
}

impl SourceFile {
    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let before = self.text.get(..offset).unwrap_or(&self.text);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        (line as u32, column as u32)
    }

    pub fn named_source(&self) -> NamedSource<Arc<String>> {
        NamedSource::new(self.display.clone(), self.text.clone()).with_language("kdl")
    }

    /// The blake3 of the file's bytes, hex.
    pub fn digest(&self) -> String {
        blake3::hash(self.text.as_bytes()).to_hex().to_string()
    }
}
