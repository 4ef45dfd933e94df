//! File and directory drivers: read, write, create, truncate, unlink, rename, link, list, mkdir.
//!
//! Host safety: every mutating driver refuses a path outside `{scratch}` when it is prepared,
//! and performs its operation beneath the scratch root without following any symlink: in the
//! child, the root and then the parent directory are opened `O_PATH` (the parent with
//! `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)`) and the operation is the `*at` call on
//! it (`mknodat`, `unlinkat`, `renameat`, `linkat`, `mkdirat`), or the file itself is opened
//! that way. Landlock checks the final operation on the same path (an `O_PATH` open is not
//! checked), so the measurement is unchanged; a lookup error (ENOENT, ENOTDIR, EACCES) comes
//! from the same walk; a symlink below `{scratch}` is ELOOP. Non-destructive drivers (read,
//! list, a write without content, which opens for writing and closes) measure any host path
//! as given.

use std::ffi::{CStr, CString};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, OwnedFd};

use rustix::fs::{Mode, OFlags};

use crate::sys::fs::{open_anchor, open_beneath};

use super::acquire::Held;
use super::op_result::OpResult;
use super::spec::ProbeSpec;
use super::syscall::{check, close};

pub(crate) const FAMILIES: &[&str] = &[
    "file-read",
    "file-write",
    "file-create",
    "file-truncate",
    "file-unlink",
    "file-rename",
    "file-link",
    "dir-list",
    "dir-create",
];

/// The families whose driver changes the tree beneath `{scratch}` (`file-write` does only
/// with `content=`, which the probe helper is never given).
pub(crate) const MUTATING: &[&str] = &[
    "file-create",
    "file-truncate",
    "file-unlink",
    "file-rename",
    "file-link",
    "dir-create",
];

/// How `file-truncate` truncates (arg `via`): the three kernel paths Landlock's TRUNCATE covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TruncateVia {
    /// `truncate(path, 0)`.
    Path,
    /// `open(O_WRONLY | O_TRUNC)`.
    OpenFlag,
    /// `ftruncate` on an `O_WRONLY` fd.
    Fd,
}

#[derive(Debug)]
pub(crate) enum FileOp {
    Read(CString),
    /// Open for writing and close without writing: changes nothing, so any path.
    OpenForWrite(CString),
    List(CString),
    /// A destructive operation beneath the scratch root `root`, which the child opens
    /// (`O_PATH`) itself: no descriptor has to survive into it.
    Scratch {
        root: CString,
        op: ScratchOp,
    },
}

#[derive(Debug)]
pub(crate) enum ScratchOp {
    Write(Beneath, Vec<u8>),
    Create(Beneath),
    Truncate(Beneath, TruncateVia),
    Unlink(Beneath),
    Rename(Beneath, Beneath),
    Link(Beneath, Beneath),
    MakeDir(Beneath),
}

/// A path below the scratch root, split the way the child resolves it.
#[derive(Debug)]
pub(crate) struct Beneath {
    /// The whole path relative to the root.
    rel: CString,
    /// Its parent directory relative to the root (`.` for the root itself).
    parent: CString,
    /// Its last component (with any trailing `/`, which the kernel interprets as before).
    name: CString,
}

fn cpath(s: &str) -> Result<CString, String> {
    CString::new(s).map_err(|_| format!("path `{s}` contains a NUL byte"))
}

impl Beneath {
    fn new(spec: &ProbeSpec, path: &str) -> Result<Beneath, String> {
        let rel = path
            .strip_prefix(spec.scratch.as_str())
            .map(|r| r.trim_start_matches('/'))
            .filter(|r| !r.trim_end_matches('/').is_empty())
            .ok_or_else(|| {
                format!(
                    "host_safety: `{}` must name a path below {{scratch}}",
                    spec.family
                )
            })?;
        let (parent, name) = match rel.trim_end_matches('/').rfind('/') {
            Some(i) => (&rel[..i], &rel[i + 1..]),
            None => (".", rel),
        };
        Ok(Beneath {
            rel: cpath(rel)?,
            parent: cpath(parent)?,
            name: cpath(name)?,
        })
    }

    /// Opens the parent directory `O_PATH` beneath the root (in the child).
    fn parent(&self, root: BorrowedFd<'_>) -> Result<OwnedFd, i32> {
        open_beneath(
            root,
            &self.parent,
            OFlags::PATH | OFlags::DIRECTORY,
            Mode::empty(),
        )
        .map_err(|e| e.raw_os_error())
    }

    /// Opens the parent directory for reading beneath the root: the descriptor
    /// `acquire=before` holds (a real open, not `O_PATH`, so it is the strongest claim a
    /// directory descriptor can carry).
    fn directory(&self, root: BorrowedFd<'_>) -> Result<i32, i32> {
        open_beneath(
            root,
            &self.parent,
            OFlags::RDONLY | OFlags::DIRECTORY,
            Mode::empty(),
        )
        .map(IntoRawFd::into_raw_fd)
        .map_err(|e| e.raw_os_error())
    }

