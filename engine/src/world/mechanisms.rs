//! Availability of the mechanisms other than Landlock: seccomp filters and the audit netlink.

use serde::{Deserialize, Serialize};

use crate::sys::{seccomp, socket};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeccompFacts {
    /// `prctl(PR_GET_SECCOMP)` works (CONFIG_SECCOMP).
    pub available: bool,
    /// Filter mode with `SECCOMP_RET_ERRNO`, the only action xpr emits, is supported.
    pub filter_errno: bool,
}

impl SeccompFacts {
    pub(crate) fn detect() -> SeccompFacts {
        SeccompFacts {
            available: seccomp::available(),
            filter_errno: seccomp::action_available(seccomp::RET_ERRNO),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFacts {
    /// An audit netlink socket can be opened (recorded for the observer lane, never required).
    pub netlink: bool,
}

impl AuditFacts {
    pub(crate) fn detect() -> AuditFacts {
        let netlink = socket::socket(libc::AF_NETLINK, libc::SOCK_RAW, libc::NETLINK_AUDIT).is_ok();
        AuditFacts { netlink }
    }
}
