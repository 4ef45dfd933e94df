//! `vocabulary.json` (`xpr.vocabulary.v1`): what the world can express.
//!
//! The runner writes it from the compiled world vocabulary; `xpr diff` reports an operation or
//! family whose status differs between two worlds.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::Fidelity;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vocabulary {
    /// Operation name → how this world's backend can enforce it.
    pub operations: BTreeMap<String, Fidelity>,
    /// Probe family name → whether its probes run in this world.
    pub families: BTreeMap<String, FamilyStatus>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FamilyStatus {
    Applicable,
    NotApplicable,
}

impl FamilyStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            FamilyStatus::Applicable => "applicable",
            FamilyStatus::NotApplicable => "not_applicable",
        }
    }
}

/// The artifact spelling of a fidelity (`exact`, `approximate`, `unsupported`).
pub(crate) fn fidelity_str(f: Fidelity) -> &'static str {
    match f {
        Fidelity::Exact => "exact",
        Fidelity::Approximate => "approximate",
        Fidelity::Unsupported => "unsupported",
    }
}
