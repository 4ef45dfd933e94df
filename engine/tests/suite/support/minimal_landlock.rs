//! A hand-built Landlock sandbox for runner tests: rights and rules given directly, without a
//! profile or compile, through the engine's own system-call layer and backend contract.

use std::ffi::CString;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

use xpr::compile::{AppliedInChild, ApplyFailure, NotPrepared, SandboxPlan};
use xpr::model::BlockedReason;
use xpr::sys::errno::raw;
use xpr::sys::landlock::{self, RulesetAttr};

/// Every fs right of ABI 5..=7 (bits 0..=15).
pub const FS_ALL_V5: u64 = landlock::ACCESS_FS_IOCTL_DEV * 2 - 1;

#[derive(Clone, Debug, Default)]
pub struct MinimalLandlock {
    pub handled_fs: u64,
    /// Paths may start with `{scratch}`.
    pub fs_rules: Vec<(String, u64)>,
    pub handled_net: u64,
    pub net_rules: Vec<(u64, u64)>,
    pub scoped: u64,
    pub restrict_flags: u32,
}

struct PreparedRuleset {
    ruleset: OwnedFd,
    flags: u32,
}

fn blocked(step: &str, e: std::io::Error) -> NotPrepared {
    let errno = raw(&e);
    NotPrepared {
        errno: Some(errno),
        reason: if errno == libc::ENOSYS || errno == libc::EOPNOTSUPP {
            BlockedReason::MechanismUnavailable
        } else {
            BlockedReason::ApplyError
        },
        detail: format!("{step}: {e}"),
    }
}

impl SandboxPlan for MinimalLandlock {
    fn prepare(&self, scratch: &Path) -> Result<Box<dyn AppliedInChild>, NotPrepared> {
        let ruleset = landlock::create_ruleset(&RulesetAttr {
            handled_access_fs: self.handled_fs,
            handled_access_net: self.handled_net,
            scoped: self.scoped,
        })
        .map_err(|e| blocked("landlock_create_ruleset", e))?;
        let scratch = scratch.to_string_lossy();
        for (path, access) in &self.fs_rules {
            let real = CString::new(path.replace("{scratch}", &scratch)).unwrap();
            let fd = landlock::open_rule_path(&real).map_err(|e| NotPrepared {
                errno: Some(raw(&e)),
                reason: BlockedReason::NotApplicableInWorld,
                detail: format!("rule path `{path}` cannot be opened: {e}"),
            })?;
            landlock::add_path_rule(ruleset.as_fd(), *access, fd.as_fd())
                .map_err(|e| blocked("landlock_add_rule", e))?;
        }
        for &(port, access) in &self.net_rules {
            landlock::add_port_rule(ruleset.as_fd(), access, port)
                .map_err(|e| blocked("landlock_add_rule", e))?;
        }
        Ok(Box::new(PreparedRuleset {
            ruleset,
            flags: self.restrict_flags,
        }))
    }
}

impl AppliedInChild for PreparedRuleset {
    fn apply_domain(&self) -> Result<(), ApplyFailure> {
        let fail = |e: std::io::Error, step| ApplyFailure {
            reason: BlockedReason::ApplyError,
            errno: raw(&e),
            step,
        };
        landlock::set_no_new_privs().map_err(|e| fail(e, "prctl(PR_SET_NO_NEW_PRIVS)"))?;
        landlock::restrict_self(self.ruleset.as_fd(), self.flags)
            .map_err(|e| fail(e, "landlock_restrict_self"))
    }

    fn apply_filters(&self) -> Result<(), ApplyFailure> {
        Ok(())
    }
}
