//! A format-neutral view of one run, so `xpr diff` can compare any two of: xpr bundles,
//! bundles from other harnesses (e.g. `runtime-tools`).
//!
//! Each format maps its own records into [`ViewVerdict`]s keyed by a stable expectation id
//! `<profile>/<probe>` (never containing the world id). What a format cannot express in xpr's
//! model is kept as recorded and named in `flags`, never silently reinterpreted.

use serde::{Deserialize, Serialize};

use super::outcome::VerdictRecord;
use super::profile::Action;

/// What the diff needs from a bundle of any format.
pub trait RunView {
    /// The format name: `xpr` or `runtime-tools`.
    fn format(&self) -> &str;
    /// The run id as recorded (identifies the run; never part of a comparison key).
    fn run_id(&self) -> &str;
    /// The world id as recorded.
    fn world_id(&self) -> &str;
    /// World facts and harness identity, as a JSON object with stable keys.
    fn world_facts(&self) -> serde_json::Value;
    /// One record per expectation, sorted by id.
    fn verdicts(&self) -> Vec<ViewVerdict>;
    /// The operations this run's world can apply (sorted, unique).
    fn vocabulary(&self) -> Vec<String>;
}

/// One (profile, probe) result in format-neutral terms.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewVerdict {
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

impl From<&VerdictRecord> for ViewVerdict {
    fn from(r: &VerdictRecord) -> Self {
        let mut mismatches: Vec<String> = r
            .mismatches
            .iter()
            .map(|m| {
                serde_json::to_value(m)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            })
            .collect();
        mismatches.sort();
        ViewVerdict {
            id: r.id.clone(),
            source_id: None,
            profile: r.profile.clone(),
            probe: r.probe.clone(),
            operation: None,
            target: None,
            expected: r.expected,
            verdict: Some(r.verdict.as_str().to_owned()),
            stage: r.stage.map(|s| s.as_str().to_owned()),
            failure_stage: None,
            failure_kind: None,
            errno: r.errno.as_ref().map(|e| i64::from(e.raw)),
            exit_code: None,
            lanes: Vec::new(),
            baseline: r.baseline.map(|v| v.as_str().to_owned()),
            mismatches,
            mismatch_reason: r.reason.clone(),
            harness: None,
            flags: Vec::new(),
        }
    }
}
