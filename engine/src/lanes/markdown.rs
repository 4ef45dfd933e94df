//! The side lanes' sections of `summary.md`: oracle calibration, shim divergence, witnesses.

use crate::model::{VerdictRecord, WitnessState};

use super::SideLanes;

pub(crate) fn markdown(lanes: &SideLanes, verdicts: &[VerdictRecord]) -> String {
    let mut md = String::new();
    if let Some(c) = &lanes.calibration {
        md.push_str(&format!(
            "\n## Oracle\n\n{:?}: {}.\n",
            c.calibration, c.reason
        ));
        if !c.disagreements.is_empty() {
            md.push_str(&format!("Disagrees on: {}\n", c.disagreements.join(", ")));
        }
    }
    md.push_str("\n## Shim divergence\n\n");
    if lanes.divergence.is_empty() {
        md.push_str("No shim changes a probe's decision.\n");
    } else {
        md.push_str("| profile | probe | shims | source | runtime |\n|---|---|---|---|---|\n");
        for d in &lanes.divergence {
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                d.profile,
                d.probe,
                d.shims.join(", "),
                d.change.source,
                d.change.runtime
            ));
        }
    }
    if let Some(o) = &lanes.observer {
        md.push_str("\n## Observer\n\n");
        match &o.unavailable {
            Some(why) => md.push_str(&format!("Unavailable: {why}.\n")),
            None => {
                let count = |s: WitnessState| {
                    verdicts
                        .iter()
                        .filter(|v| v.witness.as_ref().is_some_and(|w| w.state == s))
                        .count()
                };
                md.push_str(&format!(
                    "{} outcomes with audit records, {} without (no witness is not evidence of no deny).\n",
                    count(WitnessState::Records),
                    count(WitnessState::NoWitness)
                ));
            }
        }
    }
    md
}

/// One line per side lane for the terminal (empty when no side lane has anything to say).
pub(crate) fn summary_lines(lanes: &SideLanes, verdicts: &[VerdictRecord]) -> String {
    let mut out = String::new();
    if let Some(c) = &lanes.calibration {
        out.push_str(&format!(
            "oracle: {} ({})\n",
            format!("{:?}", c.calibration).to_lowercase(),
            c.reason
        ));
    }
    if !lanes.divergence.is_empty() {
        out.push_str(&format!(
            "predicted shim divergence (source vs runtime profile, by the oracle): {} probe decision(s) change (shim_divergence.jsonl)\n",
            lanes.divergence.len()
        ));
    }
    if let Some(o) = &lanes.observer {
        match &o.unavailable {
            Some(why) => out.push_str(&format!("observer: unavailable: {why}\n")),
            None => {
                let with = verdicts
                    .iter()
                    .filter(|v| {
                        v.witness
                            .as_ref()
                            .is_some_and(|w| w.state == WitnessState::Records)
                    })
                    .count();
                let lost = match o.lost_records {
                    0 => String::new(),
                    n => format!("; the kernel dropped {n} audit record(s) while the run listened"),
                };
                out.push_str(&format!(
                    "observer: {with} outcome(s) witnessed by audit records; audit state {}{lost}\n",
                    if o.changed_audit_state {
                        "switched on for the run and restored"
                    } else {
                        "left as it was"
                    }
                ));
            }
        }
    }
    out
}
