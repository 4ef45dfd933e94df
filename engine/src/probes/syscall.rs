//! Thin raw-syscall helpers for drivers: no allocation, errno captured right after the call.

/// The calling thread's errno.
pub fn errno() -> i32 {
    // SAFETY: __errno_location always returns a valid thread-local pointer.
    unsafe { *libc::__errno_location() }
}

/// `-1` → `Err(errno)`, anything else → `Ok(ret)`.
pub fn check(ret: libc::c_long) -> Result<libc::c_long, i32> {
    if ret == -1 { Err(errno()) } else { Ok(ret) }
}

pub fn close(fd: i32) {
    // SAFETY: closing an fd this driver opened.
    unsafe {
        libc::close(fd);
    }
}
