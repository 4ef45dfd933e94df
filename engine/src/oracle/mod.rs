//! The oracle lane (spec §5.3): predicts each probe's decision and errno from the
//! compiled plan, without executing it, and names the rule that decides.
//!
//! `requests` turns a probe into the access requests its driver makes; `evaluate` answers
//! them from the compiled Landlock plan; `calibrate` compares the predictions with the
//! scenario on control probes; `divergence` reuses the evaluator on the source and runtime
//! profiles to show what the shims change. Oracle records are kept apart from observed ones
//! (`oracle.jsonl` in the bundle); only a calibrated disagreement becomes a mismatch.

mod calibrate;
mod divergence;
mod evaluate;
pub(crate) mod exec_deps;
pub(crate) mod fs_view;
mod mounts;
mod record;
pub(crate) mod requests;

pub use calibrate::{CalibrationSummary, agrees, calibrate};
pub use divergence::{
    DIVERGENCE_SCHEMA_VERSION, DivergenceRecord, attach_divergence, shim_divergence,
};
pub(crate) use evaluate::ResolvedPlan;
pub use fs_view::{DeclaredView, FsView, HostView, Kind};
pub use record::{Calibration, DecidingRule, ORACLE_SCHEMA_VERSION, OracleRecord, Prediction};

use crate::compile::linux::CompiledProfile;
use crate::model::{BlockedReason, Experiment, MountDecision, Probe, Stage};
use crate::world::errno_record;
use requests::{ProbeModel, model};

fn deciding(compiled: &CompiledProfile, rules: &[Option<usize>]) -> Vec<DecidingRule> {
    rules
        .iter()
        .filter_map(|want| compiled.fidelity.iter().find(|f| f.rule == *want))
        .map(|f| DecidingRule {
            rule: f.rule,
            origin: f.origin.clone(),
            text: f.text.clone(),
            fidelity: f.fidelity,
            note: f.note.clone(),
        })
        .collect()
}

fn deciding_entry(compiled: &CompiledProfile, index: usize) -> Vec<DecidingRule> {
    compiled
        .fidelity
        .get(index)
        .map(|f| DecidingRule {
            rule: f.rule,
            origin: f.origin.clone(),
            text: f.text.clone(),
            fidelity: f.fidelity,
            note: f.note.clone(),
        })
        .into_iter()
        .collect()
}

fn record(
    profile: &str,
    probe: &Probe,
    prediction: Prediction,
    explanation: String,
) -> OracleRecord {
    OracleRecord {
        id: format!("{profile}/{}", probe.id),
        profile: profile.to_string(),
        probe: probe.id.clone(),
        prediction,
        stage: None,
        errno: None,
        mount: None,
        blockers: Vec::new(),
        target: None,
        layer: None,
        deciding: Vec::new(),
        explanation,
        calibration: None,
        agrees: None,
        control: probe.control,
    }
}

/// What happens once every modelled step is allowed.
enum After {
    Allowed,
    /// The operation fails with this errno (and why).
    Fails(i32, String),
    /// The host decides (and why the oracle cannot know).
    Unknown(String),
}

