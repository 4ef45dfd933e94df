//! Fidelity changes: a rule that compiles exactly in one world and approximately or not at all
//! in the other. Rules are keyed by (profile, rule index, SBPL text); source locations are
//! ignored (an edited file moves them without changing meaning; the inputs group shows edits).

use std::collections::BTreeMap;

use serde::Serialize;

use super::status::Status;
use crate::bundle::fidelity::FidelityReport;
use crate::bundle::world_vocabulary::fidelity_str;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleState {
    pub fidelity: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FidelityChange {
    pub profile: String,
    /// Index into the runtime profile's rules; `None` for the default action.
    pub rule: Option<usize>,
    pub text: String,
    pub status: Status,
    pub a: Option<RuleState>,
    pub b: Option<RuleState>,
}

type RuleKey = (String, Option<usize>, String);

fn rules(reports: &BTreeMap<String, FidelityReport>) -> BTreeMap<RuleKey, RuleState> {
    let mut out = BTreeMap::new();
    for (profile, report) in reports {
        for r in &report.rules {
            out.insert(
                (profile.clone(), r.rule, r.text.clone()),
                RuleState {
                    fidelity: fidelity_str(r.fidelity).to_string(),
                    note: r.note.clone(),
                },
            );
        }
    }
    out
}

pub(crate) fn diff(
    a: &BTreeMap<String, FidelityReport>,
    b: &BTreeMap<String, FidelityReport>,
) -> Vec<FidelityChange> {
    let (ra, rb) = (rules(a), rules(b));
    let keys: std::collections::BTreeSet<&RuleKey> = ra.keys().chain(rb.keys()).collect();
    keys.into_iter()
        .filter_map(|key| {
            let (x, y) = (ra.get(key).cloned(), rb.get(key).cloned());
            (x != y).then(|| FidelityChange {
                profile: key.0.clone(),
                rule: key.1,
                text: key.2.clone(),
                status: Status::of(&x, &y),
                a: x,
                b: y,
            })
        })
        .collect()
}
