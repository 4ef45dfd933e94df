//! The new mount API (Linux 5.2; `mount_setattr` 5.12): detached mount trees built through file
//! descriptors and attached in one step, so a read-only bind is read-only before anyone can see
//! it, and every mount names exactly the tree it was opened on. Also entering a mount namespace
//! held by a file descriptor.
//!
//! `rustix` wraps `open_tree`, `move_mount`, `fsopen`, `fsconfig` and `fsmount`; `mount_setattr`
//! and `setns` are raw `libc` calls. A detached tree lives in an anonymous namespace until
//! `attach` moves it, and the kernel only attaches into the caller's own mount namespace, so
//! nothing built here can land in the host's table unless the caller is still in it (the
//! mount mechanism builds only after `unshare(CLONE_NEWNS)` and private propagation).

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use rustix::fs::{CWD, FileType, Mode};
use rustix::mount::{
    FsMountFlags, FsOpenFlags, MountAttrFlags, MoveMountFlags, OpenTreeFlags, fsconfig_create,
    fsconfig_set_string, fsmount, fsopen, move_mount, open_tree,
};

use super::errno::cvt;

/// Mount attributes (`MOUNT_ATTR_*`).
pub(crate) const ATTR_RDONLY: u64 = libc::MOUNT_ATTR_RDONLY;
pub(crate) const ATTR_NOSUID: u64 = libc::MOUNT_ATTR_NOSUID;
pub(crate) const ATTR_NODEV: u64 = libc::MOUNT_ATTR_NODEV;
pub(crate) const ATTR_NOEXEC: u64 = libc::MOUNT_ATTR_NOEXEC;

/// A detached copy of the mount tree at `path` (its submounts included), as the calling
/// process sees it now: `open_tree(OPEN_TREE_CLONE | AT_RECURSIVE)`. The trailing component
/// is not followed.
pub(crate) fn clone_tree(path: &CStr) -> io::Result<OwnedFd> {
    Ok(open_tree(
        CWD,
        path,
        OpenTreeFlags::OPEN_TREE_CLONE
            | OpenTreeFlags::OPEN_TREE_CLOEXEC
            | OpenTreeFlags::AT_RECURSIVE
            | OpenTreeFlags::AT_SYMLINK_NOFOLLOW,
    )?)
}

/// [`clone_tree`] of the node an `O_PATH` fd refers to (`AT_EMPTY_PATH`): no path is walked.
pub(crate) fn clone_tree_of(node: BorrowedFd) -> io::Result<OwnedFd> {
    Ok(open_tree(
        node,
        c"",
        OpenTreeFlags::OPEN_TREE_CLONE
            | OpenTreeFlags::OPEN_TREE_CLOEXEC
            | OpenTreeFlags::AT_RECURSIVE
            | OpenTreeFlags::AT_EMPTY_PATH,
    )?)
}

/// [`attach`] onto the node an `O_PATH` fd refers to (`MOVE_MOUNT_T_EMPTY_PATH`). The fd must
/// have been opened after every mount above the node was attached (it names the dentry of the
/// mount it was opened through).
pub(crate) fn attach_onto(tree: BorrowedFd, target: BorrowedFd) -> io::Result<()> {
    Ok(move_mount(
        tree,
        c"",
        target,
        c"",
        MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH | MoveMountFlags::MOVE_MOUNT_T_EMPTY_PATH,
    )?)
}

/// A detached bind of the single entry `name` below the directory `dir` (a mount's root).
pub(crate) fn clone_entry(dir: BorrowedFd, name: &CStr) -> io::Result<OwnedFd> {
    Ok(open_tree(
        dir,
        name,
        OpenTreeFlags::OPEN_TREE_CLONE
            | OpenTreeFlags::OPEN_TREE_CLOEXEC
            | OpenTreeFlags::AT_SYMLINK_NOFOLLOW,
    )?)
}

/// A new, empty, detached tmpfs (mode 0755, at most 64 inodes), writable until
/// [`set_attributes`] says otherwise, never with setuid programs or device access.
pub(crate) fn new_tmpfs() -> io::Result<OwnedFd> {
    let fs = fsopen(c"tmpfs", FsOpenFlags::FSOPEN_CLOEXEC)?;
    fsconfig_set_string(fs.as_fd(), c"mode", c"0755")?;
    fsconfig_set_string(fs.as_fd(), c"nr_inodes", c"64")?;
    fsconfig_set_string(fs.as_fd(), c"size", c"64k")?;
    fsconfig_create(fs.as_fd())?;
    Ok(fsmount(
        fs.as_fd(),
        FsMountFlags::FSMOUNT_CLOEXEC,
        MountAttrFlags::MOUNT_ATTR_NOSUID | MountAttrFlags::MOUNT_ATTR_NODEV,
    )?)
}

