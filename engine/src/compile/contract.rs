//! The contract between the backends and the runner: a compiled profile that a worker
//! prepares before it forks (may allocate, open fds) and a child applies after the fork (raw
//! system calls only: no allocation, no locks).
//!
//! Apply has two parts because an exec probe's init applies the Landlock domain before it
//! starts the command (so the domain's creator is a process the runner knows: audit records
//! name it), while filters that could stop the init from starting it (a seccomp deny of
//! `fork`) are applied by the command's own process, just before `execve`.

use std::path::Path;

use crate::model::BlockedReason;

use super::Blocked;

/// Errno and step of a failed apply in the child.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApplyFailure {
    pub reason: BlockedReason,
    pub errno: i32,
    pub step: &'static str,
}

/// A sandbox ready to attach to the calling process.
pub trait AppliedInChild {
    /// What the calling process and every process it starts afterwards inherit (NO_NEW_PRIVS,
    /// the Landlock layers).
    fn apply_domain(&self) -> Result<(), ApplyFailure>;
    /// The rest (a seccomp filter), applied by the process that then runs the probe.
    fn apply_filters(&self) -> Result<(), ApplyFailure>;
    /// Both parts, in order: what a process that runs the probe itself applies.
    fn apply(&self) -> Result<(), ApplyFailure> {
        self.apply_domain()?;
        self.apply_filters()
    }
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
