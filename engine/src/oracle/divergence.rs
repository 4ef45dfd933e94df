//! Shim divergence (spec §5.5): the probes whose decision differs between a profile's source
//! form (as written) and its runtime form (with shims), both compiled for this world and both
//! evaluated by the oracle on the experiment's probes.

use serde::{Deserialize, Serialize};

use crate::compile::linux::compile;
use crate::model::{Experiment, ShimChange, VerdictRecord};
use crate::world::WorldFacts;

use super::fs_view::FsView;
use super::predict;

pub const DIVERGENCE_SCHEMA_VERSION: &str = "xpr.shim_divergence.v1";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DivergenceRecord {
    pub id: String,
    pub profile: String,
    pub probe: String,
    pub shims: Vec<String>,
    pub change: ShimChange,
}

/// For every profile with shims, the probes whose predicted decision the shims change.
pub fn shim_divergence(
    exp: &Experiment,
    world: &WorldFacts,
    fs: &dyn FsView,
    helper_exe: &str,
) -> Vec<DivergenceRecord> {
    let mut out = Vec::new();
    for profile in exp.profiles.iter().filter(|p| !p.shims.is_empty()) {
        let source = compile(&profile.id, &profile.source, world);
        let runtime = compile(&profile.id, &profile.runtime, world);
        for probe in exp.probes.iter().filter(|p| profile.runs(&p.id)) {
            let before = predict(&source, probe, fs, helper_exe);
            let after = predict(&runtime, probe, fs, helper_exe);
            if before.decision_text() == after.decision_text() {
                continue;
            }
            let rules = after
                .deciding
                .iter()
                .filter(|d| d.origin.shim.is_some())
                .map(|d| format!("{} {}", d.origin, d.text))
                .collect();
            out.push(DivergenceRecord {
                id: after.id.clone(),
                profile: profile.id.clone(),
                probe: probe.id.clone(),
                shims: profile.shims.clone(),
                change: ShimChange {
                    source: before.decision_text(),
                    runtime: after.decision_text(),
                    rules,
                },
            });
        }
    }
    out
}

/// Copies each divergence onto its verdict record.
pub fn attach_divergence(verdicts: &mut [VerdictRecord], divergence: &[DivergenceRecord]) {
    for v in verdicts.iter_mut() {
        if let Some(d) = divergence.iter().find(|d| d.id == v.id) {
            v.shim_divergence = Some(d.change.clone());
        }
    }
}
