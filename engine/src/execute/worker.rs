//! A worker process: single-threaded, forked from the engine before any thread exists. It
//! receives job ids, prepares sandboxes and probes (everything that allocates) and forks one
//! child per probe (or per profile), sending stage records back as frames.

use crate::model::{Lane, StageRecord};
use crate::probes::{ExecCommand, Operation, ProbeSpec};

use super::child::{self, Body, ChildExit, ChildSpec, Termination};
use super::context::Context;
use super::frame;
use super::record::ChildRecord;
use super::sandbox::{AppliedInChild, NotPrepared, ProfileSandbox};
use super::stage_record::{self, ProbeKind};

/// Job id of the serial (destructive-class) job.
pub const SERIAL_JOB: u32 = u32::MAX;

/// The worker's loop; never returns (the process `_exit`s).
pub fn main(ctx: &Context, cmd_rd: i32, res_wr: i32) -> ! {
    // SAFETY: the engine coordinates Ctrl-C; the worker only opens /dev/null for exec stdin.
    let devnull = unsafe {
        libc::signal(libc::SIGINT, libc::SIG_IGN);
        libc::open(c"/dev/null".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC)
    };
    let stack = match super::shared_vm_child::ChildStack::new() {
        Ok(s) => s,
        // SAFETY: leaving the forked worker; the engine fills in its units as lost.
        Err(_) => unsafe { libc::_exit(71) },
    };
    let w = Worker {
        ctx,
        res_wr,
        devnull,
        stack,
        out: std::cell::RefCell::new(Vec::with_capacity(1 << 20)),
        flushed: std::cell::Cell::new(std::time::Instant::now()),
    };
    let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut id = [0u8; 4];
        while let Ok(true) = frame::read_exact(cmd_rd, &mut id) {
            let id = u32::from_le_bytes(id);
            let sent = if id == SERIAL_JOB {
                w.serial()
            } else {
                w.job(id as usize)
            };
            frame::push_done(&mut w.out.borrow_mut());
            if sent.and_then(|_| w.flush()).is_err() {
                return 3;
            }
        }
        0
    }))
    .unwrap_or(70);
    // SAFETY: leaving the forked worker without running the parent's destructors.
    unsafe { libc::_exit(code) }
}

struct Worker<'a> {
    ctx: &'a Context<'a>,
    res_wr: i32,
    devnull: i32,
    /// Stack of shared-memory driver children.
    stack: super::shared_vm_child::ChildStack,
    /// Frames not yet written: one write per job, per MiB or per [`FLUSH_AFTER`] instead of
    /// one per record.
    out: std::cell::RefCell<Vec<u8>>,
    /// When frames were last written.
    flushed: std::cell::Cell<std::time::Instant>,
}

/// Records older than this go to the engine at once: fast probes are batched, and a slow
/// probe shows in the progress as it finishes, not when its whole job does.
const FLUSH_AFTER: std::time::Duration = std::time::Duration::from_millis(50);

/// A probe made ready in the worker.
enum Ready {
    Op(Operation),
    Exec(ExecCommand),
}

