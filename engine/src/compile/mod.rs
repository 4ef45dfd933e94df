//! compile: profile IR → backend artifacts, with a fidelity verdict per rule.
//!
//! The contract between the backends and the runner:
//! - [`CompiledProfile`] is deterministic and world-specific but run-independent: paths under
//!   the scratch root stay written as `{scratch}/...`, so the same profile compiles to the same
//!   bytes on every run of the same world.
//! - `linux::PreparedSandbox::prepare` (in the worker, before fork) resolves `{scratch}`, opens
//!   path fds and builds the ruleset and BPF program; `PreparedSandbox::apply` (in the child,
//!   after fork) makes raw syscalls only.

use serde::{Deserialize, Serialize};

use crate::model::BlockedReason;
// Compile reports fidelity; the types live in `model` so the SBPL checker and the bundle
// vocabulary, which sit below compile, share them.
pub use crate::model::{Fidelity, RuleFidelity};

pub mod linux;
pub mod seatbelt;

/// Why a compiled profile cannot be applied in this world.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocked {
    pub reason: BlockedReason,
    /// Names the rule and its source location.
    pub detail: String,
}

/// Errno and step of a failed apply in the child.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApplyFailure {
    pub reason: BlockedReason,
    pub errno: i32,
    pub step: &'static str,
}
