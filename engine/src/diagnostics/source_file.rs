//! One loaded text file and positions in it: what every diagnostic points into. The loader
//! in `source` creates them; decode, resolve and the SBPL reader label spans in them.

use std::path::PathBuf;
use std::sync::Arc;

use miette::NamedSource;

/// Index of a file in load order; diagnostics sort by it so output is stable.
pub(crate) type FileId = usize;

/// One loaded text file.
#[derive(Debug)]
pub(crate) struct SourceFile {
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
    /// 1-based line and column (in characters) of a byte offset. Linear in the offset; use a
    /// [`LineIndex`] for many lookups in one file.
    pub(crate) fn line_col(&self, offset: usize) -> (u32, u32) {
        // Only the text before the offset is read: indexing the whole file for each of the
        // first hundred diagnostics made `--message-format json` slow on a large file.
        let text = self.text.as_str();
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = text[line_start..offset].chars().count() + 1;
        (line as u32, column as u32)
    }

    /// Byte offsets where the file's lines start, for fast repeated lookups.
    pub(crate) fn line_index(&self) -> LineIndex {
        LineIndex::new(&self.text)
    }

    pub(crate) fn named_source(&self) -> NamedSource<Arc<String>> {
        NamedSource::new(self.display.clone(), self.text.clone()).with_language("kdl")
    }

    /// The blake3 of the file's bytes, hex.
    pub(crate) fn digest(&self) -> String {
        blake3::hash(self.text.as_bytes()).to_hex().to_string()
    }
}

/// Where each line of a text starts, so offset → line/column is a binary search.
#[derive(Debug, Clone)]
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> LineIndex {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { starts }
    }

    /// 1-based line and column (in characters) of a byte offset into `text`.
    pub(crate) fn line_col(&self, text: &str, offset: usize) -> (u32, u32) {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let line_start = self.starts[line - 1].min(offset);
        let column = text[line_start..offset].chars().count() + 1;
        (line as u32, column as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::LineIndex;

    #[test]
    fn line_and_column_in_characters() {
        let text = "ab\né x\n\nz";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(text, 0), (1, 1));
        assert_eq!(index.line_col(text, 3), (2, 1));
        assert_eq!(index.line_col(text, 6), (2, 3)); // after "é " (é is 2 bytes)
        assert_eq!(index.line_col(text, 4), (2, 1)); // inside é: rounds down
        assert_eq!(index.line_col(text, 8), (3, 1));
        assert_eq!(index.line_col(text, 9), (4, 1));
        assert_eq!(index.line_col(text, 99), (4, 2));
    }

    #[test]
    fn a_single_lookup_agrees_with_the_index() {
        let text = "ab\né x\n\nz\r\n  \u{2028}w";
        let file = super::SourceFile {
            id: 0,
            display: "t.kdl".into(),
            artifact: "t.kdl".into(),
            path: None,
            stdlib: None,
            text: std::sync::Arc::new(text.to_string()),
        };
        let index = LineIndex::new(text);
        for offset in 0..text.len() + 3 {
            assert_eq!(
                file.line_col(offset),
                index.line_col(text, offset),
                "at {offset}"
            );
        }
    }
}
