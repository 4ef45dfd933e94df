//! What the runner needs from a backend: a profile that a worker prepares before forking
//! (may allocate, open fds) and a child applies after the fork (raw syscalls only).

use std::path::Path;

use crate::compile::{ApplyFailure, Blocked};

/// A sandbox ready to attach to the calling process.
pub trait AppliedInChild {
    /// Runs in the forked child: raw syscalls only, no allocation, no locks.
    fn apply(&self) -> Result<(), ApplyFailure>;
}

/// A compiled profile a worker can prepare for this run's scratch root.
pub trait SandboxPlan {
    /// Runs in the worker before the fork; `Err` makes the apply stage `blocked`.
    fn prepare(&self, scratch: &Path) -> Result<Box<dyn AppliedInChild>, Blocked>;
}

/// The runner's view of one profile of the experiment.
pub enum ProfileSandbox {
    /// Compile already decided this profile cannot be applied in this world.
    Blocked(Blocked),
    Ready(Box<dyn SandboxPlan>),
}
