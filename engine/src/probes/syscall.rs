//! The drivers' view of a system call's result: the raw errno is their evidence, so a failure
//! is kept as the number (`sys` builds it; this only unwraps it).

use crate::sys::errno::raw;

/// `-1` → `Err(errno)`, anything else → `Ok(ret)`.
pub(crate) fn check(ret: libc::c_long) -> Result<libc::c_long, i32> {
    crate::sys::errno::cvt(ret).map_err(|e| raw(&e))
}

/// A `sys` result with its error as the raw errno.
pub(crate) fn errno_of<T>(r: std::io::Result<T>) -> Result<T, i32> {
    r.map_err(|e| raw(&e))
}

pub(crate) fn close(fd: i32) {
    crate::sys::fd::close_raw(fd);
}
