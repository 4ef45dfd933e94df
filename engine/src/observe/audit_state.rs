//! Enabling audit for a run and putting it back. The previous `enabled` value is recorded when
//! the session starts and restored when it ends (drop); from a handler on every catchable
//! signal whose default action would end the engine (SIGHUP, SIGINT, SIGQUIT, SIGPIPE,
//! SIGALRM, SIGTERM, SIGUSR1...); and, for a death no handler sees (SIGKILL), by a guardian
//! process that restores it when the engine is gone. So a run never leaves the host's audit
//! switched on, and the next run never takes a leaked `1` for the state to restore.
//!
//! The handler only makes raw syscalls: it sends a prebuilt `AUDIT_SET` on a socket opened in
//! advance, then hands the signal to whatever handler was installed before (the runner's,
//! which stops the workers), or re-raises it with the default action. A signal the process
//! ignored stays ignored (it ends nothing).

use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicUsize, Ordering};

use super::error::ObserverError;
use super::netlink::{self, AuditSettings, AuditStatus};
use crate::sys::guardian::Guardian;
use crate::sys::sigaction::{self, FATAL_CATCHABLE, SavedAction};

static RESTORE_FD: AtomicI32 = AtomicI32::new(-1);
static RESTORE_ENABLED: AtomicU32 = AtomicU32::new(0);
static RESTORE_BACKLOG: AtomicU32 = AtomicU32::new(0);
/// The kernel's queue of records waiting for delivery, while a session has switched audit on:
/// the default 64 overflows when a loaded machine runs probes in parallel, and a record the
/// kernel drops ("audit_backlog=65 > audit_backlog_limit=64") would read as `no_witness`.
const SESSION_BACKLOG: u32 = 8192;
/// Per signal number, the handler to chain to (`SIG_DFL`: re-raise with the default action).
static PREVIOUS: [AtomicUsize; 65] = [const { AtomicUsize::new(libc::SIG_DFL) }; 65];

extern "C" fn on_signal(sig: libc::c_int) {
    let fd = RESTORE_FD.load(Ordering::SeqCst);
    if fd >= 0 {
        // Built on the stack: no allocation in a signal handler.
        let msg = netlink::set_message(AuditSettings {
            enabled: RESTORE_ENABLED.load(Ordering::SeqCst),
            backlog_limit: RESTORE_BACKLOG.load(Ordering::SeqCst),
        });
        let _ = netlink::send_raw(fd, &msg);
    }
    match PREVIOUS[sig as usize].load(Ordering::SeqCst) {
        libc::SIG_DFL => sigaction::raise_default(sig),
        handler => sigaction::chain(handler, sig),
    }
}

/// Installs the restoring handler on every fatal catchable signal the process does not
/// ignore; returns the actions to put back.
fn install() -> Vec<SavedAction> {
    let mut saved = Vec::new();
    for &sig in FATAL_CATCHABLE {
        let Ok(current) = sigaction::current(sig) else {
            continue;
        };
        if current.plain_handler() == libc::SIG_IGN {
            continue;
        }
        PREVIOUS[sig as usize].store(current.plain_handler(), Ordering::SeqCst);
        if let Ok(old) = sigaction::set_handler(sig, on_signal) {
            saved.push(old);
        }
    }
    saved
}

/// Audit switched on for the lifetime of this value (if it was off, with a longer queue), then
/// restored.
pub(crate) struct AuditGuard {
    control: OwnedFd,
    /// The host-wide session lock (`session::HOST_LOCK`), released when this value drops.
    _host_lock: OwnedFd,
    pub previous: AuditStatus,
    /// Whether this guard switched audit on (and so must switch it back).
    pub changed: bool,
    saved: Vec<SavedAction>,
    /// Restores the state if the engine dies without doing it (SIGKILL).
    guardian: Option<Guardian>,
    restored: bool,
}

impl AuditGuard {
    /// Records the state, enables audit if it is off, installs the restoring handlers and
    /// starts the guardian.
    pub(crate) fn enable(
        control: OwnedFd,
        host_lock: OwnedFd,
    ) -> Result<AuditGuard, ObserverError> {
        let previous = netlink::get_status(&control).map_err(ObserverError::Status)?;
        let before = settings_of(&previous);
        RESTORE_ENABLED.store(before.enabled, Ordering::SeqCst);
        RESTORE_BACKLOG.store(before.backlog_limit, Ordering::SeqCst);
        let changed = previous.enabled == 0;
        let mut guard = AuditGuard {
            control,
            _host_lock: host_lock,
            previous,
            changed,
            saved: Vec::new(),
            guardian: None,
            restored: false,
        };
        if !changed {
            return Ok(guard);
        }
        let fd = guard.control.as_raw_fd();
        let lock = guard._host_lock.as_raw_fd();
        let control = &guard.control;
        // SAFETY (the guardian's body is this closure): it sends one netlink message on the
        // inherited control socket and reads the acknowledgement; malloc is its only lock.
        let guardian = unsafe {
            // It keeps the host lock until it has restored: no other session starts between
            // the engine's death and the restore.
            Guardian::start(&[fd, lock], || {
                let _ = netlink::set(control, before);
            })
        }
        .map_err(ObserverError::Guardian)?;
        guard.guardian = Some(guardian);
        RESTORE_FD.store(fd, Ordering::SeqCst);
        guard.saved = install();
        // 0 is the kernel's "no limit": kept as it is.
        let session = AuditSettings {
            enabled: 1,
            backlog_limit: match before.backlog_limit {
                0 => 0,
                limit => limit.max(SESSION_BACKLOG),
            },
        };
        if let Err(e) = netlink::set(&guard.control, session) {
            guard.restore();
            return Err(ObserverError::Enable(e));
        }
        Ok(guard)
    }

    /// How many records the kernel dropped (host-wide: backlog or rate limit) since the session
    /// started; `None` when the status cannot be read.
    pub(crate) fn lost_since_start(&self) -> Option<u32> {
        let now = netlink::get_status(&self.control).ok()?;
        Some(now.lost.wrapping_sub(self.previous.lost))
    }

    /// Puts `enabled` and the queue length back, and the previous signal handlers; idempotent.
    pub(crate) fn restore(&mut self) {
        if self.restored {
            return;
        }
        self.restored = true;
        if self.changed {
            let _ = netlink::set(&self.control, settings_of(&self.previous));
        }
        RESTORE_FD.store(-1, Ordering::SeqCst);
        for action in self.saved.drain(..) {
            let _ = action.restore();
        }
        if let Some(g) = self.guardian.take() {
            g.dismiss();
        }
    }
}

fn settings_of(status: &AuditStatus) -> AuditSettings {
    AuditSettings {
        enabled: status.enabled,
        backlog_limit: status.backlog_limit,
    }
}

impl Drop for AuditGuard {
    fn drop(&mut self) {
        self.restore();
    }
}

/// The host's current audit status (for tests and `xpr world`).
pub fn current_status() -> std::io::Result<AuditStatus> {
    netlink::get_status(&netlink::open_socket()?)
}

/// The host's audit status while no observer session runs anywhere on the host (waits for
/// the host lock): the state sessions restore to.
pub fn status_between_sessions() -> std::io::Result<AuditStatus> {
    let _lock = crate::sys::fs::lock_exclusive(std::path::Path::new(super::session::HOST_LOCK))?;
    current_status()
}

/// Sets the host's audit `enabled` flag directly (tests put the host in a known state first,
/// and back afterwards).
pub fn set_enabled(enabled: u32) -> std::io::Result<()> {
    netlink::set_enabled(&netlink::open_socket()?, enabled)
}
