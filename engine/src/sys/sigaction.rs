//! Signal dispositions: default, ignore, a handler (without SA_RESTART, so a blocked call
//! returns EINTR), and putting a saved action back.

use std::io;

use super::errno::cvt_int;

/// Every catchable signal whose default action ends the process (SIGKILL and SIGSTOP cannot
/// be caught; SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP and SIGSYS are a fault of
/// the process itself, left to the Rust runtime and to the guardians).
pub(crate) const FATAL_CATCHABLE: &[i32] = &[
    libc::SIGHUP,
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGPIPE,
    libc::SIGALRM,
    libc::SIGTERM,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGPROF,
    libc::SIGVTALRM,
    libc::SIGXCPU,
    libc::SIGXFSZ,
    libc::SIGIO,
    libc::SIGPWR,
    libc::SIGSTKFLT,
];

/// A saved signal action, to put back later.
#[derive(Clone, Copy)]
pub(crate) struct SavedAction {
    sig: i32,
    action: libc::sigaction,
}

impl SavedAction {
    /// The saved handler as a plain function address, or `SIG_DFL` / `SIG_IGN`; a
    /// three-argument (SA_SIGINFO) handler counts as `SIG_DFL` (it cannot be chained safely).
    pub(crate) fn plain_handler(&self) -> usize {
        if self.action.sa_flags & libc::SA_SIGINFO != 0 {
            libc::SIG_DFL
        } else {
            self.action.sa_sigaction
        }
    }

    /// Puts this action back.
    pub(crate) fn restore(&self) -> io::Result<()> {
        // SAFETY: a sigaction struct saved by `set`, which the kernel filled.
        cvt_int(unsafe { libc::sigaction(self.sig, &self.action, std::ptr::null_mut()) })
            .map(|_| ())
    }
}

fn set(sig: i32, handler: usize) -> io::Result<SavedAction> {
    // SAFETY: sigaction with plain data; the old action is returned to the caller.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        let mut old: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = handler;
        libc::sigemptyset(&mut sa.sa_mask);
        cvt_int(libc::sigaction(sig, &sa, &mut old))?;
        Ok(SavedAction { sig, action: old })
    }
}

/// Installs `handler` for `sig`; the handler must only make async-signal-safe calls.
pub(crate) fn set_handler(
    sig: i32,
    handler: extern "C" fn(libc::c_int),
) -> io::Result<SavedAction> {
    set(sig, handler as *const () as usize)
}

pub(crate) fn ignore(sig: i32) -> io::Result<SavedAction> {
    set(sig, libc::SIG_IGN)
}

pub(crate) fn set_default(sig: i32) -> io::Result<SavedAction> {
    set(sig, libc::SIG_DFL)
}

/// The current action of `sig`, unchanged.
pub(crate) fn current(sig: i32) -> io::Result<SavedAction> {
    // SAFETY: a NULL new action only reads the current one.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        cvt_int(libc::sigaction(sig, std::ptr::null(), &mut old))?;
        Ok(SavedAction { sig, action: old })
    }
}

/// Calls a saved plain handler (from inside a handler, to chain to the previous one).
pub(crate) fn chain(handler: usize, sig: i32) {
    if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
        return;
    }
    // SAFETY: `handler` is a one-argument handler address saved by `set` (SavedAction::
    // plain_handler filters out SA_SIGINFO ones).
    let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(handler) };
    f(sig);
}

/// Ends the process with `sig`'s default action (a handler's last word after cleaning up).
pub(crate) fn raise_default(sig: i32) {
    let _ = set_default(sig);
    // `kill(getpid())`, not `raise`: raise uses the thread id glibc cached, which a raw clone
    // child does not update.
    let _ = super::process::kill(super::process::getpid(), sig);
}
