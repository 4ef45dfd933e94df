//! The mount mechanism of this world: whether this process can build a private mount
//! namespace (the new mount API included), whether the run chose not to use it
//! (`--mechanism landlock`), and what the host allows of user namespaces, the way an
//! unprivileged sandbox (bubblewrap, as Codex and sandbox-runtime run it) would get one.

use serde::{Deserialize, Serialize};

use crate::model::BlockedReason;
use crate::sys::errno::raw;
use crate::sys::process::{self, Forked, WaitStatus};
use crate::sys::{mount, namespace};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MountStatus {
    /// A private mount namespace with read-only binds and tmpfs mounts works here.
    Available,
    /// It does not (no CAP_SYS_ADMIN, no new mount API): see `detail`.
    Unavailable,
    /// Available, but this run uses Landlock and seccomp only (`--mechanism landlock`).
    #[default]
    Disabled,
}

/// What the host allows of user namespaces (each `None` where the sysctl does not exist).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserNamespaceFacts {
    /// `user.max_user_namespaces` (0: none can be created).
    pub max_user_namespaces: Option<u64>,
    /// `kernel.unprivileged_userns_clone` (Debian's switch for unprivileged user namespaces).
    pub unprivileged_userns_clone: Option<bool>,
    /// `kernel.apparmor_restrict_unprivileged_userns` (Ubuntu 23.10+: unconfined programs get
    /// a user namespace without capabilities).
    pub apparmor_restrict_unprivileged_userns: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountFacts {
    pub status: MountStatus,
    /// Why it is unavailable (the failing step and errno).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub user_namespaces: UserNamespaceFacts,
}

fn sysctl(path: &str) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

impl UserNamespaceFacts {
    pub(crate) fn detect() -> UserNamespaceFacts {
        UserNamespaceFacts {
            max_user_namespaces: sysctl("/proc/sys/user/max_user_namespaces"),
            unprivileged_userns_clone: sysctl("/proc/sys/kernel/unprivileged_userns_clone")
                .map(|v| v != 0),
            apparmor_restrict_unprivileged_userns: sysctl(
                "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
            )
            .map(|v| v != 0),
        }
    }
}

/// Child exit codes: which step of the probe failed (the errno follows on the pipe).
const STEPS: &[&str] = &[
    "unshare(CLONE_NEWNS)",
    "mount(/, MS_REC|MS_PRIVATE)",
    "fsopen/fsmount(tmpfs)",
];

impl MountFacts {
    /// Probes in a forked child (the engine's own namespace is never touched). `use_mounts`:
    /// false for a run that chose Landlock only.
    pub(crate) fn detect(use_mounts: bool) -> MountFacts {
        let user_namespaces = UserNamespaceFacts::detect();
        let (status, detail) = match probe() {
            Err(detail) => (MountStatus::Unavailable, Some(detail)),
            Ok(()) if use_mounts => (MountStatus::Available, None),
            Ok(()) => (MountStatus::Disabled, None),
        };
        MountFacts {
            status,
            detail,
            user_namespaces,
        }
    }

    /// Whether compile hands carves to mounts in this world.
    pub fn usable(&self) -> bool {
        self.status == MountStatus::Available
    }

    /// Why a carve cannot use the mount mechanism here (`None` when it can).
    pub(crate) fn unused(&self) -> Option<(BlockedReason, String)> {
        match self.status {
            MountStatus::Available => None,
            MountStatus::Disabled => Some((
                BlockedReason::NotApplicableInWorld,
                "the mount mechanism, which expresses it, is not used in this world \
                 (--mechanism landlock)"
                    .to_string(),
            )),
            MountStatus::Unavailable => Some((
                BlockedReason::MechanismUnavailable,
                format!(
                    "the mount mechanism, which expresses it, is unavailable here: {}",
                    self.detail.as_deref().unwrap_or("unknown")
                ),
            )),
        }
    }
}

/// In a forked child: a private mount namespace and a tmpfs built with the new mount API.
fn probe() -> Result<(), String> {
    let (rd, wr) = crate::sys::fd::pipe().map_err(|e| format!("pipe: {e}"))?;
    // SAFETY (the child's body is below): it makes raw syscalls and leaves with _exit.
    let pid = match unsafe { process::fork() }.map_err(|e| format!("fork: {e}"))? {
        Forked::Child => {
            let step = (|| {
                namespace::unshare(libc::CLONE_NEWNS).map_err(|e| (0u8, e))?;
                namespace::make_mounts_private().map_err(|e| (1, e))?;
                mount::new_tmpfs().map_err(|e| (2, e))?;
                Ok::<(), (u8, std::io::Error)>(())
            })();
            if let Err((step, e)) = step {
                let mut buf = [0u8; 5];
                buf[0] = step;
                buf[1..].copy_from_slice(&raw(&e).to_le_bytes());
                let _ = crate::sys::fd::write_all(std::os::fd::AsRawFd::as_raw_fd(&wr), &buf);
                process::exit(1);
            }
            process::exit(0)
        }
        Forked::Parent(pid) => pid,
    };
    drop(wr);
    let mut buf = [0u8; 5];
    let failed = crate::sys::fd::read_exact(std::os::fd::AsRawFd::as_raw_fd(&rd), &mut buf);
    let status = process::wait(pid).map_err(|e| format!("wait: {e}"))?.1;
    match (failed, status) {
        (Ok(true), _) => {
            let errno = i32::from_le_bytes(buf[1..].try_into().unwrap_or([0; 4]));
            Err(format!(
                "{} failed: {}{}",
                STEPS.get(buf[0] as usize).copied().unwrap_or("?"),
                super::errno_name(errno),
                if errno == libc::EPERM {
                    " (a mount namespace needs CAP_SYS_ADMIN)"
                } else {
                    ""
                }
            ))
        }
        (_, WaitStatus::Exited(0)) => Ok(()),
        (_, other) => Err(format!("the probe process ended with {other:?}")),
    }
}
