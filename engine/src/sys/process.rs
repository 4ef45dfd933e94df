//! Processes: fork and clone, waiting, signalling (never a group wider than ours, never pid 0
//! or -1), pidfds, the parent-death signal, the child stack of `CLONE_VM` children, timers and
//! identity.

use std::ffi::CStr;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use super::errno::{cvt, cvt_int, last_error, retry};

/// Which side of a fork the caller is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Forked {
    Child,
    Parent(i32),
}

/// `fork()`.
///
/// # Safety
/// In the child only async-signal-safe calls may follow until `execve` or [`exit`] (the parent
/// may hold locks another thread took), and the child must never return into the caller's
/// frames that assume they run once.
pub(crate) unsafe fn fork() -> io::Result<Forked> {
    // SAFETY: the caller upholds the child's restrictions.
    match cvt_int(unsafe { libc::fork() })? {
        0 => Ok(Forked::Child),
        pid => Ok(Forked::Parent(pid)),
    }
}

/// `_exit`: leaves the process without running destructors or atexit handlers (what a forked
/// child must do, since those belong to the parent).
pub(crate) fn exit(code: i32) -> ! {
    // SAFETY: _exit never returns.
    unsafe { libc::_exit(code) }
}

/// The calling process's pid.
pub(crate) fn getpid() -> i32 {
    // SAFETY: getpid cannot fail.
    unsafe { libc::getpid() }
}

/// (real uid, effective uid).
pub fn uids() -> (u32, u32) {
    // SAFETY: getuid/geteuid cannot fail.
    unsafe { (libc::getuid(), libc::geteuid()) }
}

/// Sends `sig` to the process `pid`. Refuses pid 0 and negative pids (a process group, or
/// every process with -1) with EINVAL: the engine only ever signals one process it knows.
pub fn kill(pid: i32, sig: i32) -> io::Result<()> {
    if pid <= 0 {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    // SAFETY: kill with integer arguments.
    cvt_int(unsafe { libc::kill(pid, sig) }).map(|_| ())
}

/// Sends `sig` to the process group `pgid` (a group this engine made a child lead). Refuses
/// groups 0 and 1 (the caller's own, init's) and negative ids.
pub(crate) fn kill_group(pgid: i32, sig: i32) -> io::Result<()> {
    if pgid <= 1 {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    // SAFETY: kill with integer arguments.
    cvt_int(unsafe { libc::kill(-pgid, sig) }).map(|_| ())
}

/// How a waited-for child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WaitStatus {
    Exited(i32),
    Signaled(i32),
}

impl WaitStatus {
    pub(crate) fn decode(status: i32) -> WaitStatus {
        if libc::WIFSIGNALED(status) {
            WaitStatus::Signaled(libc::WTERMSIG(status))
        } else {
            WaitStatus::Exited(libc::WEXITSTATUS(status))
        }
    }

    /// The raw `wait` status word (the inverse of [`WaitStatus::decode`]).
    pub(crate) fn raw(self) -> i32 {
        match self {
            WaitStatus::Exited(code) => (code & 0xff) << 8,
            WaitStatus::Signaled(sig) => sig & 0x7f,
        }
    }
}

/// Blocks until the child `pid` (or any child, with -1) ends; retried on EINTR.
pub(crate) fn wait(pid: i32) -> io::Result<(i32, WaitStatus)> {
    let mut status = 0;
    // SAFETY: waitpid writes the status into a live local.
    let got = retry(|| cvt_int(unsafe { libc::waitpid(pid, &mut status, 0) }))?;
    Ok((got, WaitStatus::decode(status)))
}

/// A pidfd for our child `pid`: readable once it has exited.
pub(crate) fn pidfd_open(pid: i32) -> io::Result<OwnedFd> {
    // SAFETY: pidfd_open with integer arguments.
    let fd = cvt(unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) })?;
    // SAFETY: a fresh fd owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// `pidfd_send_signal(pidfd, sig)`: signals the process the pidfd refers to (the signal
