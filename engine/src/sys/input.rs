//! Reading the files untrusted input names (imports, `sbpl=` files, bundle artifacts):
//! component by component from a directory the user gave, never following a symlink, never
//! opening anything but a regular file, and never reading more than a limit.
//!
//! [`super::fs`] is the write side (fixtures, cleanup, outputs): `openat2` beneath a held
//! directory, `..` refused. Reading must also take `..` (an import relative to its importer
//! may climb, [`Climb::Allowed`]), so this side walks the components itself, with the same
//! guarantee that no symlink is ever followed.
//!
//! Every intermediate component is opened `O_PATH | O_DIRECTORY | O_NOFOLLOW` from the fd of
//! the one before, so a symlink anywhere in the path (`zz -> /outside` in `zz/secret`) fails
//! instead of leading out, and nothing can be swapped between the check and the use. The last
//! component is opened `O_PATH | O_NOFOLLOW` and `fstat`ed first: a FIFO, socket, device or
//! directory is refused before it is ever opened for reading (opening a FIFO would block, a
//! device may act on open). Only then is it reopened for reading, non-blocking, and checked to
//! be the same inode. The read stops at the limit whatever size the file claims.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, openat};
use rustix::io::Errno;

/// Whether a name may climb out of the directory it is resolved from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Climb {
    /// `..` components are allowed (an import relative to its importer may go up).
    Allowed,
    /// Only downward names (every path inside a bundle).
    Refused,
}

