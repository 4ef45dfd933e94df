//! The side lanes of a run, around the executing ones: the observer is started before the
//! probes run and finished after them; the oracle and the shim divergence are evaluated from
//! the compiled plans once the scenario verdicts exist (calibration needs them).

mod markdown;

pub(crate) use markdown::{markdown, summary_lines};

use serde::{Deserialize, Serialize};

use crate::compile::linux::CompiledProfile;
use crate::model::{AuditRecord, Experiment, Lane, StageRecord, VerdictRecord};
use crate::observe::{AuditSession, attach_witnesses, records_of, symbolic_scratch};
use crate::oracle::{
    CalibrationSummary, DeclaredView, DivergenceRecord, OracleRecord, attach_divergence, calibrate,
    predict_all, shim_divergence,
};
use crate::world::WorldFacts;

/// The observer as started for a run.
pub(crate) enum Observer {
    NotRequested,
    Unavailable(String),
    Listening(Box<AuditSession>),
}

impl Observer {
    /// Starts the observer when the experiment's lanes or `--observer audit` ask for it.
    pub(crate) fn start(exp: &Experiment, requested: bool, world: &WorldFacts) -> Observer {
        if !requested && !exp.lanes.contains(&Lane::Observer) {
            return Observer::NotRequested;
        }
        match AuditSession::start(world.landlock.effective_abi) {
            Ok(s) => Observer::Listening(Box::new(s)),
            Err(why) => Observer::Unavailable(why.to_string()),
        }
    }

    /// `landlock_restrict_self` flags the probes need for the kernel to log their denials.
    pub(crate) fn log_flags(&self) -> u32 {
        match self {
            Observer::Listening(_) => crate::compile::linux::LOG_NEW_EXEC_ON,
            _ => 0,
        }
    }
}

/// One audit record attributed to a (profile, probe): a line of `observer.jsonl`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedRecord {
    pub id: String,
    pub pid: i32,
    #[serde(flatten)]
    pub record: AuditRecord,
}

#[derive(Debug, Default)]
pub struct SideLanes {
    /// Empty unless the oracle lane is on.
    pub oracle: Vec<OracleRecord>,
    pub calibration: Option<CalibrationSummary>,
    /// Computed for every profile with shims.
    pub divergence: Vec<DivergenceRecord>,
    /// `None`: the observer was not requested.
    pub observer: Option<ObserverLane>,
}

#[derive(Debug, Default, Serialize)]
pub struct ObserverLane {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
    /// Whether the run switched audit on (and back off).
    pub changed_audit_state: bool,
    /// Audit records the kernel dropped (host-wide) while the run listened: a `no_witness`
    /// then says so. Omitted when none were.
    #[serde(skip_serializing_if = "is_zero")]
    pub lost_records: u32,
    /// Landlock records of this run's scenario probes (records of other processes are dropped).
    #[serde(skip)]
    pub records: Vec<ObservedRecord>,
}

/// Evaluates the oracle and the divergence, finishes the observer, and annotates the verdicts.
pub(crate) fn finish(
    exp: &Experiment,
    world: &WorldFacts,
    helper_exe: &str,
    compiled: &[CompiledProfile],
    records: &[StageRecord],
    verdicts: &mut [VerdictRecord],
    observer: Observer,
) -> SideLanes {
    let view = DeclaredView::new(exp);
    let mut lanes = SideLanes {
        divergence: shim_divergence(exp, world, &view, helper_exe),
        ..SideLanes::default()
    };
    attach_divergence(verdicts, &lanes.divergence);
    if exp.lanes.contains(&Lane::Oracle) {
        lanes.oracle = predict_all(exp, compiled, &view, helper_exe);
        lanes.calibration = Some(calibrate(&mut lanes.oracle, verdicts));
    }
    lanes.observer = match observer {
        Observer::NotRequested => None,
        Observer::Unavailable(why) => {
            attach_witnesses(exp, verdicts, records, Err(&why));
            Some(ObserverLane {
                unavailable: Some(why),
                ..ObserverLane::default()
            })
        }
        Observer::Listening(session) => {
            let changed = session.changed_state();
            let audit = session.finish(std::time::Duration::from_millis(700), &symbolic_scratch);
            attach_witnesses(exp, verdicts, records, Ok(&audit));
            let lost_records = audit.lost;
            let mut observed = Vec::new();
            for r in records.iter().filter(|r| r.lane == Lane::Scenario) {
                let (Some(pid), Some(profile)) = (r.pid, &r.profile) else {
                    continue;
                };
                let id = format!("{profile}/{}", r.probe);
                observed.extend(records_of(&audit.records, pid).into_iter().map(|record| {
                    ObservedRecord {
                        id: id.clone(),
                        pid,
                        record,
                    }
                }));
            }
            Some(ObserverLane {
                unavailable: None,
                changed_audit_state: changed,
                lost_records,
                records: observed,
            })
        }
    };
    lanes
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}
