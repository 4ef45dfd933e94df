//! The Linux backend as the runner sees it (the [`crate::compile::contract`]): a compiled
//! profile that a worker prepares before the fork and a child applies after it, optionally
//! with the observer's audit log flags.

use std::path::Path;

use super::{CompiledProfile, PreparedSandbox};
use crate::compile::{AppliedInChild, ApplyFailure, NotPrepared, ProfileSandbox, SandboxPlan};
use crate::model::MountDecision;

/// `LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON` (ABI 7): keep logging denials after execve, so the
/// observer sees what an exec probe's loader and program were denied.
pub const LOG_NEW_EXEC_ON: u32 = crate::sys::landlock::RESTRICT_SELF_LOG_NEW_EXEC_ON;

pub struct LinuxSandbox {
    pub compiled: CompiledProfile,
    /// Extra `landlock_restrict_self` flags (0, or the observer's log flags on ABI ≥ 7).
    pub log_flags: u32,
}

impl SandboxPlan for LinuxSandbox {
    fn prepare(&self, scratch: &Path) -> Result<Box<dyn AppliedInChild>, NotPrepared> {
        let mut prepared =
            PreparedSandbox::prepare(&self.compiled, scratch).map_err(|f| NotPrepared {
                reason: f.reason,
                errno: (f.errno != 0).then_some(f.errno),
                detail: format!("{}: {}", f.step, f.detail),
            })?;
        if prepared.has_landlock() {
            prepared.add_restrict_flags(self.log_flags);
        }
        Ok(Box::new(prepared))
    }
}

impl AppliedInChild for PreparedSandbox {
    fn enter_namespaces(&self, own_pid_namespace: bool) -> Result<(), ApplyFailure> {
        PreparedSandbox::enter_namespaces(self, own_pid_namespace)
    }
    fn mount_decision(&self, errno: i32, paths: &[&str], exec: bool) -> Option<MountDecision> {
        PreparedSandbox::mount_decision(self, errno, paths, exec)
    }
    fn apply_domain(&self) -> Result<(), ApplyFailure> {
        PreparedSandbox::apply_domain(self)
    }
    fn apply_filters(&self) -> Result<(), ApplyFailure> {
        PreparedSandbox::apply_filters(self)
    }
}

/// What the runner gets for a compiled profile: blocked at compile, or ready to prepare.
pub fn sandbox_for(compiled: &CompiledProfile) -> ProfileSandbox {
    sandbox_with_log_flags(compiled, 0)
}

/// Like [`sandbox_for`], with extra `landlock_restrict_self` flags (the observer's log flags).
pub fn sandbox_with_log_flags(compiled: &CompiledProfile, log_flags: u32) -> ProfileSandbox {
    match &compiled.blocked {
        Some(b) => ProfileSandbox::Blocked(b.clone()),
        None => ProfileSandbox::Ready(Box::new(LinuxSandbox {
            compiled: compiled.clone(),
            log_flags,
        })),
    }
}
