//! The signal driver: `kill` to a process fixture of this run or to the probe itself.
//!
//! Host safety (defence in depth behind `check`): any other target is refused when the probe is
//! prepared, and `sys::process::kill` refuses pid 0 and negative pids, so neither a process
//! group nor every process (`kill(-1)`) can ever be signalled.

use std::os::fd::IntoRawFd;

use super::acquire::Held;
use super::op_result::OpResult;
use super::spec::ProbeSpec;
use super::syscall::errno_of;
use crate::sys::process;

pub(crate) const FAMILIES: &[&str] = &["signal"];

#[derive(Debug)]
pub(crate) struct SignalOp {
    /// `None` = the probe process itself (resolved in the child, after fork).
    pub pid: Option<i32>,
    pub signal: i32,
}

impl SignalOp {
    pub(crate) fn prepare(spec: &ProbeSpec) -> Result<SignalOp, String> {
        let signal = match spec.arg_str("signal") {
            None => 0,
            Some(s) => signal_number(&s).ok_or_else(|| format!("unknown signal `{s}`"))?,
        };
        // `spec.pid` is set only from a process fixture of this run.
        let pid = match (spec.pid, spec.target.as_deref()) {
            (Some(pid), _) if pid > 0 => Some(pid),
            (None, Some("self")) => None,
            (_, target) => {
                return Err(format!(
                    "host_safety: `signal` may only target a process fixture of this run \
                     (fixture=<process>) or target=self, not `{}`",
                    target.unwrap_or("")
                ));
            }
        };
        Ok(SignalOp { pid, signal })
    }

    pub(crate) fn perform(&self) -> OpResult {
        let pid = self.pid.unwrap_or_else(process::getpid);
        match errno_of(process::kill(pid, self.signal)) {
            Ok(()) => OpResult::ok(self.signal as i64),
            Err(e) => OpResult::errno(e),
        }
    }
}

impl SignalOp {
    /// `acquire=before`, before apply: a pidfd on the target.
    pub(crate) fn acquire(&self) -> Held {
        let pid = self.pid.unwrap_or_else(process::getpid);
        Held::one(errno_of(process::pidfd_open(pid)).map(IntoRawFd::into_raw_fd))
    }

    /// `acquire=before`, after apply: the signal sent through the pidfd.
    pub(crate) fn perform_held(&self, held: &Held) -> OpResult {
        held.use_then_release(|h| {
            errno_of(process::pidfd_send_signal(h.fd(0), self.signal)).map(|_| self.signal as i64)
        })
    }
}

/// `0`, `9`, `KILL`, `SIGTERM`, ... → number.
pub(crate) fn signal_number(s: &str) -> Option<i32> {
    if let Ok(n) = s.parse() {
        return Some(n);
    }
    let name = s.trim_start_matches("SIG");
    Some(match name {
        "HUP" => libc::SIGHUP,
        "INT" => libc::SIGINT,
        "QUIT" => libc::SIGQUIT,
        "KILL" => libc::SIGKILL,
        "USR1" => libc::SIGUSR1,
        "USR2" => libc::SIGUSR2,
        "TERM" => libc::SIGTERM,
        "CONT" => libc::SIGCONT,
        "STOP" => libc::SIGSTOP,
        "URG" => libc::SIGURG,
        "WINCH" => libc::SIGWINCH,
        _ => return None,
    })
}
