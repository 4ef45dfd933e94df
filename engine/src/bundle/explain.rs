//! Everything a bundle knows about one result, laid out for a person deciding whether it is
//! evidence: both lanes stage by stage, the oracle's deciding rule, the audit witness,
//! fidelity notes and shim changes (`xpr explain`, and each cell of `xpr matrix`'s report).
//! Read through the bundle's confined opener, from a bundle the caller verified first.

use serde::de::DeserializeOwned;

use super::dir::BundleDir;
use super::fidelity::FidelityReport;
use super::index::is_safe_relative;
use super::layout;
use crate::lanes::ObservedRecord;
use crate::model::Fidelity;
use crate::model::{Lane, StageRecord, VerdictRecord, Witness, WitnessState};
use crate::oracle::{DivergenceRecord, OracleRecord};

/// The records of one JSON Lines artifact, through the bundle's confined opener (an absent
/// or unreadable file has none; malformed lines are skipped, as a verified bundle has none).
fn read_jsonl<T: DeserializeOwned>(bundle: &BundleDir, rel: &str) -> Vec<T> {
    bundle
        .read(rel)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .map(|text| {
            text.lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// A profile's fidelity report. The path is built from a record field, so it must be a plain
/// bundle-relative path (a profile named `../../x` names none) and is read confined anyway.
fn fidelity_report(bundle: &BundleDir, profile: &str) -> Option<FidelityReport> {
    let rel = layout::fidelity(profile);
    if !is_safe_relative(&rel) {
        return None;
    }
    bundle.read_json(&rel).ok()
}

/// The serde (snake_case) name of an outcome, as the records spell it.
fn name<T: serde::Serialize>(x: &T) -> String {
    serde_json::to_value(x)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn stage_line(r: &StageRecord) -> String {
    let errno = |e: &Option<crate::model::Errno>| {
        e.as_ref()
            .map_or(String::new(), |e| format!(" {} ({})", e.name, e.raw))
    };
    let mut s = format!(
        "apply {}{}{} · exec {}{} · operation {}{}",
        name(&r.apply),
        r.apply_reason
            .map_or(String::new(), |x| format!(" {}", name(&x))),
        errno(&r.apply_errno),
        name(&r.exec),
        errno(&r.exec_errno),
        name(&r.operation),
        errno(&r.operation_errno),
    );
    if let Some(m) = &r.mount {
        s.push_str(&format!(
            " by the mount on {} ({})",
            m.mount,
            m.denial.as_str()
        ));
    }
    s.push_str(&format!(
        " · exit {} · signal {} · evidence {}",
        r.exit_status.map_or("-".into(), |c| c.to_string()),
        r.signal.map_or("-".into(), |c| c.to_string()),
        name(&r.evidence)
    ));
    if let Some(d) = r
        .detail
        .as_ref()
        .or(r.apply_detail.as_ref())
        .or(r.skipped.as_ref())
    {
        s.push_str(&format!("\n              {d}"));
    }
    s
}

fn witness_lines(w: Option<&Witness>) -> String {
    let Some(w) = w else {
        return "not run (no --observer audit, no observer lane)".into();
    };
    let mut s = match w.state {
        WitnessState::Records => "records".to_string(),
        WitnessState::NoWitness => "no_witness (not evidence of no deny)".to_string(),
        WitnessState::ObserverUnavailable => "observer_unavailable".to_string(),
        WitnessState::NotExpected => "not_expected".to_string(),
    };
    if let Some(r) = &w.reason {
        s.push_str(&format!(": {r}"));
    }
    for r in &w.records {
        s.push_str(&format!("\n              {r}"));
    }
    for r in &w.incidental {
        s.push_str(&format!("\n              incidental (did not decide): {r}"));
    }
    s
}

/// A short judgement: how much of the result is evidence.
fn assessment(v: &VerdictRecord, o: Option<&OracleRecord>) -> String {
    let mut parts = Vec::new();
    parts.push(
        match v.evidence {
            crate::model::Evidence::Syscall => "the errno comes from the operation itself",
            crate::model::Evidence::ExitStatus => {
                "only an exit status (weaker: the command's own logic)"
            }
            crate::model::Evidence::None => "no operation result",
        }
        .to_string(),
    );
    if let Some(b) = v.baseline
        && b != crate::model::Verdict::Allow
    {
        parts.push(format!(
            "the baseline was {} too: not the profile's doing",
            b.as_str()
        ));
    }
    if let Some(o) = o {
        parts.push(match (o.calibration, o.agrees) {
            (Some(crate::oracle::Calibration::Calibrated), Some(true)) => {
                "the calibrated oracle agrees".into()
            }
            (Some(crate::oracle::Calibration::Calibrated), Some(false)) => {
                "the calibrated oracle DISAGREES: check the model or the world".into()
            }
            (_, _) => "the oracle is an annotation here (uncalibrated or not comparable)".into(),
        });
    }
    if let Some(w) = &v.witness {
        parts.push(match w.state {
            WitnessState::Records => "the kernel's audit log witnessed the denial".into(),
            WitnessState::NoWitness if v.verdict == crate::model::Verdict::Allow => {
                "no audit record, as expected for an allow".into()
            }
            WitnessState::NoWitness => "no audit record (which does not mean no deny)".into(),
            WitnessState::ObserverUnavailable => "no observer".into(),
            WitnessState::NotExpected => "a mount decided: no audit record is expected".into(),
        });
    }
    parts.join("; ")
}

/// The fidelity entries of the profile that are not exact, or that decided the oracle's
/// prediction and carry a note.
fn fidelity_notes(
    bundle: &BundleDir,
    v: &VerdictRecord,
    o: Option<&OracleRecord>,
) -> Vec<crate::model::RuleFidelity> {
    let fidelity = fidelity_report(bundle, &v.profile);
    let deciding: Vec<Option<usize>> = o
        .map(|o| o.deciding.iter().map(|d| d.rule).collect())
        .unwrap_or_default();
    fidelity
        .map(|f| f.rules)
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.fidelity != Fidelity::Exact || deciding.contains(&r.rule))
        .filter(|r| r.note.is_some() || r.fidelity != Fidelity::Exact)
        .collect()
}

/// A bundle's records, read once, to explain any of its results.
pub(crate) struct Explainer {
    pub verdicts: Vec<VerdictRecord>,
    baseline: Vec<StageRecord>,
    scenario: Vec<StageRecord>,
    oracle: Vec<OracleRecord>,
    observed: Vec<ObservedRecord>,
    divergence: Vec<DivergenceRecord>,
}

impl Explainer {
    pub(crate) fn load(bundle: &BundleDir) -> Explainer {
        Explainer {
            verdicts: read_jsonl(bundle, layout::VERDICTS),
            baseline: read_jsonl(bundle, &layout::stage_records(Lane::Baseline)),
            scenario: read_jsonl(bundle, &layout::stage_records(Lane::Scenario)),
            oracle: read_jsonl(bundle, layout::ORACLE),
            observed: read_jsonl(bundle, layout::OBSERVER),
            divergence: read_jsonl(bundle, layout::SHIM_DIVERGENCE),
        }
    }

    /// One result as a JSON object (an `xpr.explain.v1` result).
    pub(crate) fn json(&self, bundle: &BundleDir, v: &VerdictRecord) -> serde_json::Value {
        let find = |records: &[StageRecord], profile: Option<&str>| {
            records
                .iter()
                .find(|r| {
                    r.probe == v.probe && (profile.is_none() || r.profile.as_deref() == profile)
                })
                .cloned()
        };
        let o = self.oracle.iter().find(|o| o.id == v.id);
        serde_json::json!({
            "verdict": v,
            "baseline": find(&self.baseline, None),
            "scenario": find(&self.scenario, Some(v.profile.as_str())),
            "oracle": o,
            "observer_records": self.observed.iter().filter(|r| r.id == v.id).collect::<Vec<_>>(),
            "fidelity": fidelity_notes(bundle, v, o),
            "assessment": assessment(v, o),
        })
    }

    /// The explanation of one result, ending with a blank line. Record fields are untrusted
    /// text: the caller escapes it for where it is shown.
    pub(crate) fn text(&self, bundle: &BundleDir, v: &VerdictRecord) -> String {
        let (baseline, scenario, oracle, observed, divergence) = (
            &self.baseline,
            &self.scenario,
            &self.oracle,
            &self.observed,
            &self.divergence,
        );
        let mut out = String::new();
        out.push_str(&format!(
            "{}  verdict {}{}{}\n",
            v.id,
            v.verdict.as_str(),
            v.stage
                .map_or(String::new(), |s| format!(" at {}", s.as_str())),
            v.errno
                .as_ref()
                .map_or(String::new(), |e| format!(" {}", e.name)),
        ));
        out.push_str(&format!(
            "  expected:   {}{}{}\n",
            v.expected.map_or("(no expectation)", |a| a.as_str()),
            v.expected_errno
                .as_ref()
                .map_or(String::new(), |e| format!(" {e}")),
            if v.mismatches.is_empty() {
                " — holds".to_string()
            } else {
                format!(
                    " — mismatch {:?}{}",
                    v.mismatches,
                    v.known
                        .as_ref()
                        .map_or(String::new(), |k| format!(" (known: {k})"))
                )
            }
        ));
        if let Some(b) = baseline.iter().find(|r| r.probe == v.probe) {
            out.push_str(&format!("  baseline:   {}\n", stage_line(b)));
        }
        if let Some(s) = scenario
            .iter()
            .find(|r| r.probe == v.probe && r.profile.as_deref() == Some(v.profile.as_str()))
        {
            out.push_str(&format!("  scenario:   {}\n", stage_line(s)));
            if let Some(pid) = s.pid {
                out.push_str(&format!("              pid {pid}\n"));
            }
        }
        let o = oracle.iter().find(|o| o.id == v.id);
        match o {
            Some(o) => {
                out.push_str(&format!(
                    "  oracle:     {}{} — {} [{}; {}]\n",
                    o.decision_text(),
                    o.stage
                        .map_or(String::new(), |s| format!(" at {}", s.as_str())),
                    o.explanation,
                    o.calibration
                        .map_or("uncalibrated".into(), |c| format!("{c:?}").to_lowercase()),
                    match o.agrees {
                        Some(true) => "agrees with the scenario",
                        Some(false) => "disagrees with the scenario",
                        None => "not comparable",
                    }
                ));
                for d in &o.deciding {
                    out.push_str(&format!(
                        "              deciding: {} `{}` ({:?}){}\n",
                        d.origin,
                        d.text,
                        d.fidelity,
                        d.note.as_ref().map_or(String::new(), |n| format!(": {n}"))
                    ));
                }
            }
            None => {
                out.push_str("  oracle:     not run (add `oracle` to the experiment's lanes)\n")
            }
        }
        out.push_str(&format!(
            "  observer:   {}\n",
            witness_lines(v.witness.as_ref())
        ));
        let records = observed.iter().filter(|r| r.id == v.id).count();
        if records > 0 {
            out.push_str(&format!(
                "              {records} record(s) in {}\n",
                layout::OBSERVER
            ));
        }
        for r in fidelity_notes(bundle, v, o) {
            out.push_str(&format!(
                "  fidelity:   {:?} {} `{}`{}\n",
                r.fidelity,
                r.origin,
                r.text,
                r.note.as_ref().map_or(String::new(), |n| format!(": {n}"))
            ));
        }
        match (
            &v.shim_divergence,
            divergence.iter().any(|d| d.profile == v.profile),
        ) {
            (Some(c), _) => out.push_str(&format!(
                "  shims:      change this probe: {} -> {}{}\n",
                c.source,
                c.runtime,
                if c.rules.is_empty() {
                    String::new()
                } else {
                    format!(" (by {})", c.rules.join("; "))
                }
            )),
            (None, true) => {
                out.push_str("  shims:      the profile's shims do not change this probe\n")
            }
            (None, false) => out.push_str("  shims:      none, or none that change any probe\n"),
        }
        out.push_str(&format!("  evidence:   {}\n\n", assessment(v, o)));
        out
    }
}
