//! The contract between the backends and the runner: a compiled profile that a worker
//! prepares before it forks (may allocate, open fds) and a child applies after the fork (raw
//! system calls only: no allocation, no locks).
//!
//! Apply has three parts. The namespaces (the profile's mount namespace) come first, before
//! anything restricts the process. An exec probe's init then applies the Landlock domain
//! before it starts the command (so the domain's creator is a process the runner knows: audit
//! records name it), while filters that could stop the init from starting it (a seccomp deny
//! of `fork`) are applied by the command's own process, just before `execve`.

use std::path::Path;

use crate::model::{BlockedReason, MountDecision};

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
    /// Moves the calling process into the sandbox's namespaces (none by default).
    /// `own_pid_namespace`: the caller is pid 1 of a PID namespace of its own (a command's
    /// init), whose view of `/proc` can be its own.
    fn enter_namespaces(&self, own_pid_namespace: bool) -> Result<(), ApplyFailure> {
        let _ = own_pid_namespace;
        Ok(())
    }
    /// What the calling process and every process it starts afterwards inherit (NO_NEW_PRIVS,
    /// the Landlock layers).
    fn apply_domain(&self) -> Result<(), ApplyFailure>;
    /// The rest (a seccomp filter), applied by the process that then runs the probe.
    fn apply_filters(&self) -> Result<(), ApplyFailure>;
    /// Every part, in order: what a process that runs the probe itself applies.
    fn apply(&self) -> Result<(), ApplyFailure> {
        self.enter_namespaces(false)?;
        self.apply_domain()?;
        self.apply_filters()
    }
    /// Whether a mount of this sandbox explains an operation on `paths` (host paths: the
    /// target, a move's destination) failing with `errno`; `exec`: the operation was an
    /// execve. Read by the worker, never in the child.
    fn mount_decision(&self, errno: i32, paths: &[&str], exec: bool) -> Option<MountDecision> {
        let _ = (errno, paths, exec);
        None
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
