//! Is this directory a runtime-tools bundle? Decided by the index's schema string alone.

use std::path::Path;

use super::schema;
use crate::bundle::dir::BundleDir;

/// The index file every runtime-tools bundle carries (written last, their commit barrier).
pub(crate) const INDEX_FILE: &str = "artifact_index.json";

/// The bundle directory for a path given on the command line: the directory itself, or the
/// directory holding a given `artifact_index.json`.
pub(crate) fn bundle_dir(path: &Path) -> &Path {
    if path.is_file() && path.file_name().is_some_and(|n| n == INDEX_FILE) {
        match path.parent() {
            Some(p) if p.as_os_str().is_empty() => Path::new("."),
            Some(p) => p,
            None => path,
        }
    } else {
        path
    }
}

/// True when `path` (a bundle directory or its index) holds an index whose
/// `schema_version` is a runtime-tools artifact index schema.
pub fn is_runtime_tools(path: &Path) -> bool {
    BundleDir::open(bundle_dir(path)).is_ok_and(|dir| is_runtime_tools_dir(&dir))
}

/// [`is_runtime_tools`] for an opened bundle directory.
pub(crate) fn is_runtime_tools_dir(dir: &BundleDir) -> bool {
    let Ok(value) = dir.read_json::<serde_json::Value>(INDEX_FILE) else {
        return false;
    };
    value
        .get("schema_version")
        .and_then(|v| v.as_str())
        .is_some_and(schema::is_index_schema)
}
