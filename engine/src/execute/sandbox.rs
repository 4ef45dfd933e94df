//! What the runner needs from a backend: a profile that a worker prepares before forking
//! (may allocate, open fds) and a child applies after the fork (raw syscalls only).

use std::path::Path;

use crate::compile::{ApplyFailure, Blocked};
use crate::model::BlockedReason;

/// A sandbox ready to attach to the calling process.
pub trait AppliedInChild {
    /// Runs in the forked child: raw syscalls only, no allocation, no locks.
    fn apply(&self) -> Result<(), ApplyFailure>;
}

/// A compiled profile a worker can prepare for this run's scratch root.
pub trait SandboxPlan {
    /// Runs in the worker before the fork; `Err` makes the apply stage `blocked`.
    fn prepare(&self, scratch: &Path) -> Result<Box<dyn AppliedInChild>, NotPrepared>;
}

/// Why a worker could not prepare a profile: the apply stage's blocked reason, the errno of the
/// failed setup syscall (if one failed) and a detail naming the rule or path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotPrepared {
    pub reason: BlockedReason,
    pub errno: Option<i32>,
    pub detail: String,
}

impl From<Blocked> for NotPrepared {
    fn from(b: Blocked) -> NotPrepared {
        NotPrepared {
            reason: b.reason,
            errno: None,
            detail: b.detail,
        }
    }
}

/// The runner's view of one profile of the experiment.
pub enum ProfileSandbox {
    /// Compile already decided this profile cannot be applied in this world.
    Blocked(Blocked),
    Ready(Box<dyn SandboxPlan>),
}
