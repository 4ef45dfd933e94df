//! Counting rules: how many a profile has, how many are (partly) opaque, and how many fall in
//! each fidelity class of a backend.

use serde::Serialize;

use crate::model::Fidelity;
use crate::model::{Filter, ProfileIr, Rule};

/// Rule counts of one profile (or a sum over several).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RuleCensus {
    /// All rules, opaque forms included; the default action is not a rule.
    pub rules: usize,
    /// Whole forms kept opaque.
    pub opaque_rules: usize,
    /// Modelled rules with at least one opaque filter (at any depth).
    pub rules_with_opaque_filters: usize,
}

impl std::ops::AddAssign for RuleCensus {
    fn add_assign(&mut self, o: RuleCensus) {
        self.rules += o.rules;
        self.opaque_rules += o.opaque_rules;
        self.rules_with_opaque_filters += o.rules_with_opaque_filters;
    }
}

pub fn census(ir: &ProfileIr) -> RuleCensus {
    let mut c = RuleCensus {
        rules: ir.rules.len(),
        ..RuleCensus::default()
    };
    for r in &ir.rules {
        if r.opaque_form_text().is_some() {
            c.opaque_rules += 1;
        } else if r.filters.iter().any(has_opaque) {
            c.rules_with_opaque_filters += 1;
        }
    }
    c
}

fn has_opaque(f: &Filter) -> bool {
    match f {
        Filter::Opaque(_) => true,
        Filter::RequireAll(fs) | Filter::RequireAny(fs) => fs.iter().any(has_opaque),
        Filter::RequireNot(inner) => has_opaque(inner),
        _ => false,
    }
}

/// Rules per fidelity class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FidelityCounts {
    pub exact: usize,
    pub approximate: usize,
    pub unsupported: usize,
}

impl std::ops::AddAssign for FidelityCounts {
    fn add_assign(&mut self, o: FidelityCounts) {
        self.exact += o.exact;
        self.approximate += o.approximate;
        self.unsupported += o.unsupported;
    }
}

/// Counts the rules of `ir` per class of `classify` (e.g. the Linux backend's per-rule fidelity).
pub fn count_fidelity(
    ir: &ProfileIr,
    mut classify: impl FnMut(&Rule) -> Fidelity,
) -> FidelityCounts {
    let mut c = FidelityCounts::default();
    for r in &ir.rules {
        match classify(r) {
            Fidelity::Exact => c.exact += 1,
            Fidelity::Approximate => c.approximate += 1,
            Fidelity::Unsupported => c.unsupported += 1,
        }
    }
    c
}
