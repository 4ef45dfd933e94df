//! Enabling audit for a run and putting it back: the previous `enabled` value is recorded when
//! the session starts and restored when it ends (drop), and also from a SIGINT/SIGTERM
//! handler, so a Ctrl-C never leaves the host's audit switched on.
//!
//! The handler only makes raw syscalls: it sends a prebuilt `AUDIT_SET` on a socket opened in
//! advance, then hands the signal to whatever handler was installed before (the runner's,
//! which stops the workers), or re-raises it with the default action.

use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicUsize, Ordering};

use super::netlink::{self, AuditStatus};

static RESTORE_FD: AtomicI32 = AtomicI32::new(-1);
static RESTORE_ENABLED: AtomicU32 = AtomicU32::new(0);
static PREVIOUS_SIGINT: AtomicUsize = AtomicUsize::new(libc::SIG_DFL);
static PREVIOUS_SIGTERM: AtomicUsize = AtomicUsize::new(libc::SIG_DFL);

extern "C" fn on_signal(sig: libc::c_int) {
    let fd = RESTORE_FD.load(Ordering::SeqCst);
    if fd >= 0 {
        // Built on the stack: no allocation in a signal handler.
        let payload = netlink::set_enabled_payload(RESTORE_ENABLED.load(Ordering::SeqCst));
        let mut msg = [0u8; 60];
        msg[0..4].copy_from_slice(&60u32.to_ne_bytes());
        msg[4..6].copy_from_slice(&netlink::AUDIT_SET.to_ne_bytes());
        msg[6..8].copy_from_slice(&1u16.to_ne_bytes());
        msg[16..60].copy_from_slice(&payload);
        let _ = netlink::send_raw(fd, &msg);
    }
    let previous = if sig == libc::SIGINT {
        PREVIOUS_SIGINT.load(Ordering::SeqCst)
    } else {
        PREVIOUS_SIGTERM.load(Ordering::SeqCst)
    };
    match previous {
        libc::SIG_IGN => {}
        libc::SIG_DFL => {
            // SAFETY: restoring the default action and re-raising ends the process as usual.
            unsafe {
                libc::signal(sig, libc::SIG_DFL);
                libc::raise(sig);
            }
        }
        handler => {
            // SAFETY: `handler` was installed with sigaction without SA_SIGINFO (checked when
            // it was saved), so it takes the signal number only.
            let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(handler) };
            f(sig);
        }
    }
}

fn install(sig: libc::c_int, slot: &AtomicUsize) -> libc::sigaction {
    // SAFETY: sigaction with plain data; the old action is kept to chain to and restore.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_signal as *const () as usize;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(sig, &sa, &mut old);
        let chained = if old.sa_flags & libc::SA_SIGINFO != 0 {
            libc::SIG_DFL
        } else {
            old.sa_sigaction
        };
        slot.store(chained, Ordering::SeqCst);
        old
    }
}

/// Audit switched on for the lifetime of this value (if it was off), then restored.
pub struct AuditGuard {
    control: OwnedFd,
    pub previous: AuditStatus,
    /// Whether this guard switched audit on (and so must switch it back).
    pub changed: bool,
    old_sigint: libc::sigaction,
    old_sigterm: libc::sigaction,
    restored: bool,
}

impl AuditGuard {
    /// Records the state, enables audit if it is off, installs the restoring handlers.
    pub fn enable(control: OwnedFd) -> Result<AuditGuard, String> {
        let previous = netlink::get_status(&control).map_err(|e| {
            format!(
                "cannot read the audit status: {}",
                crate::world::errno_name(e)
            )
        })?;
        RESTORE_ENABLED.store(previous.enabled, Ordering::SeqCst);
        let changed = previous.enabled == 0;
        if changed {
            RESTORE_FD.store(control.as_raw_fd(), Ordering::SeqCst);
        }
        let old_sigint = install(libc::SIGINT, &PREVIOUS_SIGINT);
        let old_sigterm = install(libc::SIGTERM, &PREVIOUS_SIGTERM);
        let mut guard = AuditGuard {
            control,
            previous,
            changed,
            old_sigint,
            old_sigterm,
            restored: false,
        };
        if changed && let Err(e) = netlink::set_enabled(&guard.control, 1) {
            guard.restore();
            return Err(format!(
                "cannot enable audit: {}",
                crate::world::errno_name(e)
            ));
        }
        Ok(guard)
    }

    /// Puts `enabled` back and the previous signal handlers; idempotent.
    pub fn restore(&mut self) {
        if self.restored {
            return;
        }
        self.restored = true;
        if self.changed {
            let _ = netlink::set_enabled(&self.control, self.previous.enabled);
        }
        RESTORE_FD.store(-1, Ordering::SeqCst);
        // SAFETY: putting back the actions saved by `install`.
        unsafe {
            libc::sigaction(libc::SIGINT, &self.old_sigint, std::ptr::null_mut());
            libc::sigaction(libc::SIGTERM, &self.old_sigterm, std::ptr::null_mut());
        }
    }
}

impl Drop for AuditGuard {
    fn drop(&mut self) {
        self.restore();
    }
}

/// The host's current audit status (for tests and `xpr world`).
pub fn current_status() -> Result<AuditStatus, i32> {
    netlink::get_status(&netlink::open_socket()?)
}

/// Sets the host's audit `enabled` flag directly (tests put the host in a known state first,
/// and back afterwards).
pub fn set_enabled(enabled: u32) -> Result<(), i32> {
    netlink::set_enabled(&netlink::open_socket()?, enabled)
}
