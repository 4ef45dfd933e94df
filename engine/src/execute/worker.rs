//! A worker process: single-threaded, forked from the engine before any thread exists. It
//! receives job ids, prepares sandboxes and probes (everything that allocates) and forks one
//! child per probe (or per profile), sending stage records back as frames.

use std::cell::{Cell, OnceCell, RefCell};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use crate::compile::{AppliedInChild, NotPrepared, ProfileSandbox};
use crate::model::{Lane, StageRecord};
use crate::probes::report::{ChildRecord, RecordStage};
use crate::probes::{ExecCommand, Operation, ProbeSpec};
use crate::sys::fs::FsError;
use crate::sys::process::{self, ChildStack};
use crate::sys::{fd, namespace, sigaction};

use super::child::{self, Body, ChildExit, ChildSpec, StartError, Termination};
use super::fixtures::{FixtureError, Started};
use super::frame;
use super::guard::HostGuard;
use super::network_isolation::Network;
use super::stage_record::{self, ProbeKind};
use super::worker_context::Context;

/// Job id of the serial (destructive-class) job.
pub(crate) const SERIAL_JOB: u32 = u32::MAX;

/// How a worker process ends: its exit status. The engine only tells "reported everything"
/// (0) from the rest, whose units it records as lost; the numbers are for people reading
/// `strace` or a core dump.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub(crate) enum WorkerExit {
    /// The command pipe closed: no more jobs.
    Done = 0,
    /// The result pipe broke or a record could not be encoded: the engine is gone or confused.
    ResultsLost = 3,
    /// A panic in the worker's own code (caught so no destructor of the engine runs twice).
    Panicked = 70,
    /// Its setup failed (ignoring SIGINT, `/dev/null`, the child stack, its network namespace
    /// and listeners).
    SetupFailed = 71,
}

impl WorkerExit {
    fn exit(self) -> ! {
        process::exit(self as i32)
    }
}

/// The worker's loop; never returns (the process `_exit`s).
pub(crate) fn main(ctx: &Context, cmd_rd: RawFd, res_wr: RawFd) -> ! {
    // The engine coordinates Ctrl-C.
    if sigaction::ignore(libc::SIGINT).is_err() {
        WorkerExit::SetupFailed.exit();
    }
    let (Ok(devnull), Ok(stack)) = (fd::open_dev_null(), ChildStack::new()) else {
        WorkerExit::SetupFailed.exit();
    };
    // Its own fixture processes (inside its own network namespace, when it has one), and
    // every probe working from the scratch root, never from wherever xpr was started.
    let own_network = match &ctx.network {
        Network::PerWorker => namespace::enter_private_network(),
        Network::Shared { .. } => Ok(()),
    };
    let here = own_network
        .and_then(|()| std::env::set_current_dir(ctx.scratch.path()))
        .map_err(RestoreError::Setup)
        .and_then(|()| Here::start(ctx).map_err(RestoreError::Fixtures));
    let Ok(here) = here else {
        WorkerExit::SetupFailed.exit();
    };
    let w = Worker {
        ctx,
        here: RefCell::new(Some(here)),
        res_wr,
        devnull,
        stack,
        guard: OnceCell::new(),
        out: RefCell::new(Vec::with_capacity(1 << 20)),
        flushed: Cell::new(Instant::now()),
    };
    let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut id = [0u8; 4];
        while let Ok(true) = fd::read_exact(cmd_rd, &mut id) {
            let id = u32::from_le_bytes(id);
            let sent = if id == SERIAL_JOB {
                w.serial()
            } else {
                w.job(id as usize)
            };
            frame::push_done(&mut w.out.borrow_mut());
            if sent.and_then(|_| w.flush()).is_err() {
                return WorkerExit::ResultsLost;
            }
        }
        WorkerExit::Done
    }))
    .unwrap_or(WorkerExit::Panicked);
    code.exit()
}

/// Why a worker could not bring about the declared state (its namespace and working
/// directory, the scratch tree, its fixture processes); the system's error is kept.
#[derive(Debug, thiserror::Error)]
enum RestoreError {
    #[error("{0}")]
    Setup(io::Error),
    #[error("{0}")]
    Scratch(FsError),
    #[error("{0}")]
    Fixtures(FixtureError),
}

/// This worker's fixture processes and the probe specs resolved against them.
struct Here {
    started: Started,
    /// One per probe: `{scratch}` substituted, fixtures resolved to this worker's endpoints.
    specs: Vec<ProbeSpec>,
}

