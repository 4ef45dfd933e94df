//! File and directory drivers: read, write, create, truncate, unlink, rename, link, list, mkdir.
//!
//! Host safety: every mutating driver refuses a path outside `{scratch}` when it is prepared;
//! `file-write` outside `{scratch}` opens for writing and closes without writing or truncating.

use std::ffi::CString;

use super::outcome::OpResult;
use super::spec::ProbeSpec;
use super::syscall::{check, close};

pub const FAMILIES: &[&str] = &[
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

/// How `file-truncate` truncates (arg `via`): the three kernel paths Landlock's TRUNCATE covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TruncateVia {
    /// `truncate(path, 0)`.
    Path,
    /// `open(O_WRONLY | O_TRUNC)`.
    OpenFlag,
    /// `ftruncate` on an `O_WRONLY` fd.
    Fd,
}

#[derive(Debug)]
pub enum FileOp {
    Read(CString),
    /// Open for writing; `content` is written only inside `{scratch}`.
    Write {
        path: CString,
        content: Option<Vec<u8>>,
    },
    Create(CString),
    Truncate(CString, TruncateVia),
    Unlink(CString),
    Rename(CString, CString),
    Link(CString, CString),
    List(CString),
    MakeDir(CString),
}

fn cpath(s: &str) -> Result<CString, String> {
    CString::new(s).map_err(|_| format!("path `{s}` contains a NUL byte"))
}

impl FileOp {
    pub fn prepare(spec: &ProbeSpec) -> Result<FileOp, String> {
        let target = spec.require_target()?;
        let path = cpath(target)?;
        let inside = spec.inside_scratch(target);
        let mutating = !matches!(
            spec.family.as_str(),
            "file-read" | "file-write" | "dir-list"
        );
        if mutating && !inside {
            return Err(format!(
                "host_safety: `{}` may only mutate paths under {{scratch}}, not `{target}`",
                spec.family
            ));
        }
        let second = |name: &str| -> Result<CString, String> {
            let to = spec
                .arg_str(name)
                .ok_or_else(|| format!("`{}` needs `{name}=`", spec.family))?;
            if !spec.inside_scratch(&to) {
                return Err(format!("host_safety: `{name}` must lie under {{scratch}}"));
            }
            cpath(&to)
        };
        Ok(match spec.family.as_str() {
            "file-read" => FileOp::Read(path),
            "file-write" => FileOp::Write {
                path,
                // Without `content` (or outside {scratch}) open for writing and close: no change.
                content: spec
                    .arg_str("content")
                    .filter(|_| inside)
                    .map(String::into_bytes),
            },
            "file-create" => FileOp::Create(path),
            "file-truncate" => {
                let via = match spec.arg_str("via").as_deref() {
                    None | Some("path") => TruncateVia::Path,
                    Some("open") => TruncateVia::OpenFlag,
                    Some("fd") => TruncateVia::Fd,
                    Some(other) => return Err(format!("unknown via=`{other}` (path|open|fd)")),
                };
                FileOp::Truncate(path, via)
            }
            "file-unlink" => FileOp::Unlink(path),
            "file-rename" => FileOp::Rename(path, second("to")?),
            "file-link" => FileOp::Link(path, second("to")?),
            "dir-list" => FileOp::List(path),
            "dir-create" => FileOp::MakeDir(path),
            other => return Err(format!("not a file family: {other}")),
        })
    }

    pub fn perform(&self) -> OpResult {
        match self.run() {
            Ok(v) => OpResult::ok(v),
            Err(e) => OpResult::errno(e),
        }
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
                FileOp::Write { path, content } => {
                    let fd = open(path, libc::O_WRONLY)?;
                    let written = match content {
                        Some(c) => check(libc::write(fd, c.as_ptr().cast(), c.len()) as _),
                        None => Ok(0),
                    };
                    close(fd);
                    written
                }
                // mknod creates without opening: only the create right is exercised (an
                // O_CREAT|O_WRONLY open would also need write access to the new file).
                FileOp::Create(p) => {
                    check(libc::mknod(p.as_ptr(), libc::S_IFREG | 0o644, 0) as _).map(|_| 0)
                }
                FileOp::Truncate(p, via) => match via {
                    TruncateVia::Path => check(libc::truncate(p.as_ptr(), 0) as _).map(|_| 0),
                    TruncateVia::OpenFlag => {
                        let fd = open(p, libc::O_WRONLY | libc::O_TRUNC)?;
                        close(fd);
                        Ok(0)
                    }
                    TruncateVia::Fd => {
                        let fd = open(p, libc::O_WRONLY)?;
                        let r = check(libc::ftruncate(fd, 0) as _);
                        close(fd);
                        r.map(|_| 0)
                    }
                },
                FileOp::Unlink(p) => check(libc::unlink(p.as_ptr()) as _).map(|_| 0),
                FileOp::Rename(a, b) => check(libc::rename(a.as_ptr(), b.as_ptr()) as _).map(|_| 0),
                FileOp::Link(a, b) => check(libc::link(a.as_ptr(), b.as_ptr()) as _).map(|_| 0),
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
                FileOp::MakeDir(p) => check(libc::mkdir(p.as_ptr(), 0o755) as _).map(|_| 0),
            }
        }
    }
}

/// `open` with `O_CLOEXEC`, returning the fd or the errno.
unsafe fn open(p: &CString, flags: i32) -> Result<i32, i32> {
    // SAFETY: `p` is NUL-terminated.
    check(unsafe { libc::open(p.as_ptr(), flags | libc::O_CLOEXEC) } as _).map(|fd| fd as i32)
}
