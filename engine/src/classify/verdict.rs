//! One (profile, probe): the verdict of its scenario record, the baseline's verdict, and the
//! mismatch reasons against the expectation.

use crate::model::{
    ApplyOutcome, BlockedReason, Errno, ExecOutcome, Expectation, Expected, Experiment, Lane,
    MismatchReason, MountDenial, OperationOutcome, Stage, StageRecord, Verdict, VerdictRecord,
};

/// The verdict a stage record comes to, the stage that decided it, and that stage's errno.
pub fn stage_verdict(r: &StageRecord) -> (Verdict, Option<Stage>, Option<Errno>) {
    if r.skipped.is_some() {
        return (Verdict::Skipped, None, None);
    }
    if r.apply == ApplyOutcome::Blocked {
        return (Verdict::Blocked, Some(Stage::Apply), r.apply_errno.clone());
    }
    let exec = Some(Stage::Exec);
    match r.exec {
        ExecOutcome::DependencyDenied => {
            return (Verdict::DependencyDenied, exec, r.exec_errno.clone());
        }
        ExecOutcome::Crashed => return (Verdict::Crashed, exec, None),
        ExecOutcome::Timeout => return (Verdict::Timeout, exec, None),
        ExecOutcome::NotReached => return (Verdict::Error, None, None),
        ExecOutcome::Ok => {}
    }
    let op = Some(Stage::Operation);
    match r.operation {
        OperationOutcome::Allow => (Verdict::Allow, op, None),
        OperationOutcome::Deny => (Verdict::Deny, op, r.operation_errno.clone()),
        OperationOutcome::Error => (Verdict::Error, op, r.operation_errno.clone()),
        OperationOutcome::NotReached => (Verdict::Error, None, None),
    }
}

/// Compares one scenario record with its baseline and expectation.
pub fn compare(
    scenario: &StageRecord,
    baseline: Option<&StageRecord>,
    expectation: Option<&Expectation>,
) -> VerdictRecord {
    let profile = scenario.profile.clone().unwrap_or_default();
    let (verdict, stage, errno) = stage_verdict(scenario);
    let baseline_verdict = baseline.map(|b| stage_verdict(b).0);
    let baseline_failed =
        matches!(baseline_verdict, Some(v) if v != Verdict::Allow && v != Verdict::Skipped);
    let mut mismatches = Vec::new();
    if let Some(exp) = expectation {
        let reason = match (exp.decision, verdict) {
            (Expected::Blocked, Verdict::Blocked) => None,
            (Expected::Blocked, _) => Some(MismatchReason::NotBlocked),
            (Expected::Allow, Verdict::Allow) => None,
            (Expected::Deny, Verdict::Deny) if baseline_failed => {
                Some(MismatchReason::BaselineDenied)
            }
            (Expected::Deny, Verdict::Deny) => match (&exp.errno, &errno) {
                (Some(want), Some(got)) if *want != got.name => Some(MismatchReason::ErrnoDiffers),
                _ => None,
            },
            (Expected::Allow, Verdict::Deny) if baseline_failed => {
                Some(MismatchReason::BaselineDenied)
            }
            (Expected::Allow, Verdict::Deny) => Some(MismatchReason::UnexpectedDeny),
            (Expected::Deny, Verdict::Allow) => Some(MismatchReason::UnexpectedAllow),
            (_, Verdict::Blocked)
                if scenario.apply_reason == Some(BlockedReason::NotApplicableInWorld) =>
            {
                Some(MismatchReason::NotApplicableInWorld)
            }
            (_, Verdict::Blocked) => Some(MismatchReason::ApplyBlocked),
            (_, Verdict::DependencyDenied) => Some(MismatchReason::DependencyDenied),
            (_, Verdict::Crashed) => Some(MismatchReason::Crashed),
            (_, Verdict::Timeout) => Some(MismatchReason::Timeout),
            (_, Verdict::Error) if baseline_failed => Some(MismatchReason::BaselineDenied),
            (_, Verdict::Error) => Some(MismatchReason::OperationError),
            (_, Verdict::Skipped) => Some(MismatchReason::NotApplicableInWorld),
        };
        mismatches.extend(reason);
    }
    VerdictRecord {
        id: format!("{profile}/{}", scenario.probe),
        profile,
        probe: scenario.probe.clone(),
        verdict,
        stage,
        errno,
        mount: scenario.mount.clone().filter(|_| verdict == Verdict::Deny),
        baseline: baseline_verdict,
        expected: expectation.map(|e| e.decision),
        expected_errno: expectation.and_then(|e| e.errno.clone()),
        known: if mismatches.is_empty() {
            None
        } else {
            expectation.and_then(|e| e.known.clone())
        },
        mismatches,
        evidence: scenario.evidence,
        reason: mount_reason(scenario, verdict, baseline_verdict).or_else(|| reason_text(scenario)),
        witness: None,
        shim_divergence: None,
    }
}

