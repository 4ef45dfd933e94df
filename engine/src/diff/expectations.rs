//! Expectation changes, keyed by stable expectation id.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Status;
use crate::model::{Action, Errno, Evidence, MismatchReason, Stage, Verdict, VerdictRecord};

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
    pub expected: Option<Action>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_errno: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mismatches: Vec<MismatchReason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known: Option<String>,
    pub evidence: Evidence,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl From<&VerdictRecord> for Outcome {
    fn from(r: &VerdictRecord) -> Outcome {
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
}

impl Aspect {
    pub fn as_str(self) -> &'static str {
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

/// (verdict changes incl. added/removed, other outcome changes), each sorted by id.
pub fn diff(
    a: &BTreeMap<String, VerdictRecord>,
    b: &BTreeMap<String, VerdictRecord>,
) -> (Vec<ExpectationChange>, Vec<ExpectationChange>) {
    let mut verdicts = Vec::new();
    let mut outcomes = Vec::new();
    let ids: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for id in ids {
        let (ra, rb) = (a.get(id), b.get(id));
        let (oa, ob) = (ra.map(Outcome::from), rb.map(Outcome::from));
        let named = ra.or(rb).expect("id comes from one side");
        let mut change = ExpectationChange {
            id: id.clone(),
            profile: named.profile.clone(),
            probe: named.probe.clone(),
            status: Status::of(&oa, &ob),
            aspects: Vec::new(),
            a: oa,
            b: ob,
        };
        match (&change.a, &change.b) {
            (Some(x), Some(y)) => {
                change.aspects = aspects(x, y);
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
    ];
    checks
        .into_iter()
        .filter_map(|(aspect, differs)| differs.then_some(aspect))
        .collect()
}
