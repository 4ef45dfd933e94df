//! One sandboxed child: fork, apply, run the driver(s) or execve, report over a pipe, `_exit`.
//!
//! The worker waits with a per-probe deadline; on expiry it SIGKILLs the child's process group
//! (the child makes itself a group leader, so anything it forked dies with it). Exec children
//! are watched through a pidfd because a forked grandchild can keep the pipes open.

use std::time::{Duration, Instant};

use crate::probes::{ExecCommand, HELPER_REPORT_FD, Operation};

use super::capture::Capture;
use super::record::{ChildRecord, RECORD_LEN, RecordStage};
use super::sandbox::AppliedInChild;

/// What the child runs after the sandbox is applied.
pub enum Body<'a> {
    /// Drivers in sequence, one record each (probe isolation passes one).
    Ops(&'a [&'a Operation]),
    Exec(&'a ExecCommand),
}

/// How the child ended, kept apart from what it reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Termination {
    Exited(i32),
    Signaled(i32),
    /// The per-probe deadline passed; the process group was killed.
    TimedOut,
}

#[derive(Debug)]
pub struct ChildExit {
    pub records: Vec<ChildRecord>,
    pub termination: Termination,
    pub output: Option<Capture>,
    pub elapsed: Duration,
    /// The child's pid (audit records name it).
    pub pid: i32,
}

pub struct ChildSpec<'a> {
    pub sandbox: Option<&'a dyn AppliedInChild>,
    pub body: Body<'a>,
    pub timeout: Duration,
    /// `/dev/null`, opened by the worker, for exec children's stdin.
    pub devnull: i32,
    pub output_limit: usize,
}

fn errno() -> i32 {
    crate::probes::helper_errno()
}

fn pipe_pair() -> Result<(i32, i32), i32> {
    let mut fds = [0i32; 2];
    // SAFETY: pipe2 into a 2-element array; the read end is made non-blocking so draining after
    // the child's exit never blocks on a pipe a grandchild still holds.
    unsafe {
        if libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
            return Err(errno());
        }
        libc::fcntl(fds[0], libc::F_SETFL, libc::O_NONBLOCK);
    }
    Ok((fds[0], fds[1]))
}

/// Runs one child to completion. `Err` is an errno of the worker's own setup (fork, pipe).
pub fn run(spec: &ChildSpec) -> Result<ChildExit, i32> {
    let started = Instant::now();
    let (res_rd, res_wr) = pipe_pair()?;
    let exec = matches!(spec.body, Body::Exec(_));
    let (out_rd, out_wr) = if exec {
        match pipe_pair() {
            Ok(p) => p,
            Err(e) => {
                close(res_rd);
                close(res_wr);
                return Err(e);
            }
        }
    } else {
        (-1, -1)
    };
    // SAFETY: fork from the single-threaded worker; the child only makes raw syscalls.
    let pid = unsafe { libc::fork() };
    if pid == -1 {
        let e = errno();
        for fd in [res_rd, res_wr, out_rd, out_wr] {
            close(fd);
        }
        return Err(e);
    }
    if pid == 0 {
        child_main(spec, res_wr, out_wr);
    }
    // SAFETY: an exec child becomes its own group leader (from both sides, closing the race
    // with a timeout kill) so whatever it forks dies with it; drivers never fork. Closing our
    // copies of the write ends lets EOF mean "no writer left".
    if exec {
        unsafe {
            libc::setpgid(pid, pid);
        }
    }
    close(res_wr);
    close(out_wr);
    let pidfd = if exec {
        // SAFETY: pidfd_open on our own child.
        unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) as i32 }
    } else {
        -1
    };
    let expected = match spec.body {
        Body::Ops(ops) => ops.len(),
        Body::Exec(_) => 1,
    };
    let mut w = Waiter {
        pid,
        res_rd,
        out_rd,
        pidfd,
        exec,
        buf: Vec::with_capacity(RECORD_LEN * expected),
        records: Vec::with_capacity(expected),
        output: exec.then(|| Capture::new(spec.output_limit)),
    };
    let termination = w.wait(spec.timeout, expected, exec);
    for fd in [w.res_rd, w.out_rd, w.pidfd] {
        close(fd);
    }
    Ok(ChildExit {
        records: w.records,
        termination,
        output: w.output,
        elapsed: started.elapsed(),
        pid,
    })
}

