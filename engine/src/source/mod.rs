//! source: the files of an experiment's closure (root, imports, stdlib) and how they are found.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

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
    /// Byte offsets where lines start, built on first use (origins are asked for often).
    pub(crate) line_starts: OnceLock<Vec<usize>>,
}

impl SourceFile {
    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (u32, u32) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let starts = self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        });
        let line = starts.partition_point(|&s| s <= offset);
        let line_start = starts[line - 1];
        let column = self.text[line_start..offset].chars().count() + 1;
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
