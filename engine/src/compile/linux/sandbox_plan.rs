//! The Linux backend as the runner sees it: a compiled profile that a worker prepares before
//! the fork and a child applies after it, optionally with the observer's audit log flags.

use std::path::Path;

use super::{CompiledProfile, PreparedSandbox};
use crate::execute::{AppliedInChild, NotPrepared, SandboxPlan};

/// `LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON` (ABI 7): keep logging denials after execve, so the
/// observer sees what an exec probe's loader and program were denied.
pub const LOG_NEW_EXEC_ON: u32 = 1 << 1;

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
