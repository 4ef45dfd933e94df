//! One probe child: fork, set up, apply, run the driver(s) or execve, report over a pipe,
//! `_exit`. Every setup step is checked; a failure is reported as the step and its errno.
//!
//! Three shapes:
//! - driver children (`fork_drivers`): acquire what `acquire=before` operations use, apply,
//!   perform the operations;
//! - the probe helper (xpr's own binary, trusted like the drivers): a forked child that leads
//!   its own process group, applies the profile and execs the helper;
//! - any other command: the worker forks an *init* into a new PID namespace (pid 1 there). The
//!   init applies the host guard and the profile's Landlock domain, forks the command (pid 2),
//!   which applies the profile's filters and execs; the init reaps everything in the namespace
//!   and reports the command's wait status. When the init ends, the kernel kills every process
//!   left in the namespace, so nothing the command started outlives the probe, and no process
//!   outside the run can even be named.
//!
//! The worker waits with a per-probe deadline and SIGKILLs the child (and its group) when it
//! passes. Exec children are watched through a pidfd, because a process the command started
//! can keep the pipes open.

use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use crate::compile::AppliedInChild;
use crate::probes::report::{ChildRecord, RECORD_LEN, RecordStage};
use crate::probes::{ExecCommand, HELPER_REPORT_FD, Operation, Slots};
use crate::sys::errno::raw;
use crate::sys::process::{self, Forked, WaitStatus};
use crate::sys::{fd, namespace, sigaction};

use super::capture::Capture;
use super::guard::HostGuard;

/// What the child runs after the sandbox is applied.
pub(crate) enum Body<'a> {
    /// Drivers in sequence, one record each (probe isolation passes one).
    Ops(&'a [&'a Operation]),
    /// xpr's probe helper.
    Helper(&'a ExecCommand),
    /// A command the experiment chose, inside the host guard and its own PID namespace.
    Command(&'a ExecCommand, &'a HostGuard),
}

/// How the child ended, kept apart from what it reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Termination {
    Exited(i32),
    Signaled(i32),
    /// The per-probe deadline passed; the process group was killed.
    TimedOut,
}

impl From<WaitStatus> for Termination {
    fn from(s: WaitStatus) -> Termination {
        match s {
            WaitStatus::Exited(c) => Termination::Exited(c),
            WaitStatus::Signaled(s) => Termination::Signaled(s),
        }
    }
}

#[derive(Debug)]
pub(crate) struct ChildExit {
    pub records: Vec<ChildRecord>,
    pub termination: Termination,
    pub output: Option<Capture>,
    pub elapsed: Duration,
    /// The pid of the process that applied the profile's Landlock domain (audit records name
    /// it): the child, or an exec probe's init.
    pub pid: i32,
}

pub(crate) struct ChildSpec<'a> {
    pub sandbox: Option<&'a dyn AppliedInChild>,
    pub body: Body<'a>,
    pub timeout: Duration,
    /// `/dev/null`, opened by the worker, for exec children's stdin.
    pub devnull: RawFd,
    /// Exec children keep the worker's stdin, stdout and stderr; no output is captured.
    pub passthrough: bool,
    pub output_limit: usize,
}

/// The worker's own setup of a child failed: which call, and its error.
#[derive(Debug, thiserror::Error)]
#[error("{step}: {source}")]
pub(crate) struct StartError {
    pub step: &'static str,
    #[source]
    pub source: io::Error,
}

fn start<T>(step: &'static str, r: io::Result<T>) -> Result<T, StartError> {
    r.map_err(|source| StartError { step, source })
}

/// The step that creates a command's PID namespace (its failure blocks the probe: a command
/// never runs outside the host guard).
pub(crate) const NEW_PID_NAMESPACE: &str = "clone(CLONE_NEWPID)";

/// Exit status of a child whose setup failed (the record on the pipe says where).
const SETUP_FAILED: i32 = 126;
/// Exit status after a failed execve (the shell's convention; the record has the errno).
const EXEC_FAILED: i32 = 127;

/// A non-blocking read end, so draining after the child's exit never blocks on a pipe a
/// process the command started still holds.
fn pipe_pair() -> io::Result<(OwnedFd, OwnedFd)> {
    let (rd, wr) = fd::pipe()?;
    fd::set_nonblocking(rd.as_fd())?;
    Ok((rd, wr))
}

