//! A guardian: a forked process that runs one clean-up action when the process that started it
//! ends, however it ends (SIGKILL included). It holds the read end of a pipe only its starter
//! writes to: end of file means the starter is gone, and the action runs; a dismissal byte
//! means the starter cleaned up itself, and the guardian leaves without acting.
//!
//! The guardian ignores every signal a terminal, a process-group kill or a careless `kill`
//! sends the run (and leaves the run's session, so a signal to the run's group misses it),
//! keeps no inherited fd but its pipe end and the ones its action needs, and is reaped by its
//! starter on dismissal.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use super::process::{self, Forked};
use super::{fd, sigaction};

const DISMISS: u8 = b'd';

#[derive(Debug)]
pub(crate) struct Guardian {
    pid: i32,
    /// The starter's end; closing it without a dismissal runs the action.
    pipe: Option<OwnedFd>,
}

impl Guardian {
    /// Forks the guardian. `keep`: fds the action uses (inherited, kept open).
    ///
    /// # Safety
    /// `action` runs in a forked child of the caller: it may allocate (glibc's fork makes
    /// malloc usable in the child) but must not take any other lock another thread of the
    /// caller could have held at the fork.
    pub(crate) unsafe fn start(keep: &[RawFd], action: impl FnOnce()) -> io::Result<Guardian> {
        let (read_end, write_end) = fd::pipe()?;
        // SAFETY: the child below only makes raw syscalls until the pipe speaks, then runs
        // `action` under the caller's promise, and leaves with _exit.
        match unsafe { process::fork() }? {
            Forked::Child => {
                for &sig in sigaction::FATAL_CATCHABLE {
                    let _ = sigaction::ignore(sig);
                }
                let _ = process::new_session();
                let mut kept = [read_end.as_raw_fd(), -1, -1, -1];
                for (slot, &fd) in kept[1..].iter_mut().zip(keep) {
                    *slot = fd;
                }
                if fd::close_all_except(&kept).is_err() {
                    action();
                    process::exit(0);
                }
                let mut byte = [0u8; 1];
                // Nothing but the dismissal is ever written: EOF means the starter is gone.
                match fd::read(read_end.as_raw_fd(), &mut byte) {
                    Ok(1) if byte[0] == DISMISS => {}
                    _ => action(),
                }
                process::exit(0)
            }
            Forked::Parent(pid) => Ok(Guardian {
                pid,
                pipe: Some(write_end),
            }),
        }
    }

    /// The starter cleaned up itself: the guardian leaves without acting.
    pub(crate) fn dismiss(mut self) {
        if let Some(pipe) = self.pipe.take() {
            let _ = fd::write_all(pipe.as_raw_fd(), &[DISMISS]);
        }
    }
}

impl Drop for Guardian {
    /// Without a dismissal, closing the pipe runs the action now; either way, reap.
    fn drop(&mut self) {
        self.pipe = None;
        let _ = process::wait(self.pid);
    }
}
