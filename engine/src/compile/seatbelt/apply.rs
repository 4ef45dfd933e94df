//! Apply and oracle on macOS: prepared before fork, applied in the child.

use std::collections::BTreeMap;
use std::ffi::{CString, c_char};

use crate::compile::ApplyFailure;
use crate::model::BlockedReason;

use super::check_query::CheckQuery;
use super::ffi;
use super::sbpl_text::CompiledSeatbelt;

/// Everything `sandbox_init_with_parameters` needs, allocated before fork.
pub(crate) struct PreparedSeatbelt {
    profile: CString,
    _strings: Vec<CString>,
    parameters: Vec<*const c_char>,
}

impl PreparedSeatbelt {
    pub(crate) fn prepare(
        compiled: &CompiledSeatbelt,
        values: &BTreeMap<String, String>,
    ) -> Result<PreparedSeatbelt, String> {
        let list = compiled
            .parameter_list(values)
            .map_err(|m| format!("parameters not bound: {}", m.0.join(", ")))?;
        let c = |s: &str| CString::new(s).map_err(|_| format!("NUL byte in {s:?}"));
        let mut strings = Vec::new();
        for (k, v) in list {
            strings.push(c(&k)?);
            strings.push(c(&v)?);
        }
        let mut parameters: Vec<*const c_char> = strings.iter().map(|s| s.as_ptr()).collect();
        parameters.push(std::ptr::null());
        Ok(PreparedSeatbelt {
            profile: c(&compiled.sbpl)?,
            _strings: strings,
            parameters,
        })
    }

    /// In the child, after fork.
    pub(crate) fn apply(&self) -> Result<(), ApplyFailure> {
        ffi::init_with_parameters(&self.profile, &self.parameters).map_err(|(errno, _)| {
            ApplyFailure {
                reason: BlockedReason::ApplyError,
                errno,
                step: "sandbox_init_with_parameters",
            }
        })
    }
}

/// The oracle: would `pid` be allowed the query's operation? `Ok(true)` allow, `Ok(false)`
/// deny, `Err` when sandbox_check itself failed.
pub(crate) fn oracle_check(pid: i32, query: &CheckQuery) -> Result<bool, i32> {
    let op = CString::new(query.operation.as_str()).map_err(|_| libc::EINVAL)?;
    let arg = match &query.argument {
        Some(a) => Some(CString::new(a.as_str()).map_err(|_| libc::EINVAL)?),
        None => None,
    };
    match ffi::check(pid, &op, query.filter as i32, arg.as_deref()) {
        0 => Ok(true),
        rc if rc > 0 => Ok(false),
        _ => Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0)),
    }
}