/// Runs one child to completion.
pub(crate) fn run(spec: &ChildSpec) -> Result<ChildExit, StartError> {
    let started = Instant::now();
    let (res_rd, res_wr) = start("pipe(results)", pipe_pair())?;
    let exec = !matches!(spec.body, Body::Ops(_));
    let out = if exec && !spec.passthrough {
        Some(start("pipe(output)", pipe_pair())?)
    } else {
        None
    };
    let out_wr = out.as_ref().map_or(-1, |(_, w)| w.as_raw_fd());
    let held = Slots::new(match spec.body {
        Body::Ops(ops) => ops.len(),
        _ => 0,
    });
    let worker = process::getpid();
    // SAFETY (cannot move into sys: the child's body is below): the worker is single-threaded;
    // the child only makes raw syscalls until execve or _exit.
    let forked = match spec.body {
        Body::Command(..) => unsafe { namespace::fork_into_new_pid_namespace() },
        _ => unsafe { process::fork() },
    };
    let step = match spec.body {
        Body::Command(..) => NEW_PID_NAMESPACE,
        _ => "fork",
    };
    let pid = match start(step, forked)? {
        Forked::Child => child_main(spec, &held, worker, res_wr.as_raw_fd(), out_wr),
        Forked::Parent(pid) => pid,
    };
    if let Body::Helper(_) = spec.body {
        // Also from this side, closing the race with a timeout kill; the child does the same,
        // so EACCES (it already exec'd) or ESRCH (it already ended) are expected.
        let _ = process::set_process_group(pid, pid);
    }
    // Closing our copies of the write ends lets EOF mean "no writer left".
    drop(res_wr);
    let out_rd = out.map(|(rd, _)| rd);
    let pidfd = if exec {
        match process::pidfd_open(pid) {
            Ok(fd) => Some(fd),
            Err(source) => {
                let _ = process::kill(pid, libc::SIGKILL);
                let _ = process::wait(pid);
                return Err(StartError {
                    step: "pidfd_open",
                    source,
                });
            }
        }
    } else {
        None
    };
    let expected = match spec.body {
        Body::Ops(ops) => ops.len(),
        _ => 1,
    };
    let mut w = Waiter {
        pid,
        group: matches!(spec.body, Body::Helper(_)),
        exec,
        res_rd: Some(res_rd),
        out_rd,
        pidfd,
        buf: Vec::with_capacity(RECORD_LEN * expected),
        records: Vec::with_capacity(expected),
        output: exec.then(|| Capture::new(spec.output_limit)),
    };
    let mut termination = w.wait(spec.timeout, expected);
    // An init reports the command's status; its own exit says nothing about the probe.
    if let Some(i) = w
        .records
        .iter()
        .position(|r| r.stage == RecordStage::Status)
    {
        let status = w.records.remove(i);
        if termination != Termination::TimedOut {
            termination = WaitStatus::decode(status.value as i32).into();
        }
    }
    Ok(ChildExit {
        records: w.records,
        termination,
        output: w.output,
        elapsed: started.elapsed(),
        pid,
    })
}

/// In a forked child: a failed setup step is reported on the result pipe and ends the child.
fn must<T>(res_wr: RawFd, step: &'static str, r: io::Result<T>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => {
            let _ = ChildRecord::setup_failed(0, step, raw(&e)).write_to(res_wr);
            process::exit(SETUP_FAILED)
        }
    }
}

/// In a forked child: applies `apply` or reports why not and ends the child.
fn must_apply(res_wr: RawFd, apply: Result<(), crate::compile::ApplyFailure>) {
    if let Err(f) = apply {
        let _ = ChildRecord::apply_failed(0, f.reason, f.errno, f.step).write_to(res_wr);
        process::exit(0);
    }
}

/// Dies with the worker; `worker` is checked because the worker may have died before the
/// signal was armed (a new PID namespace's init has no visible parent: `worker` is 0 there).
fn die_with_worker(res_wr: RawFd, worker: i32) {
    must(
        res_wr,
        "prctl(PR_SET_PDEATHSIG)",
        process::set_parent_death_signal(libc::SIGKILL),
    );
    if worker != 0 && process::parent_pid() != worker {
        process::exit(SETUP_FAILED);
    }
}

