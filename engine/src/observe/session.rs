//! One observer session: checks that the host can witness Landlock denials, switches audit
//! on for the run (restoring it afterwards), and collects the Landlock records the kernel
//! multicasts to the read-only log group.

use std::os::fd::OwnedFd;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::audit_records::parse;
use super::audit_state::AuditGuard;
use super::error::ObserverError;
use super::netlink;
use crate::model::AuditRecord;

/// One session per process at a time: two would race on recording and restoring the state.
static SESSION_LOCK: Mutex<()> = Mutex::new(());

/// One session per host at a time, for the same reason across processes: a second run would
/// take the first one's `enabled=1` for the state to restore, or the first would switch audit
/// off under the second and cost it its records. Held (by the engine and by the guardian
/// that restores after SIGKILL) until the state is restored; a run that finds it taken waits.
pub(crate) const HOST_LOCK: &str = "/run/xpr-audit.lock";

/// What a session heard: the Landlock records, and how many records the kernel dropped while
/// it listened (host-wide, so an over-count: any of them may have been this run's).
pub struct Heard {
    pub records: Vec<AuditRecord>,
    pub lost: u32,
}

pub struct AuditSession {
    guard: AuditGuard,
    reader: OwnedFd,
    _exclusive: MutexGuard<'static, ()>,
}

/// Why the observer cannot witness anything on this host (the `observer_unavailable` reason).
pub fn unavailable_reason(landlock_abi: u32) -> Option<ObserverError> {
    if crate::sys::process::uids().1 != 0 {
        return Some(ObserverError::NotRoot);
    }
    if landlock_abi < 7 {
        return Some(ObserverError::AbiTooOld(landlock_abi));
    }
    None
}

impl AuditSession {
    /// `Err` is the `observer_unavailable` reason.
    pub(crate) fn start(landlock_abi: u32) -> Result<AuditSession, ObserverError> {
        if let Some(why) = unavailable_reason(landlock_abi) {
            return Err(why);
        }
        let exclusive = SESSION_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let host_lock = crate::sys::fs::lock_exclusive(std::path::Path::new(HOST_LOCK))
            .map_err(ObserverError::HostLock)?;
        let control = netlink::open_socket().map_err(ObserverError::NoSocket)?;
        // Join the log group before enabling, so no record of the run is missed.
        let reader = netlink::open_log_reader().map_err(ObserverError::LogGroup)?;
        let guard = AuditGuard::enable(control, host_lock)?;
        Ok(AuditSession {
            guard,
            reader,
            _exclusive: exclusive,
        })
    }

    /// Whether the session switched audit on (it will switch it back off).
    pub(crate) fn changed_state(&self) -> bool {
        self.guard.changed
    }

    /// Reads Landlock records until none arrived for `quiet` (the kernel delivers them from
    /// its own thread, a little after the denial), then restores the audit state.
    pub(crate) fn finish(mut self, quiet: Duration, symbolic: &dyn Fn(&str) -> String) -> Heard {
        let mut out = Vec::new();
        netlink::set_timeout(&self.reader, Duration::from_millis(50));
        let mut last = Instant::now();
        let mut overflowed = false;
        while last.elapsed() < quiet {
            match netlink::receive(&self.reader) {
                Ok(messages) => {
                    for (kind, payload) in messages {
                        if let Some(r) = parse(kind, &payload, symbolic) {
                            out.push(r);
                            last = Instant::now();
                        }
                    }
                }
                Err(e) if matches!(e.raw_os_error(), Some(libc::EAGAIN | libc::EINTR)) => {}
                // ENOBUFS: the socket overflowed and records were dropped; keep reading.
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => overflowed = true,
                Err(_) => break,
            }
        }
        // The kernel's own count: records it could not queue or deliver (to anyone).
        let lost = self.guard.lost_since_start().unwrap_or(0) + u32::from(overflowed);
        self.guard.restore();
        Heard { records: out, lost }
    }
}
