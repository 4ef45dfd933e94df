//! Calibration (spec §5.1): the oracle is trusted for a run only if it agrees with the
//! scenario on every control probe (`control=#true`) of that run.
//!
//! - Every compared control agrees → every oracle record is `calibrated`, and each other
//!   disagreement adds `oracle_disagrees` to that verdict's mismatches.
//! - Any control disagrees, or no control could be compared → every record is `annotation`
//!   and no mismatch is added: an uncalibrated oracle is a note, not evidence.

use serde::Serialize;

use crate::model::{MismatchReason, Verdict, VerdictRecord};

use super::record::{Calibration, OracleRecord, Prediction};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CalibrationSummary {
    pub calibration: Calibration,
    pub controls_compared: usize,
    /// Ids of controls where the oracle and the scenario disagree.
    pub controls_disagreeing: Vec<String>,
    /// Ids of non-control probes where they disagree.
    pub disagreements: Vec<String>,
    pub reason: String,
}

/// Whether a prediction matches a scenario verdict; `None` when they cannot be compared (an
/// unmodeled probe, a crash or timeout the oracle does not predict).
pub fn agrees(o: &OracleRecord, v: &VerdictRecord) -> Option<bool> {
    let errno_ok = match (&o.errno, &v.errno) {
        (Some(a), Some(b)) => a.raw == b.raw,
        _ => true,
    };
    let same = match (o.prediction, v.verdict) {
        (Prediction::Unmodeled, _) | (_, Verdict::Crashed | Verdict::Timeout) => return None,
        (Prediction::NotApplicable, Verdict::Skipped) => true,
        (Prediction::Allow, Verdict::Allow) | (Prediction::Blocked, Verdict::Blocked) => true,
        (Prediction::Deny, Verdict::Deny)
        | (Prediction::Error, Verdict::Error)
        | (Prediction::DependencyDenied, Verdict::DependencyDenied) => errno_ok,
        _ => false,
    };
    Some(same)
}

/// Compares every oracle record with its verdict, marks the run's calibration and adds
/// `oracle_disagrees` mismatches when calibrated.
pub fn calibrate(
    oracle: &mut [OracleRecord],
    verdicts: &mut [VerdictRecord],
) -> CalibrationSummary {
    let mut compared = 0;
    let mut bad_controls = Vec::new();
    let mut disagreements = Vec::new();
    for o in oracle.iter_mut() {
        let Some(v) = verdicts.iter().find(|v| v.id == o.id) else {
            continue;
        };
        o.agrees = agrees(o, v);
        match (o.control, o.agrees) {
            (true, Some(true)) => compared += 1,
            (true, Some(false)) => {
                compared += 1;
                bad_controls.push(o.id.clone());
            }
            (false, Some(false)) => disagreements.push(o.id.clone()),
            _ => {}
        }
    }
    let (calibration, reason) = if compared == 0 {
        (
            Calibration::Annotation,
            "no control probe could be compared: the oracle stays an annotation".to_string(),
        )
    } else if bad_controls.is_empty() {
        (
            Calibration::Calibrated,
            format!("the oracle agreed with the scenario on all {compared} control results"),
        )
    } else {
        (
            Calibration::Annotation,
            format!(
                "the oracle disagreed with the scenario on control(s) {}",
                bad_controls.join(", ")
            ),
        )
    };
    for o in oracle.iter_mut() {
        o.calibration = Some(calibration);
    }
    if calibration == Calibration::Calibrated {
        for v in verdicts.iter_mut() {
            if disagreements.contains(&v.id)
                && !v.mismatches.contains(&MismatchReason::OracleDisagrees)
            {
                v.mismatches.push(MismatchReason::OracleDisagrees);
            }
        }
    }
    CalibrationSummary {
        calibration,
        controls_compared: compared,
        controls_disagreeing: bad_controls,
        disagreements,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Errno, Evidence};

    fn oracle(id: &str, prediction: Prediction, control: bool) -> OracleRecord {
        OracleRecord {
            id: id.into(),
            profile: "p".into(),
            probe: id.into(),
            prediction,
            stage: None,
            errno: None,
            blockers: Vec::new(),
            target: None,
            layer: None,
            deciding: Vec::new(),
            mount: None,
            explanation: String::new(),
            calibration: None,
            agrees: None,
            control,
        }
    }

    fn verdict(id: &str, verdict: Verdict) -> VerdictRecord {
        VerdictRecord {
            id: id.into(),
            profile: "p".into(),
            probe: id.into(),
            verdict,
            stage: None,
            errno: (verdict == Verdict::Deny).then(|| Errno {
                raw: 13,
                name: "EACCES".into(),
            }),
            baseline: None,
            expected: None,
            mount: None,
            expected_errno: None,
            mismatches: Vec::new(),
            known: None,
            evidence: Evidence::Syscall,
            reason: None,
            witness: None,
            shim_divergence: None,
        }
    }

    #[test]
    fn agreeing_controls_calibrate_and_other_disagreements_become_mismatches() {
        let mut o = vec![
            oracle("c", Prediction::Allow, true),
            oracle("x", Prediction::Allow, false),
        ];
        let mut v = vec![verdict("c", Verdict::Allow), verdict("x", Verdict::Deny)];
        let s = calibrate(&mut o, &mut v);
        assert_eq!(s.calibration, Calibration::Calibrated);
        assert!(
            o.iter()
                .all(|r| r.calibration == Some(Calibration::Calibrated))
        );
        assert_eq!(v[1].mismatches, vec![MismatchReason::OracleDisagrees]);
        assert!(v[0].mismatches.is_empty());
    }

    #[test]
    fn a_disagreeing_control_makes_every_record_an_annotation_without_mismatches() {
        let mut o = vec![
            oracle("c", Prediction::Deny, true),
            oracle("x", Prediction::Allow, false),
        ];
        let mut v = vec![verdict("c", Verdict::Allow), verdict("x", Verdict::Deny)];
        let s = calibrate(&mut o, &mut v);
        assert_eq!(s.calibration, Calibration::Annotation);
        assert_eq!(s.controls_disagreeing, vec!["c".to_string()]);
        assert!(
            o.iter()
                .all(|r| r.calibration == Some(Calibration::Annotation))
        );
        assert!(v.iter().all(|r| r.mismatches.is_empty()));
    }

    #[test]
    fn no_comparable_control_is_an_annotation() {
        let mut o = vec![oracle("c", Prediction::Unmodeled, true)];
        let mut v = vec![verdict("c", Verdict::Allow)];
        assert_eq!(
            calibrate(&mut o, &mut v).calibration,
            Calibration::Annotation
        );
    }
}
