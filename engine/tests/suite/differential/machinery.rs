//! The expectation machinery, re-derived from spec §5: from the kernel's verdicts (the
//! replay's) and the generated expectations, the mismatch reasons, `known`, the summary counts
//! and whether the run passes, compared with what the engine reports.

use xpr::model::{MismatchReason, VerdictRecord};

use super::case::{Action, Case};
use super::replay::Result3;

/// The reason spec §5 gives for one expectation, from the scenario and baseline results.
fn expected_reason(
    want: Action,
    errno: Option<&str>,
    got: &Result3,
    baseline: &Result3,
) -> Option<MismatchReason> {
    use MismatchReason::*;
    let baseline_failed = !matches!(baseline.verdict, "allow" | "skipped");
    let name = got.errno.map(xpr::world::errno_name);
    match (want, got.verdict) {
        (Action::Allow, "allow") => None,
        (_, "deny") if baseline_failed => Some(BaselineDenied),
        (Action::Deny, "deny") => match (errno, name) {
            (Some(w), Some(n)) if w != n => Some(ErrnoDiffers),
            _ => None,
        },
        (Action::Allow, "deny") => Some(UnexpectedDeny),
        (Action::Deny, "allow") => Some(UnexpectedAllow),
        // A profile the world cannot express, or a rule path that does not exist (spec §7).
        (_, "blocked") => match got.errno {
            None | Some(libc::ENOENT) | Some(libc::ENOTDIR) => Some(NotApplicableInWorld),
            Some(_) => Some(ApplyBlocked),
        },
        (_, "dependency_denied") => Some(DependencyDenied),
        (_, "error") if baseline_failed => Some(BaselineDenied),
        (_, "error") => Some(OperationError),
        (_, "skipped") => Some(NotApplicableInWorld),
        (_, other) => panic!("the replay has no verdict {other}"),
    }
}

/// Disagreements between the engine's expectation results and spec §5 applied to the kernel's
/// verdicts. `kernel[profile][probe]`, `baseline[probe]`.
pub fn check(
    case: &Case,
    verdicts: &[VerdictRecord],
    summary: &xpr::report::RunSummary,
    kernel: &[Vec<Result3>],
    baseline: &[Result3],
) -> Vec<String> {
    let mut bad = Vec::new();
    let (mut held, mut mismatched, mut known) = (0, 0, 0);
    let find = |profile: usize, probe: usize| {
        let id = format!(
            "{}/{}",
            case.profiles[profile].name, case.probes[probe].name
        );
        verdicts
            .iter()
            .find(|v| v.id == id)
            .unwrap_or_else(|| panic!("no verdict {id}"))
    };
    let mut expected: Vec<(usize, usize)> = Vec::new();
    for e in &case.expectations {
        expected.push((e.profile, e.probe));
        let v = find(e.profile, e.probe);
        let reason = expected_reason(
            e.action,
            e.errno,
            &kernel[e.profile][e.probe],
            &baseline[e.probe],
        );
        let want: Vec<MismatchReason> = reason.into_iter().collect();
        match (want.is_empty(), e.known) {
            (true, _) => held += 1,
            (false, true) => known += 1,
            (false, false) => mismatched += 1,
        }
        let want_known = e.known && !want.is_empty();
        let engine_expected = v.expected.map(|a| a == xpr::model::Action::Allow);
        if v.mismatches != want
            || v.known.is_some() != want_known
            || engine_expected != Some(e.action == Action::Allow)
        {
            bad.push(format!(
                "{}: expected {:?} {:?} known={}: spec §5 gives {want:?}, the engine {:?} (known {:?})",
                v.id, e.action, e.errno, e.known, v.mismatches, v.known
            ));
        }
    }
    for v in verdicts {
        let ours = expected.iter().any(|(pr, pb)| {
            v.id == format!("{}/{}", case.profiles[*pr].name, case.probes[*pb].name)
        });
        if !ours && (!v.mismatches.is_empty() || v.expected.is_some()) {
            bad.push(format!("{}: no expectation, yet {:?}", v.id, v.mismatches));
        }
    }
    let counts = (
        summary.expectations,
        summary.held,
        summary.mismatched,
        summary.known,
    );
    if counts != (case.expectations.len(), held, mismatched, known)
        || summary.passed() != (mismatched == 0)
    {
        bad.push(format!(
            "summary (expectations, held, mismatched, known) {counts:?}, spec §5 gives {:?}",
            (case.expectations.len(), held, mismatched, known)
        ));
    }
    bad
}
