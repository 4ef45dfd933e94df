//! `xpr explain BUNDLE [EXPECTATION_ID]`: everything the bundle knows about one result (or
//! every mismatch), laid out for a person deciding whether it is evidence.

use std::path::Path;

use serde::de::DeserializeOwned;

use super::*;
use crate::bundle::fidelity::FidelityReport;
use crate::bundle::layout;
use crate::lanes::ObservedRecord;
use crate::model::Fidelity;
use crate::model::{Lane, StageRecord, VerdictRecord, Witness, WitnessState};
use crate::oracle::{DivergenceRecord, OracleRecord};

fn read_jsonl<T: DeserializeOwned>(bundle: &Path, rel: &str) -> Vec<T> {
    std::fs::read_to_string(bundle.join(rel))
        .map(|text| {
            text.lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect()
        })
        .unwrap_or_default()
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

pub fn run(args: ExplainArgs) -> u8 {
    let bundle = args.bundle.as_path();
    if !bundle.join(layout::INDEX).is_file() {
        eprintln!(
            "error: {} is not a complete run bundle (no {})",
            bundle.display(),
            layout::INDEX
        );
        return EXIT_INVALID;
    }
    let verdicts: Vec<VerdictRecord> = read_jsonl(bundle, layout::VERDICTS);
    let baseline: Vec<StageRecord> = read_jsonl(bundle, &layout::stage_records(Lane::Baseline));
    let scenario: Vec<StageRecord> = read_jsonl(bundle, &layout::stage_records(Lane::Scenario));
    let oracle: Vec<OracleRecord> = read_jsonl(bundle, layout::ORACLE);
    let observed: Vec<ObservedRecord> = read_jsonl(bundle, layout::OBSERVER);
    let divergence: Vec<DivergenceRecord> = read_jsonl(bundle, layout::SHIM_DIVERGENCE);
    let chosen: Vec<&VerdictRecord> = match &args.expectation_id {
        Some(id) => verdicts.iter().filter(|v| &v.id == id).collect(),
        None => verdicts
            .iter()
            .filter(|v| !v.mismatches.is_empty())
            .collect(),
    };
    if chosen.is_empty() {
        match &args.expectation_id {
            Some(id) => {
                eprintln!("error: no result `{id}` in {}", bundle.display());
                return EXIT_INVALID;
            }
            None => {
                println!("No mismatches in this run.");
                return EXIT_OK;
            }
        }
    }
    let mut out = String::new();
    for v in chosen {
        let fidelity: Option<FidelityReport> =
            std::fs::read(bundle.join(layout::fidelity(&v.profile)))
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok());
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
        if let Some(f) = &fidelity {
            let deciding: Vec<Option<usize>> = o
                .map(|o| o.deciding.iter().map(|d| d.rule).collect())
                .unwrap_or_default();
            for r in f
                .rules
                .iter()
                .filter(|r| r.fidelity != Fidelity::Exact || deciding.contains(&r.rule))
                .filter(|r| r.note.is_some() || r.fidelity != Fidelity::Exact)
            {
                out.push_str(&format!(
                    "  fidelity:   {:?} {} `{}`{}\n",
                    r.fidelity,
                    r.origin,
                    r.text,
                    r.note.as_ref().map_or(String::new(), |n| format!(": {n}"))
                ));
            }
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
    }
    print!("{out}");
    EXIT_OK
}
