//! What only pid 1 of a guest world asks of its kernel: loading the world's modules and
//! powering the machine off.

use std::fs::File;
use std::io;

use rustix::system::RebootCommand;

/// `MODULE_INIT_COMPRESSED_FILE`: the kernel decompresses the module itself.
const MODULE_INIT_COMPRESSED_FILE: libc::c_int = 4;

/// `finit_module(file, "", flags)`; a module that is already loaded (EEXIST) is success.
pub(crate) fn load_module(file: &File, compressed: bool) -> io::Result<()> {
    let flags = if compressed {
        MODULE_INIT_COMPRESSED_FILE
    } else {
        0
    };
    match rustix::system::finit_module(file, c"", flags) {
        Err(rustix::io::Errno::EXIST) | Ok(()) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Syncs and powers off; a restart if power-off fails (qemu runs with `-no-reboot`, so that
/// also ends it). Returns only if both fail.
pub(crate) fn power_off() {
    rustix::fs::sync();
    let _ = rustix::system::reboot(RebootCommand::PowerOff);
    let _ = rustix::system::reboot(RebootCommand::Restart);
}
