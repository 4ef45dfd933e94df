//! Reading one artifact of a bundle directory as typed JSON.

use std::path::Path;

use serde::de::DeserializeOwned;

use super::error::RuntimeToolsError;

/// Reads `dir/name` as JSON; `Ok(None)` when the file does not exist.
pub fn optional_json<T: DeserializeOwned>(
    dir: &Path,
    name: &str,
) -> Result<Option<T>, RuntimeToolsError> {
    let path = dir.join(name);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(RuntimeToolsError::Io { path, source }),
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|source| RuntimeToolsError::Json { path, source })
}

/// Reads a JSON Lines artifact; blank lines are skipped; `Ok(vec![])` when absent.
pub fn optional_jsonl<T: DeserializeOwned>(
    dir: &Path,
    name: &str,
) -> Result<Vec<T>, RuntimeToolsError> {
    let path = dir.join(name);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(RuntimeToolsError::Io { path, source }),
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l).map_err(|source| RuntimeToolsError::Json {
                path: path.clone(),
                source,
            })
        })
        .collect()
}