/// A deny a mount decided, said so: a hidden path's ENOENT is the sandbox's only when the
/// baseline reached the path (otherwise the path may simply be absent). Each text's head (up
/// to ": ") stands alone: `xpr diff` shows only the head.
fn mount_reason(r: &StageRecord, verdict: Verdict, baseline: Option<Verdict>) -> Option<String> {
    let m = r.mount.as_ref().filter(|_| verdict == Verdict::Deny)?;
    let errno = r.operation_errno.as_ref().map_or("", |e| e.name.as_str());
    let at = &m.mount;
    Some(match (m.denial, errno) {
        (MountDenial::Hidden, "ENOENT") if baseline == Some(Verdict::Allow) => format!(
            "ENOENT from the sandbox, not from absence: the mount on {at} hides the path, which \
             the baseline reached"
        ),
        (MountDenial::Hidden, "ENOENT") => format!(
            "ENOENT below the hidden mount on {at}; the baseline did not reach the path either, \
             so it may simply be absent"
        ),
        (MountDenial::Hidden, _) => {
            format!("{errno} from the device node that hides {at}")
        }
        (MountDenial::ReadOnly, _) => format!("{errno} from the read-only mount on {at}"),
        (MountDenial::NoExec, _) => format!("{errno} from the noexec mount on {at}"),
        (MountDenial::Boundary, _) => format!("{errno} from a move across the mount on {at}"),
        (MountDenial::MountPoint, _) => format!("{errno} from the mount point {at} of the sandbox"),
    })
}

/// Why a non-allow verdict happened, for people (blocked detail, skip reason, exit facts).
fn reason_text(r: &StageRecord) -> Option<String> {
    if let Some(s) = &r.skipped {
        return Some(s.clone());
    }
    if r.apply == ApplyOutcome::Blocked {
        let reason = match r.apply_reason {
            Some(BlockedReason::NotApplicableInWorld) => "not_applicable_in_world",
            Some(BlockedReason::MechanismUnavailable) => "mechanism_unavailable",
            Some(BlockedReason::ApplyError) | None => "apply_error",
        };
        return Some(match &r.apply_detail {
            Some(d) => format!("{reason}: {d}"),
            None => reason.to_string(),
        });
    }
    match (r.signal, r.exit_status, r.exec) {
        (Some(sig), _, ExecOutcome::Crashed) => Some(format!("killed by signal {sig}")),
        (_, _, ExecOutcome::Timeout) => Some("timed out; process group killed".into()),
        _ => r.detail.clone().filter(|_| r.exec != ExecOutcome::Ok),
    }
}