/// driver's `acquire=before` form). Refuses nothing itself: the pidfd names one process.
pub(crate) fn pidfd_send_signal(pidfd: RawFd, sig: i32) -> io::Result<()> {
    // SAFETY: no siginfo (NULL) and no flags.
    cvt(unsafe { libc::syscall(libc::SYS_pidfd_send_signal, pidfd, sig, 0usize, 0u32) }).map(|_| ())
}

/// `setpgid(pid, pgid)` (0 for the caller / the caller's pid).
pub(crate) fn set_process_group(pid: i32, pgid: i32) -> io::Result<()> {
    // SAFETY: setpgid with integer arguments.
    cvt_int(unsafe { libc::setpgid(pid, pgid) }).map(|_| ())
}

/// `setsid()`: a new session and process group, without a controlling terminal.
pub(crate) fn new_session() -> io::Result<()> {
    // SAFETY: setsid with no arguments.
    cvt_int(unsafe { libc::setsid() }).map(|_| ())
}

/// The signal the kernel sends this process when its parent dies.
pub(crate) fn set_parent_death_signal(sig: i32) -> io::Result<()> {
    // SAFETY: integer-only prctl.
    cvt_int(unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, sig as libc::c_ulong, 0, 0, 0) })
        .map(|_| ())
}

/// Makes the child `command` spawns lead its own process group (a terminal's Ctrl-C reaches
/// only us, and we stop it) and receive `SIGKILL` when the thread that spawned it dies.
pub(crate) fn own_group_dying_with_us(command: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec the hook only calls async-signal-safe setpgid and prctl,
    // and allocates nothing (errors are OS errors).
    unsafe {
        command.pre_exec(|| {
            set_process_group(0, 0)?;
            set_parent_death_signal(libc::SIGKILL)
        });
    }
}

/// The parent's pid (1, or a subreaper, once the parent died).
pub(crate) fn parent_pid() -> i32 {
    // SAFETY: getppid cannot fail.
    unsafe { libc::getppid() }
}

/// Arms `ITIMER_REAL`: SIGALRM after `after` (the per-probe timeout of `CLONE_VM` children).
pub(crate) fn arm_real_timer(after: Duration) -> io::Result<()> {
    let timer = libc::itimerval {
        it_interval: libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        },
        it_value: libc::timeval {
            tv_sec: after.as_secs() as libc::time_t,
            tv_usec: after.subsec_micros() as libc::suseconds_t,
        },
    };
    // SAFETY: the timer struct outlives the call; the old value is not asked for.
    cvt_int(unsafe { libc::setitimer(libc::ITIMER_REAL, &timer, std::ptr::null_mut()) }).map(|_| ())
}

/// Fills `buf` from the kernel's CSPRNG.
pub(crate) fn random_bytes(buf: &mut [u8]) -> io::Result<()> {
    // SAFETY: getrandom writes at most `buf.len()` bytes into our buffer.
    let n = cvt(unsafe { libc::getrandom(buf.as_mut_ptr().cast(), buf.len(), 0) } as _)?;
    if n as usize == buf.len() {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(libc::EIO))
    }
}

/// `(release, machine)` from `uname`.
pub(crate) fn uname() -> io::Result<(String, String)> {
    // SAFETY: utsname is plain data; uname fills it with NUL-terminated strings.
    unsafe {
        let mut uts: libc::utsname = std::mem::zeroed();
        cvt_int(libc::uname(&mut uts))?;
        let text = |field: &[libc::c_char]| {
            CStr::from_ptr(field.as_ptr())
                .to_string_lossy()
                .into_owned()
        };
        Ok((text(&uts.release), text(&uts.machine)))
    }
}