/// An exec'd program gets default dispositions (the worker ignores SIGINT, Rust SIGPIPE) and
/// `/dev/null` as stdin, the output pipe as stdout and stderr (or, passed through, xpr's own).
fn command_stdio(spec: &ChildSpec, res_wr: RawFd, out_wr: RawFd) {
    for sig in [libc::SIGINT, libc::SIGPIPE] {
        must(res_wr, "sigaction", sigaction::set_default(sig));
    }
    if spec.passthrough {
        return;
    }
    must(res_wr, "dup2(stdin)", fd::dup2(spec.devnull, 0));
    must(res_wr, "dup2(stdout)", fd::dup2(out_wr, 1));
    must(res_wr, "dup2(stderr)", fd::dup2(out_wr, 2));
}

/// The child: never returns. Raw syscalls only.
fn child_main(spec: &ChildSpec, held: &Slots, worker: i32, res_wr: RawFd, out_wr: RawFd) -> ! {
    match spec.body {
        Body::Ops(ops) => {
            die_with_worker(res_wr, worker);
            // `acquire=before`: opened while no sandbox exists yet.
            for (i, op) in ops
                .iter()
                .enumerate()
                .filter(|(_, op)| op.acquires_before())
            {
                held.set(i, op.acquire());
            }
            if let Some(sb) = spec.sandbox {
                must_apply(res_wr, sb.apply());
            }
            perform_all(ops, held, res_wr);
            process::exit(0)
        }
        Body::Helper(cmd) => {
            die_with_worker(res_wr, worker);
            // Its own process group, so whatever it forks dies with it.
            must(res_wr, "setpgid", process::set_process_group(0, 0));
            command_stdio(spec, res_wr, out_wr);
            if let Some(sb) = spec.sandbox {
                must_apply(res_wr, sb.apply());
            }
            // The helper reports on fd 3: dup2 onto it clears close-on-exec there (the
            // original stays close-on-exec).
            if res_wr == HELPER_REPORT_FD {
                must(res_wr, "fcntl(report fd)", fd::clear_cloexec(res_wr));
            } else {
                must(
                    res_wr,
                    "dup2(report fd)",
                    fd::dup2(res_wr, HELPER_REPORT_FD),
                );
            }
            exec(cmd, res_wr)
        }
        Body::Command(cmd, guard) => init_main(spec, cmd, guard, res_wr, out_wr),
    }
}

/// pid 1 of the command's PID namespace.
fn init_main(
    spec: &ChildSpec,
    cmd: &ExecCommand,
    guard: &HostGuard,
    res_wr: RawFd,
    out_wr: RawFd,
) -> ! {
    die_with_worker(res_wr, 0);
    command_stdio(spec, res_wr, out_wr);
    // The profile's namespaces first (a mount namespace, with a /proc of this PID namespace),
    // then the guard and the profile's Landlock layers.
    if let Some(sb) = spec.sandbox {
        must_apply(res_wr, sb.enter_namespaces(true));
    }
    must_apply(res_wr, guard.apply());
    if let Some(sb) = spec.sandbox {
        must_apply(res_wr, sb.apply_domain());
    }
    // SAFETY (cannot move into sys: the child's body is below): the init is single-threaded
    // and the command's process only applies its filters and execs.
    let command = match must(res_wr, "fork(command)", unsafe { process::fork() }) {
        Forked::Child => {
            if let Some(sb) = spec.sandbox {
                must_apply(res_wr, sb.apply_filters());
            }
            exec(cmd, res_wr)
        }
        Forked::Parent(pid) => pid,
    };
    // Reap everything the namespace orphans until the command itself ends.
    let status = loop {
        match must(res_wr, "wait(command)", process::wait(-1)) {
            (pid, status) if pid == command => break status,
            _ => {}
        }
    };
    let _ = ChildRecord::new(0, RecordStage::Status, 0, i64::from(status.raw())).write_to(res_wr);
    process::exit(0)
}

fn exec(cmd: &ExecCommand, res_wr: RawFd) -> ! {
    let e = cmd.execve();
    let _ = ChildRecord::new(0, RecordStage::Exec, raw(&e), 0).write_to(res_wr);
    process::exit(EXEC_FAILED)
}

/// Records go out in batches (one write per BATCH probes, each batch below PIPE_BUF so it stays
/// atomic); the worker re-runs unreported probes alone.
fn perform_all(ops: &[&Operation], held: &Slots, res_wr: RawFd) {
    const BATCH: usize = 128;
    let mut batch = [0u8; RECORD_LEN * BATCH];
    let mut filled = 0;
    for (i, op) in ops.iter().enumerate() {
        let rec = ChildRecord::operation(i as u32, op.perform(&held.get(i)));
        batch[filled * RECORD_LEN..(filled + 1) * RECORD_LEN].copy_from_slice(&rec.encode());
        filled += 1;
        if filled == BATCH || i + 1 == ops.len() {
            // Nothing to do about a failed write: the worker sees the probes unreported.
            let _ = fd::write_all(res_wr, &batch[..filled * RECORD_LEN]);
            filled = 0;
        }
    }
}

