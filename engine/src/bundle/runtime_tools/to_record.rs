//! A runtime-tools [`MappedVerdict`] as an xpr [`VerdictRecord`] plus its [`ForeignDetails`],
//! for the bundle reader interface `xpr diff` uses.
//!
//! `VerdictRecord` has no place for the harness's own stage words, exit code, harness or
//! flags, nor for mismatch classes xpr does not enumerate (`op_not_witnessed`, ...): those stay
//! structured in [`ForeignDetails`] so the diff compares them field by field. A record with no
//! decision becomes `skipped` with evidence `none`; its `actual` and flags say why.

use super::mapped::MappedVerdict;
use crate::bundle::foreign::ForeignDetails;
use crate::model::{Errno, Evidence, MismatchReason, Stage, Verdict, VerdictRecord};

fn verdict(word: Option<&str>) -> Option<Verdict> {
    Some(match word? {
        "allow" => Verdict::Allow,
        "deny" => Verdict::Deny,
        "blocked" => Verdict::Blocked,
        "crashed" => Verdict::Crashed,
        "timeout" => Verdict::Timeout,
        "error" => Verdict::Error,
        "dependency_denied" => Verdict::DependencyDenied,
        _ => return None,
    })
}

fn stage(word: Option<&str>) -> Option<Stage> {
    Some(match word? {
        "compile" => Stage::Compile,
        "apply" => Stage::Apply,
        "exec" => Stage::Exec,
        "operation" => Stage::Operation,
        _ => return None,
    })
}

fn mismatch(word: &str) -> Option<MismatchReason> {
    Some(match word {
        "unexpected_allow" => MismatchReason::UnexpectedAllow,
        "unexpected_deny" => MismatchReason::UnexpectedDeny,
        "apply_gate" | "preflight_blocked" => MismatchReason::ApplyBlocked,
        "bootstrap_deny_process_exec" | "bootstrap_failed" => MismatchReason::DependencyDenied,
        _ => return None,
    })
}

/// Symbolic names for the errnos runtime-tools records most (Darwin numbering).
fn errno_name(raw: i64) -> String {
    match raw {
        1 => "EPERM".into(),
        2 => "ENOENT".into(),
        13 => "EACCES".into(),
        22 => "EINVAL".into(),
        r if r < 0 => format!("exit {r} (recorded as errno)"),
        r => format!("errno {r}"),
    }
}

pub(crate) fn to_record(v: &MappedVerdict) -> VerdictRecord {
    let mapped = verdict(v.verdict.as_deref());
    let mut mismatches: Vec<MismatchReason> =
        v.mismatches.iter().filter_map(|m| mismatch(m)).collect();
    mismatches.sort();
    mismatches.dedup();
    VerdictRecord {
        id: v.id.clone(),
        profile: v.profile.clone(),
        probe: v.probe.clone(),
        verdict: mapped.unwrap_or(Verdict::Skipped),
        stage: stage(v.stage.as_deref()),
        errno: v
            .errno
            .and_then(|raw| i32::try_from(raw).ok())
            .map(|raw| Errno {
                raw,
                name: errno_name(i64::from(raw)),
            }),
        baseline: verdict(v.baseline.as_deref()),
        expected: v.expected.map(Into::into),
        mount: None,
        expected_errno: None,
        mismatches,
        known: None,
        evidence: if mapped.is_some() {
            Evidence::ExitStatus
        } else {
            Evidence::None
        },
        reason: None,
        witness: None,
        shim_divergence: None,
    }
}

/// Everything the harness recorded that the `VerdictRecord` cannot hold, verbatim.
pub(crate) fn to_foreign(v: &MappedVerdict) -> ForeignDetails {
    ForeignDetails {
        source_id: v.source_id.clone(),
        operation: v.operation.clone(),
        target: v.target.clone(),
        actual: v.verdict.clone(),
        failure_stage: v.failure_stage.clone(),
        failure_kind: v.failure_kind.clone(),
        exit_code: v.exit_code,
        mismatch_classes: v.mismatches.clone(),
        mismatch_reason: v.mismatch_reason.clone(),
        harness: v.harness.clone(),
        lanes: v.lanes.clone(),
        flags: v.flags.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crash_recorded_as_deny_stays_a_deny_with_its_details_structured() {
        let v = MappedVerdict {
            id: "p/q".into(),
            profile: "p".into(),
            probe: "q".into(),
            verdict: Some("deny".into()),
            stage: Some("operation".into()),
            failure_stage: Some("probe".into()),
            errno: Some(-6),
            exit_code: Some(-6),
            mismatches: vec!["unexpected_deny".into()],
            flags: vec!["deny_with_negative_errno".into()],
            ..MappedVerdict::default()
        };
        let r = to_record(&v);
        assert_eq!(r.verdict, Verdict::Deny);
        assert_eq!(r.errno.as_ref().map(|e| e.raw), Some(-6));
        assert_eq!(r.mismatches, [MismatchReason::UnexpectedDeny]);
        assert_eq!(r.reason, None);
        let f = to_foreign(&v);
        assert_eq!(f.failure_stage.as_deref(), Some("probe"));
        assert_eq!(f.exit_code, Some(-6));
        assert_eq!(f.flags, ["deny_with_negative_errno"]);
    }

    #[test]
    fn no_decision_is_skipped_with_no_evidence() {
        let v = MappedVerdict {
            id: "p/q".into(),
            mismatches: vec!["op_not_witnessed".into()],
            ..MappedVerdict::default()
        };
        let r = to_record(&v);
        assert_eq!(r.verdict, Verdict::Skipped);
        assert_eq!(r.evidence, Evidence::None);
        assert!(r.mismatches.is_empty());
        let f = to_foreign(&v);
        assert_eq!(f.actual, None);
        assert_eq!(f.mismatch_classes, ["op_not_witnessed"]);
    }
}