/// `process_vm_readv` of `buf.len()` bytes at `remote` in process `pid`: the kernel's ptrace
/// access check (PTRACE_MODE_ATTACH_REALCREDS) without any file.
pub(crate) fn read_process_memory(
    pid: i32,
    remote: *const u8,
    buf: &mut [u8],
) -> io::Result<usize> {
    let local = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let remote = libc::iovec {
        iov_base: remote.cast_mut().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: the kernel writes into our buffer only and reads the other process through its
    // own checks; a bad remote address is EFAULT, not undefined behaviour here.
    cvt(unsafe { libc::process_vm_readv(pid, &local, 1, &remote, 1, 0) } as _).map(|n| n as usize)
}

/// `PTRACE_SEIZE` of `pid` (attaches without stopping; detached when the caller exits).
pub(crate) fn ptrace_seize(pid: i32) -> io::Result<()> {
    // SAFETY: PTRACE_SEIZE takes no address or data pointer.
    cvt(unsafe {
        libc::ptrace(
            libc::PTRACE_SEIZE,
            pid,
            std::ptr::null_mut::<libc::c_void>(),
            std::ptr::null_mut::<libc::c_void>(),
        )
    })
    .map(|_| ())
}

/// `execve(path, argv, envp)`: returns only on failure.
///
/// Both arrays must be NULL-terminated arrays of pointers to NUL-terminated strings that
/// outlive the call (checked by the caller's constructor; see `probes::ExecCommand`).
pub(crate) fn execve(
    path: &CStr,
    argv: &[*const libc::c_char],
    envp: &[*const libc::c_char],
) -> io::Error {
    if argv.last().is_none_or(|p| !p.is_null()) || envp.last().is_none_or(|p| !p.is_null()) {
        return io::Error::from_raw_os_error(libc::EINVAL);
    }
    // SAFETY: NULL-terminated arrays (checked above) of pointers the caller keeps alive.
    unsafe {
        libc::execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr());
    }
    last_error()
}

/// The stack of `CLONE_VM` children: an anonymous mapping whose lowest pages are a guard.
pub(crate) struct ChildStack {
    base: *mut libc::c_void,
    len: usize,
}

const STACK_LEN: usize = 1 << 20;
const GUARD_LEN: usize = 1 << 16;

impl ChildStack {
    pub(crate) fn new() -> io::Result<ChildStack> {
        // SAFETY: a fresh anonymous private mapping we own.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                STACK_LEN,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(last_error());
        }
        let stack = ChildStack {
            base,
            len: STACK_LEN,
        };
        // SAFETY: the lowest pages of our own mapping become inaccessible.
        cvt_int(unsafe { libc::mprotect(base, GUARD_LEN, libc::PROT_NONE) })?;
        Ok(stack)
    }

    /// 16-byte aligned top of the mapping.
    fn top(&self) -> *mut libc::c_void {
        (self.base as usize + self.len - 64) as *mut libc::c_void
    }
}

impl Drop for ChildStack {
    fn drop(&mut self) {
        // SAFETY: unmapping our own mapping; no child runs on it any more.
        unsafe {
            libc::munmap(self.base, self.len);
        }
    }
}

/// `clone(CLONE_VM | CLONE_VFORK | SIGCHLD)`: `entry(arg)` runs on `stack` in a child that
/// shares the caller's memory while the caller is suspended until the child exits.
///
/// # Safety
/// `entry` runs in a task that shares every page with the suspended caller: it may only make
/// async-signal-safe calls, must leave with [`exit`], and `arg` must stay valid until then.
pub(crate) unsafe fn clone_vm_vfork(
    entry: extern "C" fn(*mut libc::c_void) -> libc::c_int,
    stack: &ChildStack,
    arg: *mut libc::c_void,
) -> io::Result<i32> {
    // SAFETY: the caller upholds the child's restrictions; the stack is ours and unused.
    cvt_int(unsafe {
        libc::clone(
            entry,
            stack.top(),
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            arg,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_signals_a_group_or_everyone() {
        for pid in [0, -1, -2] {
            assert_eq!(kill(pid, 0).unwrap_err().raw_os_error(), Some(libc::EINVAL));
        }
        for pgid in [0, 1, -5] {
            assert_eq!(
                kill_group(pgid, 0).unwrap_err().raw_os_error(),
                Some(libc::EINVAL)
            );
        }
        kill(getpid(), 0).unwrap();
    }

    #[test]
    fn wait_status_round_trips() {
        for s in [
            WaitStatus::Exited(3),
            WaitStatus::Signaled(9),
            WaitStatus::Exited(0),
        ] {
            assert_eq!(WaitStatus::decode(s.raw()), s);
        }
    }
}
