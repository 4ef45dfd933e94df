//! A minimal raw Landlock ruleset (handled rights, path and port rules, scopes), used by the
//! runner's own tests and benchmark before and beside the full backend: it exercises the real
//! kernel through the same prepare (worker) / apply (child) split.

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;

use crate::compile::ApplyFailure;
use crate::model::BlockedReason;

use super::sandbox::{AppliedInChild, NotPrepared, SandboxPlan};

pub const FS_EXECUTE: u64 = 1 << 0;
pub const FS_WRITE_FILE: u64 = 1 << 1;
pub const FS_READ_FILE: u64 = 1 << 2;
pub const FS_READ_DIR: u64 = 1 << 3;
pub const FS_REMOVE_DIR: u64 = 1 << 4;
pub const FS_REMOVE_FILE: u64 = 1 << 5;
pub const FS_MAKE_DIR: u64 = 1 << 7;
pub const FS_MAKE_REG: u64 = 1 << 8;
pub const FS_REFER: u64 = 1 << 13;
pub const FS_TRUNCATE: u64 = 1 << 14;
pub const FS_IOCTL_DEV: u64 = 1 << 15;
/// Every fs right of ABI 5..=7 (bits 0..=15).
pub const FS_ALL_V5: u64 = (1 << 16) - 1;
pub const NET_BIND_TCP: u64 = 1 << 0;
pub const NET_CONNECT_TCP: u64 = 1 << 1;
pub const SCOPE_ABSTRACT_UNIX: u64 = 1 << 0;
pub const SCOPE_SIGNAL: u64 = 1 << 1;

const RULE_PATH_BENEATH: libc::c_int = 1;
const RULE_NET_PORT: libc::c_int = 2;
const CREATE_RULESET_VERSION: u32 = 1;

#[repr(C)]
struct RulesetAttr {
    handled_access_fs: u64,
    handled_access_net: u64,
    scoped: u64,
}

#[repr(C, packed)]
struct PathBeneathAttr {
    allowed_access: u64,
    parent_fd: i32,
}

#[repr(C)]
struct NetPortAttr {
    allowed_access: u64,
    port: u64,
}

/// The running kernel's Landlock ABI (0 when Landlock is unavailable).
pub fn abi_version() -> i32 {
    // SAFETY: the version query takes no attr.
    let v = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<RulesetAttr>(),
            0usize,
            CREATE_RULESET_VERSION,
        )
    };
    v.max(0) as i32
}

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

pub struct PreparedRuleset {
    ruleset: OwnedFd,
    flags: u32,
}

fn errno() -> i32 {
    crate::probes::helper_errno()
}

fn blocked(step: &str, e: i32) -> NotPrepared {
    NotPrepared {
        errno: Some(e),
        reason: if e == libc::ENOSYS || e == libc::EOPNOTSUPP {
            BlockedReason::MechanismUnavailable
        } else {
            BlockedReason::ApplyError
        },
        detail: format!("{step}: {}", crate::world::errno_name(e)),
    }
}

impl SandboxPlan for MinimalLandlock {
    fn prepare(&self, scratch: &Path) -> Result<Box<dyn AppliedInChild>, NotPrepared> {
        let attr = RulesetAttr {
            handled_access_fs: self.handled_fs,
            handled_access_net: self.handled_net,
            scoped: self.scoped,
        };
        // SAFETY: creating a ruleset from a struct we own; the fd is owned from here on.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_landlock_create_ruleset,
                &attr as *const RulesetAttr,
                std::mem::size_of::<RulesetAttr>(),
                0u32,
            )
        };
        if fd < 0 {
            return Err(blocked("landlock_create_ruleset", errno()));
        }
        // SAFETY: fd was just returned by the kernel.
        let ruleset = unsafe { OwnedFd::from_raw_fd(fd as i32) };
        let scratch = scratch.to_string_lossy();
        for (path, access) in &self.fs_rules {
            let real = path.replace("{scratch}", &scratch);
            let c = CString::new(real.clone()).map_err(|_| blocked("path", libc::EINVAL))?;
            // SAFETY: O_PATH open of a NUL-terminated path.
            let pfd = unsafe { libc::open(c.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
            if pfd < 0 {
                return Err(NotPrepared {
                    errno: Some(errno()),
                    reason: BlockedReason::NotApplicableInWorld,
                    detail: format!(
                        "rule path `{path}` cannot be opened: {}",
                        crate::world::errno_name(errno())
                    ),
                });
            }
            // SAFETY: pfd was just opened.
            let pfd = unsafe { OwnedFd::from_raw_fd(pfd) };
            let rule = PathBeneathAttr {
                allowed_access: *access,
                parent_fd: pfd.as_raw_fd(),
            };
            // SAFETY: adding a rule from a struct we own.
            let r = unsafe {
                libc::syscall(
                    libc::SYS_landlock_add_rule,
                    ruleset.as_raw_fd(),
                    RULE_PATH_BENEATH,
                    &rule as *const PathBeneathAttr,
                    0u32,
                )
            };
            if r != 0 {
                return Err(blocked("landlock_add_rule", errno()));
            }
        }
        for &(port, access) in &self.net_rules {
            let rule = NetPortAttr {
                allowed_access: access,
                port,
            };
            // SAFETY: adding a rule from a struct we own.
            let r = unsafe {
                libc::syscall(
                    libc::SYS_landlock_add_rule,
                    ruleset.as_raw_fd(),
                    RULE_NET_PORT,
                    &rule as *const NetPortAttr,
                    0u32,
                )
            };
            if r != 0 {
                return Err(blocked("landlock_add_rule", errno()));
            }
        }
        Ok(Box::new(PreparedRuleset {
            ruleset,
            flags: self.restrict_flags,
        }))
    }
}

impl AppliedInChild for PreparedRuleset {
    fn apply(&self) -> Result<(), ApplyFailure> {
        // SAFETY: raw syscalls only.
        unsafe {
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                return Err(ApplyFailure {
                    reason: BlockedReason::ApplyError,
                    errno: errno(),
                    step: "prctl(PR_SET_NO_NEW_PRIVS)",
                });
            }
            if libc::syscall(
                libc::SYS_landlock_restrict_self,
                self.ruleset.as_raw_fd(),
                self.flags,
            ) != 0
            {
                return Err(ApplyFailure {
                    reason: BlockedReason::ApplyError,
                    errno: errno(),
                    step: "landlock_restrict_self",
                });
            }
        }
        Ok(())
    }
}
