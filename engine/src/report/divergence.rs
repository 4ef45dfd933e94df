//! Shim divergence, as far as a run shows it: a variant that only layers shims on its base
//! (same source rules) is compared with that base probe by probe; every probe whose verdict
//! changes is a widening (or narrowing) the shims caused, never the profile as written.

use serde::{Deserialize, Serialize};

use crate::model::{Experiment, Verdict, VerdictRecord};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct ShimDivergence {
    pub profile: String,
    pub base: String,
    /// Shims the variant adds to its base.
    pub shims: Vec<String>,
    pub probe: String,
    pub base_verdict: Verdict,
    pub verdict: Verdict,
}

pub(crate) fn shim_divergence(exp: &Experiment, verdicts: &[VerdictRecord]) -> Vec<ShimDivergence> {
    let verdict = |profile: &str, probe: &str| {
        verdicts
            .iter()
            .find(|v| v.profile == profile && v.probe == probe)
            .map(|v| v.verdict)
    };
    let mut out = Vec::new();
    for p in &exp.profiles {
        let Some(base) = p
            .extends
            .as_deref()
            .and_then(|b| exp.profiles.iter().find(|q| q.id == b))
        else {
            continue;
        };
        let added: Vec<String> = p
            .shims
            .iter()
            .filter(|s| !base.shims.contains(s))
            .cloned()
            .collect();
        if added.is_empty() || p.source != base.source {
            continue;
        }
        for probe in &exp.probes {
            if let (Some(b), Some(v)) = (verdict(&base.id, &probe.id), verdict(&p.id, &probe.id))
                && b != v
            {
                out.push(ShimDivergence {
                    profile: p.id.clone(),
                    base: base.id.clone(),
                    shims: added.clone(),
                    probe: probe.id.clone(),
                    base_verdict: b,
                    verdict: v,
                });
            }
        }
    }
    out
}

/// Text lines for the terminal, empty when nothing diverges.
pub(crate) fn divergence_text(d: &[ShimDivergence]) -> String {
    if d.is_empty() {
        return String::new();
    }
    let mut s = String::from(
        "observed shim divergence (a variant that only adds shims, against its base):\n",
    );
    for x in d {
        s.push_str(&format!(
            "  {} (+{}) vs {}: {} {} -> {}\n",
            x.profile,
            x.shims.join(", +"),
            x.base,
            x.probe,
            x.base_verdict.as_str(),
            x.verdict.as_str()
        ));
    }
    s
}
