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

/// A mechanism that enforces rules in a world: Landlock and seccomp (allow-lists and syscall
/// classes), the mount namespace (carve-outs: read-only and hidden subtrees), Seatbelt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mechanism {
    Landlock,
    Seccomp,
    Mount,
    Seatbelt,
}

impl Mechanism {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Mechanism::Landlock => "landlock",
            Mechanism::Seccomp => "seccomp",
            Mechanism::Mount => "mount",
            Mechanism::Seatbelt => "seatbelt",
        }
    }
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
    /// The mechanisms that enforce the rule here, sorted (empty: nothing enforces it, e.g. an
    /// allow of what is never restricted, or an unsupported rule).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mechanisms: Vec<Mechanism>,
}
