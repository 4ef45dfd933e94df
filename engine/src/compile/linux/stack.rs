//! A stacked profile: every layer translated on its own (rule indices stay global), then the
//! Landlock layers concatenated in order and the seccomp denials united. The kernel intersects
//! Landlock layers; a syscall any layer denies with seccomp is denied, so union is the same
//! intersection for seccomp. A plain profile is a stack of one layer. Last, the notes that
//! depend on the whole domain (`side_effects::domain_notes`).

use std::collections::BTreeMap;

use super::ruleset_plan::SeccompSyscallPlan;
use super::seccomp_program;
use super::side_effects::domain_notes;
use super::translate::{REFER, Translation, translate};
use crate::model::ProfileIr;
use crate::world::WorldFacts;
use crate::world::landlock_rights::RightKind;

pub(super) fn translate_stack(ir: &ProfileIr, world: &WorldFacts) -> Translation {
    let layers_irs = ir.layer_irs();
    let mut translation = if layers_irs.len() == 1 {
        let (offset, _, layer) = &layers_irs[0];
        translate(layer, world, *offset)
    } else {
        merge(&layers_irs, world)
    };
    // Per IR layer: the position of its default in the fidelity list (each layer's entries
    // are its default, then its rules).
    let mut layers = Vec::new();
    let mut base = 0;
    for (_, _, layer) in &layers_irs {
        layers.push((base, layer));
        base += 1 + layer.rules.len();
    }
    domain_notes(
        &mut translation.fidelity,
        &layers,
        !translation.layers.is_empty(),
        world.landlock.usable_mask(RightKind::Fs) & REFER != 0,
    );
    translation
}

fn merge(layers_irs: &[(usize, Option<&str>, ProfileIr)], world: &WorldFacts) -> Translation {
    let mut merged = Translation {
        layers: Vec::new(),
        seccomp: None,
        bpf: Vec::new(),
        scratch_not_under: Vec::new(),
        fidelity: Vec::new(),
        blocked: None,
        layer_defaults: Vec::new(),
        overlays: Vec::new(),
    };
    let mut syscalls: BTreeMap<i64, SeccompSyscallPlan> = BTreeMap::new();
    for (offset, name, layer) in layers_irs {
        let t = translate(layer, world, *offset);
        // By name: plan layer indices skip layers that handle nothing.
        let label = format!("layer {}", name.unwrap_or("?"));
        let base = merged.fidelity.len();
        merged
            .layer_defaults
            .extend(t.layer_defaults.iter().map(|d| d + base));
        merged.layers.extend(t.layers);
        merged.overlays.extend(t.overlays);
        for mut f in t.fidelity {
            if f.rule.is_none() {
                // One default entry per layer: say which.
                f.note = Some(match f.note {
                    Some(note) => format!("{label}: {note}"),
                    None => label.clone(),
                });
            }
            merged.fidelity.push(f);
        }
        if merged.blocked.is_none()
            && let Some(mut blocked) = t.blocked
        {
            blocked.detail = format!("{label}: {}", blocked.detail);
            merged.blocked = Some(blocked);
        }
        for literal in t.scratch_not_under {
            if !merged.scratch_not_under.contains(&literal) {
                merged.scratch_not_under.push(literal);
            }
        }
        if let Some(plan) = t.seccomp {
            merged.seccomp.get_or_insert(plan.clone());
            for s in plan.syscalls {
                let entry = syscalls.entry(s.nr).or_insert_with(|| SeccompSyscallPlan {
                    rules: Vec::new(),
                    ..s.clone()
                });
                entry.rules.extend(s.rules);
            }
        }
    }
    merged.scratch_not_under.sort();
    if let Some(plan) = &mut merged.seccomp {
        let numbers: Vec<i64> = syscalls.keys().copied().collect();
        merged.bpf = seccomp_program::bpf_bytes(&numbers)
            .expect("a filter of plain syscall numbers always builds");
        plan.bpf_blake3 = blake3::hash(&merged.bpf).to_hex().to_string();
        plan.syscalls = syscalls.into_values().collect();
    }
    merged
}
