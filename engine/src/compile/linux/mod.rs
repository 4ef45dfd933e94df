//! The Linux backend: IR → Landlock ruleset plan + seccomp BPF program (compile), then
//! prepare (in the worker, before fork) and apply (in the child, raw syscalls only).
//!
//! Mapping choices are spec §7; `translate` explains the rule semantics. Decisions:
//! - `(deny default)` handles every right and scope the effective ABI has and the kernel
//!   accepted; `(allow default)` handles only what unfiltered denies switch off (e.g.
//!   `(deny file-write*)` handles the write rights and nothing else: unhandled reads stay
//!   allowed, so no read rule on `/` is needed).
//! - A deny that carves an exception out of an allowed subtree or out of an allowed base
//!   (including allow default) goes to the mount mechanism (`mounts`: a read-only, hidden or
//!   `noexec` mount in the probe's own mount namespace); where this world does not use it,
//!   the rule is unsupported and apply is blocked with `not_applicable_in_world`.
//! - A right newer than the effective ABI is `not_applicable_in_world`; a right the ABI claims
//!   but the kernel rejects (or no Landlock at all) is `mechanism_unavailable`.
//! - Seccomp is used only for unfiltered denies of whole syscall classes (chmod, chown, utimes,
//!   xattr writes, fork), always with `RET_ERRNO(EPERM)`; never for the default action.
//! - `literal` and `subpath` both become path-beneath rules; prepare keeps on each node what
//!   Landlock can grant there (`kept_on_node`: file rights on a file, a literal directory only
//!   its listing); make and remove rights are never granted for a literal (narrowing, noted);
//!   a rule path that does not exist blocks apply (`not_applicable_in_world`).
//! - `fs.refer` is granted on `/` in every layer: SBPL has no reparenting permission.
//! - Fidelity covers side effects on requests other entries decide (`side_effects`).
//! - A stacked profile (`ProfileIr::layers`) compiles each layer on its own into one plan
//!   layer each, in order; apply restricts layer by layer, so the kernel intersects them.
//! - Raw syscalls (`sys::landlock`), not the `landlock` crate: the kernel refuses unknown bits
//!   with EINVAL, so nothing is ever dropped silently, and apply needs the exact errno and no
//!   allocation.

pub(crate) mod export;
pub(crate) mod mounts;
mod operations;
mod prepare;
mod rule_paths;
mod rule_text;
pub(crate) mod ruleset_plan;
mod sandbox_plan;
pub(crate) mod seccomp_program;
mod side_effects;
mod stack;
mod translate;

use serde::Serialize;

pub(crate) use crate::source::sysctl::proc_sys_path;
pub(crate) use mounts::{MOUNT_PLAN_SCHEMA_VERSION, MountEntryPlan, MountPlan};
pub use prepare::{PrepareFailure, PreparedSandbox, ResolvedPathRule, kept_on_node};
pub(crate) use rule_paths::SCRATCH;
pub use rule_text::rule_text;
pub use ruleset_plan::{
    LANDLOCK_PLAN_SCHEMA_VERSION, LandlockPlan, LayerPlan, PathRulePlan, PortRulePlan, SeccompPlan,
    SeccompSyscallPlan,
};
pub use sandbox_plan::{LOG_NEW_EXEC_ON, LinuxSandbox, sandbox_for, sandbox_with_log_flags};

use super::{Blocked, RuleFidelity};
use crate::model::{Fidelity as Level, Mechanism, ProfileIr};
use crate::world::{WorldFacts, canonical_json};

/// One profile compiled for one world: deterministic, run-independent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CompiledProfile {
    pub profile_id: String,
    pub plan: LandlockPlan,
    /// One entry for the default action, then one per IR rule.
    pub fidelity: Vec<RuleFidelity>,
    /// Set when apply cannot attach this profile in this world.
    pub blocked: Option<Blocked>,
    /// The mounts of the profile's mount namespace, in attach order (empty: none is made).
    pub mounts: Vec<MountEntryPlan>,
    /// Per plan layer, the index in `fidelity` of that layer's default action (a stack has
    /// one per layer), so a deny names the default of the layer that decided it.
    #[serde(skip)]
    pub layer_defaults: Vec<usize>,
    #[serde(skip)]
    plan_json: Vec<u8>,
    #[serde(skip)]
    bpf: Vec<u8>,
}