    /// Opens the path itself beneath the root (in the child).
    fn open(&self, root: BorrowedFd<'_>, flags: OFlags) -> Result<OwnedFd, i32> {
        open_beneath(root, &self.rel, flags, Mode::empty()).map_err(|e| e.raw_os_error())
    }
}

impl FileOp {
    pub(crate) fn prepare(spec: &ProbeSpec) -> Result<FileOp, String> {
        let target = spec.require_target()?;
        let path = cpath(target)?;
        let inside = spec.inside_scratch(target);
        let content = spec.arg_str("content").filter(|_| inside);
        let destructive = match spec.family.as_str() {
            "file-read" => return Ok(FileOp::Read(path)),
            "dir-list" => return Ok(FileOp::List(path)),
            "file-write" if content.is_none() => return Ok(FileOp::OpenForWrite(path)),
            _ => spec.family.as_str(),
        };
        if !inside {
            return Err(format!(
                "host_safety: `{destructive}` may only mutate paths under {{scratch}}, not `{target}`"
            ));
        }
        let here = Beneath::new(spec, target)?;
        let second = |name: &str| -> Result<Beneath, String> {
            let to = spec
                .arg_str(name)
                .ok_or_else(|| format!("`{destructive}` needs `{name}=`"))?;
            if !spec.inside_scratch(&to) {
                return Err(format!("host_safety: `{name}` must lie under {{scratch}}"));
            }
            Beneath::new(spec, &to)
        };
        let op = match destructive {
            "file-write" => ScratchOp::Write(here, content.unwrap_or_default().into_bytes()),
            "file-create" => ScratchOp::Create(here),
            "file-truncate" => {
                let via = match spec.arg_str("via").as_deref() {
                    None | Some("path") => TruncateVia::Path,
                    Some("open") => TruncateVia::OpenFlag,
                    Some("fd") => TruncateVia::Fd,
                    Some(other) => return Err(format!("unknown via=`{other}` (path|open|fd)")),
                };
                ScratchOp::Truncate(here, via)
            }
            "file-unlink" => ScratchOp::Unlink(here),
            "file-rename" => ScratchOp::Rename(here, second("to")?),
            "file-link" => ScratchOp::Link(here, second("to")?),
            "dir-create" => ScratchOp::MakeDir(here),
            other => return Err(format!("not a file family: {other}")),
        };
        Ok(FileOp::Scratch {
            root: cpath(&spec.scratch)?,
            op,
        })
    }

    pub(crate) fn perform(&self) -> OpResult {
        match self.run() {
            Ok(v) => OpResult::ok(v),
            Err(e) => OpResult::errno(e),
        }
    }

    /// `acquire=before`, before apply: opens the file (or, for an operation on a directory
    /// entry, its directory) the operation will use.
    pub(crate) fn acquire(&self) -> Held {
        // SAFETY (whole fn): opens of NUL-terminated paths we own.
        unsafe {
            match self {
                FileOp::Read(p) => Held::one(open(p, libc::O_RDONLY)),
                FileOp::OpenForWrite(p) => Held::one(open(p, libc::O_WRONLY)),
                FileOp::List(p) => Held::one(open(p, libc::O_RDONLY | libc::O_DIRECTORY)),
                FileOp::Scratch { root, op } => match open_anchor(root) {
                    Ok(root) => op.acquire(root.as_fd()),
                    Err(e) => Held::failed(e.raw_os_error()),
                },
            }
        }
    }

    /// `acquire=before`, after apply: the operation on what [`FileOp::acquire`] opened.
    pub(crate) fn perform_held(&self, held: &Held) -> OpResult {
        held.use_then_release(|h| {
            let fd = h.fd(0);
            let mut buf = [0u8; 4096];
            // SAFETY: raw syscalls on a descriptor we hold and a stack buffer we own.
            unsafe {
                match self {
                    FileOp::Read(_) => {
                        check(libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) as _)
                    }
                    // The open was the operation; nothing is written.
                    FileOp::OpenForWrite(_) => Ok(0),
                    FileOp::List(_) => check(libc::syscall(
                        libc::SYS_getdents64,
                        fd,
                        buf.as_mut_ptr(),
                        buf.len(),
                    )),
                    FileOp::Scratch { op, .. } => op.use_held(h),
                }
            }
        })
    }

    fn run(&self) -> Result<i64, i32> {
        // SAFETY (whole fn): raw syscalls on NUL-terminated paths and stack buffers we own.
        unsafe {
            match self {
                FileOp::Read(p) => {
                    let fd = open(p, libc::O_RDONLY)?;
                    let mut buf = [0u8; 4096];
                    let n = check(libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) as _);
                    close(fd);
                    n
                }
                FileOp::OpenForWrite(p) => {
                    close(open(p, libc::O_WRONLY)?);
                    Ok(0)
                }
                FileOp::List(p) => {
                    let fd = open(p, libc::O_RDONLY | libc::O_DIRECTORY)?;
                    let mut buf = [0u8; 4096];
                    let n = check(libc::syscall(
                        libc::SYS_getdents64,
                        fd,
                        buf.as_mut_ptr(),
                        buf.len(),
                    ));
                    close(fd);
                    n
                }
                FileOp::Scratch { root, op } => {
                    let root = open_anchor(root).map_err(|e| e.raw_os_error())?;
                    op.run(root.as_fd())
                }
            }
        }
    }
}

