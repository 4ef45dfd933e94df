//! Expectation changes, keyed by stable expectation id.
//!
//! Within one format every aspect is compared, including another harness's own fields
//! ([`ForeignDetails`]); across formats only what both models state ([`NEUTRAL`]), so an xpr
//! run against a runtime-tools run reports changes in meaning, not format noise (evidence kind,
//! reason text and foreign fields exist on one side only by nature).

use serde::Serialize;

use super::status::Status;
use crate::bundle::BundleView;
use crate::bundle::foreign::ForeignDetails;
use crate::model::{Errno, Evidence, Expected, MismatchReason, Stage, Verdict, VerdictRecord};

/// One side's outcome for an expectation (the comparable part of a `VerdictRecord`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Outcome {
    pub verdict: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errno: Option<Errno>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Verdict>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<Expected>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_errno: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mismatches: Vec<MismatchReason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known: Option<String>,
    pub evidence: Evidence,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What another harness recorded beyond xpr's model (absent for xpr bundles).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub foreign: Option<ForeignDetails>,
}

impl Outcome {
    fn new(r: &VerdictRecord, foreign: Option<&ForeignDetails>) -> Outcome {
        Outcome {
            verdict: r.verdict,
            stage: r.stage,
            errno: r.errno.clone(),
            baseline: r.baseline,
            expected: r.expected,
            expected_errno: r.expected_errno.clone(),
            mismatches: r.mismatches.clone(),
            known: r.known.clone(),
            evidence: r.evidence,
            reason: r.reason.clone(),
            foreign: foreign.cloned(),
        }
    }
}

/// A part of an outcome that differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Aspect {
    Verdict,
    Stage,
    Errno,
    Baseline,
    Expected,
    Mismatches,
    Known,
    Evidence,
    Reason,
    // Another harness's own fields, verbatim (see `ForeignDetails`).
    Actual,
    FailureStage,
    FailureKind,
    ExitCode,
    MismatchClasses,
    MismatchReason,
    Harness,
    Lanes,
    Flags,
    Operation,
    Target,
    SourceId,
}

/// Every aspect: compared between two bundles of one format.
pub const ALL: [Aspect; 21] = [
    Aspect::Verdict,
    Aspect::Stage,
    Aspect::Errno,
    Aspect::Baseline,
    Aspect::Expected,
    Aspect::Mismatches,
    Aspect::Known,
    Aspect::Evidence,
    Aspect::Reason,
    Aspect::Actual,
    Aspect::FailureStage,
    Aspect::FailureKind,
    Aspect::ExitCode,
    Aspect::MismatchClasses,
    Aspect::MismatchReason,
    Aspect::Harness,
    Aspect::Lanes,
    Aspect::Flags,
    Aspect::Operation,
    Aspect::Target,
    Aspect::SourceId,
];

/// Aspects both xpr's model and another harness's can state: compared across formats.
pub const NEUTRAL: [Aspect; 6] = [
    Aspect::Verdict,
    Aspect::Stage,
    Aspect::Errno,
    Aspect::Baseline,
    Aspect::Expected,
    Aspect::Mismatches,
];