fn close(fd: i32) {
    if fd >= 0 {
        // SAFETY: closing an fd we own.
        unsafe {
            libc::close(fd);
        }
    }
}

/// The child: never returns. Raw syscalls only.
fn child_main(spec: &ChildSpec, res_wr: i32, out_wr: i32) -> ! {
    // SAFETY: raw syscalls in the freshly forked child.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        if out_wr >= 0 {
            // An exec'd command gets its own process group and default dispositions.
            libc::setpgid(0, 0);
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
            libc::dup2(spec.devnull, 0);
            libc::dup2(out_wr, 1);
            libc::dup2(out_wr, 2);
        }
        if let Some(sb) = spec.sandbox
            && let Err(f) = sb.apply()
        {
            let _ = ChildRecord::apply_failed(0, f.reason, f.errno, f.step).write_to(res_wr);
            libc::_exit(0);
        }
        match spec.body {
            Body::Ops(ops) => {
                // Records go out in batches (one write per BATCH probes, each batch below
                // PIPE_BUF so it stays atomic); the worker re-runs unreported probes alone.
                const BATCH: usize = 128;
                let mut batch = [0u8; RECORD_LEN * BATCH];
                let mut filled = 0;
                for (i, op) in ops.iter().enumerate() {
                    let r = op.perform();
                    let rec = ChildRecord::new(i as u32, RecordStage::Operation, r.errno, r.value);
                    batch[filled * RECORD_LEN..(filled + 1) * RECORD_LEN]
                        .copy_from_slice(&rec.encode());
                    filled += 1;
                    if filled == BATCH || i + 1 == ops.len() {
                        write_full(res_wr, &batch[..filled * RECORD_LEN]);
                        filled = 0;
                    }
                }
                libc::_exit(0);
            }
            Body::Exec(cmd) => {
                if cmd.helper.is_some() {
                    // dup2 onto fd 3 clears CLOEXEC there; the original stays close-on-exec.
                    if res_wr == HELPER_REPORT_FD {
                        libc::fcntl(res_wr, libc::F_SETFD, 0);
                    } else {
                        libc::dup2(res_wr, HELPER_REPORT_FD);
                    }
                }
                let e = cmd.execve();
                let _ = ChildRecord::new(0, RecordStage::Exec, e, 0).write_to(res_wr);
                libc::_exit(127);
            }
        }
    }
}

/// `write` until done (the child's only output path; no allocation).
fn write_full(fd: i32, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: writing a buffer we own.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n <= 0 {
            if n < 0 && errno() == libc::EINTR {
                continue;
            }
            return;
        }
        bytes = &bytes[n as usize..];
    }
}

struct Waiter {
    pid: i32,
    exec: bool,
    res_rd: i32,
    out_rd: i32,
    pidfd: i32,
    buf: Vec<u8>,
    records: Vec<ChildRecord>,
    output: Option<Capture>,
}

