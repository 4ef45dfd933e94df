//! execute: scratch root and fixtures, the worker pool, sandboxed probe children (spec §5.2;
//! ARCHITECTURE.md, "Processes").
//!
//! The engine never sandboxes itself. It creates the scratch root and fixtures, forks `-j`
//! single-threaded workers (before any thread exists), and each worker forks one child per probe
//! (isolation `probe`) or per profile (isolation `profile`). A child applies the profile with raw
//! syscalls, runs the driver and writes a fixed-size record to a pipe. A command the experiment
//! chose runs inside the host guard (`guard`) and its own PID namespace (`child`).

mod capture;
mod child;
mod fixtures;
mod frame;
mod guard;
pub(crate) mod interrupt;
mod network_isolation;
mod pool;
mod progress;
mod schedule;
mod scratch;
mod shared_vm_child;
mod stage_record;
mod trace;
pub mod walk;
mod worker;
mod worker_context;

use std::collections::HashMap;

pub use fixtures::FixtureError;
pub use network_isolation::Network;
pub(crate) use progress::Progress;
pub(crate) use scratch::{SCRATCH_PREFIX, ScratchRoot, short_random};
pub(crate) use trace::NodeRun;
pub use walk::{How, Walk};
pub use worker_context::ExecuteOptions;

use crate::compile::ProfileSandbox;
use crate::model::{Experiment, Lane, StageRecord};
use crate::plan::Plan;

#[derive(Debug, thiserror::Error)]
pub enum ExecuteError {
    #[error("cannot create the scratch root: {0}")]
    Scratch(std::io::Error),
    #[error("fixture failed: {0}")]
    Fixture(FixtureError),
    #[error("cannot start workers: {0}")]
    Workers(std::io::Error),
    #[error("interrupted")]
    Interrupted,
    #[error("experiment has {profiles} profiles but {sandboxes} sandboxes were given")]
    Mismatched { profiles: usize, sandboxes: usize },
}

/// Every stage record of the run, ordered baseline first, then profiles and probes in
/// declaration order. The scratch root and fixture processes are gone when this returns.
pub fn execute(
    exp: &Experiment,
    sandboxes: &[ProfileSandbox],
    options: &ExecuteOptions,
) -> Result<Vec<StageRecord>, ExecuteError> {
    execute_plan(&Plan::build(exp), exp, sandboxes, options).map(|e| e.records)
}

/// The stage records and, per exec node of the plan, the record that satisfies it.
#[derive(Debug)]
pub(crate) struct Executed {
    /// Ordered as [`execute`]'s result.
    pub records: Vec<StageRecord>,
    pub nodes: Vec<NodeRun>,
    /// The network the probes saw.
    pub network: Network,
}

/// Runs the plan's exec nodes (see [`walk`]): `plan` must be built from `exp`.
pub(crate) fn execute_plan(
    plan: &Plan,
    exp: &Experiment,
    sandboxes: &[ProfileSandbox],
    options: &ExecuteOptions,
) -> Result<Executed, ExecuteError> {
    execute_walk(&walk::walk(plan), exp, sandboxes, options, &mut ())
}

