//! The calling thread's errno: the one place it is read.

use std::io;

/// The calling thread's errno (read right after the failed call).
pub(crate) fn errno() -> i32 {
    // SAFETY: __errno_location always returns a valid pointer to this thread's errno.
    unsafe { *libc::__errno_location() }
}

/// The errno as an `io::Error` (an OS error: no allocation, usable after fork).
pub(crate) fn last_error() -> io::Error {
    io::Error::from_raw_os_error(errno())
}

/// The raw errno of an error from this layer (`EIO` for one that carries none).
pub fn raw(e: &io::Error) -> i32 {
    e.raw_os_error().unwrap_or(libc::EIO)
}

/// A syscall's return value: `-1` is the errno as an error, anything else the value.
pub(crate) fn cvt(ret: libc::c_long) -> io::Result<libc::c_long> {
    if ret == -1 {
        Err(last_error())
    } else {
        Ok(ret)
    }
}

/// Like [`cvt`] for calls that return `int`.
pub(crate) fn cvt_int(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret == -1 {
        Err(last_error())
    } else {
        Ok(ret)
    }
}

/// Retries `call` while it fails with EINTR.
pub(crate) fn retry<T>(mut call: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    loop {
        match call() {
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => continue,
            other => return other,
        }
    }
}
