//! Where each artifact lives in a bundle, and the schema it is written with (spec §6).
//!
//! Writers and readers both use these names, so a renamed file cannot silently drop out of
//! `xpr diff`.

use crate::model::Lane;

pub const INDEX: &str = "artifact_index.json";
pub const MANIFEST: &str = "run_manifest.json";
pub const VERDICTS: &str = "verdicts.jsonl";
pub const MISMATCHES: &str = "mismatches.jsonl";
pub const VOCABULARY: &str = "vocabulary.json";
pub const SUMMARY_JSON: &str = "summary.json";
pub const SUMMARY_MD: &str = "summary.md";
pub(crate) const ORACLE: &str = "oracle.jsonl";
pub(crate) const OBSERVER: &str = "observer.jsonl";
pub(crate) const SHIM_DIVERGENCE: &str = "shim_divergence.jsonl";
pub(crate) const COMPILED_DIR: &str = "compiled";

/// `out/<experiment>/latest`: a relative symbolic link to the newest committed run.
pub(crate) const LATEST: &str = "latest";

/// Suffix of a temporary bundle directory: `.<run_id>.partial`.
pub(crate) const PARTIAL_SUFFIX: &str = ".partial";

pub mod schema {
    pub const INDEX: &str = "xpr.artifact_index.v1";
    pub const MANIFEST: &str = "xpr.run_manifest.v1";
    pub const STAGE_RECORDS: &str = "xpr.stage_records.v1";
    pub const VERDICTS: &str = "xpr.verdicts.v1";
    pub const MISMATCHES: &str = "xpr.mismatches.v1";
    pub const ORACLE_RECORDS: &str = "xpr.oracle_records.v1";
    pub const OBSERVER_RECORDS: &str = "xpr.observer_records.v1";
    pub const SHIM_DIVERGENCE: &str = "xpr.shim_divergence.v1";
    pub const VOCABULARY: &str = "xpr.vocabulary.v1";
    pub const PROFILE_IR: &str = "xpr.profile_ir.v1";
    pub const LANDLOCK_PLAN: &str = "xpr.landlock_plan.v1";
    pub const MOUNT_PLAN: &str = "xpr.mount_plan.v1";
    pub const SECCOMP_BPF: &str = "xpr.seccomp_bpf.v1";
    pub const SBPL: &str = "xpr.sbpl.v1";
    pub const FIDELITY: &str = "xpr.fidelity.v1";
    pub const SUMMARY: &str = "xpr.summary.v1";
    pub const SUMMARY_MD: &str = "xpr.summary_md.v1";
}

/// `stages/<lane>.jsonl`: one `model::StageRecord` per line.
pub fn stage_records(lane: Lane) -> String {
    format!("stages/{}.jsonl", lane.as_str())
}

/// `compiled/<profile>.<kind>`, e.g. kind `fidelity.json`, `landlock.json`, `mounts.json`,
/// `seccomp.bpf`, `sb`, `source.json`, `runtime.json`.
pub fn compiled(profile: &str, kind: &str) -> String {
    format!("{COMPILED_DIR}/{profile}.{kind}")
}

/// `compiled/<profile>.fidelity.json`.
pub fn fidelity(profile: &str) -> String {
    compiled(profile, "fidelity.json")
}

/// The run id a `.<run_id>.partial` directory name belongs to.
pub(crate) fn partial_run_id(dir_name: &str) -> Option<&str> {
    dir_name.strip_prefix('.')?.strip_suffix(PARTIAL_SUFFIX)
}
