//! One runtime-tools result as read, before it becomes an xpr `VerdictRecord` (with its
//! foreign details kept apart, see `to_record`). Keyed by the stable expectation id
//! `<profile>/<probe>` (never containing the world id). What xpr's model cannot express is kept
//! as recorded and named in `flags`, never silently reinterpreted.

use serde::{Deserialize, Serialize};

use crate::model::Action;

/// One (profile, probe) result in runtime-tools terms, mapped to xpr words where they exist.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappedVerdict {
    /// Stable expectation id `<profile>/<probe>`.
    pub id: String,
    /// The harness's own expectation id, when it has one that differs from `id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    pub profile: String,
    pub probe: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<Action>,
    /// The recorded decision in xpr's verdict words (`allow`, `deny`, `crashed`, ...);
    /// `None` when the run recorded no decision (e.g. the operation was not witnessed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    /// The xpr stage that decided the verdict (`apply`, `exec`, `operation`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// The harness's own stage and kind words, verbatim (runtime-tools `failure_stage`/`failure_kind`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_stage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_kind: Option<String>,
    /// The errno as recorded (may be negative or an exit status in foreign formats: see `flags`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errno: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    /// Lanes that produced a record for this expectation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lanes: Vec<String>,
    /// The baseline lane's decision, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
    /// Mismatch classes (`unexpected_deny`, `op_not_witnessed`, ...), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mismatches: Vec<String>,
    /// The harness's attribution of the mismatch (runtime-tools `mismatch_reason`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mismatch_reason: Option<String>,
    /// Which tools ran this probe and how the profile was applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub harness: Option<String>,
    /// Stable codes for what xpr's model cannot express as recorded, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
}
