//! Mounting filesystems and switching root with the classic mount API: how pid 1 of a guest
//! world builds the root its run sees. A probe's private mount tree on the host is built
//! with the new mount API in [`super::mount`].

use std::ffi::CString;
use std::io;
use std::path::Path;

use rustix::mount::MountFlags;

/// `mount(source, target, fs_type, flags, data)`; `read_only` is `MS_RDONLY`, `data` the
/// filesystem's option string ("" for none).
pub(crate) fn mount(
    source: &str,
    target: &Path,
    fs_type: &str,
    read_only: bool,
    data: &str,
) -> io::Result<()> {
    let flags = if read_only {
        MountFlags::RDONLY
    } else {
        MountFlags::empty()
    };
    let data = CString::new(data).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    rustix::mount::mount(source, target, fs_type, flags, data.as_c_str())?;
    Ok(())
}

/// Bind-mounts `source` on `target` (one mount, not its submounts).
pub(crate) fn bind(source: &Path, target: &Path) -> io::Result<()> {
    rustix::mount::mount_bind(source, target)?;
    Ok(())
}

/// Makes `new_root` the root: an initramfs cannot be pivoted away, so the new root is moved
/// over `/` and chrooted into (what `switch_root` does).
pub(crate) fn switch_root(new_root: &Path) -> io::Result<()> {
    rustix::process::chdir(new_root)?;
    rustix::mount::mount_move(".", "/")?;
    rustix::process::chroot(".")?;
    rustix::process::chdir("/")?;
    Ok(())
}
