//! The engine side of the worker pool: fork `-j` workers (the engine has no threads), hand out
//! job ids as workers become idle, collect stage records.

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

use crate::model::StageRecord;
use crate::sys::fd;
use crate::sys::process::{self, Forked};

use super::frame::{Frame, FrameReader};
use super::progress::Progress;
use super::worker::{self, SERIAL_JOB};
use super::worker_context::Context;

struct Handle {
    pid: i32,
    /// `None` once closed: the worker sees EOF and exits.
    cmd_wr: Option<OwnedFd>,
    /// `None` once the worker died or spoke garbage.
    res_rd: Option<OwnedFd>,
    busy: bool,
    reader: FrameReader,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum PoolError {
    #[error("cannot start a worker: {0}")]
    Spawn(io::Error),
    #[error("interrupted")]
    Interrupted,
}

/// What the pool ran: the records in arrival order, and whether `progress` stopped it early.
pub(crate) struct Ran {
    pub records: Vec<StageRecord>,
    pub stopped: bool,
}

/// Runs every scheduled job (until `progress` says stop); returns the records.
pub(crate) fn run(
    ctx: &Context,
    workers: usize,
    progress: &mut dyn Progress,
) -> Result<Ran, PoolError> {
    let mut queue: VecDeque<u32> = (0..ctx.schedule.jobs.len() as u32).collect();
    // The serial (destructive) job runs alone after every other job: its probes and restores
    // change fixture paths that other workers' sandboxes open while preparing.
    let mut serial_pending = !ctx.schedule.serial.units.is_empty();
    let n = workers
        .max(1)
        .min(queue.len().max(usize::from(serial_pending)));
    let mut records = Vec::new();
    let mut stopped = false;
    if n == 0 {
        return Ok(Ran { records, stopped });
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    let mut handles: Vec<Handle> = Vec::with_capacity(n);
    for _ in 0..n {
        match spawn(ctx) {
            Ok(h) => handles.push(h),
            Err(e) => {
                shutdown(&mut handles, true);
                return Err(PoolError::Spawn(e));
            }
        }
    }
    let total = ctx.schedule.serial.units.len()
        + ctx
            .schedule
            .jobs
            .iter()
            .map(|j| j.probes.len())
            .sum::<usize>();
    progress.start(total as u64);
    for h in handles.iter_mut() {
        if queue.is_empty() && serial_pending {
            break;
        }
        assign(h, &mut queue);
    }
    loop {
        if stopped {
            // Idle workers (some held back for the serial job) get no job: they exit.
            for h in handles.iter_mut().filter(|h| !h.busy && h.cmd_wr.is_some()) {
                assign(h, &mut queue);
            }
        }
        if serial_pending && queue.is_empty() && handles.iter().all(|h| !h.busy) {
            serial_pending = false;
            queue.push_back(SERIAL_JOB);
            for h in handles.iter_mut().filter(|h| h.res_rd.is_some()) {
                assign(h, &mut queue);
            }
        }
        let live: Vec<usize> = (0..handles.len())
            .filter(|&i| handles[i].res_rd.is_some())
            .collect();
        if live.is_empty() {
            break;
        }
        let mut fds: Vec<libc::pollfd> = live
            .iter()
            .map(|&i| fd::poll_in(handles[i].res_rd.as_ref().map_or(-1, |f| f.as_raw_fd())))
            .collect();
        // The timeout only bounds how late a Ctrl-C that arrived before the poll is noticed.
        let polled = if super::interrupt::interrupted() {
            Err(io::Error::from_raw_os_error(libc::EINTR))
        } else {
            fd::poll(&mut fds, 500)
        };
        if super::interrupt::interrupted() {
            progress.finish();
            shutdown(&mut handles, true);
            return Err(PoolError::Interrupted);
        }
        if !matches!(polled, Ok(n) if n > 0) {
            progress.tick();
            continue;
        }
        for (k, &i) in live.iter().enumerate() {
            if fds[k].revents == 0 {
                continue;
            }
            let h = &mut handles[i];
            let rd = h.res_rd.as_ref().map_or(-1, |f| f.as_raw_fd());
            let mut open = matches!(h.reader.fill(rd), Ok(true));
            while let Some(frame) = h.reader.next_frame() {
                match frame {
                    Ok(Frame::Record(rec)) => {
                        if progress.finished(&rec).is_break() && !stopped {
                            // No new job: each worker exits once its current job is done.
                            stopped = true;
                            queue.clear();
                            serial_pending = false;
                        }
                        records.push(*rec);
                    }
                    Ok(Frame::Done) => {
                        h.busy = false;
                        // Before the serial job, hold this worker back until all are idle.
                        if !(queue.is_empty() && serial_pending) {
                            assign(h, &mut queue);
                        }
                    }
                    Err(_) => open = false,
                }
            }
            // A worker that died or spoke garbage: its unfinished units are filled in later.
            if !open {
                h.res_rd = None;
                h.cmd_wr = None;
                h.busy = false;
            }
        }
    }
    progress.finish();
    shutdown(&mut handles, false);
    Ok(Ran { records, stopped })
}

/// Gives the worker the next job, or closes its command pipe so it exits.
fn assign(h: &mut Handle, queue: &mut VecDeque<u32>) {
    match (queue.pop_front(), &h.cmd_wr) {
        (Some(id), Some(cmd)) => {
            if fd::write_all(cmd.as_raw_fd(), &id.to_le_bytes()).is_ok() {
                h.busy = true;
            } else {
                queue.push_front(id);
            }
        }
        (Some(id), None) => queue.push_front(id),
        (None, _) => h.cmd_wr = None,
    }
}

fn spawn(ctx: &Context) -> io::Result<Handle> {
    let (cmd_rd, cmd_wr) = fd::pipe()?;
    let (res_rd, res_wr) = fd::pipe()?;
    let engine = process::getpid();
    // SAFETY (cannot move into sys: the child's body is below): the engine is single-threaded
    // here (no fixture or listener threads exist); the worker never returns into the engine.
    match unsafe { process::fork() }? {
        Forked::Child => {
            // Keep only this worker's two pipe ends (and stdio). Closing every other inherited
            // fd — the engine's ends, other workers', and any pipes a second engine in the same
            // process (a multi-threaded test binary) has open — is what lets EOF reach each
            // worker. A worker that cannot do that, or cannot die with the engine, must not run.
            let keep = [cmd_rd.as_raw_fd(), res_wr.as_raw_fd()];
            if fd::close_all_except(&keep).is_err()
                || process::set_parent_death_signal(libc::SIGKILL).is_err()
                || process::parent_pid() != engine
            {
                process::exit(worker::WorkerExit::SetupFailed as i32);
            }
            worker::main(ctx, keep[0], keep[1])
        }
        Forked::Parent(pid) => Ok(Handle {
            pid,
            cmd_wr: Some(cmd_wr),
            res_rd: Some(res_rd),
            busy: false,
            reader: FrameReader::default(),
        }),
    }
}

fn shutdown(handles: &mut [Handle], kill: bool) {
    for h in handles.iter_mut() {
        h.cmd_wr = None;
        if kill {
            // ESRCH: it already exited.
            let _ = process::kill(h.pid, libc::SIGKILL);
        }
        // Reaping our own worker; ECHILD only if it was reaped already.
        let _ = process::wait(h.pid);
        h.res_rd = None;
    }
}