struct Waiter {
    pid: i32,
    /// The child leads a process group to kill with it.
    group: bool,
    exec: bool,
    res_rd: Option<OwnedFd>,
    out_rd: Option<OwnedFd>,
    pidfd: Option<OwnedFd>,
    buf: Vec<u8>,
    records: Vec<ChildRecord>,
    output: Option<Capture>,
}

fn raw_or_none(fd: &Option<OwnedFd>) -> RawFd {
    fd.as_ref().map_or(-1, |f| f.as_raw_fd())
}

impl Waiter {
    fn wait(&mut self, timeout: Duration, expected: usize) -> Termination {
        let mut deadline = Instant::now() + timeout;
        loop {
            let now = Instant::now();
            if now >= deadline {
                return self.kill_and_reap();
            }
            let ms = (deadline - now).as_millis().clamp(1, i32::MAX as u128) as i32;
            let mut fds = [
                fd::poll_in(raw_or_none(&self.res_rd)),
                fd::poll_in(raw_or_none(&self.out_rd)),
                fd::poll_in(raw_or_none(&self.pidfd)),
            ];
            if fd::poll(&mut fds, ms).is_err() {
                if super::interrupt::interrupted() {
                    return self.kill_and_reap();
                }
                continue;
            }
            if fds[0].revents != 0 {
                let before = self.records.len();
                if !self.drain_records() {
                    self.res_rd = None;
                }
                if self.records.len() > before {
                    // Profile isolation streams records: each probe gets its own deadline.
                    deadline = Instant::now() + timeout;
                }
                // Our own drivers `_exit` right after their last record, and without exec
                // nothing else holds the pipe: reap directly.
                if !self.exec && (self.records.len() >= expected || self.res_rd.is_none()) {
                    return self.reap();
                }
            }
            if fds[1].revents != 0 && !self.drain_output() {
                self.out_rd = None;
            }
            if fds[2].revents != 0 {
                let t = self.reap();
                self.drain_records();
                self.drain_output();
                return t;
            }
        }
    }

    /// Reads every complete record available; false on EOF.
    fn drain_records(&mut self) -> bool {
        let Some(rd) = self.res_rd.as_ref().map(|f| f.as_raw_fd()) else {
            return false;
        };
        let mut chunk = [0u8; RECORD_LEN * 256];
        loop {
            let n = match fd::read(rd, &mut chunk) {
                Ok(0) => return false,
                Ok(n) => n,
                Err(e) => return raw(&e) == libc::EAGAIN,
            };
            self.buf.extend_from_slice(&chunk[..n]);
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
        let Some(rd) = self.out_rd.as_ref().map(|f| f.as_raw_fd()) else {
            return false;
        };
        let mut chunk = [0u8; 65536];
        loop {
            let n = match fd::read(rd, &mut chunk) {
                Ok(0) => return false,
                Ok(n) => n,
                Err(e) => return raw(&e) == libc::EAGAIN,
            };
            if let Some(c) = self.output.as_mut() {
                c.push(&chunk[..n]);
            }
        }
    }

    /// Reaps the child, then kills whatever it left in its process group (an init's namespace
    /// is already empty: the kernel emptied it when the init ended).
    fn reap(&mut self) -> Termination {
        let t = match process::wait(self.pid) {
            Ok((_, status)) => status.into(),
            // Not ours any more (cannot happen for a child we forked): report it as killed.
            Err(_) => Termination::Signaled(libc::SIGKILL),
        };
        if self.group {
            // ESRCH: nothing was left in the group.
            let _ = process::kill_group(self.pid, libc::SIGKILL);
        }
        t
    }

    /// The deadline passed or the run was interrupted: kill the child (and its group), reap.
    fn kill_and_reap(&mut self) -> Termination {
        if self.group {
            let _ = process::kill_group(self.pid, libc::SIGKILL);
        }
        let _ = process::kill(self.pid, libc::SIGKILL);
        self.reap();
        self.drain_records();
        self.drain_output();
        Termination::TimedOut
    }
}
