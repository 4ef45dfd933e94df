//! One experiment end to end, as a library call: compile every runtime profile for the world,
//! execute both lanes, classify against the baseline and the expectations.

use crate::classify::{self, DenySet};
use crate::compile::linux::{self, CompiledProfile};
use crate::model::{Experiment, StageRecord, VerdictRecord};
use crate::report::{RunSummary, summarise};
use crate::world::WorldFacts;

use super::{ExecuteError, ExecuteOptions, execute, linux_backend};

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
    pub lanes: crate::lanes::SideLanes,
}

pub fn run_experiment(
    exp: &Experiment,
    world: &WorldFacts,
    options: &ExecuteOptions,
) -> Result<RunResult, ExecuteError> {
    let compiled: Vec<CompiledProfile> = exp
        .profiles
        .iter()
        .map(|p| linux::compile(&p.id, &p.runtime, world))
        .collect();
    let observer = crate::lanes::Observer::start(exp, options.observer_audit, world);
    let sandboxes: Vec<_> = compiled
        .iter()
        .map(|c| linux_backend::sandbox_with_log_flags(c, observer.log_flags()))
        .collect();
    let mut options = options.clone();
    options.deny = DenySet::from(crate::world::LANDLOCK_DENY_SET);
    let records = execute(exp, &sandboxes, &options)?;
    let mut verdicts = classify::verdicts(exp, &records);
    let lanes = crate::lanes::finish(
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
    })
}
