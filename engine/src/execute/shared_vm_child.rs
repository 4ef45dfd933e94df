//! Driver children without a page-table copy: `clone(CLONE_VM | CLONE_VFORK)`.
//!
//! Driver probes never exec and never fork, so their child can share the worker's memory the
//! way `vfork` does: the worker is suspended until the child `_exit`s, the child runs on its
//! own stack (with a guard page), opens what `acquire=before` drivers use, applies the
//! sandbox to itself only (Landlock and seccomp attach to the calling task), performs the
//! drivers and writes each result straight into a slot array the worker allocated before the
//! clone. No pipe, no poll, no copy-on-write faults. Because the worker cannot watch the clock
//! while suspended, the per-probe timeout is an `ITIMER_REAL` armed in the child before each
//! probe (and before each acquisition): SIGALRM (default action: terminate) ends a probe that
//! overruns it.

use std::time::{Duration, Instant};

use crate::compile::AppliedInChild;
use crate::probes::report::{ChildRecord, RECORD_LEN};
use crate::probes::{Operation, Slots};
use crate::sys::errno::raw;
use crate::sys::process::{self, ChildStack, WaitStatus};

use super::child::{ChildExit, StartError, Termination};

/// What the child reads (and the slots it writes), all owned by the suspended worker.
struct Job<'a> {
    sandbox: Option<&'a dyn AppliedInChild>,
    ops: &'a [&'a Operation],
    /// What `acquire=before` operations opened before apply, one slot per operation.
    held: &'a Slots,
    slots: *mut u8,
    filled: *mut u32,
    timeout: Duration,
}

extern "C" fn child_entry(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY (cannot move into sys: this is the child's body, reading the suspended worker's
    // memory): `arg` is the `Job` on the worker's stack, alive until this task exits; the slot
    // writes stay inside the array the worker sized for `ops`; only raw syscalls follow.
    let job = unsafe { &*(arg as *const Job) };
    let put = |i: usize, rec: ChildRecord| {
        let b = rec.encode();
        // SAFETY: as above; `i` < the number of slots.
        unsafe {
            std::ptr::copy_nonoverlapping(b.as_ptr(), job.slots.add(i * RECORD_LEN), RECORD_LEN);
            *job.filled = (i + 1) as u32;
        }
    };
    if let Err(e) = process::set_parent_death_signal(libc::SIGKILL) {
        put(
            0,
            ChildRecord::setup_failed(0, "prctl(PR_SET_PDEATHSIG)", raw(&e)),
        );
        process::exit(0);
    }
    // `acquire=before`: what those operations use is opened while no sandbox exists yet.
    for (i, op) in job.ops.iter().enumerate() {
        if op.acquires_before() {
            if let Err(e) = process::arm_real_timer(job.timeout) {
                put(i, ChildRecord::setup_failed(i as u32, "setitimer", raw(&e)));
                process::exit(0);
            }
            job.held.set(i, op.acquire());
        }
    }
    if let Some(sb) = job.sandbox
        && let Err(f) = sb.apply()
    {
        put(0, ChildRecord::apply_failed(0, f.reason, f.errno, f.step));
        process::exit(0);
    }
    for (i, op) in job.ops.iter().enumerate() {
        if let Err(e) = process::arm_real_timer(job.timeout) {
            put(i, ChildRecord::setup_failed(i as u32, "setitimer", raw(&e)));
            process::exit(0);
        }
        put(
            i,
            ChildRecord::operation(i as u32, op.perform(&job.held.get(i))),
        );
    }
    process::exit(0)
}

/// Runs the drivers in one shared-memory child; returns when it has exited.
pub(crate) fn run(
    stack: &ChildStack,
    sandbox: Option<&dyn AppliedInChild>,
    ops: &[&Operation],
    timeout: Duration,
) -> Result<ChildExit, StartError> {
    let started = Instant::now();
    let mut slots = vec![0u8; RECORD_LEN * ops.len().max(1)];
    let mut filled: u32 = 0;
    let held = Slots::new(ops.len());
    let job = Job {
        sandbox,
        ops,
        held: &held,
        slots: slots.as_mut_ptr(),
        filled: &mut filled,
        timeout,
    };
    // SAFETY (the trampoline above is this call's child): CLONE_VFORK suspends this worker
    // until the child exits, so the child is the only one touching the shared memory while it
    // runs, on its own stack; `job` outlives it.
    let pid = unsafe {
        process::clone_vm_vfork(child_entry, stack, &job as *const Job as *mut libc::c_void)
    }
    .map_err(|source| StartError {
        step: "clone(CLONE_VM|CLONE_VFORK)",
        source,
    })?;
    let status = process::wait(pid).map_err(|source| StartError {
        step: "waitpid",
        source,
    })?;
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
    let termination = match status.1 {
        // Our timer: the probe in flight overran the per-probe timeout (a probe that sends
        // itself SIGALRM dies sooner and stays a crash).
        WaitStatus::Signaled(libc::SIGALRM) if started.elapsed() >= timeout => {
            Termination::TimedOut
        }
        other => other.into(),
    };
    Ok(ChildExit {
        records,
        termination,
        output: None,
        elapsed: started.elapsed(),
        pid,
    })
}
