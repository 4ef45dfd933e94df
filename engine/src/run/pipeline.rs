//! One experiment in hand, end to end as a library call: walk the plan (compile its runtime
//! compile nodes for the world, execute its exec nodes), classify against the baseline and the
//! expectations, evaluate the side lanes, summarise. No files are written here.

use crate::classify;
use crate::compile::linux::{self, CompiledProfile};
use crate::execute::{self, ExecuteError, ExecuteOptions, Executed, NodeRun, Progress};
use crate::lanes::{self, Observer, SideLanes};
use crate::model::{Experiment, StageRecord, VerdictRecord};
use crate::plan::Plan;
use crate::report::{RunSummary, summarise};
use crate::world::WorldFacts;

#[derive(Debug)]
pub struct RunResult {
    /// Ordered: baseline lane first, then profiles and probes in declaration order.
    pub records: Vec<StageRecord>,
    /// One per (profile, probe), same order.
    pub verdicts: Vec<VerdictRecord>,
    /// One per profile, in declaration order.
    pub compiled: Vec<CompiledProfile>,
    pub summary: RunSummary,
    /// Oracle, shim divergence and observer results (their own bundle files).
    pub lanes: SideLanes,
    /// Per exec node of the plan, in plan order: how it was satisfied and by which record.
    pub nodes: Vec<NodeRun>,
}

pub fn run_experiment(
    exp: &Experiment,
    world: &WorldFacts,
    options: &ExecuteOptions,
) -> Result<RunResult, ExecuteError> {
    run_plan(&Plan::build(exp), exp, world, options, &mut ())
}

/// [`run_experiment`] for a plan already built from `exp`, telling `progress` how far the
/// probes are.
pub fn run_plan(
    plan: &Plan,
    exp: &Experiment,
    world: &WorldFacts,
    options: &ExecuteOptions,
    progress: &mut dyn Progress,
) -> Result<RunResult, ExecuteError> {
    let walk = execute::walk::walk(plan);
    // One runtime compile node per profile, in declaration order: `compiled[i]` is profile i's.
    let compiled: Vec<CompiledProfile> = walk
        .compile
        .iter()
        .map(|&i| linux::compile(&exp.profiles[i].id, &exp.profiles[i].runtime, world))
        .collect();
    let observer = Observer::start(exp, options.observer_audit, world);
    let sandboxes: Vec<_> = compiled
        .iter()
        .map(|c| linux::sandbox_with_log_flags(c, observer.log_flags()))
        .collect();
    let Executed { records, nodes } =
        execute::execute_walk(&walk, exp, &sandboxes, options, progress)?;
    let mut verdicts = classify::verdicts(exp, &records, world.landlock.effective_abi);
    let lanes = lanes::finish(
        exp,
        world,
        &options.helper_exe.to_string_lossy(),
        &compiled,
        &records,
        &mut verdicts,
        observer,
    );
    let summary = summarise(&exp.name, exp.profiles.len(), exp.probes.len(), &verdicts);
    Ok(RunResult {
        records,
        verdicts,
        compiled,
        summary,
        lanes,
        nodes,
    })
}
