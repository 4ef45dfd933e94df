//! `artifact_index.json`: the commit barrier that pins every other file of a bundle.

use serde::{Deserialize, Serialize};

use super::run_id::RunId;

/// What the runner knows at commit time.
#[derive(Clone, Debug)]
pub struct IndexMeta {
    pub run_id: RunId,
    pub world_id: String,
    /// [`super::closure_digest`] of the run's inputs.
    pub closure_digest: String,
}

/// The index document (`xpr.artifact_index.v1`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArtifactIndex {
    pub schema_version: String,
    pub run_id: String,
    pub world_id: String,
    pub closure_digest: String,
    /// Every file of the bundle except the index itself, sorted by path.
    pub artifacts: Vec<IndexEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexEntry {
    /// Bundle-relative, `/`-separated.
    pub path: String,
    pub size: u64,
    /// Lowercase hex blake3 of the file's bytes.
    pub blake3: String,
    pub schema_version: String,
}

/// Whether `path` is a safe bundle-relative path: `/`-separated normal components, no `.`,
/// `..`, empty or hidden components, no backslash and no control character (it is printed).
/// Readers never open anything else.
pub(crate) fn is_safe_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.contains(|c: char| c == '\\' || c.is_control())
        && path
            .split('/')
            .all(|c| !c.is_empty() && !c.starts_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert!(is_safe_relative("compiled/a.landlock.json"));
        for bad in [
            "",
            "/etc/x",
            "a/../b",
            "./a",
            "a//b",
            ".hidden",
            "a\\b",
            "a/",
            "a\0b",
            "\u{1b}[2J",
        ] {
            assert!(!is_safe_relative(bad), "{bad}");
        }
    }
}
