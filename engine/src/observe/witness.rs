//! Correlating audit records with the probes that caused them: a domain record names the pid
//! that created the domain (the probe's child); access records name the domain. So a probe's
//! witness is every access record of a domain its child created.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{
    ArgValue, AuditRecord, Experiment, Lane, Probe, StageRecord, Verdict, VerdictRecord, Witness,
    WitnessRecord, WitnessState,
};

use super::audit_records::{AUDIT_LANDLOCK_ACCESS, AUDIT_LANDLOCK_DOMAIN};
use super::session::Heard;

/// The domains each pid created.
fn domains_by_pid(records: &[AuditRecord]) -> BTreeMap<i32, BTreeSet<String>> {
    let mut map: BTreeMap<i32, BTreeSet<String>> = BTreeMap::new();
    for r in records
        .iter()
        .filter(|r| r.record_type == AUDIT_LANDLOCK_DOMAIN)
    {
        if let (Some(pid), Some(domain)) = (r.pid, &r.domain) {
            map.entry(pid).or_default().insert(domain.clone());
        }
    }
    map
}

/// The access records of the probe whose child had `pid`.
pub(crate) fn records_of(records: &[AuditRecord], pid: i32) -> Vec<AuditRecord> {
    let domains = domains_by_pid(records).remove(&pid).unwrap_or_default();
    records
        .iter()
        .filter(|r| {
            r.record_type == AUDIT_LANDLOCK_ACCESS
                && r.domain.as_ref().is_some_and(|d| domains.contains(d))
        })
        .cloned()
        .collect()
}

/// The paths a probe's own operation is about, as audit prints them (resolved, `{scratch}`).
fn own_paths(probe: &Probe) -> Vec<String> {
    let mut paths: Vec<String> = probe.target.iter().cloned().collect();
    for (key, value) in &probe.args {
        match (key.as_str(), value) {
            ("to", ArgValue::Str(s)) => paths.push(s.clone()),
            ("argv", ArgValue::List(l)) => paths.extend(l.iter().skip(1).cloned()),
            _ => {}
        }
    }
    paths
        .into_iter()
        .filter(|p| p.starts_with('/') || p.starts_with("{scratch}"))
        .map(|p| match std::fs::canonicalize(&p) {
            Ok(real) if !p.starts_with("{scratch}") => real.to_string_lossy().into_owned(),
            _ => p,
        })
        .collect()
}

/// What a verdict keeps of an audit record: blockers, path and the run-independent fields.
pub(crate) fn witness_record(r: &AuditRecord) -> WitnessRecord {
    let detail: Vec<String> = super::audit_records::fields(&r.text)
        .into_iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "domain" | "blockers" | "path" | "ino" | "opid" | "pid"
            )
        })
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    WitnessRecord {
        blockers: r.blockers.clone(),
        path: r.path.clone(),
        detail: (!detail.is_empty()).then(|| detail.join(" ")),
    }
}

fn witness(v: &VerdictRecord, probe: Option<&Probe>, mine: Vec<AuditRecord>, lost: u32) -> Witness {
    let exec_stage = matches!(v.verdict, Verdict::DependencyDenied | Verdict::Crashed);
    let own = probe.map(own_paths).unwrap_or_default();
    let (records, incidental): (Vec<AuditRecord>, Vec<AuditRecord>) =
        mine.into_iter().partition(|r| {
            exec_stage || r.path.is_none() || r.path.as_ref().is_some_and(|p| own.contains(p))
        });
    if let Some(m) = &v.mount {
        return Witness {
            state: WitnessState::NotExpected,
            records: records.iter().map(witness_record).collect(),
            incidental: incidental.iter().map(witness_record).collect(),
            reason: Some(format!(
                "decided by the mount on {} ({}): Landlock writes no audit record for a mount's \
                 refusal",
                m.mount,
                m.denial.as_str()
            )),
        };
    }
    let state = if records.is_empty() {
        WitnessState::NoWitness
    } else {
        WitnessState::Records
    };
    // No pid or domain id here: verdicts stay identical across runs (observer.jsonl has them).
    let reason = match (records.is_empty(), lost) {
        (true, 0) => {
            "no Landlock record of the operation: not evidence that nothing was denied".to_string()
        }
        (true, n) => format!(
            "no Landlock record of the operation, and the kernel dropped {n} audit record(s) \
             while the run listened: not evidence that nothing was denied"
        ),
        (false, _) => "correlated through the Landlock domain the probe's process created".into(),
    };
    Witness {
        state,
        records: records.iter().map(witness_record).collect(),
        incidental: incidental.iter().map(witness_record).collect(),
        reason: Some(reason),
    }
}

/// A witness for every verdict from its scenario stage record.
pub(crate) fn attach_witnesses(
    exp: &Experiment,
    verdicts: &mut [VerdictRecord],
    stage_records: &[StageRecord],
    audit: Result<&Heard, &str>,
) {
    for v in verdicts.iter_mut() {
        let scenario = stage_records.iter().find(|r| {
            r.lane == Lane::Scenario
                && r.profile.as_deref() == Some(v.profile.as_str())
                && r.probe == v.probe
        });
        v.witness = Some(match (audit, scenario.and_then(|r| r.pid)) {
            (Err(why), _) => Witness {
                state: WitnessState::ObserverUnavailable,
                records: Vec::new(),
                incidental: Vec::new(),
                reason: Some(why.to_string()),
            },
            (Ok(_), None) => Witness {
                state: WitnessState::ObserverUnavailable,
                records: Vec::new(),
                incidental: Vec::new(),
                reason: Some(
                    "no probe process to correlate with (not run, or several probes shared one child)"
                        .into(),
                ),
            },
            (Ok(heard), Some(pid)) => {
                let probe = exp.probes.iter().find(|p| p.id == v.probe);
                witness(v, probe, records_of(&heard.records, pid), heard.lost)
            }
        });
    }
}