/// Runs the walk's exec nodes, telling `progress` as units report.
pub(crate) fn execute_walk(
    walk: &Walk,
    exp: &Experiment,
    sandboxes: &[ProfileSandbox],
    options: &ExecuteOptions,
    progress: &mut dyn Progress,
) -> Result<Executed, ExecuteError> {
    if sandboxes.len() != exp.profiles.len() {
        return Err(ExecuteError::Mismatched {
            profiles: exp.profiles.len(),
            sandboxes: sandboxes.len(),
        });
    }
    let scratch =
        ScratchRoot::create(&options.scratch_parent, &exp.name).map_err(ExecuteError::Scratch)?;
    let network = Network::detect();
    let fixtures =
        fixtures::Fixtures::start(exp, &scratch, walk, &network).map_err(ExecuteError::Fixture)?;

    let mut direct: Vec<StageRecord> = Vec::new();
    let mut units: Vec<schedule::Unit> = Vec::new();
    let drivers: Vec<Result<(), crate::probes::Inapplicable>> = exp
        .probes
        .iter()
        .map(crate::probes::applicability)
        .collect();
    for node in &walk.exec {
        let (lane, profile, probe) = node.unit();
        let name = profile.map(|i| exp.profiles[i].id.as_str());
        let id = &exp.probes[probe].id;
        match (node.how, &drivers[probe], profile.map(|i| &sandboxes[i])) {
            (How::Reuse(_), ..) => {}
            (How::Skip, ..) => direct.push(stage_record::skipped(
                lane,
                name,
                id,
                "not_applicable_in_world",
            )),
            (How::Run, Err(why), _) => {
                direct.push(stage_record::skipped(lane, name, id, &why.to_string()));
            }
            // The profile's compile node blocked it: its apply nodes are blocked, unrun.
            (How::Run, Ok(()), Some(ProfileSandbox::Blocked(b))) => {
                let detail = scratch.symbolic(&b.detail);
                direct.push(stage_record::blocked(
                    lane, name, id, b.reason, &detail, None,
                ));
            }
            (How::Run, Ok(()), _) => units.push((lane, profile, probe)),
        }
    }
    let isolation = options.isolation;
    let schedule = schedule::build(exp, isolation, &units, &network);
    let timeout = match options.timeout.unwrap_or(exp.timeout) {
        t if t.is_zero() => std::time::Duration::from_secs(5),
        t => t,
    };
    let ctx = worker_context::Context {
        exp,
        sandboxes,
        scratch: &scratch,
        fixtures: &fixtures,
        schedule,
        options,
        timeout,
        network: network.clone(),
    };
    let ran = pool::run(&ctx, options.jobs, progress).map_err(|e| match e {
        pool::PoolError::Interrupted => ExecuteError::Interrupted,
        pool::PoolError::Spawn(e) => ExecuteError::Workers(e),
    })?;
    let mut records = direct;
    records.extend(ran.records);
    // Stopped on purpose (fail-fast), the units never started have no record: they did not
    // run. Otherwise a missing record is a worker lost.
    if !ran.stopped {
        fill_lost_units(&ctx, &mut records);
    }
    sort_records(exp, &mut records);
    say_when_acquired(exp, &mut records);
    drop(fixtures);
    drop(scratch);
    let nodes = trace::trace(exp, walk, &records);
    Ok(Executed {
        records,
        nodes,
        network,
    })
}

/// A unit whose worker died before reporting still gets a record: it crashed, with a reason.
fn fill_lost_units(ctx: &worker_context::Context, records: &mut Vec<StageRecord>) {
    use std::collections::HashSet;
    let seen: HashSet<(Lane, Option<String>, String)> = records
        .iter()
        .map(|r| (r.lane, r.profile.clone(), r.probe.clone()))
        .collect();
    let mut units: Vec<schedule::Unit> = ctx.schedule.serial.units.clone();
    for j in &ctx.schedule.jobs {
        units.extend(j.probes.iter().map(|&p| (j.lane, j.profile, p)));
    }
    for (lane, profile, probe) in units {
        let pname = profile.map(|i| ctx.exp.profiles[i].id.clone());
        let id = ctx.exp.probes[probe].id.clone();
        if !seen.contains(&(lane, pname.clone(), id.clone())) {
            let mut r = stage_record::empty(lane, pname.as_deref(), &id, profile.is_some());
            r.exec = crate::model::ExecOutcome::Crashed;
            r.detail = Some("worker process lost before reporting".into());
            records.push(r);
        }
    }
}

/// Every record of a probe that says when it acquires its resource (`acquire=`) says so too,
/// whatever became of it (run, blocked, skipped).
fn say_when_acquired(exp: &Experiment, records: &mut [StageRecord]) {
    let said: HashMap<&str, crate::model::Acquire> = exp
        .probes
        .iter()
        .filter_map(|p| Some((p.id.as_str(), p.acquire()?)))
        .collect();
    for r in records.iter_mut() {
        r.acquire = said.get(r.probe.as_str()).copied();
    }
}

/// Deterministic order: lane, profile declaration order, probe declaration order.
fn sort_records(exp: &Experiment, records: &mut [StageRecord]) {
    let prof: HashMap<&str, usize> = exp
        .profiles
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_str(), i))
        .collect();
    let probe: HashMap<&str, usize> = exp
        .probes
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_str(), i))
        .collect();
    records.sort_by_key(|r| {
        (
            r.lane,
            r.profile
                .as_deref()
                .map(|p| prof.get(p).copied().unwrap_or(usize::MAX)),
            probe.get(r.probe.as_str()).copied().unwrap_or(usize::MAX),
        )
    });
}