impl ScratchOp {
    /// In the child: no allocation (the fds close when dropped).
    fn run(&self, root: BorrowedFd<'_>) -> Result<i64, i32> {
        let fd = |f: &OwnedFd| f.as_raw_fd();
        // SAFETY (whole fn): raw syscalls on fds we hold and NUL-terminated names we own.
        unsafe {
            match self {
                ScratchOp::Write(b, content) => {
                    let f = b.open(root, OFlags::WRONLY)?;
                    check(libc::write(fd(&f), content.as_ptr().cast(), content.len()) as _)
                }
                // mknod creates without opening: only the create right is exercised (an
                // O_CREAT|O_WRONLY open would also need write access to the new file).
                ScratchOp::Create(b) => {
                    let p = b.parent(root)?;
                    check(libc::mknodat(fd(&p), b.name.as_ptr(), libc::S_IFREG | 0o644, 0) as _)
                        .map(|_| 0)
                }
                ScratchOp::Truncate(b, via) => match via {
                    TruncateVia::Path => {
                        // truncate(2) has no *at form: it goes through the magic link of an
                        // O_PATH fd on the file, which names exactly that inode and its path.
                        let f = b.open(root, OFlags::PATH)?;
                        let link = ProcFdPath::new(fd(&f));
                        check(libc::truncate(link.as_cstr().as_ptr(), 0) as _).map(|_| 0)
                    }
                    TruncateVia::OpenFlag => {
                        b.open(root, OFlags::WRONLY | OFlags::TRUNC).map(|_| 0)
                    }
                    TruncateVia::Fd => {
                        let f = b.open(root, OFlags::WRONLY)?;
                        check(libc::ftruncate(fd(&f), 0) as _).map(|_| 0)
                    }
                },
                ScratchOp::Unlink(b) => {
                    let p = b.parent(root)?;
                    check(libc::unlinkat(fd(&p), b.name.as_ptr(), 0) as _).map(|_| 0)
                }
                ScratchOp::Rename(a, b) => {
                    let (pa, pb) = (a.parent(root)?, b.parent(root)?);
                    check(libc::renameat(fd(&pa), a.name.as_ptr(), fd(&pb), b.name.as_ptr()) as _)
                        .map(|_| 0)
                }
                // Flags 0: a symlink source is linked itself, never followed.
                ScratchOp::Link(a, b) => {
                    let (pa, pb) = (a.parent(root)?, b.parent(root)?);
                    let r = libc::linkat(fd(&pa), a.name.as_ptr(), fd(&pb), b.name.as_ptr(), 0);
                    check(r as _).map(|_| 0)
                }
                ScratchOp::MakeDir(b) => {
                    let p = b.parent(root)?;
                    check(libc::mkdirat(fd(&p), b.name.as_ptr(), 0o755) as _).map(|_| 0)
                }
            }
        }
    }

    /// `acquire=before`: the descriptor each operation then uses — the file for a write or
    /// a truncate (`O_PATH` for the two forms that go by path), the directory (opened for
    /// reading) for an operation on an entry, both directories for a rename or a link.
    fn acquire(&self, root: BorrowedFd<'_>) -> Held {
        let raw = |r: Result<OwnedFd, i32>| r.map(IntoRawFd::into_raw_fd);
        match self {
            ScratchOp::Write(b, _) | ScratchOp::Truncate(b, TruncateVia::Fd) => {
                Held::one(raw(b.open(root, OFlags::WRONLY)))
            }
            ScratchOp::Truncate(b, _) => Held::one(raw(b.open(root, OFlags::PATH))),
            ScratchOp::Create(b) | ScratchOp::Unlink(b) | ScratchOp::MakeDir(b) => {
                Held::one(b.directory(root))
            }
            ScratchOp::Rename(a, b) | ScratchOp::Link(a, b) => {
                Held::two(a.directory(root), b.directory(root))
            }
        }
    }