/// Sets `attrs` (`ATTR_*`) on the mount `tree` refers to (and every mount below it when
/// `recursive`), and makes it private: `mount_setattr(AT_EMPTY_PATH)`.
pub(crate) fn set_attributes(tree: BorrowedFd, attrs: u64, recursive: bool) -> io::Result<()> {
    let attr = libc::mount_attr {
        attr_set: attrs,
        attr_clr: 0,
        propagation: libc::MS_PRIVATE,
        userns_fd: 0,
    };
    let flags = libc::AT_EMPTY_PATH | if recursive { libc::AT_RECURSIVE } else { 0 };
    // SAFETY: an fd we hold, an empty NUL-terminated path and a mount_attr of the size passed.
    cvt(unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            tree.as_raw_fd(),
            c"".as_ptr(),
            flags,
            &attr as *const libc::mount_attr,
            std::mem::size_of::<libc::mount_attr>(),
        )
    })
    .map(|_| ())
}

/// Attaches the detached tree on `target` in the caller's mount namespace (`move_mount`). The
/// trailing component of `target` is not followed.
pub(crate) fn attach(tree: BorrowedFd, target: &CStr) -> io::Result<()> {
    Ok(move_mount(
        tree,
        c"",
        CWD,
        target,
        MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH,
    )?)
}

/// `mkdirat(dir, name, 0755)`.
pub(crate) fn make_dir_at(dir: BorrowedFd, name: &CStr) -> io::Result<()> {
    Ok(rustix::fs::mkdirat(dir, name, Mode::from_raw_mode(0o755))?)
}

/// An empty regular file `name` in `dir` (a mount point for a file).
pub(crate) fn make_file_at(dir: BorrowedFd, name: &CStr) -> io::Result<()> {
    Ok(rustix::fs::mknodat(
        dir,
        name,
        FileType::RegularFile,
        Mode::from_raw_mode(0o644),
        0,
    )?)
}

/// A character device node `name` in `dir` with device number 0:0. On a `nodev` mount every
/// open of it fails with EACCES, whoever asks.
pub(crate) fn make_dead_device_at(dir: BorrowedFd, name: &CStr) -> io::Result<()> {
    Ok(rustix::fs::mknodat(
        dir,
        name,
        FileType::CharacterDevice,
        Mode::empty(),
        0,
    )?)
}

/// `setns(fd, CLONE_NEWNS)`: the caller moves into the mount namespace `fd` holds (its root
/// and working directory become that namespace's root). Raw syscall, no allocation.
pub(crate) fn enter_mount_namespace(fd: BorrowedFd) -> io::Result<()> {
    // SAFETY: setns with an fd we hold and a namespace type.
    cvt(unsafe { libc::setns(fd.as_raw_fd(), libc::CLONE_NEWNS) } as libc::c_long).map(|_| ())
}

/// The mount namespace of process `pid` (`/proc/<pid>/ns/mnt`), held open: it lives as long as
/// the descriptor does.
pub(crate) fn mount_namespace_of(pid: i32) -> io::Result<OwnedFd> {
    let path = format!("/proc/{pid}/ns/mnt");
    Ok(rustix::fs::open(
        path.as_str(),
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// `chdir(path)`. Raw syscall, no allocation.
pub(crate) fn change_dir(path: &CStr) -> io::Result<()> {
    Ok(rustix::process::chdir(path)?)
}

/// Mounts a new procfs on `/proc` (the calling process's PID namespace's view), `nosuid`,
/// `nodev`, `noexec`.
pub(crate) fn mount_proc() -> io::Result<()> {
    // SAFETY: NUL-terminated strings and no data.
    cvt(unsafe {
        libc::mount(
            c"proc".as_ptr(),
            c"/proc".as_ptr(),
            c"proc".as_ptr(),
            libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
            std::ptr::null(),
        )
    } as libc::c_long)
    .map(|_| ())
}
