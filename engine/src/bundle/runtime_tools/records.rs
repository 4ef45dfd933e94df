//! The runtime-tools artifacts as they are written (only the fields xpr reads).
//!
//! Every field is optional or defaulted: their writers drop `None` keys and older runs lack
//! newer fields, so absence is normal and must not fail the read.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// `artifact_index.json` (`runtime-tools.artifact_index.v0.1`).
#[derive(Clone, Debug, Deserialize)]
pub struct ArtifactIndex {
    pub schema_version: String,
    #[serde(default)]
    pub run_id: Option<String>,
    #[serde(default)]
    pub world_id: Option<String>,
    pub artifacts: Vec<IndexedArtifact>,
    /// Artifacts the writer expected but did not find (repository paths).
    #[serde(default)]
    pub missing: Vec<String>,
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct IndexedArtifact {
    /// A repository-relative path at the time of the run; only its last component still
    /// names the file inside the bundle.
    pub path: String,
    pub file_size: u64,
    pub sha256: String,
    #[serde(default)]
    pub schema_version: Option<String>,
}

impl IndexedArtifact {
    /// The bundle-relative name: the recorded path's last component.
    pub(crate) fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }
}

/// `summary.json`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Summary {
    #[serde(default)]
    pub run_id: Option<String>,
    #[serde(default)]
    pub world_id: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub plan_id: Option<String>,
    #[serde(default)]
    pub plan_digest: Option<String>,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub lanes: BTreeMap<String, bool>,
    #[serde(default)]
    pub expected_profiles: Vec<String>,
}

/// `expected_matrix.json`: profile id → profile with its expected probes.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ExpectedMatrix {
    #[serde(default)]
    pub world_id: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, ExpectedProfile>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ExpectedProfile {
    /// The input profile path (SBPL text or a compiled blob, see `mode`).
    #[serde(default)]
    pub blob: Option<String>,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub family: Option<String>,
    #[serde(default)]
    pub semantic_group: Option<String>,
    #[serde(default)]
    pub probes: Vec<ExpectedProbe>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ExpectedProbe {
    pub name: String,
    #[serde(default)]
    pub operation: Option<String>,
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub expected: Option<String>,
    #[serde(default)]
    pub expectation_id: Option<String>,
    #[serde(default)]
    pub driver: Option<String>,
    #[serde(default)]
    pub filter_name: Option<String>,
}

/// `runtime_results.json`: profile id → what the harness observed.
pub(crate) type RuntimeResults = BTreeMap<String, ResultProfile>;

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ResultProfile {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub base_profile_path: Option<String>,
    #[serde(default)]
    pub probes: Vec<ResultProbe>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ResultProbe {
    pub name: String,
    #[serde(default)]
    pub expectation_id: Option<String>,
    #[serde(default)]
    pub operation: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub expected: Option<String>,
    /// `allow` iff the probe exited 0 (or `probe_details` said so), else `deny`; null when
    /// nothing was decided.
    #[serde(default)]
    pub actual: Option<String>,
    #[serde(default)]
    pub exit_code: Option<i64>,
    #[serde(default)]
    pub command: Vec<String>,
    #[serde(default)]
    pub error_kind: Option<String>,
    #[serde(default)]
    pub runtime_result: Option<RuntimeResult>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct RuntimeResult {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub errno: Option<i64>,
    #[serde(default)]
    pub failure_stage: Option<String>,
    #[serde(default)]
    pub failure_kind: Option<String>,
    #[serde(default)]
    pub runner_info: Option<RunnerInfo>,
    #[serde(default)]
    pub intended_op_witnessed: Option<bool>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct RunnerInfo {
    #[serde(default)]
    pub entrypoint: Option<String>,
    #[serde(default)]
    pub apply_model: Option<String>,
    #[serde(default)]
    pub apply_timing: Option<String>,
    #[serde(default)]
    pub entrypoint_sha256: Option<String>,
}

/// `baseline_results.json`: the same probe without a profile.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct BaselineResults {
    #[serde(default)]
    pub results: Vec<BaselineRow>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct BaselineRow {
    #[serde(default)]
    pub profile_id: Option<String>,
    #[serde(default)]
    pub probe_name: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

/// `oracle_results.json`: flattened `sandbox_check` callouts (annotation, not execution).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct OracleResults {
    #[serde(default)]
    pub results: Vec<OracleRow>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct OracleRow {
    #[serde(default)]
    pub expectation_id: Option<String>,
    #[serde(default)]
    pub decision: Option<String>,
}

/// `mismatch_summary.json` (no schema_version of its own).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct MismatchSummary {
    #[serde(default)]
    pub mismatches: Vec<MismatchRow>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct MismatchRow {
    #[serde(default)]
    pub profile_id: Option<String>,
    #[serde(default)]
    pub expectation_id: Option<String>,
    #[serde(default)]
    pub mismatch_type: Option<String>,
}

/// One line of `mismatch_packets.jsonl`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct MismatchPacket {
    #[serde(default)]
    pub expectation_id: Option<String>,
    #[serde(default)]
    pub mismatch_reason: Option<String>,
    #[serde(default)]
    pub decision_event: Option<DecisionEvent>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct DecisionEvent {
    #[serde(default)]
    pub profile_id: Option<String>,
    #[serde(default)]
    pub probe_name: Option<String>,
}

/// `run_manifest.json`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct RunManifest {
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub plan_id: Option<String>,
    #[serde(default)]
    pub plan_digest: Option<String>,
    #[serde(default)]
    pub apply_preflight: Option<Value>,
}
