//! The observer lane (spec §5.4): Landlock's own audit records (ABI ≥ 7) as an
//! independent witness of denials.
//!
//! Audit is switched on only for a run that asks for it (`--observer audit`) and put back as
//! it was afterwards, also on Ctrl-C. Records come from the audit netlink socket's read-only
//! log group, so auditd (if any) keeps receiving everything. Each scenario outcome gets a
//! [`Witness`](crate::model::Witness): the records, `no_witness` (never read as "no deny"), or
//! `observer_unavailable` with the reason.

mod audit_records;
mod audit_state;
mod error;
mod netlink;
mod session;
mod witness;

pub use audit_state::{current_status, set_enabled, status_between_sessions};
pub use session::{AuditSession, Heard, unavailable_reason};
pub(crate) use witness::{attach_witnesses, records_of};

/// `{scratch}` for any run's scratch root in an audit path (`/tmp/xpr-scratch-<exp>-<rand>`).
pub(crate) fn symbolic_scratch(text: &str) -> String {
    let temp = std::env::temp_dir();
    let marker = format!(
        "{}/{}",
        temp.to_string_lossy().trim_end_matches('/'),
        crate::model::SCRATCH_PREFIX
    );
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(&marker) {
        out.push_str(&rest[..at]);
        let after = &rest[at + marker.len()..];
        let end = after.find(['/', '"', ' ']).unwrap_or(after.len());
        out.push_str("{scratch}");
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}