/// The oracle's prediction for one probe under one compiled profile.
pub fn predict(
    compiled: &CompiledProfile,
    probe: &Probe,
    fs: &dyn FsView,
    helper_exe: &str,
) -> OracleRecord {
    let id = compiled.profile_id.as_str();
    if let Err(why) = crate::probes::applicability(probe) {
        return record(id, probe, Prediction::NotApplicable, why.to_string());
    }
    if let Some(blocked) = &compiled.blocked {
        let mut r = record(id, probe, Prediction::Blocked, blocked.detail.clone());
        r.stage = Some(Stage::Apply);
        return r;
    }
    let plan = match ResolvedPlan::resolve(compiled, fs) {
        Ok(p) => p,
        Err(why) => {
            let mut r = record(id, probe, Prediction::Blocked, why);
            r.stage = Some(Stage::Apply);
            r.explanation = format!(
                "{} ({:?})",
                r.explanation,
                BlockedReason::NotApplicableInWorld
            );
            return r;
        }
    };
    let mounts = match mounts::MountView::resolve(compiled, fs) {
        Ok(m) => m,
        Err(why) => {
            let mut r = record(id, probe, Prediction::Blocked, why);
            r.stage = Some(Stage::Apply);
            return r;
        }
    };
    // A mount decides in the path walk and the VFS, before Landlock: the probe's own paths
    // when its operation starts (after any exec stage), then each request.
    let mount_deny = |errno: i32, d: MountDecision, stage: Stage| {
        let exec = stage == Stage::Exec;
        let prediction = if exec {
            Prediction::DependencyDenied
        } else {
            Prediction::Deny
        };
        let mut r = record(
            id,
            probe,
            prediction,
            format!(
                "decided by the mount on {} ({}), before Landlock",
                d.mount,
                d.denial.as_str()
            ),
        );
        r.stage = Some(stage);
        r.errno = Some(errno_record(errno));
        r.target = Some(d.mount.clone());
        r.deciding = deciding(compiled, &mounts.rules(compiled, &d));
        r.mount = Some(d);
        r
    };
    let (steps, after) = match model(probe, fs, helper_exe) {
        ProbeModel::Unmodeled(why) => return record(id, probe, Prediction::Unmodeled, why),
        ProbeModel::Steps(s) => (s, After::Allowed),
        ProbeModel::FailsAfter { steps, errno, why } => (steps, After::Fails(errno, why)),
        ProbeModel::HostDecides { steps, why } => (steps, After::Unknown(why)),
    };
    let mut granted: Vec<Option<usize>> = Vec::new();
    let mut notes = Vec::new();
    let mut paths_checked = false;
    for step in &steps {
        if !paths_checked && step.stage == Stage::Operation {
            paths_checked = true;
            if let Some((errno, d)) = mounts.probe_paths(probe, fs) {
                return mount_deny(errno, d, Stage::Operation);
            }
        }
        if let Some((errno, d)) = mounts.step(step) {
            return mount_deny(errno, d, step.stage);
        }
        let check = plan.check(step, fs);
        if check.undecided {
            return record(id, probe, Prediction::Unmodeled, check.note);
        }
        if !check.allowed {
            let exec = step.stage == Stage::Exec;
            let mut r = record(
                id,
                probe,
                if exec {
                    Prediction::DependencyDenied
                } else {
                    Prediction::Deny
                },
                check.note.clone(),
            );
            r.stage = Some(step.stage);
            r.errno = Some(errno_record(check.errno));
            r.blockers = check.blockers;
            r.target = Some(check.target);
            r.layer = check.layer;
            // A deny comes from the default action of the layer that denied: no rule grants
            // the right there (a stack has one default per layer).
            r.deciding = match check.layer.and_then(|l| compiled.layer_defaults.get(l)) {
                Some(&k) => deciding_entry(compiled, k),
                None => deciding(compiled, &[None]),
            };
            return r;
        }
        granted.extend(check.rules.iter().map(|&i| Some(i)));
        notes.push(check.note);
    }
    if !paths_checked && let Some((errno, d)) = mounts.probe_paths(probe, fs) {
        return mount_deny(errno, d, Stage::Operation);
    }
    granted.sort_unstable();
    granted.dedup();
    let mut r = match after {
        After::Unknown(why) => return record(id, probe, Prediction::Unmodeled, why),
        // The verdict of any failure follows the world's deny set (spec §5): an EPERM the VFS
        // gives (a hard link to a directory) is a `deny` the baseline shows too.
        After::Fails(e, why) => {
            let verdict = if crate::world::LANDLOCK_DENY_SET.contains(e) {
                Prediction::Deny
            } else {
                Prediction::Error
            };
            let mut r = record(id, probe, verdict, why);
            r.errno = Some(errno_record(e));
            r
        }
        After::Allowed => record(
            id,
            probe,
            Prediction::Allow,
            if !plan.has_domain() {
                "no Landlock domain: nothing is restricted".into()
            } else if requests::checked_before_apply(probe) {
                "acquired before apply (acquire=before): Landlock checked it then, before the \
                 domain existed"
                    .into()
            } else {
                notes.join("; ")
            },
        ),
    };
    r.stage = Some(Stage::Operation);
    r.deciding = deciding(compiled, &granted);
    r
}

/// Every (profile, probe) of the experiment, profiles and probes in declaration order.
pub fn predict_all(
    exp: &Experiment,
    compiled: &[CompiledProfile],
    fs: &dyn FsView,
    helper_exe: &str,
) -> Vec<OracleRecord> {
    compiled
        .iter()
        .flat_map(|c| {
            exp.probes
                .iter()
                .map(move |p| predict(c, p, fs, helper_exe))
        })
        .collect()
}