impl Worker<'_> {
    fn profile_name(&self, profile: Option<usize>) -> Option<&str> {
        profile.map(|i| self.ctx.exp.profiles[i].id.as_str())
    }

    fn base(&self, lane: Lane, profile: Option<usize>, probe: usize) -> StageRecord {
        stage_record::empty(
            lane,
            self.profile_name(profile),
            &self.ctx.exp.probes[probe].id,
            profile.is_some(),
        )
    }

    fn send(&self, r: &StageRecord) -> Result<(), i32> {
        frame::push_record(&mut self.out.borrow_mut(), r)?;
        if self.out.borrow().len() >= 1 << 20 || self.flushed.get().elapsed() >= FLUSH_AFTER {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&self) -> Result<(), i32> {
        let mut out = self.out.borrow_mut();
        let r = frame::write_all(self.res_wr, &out);
        out.clear();
        self.flushed.set(std::time::Instant::now());
        r
    }

    /// Prepares the profile's sandbox; `Err` is the blocked record builder's input.
    fn sandbox(
        &self,
        profile: Option<usize>,
    ) -> Result<Option<Box<dyn AppliedInChild>>, NotPrepared> {
        match profile.map(|i| &self.ctx.sandboxes[i]) {
            None => Ok(None),
            Some(ProfileSandbox::Blocked(b)) => Err(b.clone().into()),
            Some(ProfileSandbox::Ready(plan)) => plan.prepare(self.ctx.scratch.path()).map(Some),
        }
    }

    fn blocked_record(
        &self,
        lane: Lane,
        profile: Option<usize>,
        probe: usize,
        b: &NotPrepared,
    ) -> StageRecord {
        stage_record::blocked(
            lane,
            self.profile_name(profile),
            &self.ctx.exp.probes[probe].id,
            b.reason,
            &self.ctx.scratch.symbolic(&b.detail),
            b.errno,
        )
    }

    fn prepare(&self, probe: usize) -> Result<Ready, String> {
        let spec: &ProbeSpec = &self.ctx.specs[probe];
        if crate::probes::is_exec_family(&spec.family) {
            ExecCommand::prepare(spec, &self.ctx.options.helper_exe).map(Ready::Exec)
        } else {
            Operation::prepare(spec).map(Ready::Op)
        }
    }

    fn invalid(&self, lane: Lane, profile: Option<usize>, probe: usize, why: &str) -> StageRecord {
        let mut r = self.base(lane, profile, probe);
        r.skipped = Some(self.ctx.scratch.symbolic(why));
        r
    }

    fn job(&self, id: usize) -> Result<(), i32> {
        let job = &self.ctx.schedule.jobs[id];
        let sandbox = match self.sandbox(job.profile) {
            Ok(s) => s,
            Err(b) => {
                for &p in &job.probes {
                    self.send(&self.blocked_record(job.lane, job.profile, p, &b))?;
                }
                return Ok(());
            }
        };
        if job.shared_child {
            self.shared(job.lane, job.profile, &job.probes, sandbox.as_deref())
        } else {
            for &p in &job.probes {
                let r = self.one(job.lane, job.profile, p, sandbox.as_deref());
                self.send(&r)?;
            }
            Ok(())
        }
    }

    /// The serial job: restore the pristine state and re-prepare the sandbox before each unit.
    fn serial(&self) -> Result<(), i32> {
        for &(lane, profile, probe) in &self.ctx.schedule.serial.units {
            let pristine = &self.ctx.schedule.pristine;
            let r = match self
                .ctx
                .fixtures
                .restore_pristine(self.ctx.scratch, pristine)
            {
                // Not the declared state: the probe would measure something else.
                Err(e) => self.invalid(
                    lane,
                    profile,
                    probe,
                    &format!("host_safety: the pristine state could not be restored: {e}"),
                ),
                Ok(()) => match self.sandbox(profile) {
                    Ok(s) => self.one(lane, profile, probe, s.as_deref()),
                    Err(b) => self.blocked_record(lane, profile, probe, &b),
                },
            };
            self.send(&r)?;
        }
        Ok(())
    }

    /// One probe in its own child.
    fn one(
        &self,
        lane: Lane,
        profile: Option<usize>,
        probe: usize,
        sandbox: Option<&dyn AppliedInChild>,
    ) -> StageRecord {
        let ready = match self.prepare(probe) {
            Ok(r) => r,
            Err(e) => return self.invalid(lane, profile, probe, &format!("invalid_probe: {e}")),
        };
        let exit = match &ready {
            Ready::Op(op) if !self.ctx.options.fork_drivers => {
                super::shared_vm_child::run(&self.stack, sandbox, &[op], self.ctx.timeout)
            }
            Ready::Op(op) => child::run(&ChildSpec {
                sandbox,
                body: Body::Ops(&[op]),
                timeout: self.ctx.timeout,
                devnull: self.devnull,
                output_limit: self.ctx.options.output_limit,
            }),
            Ready::Exec(cmd) => child::run(&ChildSpec {
                sandbox,
                body: Body::Exec(cmd),
                timeout: self.ctx.timeout,
                devnull: self.devnull,
                output_limit: self.ctx.options.output_limit,
            }),
        };
        let kind = match &ready {
            Ready::Op(_) => ProbeKind::Driver,
            Ready::Exec(cmd) if cmd.helper.is_some() => ProbeKind::Helper,
            Ready::Exec(_) => ProbeKind::Command,
        };
        self.finish(lane, profile, probe, kind, exit, 0)
    }

    fn finish(
        &self,
        lane: Lane,
        profile: Option<usize>,
        probe: usize,
        kind: ProbeKind,
        exit: Result<ChildExit, i32>,
        unit: u32,
    ) -> StageRecord {
        let mut r = self.base(lane, profile, probe);
        match exit {
            Err(e) => {
                r.exec = crate::model::ExecOutcome::NotReached;
                r.detail = Some(format!(
                    "worker could not start the probe: {}",
                    crate::world::errno_name(e)
                ));
                r
            }
            Ok(x) => {
                let rec = x
                    .records
                    .iter()
                    .find(|c| c.unit == unit || c.stage == super::record::RecordStage::Apply);
                let symbolic = |s: &str| self.ctx.scratch.symbolic(s);
                let mut r = stage_record::from_exit(
                    r,
                    kind,
                    rec,
                    x.termination,
                    x.output.as_ref(),
                    &self.ctx.options.deny,
                    &symbolic,
                );
                r.micros = x.elapsed.as_micros() as u64;
                r.pid = Some(x.pid);
                r
            }
        }
    }

    /// Profile isolation: one child applies once and runs every probe; if it dies or hangs,
    /// every probe it did not report runs again, one by one.
    fn shared(
        &self,
        lane: Lane,
        profile: Option<usize>,
        probes: &[usize],
        sandbox: Option<&dyn AppliedInChild>,
    ) -> Result<(), i32> {
        let mut ops: Vec<Operation> = Vec::with_capacity(probes.len());
        let mut units: Vec<usize> = Vec::with_capacity(probes.len());
        for &p in probes {
            match self.prepare(p) {
                Ok(Ready::Op(op)) => {
                    ops.push(op);
                    units.push(p);
                }
                Ok(Ready::Exec(_)) => {
                    let r = self.one(lane, profile, p, sandbox);
                    self.send(&r)?;
                }
                Err(e) => {
                    self.send(&self.invalid(lane, profile, p, &format!("invalid_probe: {e}")))?
                }
            }
        }
        if units.is_empty() {
            return Ok(());
        }
        let refs: Vec<&Operation> = ops.iter().collect();
        let run = if self.ctx.options.fork_drivers {
            child::run(&ChildSpec {
                sandbox,
                body: Body::Ops(&refs),
                timeout: self.ctx.timeout,
                devnull: self.devnull,
                output_limit: self.ctx.options.output_limit,
            })
        } else {
            super::shared_vm_child::run(&self.stack, sandbox, &refs, self.ctx.timeout)
        };
        let exit = match run {
            Ok(x) => x,
            Err(e) => {
                for &p in &units {
                    self.send(&self.finish(lane, profile, p, ProbeKind::Driver, Err(e), 0))?;
                }
                return Ok(());
            }
        };
        let per_probe = exit.elapsed.as_micros() as u64 / units.len() as u64;
        if let Some(apply) = exit
            .records
            .iter()
            .find(|c| c.stage == super::record::RecordStage::Apply)
        {
            for &p in &units {
                let r = self.record_from(
                    lane,
                    profile,
                    p,
                    Some(apply),
                    Termination::Exited(0),
                    per_probe,
                );
                self.send(&r)?;
            }
            return Ok(());
        }
        let mut by_unit: Vec<Option<ChildRecord>> = vec![None; units.len()];
        for c in &exit.records {
            if let Some(slot) = by_unit.get_mut(c.unit as usize) {
                *slot = Some(*c);
            }
        }
        // The child batches its records, so after a crash or a timeout the probe in flight is
        // not known exactly: every unreported probe runs again alone, which attributes the
        // failure to the probe that causes it.
        for (i, &p) in units.iter().enumerate() {
            match by_unit[i] {
                Some(c) => self.send(&self.record_from(
                    lane,
                    profile,
                    p,
                    Some(&c),
                    Termination::Exited(0),
                    per_probe,
                ))?,
                None => {
                    let r = self.one(lane, profile, p, sandbox);
                    self.send(&r)?;
                }
            }
        }
        Ok(())
    }

    fn record_from(
        &self,
        lane: Lane,
        profile: Option<usize>,
        probe: usize,
        rec: Option<&ChildRecord>,
        term: Termination,
        micros: u64,
    ) -> StageRecord {
        let symbolic = |s: &str| self.ctx.scratch.symbolic(s);
        let mut r = stage_record::from_exit(
            self.base(lane, profile, probe),
            ProbeKind::Driver,
            rec,
            term,
            None,
            &self.ctx.options.deny,
            &symbolic,
        );
        r.micros = micros;
        r
    }
}
