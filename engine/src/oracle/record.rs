//! One oracle result: the predicted decision for a (profile, probe), the deciding rule with
//! its source location, and how far the run's calibration lets a reader trust it.

use serde::{Deserialize, Serialize};

use crate::model::Fidelity;
use crate::model::{Errno, MountDecision, Origin, Stage};

pub const ORACLE_SCHEMA_VERSION: &str = "xpr.oracle.v1";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prediction {
    Allow,
    Deny,
    /// Fails before the sandbox decides (ENOENT, EEXIST...).
    Error,
    Blocked,
    DependencyDenied,
    /// The probe's family has no driver in this world (`skipped`).
    NotApplicable,
    /// The evaluator has no model of what the probe does; it never disagrees.
    Unmodeled,
}

impl Prediction {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Prediction::Allow => "allow",
            Prediction::Deny => "deny",
            Prediction::Error => "error",
            Prediction::Blocked => "blocked",
            Prediction::DependencyDenied => "dependency_denied",
            Prediction::NotApplicable => "not_applicable",
            Prediction::Unmodeled => "unmodeled",
        }
    }
}

/// `calibrated`: the oracle agreed with the scenario on every control probe of the run;
/// `annotation`: it did not, or the run had no control it could check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Calibration {
    Calibrated,
    Annotation,
}

/// A rule that took part in the decision, as the reader will look it up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecidingRule {
    /// Index in the runtime (or source) profile's rules; `None` for the default action.
    pub rule: Option<usize>,
    pub origin: Origin,
    pub text: String,
    pub fidelity: Fidelity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OracleRecord {
    /// `<profile>/<probe>`.
    pub id: String,
    pub profile: String,
    pub probe: String,
    pub prediction: Prediction,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errno: Option<Errno>,
    /// Rights missing (`fs.read_file`), as the audit record's `blockers=` spells them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blockers: Vec<String>,
    /// The path / port / move the deciding request was about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    /// Set when a mount of the profile decides the prediction (no Landlock right is involved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount: Option<MountDecision>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deciding: Vec<DecidingRule>,
    pub explanation: String,
    /// Filled by calibration against the scenario.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calibration: Option<Calibration>,
    /// Whether the scenario verdict matched the prediction (`None`: nothing to compare).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agrees: Option<bool>,
    #[serde(default)]
    pub control: bool,
}

impl OracleRecord {
    /// `deny EACCES`, `allow`, `dependency_denied EACCES`: how people read a decision.
    pub fn decision_text(&self) -> String {
        match &self.errno {
            Some(e) => format!("{} {}", self.prediction.as_str(), e.name),
            None => self.prediction.as_str().to_string(),
        }
    }
}