    /// The checked call, on the descriptors [`ScratchOp::acquire`] opened before apply.
    fn use_held(&self, h: &Held) -> Result<i64, i32> {
        let (fd, other) = (h.fd(0), h.fd(1));
        // SAFETY (whole fn): raw syscalls on descriptors we hold and names we own.
        unsafe {
            match self {
                ScratchOp::Write(_, content) => {
                    check(libc::write(fd, content.as_ptr().cast(), content.len()) as _)
                }
                ScratchOp::Create(b) => {
                    check(libc::mknodat(fd, b.name.as_ptr(), libc::S_IFREG | 0o644, 0) as _)
                        .map(|_| 0)
                }
                ScratchOp::Truncate(_, TruncateVia::Path) => {
                    let link = ProcFdPath::new(fd);
                    check(libc::truncate(link.as_cstr().as_ptr(), 0) as _).map(|_| 0)
                }
                // Reopening through the descriptor's magic link is a path open: checked now.
                ScratchOp::Truncate(_, TruncateVia::OpenFlag) => {
                    let link = ProcFdPath::new(fd);
                    let flags = libc::O_WRONLY | libc::O_TRUNC | libc::O_CLOEXEC;
                    check(libc::open(link.as_cstr().as_ptr(), flags) as _).map(|f| {
                        close(f as i32);
                        0
                    })
                }
                ScratchOp::Truncate(_, TruncateVia::Fd) => {
                    check(libc::ftruncate(fd, 0) as _).map(|_| 0)
                }
                ScratchOp::Unlink(b) => {
                    check(libc::unlinkat(fd, b.name.as_ptr(), 0) as _).map(|_| 0)
                }
                ScratchOp::Rename(a, b) => {
                    check(libc::renameat(fd, a.name.as_ptr(), other, b.name.as_ptr()) as _)
                        .map(|_| 0)
                }
                ScratchOp::Link(a, b) => {
                    check(libc::linkat(fd, a.name.as_ptr(), other, b.name.as_ptr(), 0) as _)
                        .map(|_| 0)
                }
                ScratchOp::MakeDir(b) => {
                    check(libc::mkdirat(fd, b.name.as_ptr(), 0o755) as _).map(|_| 0)
                }
            }
        }
    }
}

/// `/proc/self/fd/<fd>` in a stack buffer (the child does not allocate).
struct ProcFdPath {
    buf: [u8; 32],
}

impl ProcFdPath {
    fn new(fd: i32) -> ProcFdPath {
        const PREFIX: &[u8] = b"/proc/self/fd/";
        let mut buf = [0u8; 32];
        buf[..PREFIX.len()].copy_from_slice(PREFIX);
        let mut digits = [0u8; 10];
        let (mut n, mut len) = (fd.unsigned_abs(), 0);
        loop {
            digits[len] = b'0' + (n % 10) as u8;
            len += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for (i, d) in digits[..len].iter().rev().enumerate() {
            buf[PREFIX.len() + i] = *d;
        }
        ProcFdPath { buf }
    }

    fn as_cstr(&self) -> &CStr {
        CStr::from_bytes_until_nul(&self.buf).unwrap_or(c"/proc/self/fd/")
    }
}

/// `open` with `O_CLOEXEC`, returning the fd or the errno.
unsafe fn open(p: &CString, flags: i32) -> Result<i32, i32> {
    // SAFETY: `p` is NUL-terminated.
    check(unsafe { libc::open(p.as_ptr(), flags | libc::O_CLOEXEC) } as _).map(|fd| fd as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_fd_paths_are_spelled_without_allocating() {
        for (fd, text) in [
            (0, "/proc/self/fd/0"),
            (7, "/proc/self/fd/7"),
            (1234567, "/proc/self/fd/1234567"),
        ] {
            assert_eq!(ProcFdPath::new(fd).as_cstr().to_str().unwrap(), text);
        }
    }

    #[test]
    fn destructive_paths_split_into_parent_and_name_below_the_root() {
        let spec = ProbeSpec {
            family: "dir-create".into(),
            scratch: "/s/xpr-scratch-x".into(),
            ..ProbeSpec::default()
        };
        let split = |p: &str| {
            Beneath::new(&spec, p).map(|b| {
                let s = |c: &CString| c.to_str().unwrap().to_string();
                (s(&b.rel), s(&b.parent), s(&b.name))
            })
        };
        let own = |a: &str, b: &str, c: &str| Ok((a.into(), b.into(), c.into()));
        assert_eq!(split("/s/xpr-scratch-x/f"), own("f", ".", "f"));
        assert_eq!(split("/s/xpr-scratch-x/a/b/c"), own("a/b/c", "a/b", "c"));
        assert_eq!(split("/s/xpr-scratch-x/d/"), own("d/", ".", "d/"));
        for root in [
            "/s/xpr-scratch-x",
            "/s/xpr-scratch-x/",
            "/s/xpr-scratch-x//",
        ] {
            assert!(split(root).is_err(), "{root}");
        }
    }
}
