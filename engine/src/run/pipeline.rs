//! One experiment in hand, end to end as a library call: walk the plan (compile its runtime
//! compile nodes for the world, execute its exec nodes), classify against the baseline and the
//! expectations, evaluate the side lanes, summarise. No files are written here.

use std::collections::HashSet;

use super::select::PairMask;
use crate::classify;
use crate::compile::linux::{self, CompiledProfile};
use crate::execute::walk::How;
use crate::execute::{self, ExecuteError, ExecuteOptions, Executed, Network, NodeRun, Progress};
use crate::lanes::{self, Observer, SideLanes};
use crate::model::{Experiment, Lane, StageRecord, VerdictRecord};
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
    /// The network the probes saw (the manifest's `network`).
    pub network: Network,
}

pub fn run_experiment(
    exp: &Experiment,
    world: &WorldFacts,
    options: &ExecuteOptions,
) -> Result<RunResult, ExecuteError> {
    run_plan(&Plan::build(exp), exp, world, options, None, &mut ())
}

/// [`run_experiment`] for a plan already built from `exp`, telling `progress` how far the
/// probes are. With `selected`, only those (profile, probe) pairs run and are reported.
pub fn run_plan(
    plan: &Plan,
    exp: &Experiment,
    world: &WorldFacts,
    options: &ExecuteOptions,
    selected: Option<&PairMask>,
    progress: &mut dyn Progress,
) -> Result<RunResult, ExecuteError> {
    let mut walk = execute::walk::walk(plan);
    if let Some(mask) = selected {
        // A baseline node that runs stays: the probe's other baseline nodes reuse its record.
        walk.exec.retain(|n| {
            mask.contains(n.profile, n.probe)
                || (n.lane == Lane::Baseline && !matches!(n.how, How::Reuse(_)))
        });
    }
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
    let Executed {
        records,
        nodes,
        network,
    } = execute::execute_walk(&walk, exp, &sandboxes, options, progress)?;
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
    let mut lanes = lanes;
    if selected.is_some() {
        let ids: HashSet<&str> = verdicts.iter().map(|v| v.id.as_str()).collect();
        lanes.oracle.retain(|o| ids.contains(o.id.as_str()));
        lanes.divergence.retain(|d| ids.contains(d.id.as_str()));
        if let Some(o) = lanes.observer.as_mut() {
            o.records.retain(|r| ids.contains(r.id.as_str()));
        }
    }
    let summary = summarise(&exp.name, exp.profiles.len(), exp.probes.len(), &verdicts);
    Ok(RunResult {
        records,
        verdicts,
        compiled,
        summary,
        lanes,
        nodes,
        network,
    })
}
