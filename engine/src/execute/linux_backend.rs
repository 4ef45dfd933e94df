//! The Linux backend behind the runner's two traits: a compiled profile is prepared in the
//! worker (`PreparedSandbox::prepare`) and applied in the child (`PreparedSandbox::apply`).

use std::path::Path;

use crate::compile::ApplyFailure;
use crate::compile::linux::{CompiledProfile, PreparedSandbox};

use super::sandbox::{AppliedInChild, NotPrepared, ProfileSandbox, SandboxPlan};

impl SandboxPlan for CompiledProfile {
    fn prepare(&self, scratch: &Path) -> Result<Box<dyn AppliedInChild>, NotPrepared> {
        match PreparedSandbox::prepare(self, scratch) {
            Ok(p) => Ok(Box::new(p)),
            Err(f) => Err(NotPrepared {
                reason: f.reason,
                errno: (f.errno != 0).then_some(f.errno),
                detail: format!("{}: {}", f.step, f.detail),
            }),
        }
    }
}

impl AppliedInChild for PreparedSandbox {
    fn apply(&self) -> Result<(), ApplyFailure> {
        PreparedSandbox::apply(self)
    }
}

/// What the runner gets for a compiled profile: blocked at compile, or ready to prepare.
pub fn sandbox_for(compiled: &CompiledProfile) -> ProfileSandbox {
    match &compiled.blocked {
        Some(b) => ProfileSandbox::Blocked(b.clone()),
        None => ProfileSandbox::Ready(Box::new(compiled.clone())),
    }
}

/// Like [`sandbox_for`], with extra `landlock_restrict_self` flags (the observer's log flags).
pub fn sandbox_with_log_flags(compiled: &CompiledProfile, log_flags: u32) -> ProfileSandbox {
    match (&compiled.blocked, log_flags) {
        (None, flags) if flags != 0 => {
            ProfileSandbox::Ready(Box::new(crate::compile::linux::LinuxSandbox {
                compiled: compiled.clone(),
                log_flags: flags,
            }))
        }
        _ => sandbox_for(compiled),
    }
}
