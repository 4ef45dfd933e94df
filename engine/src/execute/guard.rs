//! The host guard: the Landlock layer every exec probe's command (and everything it starts)
//! runs inside, in every lane, below the profile's layers. It is the harness, not the world:
//! built from the host's own ABI whatever `--landlock-abi` says, and never part of a plan.
//!
//! It handles every right that changes the filesystem (write, truncate, make, remove, refer,
//! device ioctls) and grants them only beneath the scratch root and on `/dev/null`; where the
//! kernel has `scope.signal` (ABI 6) it also keeps signals inside the run. The command's own
//! PID namespace (see `child`) makes every other process unaddressable and ends its
//! descendants with it. Denials of the guard alone are not logged (ABI 7), so an observer
//! never reads them as the profile's.

use std::ffi::CString;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::compile::{ApplyFailure, NotPrepared};
use crate::model::BlockedReason;
use crate::sys::errno::raw;
use crate::sys::landlock::{self, RulesetAttr};
use crate::world::landlock_rights::{RightKind, abi_mask};

/// The filesystem rights the guard handles (those the host's ABI knows are used).
const GUARDED_FS: u64 = landlock::ACCESS_FS_WRITE_FILE
    | landlock::ACCESS_FS_REMOVE_DIR
    | landlock::ACCESS_FS_REMOVE_FILE
    | landlock::ACCESS_FS_MAKE_CHAR
    | landlock::ACCESS_FS_MAKE_DIR
    | landlock::ACCESS_FS_MAKE_REG
    | landlock::ACCESS_FS_MAKE_SOCK
    | landlock::ACCESS_FS_MAKE_FIFO
    | landlock::ACCESS_FS_MAKE_BLOCK
    | landlock::ACCESS_FS_MAKE_SYM
    | landlock::ACCESS_FS_REFER
    | landlock::ACCESS_FS_TRUNCATE
    | landlock::ACCESS_FS_IOCTL_DEV;

/// What the harness itself needs on `/dev/null` (`>/dev/null` opens with O_TRUNC).
const DEV_NULL_RIGHTS: u64 =
    landlock::ACCESS_FS_WRITE_FILE | landlock::ACCESS_FS_TRUNCATE | landlock::ACCESS_FS_IOCTL_DEV;

/// Prefix of every detail the guard writes into a record.
pub(crate) const GUARD: &str = "host guard";

/// The guard's ruleset, prepared in the worker for this run's scratch root.
#[derive(Debug)]
pub(crate) struct HostGuard {
    ruleset: OwnedFd,
    flags: u32,
}

fn unavailable(step: &str, e: &std::io::Error) -> NotPrepared {
    let errno = raw(e);
    NotPrepared {
        reason: match errno {
            libc::ENOSYS | libc::EOPNOTSUPP => BlockedReason::MechanismUnavailable,
            _ => BlockedReason::ApplyError,
        },
        errno: Some(errno),
        detail: format!(
            "{GUARD}: {step} failed: {}; a command an experiment chose runs only inside the \
             host guard (Landlock)",
            crate::world::errno_name(errno)
        ),
    }
}

impl HostGuard {
    pub(crate) fn prepare(scratch: &Path) -> Result<HostGuard, NotPrepared> {
        let abi = landlock::query(landlock::CREATE_RULESET_VERSION)
            .map_err(|e| unavailable("landlock_create_ruleset (version)", &e))?;
        let handled = GUARDED_FS & abi_mask(RightKind::Fs, abi);
        let mut attr = RulesetAttr {
            handled_access_fs: handled,
            handled_access_net: 0,
            scoped: if abi >= 6 { landlock::SCOPE_SIGNAL } else { 0 },
        };
        // Some kernels claim ABI 6 without the signal scope: the PID namespace still keeps
        // signals inside the run there.
        let ruleset = match landlock::create_ruleset(&attr) {
            Err(e) if raw(&e) == libc::EINVAL && attr.scoped != 0 => {
                attr.scoped = 0;
                landlock::create_ruleset(&attr)
            }
            other => other,
        }
        .map_err(|e| unavailable("landlock_create_ruleset", &e))?;
        let dir_only = crate::world::landlock_rights::dir_only_fs_mask();
        for (path, rights) in [
            (scratch, handled),
            (
                Path::new("/dev/null"),
                DEV_NULL_RIGHTS & handled & !dir_only,
            ),
        ] {
            let c = CString::new(path.as_os_str().as_bytes())
                .map_err(|_| unavailable("open(O_PATH)", &libc_error(libc::EINVAL)))?;
            let fd = landlock::open_rule_path(&c).map_err(|e| unavailable("open(O_PATH)", &e))?;
            landlock::add_path_rule(ruleset.as_fd(), rights, fd.as_fd())
                .map_err(|e| unavailable("landlock_add_rule", &e))?;
        }
        Ok(HostGuard {
            ruleset,
            // ABI 7: the guard's own denials are not logged; the profile's layers log theirs.
            flags: if abi >= 7 {
                landlock::RESTRICT_SELF_LOG_SAME_EXEC_OFF
            } else {
                0
            },
        })
    }

    /// In the exec probe's init, before the profile's layers: NO_NEW_PRIVS and the guard
    /// layer. Raw syscalls only.
    pub(crate) fn apply(&self) -> Result<(), ApplyFailure> {
        let fail = |e: std::io::Error, step| ApplyFailure {
            reason: BlockedReason::ApplyError,
            errno: raw(&e),
            step,
        };
        landlock::set_no_new_privs().map_err(|e| fail(e, "prctl(PR_SET_NO_NEW_PRIVS)"))?;
        landlock::restrict_self(self.ruleset.as_fd(), self.flags)
            .map_err(|e| fail(e, "host guard: landlock_restrict_self"))
    }
}

fn libc_error(errno: i32) -> std::io::Error {
    std::io::Error::from_raw_os_error(errno)
}
