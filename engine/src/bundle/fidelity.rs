//! `compiled/<profile>.fidelity.json` (`xpr.fidelity.v1`): how faithfully each rule of the
//! runtime profile compiles in this world.

use serde::{Deserialize, Serialize};

use crate::model::RuleFidelity;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FidelityReport {
    pub profile: String,
    /// One entry per runtime-profile rule, plus the default action (`rule: null`).
    pub rules: Vec<RuleFidelity>,
}
