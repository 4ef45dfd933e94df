//! Availability of the mechanisms other than Landlock: seccomp filters and the audit netlink.

use serde::{Deserialize, Serialize};

const SECCOMP_GET_ACTION_AVAIL: libc::c_ulong = 2;
const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeccompFacts {
    /// `prctl(PR_GET_SECCOMP)` works (CONFIG_SECCOMP).
    pub available: bool,
    /// Filter mode with `SECCOMP_RET_ERRNO`, the only action xpr emits, is supported.
    pub filter_errno: bool,
}

impl SeccompFacts {
    pub fn detect() -> SeccompFacts {
        // SAFETY: integer-only prctl.
        let available = unsafe { libc::prctl(libc::PR_GET_SECCOMP, 0, 0, 0, 0) } >= 0;
        let action = SECCOMP_RET_ERRNO;
        // SAFETY: the kernel reads one u32 from a live local.
        let filter_errno = unsafe {
            libc::syscall(
                libc::SYS_seccomp,
                SECCOMP_GET_ACTION_AVAIL,
                0,
                &action as *const u32,
            )
        } == 0;
        SeccompFacts {
            available,
            filter_errno,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFacts {
    /// An audit netlink socket can be opened (recorded for the observer lane, never required).
    pub netlink: bool,
}

impl AuditFacts {
    pub fn detect() -> AuditFacts {
        // SAFETY: socket() with integer arguments; the fd is closed right away.
        let netlink = unsafe {
            let fd = libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                libc::NETLINK_AUDIT,
            );
            if fd >= 0 {
                libc::close(fd);
            }
            fd >= 0
        };
        AuditFacts { netlink }
    }
}