impl Here {
    fn start(ctx: &Context) -> Result<Here, FixtureError> {
        let started = ctx.fixtures.start_here(&ctx.network)?;
        let specs = ctx
            .exp
            .probes
            .iter()
            .map(|p| ctx.fixtures.spec_for(p, ctx.scratch, &started.endpoints))
            .collect();
        Ok(Here { started, specs })
    }
}

struct Worker<'a> {
    ctx: &'a Context<'a>,
    /// `None` only while the serial job starts them anew.
    here: RefCell<Option<Here>>,
    res_wr: RawFd,
    devnull: OwnedFd,
    /// Stack of shared-memory driver children.
    stack: ChildStack,
    /// The host guard, prepared when the first command needs it.
    guard: OnceCell<Result<HostGuard, NotPrepared>>,
    /// Frames not yet written: one write per job, per MiB or per [`FLUSH_AFTER`] instead of
    /// one per record.
    out: RefCell<Vec<u8>>,
    /// When frames were last written.
    flushed: Cell<Instant>,
}

/// Records older than this go to the engine at once: fast probes are batched, and a slow
/// probe shows in the progress as it finishes, not when its whole job does.
const FLUSH_AFTER: Duration = Duration::from_millis(50);

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

    fn send(&self, r: &StageRecord) -> io::Result<()> {
        frame::push_record(&mut self.out.borrow_mut(), r)?;
        if self.out.borrow().len() >= 1 << 20 || self.flushed.get().elapsed() >= FLUSH_AFTER {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&self) -> io::Result<()> {
        let mut out = self.out.borrow_mut();
        let r = fd::write_all(self.res_wr, &out);
        out.clear();
        self.flushed.set(Instant::now());
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
        let here = self.here.borrow();
        let spec: &ProbeSpec = &here.as_ref().ok_or("no fixture processes")?.specs[probe];
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

    fn job(&self, id: usize) -> io::Result<()> {
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

    /// The serial job: restore the declared state and re-prepare the sandbox before each unit;
    /// after a probe that signals a fixture process, this worker's fixture processes start
    /// anew (and the probes' specs name the new ones).
    fn serial(&self) -> io::Result<()> {
        for &(lane, profile, probe) in &self.ctx.schedule.serial.units {
            let r = match self.restore() {
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
            if crate::probes::signals_a_fixture(&self.ctx.exp.probes[probe]) {
                self.stop_fixture_processes();
            }
        }
        Ok(())
    }

    /// The declared state: the scratch tree, and the fixture processes if a probe stopped
    /// them (the error says which could not be restored).
    fn restore(&self) -> Result<(), RestoreError> {
        self.ctx
            .fixtures
            .restore(self.ctx.scratch)
            .map_err(RestoreError::Scratch)?;
        if self.here.borrow().is_none() {
            *self.here.borrow_mut() = Some(Here::start(self.ctx).map_err(RestoreError::Fixtures)?);
        }
        Ok(())
    }

    fn stop_fixture_processes(&self) {
        if let Some(here) = self.here.borrow_mut().take() {
            here.started.stop();
        }
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
        let single: [&Operation; 1];
        let body = match &ready {
            Ready::Op(op) if !self.ctx.options.fork_drivers => {
                let exit =
                    super::shared_vm_child::run(&self.stack, sandbox, &[op], self.ctx.timeout);
                let mut r = self.finish(lane, profile, probe, ProbeKind::Driver, exit, 0);
                self.mount_decided(&mut r, probe, sandbox);
                return r;
            }
            Ready::Op(op) => {
                single = [op];
                Body::Ops(&single)
            }
            Ready::Exec(cmd) if cmd.is_helper() => Body::Helper(cmd),
            Ready::Exec(cmd) => match self.guard() {
                Ok(guard) => Body::Command(cmd, guard),
                Err(b) => return self.blocked_record(lane, profile, probe, b),
            },
        };
        let kind = match body {
            Body::Ops(_) => ProbeKind::Driver,
            Body::Helper(_) => ProbeKind::Helper,
            Body::Command(..) => ProbeKind::Command,
        };
        let exit = child::run(&ChildSpec {
            sandbox,
            body,
            timeout: self.ctx.timeout,
            devnull: self.devnull.as_raw_fd(),
            passthrough: self.ctx.options.passthrough_stdio,
            output_limit: self.ctx.options.output_limit,
        });
        match exit {
            Err(e) if e.step == child::NEW_PID_NAMESPACE => {
                let errno = crate::sys::errno::raw(&e.source);
                let b = NotPrepared {
                    reason: crate::model::BlockedReason::ApplyError,
                    errno: Some(errno),
                    detail: format!(
                        "{}: {} failed: {}; a command an experiment chose runs only in its own \
                         PID namespace (needs CAP_SYS_ADMIN)",
                        super::guard::GUARD,
                        e.step,
                        crate::world::errno_name(errno)
                    ),
                };
                self.blocked_record(lane, profile, probe, &b)
            }
            exit => {
                let mut r = self.finish(lane, profile, probe, kind, exit, 0);
                self.mount_decided(&mut r, probe, sandbox);
                r
            }
        }
    }

    /// When a mount of the profile's sandbox explains the operation's errno (EROFS, ENOENT
    /// below a hidden path, EXDEV across a mount, EBUSY on a mount point), the deny is that
    /// mount's: recorded as such, whatever the deny set says of the errno.
    fn mount_decided(
        &self,
        r: &mut StageRecord,
        probe: usize,
        sandbox: Option<&dyn AppliedInChild>,
    ) {
        let (Some(sb), Some(errno)) = (sandbox, r.operation_errno.as_ref().map(|e| e.raw)) else {
            return;
        };
        let here = self.here.borrow();
        let Some(spec) = here.as_ref().map(|h| &h.specs[probe]) else {
            return;
        };
        let family = spec
            .arg_str("helper")
            .unwrap_or_else(|| spec.family.clone());
        let mut paths: Vec<String> = spec.target.iter().map(|p| real_path(p)).collect();
        paths.extend(spec.arg_str("to").map(|p| real_path(&p)));
        let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
        if let Some(d) = sb.mount_decision(errno, &paths, family == "exec") {
            r.operation = crate::model::OperationOutcome::Deny;
            r.mount = Some(d);
        }
    }

    /// The host guard for this run's scratch root (prepared once per worker).
    fn guard(&self) -> Result<&HostGuard, &NotPrepared> {
        self.guard
            .get_or_init(|| HostGuard::prepare(self.ctx.scratch.path()))
            .as_ref()
    }

    fn finish(
        &self,
        lane: Lane,
        profile: Option<usize>,
        probe: usize,
        kind: ProbeKind,
        exit: Result<ChildExit, StartError>,
        unit: u32,
    ) -> StageRecord {
        let r = self.base(lane, profile, probe);
        match exit {
            Err(e) => self.not_started(r, &e),
            Ok(x) => {
                let rec = x.records.iter().find(|c| c.unit == unit || whole_child(c));
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
    ) -> io::Result<()> {
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
                devnull: self.devnull.as_raw_fd(),
                passthrough: self.ctx.options.passthrough_stdio,
                output_limit: self.ctx.options.output_limit,
            })
        } else {
            super::shared_vm_child::run(&self.stack, sandbox, &refs, self.ctx.timeout)
        };
        let exit = match run {
            Ok(x) => x,
            Err(e) => {
                for &p in &units {
                    self.send(&self.not_started(self.base(lane, profile, p), &e))?;
                }
                return Ok(());
            }
        };
        let per_probe = exit.elapsed.as_micros() as u64 / units.len() as u64;
        if let Some(apply) = exit.records.iter().find(|c| whole_child(c)) {
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
                Some(c) => {
                    let mut r = self.record_from(
                        lane,
                        profile,
                        p,
                        Some(&c),
                        Termination::Exited(0),
                        per_probe,
                    );
                    self.mount_decided(&mut r, p, sandbox);
                    self.send(&r)?
                }
                None => {
                    let r = self.one(lane, profile, p, sandbox);
                    self.send(&r)?;
                }
            }
        }
        Ok(())
    }

    /// The worker could not even start the probe's child.
    fn not_started(&self, mut r: StageRecord, e: &StartError) -> StageRecord {
        r.exec = crate::model::ExecOutcome::NotReached;
        r.detail = Some(format!(
            "worker could not start the probe: {}: {}",
            e.step,
            crate::world::errno_name(crate::sys::errno::raw(&e.source))
        ));
        r
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

/// `path` with symlinks resolved as far as it exists (mounts are placed on resolved paths).
fn real_path(path: &str) -> String {
    let p = std::path::Path::new(path);
    let real = match (p.canonicalize(), p.parent(), p.file_name()) {
        (Ok(real), ..) => real,
        (Err(_), Some(dir), Some(name)) => match dir.canonicalize() {
            Ok(dir) => dir.join(name),
            Err(_) => return path.to_string(),
        },
        _ => return path.to_string(),
    };
    real.to_string_lossy().into_owned()
}

/// A record about the whole child (its apply or its setup failed), not one probe of it.
fn whole_child(c: &ChildRecord) -> bool {
    matches!(c.stage, RecordStage::Apply | RecordStage::Setup)
}
