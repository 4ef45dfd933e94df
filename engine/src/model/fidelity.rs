//! How faithfully a world can enforce one rule of a profile: what compile reports per rule,
//! what the SBPL checker prints and what the vocabulary of a bundle records.

use serde::{Deserialize, Serialize};

use super::Origin;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fidelity {
    Exact,
    Approximate,
    Unsupported,
}

/// The fidelity of one IR rule in one world.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleFidelity {
    /// Index into the runtime profile's rules (`None` for the default action).
    pub rule: Option<usize>,
    pub origin: Origin,
    /// The rule in SBPL notation, for people.
    pub text: String,
    pub fidelity: Fidelity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}