impl CompiledProfile {
    /// Canonical JSON of the Landlock plan (`compiled/<profile>.landlock.json`).
    pub fn plan_json(&self) -> &[u8] {
        &self.plan_json
    }

    /// The mount table as its artifact (`compiled/<profile>.mounts.json`); `None` when the
    /// profile makes no mount.
    pub(crate) fn mount_plan(&self) -> Option<MountPlan> {
        (!self.mounts.is_empty()).then(|| MountPlan {
            schema_version: MOUNT_PLAN_SCHEMA_VERSION.to_string(),
            profile: self.profile_id.clone(),
            mounts: self.mounts.clone(),
        })
    }

    /// Raw `sock_filter` bytes (`compiled/<profile>.seccomp.bpf`); empty when no rule needs seccomp.
    pub fn bpf_bytes(&self) -> &[u8] {
        &self.bpf
    }

    /// A profile made from a hand-built plan, without IR, fidelity or seccomp (the oracle's
    /// property tests generate plans directly).
    pub fn from_plan(plan: LandlockPlan) -> CompiledProfile {
        CompiledProfile {
            profile_id: plan.profile.clone(),
            plan_json: canonical_json(&plan),
            plan,
            fidelity: Vec::new(),
            blocked: None,
            mounts: Vec::new(),
            layer_defaults: Vec::new(),
            bpf: Vec::new(),
        }
    }
}

/// Compiles a profile's IR for this world. Never fails: what the world cannot express is
/// reported per rule and in `blocked`.
pub fn compile(profile_id: &str, ir: &ProfileIr, world: &WorldFacts) -> CompiledProfile {
    let mut translation = stack::translate_stack(ir, world);
    let overlays: Vec<&mounts::Overlay> = translation.overlays.iter().collect();
    let mount_table = mounts::mount_table::build(&overlays);
    let carved = overlays.iter().flat_map(|o| o.carved.clone()).collect();
    let usable = world
        .landlock
        .usable_mask(crate::world::landlock_rights::RightKind::Fs);
    for (rule, (approximate, notes)) in
        mounts::mount_table::rule_notes(&mount_table, &carved, usable)
    {
        let Some(f) = translation
            .fidelity
            .iter_mut()
            .find(|f| f.rule == Some(rule))
        else {
            continue;
        };
        if f.fidelity == Level::Unsupported {
            continue;
        }
        if approximate {
            f.fidelity = Level::Approximate;
        }
        // Landlock's caveat about metadata changes does not hold where only read-only mounts
        // enforce the rule: chmod, chown, utimes, setxattr and chattr fail with EROFS there.
        let only_read_only_mounts = f.mechanisms.iter().all(|m| *m == Mechanism::Mount)
            && mount_table
                .iter()
                .filter(|m| m.rules.contains(&rule))
                .all(|m| m.kind.read_only());
        let mut all: Vec<String> = f
            .note
            .take()
            .into_iter()
            .flat_map(|n| n.split("; ").map(str::to_string).collect::<Vec<_>>())
            .filter(|n| !(only_read_only_mounts && n == operations::METADATA_WRITES_NOTE))
            .collect();
        all.extend(notes);
        f.note = Some(all.join("; "));
        if !f.mechanisms.contains(&Mechanism::Mount) {
            f.mechanisms.push(Mechanism::Mount);
            f.mechanisms.sort();
        }
    }

    let plan = LandlockPlan {
        schema_version: LANDLOCK_PLAN_SCHEMA_VERSION.to_string(),
        profile: profile_id.to_string(),
        abi: world.landlock.effective_abi,
        layers: translation.layers,
        restrict_flags: 0,
        seccomp: translation.seccomp,
        scratch_not_under: translation.scratch_not_under,
    };
    let plan_json = canonical_json(&plan);
    CompiledProfile {
        profile_id: profile_id.to_string(),
        plan,
        fidelity: translation.fidelity,
        blocked: translation.blocked,
        mounts: mount_table,
        layer_defaults: translation.layer_defaults,
        plan_json,
        bpf: translation.bpf,
    }
}
