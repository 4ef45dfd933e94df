//! Stable codes for what runtime-tools recorded that xpr's model cannot express as such.
//!
//! The record is carried over as written; the flag says why it must not be read as an xpr
//! verdict of the same name.

/// `actual: deny` with a negative errno: a signal ended the probe (exit -6 is SIGABRT) and the
/// harness counted the crash as a deny. In xpr a crash is never a deny.
pub const DENY_WITH_NEGATIVE_ERRNO: &str = "deny_with_negative_errno";
/// The recorded errno equals the process exit status: it may be an exit code, not a syscall errno.
pub(crate) const ERRNO_IS_EXIT_STATUS: &str = "errno_is_exit_status";
/// The callout was requested but the intended operation was not witnessed: no decision.
pub const OP_NOT_WITNESSED: &str = "op_not_witnessed";
/// A timeout recorded as a deny.
pub const TIMEOUT_RECORDED_AS_DENY: &str = "timeout_recorded_as_deny";
/// A deny recorded for an apply or preflight failure (no policy decision happened).
pub const DENY_FROM_APPLY_FAILURE: &str = "deny_from_apply_failure";
/// A deny recorded because the probe never started (exec/bootstrap failure).
pub(crate) const DENY_FROM_BOOTSTRAP_FAILURE: &str = "deny_from_bootstrap_failure";
/// A decision word outside allow/deny, carried verbatim.
pub(crate) const UNKNOWN_DECISION_WORD: &str = "unknown_decision_word";
/// The expectation is in the matrix but the results have no record for it.
pub(crate) const NOT_RUN: &str = "not_run";
/// The results have a record the expected matrix does not list.
pub const NOT_IN_EXPECTED_MATRIX: &str = "not_in_expected_matrix";
/// The results have no decision and give no reason for its absence.
pub(crate) const NO_DECISION_RECORDED: &str = "no_decision_recorded";

/// Run-level: the already-sandboxed gate could not run (e.g. `libsystem_sandbox not found`),
/// so "not already sandboxed" was never checked.
pub const ALREADY_SANDBOXED_GATE_UNVERIFIED: &str = "already_sandboxed_gate_unverified";
/// Run-level: the index's recorded paths point into a repository, not into the bundle.
pub(crate) const INDEX_PATHS_ARE_REPOSITORY_PATHS: &str = "index_paths_are_repository_paths";