impl Waiter {
    fn wait(&mut self, timeout: Duration, expected: usize, exec: bool) -> Termination {
        let mut deadline = Instant::now() + timeout;
        loop {
            let now = Instant::now();
            if now >= deadline {
                return self.kill_and_reap(true);
            }
            let ms = (deadline - now).as_millis().clamp(1, i32::MAX as u128) as i32;
            let mut fds = [pollfd(self.res_rd), pollfd(self.out_rd), pollfd(self.pidfd)];
            // SAFETY: poll over a stack array.
            let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as _, ms) };
            if n < 0 {
                if super::interrupt::interrupted() {
                    return self.kill_and_reap(true);
                }
                continue;
            }
            if fds[0].revents != 0 {
                let before = self.records.len();
                if !self.drain_records() {
                    close(self.res_rd);
                    self.res_rd = -1;
                }
                if self.records.len() > before {
                    // Profile isolation streams records: each probe gets its own deadline.
                    deadline = Instant::now() + timeout;
                }
                // Our own drivers `_exit` right after their last record, and without exec
                // nothing else holds the pipe: reap directly.
                if !exec && (self.records.len() >= expected || self.res_rd < 0) {
                    return self.reap_blocking();
                }
            }
            if fds[1].revents != 0 && !self.drain_output() {
                close(self.out_rd);
                self.out_rd = -1;
            }
            if fds[2].revents != 0 {
                let t = self.reap_blocking();
                self.drain_records();
                self.drain_output();
                return t;
            }
        }
    }

    /// Reads every complete record available; false on EOF.
    fn drain_records(&mut self) -> bool {
        if self.res_rd < 0 {
            return false;
        }
        let mut chunk = [0u8; RECORD_LEN * 256];
        loop {
            // SAFETY: read into a stack buffer from a non-blocking fd.
            let n = unsafe { libc::read(self.res_rd, chunk.as_mut_ptr().cast(), chunk.len()) };
            if n == 0 {
                return false;
            }
            if n < 0 {
                match errno() {
                    libc::EINTR => continue,
                    e => return e == libc::EAGAIN,
                }
            }
            self.buf.extend_from_slice(&chunk[..n as usize]);
            while self.buf.len() >= RECORD_LEN {
                let b: [u8; RECORD_LEN] =
                    self.buf[..RECORD_LEN].try_into().unwrap_or([0; RECORD_LEN]);
                self.buf.drain(..RECORD_LEN);
                if let Some(r) = ChildRecord::decode(&b) {
                    self.records.push(r);
                }
            }
        }
    }

    /// Reads available output into the bounded capture; false on EOF.
    fn drain_output(&mut self) -> bool {
        if self.out_rd < 0 {
            return false;
        }
        let mut chunk = [0u8; 65536];
        loop {
            // SAFETY: read into a stack buffer from a non-blocking fd.
            let n = unsafe { libc::read(self.out_rd, chunk.as_mut_ptr().cast(), chunk.len()) };
            if n == 0 {
                return false;
            }
            if n < 0 {
                match errno() {
                    libc::EINTR => continue,
                    e => return e == libc::EAGAIN,
                }
            }
            if let Some(c) = self.output.as_mut() {
                c.push(&chunk[..n as usize]);
            }
        }
    }

    fn reap_blocking(&mut self) -> Termination {
        let mut status = 0;
        // SAFETY: reaping our own child, then killing whatever it left in its group.
        unsafe {
            while libc::waitpid(self.pid, &mut status, 0) < 0 && errno() == libc::EINTR {}
            if self.exec {
                libc::kill(-self.pid, libc::SIGKILL);
            }
        }
        decode_status(status)
    }

    fn kill_and_reap(&mut self, timed_out: bool) -> Termination {
        // SAFETY: killing our child's process group (and the child itself, in case setpgid lost
        // a race), then reaping it.
        unsafe {
            if self.exec {
                libc::kill(-self.pid, libc::SIGKILL);
            }
            libc::kill(self.pid, libc::SIGKILL);
        }
        let t = self.reap_blocking();
        self.drain_records();
        self.drain_output();
        if timed_out { Termination::TimedOut } else { t }
    }
}

fn pollfd(fd: i32) -> libc::pollfd {
    libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    }
}

fn decode_status(status: i32) -> Termination {
    if libc::WIFSIGNALED(status) {
        Termination::Signaled(libc::WTERMSIG(status))
    } else {
        Termination::Exited(libc::WEXITSTATUS(status))
    }
}
