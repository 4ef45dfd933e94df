//! Ctrl-C: the engine records the signal and unwinds normally, so workers and fixture processes
//! are killed and the scratch root is removed before exit.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Installs SIGINT/SIGTERM handlers without SA_RESTART, so a blocked `poll` returns EINTR.
/// Where that fails the signal keeps its default action: the engine dies at once and the
/// guardians still remove the scratch root and restore the audit state.
pub(crate) fn install() {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        let _ = crate::sys::sigaction::set_handler(sig, on_signal);
    }
}

pub(crate) fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
