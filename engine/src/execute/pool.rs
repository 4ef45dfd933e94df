//! The engine side of the worker pool: fork `-j` workers (the engine has no threads), hand out
//! job ids as workers become idle, collect stage records.

use std::collections::VecDeque;

use crate::model::StageRecord;

use super::context::Context;
use super::frame::{self, Frame, FrameReader};
use super::progress::Progress;
use super::worker::{self, SERIAL_JOB};

struct Handle {
    pid: i32,
    cmd_wr: i32,
    res_rd: i32,
    busy: bool,
    reader: FrameReader,
}

#[derive(Debug)]
pub enum PoolError {
    Spawn(i32),
    Interrupted,
}

fn errno() -> i32 {
    crate::probes::helper_errno()
}

fn pipe() -> Result<(i32, i32), i32> {
    let mut fds = [0i32; 2];
    // SAFETY: pipe2 into a 2-element array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(errno());
    }
    Ok((fds[0], fds[1]))
}

fn close(fd: i32) {
    if fd >= 0 {
        // SAFETY: closing an fd we own.
        unsafe {
            libc::close(fd);
        }
    }
}

/// What the pool ran: the records in arrival order, and whether `progress` stopped it early.
pub struct Ran {
    pub records: Vec<StageRecord>,
    pub stopped: bool,
}

/// Runs every scheduled job (until `progress` says stop); returns the records.
pub fn run(ctx: &Context, workers: usize, progress: &mut dyn Progress) -> Result<Ran, PoolError> {
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
            for h in handles.iter_mut().filter(|h| !h.busy && h.cmd_wr >= 0) {
                assign(h, &mut queue);
            }
        }
        if serial_pending && queue.is_empty() && handles.iter().all(|h| !h.busy) {
            serial_pending = false;
            queue.push_back(SERIAL_JOB);
            for h in handles.iter_mut().filter(|h| h.res_rd >= 0) {
                assign(h, &mut queue);
            }
        }
        let live: Vec<usize> = (0..handles.len())
            .filter(|&i| handles[i].res_rd >= 0)
            .collect();
        if live.is_empty() {
            break;
        }
        let mut fds: Vec<libc::pollfd> = live
            .iter()
            .map(|&i| libc::pollfd {
                fd: handles[i].res_rd,
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        // SAFETY: poll over a Vec we own. The timeout only bounds how late a Ctrl-C that
        // arrived before the poll is noticed.
        let r = if super::interrupt::interrupted() {
            -1
        } else {
            unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as _, 500) }
        };
        if super::interrupt::interrupted() {
            progress.finish();
            shutdown(&mut handles, true);
            return Err(PoolError::Interrupted);
        }
        if r <= 0 {
            progress.tick();
            continue;
        }
        for (k, &i) in live.iter().enumerate() {
            if fds[k].revents == 0 {
                continue;
            }
            let h = &mut handles[i];
            let mut open = matches!(h.reader.fill(h.res_rd), Ok(true));
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
                close(h.res_rd);
                h.res_rd = -1;
                close(h.cmd_wr);
                h.cmd_wr = -1;
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
    match queue.pop_front() {
        Some(id) if h.cmd_wr >= 0 => {
            if frame::write_all(h.cmd_wr, &id.to_le_bytes()).is_ok() {
                h.busy = true;
            } else {
                queue.push_front(id);
            }
        }
        Some(id) => queue.push_front(id),
        None => {
            close(h.cmd_wr);
            h.cmd_wr = -1;
        }
    }
}

fn spawn(ctx: &Context) -> Result<Handle, i32> {
    let (cmd_rd, cmd_wr) = pipe()?;
    let (res_rd, res_wr) = match pipe() {
        Ok(p) => p,
        Err(e) => {
            close(cmd_rd);
            close(cmd_wr);
            return Err(e);
        }
    };
    // SAFETY: the engine is single-threaded here (no fixture or listener threads exist); the
    // worker never returns into the engine's code.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        let e = errno();
        for fd in [cmd_rd, cmd_wr, res_rd, res_wr] {
            close(fd);
        }
        return Err(e);
    }
    if pid == 0 {
        // Keep only this worker's two pipe ends (and stdio). Closing every other inherited fd
        // — the engine's ends, other workers', and any pipes a second engine in the same
        // process (a multi-threaded test binary) has open — is what lets EOF reach each worker.
        super::inherited_fds::close_all_except(cmd_rd, res_wr);
        // SAFETY: die with the engine.
        unsafe {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        }
        worker::main(ctx, cmd_rd, res_wr);
    }
    close(cmd_rd);
    close(res_wr);
    Ok(Handle {
        pid,
        cmd_wr,
        res_rd,
        busy: false,
        reader: FrameReader::default(),
    })
}

fn shutdown(handles: &mut [Handle], kill: bool) {
    for h in handles.iter_mut() {
        close(h.cmd_wr);
        h.cmd_wr = -1;
        // SAFETY: killing (when interrupted) and reaping our own workers.
        unsafe {
            if kill {
                libc::kill(h.pid, libc::SIGKILL);
            }
            libc::waitpid(h.pid, std::ptr::null_mut(), 0);
        }
        close(h.res_rd);
        h.res_rd = -1;
    }
}
