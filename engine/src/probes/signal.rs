//! The signal driver: `kill` to an outside process fixture, to a pid, or to the probe itself.

use super::outcome::OpResult;
use super::spec::ProbeSpec;
use super::syscall::check;

pub const FAMILIES: &[&str] = &["signal"];

#[derive(Debug)]
pub struct SignalOp {
    /// `None` = the probe process itself (resolved in the child, after fork).
    pub pid: Option<i32>,
    pub signal: i32,
}

impl SignalOp {
    pub fn prepare(spec: &ProbeSpec) -> Result<SignalOp, String> {
        let signal = match spec.arg_str("signal") {
            None => 0,
            Some(s) => signal_number(&s).ok_or_else(|| format!("unknown signal `{s}`"))?,
        };
        let pid = match (spec.pid, spec.target.as_deref()) {
            (Some(pid), _) => Some(pid),
            (None, Some("self")) => None,
            (None, Some(t)) => Some(t.parse().map_err(|_| format!("bad signal target `{t}`"))?),
            (None, None) => return Err("`signal` needs fixture=<process> or target=self".into()),
        };
        Ok(SignalOp { pid, signal })
    }

    pub fn perform(&self) -> OpResult {
        // SAFETY: kill/getpid are raw syscalls.
        let pid = self.pid.unwrap_or_else(|| unsafe { libc::getpid() });
        match check(unsafe { libc::kill(pid, self.signal) } as _) {
            Ok(_) => OpResult::ok(self.signal as i64),
            Err(e) => OpResult::errno(e),
        }
    }
}

/// `0`, `9`, `KILL`, `SIGTERM`, ... → number.
pub fn signal_number(s: &str) -> Option<i32> {
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