/// Every scenario record paired with its baseline and the expectation its world admits
/// (`landlock_abi`: the world's effective ABI, 0 without Landlock), in record order.
pub fn verdicts(
    exp: &Experiment,
    records: &[StageRecord],
    landlock_abi: u32,
) -> Vec<VerdictRecord> {
    use std::collections::HashMap;
    let baseline: HashMap<&str, &StageRecord> = records
        .iter()
        .filter(|r| r.lane == Lane::Baseline)
        .map(|r| (r.probe.as_str(), r))
        .collect();
    let expectations: HashMap<(&str, &str), &Expectation> = exp
        .expectations
        .iter()
        .filter(|e| e.landlock_abi.is_none_or(|s| s.admits(landlock_abi)))
        .map(|e| ((e.profile.as_str(), e.probe.as_str()), e))
        .collect();
    records
        .iter()
        .filter(|r| r.lane == Lane::Scenario)
        .map(|r| {
            let profile = r.profile.as_deref().unwrap_or_default();
            let expectation = expectations.get(&(profile, r.probe.as_str())).copied();
            compare(r, baseline.get(r.probe.as_str()).copied(), expectation)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ApplyOutcome, Evidence, Origin};

    fn record(lane: Lane, op: OperationOutcome, errno: Option<(i32, &str)>) -> StageRecord {
        StageRecord {
            lane,
            profile: (lane == Lane::Scenario).then(|| "p".to_string()),
            probe: "x".into(),
            apply: ApplyOutcome::Ok,
            apply_reason: None,
            apply_errno: None,
            apply_detail: None,
            acquire: None,
            exec: ExecOutcome::Ok,
            exec_errno: None,
            operation: op,
            operation_errno: errno.map(|(raw, name)| Errno {
                raw,
                name: name.into(),
            }),
            mount: None,
            exit_status: None,
            signal: None,
            evidence: Evidence::Syscall,
            output: None,
            output_truncated: None,
            detail: None,
            skipped: None,
            micros: 0,
            pid: None,
        }
    }

    fn expect(decision: Expected, errno: Option<&str>, known: Option<&str>) -> Expectation {
        Expectation {
            id: "p/x".into(),
            profile: "p".into(),
            probe: "x".into(),
            decision,
            errno: errno.map(str::to_string),
            world: None,
            landlock_abi: None,
            known: known.map(str::to_string),
            origin: Origin::default(),
        }
    }

    const EACCES: Option<(i32, &str)> = Some((13, "EACCES"));

    #[test]
    fn deny_holds_only_with_the_expected_errno_and_a_clean_baseline() {
        let s = record(Lane::Scenario, OperationOutcome::Deny, EACCES);
        let b = record(Lane::Baseline, OperationOutcome::Allow, None);
        let v = compare(
            &s,
            Some(&b),
            Some(&expect(Expected::Deny, Some("EACCES"), None)),
        );
        assert!(v.mismatches.is_empty());
        assert_eq!(
            (v.verdict, v.stage),
            (Verdict::Deny, Some(Stage::Operation))
        );
        let v = compare(
            &s,
            Some(&b),
            Some(&expect(Expected::Deny, Some("EPERM"), None)),
        );
        assert_eq!(v.mismatches, vec![MismatchReason::ErrnoDiffers]);
        let failed = record(Lane::Baseline, OperationOutcome::Error, Some((2, "ENOENT")));
        let v = compare(&s, Some(&failed), Some(&expect(Expected::Deny, None, None)));
        assert_eq!(v.mismatches, vec![MismatchReason::BaselineDenied]);
        assert_eq!(v.baseline, Some(Verdict::Error));
    }

    #[test]
    fn non_operation_failures_are_never_denies() {
        let mut s = record(Lane::Scenario, OperationOutcome::NotReached, None);
        s.exec = ExecOutcome::Crashed;
        s.signal = Some(11);
        let v = compare(&s, None, Some(&expect(Expected::Deny, None, None)));
        assert_eq!((v.verdict, v.stage), (Verdict::Crashed, Some(Stage::Exec)));
        assert_eq!(v.mismatches, vec![MismatchReason::Crashed]);
        s.exec = ExecOutcome::DependencyDenied;
        let v = compare(
            &s,
            None,
            Some(&expect(Expected::Allow, None, Some("loader"))),
        );
        assert_eq!(v.mismatches, vec![MismatchReason::DependencyDenied]);
        assert_eq!(v.known.as_deref(), Some("loader"));
        s.exec = ExecOutcome::NotReached;
        s.apply = ApplyOutcome::Blocked;
        s.apply_reason = Some(BlockedReason::NotApplicableInWorld);
        let v = compare(&s, None, Some(&expect(Expected::Deny, None, None)));
        assert_eq!((v.verdict, v.stage), (Verdict::Blocked, Some(Stage::Apply)));
        assert_eq!(v.mismatches, vec![MismatchReason::NotApplicableInWorld]);
    }

    #[test]
    fn an_error_errno_is_not_a_deny() {
        let s = record(Lane::Scenario, OperationOutcome::Error, Some((2, "ENOENT")));
        let b = record(Lane::Baseline, OperationOutcome::Allow, None);
        let v = compare(&s, Some(&b), Some(&expect(Expected::Allow, None, None)));
        assert_eq!(v.verdict, Verdict::Error);
        assert_eq!(v.mismatches, vec![MismatchReason::OperationError]);
        assert!(v.known.is_none());
    }
}
