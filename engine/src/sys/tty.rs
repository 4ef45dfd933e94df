//! Terminals: the guest world's result port is a serial line that must pass bytes unchanged.

use std::io;
use std::os::fd::BorrowedFd;

use rustix::termios::{OptionalActions, tcdrain, tcgetattr, tcsetattr};

/// Raw mode (`cfmakeraw`): no newline translation, no echo, no special characters.
pub(crate) fn make_raw(fd: BorrowedFd) -> io::Result<()> {
    let mut t = tcgetattr(fd)?;
    t.make_raw();
    tcsetattr(fd, OptionalActions::Now, &t)?;
    Ok(())
}

/// `tcdrain`: blocks until everything written to `fd` has been sent.
pub(crate) fn drain(fd: BorrowedFd) -> io::Result<()> {
    tcdrain(fd)?;
    Ok(())
}
