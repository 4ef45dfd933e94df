//! Stage outcomes, verdicts and mismatch reasons: the core contract (spec §5).
//!
//! Stage, errno, exit status and signal are kept apart; nothing here collapses them into a
//! single allow/deny bit. `deny` only ever comes from the operation stage.

use serde::{Deserialize, Serialize};

use super::experiment::Lane;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Compile,
    Apply,
    Exec,
    Operation,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Compile => "compile",
            Stage::Apply => "apply",
            Stage::Exec => "exec",
            Stage::Operation => "operation",
        }
    }
}

/// Why an apply did not attach the profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockedReason {
    /// The profile uses a construct this world cannot express.
    NotApplicableInWorld,
    /// The mechanism (or a right the profile needs) is missing from the running kernel.
    MechanismUnavailable,
    /// A setup syscall failed; the errno is recorded.
    ApplyError,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplyOutcome {
    Ok,
    Blocked,
    /// The lane applies no profile (baseline).
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecOutcome {
    Ok,
    /// The sandbox stopped the exec itself or the loader.
    DependencyDenied,
    /// A signal ended the probe process before its operation reported.
    Crashed,
    Timeout,
    /// Not attempted because an earlier stage did not complete.
    NotReached,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationOutcome {
    Allow,
    /// Failed with an errno in the world's deny set.
    Deny,
    /// Failed with any other errno.
    Error,
    NotReached,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Allow,
    Deny,
    Blocked,
    DependencyDenied,
    Crashed,
    Timeout,
    Error,
    Skipped,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Deny => "deny",
            Verdict::Blocked => "blocked",
            Verdict::DependencyDenied => "dependency_denied",
            Verdict::Crashed => "crashed",
            Verdict::Timeout => "timeout",
            Verdict::Error => "error",
            Verdict::Skipped => "skipped",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MismatchReason {
    UnexpectedAllow,
    UnexpectedDeny,
    ApplyBlocked,
    DependencyDenied,
    Crashed,
    Timeout,
    BaselineDenied,
    ErrnoDiffers,
    OperationError,
    OracleDisagrees,
    NotApplicableInWorld,
    /// `blocked` was expected, but the world applied the profile.
    NotBlocked,
}

/// What an expectation says the scenario lane shows: a decision of the profile, or that the
/// world cannot apply the profile at all (`blocked`: no Landlock, or a right the kernel lacks).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expected {
    Allow,
    Deny,
    Blocked,
}

impl Expected {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Expected::Allow => "allow",
            Expected::Deny => "deny",
            Expected::Blocked => "blocked",
        }
    }
}

impl From<super::profile::Action> for Expected {
    fn from(a: super::profile::Action) -> Expected {
        match a {
            super::profile::Action::Allow => Expected::Allow,
            super::profile::Action::Deny => Expected::Deny,
        }
    }
}

/// How a mount of the sandbox refused an operation (spec §7.1). The kernel decides these in
/// the path walk and the VFS, before any security module, with errnos of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MountDenial {
    /// EROFS below a read-only mount.
    ReadOnly,
    /// ENOENT below a hidden directory, EACCES on a hidden file: the path exists outside the
    /// sandbox (the baseline says whether it does), the sandbox hides it.
    Hidden,
    /// EACCES executing below a `noexec` mount.
    NoExec,
    /// EXDEV: a rename or link crossing the boundary of a mount.
    Boundary,
    /// EBUSY: removing or renaming the mount point itself.
    MountPoint,
}

impl MountDenial {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            MountDenial::ReadOnly => "read_only",
            MountDenial::Hidden => "hidden",
            MountDenial::NoExec => "no_exec",
            MountDenial::Boundary => "boundary",
            MountDenial::MountPoint => "mount_point",
        }
    }
}

/// A denial decided by one mount of the sandbox: how, and which mount (plan notation:
/// `{scratch}/w/.git`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MountDecision {
    pub denial: MountDenial,
    pub mount: String,
}

/// An errno as observed: raw number and its symbolic name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Errno {
    pub raw: i32,
    pub name: String,
}

/// What one child process reported for one probe in one lane, stage by stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageRecord {
    pub lane: Lane,
    /// `None` for the baseline lane.
    pub profile: Option<String>,
    pub probe: String,
    pub apply: ApplyOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apply_reason: Option<BlockedReason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apply_errno: Option<Errno>,
    /// Human note for a blocked apply (the rule and its source location).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apply_detail: Option<String>,
    /// When the probe acquired its resource, as it said (`acquire=`): `before` apply or
    /// `after`; absent when it did not say (after apply, the usual form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acquire: Option<super::experiment::Acquire>,
    pub exec: ExecOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exec_errno: Option<Errno>,
    pub operation: OperationOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_errno: Option<Errno>,
    /// Set when a mount of the sandbox decided the operation's deny (not Landlock or seccomp).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount: Option<MountDecision>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_status: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal: Option<i32>,
    /// Evidence strength: `syscall` (errno from the operation itself) or `exit_status`
    /// (an arbitrary command whose status is all we know).
    pub evidence: Evidence,
    /// Bounded captured output (stdout+stderr) of exec probes, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_truncated: Option<bool>,
    /// Extra driver facts (e.g. bytes read, resolved port) that do not affect the verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Set when the probe was not run at all (`not_applicable_in_world`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// Wall time of this probe in microseconds (excluded from digested verdicts).
    #[serde(skip)]
    pub micros: u64,
    /// The probe child's pid: audit records name it, so the observer correlates by it. Not
    /// written (it changes every run; the worker frames carry it next to `micros`).
    #[serde(skip)]
    pub pid: Option<i32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    Syscall,
    ExitStatus,
    None,
}

/// The classified result of one (profile, probe) pair, compared with its expectation.
/// One line of `verdicts.jsonl`; `xpr diff` keys on `id`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VerdictRecord {
    /// Stable expectation id `<profile>/<probe>` (never contains the world id).
    pub id: String,
    pub profile: String,
    pub probe: String,
    pub verdict: Verdict,
    /// The stage that decided the verdict (operation for allow/deny/error, exec for
    /// dependency_denied/crashed/timeout, apply for blocked; none for skipped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errno: Option<Errno>,
    /// Set when a mount of the sandbox decided the deny (the scenario record's `mount`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount: Option<MountDecision>,
    /// The baseline lane's verdict for the same probe, when the baseline ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Verdict>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<Expected>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_errno: Option<String>,
    /// Empty when the expectation holds (or there is none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mismatches: Vec<MismatchReason>,
    /// The experiment documents this mismatch as known: reported, does not fail the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known: Option<String>,
    pub evidence: Evidence,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The observer lane's witness of the scenario outcome (when the observer lane ran).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witness: Option<super::lanes::Witness>,
    /// Set when the profile's shims change this probe's predicted decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shim_divergence: Option<super::lanes::ShimChange>,
}
