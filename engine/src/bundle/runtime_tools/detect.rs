//! Is this directory a runtime-tools bundle? Decided by the index's schema string alone.

use std::path::Path;

use super::schema;

/// The index file every runtime-tools bundle carries (written last, their commit barrier).
pub const INDEX_FILE: &str = "artifact_index.json";

/// The bundle directory for a path given on the command line: the directory itself, or the
/// directory holding a given `artifact_index.json`.
pub fn bundle_dir(path: &Path) -> &Path {
    if path.is_file() && path.file_name().is_some_and(|n| n == INDEX_FILE) {
        path.parent().unwrap_or(path)
    } else {
        path
    }
}

/// True when `path` (a bundle directory or its index) holds an index whose
/// `schema_version` is a runtime-tools artifact index schema.
pub fn is_runtime_tools(path: &Path) -> bool {
    let index = bundle_dir(path).join(INDEX_FILE);
    let Ok(bytes) = std::fs::read(index) else {
        return false;
    };
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return false;
    };
    value
        .get("schema_version")
        .and_then(|v| v.as_str())
        .is_some_and(schema::is_index_schema)
}
