//! Driver children without a page-table copy: `clone(CLONE_VM | CLONE_VFORK)`.
//!
//! Driver probes never exec and never fork, so their child can share the worker's memory the
//! way `vfork` does: the worker is suspended until the child `_exit`s, the child runs on its
//! own stack (with a guard page), applies the sandbox to itself only (Landlock and seccomp
//! attach to the calling task), performs the drivers and writes each result straight into a
//! slot array the worker allocated before the clone. No pipe, no poll, no copy-on-write
//! faults. Because the worker cannot watch the clock while suspended, the per-probe timeout
//! is an `ITIMER_REAL` armed in the child before each probe: SIGALRM (default action:
//! terminate) ends a probe that overruns it.

use std::time::{Duration, Instant};

use crate::probes::Operation;

use super::child::{ChildExit, Termination};
use super::record::{ChildRecord, RECORD_LEN, RecordStage};
use super::sandbox::AppliedInChild;

/// The child's stack; reused for every child of this worker.
pub struct ChildStack {
    base: *mut libc::c_void,
    len: usize,
}

const STACK_LEN: usize = 1 << 20;
const GUARD_LEN: usize = 1 << 16;

impl ChildStack {
    pub fn new() -> Result<ChildStack, i32> {
        // SAFETY: an anonymous private mapping we own; its lowest pages become the guard.
        unsafe {
            let base = libc::mmap(
                std::ptr::null_mut(),
                STACK_LEN,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
                -1,
                0,
            );
            if base == libc::MAP_FAILED {
                return Err(crate::probes::helper_errno());
            }
            libc::mprotect(base, GUARD_LEN, libc::PROT_NONE);
            Ok(ChildStack {
                base,
                len: STACK_LEN,
            })
        }
    }

    fn top(&self) -> *mut libc::c_void {
        // 16-byte aligned top of the mapping.
        (self.base as usize + self.len - 64) as *mut libc::c_void
    }
}

impl Drop for ChildStack {
    fn drop(&mut self) {
        // SAFETY: unmapping our own mapping.
        unsafe {
            libc::munmap(self.base, self.len);
        }
    }
}

/// What the child reads (and the slots it writes), all owned by the suspended worker.
struct Job<'a> {
    sandbox: Option<&'a dyn AppliedInChild>,
    ops: &'a [&'a Operation],
    slots: *mut u8,
    filled: *mut u32,
    timeout: Duration,
}

extern "C" fn child_entry(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` is the `Job` on the suspended worker's stack; only raw syscalls follow,
    // and the slot writes stay inside the array the worker sized for `ops`.
    unsafe {
        let job = &*(arg as *const Job);
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        let put = |i: usize, rec: ChildRecord| {
            let b = rec.encode();
            std::ptr::copy_nonoverlapping(b.as_ptr(), job.slots.add(i * RECORD_LEN), RECORD_LEN);
            *job.filled = (i + 1) as u32;
        };
        if let Some(sb) = job.sandbox
            && let Err(f) = sb.apply()
        {
            put(0, ChildRecord::apply_failed(0, f.reason, f.errno, f.step));
            libc::_exit(0);
        }
        let timer = libc::itimerval {
            it_interval: libc::timeval {
                tv_sec: 0,
                tv_usec: 0,
            },
            it_value: libc::timeval {
                tv_sec: job.timeout.as_secs() as libc::time_t,
                tv_usec: job.timeout.subsec_micros() as libc::suseconds_t,
            },
        };
        for (i, op) in job.ops.iter().enumerate() {
            libc::setitimer(libc::ITIMER_REAL, &timer, std::ptr::null_mut());
            let r = op.perform();
            put(
                i,
                ChildRecord::new(i as u32, RecordStage::Operation, r.errno, r.value),
            );
        }
        libc::_exit(0)
    }
}

/// Runs the drivers in one shared-memory child; returns when it has exited.
pub fn run(
    stack: &ChildStack,
    sandbox: Option<&dyn AppliedInChild>,
    ops: &[&Operation],
    timeout: Duration,
) -> Result<ChildExit, i32> {
    let started = Instant::now();
    let mut slots = vec![0u8; RECORD_LEN * ops.len().max(1)];
    let mut filled: u32 = 0;
    let job = Job {
        sandbox,
        ops,
        slots: slots.as_mut_ptr(),
        filled: &mut filled,
        timeout,
    };
    // SAFETY: CLONE_VFORK suspends this worker until the child exits, so the child is the only
    // one touching the shared memory while it runs; it has its own stack.
    let pid = unsafe {
        libc::clone(
            child_entry,
            stack.top(),
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            &job as *const Job as *mut libc::c_void,
        )
    };
    if pid < 0 {
        return Err(crate::probes::helper_errno());
    }
    let mut status = 0;
    // SAFETY: reaping our own child.
    unsafe {
        while libc::waitpid(pid, &mut status, 0) < 0 && crate::probes::helper_errno() == libc::EINTR
        {
        }
    }
    // SAFETY: the child has exited; read what it wrote (volatile: written by another task).
    let filled = unsafe { std::ptr::read_volatile(&filled) } as usize;
    let records = (0..filled.min(ops.len().max(1)))
        .filter_map(|i| {
            let b: [u8; RECORD_LEN] = slots[i * RECORD_LEN..(i + 1) * RECORD_LEN]
                .try_into()
                .ok()?;
            ChildRecord::decode(&b)
        })
        .collect();
    let termination = if libc::WIFSIGNALED(status) {
        match libc::WTERMSIG(status) {
            // Our timer: the probe in flight overran the per-probe timeout (a probe that sends
            // itself SIGALRM dies sooner and stays a crash).
            libc::SIGALRM if started.elapsed() >= timeout => Termination::TimedOut,
            sig => Termination::Signaled(sig),
        }
    } else {
        Termination::Exited(libc::WEXITSTATUS(status))
    };
    Ok(ChildExit {
        records,
        termination,
        output: None,
        elapsed: started.elapsed(),
        pid,
    })
}
