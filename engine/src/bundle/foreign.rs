//! [`ForeignDetails`]: what another harness recorded for one expectation that xpr's
//! `VerdictRecord` has no field for. Kept as structured fields, verbatim, so `xpr diff` can
//! compare and show each one (never folded into a free-text reason).

use serde::Serialize;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ForeignDetails {
    /// The harness's own expectation id, when it differs from the stable id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The recorded decision word verbatim (`null` when none was recorded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_stage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    /// Every mismatch class as recorded, sorted (xpr's own enumeration keeps only those it has).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mismatch_classes: Vec<String>,
    /// The harness's attribution of the mismatch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mismatch_reason: Option<String>,
    /// Which tools ran the probe and how the profile was applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub harness: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lanes: Vec<String>,
    /// Stable codes for what xpr's model cannot express as recorded, sorted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
}
