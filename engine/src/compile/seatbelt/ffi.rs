//! libsandbox FFI (macOS only). Uses only `std` types so it can be type-checked on its own.
//!
//! Signatures from the public `<sandbox.h>`: `sandbox_init_with_parameters` applies SBPL text
//! (flags 0) with `(param …)` values; `sandbox_check` asks whether an operation would be
//! allowed, without performing it.
//!
//! The `unsafe` here stays out of `sys` on purpose: `sys` is the Linux system-call layer, and
//! these are foreign functions of another OS's library, compiled only there.

use std::ffi::{CStr, c_char, c_int};

unsafe extern "C" {
    fn sandbox_init_with_parameters(
        profile: *const c_char,
        flags: u64,
        parameters: *const *const c_char,
        errorbuf: *mut *mut c_char,
    ) -> c_int;
    fn sandbox_free_error(errorbuf: *mut c_char);
    fn sandbox_check(pid: c_int, operation: *const c_char, filter_type: c_int, ...) -> c_int;
    /// Exported variable; OR-ed into the filter type so the check is not logged.
    static SANDBOX_CHECK_NO_REPORT: c_int;
}

/// Applies SBPL `profile` to the calling process. `parameters` is the NULL-terminated
/// `key, value, …` array. On failure returns errno and libsandbox's message.
pub(crate) fn init_with_parameters(
    profile: &CStr,
    parameters: &[*const c_char],
) -> Result<(), (i32, String)> {
    debug_assert!(parameters.last().is_some_and(|p| p.is_null()));
    let mut errorbuf: *mut c_char = std::ptr::null_mut();
    // SAFETY: the pointers are valid NUL-terminated strings and a NULL-terminated array that
    // outlive the call; errorbuf is freed with sandbox_free_error as documented.
    let rc = unsafe {
        sandbox_init_with_parameters(profile.as_ptr(), 0, parameters.as_ptr(), &mut errorbuf)
    };
    if rc == 0 {
        return Ok(());
    }
    let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
    let message = if errorbuf.is_null() {
        String::new()
    } else {
        // SAFETY: libsandbox set errorbuf to a NUL-terminated string it allocated.
        let m = unsafe { CStr::from_ptr(errorbuf) }
            .to_string_lossy()
            .into_owned();
        unsafe { sandbox_free_error(errorbuf) };
        m
    };
    Err((errno, message))
}

/// `sandbox_check(pid, operation, filter_type | NO_REPORT, argument)`: 0 allow, >0 deny,
/// -1 error.
pub(crate) fn check(pid: i32, operation: &CStr, filter_type: i32, argument: Option<&CStr>) -> i32 {
    // SAFETY: reading an exported constant.
    let no_report = unsafe { SANDBOX_CHECK_NO_REPORT };
    // SAFETY: valid C strings; the variadic argument is a C string pointer when a filter type
    // other than NONE is given, as sandbox_check expects.
    unsafe {
        match argument {
            Some(arg) => sandbox_check(
                pid,
                operation.as_ptr(),
                filter_type | no_report,
                arg.as_ptr(),
            ),
            None => sandbox_check(pid, operation.as_ptr(), no_report),
        }
    }
}