impl Aspect {
    /// A field of another harness's record rather than of xpr's `VerdictRecord`.
    pub(crate) fn is_foreign(self) -> bool {
        self >= Aspect::Actual
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Aspect::Verdict => "verdict",
            Aspect::Stage => "stage",
            Aspect::Errno => "errno",
            Aspect::Baseline => "baseline",
            Aspect::Expected => "expected",
            Aspect::Mismatches => "mismatches",
            Aspect::Known => "known",
            Aspect::Evidence => "evidence",
            Aspect::Reason => "reason",
            Aspect::Actual => "actual",
            Aspect::FailureStage => "failure_stage",
            Aspect::FailureKind => "failure_kind",
            Aspect::ExitCode => "exit_code",
            Aspect::MismatchClasses => "mismatch_classes",
            Aspect::MismatchReason => "mismatch_reason",
            Aspect::Harness => "harness",
            Aspect::Lanes => "lanes",
            Aspect::Flags => "flags",
            Aspect::Operation => "operation",
            Aspect::Target => "target",
            Aspect::SourceId => "source_id",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExpectationChange {
    pub id: String,
    pub profile: String,
    pub probe: String,
    pub status: Status,
    /// What differs (empty for added and removed expectations).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aspects: Vec<Aspect>,
    pub a: Option<Outcome>,
    pub b: Option<Outcome>,
}

/// (verdict changes incl. added/removed, other outcome changes), each sorted by id. Only the
/// `compared` aspects count.
pub(crate) fn diff(
    a: &BundleView,
    b: &BundleView,
    compared: &[Aspect],
) -> (Vec<ExpectationChange>, Vec<ExpectationChange>) {
    let mut verdicts = Vec::new();
    let mut outcomes = Vec::new();
    fn outcome<'v>(v: &'v BundleView, id: &str) -> Option<(&'v VerdictRecord, Outcome)> {
        v.expectations
            .get(id)
            .map(|r| (r, Outcome::new(r, v.foreign.get(id))))
    }
    let ids: std::collections::BTreeSet<&String> =
        a.expectations.keys().chain(b.expectations.keys()).collect();
    for id in ids {
        let (ra, rb) = (outcome(a, id), outcome(b, id));
        let named = ra
            .as_ref()
            .or(rb.as_ref())
            .expect("id comes from one side")
            .0;
        let (profile, probe) = (named.profile.clone(), named.probe.clone());
        let (oa, ob) = (ra.map(|(_, o)| o), rb.map(|(_, o)| o));
        let mut change = ExpectationChange {
            id: id.clone(),
            profile,
            probe,
            status: Status::of(&oa, &ob),
            aspects: Vec::new(),
            a: oa,
            b: ob,
        };
        match (&change.a, &change.b) {
            (Some(x), Some(y)) => {
                change.aspects = aspects(x, y);
                change.aspects.retain(|a| compared.contains(a));
                if change.aspects.is_empty() {
                    continue;
                }
                if change.aspects.contains(&Aspect::Verdict) {
                    verdicts.push(change);
                } else {
                    outcomes.push(change);
                }
            }
            _ => verdicts.push(change),
        }
    }
    (verdicts, outcomes)
}

fn aspects(x: &Outcome, y: &Outcome) -> Vec<Aspect> {
    let none = ForeignDetails::default();
    let (fx, fy) = (
        x.foreign.as_ref().unwrap_or(&none),
        y.foreign.as_ref().unwrap_or(&none),
    );
    let checks = [
        (Aspect::Verdict, x.verdict != y.verdict),
        (Aspect::Stage, x.stage != y.stage),
        (Aspect::Errno, x.errno != y.errno),
        (Aspect::Baseline, x.baseline != y.baseline),
        (
            Aspect::Expected,
            x.expected != y.expected || x.expected_errno != y.expected_errno,
        ),
        (Aspect::Mismatches, x.mismatches != y.mismatches),
        (Aspect::Known, x.known != y.known),
        (Aspect::Evidence, x.evidence != y.evidence),
        (Aspect::Reason, x.reason != y.reason),
        (Aspect::Actual, fx.actual != fy.actual),
        (Aspect::FailureStage, fx.failure_stage != fy.failure_stage),
        (Aspect::FailureKind, fx.failure_kind != fy.failure_kind),
        (Aspect::ExitCode, fx.exit_code != fy.exit_code),
        (
            Aspect::MismatchClasses,
            fx.mismatch_classes != fy.mismatch_classes,
        ),
        (
            Aspect::MismatchReason,
            fx.mismatch_reason != fy.mismatch_reason,
        ),
        (Aspect::Harness, fx.harness != fy.harness),
        (Aspect::Lanes, fx.lanes != fy.lanes),
        (Aspect::Flags, fx.flags != fy.flags),
        (Aspect::Operation, fx.operation != fy.operation),
        (Aspect::Target, fx.target != fy.target),
        (Aspect::SourceId, fx.source_id != fy.source_id),
    ];
    checks
        .into_iter()
        .filter_map(|(aspect, differs)| differs.then_some(aspect))
        .collect()
}
