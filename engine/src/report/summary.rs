//! The run summary: verdict counts and expectation results (`summary.json` and the last line).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{MismatchReason, VerdictRecord};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub experiment: String,
    pub profiles: usize,
    pub probes: usize,
    /// Verdict name → count over every (profile, probe).
    pub verdicts: BTreeMap<String, usize>,
    pub expectations: usize,
    pub held: usize,
    /// Mismatches that fail the run.
    pub mismatched: usize,
    /// Mismatches the experiment documents as known.
    pub known: usize,
    /// `<profile>/<probe>` → reasons, for the failing mismatches, in matrix order.
    pub failures: Vec<Failure>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    pub id: String,
    pub reasons: Vec<MismatchReason>,
}

impl RunSummary {
    /// Every expectation holds (known mismatches do not count against the run).
    pub fn passed(&self) -> bool {
        self.mismatched == 0
    }

    pub fn line(&self) -> String {
        let counts: Vec<String> = self
            .verdicts
            .iter()
            .map(|(v, n)| format!("{n} {v}"))
            .collect();
        format!(
            "{}: {} × {}: {}; expectations: {} held, {} mismatched, {} known of {}",
            self.experiment,
            counted(self.profiles, "profile"),
            counted(self.probes, "probe"),
            counts.join(", "),
            self.held,
            self.mismatched,
            self.known,
            self.expectations,
        )
    }
}

fn counted(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

pub fn summarise(
    experiment: &str,
    profiles: usize,
    probes: usize,
    verdicts: &[VerdictRecord],
) -> RunSummary {
    let mut s = RunSummary {
        experiment: experiment.to_string(),
        profiles,
        probes,
        ..RunSummary::default()
    };
    for v in verdicts {
        *s.verdicts
            .entry(v.verdict.as_str().to_string())
            .or_default() += 1;
        if v.expected.is_none() {
            continue;
        }
        s.expectations += 1;
        match (v.mismatches.is_empty(), v.known.is_some()) {
            (true, _) => s.held += 1,
            (false, true) => s.known += 1,
            (false, false) => {
                s.mismatched += 1;
                s.failures.push(Failure {
                    id: v.id.clone(),
                    reasons: v.mismatches.clone(),
                });
            }
        }
    }
    s
}