/// Why a named file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("no such file")]
    NotFound,
    #[error("{0} is a symlink, which is never followed inside an input")]
    Symlink(String),
    #[error("{0} leaves the directory it must stay beneath")]
    Escapes(String),
    #[error("not a regular file ({0})")]
    NotRegular(&'static str),
    #[error("larger than {} MiB", .limit >> 20)]
    TooLarge { limit: u64 },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A directory the user named (followed as given), from which input-named paths resolve.
#[derive(Debug)]
pub(crate) struct InputDir {
    fd: OwnedFd,
}

impl InputDir {
    /// Opens the directory at `path`; symlinks in `path` itself are followed (the user gave it).
    pub(crate) fn open(path: &Path) -> Result<InputDir, InputError> {
        let path = if path.as_os_str().is_empty() {
            Path::new(".")
        } else {
            path
        };
        let fd = rustix::fs::open(path, dir_flags(), Mode::empty()).map_err(errno)?;
        Ok(InputDir { fd })
    }

    /// Opens `rel` beneath this directory without following any symlink.
    pub(crate) fn open_file(&self, rel: &Path, climb: Climb) -> Result<File, InputError> {
        let (parent, last) = self.walk_to_parent(rel, climb)?;
        let parent = parent.as_ref().map_or(self.fd.as_fd(), |fd| fd.as_fd());
        open_regular(parent, &last, OFlags::NOFOLLOW).map_err(|e| match e {
            InputError::Symlink(_) => InputError::Symlink(rel.display().to_string()),
            e => e,
        })
    }

    /// Opens and reads `rel` beneath this directory, at most `limit` bytes.
    pub(crate) fn read(&self, rel: &Path, climb: Climb, limit: u64) -> Result<Vec<u8>, InputError> {
        read_bounded(self.open_file(rel, climb)?, limit)
    }

    /// Opens the directory `rel` beneath this one (no symlink in any component).
    pub(crate) fn open_dir(&self, rel: &Path, climb: Climb) -> Result<InputDir, InputError> {
        let (parent, last) = self.walk_to_parent(rel, climb)?;
        let parent = parent.as_ref().map_or(self.fd.as_fd(), |fd| fd.as_fd());
        let fd = step(parent, &last, rel)?;
        Ok(InputDir { fd })
    }

    /// The entries of this directory (not `.` and `..`), each with its own type: a symlink is
    /// listed as a symlink, never followed.
    pub(crate) fn entries(&self) -> Result<Vec<(OsString, FileType)>, InputError> {
        let fd = openat(
            &self.fd,
            ".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(errno)?;
        let mut out = Vec::new();
        for entry in rustix::fs::Dir::read_from(&fd).map_err(errno)? {
            let entry = entry.map_err(errno)?;
            let name = entry.file_name().to_bytes();
            if name == b"." || name == b".." {
                continue;
            }
            let kind = match entry.file_type() {
                FileType::Unknown => {
                    rustix::fs::statat(&self.fd, entry.file_name(), AtFlags::SYMLINK_NOFOLLOW)
                        .map(|st| FileType::from_raw_mode(st.st_mode))
                        .map_err(errno)?
                }
                kind => kind,
            };
            out.push((OsStr::from_bytes(name).to_os_string(), kind));
        }
        Ok(out)
    }

    /// Walks every component but the last; returns the parent's fd (`None`: this directory)
    /// and the last component.
    fn walk_to_parent(
        &self,
        rel: &Path,
        climb: Climb,
    ) -> Result<(Option<OwnedFd>, PathBuf), InputError> {
        let mut parts = Vec::new();
        for c in rel.components() {
            match c {
                Component::Normal(name) => parts.push(PathBuf::from(name)),
                Component::CurDir => {}
                Component::ParentDir if climb == Climb::Allowed => parts.push(PathBuf::from("..")),
                Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                    return Err(InputError::Escapes(rel.display().to_string()));
                }
            }
        }
        let Some(last) = parts.pop() else {
            return Err(InputError::NotRegular("a directory"));
        };
        if last == Path::new("..") {
            return Err(InputError::NotRegular("a directory"));
        }
        let mut current: Option<OwnedFd> = None;
        for part in &parts {
            let from = current.as_ref().map_or(self.fd.as_fd(), |fd| fd.as_fd());
            current = Some(step(from, part, rel)?);
        }
        Ok((current, last))
    }
}

/// One directory component, never through a symlink.
fn step(from: impl AsFd, name: &Path, whole: &Path) -> Result<OwnedFd, InputError> {
    openat(
        from.as_fd(),
        name,
        dir_flags() | OFlags::NOFOLLOW,
        Mode::empty(),
    )
    .map_err(|e| {
        match e {
            // O_DIRECTORY | O_NOFOLLOW on a symlink or a file: say which.
            Errno::NOTDIR | Errno::LOOP => {
                match rustix::fs::statat(from.as_fd(), name, AtFlags::SYMLINK_NOFOLLOW) {
                    Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Symlink => {
                        InputError::Symlink(format!("{} (in {})", name.display(), whole.display()))
                    }
                    _ => InputError::NotRegular("a path through a file"),
                }
            }
            e => errno(e),
        }
    })
}

/// Opens a file the user named (symlinks followed: the user chose the path) the same careful
/// way: regular files only, never blocking on a FIFO, never opening a device.
pub(crate) fn open_given(path: &Path) -> Result<File, InputError> {
    open_regular(rustix::fs::CWD, path, OFlags::empty())
}

/// `O_PATH`-opens `name` from `parent`, `fstat`s it, and only for a regular file reopens it for
/// reading (non-blocking) and checks that both opens saw the same inode.
fn open_regular(parent: impl AsFd, name: &Path, nofollow: OFlags) -> Result<File, InputError> {
    let parent = parent.as_fd();
    let path_fd =
        openat(parent, name, path_flags() | nofollow, Mode::empty()).map_err(|e| match e {
            Errno::LOOP => InputError::Symlink(name.display().to_string()),
            e => errno(e),
        })?;
    let stat = rustix::fs::fstat(&path_fd).map_err(errno)?;
    match FileType::from_raw_mode(stat.st_mode) {
        FileType::RegularFile => {}
        FileType::Symlink => return Err(InputError::Symlink(name.display().to_string())),
        other => return Err(InputError::NotRegular(type_name(other))),
    }
    let fd = openat(parent, name, read_flags() | nofollow, Mode::empty()).map_err(errno)?;
    let again = rustix::fs::fstat(&fd).map_err(errno)?;
    if (again.st_dev, again.st_ino) != (stat.st_dev, stat.st_ino) {
        // Replaced between the two opens: someone is racing us.
        return Err(InputError::Io(std::io::Error::other(
            "the file was replaced while it was being opened",
        )));
    }
    Ok(File::from(fd))
}

/// Reads a file the user named, at most `limit` bytes (see [`open_given`]).
pub(crate) fn read_given(path: &Path, limit: u64) -> Result<Vec<u8>, InputError> {
    read_bounded(open_given(path)?, limit)
}

/// Reads at most `limit` bytes; one byte more is [`InputError::TooLarge`]. The buffer grows
/// with what is read, never with the size the file claims.
pub(crate) fn read_bounded(file: File, limit: u64) -> Result<Vec<u8>, InputError> {
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(InputError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(InputError::TooLarge { limit });
    }
    Ok(bytes)
}

fn dir_flags() -> OFlags {
    path_flags() | OFlags::DIRECTORY
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn path_flags() -> OFlags {
    OFlags::PATH | OFlags::CLOEXEC
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn path_flags() -> OFlags {
    OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC
}

fn read_flags() -> OFlags {
    OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC
}

fn errno(e: Errno) -> InputError {
    io_error(std::io::Error::from(e))
}

fn io_error(e: std::io::Error) -> InputError {
    match e.kind() {
        std::io::ErrorKind::NotFound => InputError::NotFound,
        _ => InputError::Io(e),
    }
}

fn type_name(t: FileType) -> &'static str {
    match t {
        FileType::Directory => "a directory",
        FileType::Fifo => "a FIFO",
        FileType::Socket => "a socket",
        FileType::CharacterDevice => "a character device",
        FileType::BlockDevice => "a block device",
        _ => "not a plain file",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        std::fs::create_dir(d.join("in")).unwrap();
        std::fs::write(d.join("in/a.txt"), "a").unwrap();
        std::fs::write(d.join("secret"), "s").unwrap();
        std::os::unix::fs::symlink(d.join("secret"), d.join("in/link")).unwrap();
        std::os::unix::fs::symlink(d, d.join("in/zz")).unwrap();
        tmp
    }

    #[test]
    fn reads_regular_files_beneath() {
        let tmp = tree();
        let dir = InputDir::open(&tmp.path().join("in")).unwrap();
        assert_eq!(
            dir.read(Path::new("a.txt"), Climb::Refused, 10).unwrap(),
            b"a"
        );
        assert_eq!(
            dir.read(Path::new("../secret"), Climb::Allowed, 10)
                .unwrap(),
            b"s"
        );
    }

    #[test]
    fn never_follows_a_symlink_in_any_component() {
        let tmp = tree();
        let dir = InputDir::open(&tmp.path().join("in")).unwrap();
        for rel in ["link", "zz/secret", "zz/in/a.txt"] {
            let err = dir.read(Path::new(rel), Climb::Allowed, 10).unwrap_err();
            assert!(matches!(err, InputError::Symlink(_)), "{rel}: {err}");
        }
        for rel in ["../secret", "/etc/hostname"] {
            let err = dir.read(Path::new(rel), Climb::Refused, 10).unwrap_err();
            assert!(matches!(err, InputError::Escapes(_)), "{rel}: {err}");
        }
    }

    #[test]
    fn refuses_special_files_without_blocking_and_caps_reads() {
        let tmp = tree();
        let fifo = tmp.path().join("in/fifo");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        let dir = InputDir::open(&tmp.path().join("in")).unwrap();
        let err = dir.read(Path::new("fifo"), Climb::Refused, 10).unwrap_err();
        assert!(matches!(err, InputError::NotRegular("a FIFO")), "{err}");
        let err = dir.read(Path::new("."), Climb::Refused, 10).unwrap_err();
        assert!(matches!(err, InputError::NotRegular(_)), "{err}");
        assert!(matches!(
            read_given(Path::new("/dev/zero"), 10).unwrap_err(),
            InputError::NotRegular("a character device")
        ));
        std::fs::write(tmp.path().join("in/big"), [0u8; 11]).unwrap();
        assert!(matches!(
            dir.read(Path::new("big"), Climb::Refused, 10).unwrap_err(),
            InputError::TooLarge { limit: 10 }
        ));
    }
}
