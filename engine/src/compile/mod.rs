//! compile: profile IR → backend artifacts, with a fidelity verdict per rule.
//!
//! The contract between the backends and the runner ([`contract`]):
//! - `linux::CompiledProfile` is deterministic and world-specific but run-independent: paths under
//!   the scratch root stay written as `{scratch}/...`, so the same profile compiles to the same
//!   bytes on every run of the same world.
//! - [`SandboxPlan::prepare`] (in the worker, before fork) resolves `{scratch}`, opens path fds
//!   and builds the ruleset and BPF program; [`AppliedInChild`] (in the child, after fork)
//!   makes raw syscalls only.

use serde::{Deserialize, Serialize};

use crate::model::BlockedReason;
// Compile reports fidelity; the types live in `model` so the SBPL checker and the bundle
// vocabulary, which sit below compile, share them.
pub use crate::model::{Fidelity, RuleFidelity};

pub(crate) mod contract;
pub mod linux;
pub mod seatbelt;

pub use contract::{AppliedInChild, ApplyFailure, NotPrepared, ProfileSandbox, SandboxPlan};
/// Why a compiled profile cannot be applied in this world.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocked {
    pub reason: BlockedReason,
    /// Names the rule and its source location.
    pub detail: String,
}
