//! The Landlock ruleset plan: what apply will enforce, as data an evaluator can walk.
//!
//! A plan is a list of layers (a thread's domain is their intersection: a request must be
//! allowed by every layer). In each layer a handled right is denied unless some rule grants it
//! on the path (the rule's path or an ancestor) or port; unhandled rights are allowed. Scopes
//! deny signals / abstract-unix connects leaving the domain. Paths under the scratch root stay
//! written `{scratch}/...`; literal paths appear as written.

use serde::{Deserialize, Serialize};

pub const LANDLOCK_PLAN_SCHEMA_VERSION: &str = "xpr.landlock_plan.v1";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LandlockPlan {
    pub schema_version: String,
    pub profile: String,
    /// The effective Landlock ABI the plan targets.
    pub abi: u32,
    /// Empty: no Landlock domain is created.
    pub layers: Vec<LayerPlan>,
    /// `landlock_restrict_self` flags.
    pub restrict_flags: u32,
    /// Present when some rule is enforced with seccomp.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seccomp: Option<SeccompPlan>,
    /// Literal paths the compiler assumed do not contain the scratch root (an overlap
    /// would change a decision); prepare checks them once the root is known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scratch_not_under: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerPlan {
    pub handled_fs: Vec<String>,
    pub handled_fs_mask: u64,
    pub handled_net: Vec<String>,
    pub handled_net_mask: u64,
    pub scoped: Vec<String>,
    pub scoped_mask: u64,
    /// Sorted by path (a subpath before a literal on the same path).
    pub path_rules: Vec<PathRulePlan>,
    /// Sorted by port.
    pub port_rules: Vec<PortRulePlan>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathRulePlan {
    /// Absolute, or `{scratch}` / `{scratch}/...`.
    pub path: String,
    /// From SBPL `literal`: only what Landlock can grant on the node itself is kept at prepare
    /// time (file rights on a file, the listing right on a directory).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub literal: bool,
    /// Granted rights. Directory-only rights are dropped at prepare time when the path turns
    /// out not to be a directory (the kernel would refuse them with EINVAL); see `literal`.
    pub access: Vec<String>,
    pub access_mask: u64,
    /// Indices of the IR rules that contributed.
    pub rules: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortRulePlan {
    pub port: u16,
    pub access: Vec<String>,
    pub access_mask: u64,
    pub rules: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeccompPlan {
    pub arch: String,
    /// Generator of the BPF bytes (code generation is per version).
    pub compiler: String,
    /// Action for every syscall not listed.
    pub default_action: String,
    /// Listed syscalls fail with this errno (`SECCOMP_RET_ERRNO`): never KILL or TRAP, whose
    /// SIGSYS would look like a crash rather than a deny.
    pub errno: i32,
    /// Sorted by number.
    pub syscalls: Vec<SeccompSyscallPlan>,
    pub bpf_blake3: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeccompSyscallPlan {
    pub name: String,
    pub nr: i64,
    /// The SBPL operation class it enforces (`process-fork`, `file-write-mode`...).
    pub class: String,
    pub rules: Vec<usize>,
}
