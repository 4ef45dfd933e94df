//! Writing `matrix.json`, `matrix.md` and `matrix.html` into the matrix's directory: each
//! through a new temporary file renamed over the old one, never through a symlink.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::column::Column;
use super::document::Matrix;
use crate::sys::fs::Dir;

pub(crate) const JSON: &str = "matrix.json";
pub(crate) const MARKDOWN: &str = "matrix.md";
pub(crate) const HTML: &str = "matrix.html";

#[derive(Debug, thiserror::Error)]
#[error("cannot write the matrix into {}: {source}", .dir.display())]
pub(crate) struct WriteError {
    pub dir: PathBuf,
    pub source: std::io::Error,
}

/// Writes the three files; `columns` give each cell's explanation.
pub(crate) fn write(dir: &Path, matrix: &Matrix, columns: &[Column]) -> Result<(), WriteError> {
    let fail = |source: std::io::Error| WriteError {
        dir: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    let held = Dir::open(dir).map_err(|e| fail(e.into()))?;
    let mut json = serde_json::to_string_pretty(matrix).expect("a matrix serialises");
    json.push('\n');
    let explanations: Vec<_> = columns
        .iter()
        .map(|c| {
            c.outcome
                .as_ref()
                .map(|l| l.explanations.clone())
                .unwrap_or_default()
        })
        .collect();
    for (name, text) in [
        (JSON, json),
        (MARKDOWN, super::markdown::render(matrix)),
        (HTML, super::html::render(matrix, &explanations)),
    ] {
        let (mut file, temp) = held
            .create_temporary(name, 0o644)
            .map_err(|e| fail(e.into()))?;
        file.write_all(text.as_bytes()).map_err(fail)?;
        drop(file);
        held.rename(Path::new(&temp), Path::new(name), true)
            .map_err(|e| fail(e.into()))?;
    }
    Ok(())
}
