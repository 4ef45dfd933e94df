//! A runtime-tools bundle read into memory: the artifacts xpr maps into its own model.

use std::path::{Path, PathBuf};

use super::artifact_json::{optional_json, optional_jsonl};
use super::detect::{INDEX_FILE, bundle_dir};
use super::error::RuntimeToolsError;
use super::records::*;
use super::schema;
use crate::bundle::dir::BundleDir;

#[derive(Clone, Debug)]
pub struct RuntimeToolsBundle {
    pub dir: PathBuf,
    pub index: ArtifactIndex,
    pub summary: Summary,
    pub manifest: RunManifest,
    pub matrix: ExpectedMatrix,
    pub results: RuntimeResults,
    pub baseline: Option<BaselineResults>,
    pub oracle: Option<OracleResults>,
    pub mismatch_summary: MismatchSummary,
    pub packets: Vec<MismatchPacket>,
    /// `apply_preflight.json` verbatim, when the run had one.
    pub apply_preflight: Option<serde_json::Value>,
}

impl RuntimeToolsBundle {
    /// Reads the bundle at `path` (its directory or its `artifact_index.json`). Does not check
    /// digests (see [`super::integrity::verify`]); fails when the index or the expected matrix is
    /// absent or any artifact is malformed.
    pub fn open(path: &Path) -> Result<Self, RuntimeToolsError> {
        let root = bundle_dir(path);
        let dir = BundleDir::open(root).map_err(|source| RuntimeToolsError::Unreadable {
            path: root.to_path_buf(),
            source,
        })?;
        Self::read(&dir)
    }

    /// [`RuntimeToolsBundle::open`] for an opened bundle directory.
    pub(crate) fn read(dir: &BundleDir) -> Result<Self, RuntimeToolsError> {
        let not_rt = |why: String| RuntimeToolsError::NotRuntimeTools {
            dir: dir.root().to_path_buf(),
            why,
        };
        let index: ArtifactIndex =
            optional_json(dir, INDEX_FILE)?.ok_or_else(|| not_rt(format!("no {INDEX_FILE}")))?;
        if !schema::is_index_schema(&index.schema_version) {
            return Err(not_rt(format!(
                "index schema is {:?}",
                index.schema_version
            )));
        }
        if !schema::is_known(&index.schema_version) {
            return Err(RuntimeToolsError::Invalid {
                path: dir.root().join(INDEX_FILE),
                message: format!("unknown schema major in {}", index.schema_version),
            });
        }
        let matrix: ExpectedMatrix = optional_json(dir, "expected_matrix.json")?
            .or(optional_json(dir, "expected_matrix.generated.json")?)
            .ok_or_else(|| RuntimeToolsError::Invalid {
                path: dir.root().join("expected_matrix.json"),
                message: "missing: the expected matrix is required to read the results".into(),
            })?;
        Ok(RuntimeToolsBundle {
            dir: dir.root().to_path_buf(),
            summary: optional_json(dir, "summary.json")?.unwrap_or_default(),
            manifest: optional_json(dir, "run_manifest.json")?.unwrap_or_default(),
            results: optional_json(dir, "runtime_results.json")?.unwrap_or_default(),
            baseline: optional_json(dir, "baseline_results.json")?,
            oracle: optional_json(dir, "oracle_results.json")?,
            mismatch_summary: optional_json(dir, "mismatch_summary.json")?.unwrap_or_default(),
            packets: optional_jsonl(dir, "mismatch_packets.jsonl")?,
            apply_preflight: optional_json(dir, "apply_preflight.json")?,
            matrix,
            index,
        })
    }

    pub(crate) fn run_id(&self) -> &str {
        self.index
            .run_id
            .as_deref()
            .or(self.summary.run_id.as_deref())
            .unwrap_or("")
    }

    pub fn world_id(&self) -> &str {
        self.index
            .world_id
            .as_deref()
            .or(self.summary.world_id.as_deref())
            .or(self.matrix.world_id.as_deref())
            .unwrap_or("")
    }

    /// Profile ids in the run's own order (summary's `expected_profiles`), then any others
    /// from the matrix in sorted order.
    pub(crate) fn profile_order(&self) -> Vec<&str> {
        let mut order: Vec<&str> = self
            .summary
            .expected_profiles
            .iter()
            .map(String::as_str)
            .filter(|p| self.matrix.profiles.contains_key(*p))
            .collect();
        for p in self.matrix.profiles.keys() {
            if !order.contains(&p.as_str()) {
                order.push(p);
            }
        }
        order
    }

    /// Lanes the run enabled, sorted.
    pub(crate) fn lanes(&self) -> Vec<String> {
        let mut lanes: Vec<String> = self
            .summary
            .lanes
            .iter()
            .filter(|(_, on)| **on)
            .map(|(l, _)| l.clone())
            .collect();
        if lanes.is_empty() {
            lanes.push("scenario".into());
        }
        lanes
    }
}
