//! Filesystem actions confined beneath a directory the engine holds open.
//!
//! A [`Dir`] is an open directory fd. Every path its methods take is relative and the kernel
//! resolves it beneath that directory without following any symlink (`openat2` with
//! `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS`, Linux ≥ 5.6); the last
//! component is acted on with `*at` calls that never follow it (`unlinkat`, `mkdirat`,
//! `renameat2`, `O_CREAT|O_EXCL` opens), and modes are set with `fchmod` on an fd opened here.
//! A symlink, or a non-directory where a directory is expected, is an error (`ELOOP`,
//! `ENOTDIR`), never followed: another local user who can write somewhere below the held
//! directory can make an action fail, never redirect it.

use std::ffi::{CStr, CString, OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, FlockOperation, Mode, OFlags, RenameFlags, ResolveFlags};
use rustix::io::Errno;

pub(crate) use rustix::fs::Stat;

/// How every relative path is resolved: beneath the directory, through no symlink at all.
pub(crate) const RESOLVE: ResolveFlags = ResolveFlags::BENEATH
    .union(ResolveFlags::NO_SYMLINKS)
    .union(ResolveFlags::NO_MAGICLINKS);

/// A filesystem action that failed: what it was, the path it was given (relative to the held
/// directory, or as the caller named it) and the kernel's error.
#[derive(Debug, thiserror::Error)]
#[error("{op} `{}`: {}", path.display(), explain(source))]
pub struct FsError {
    pub op: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

/// The kernel's error, with what it means here when it is the fail-closed refusal.
fn explain(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::ELOOP) => format!("{e} (a symlink in the way is never followed)"),
        Some(libc::EXDEV) => format!("{e} (the path leaves the directory it must stay under)"),
        _ => e.to_string(),
    }
}

impl FsError {
    fn new(op: &'static str, path: impl AsRef<Path>, source: impl Into<io::Error>) -> FsError {
        FsError {
            op,
            path: path.as_ref().to_path_buf(),
            source: source.into(),
        }
    }

    /// The raw errno, when the failure came from a syscall.
    pub(crate) fn errno(&self) -> Option<i32> {
        self.source.raw_os_error()
    }
}

impl From<FsError> for io::Error {
    fn from(e: FsError) -> io::Error {
        io::Error::new(e.source.kind(), e.to_string())
    }
}

/// An open directory: the anchor every relative path of its methods is resolved beneath.
#[derive(Debug)]
pub(crate) struct Dir {
    fd: OwnedFd,
}

impl Dir {
    /// Opens a directory by a path the person running xpr named (`--out`, the JUnit report's
    /// directory): that path is trusted input, so symlinks in it are followed.
    pub(crate) fn open(path: &Path) -> Result<Dir, FsError> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        rustix::fs::open(path, flags, Mode::empty())
            .map(|fd| Dir { fd })
            .map_err(|e| FsError::new("open directory", path, e))
    }

    /// Opens a directory the engine created itself; its last component must not be a symlink.
    pub(crate) fn open_nofollow(path: &Path) -> Result<Dir, FsError> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        rustix::fs::open(path, flags, Mode::empty())
            .map(|fd| Dir { fd })
            .map_err(|e| FsError::new("open directory", path, e))
    }

    pub(crate) fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// `fstat` of the held directory.
    pub(crate) fn metadata(&self) -> Result<Stat, FsError> {
        rustix::fs::fstat(&self.fd).map_err(|e| FsError::new("stat", ".", e))
    }

    /// `fchmod` of the held directory.
    pub(crate) fn set_mode(&self, mode: u32) -> Result<(), FsError> {
        rustix::fs::fchmod(&self.fd, Mode::from_raw_mode(mode))
            .map_err(|e| FsError::new("chmod", ".", e))
    }

    /// `fsync` of the held directory (makes its entries durable).
    pub(crate) fn sync(&self) -> Result<(), FsError> {
        rustix::fs::fsync(&self.fd).map_err(|e| FsError::new("fsync", ".", e))
    }

    /// Takes an exclusive `flock` without waiting; `Ok(false)` when someone else holds one.
    pub(crate) fn try_lock(&self) -> Result<bool, FsError> {
        match rustix::fs::flock(&self.fd, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => Ok(true),
            Err(Errno::WOULDBLOCK) => Ok(false),
            Err(e) => Err(FsError::new("lock", ".", e)),
        }
    }

    /// Opens the directory at `rel`.
    pub(crate) fn open_dir(&self, rel: &Path) -> Result<Dir, FsError> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        open_beneath(self.as_fd(), &cpath(rel)?, flags, Mode::empty())
            .map(|fd| Dir { fd })
            .map_err(|e| FsError::new("open directory", rel, e))
    }

    /// Creates every missing directory of `rel` with `mode` (less the umask) and opens the
    /// last; an existing directory is used as it is, anything else in the way is an error.
    pub(crate) fn create_dir_all(&self, rel: &Path, mode: u32) -> Result<Dir, FsError> {
        let mut dir = self.open_dir(Path::new("."))?;
        for component in rel.components() {
            let name = Path::new(component.as_os_str());
            let c = cpath(name)?;
            match rustix::fs::mkdirat(&dir.fd, &*c, Mode::from_raw_mode(mode)) {
                Ok(()) | Err(Errno::EXIST) => {}
                Err(e) => return Err(FsError::new("create directory", rel, e)),
            }
            dir = dir
                .open_dir(name)
                .map_err(|e| FsError::new("create directory", rel, e.source))?;
        }
        Ok(dir)
    }

    /// Creates the directory `rel`, which must not exist yet, and opens it.
    pub(crate) fn create_dir(&self, rel: &Path, mode: u32) -> Result<Dir, FsError> {
        let (parent, name) = self.parent_of(rel)?;
        rustix::fs::mkdirat(parent.as_fd(), &*name, Mode::from_raw_mode(mode))
            .map_err(|e| FsError::new("create directory", rel, e))?;
        parent.open_dir(name_path(&name))
    }

    /// Creates the regular file `rel`, which must not exist yet (`O_CREAT|O_EXCL`: never
    /// through a symlink), for writing.
    pub(crate) fn create_file(&self, rel: &Path, mode: u32) -> Result<File, FsError> {
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC;
        open_beneath(self.as_fd(), &cpath(rel)?, flags, Mode::from_raw_mode(mode))
            .map(File::from)
            .map_err(|e| FsError::new("create file", rel, e))
    }

    /// Creates a new file named `<stem>.<random>.tmp` here; returns it and its name.
    pub(crate) fn create_temporary(
        &self,
        stem: &str,
        mode: u32,
    ) -> Result<(File, OsString), FsError> {
        loop {
            let name = format!("{stem}.{:016x}.tmp", random_u64());
            match self.create_file(Path::new(&name), mode) {
                Err(e) if e.errno() == Some(libc::EEXIST) => continue,
                r => return r.map(|f| (f, name.into())),
            }
        }
    }

    /// `fstatat(AT_SYMLINK_NOFOLLOW)` of `rel`: a symlink is described, not followed;
    /// `None` when nothing is there.
    pub(crate) fn stat(&self, rel: &Path) -> Result<Option<Stat>, FsError> {
        let (parent, name) = self.parent_of(rel)?;
        match rustix::fs::statat(parent.as_fd(), &*name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(Some(st)),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(FsError::new("stat", rel, e)),
        }
    }

    /// Renames `from` to `to`, both relative to this directory; with `replace` false an
    /// existing `to` is an error (`RENAME_NOREPLACE`). Neither name is followed.
    pub(crate) fn rename(&self, from: &Path, to: &Path, replace: bool) -> Result<(), FsError> {
        let (from_dir, from_name) = self.parent_of(from)?;
        let (to_dir, to_name) = self.parent_of(to)?;
        let flags = if replace {
            RenameFlags::empty()
        } else {
            RenameFlags::NOREPLACE
        };
        let (a, b) = (from_dir.as_fd(), to_dir.as_fd());
        let r = rustix::fs::renameat_with(a, &*from_name, b, &*to_name, flags);
        match r {
            // Filesystems without RENAME_NOREPLACE: check, then rename. The check is racy only
            // against whoever can write this directory, which callers hold as their own.
            Err(Errno::INVAL) if !replace => match self.stat(to)? {
                Some(_) => Err(Errno::EXIST),
                None => rustix::fs::renameat(a, &*from_name, b, &*to_name),
            },
            r => r,
        }
        .map_err(|e| FsError::new("rename", from, e))
    }

    /// Creates a symbolic link `rel` (here, never followed) whose text is `target`; an existing
    /// `rel` is an error (EEXIST).
    pub(crate) fn symlink(&self, target: &str, rel: &Path) -> Result<(), FsError> {
        let (parent, name) = self.parent_of(rel)?;
        rustix::fs::symlinkat(target, parent.as_fd(), &*name)
            .map_err(|e| FsError::new("create link", rel, e))
    }

    /// The text of the symbolic link `rel`; `None` when nothing is there. Not a link: EINVAL.
    pub(crate) fn read_link(&self, rel: &Path) -> Result<Option<OsString>, FsError> {
        let (parent, name) = self.parent_of(rel)?;
        match rustix::fs::readlinkat(parent.as_fd(), &*name, Vec::new()) {
            Ok(text) => Ok(Some(OsStr::from_bytes(text.as_bytes()).to_os_string())),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(FsError::new("read link", rel, e)),
        }
    }

    /// The names in this directory with their type as the directory entry gives it (a symlink
    /// is `Symlink`, never its target's type), without `.` and `..`.
    pub(crate) fn entries(&self) -> Result<Vec<(OsString, FileType)>, FsError> {
        let err = |e| FsError::new("list directory", ".", e);
        let mut list = rustix::fs::Dir::read_from(&self.fd).map_err(err)?;
        let mut out = Vec::new();
        while let Some(entry) = list.read() {
            let entry = entry.map_err(err)?;
            let name = entry.file_name().to_bytes();
            if name == b"." || name == b".." {
                continue;
            }
            let kind = match entry.file_type() {
                FileType::Unknown => {
                    let st =
                        rustix::fs::statat(&self.fd, entry.file_name(), AtFlags::SYMLINK_NOFOLLOW)
                            .map_err(err)?;
                    FileType::from_raw_mode(st.st_mode)
                }
                known => known,
            };
            out.push((OsStr::from_bytes(name).to_os_string(), kind));
        }
        Ok(out)
    }

    /// Removes whatever is at `rel`: a file, a symlink (the link itself) or a directory tree.
    /// Nothing there is fine. The tree is walked through fds opened beneath it, never through
    /// a link, without recursion; its depth is bounded by the open-file limit.
    pub(crate) fn remove(&self, rel: &Path) -> Result<(), FsError> {
        let (parent, name) = self.parent_of(rel)?;
        let err = |e: FsError| FsError::new("remove", rel, e.source);
        if parent.unlink_entry(&name).map_err(err)? {
            parent
                .open_subdir(&name)
                .map_err(err)?
                .remove_contents()
                .map_err(err)?;
            rustix::fs::unlinkat(parent.as_fd(), &*name, AtFlags::REMOVEDIR)
                .or_else(missing_is_fine)
                .map_err(|e| FsError::new("remove", rel, e))?;
        }
        Ok(())
    }

    /// Removes the directory `rel` only if it is empty (`rmdir`: never follows a link, never
    /// removes anything else).
    pub(crate) fn remove_empty_dir(&self, rel: &Path) -> Result<(), FsError> {
        let (parent, name) = self.parent_of(rel)?;
        rustix::fs::unlinkat(parent.as_fd(), &*name, AtFlags::REMOVEDIR)
            .map_err(|e| FsError::new("remove directory", rel, e))
    }

    /// Removes everything inside the held directory (see [`Dir::remove`]).
    pub(crate) fn remove_contents(&self) -> Result<(), FsError> {
        let mut stack = vec![Frame {
            pending: self.unlink_files()?,
            dir: self.dup()?,
            name: None,
        }];
        while let Some(top) = stack.last_mut() {
            if let Some(name) = top.pending.pop() {
                let sub = top.dir.open_subdir(&name)?;
                let pending = sub.unlink_files()?;
                stack.push(Frame {
                    dir: sub,
                    name: Some(name),
                    pending,
                });
                continue;
            }
            // Emptied: remove it from the directory one level down the stack.
            if let Some(Frame {
                name: Some(name), ..
            }) = stack.pop()
                && let Some(parent) = stack.last()
            {
                rustix::fs::unlinkat(parent.dir.as_fd(), &*name, AtFlags::REMOVEDIR)
                    .or_else(missing_is_fine)
                    .map_err(|e| FsError::new("remove", name_path(&name), e))?;
            }
        }
        Ok(())
    }

    /// A second fd on the held directory (its own offset for listing).
    fn dup(&self) -> Result<Dir, FsError> {
        self.open_dir(Path::new("."))
    }

    /// Unlinks every non-directory entry; returns the names of the subdirectories.
    fn unlink_files(&self) -> Result<Vec<CString>, FsError> {
        let mut dirs = Vec::new();
        for (name, _) in self.entries()? {
            let c = cpath(Path::new(&name))?;
            if self.unlink_entry(&c)? {
                dirs.push(c);
            }
        }
        Ok(dirs)
    }

    /// Unlinks `name` (a link itself, never its target; nothing there is fine); `true` when it
    /// is a directory, which `unlinkat` leaves in place.
    fn unlink_entry(&self, name: &CStr) -> Result<bool, FsError> {
        let unlink = || rustix::fs::unlinkat(&self.fd, name, AtFlags::empty());
        let unlinked = match unlink() {
            // A directory we may not write into (a probe's chmod, a read-only fixture dir)
            // when the engine is not root: give ourselves write permission, then retry.
            Err(Errno::ACCESS) => {
                self.set_mode(0o700)?;
                unlink()
            }
            r => r,
        };
        match unlinked {
            Ok(()) | Err(Errno::NOENT) => Ok(false),
            Err(Errno::ISDIR) => Ok(true),
            Err(e) => Err(FsError::new("remove", name_path(name), e)),
        }
    }

    /// Opens the subdirectory `name` (beneath, no symlink), first making it listable when a
    /// probe left it unreadable and the engine is not root.
    fn open_subdir(&self, name: &CStr) -> Result<Dir, FsError> {
        match self.open_dir(name_path(name)) {
            Err(e) if e.errno() == Some(libc::EACCES) => {
                self.make_searchable(name)?;
                self.open_dir(name_path(name))
            }
            r => r,
        }
    }

    /// Makes the subdirectory `name` listable (mode 0700) without opening it for reading:
    /// pin it with an `O_PATH` fd (beneath, no symlink) and chmod exactly that inode through
    /// the fd's `/proc/self/fd` entry, since `fchmod` refuses `O_PATH` fds.
    fn make_searchable(&self, name: &CStr) -> Result<(), FsError> {
        let rel = name_path(name);
        let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let pinned = open_beneath(self.as_fd(), name, flags, Mode::empty())
            .map_err(|e| FsError::new("open directory", rel, e))?;
        let link = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&pinned));
        rustix::fs::chmod(link.as_str(), Mode::from_raw_mode(0o700))
            .map_err(|e| FsError::new("chmod", rel, e))
    }

    /// The directory holding `rel` (opened beneath this one) and `rel`'s last component.
    fn parent_of(&self, rel: &Path) -> Result<(Dir, CString), FsError> {
        let name = rel
            .file_name()
            .ok_or_else(|| FsError::new("resolve", rel, Errno::INVAL))?;
        let parent = match rel.parent() {
            Some(p) if !p.as_os_str().is_empty() => self.open_dir(p)?,
            _ => self.dup()?,
        };
        Ok((parent, cpath(Path::new(name))?))
    }
}

/// A directory [`Dir::remove_contents`] is emptying: its name in the directory below it on
/// the stack (none for the held directory) and the subdirectories still to empty.
struct Frame {
    dir: Dir,
    name: Option<CString>,
    pending: Vec<CString>,
}

fn name_path(name: &CStr) -> &Path {
    Path::new(OsStr::from_bytes(name.to_bytes()))
}

fn missing_is_fine(e: Errno) -> Result<(), Errno> {
    if e == Errno::NOENT { Ok(()) } else { Err(e) }
}

/// Writes `bytes` to the file the user named at `path` through a temporary sibling, so a reader
/// never sees half of it. The directory may be shared (`/shared/report.xml`): the temporary
/// file has an unpredictable name and is created `O_EXCL` (never through a planted link), and
/// the rename happens within the directory's fd (a link planted at `path` is replaced, not
/// followed).
pub(crate) fn replace_file(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    use std::io::Write;
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let dir = Dir::open(parent)?;
    let stem = format!(".{}", name.to_string_lossy());
    let (mut file, tmp) = dir.create_temporary(&stem, mode)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| Ok(dir.rename(Path::new(&tmp), Path::new(name), true)?));
    if written.is_err() {
        let _ = dir.remove(Path::new(&tmp));
    }
    written
}

/// Opens (creating it, mode 0600) the lock file at `path` and waits for an exclusive `flock`
/// on it, held until every copy of the returned fd is closed (a forked guardian keeps it too).
/// The file must be a regular file owned by root, reached without a symlink: it lives in a
/// directory only root can write, and anything else there is refused rather than trusted.
pub fn lock_exclusive(path: &Path) -> io::Result<OwnedFd> {
    let flags =
        OFlags::RDWR | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = rustix::fs::open(path, flags, Mode::from_raw_mode(0o600))?;
    let st = rustix::fs::fstat(&fd)?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile || st.st_uid != 0 {
        return Err(io::Error::other(format!(
            "{} is not a regular file owned by root",
            path.display()
        )));
    }
    rustix::fs::flock(&fd, FlockOperation::LockExclusive)?;
    Ok(fd)
}

/// Opens `path` as an anchor for [`open_beneath`] (`O_PATH`: it reads nothing, so it needs no
/// Landlock right; its last component must not be a symlink). No allocation.
pub(crate) fn open_anchor(path: &CStr) -> Result<OwnedFd, Errno> {
    let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    rustix::fs::open(path, flags, Mode::empty())
}

/// `openat2(dir, rel, flags, mode)` with [`RESOLVE`]. No allocation: probe drivers call it in
/// their child.
pub(crate) fn open_beneath(
    dir: BorrowedFd<'_>,
    rel: &CStr,
    flags: OFlags,
    mode: Mode,
) -> Result<OwnedFd, Errno> {
    rustix::fs::openat2(dir, rel, flags | OFlags::CLOEXEC, mode, RESOLVE)
}

fn cpath(p: &Path) -> Result<CString, FsError> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| FsError::new("resolve", p, Errno::INVAL))
}

/// 64 random bits from the kernel (unpredictable temporary names).
fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    // A short read leaves zeros: the name is still new or `O_EXCL` refuses it.
    let _ = rustix::rand::getrandom(&mut b, rustix::rand::GetRandomFlags::empty());
    u64::from_le_bytes(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{PermissionsExt, symlink};

    /// A held directory `held/` next to an `outside/keep` file nothing may touch.
    fn setup() -> (tempfile::TempDir, Dir, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("held")).unwrap();
        let outside = tmp.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("keep"), "precious").unwrap();
        let dir = Dir::open_nofollow(&tmp.path().join("held")).unwrap();
        (tmp, dir, outside)
    }

    fn errno(r: Result<impl std::fmt::Debug, FsError>) -> i32 {
        r.unwrap_err().errno().unwrap()
    }

    fn assert_outside_untouched(outside: &Path) {
        assert_eq!(
            std::fs::read_to_string(outside.join("keep")).unwrap(),
            "precious"
        );
        let entries = std::fs::read_dir(outside).unwrap().count();
        assert_eq!(entries, 1, "nothing was created outside");
    }

    #[test]
    fn paths_never_leave_the_held_directory() {
        let (_tmp, dir, outside) = setup();
        for rel in ["../outside/new", "/etc/new", "a/../../outside/new"] {
            std::fs::create_dir_all(dir_path(&dir).join("a")).unwrap();
            assert_eq!(
                errno(dir.create_file(Path::new(rel), 0o644)),
                libc::EXDEV,
                "{rel}"
            );
        }
        assert_eq!(errno(dir.open_dir(Path::new(".."))), libc::EXDEV);
        assert_outside_untouched(&outside);
    }

    #[test]
    fn a_symlink_anywhere_on_the_path_is_refused_not_followed() {
        let (_tmp, dir, outside) = setup();
        let held = dir_path(&dir);
        symlink(&outside, held.join("link")).unwrap();
        assert_eq!(
            errno(dir.create_file(Path::new("link/new"), 0o644)),
            libc::ELOOP
        );
        assert_eq!(
            errno(dir.create_dir_all(Path::new("link/a/b"), 0o755)),
            libc::ELOOP
        );
        assert_eq!(errno(dir.open_dir(Path::new("link"))), libc::ELOOP);
        assert_eq!(errno(dir.remove(Path::new("link/keep"))), libc::ELOOP);
        assert_eq!(errno(dir.stat(Path::new("link/keep"))), libc::ELOOP);
        assert_eq!(
            errno(dir.rename(Path::new("link/keep"), Path::new("x"), true)),
            libc::ELOOP
        );
        // The last component: creating over a link fails, it never writes through it.
        symlink(outside.join("keep"), held.join("file")).unwrap();
        assert_eq!(
            errno(dir.create_file(Path::new("file"), 0o644)),
            libc::EEXIST
        );
        assert_outside_untouched(&outside);
    }

    #[test]
    fn a_non_directory_where_a_directory_is_expected_is_an_error() {
        let (_tmp, dir, _outside) = setup();
        std::fs::write(dir_path(&dir).join("f"), "x").unwrap();
        assert_eq!(errno(dir.open_dir(Path::new("f"))), libc::ENOTDIR);
        assert_eq!(
            errno(dir.create_dir_all(Path::new("f/sub"), 0o755)),
            libc::ENOTDIR
        );
        assert_eq!(errno(dir.create_dir(Path::new("f"), 0o755)), libc::EEXIST);
    }

    #[test]
    fn create_dir_all_makes_the_tree_and_keeps_existing_directories() {
        let (_tmp, dir, _outside) = setup();
        let held = dir_path(&dir);
        std::fs::create_dir(held.join("a")).unwrap();
        std::fs::write(held.join("a/kept"), "x").unwrap();
        let c = dir.create_dir_all(Path::new("a/b/c"), 0o700).unwrap();
        let mut f = c.create_file(Path::new("f"), 0o600).unwrap();
        std::io::Write::write_all(&mut f, b"inside").unwrap();
        assert_eq!(
            std::fs::read_to_string(held.join("a/b/c/f")).unwrap(),
            "inside"
        );
        assert!(held.join("a/kept").exists());
        c.set_mode(0o751).unwrap();
        let mode = std::fs::metadata(held.join("a/b/c"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o7777, 0o751);
    }

    #[test]
    fn remove_takes_links_away_without_following_them() {
        let (_tmp, dir, outside) = setup();
        let held = dir_path(&dir);
        std::fs::create_dir_all(held.join("t/d/e")).unwrap();
        std::fs::write(held.join("t/d/e/f"), "x").unwrap();
        symlink(&outside, held.join("t/d/to-dir")).unwrap();
        symlink(outside.join("keep"), held.join("t/to-file")).unwrap();
        symlink(&outside, held.join("top-link")).unwrap();
        dir.remove(Path::new("t")).unwrap();
        dir.remove(Path::new("top-link")).unwrap();
        dir.remove(Path::new("missing")).unwrap();
        assert_eq!(std::fs::read_dir(&held).unwrap().count(), 0);
        assert_outside_untouched(&outside);
    }

    #[test]
    fn remove_contents_empties_deep_and_locked_trees() {
        let (_tmp, dir, outside) = setup();
        let held = dir_path(&dir);
        let mut deep = held.join("deep");
        for i in 0..300 {
            deep.push(format!("{i}"));
        }
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(deep.join("leaf"), "x").unwrap();
        std::fs::create_dir_all(held.join("locked/inner")).unwrap();
        std::fs::write(held.join("locked/inner/f"), "x").unwrap();
        for p in ["locked/inner", "locked"] {
            std::fs::set_permissions(held.join(p), std::fs::Permissions::from_mode(0o000)).unwrap();
        }
        symlink(&outside, held.join("link")).unwrap();
        dir.remove_contents().unwrap();
        assert_eq!(std::fs::read_dir(&held).unwrap().count(), 0);
        assert_outside_untouched(&outside);
    }

    /// Without root, entries a probe made unwritable or unlistable are opened up first, each
    /// through an fd on exactly that directory.
    #[test]
    fn remove_contents_without_root_opens_up_locked_directories() {
        let (_tmp, dir, outside) = setup();
        let held = dir_path(&dir);
        std::fs::create_dir_all(held.join("unlistable/inner")).unwrap();
        std::fs::write(held.join("unlistable/inner/f"), "x").unwrap();
        std::fs::create_dir(held.join("unwritable")).unwrap();
        std::fs::write(held.join("unwritable/f"), "x").unwrap();
        let nobody = 65534;
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        if root {
            for p in [
                "unlistable/inner/f",
                "unlistable/inner",
                "unlistable",
                "unwritable/f",
                "unwritable",
                ".",
            ] {
                std::os::unix::fs::chown(held.join(p), Some(nobody), Some(nobody)).unwrap();
            }
        }
        let lock = |p: &str, mode| {
            std::fs::set_permissions(held.join(p), std::fs::Permissions::from_mode(mode)).unwrap()
        };
        lock("unlistable", 0o000);
        lock("unwritable", 0o500);
        let removed = if root {
            // SAFETY: the child drops to nobody, removes, and leaves with _exit.
            match unsafe { libc::fork() } {
                0 => unsafe {
                    let ok = libc::setgroups(0, std::ptr::null()) == 0
                        && libc::setgid(nobody) == 0
                        && libc::setuid(nobody) == 0
                        && dir.remove_contents().is_ok();
                    libc::_exit(if ok { 0 } else { 1 })
                },
                pid => {
                    let mut status = 0;
                    unsafe { libc::waitpid(pid, &mut status, 0) };
                    libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0
                }
            }
        } else {
            dir.remove_contents().is_ok()
        };
        assert!(removed, "removal failed");
        assert_eq!(std::fs::read_dir(&held).unwrap().count(), 0);
        assert_outside_untouched(&outside);
    }

    #[test]
    fn rename_replaces_a_link_itself_or_refuses_to_replace() {
        let (_tmp, dir, outside) = setup();
        let held = dir_path(&dir);
        std::fs::write(held.join("new"), "mine").unwrap();
        std::fs::write(held.join("other"), "theirs").unwrap();
        symlink(outside.join("keep"), held.join("report")).unwrap();
        assert_eq!(
            errno(dir.rename(Path::new("new"), Path::new("other"), false)),
            libc::EEXIST
        );
        dir.rename(Path::new("new"), Path::new("report"), true)
            .unwrap();
        let st = dir.stat(Path::new("report")).unwrap().unwrap();
        assert_eq!(FileType::from_raw_mode(st.st_mode), FileType::RegularFile);
        assert_eq!(
            std::fs::read_to_string(held.join("report")).unwrap(),
            "mine"
        );
        assert_outside_untouched(&outside);
    }

    #[test]
    fn entries_and_stat_describe_links_as_links() {
        let (_tmp, dir, outside) = setup();
        let held = dir_path(&dir);
        symlink(&outside, held.join("link")).unwrap();
        std::fs::create_dir(held.join("sub")).unwrap();
        let mut e = dir.entries().unwrap();
        e.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            e,
            vec![
                ("link".into(), FileType::Symlink),
                ("sub".into(), FileType::Directory)
            ]
        );
        let st = dir.stat(Path::new("link")).unwrap().unwrap();
        assert_eq!(FileType::from_raw_mode(st.st_mode), FileType::Symlink);
        assert!(dir.stat(Path::new("nothing")).unwrap().is_none());
    }

    #[test]
    fn temporary_names_are_unpredictable_and_new() {
        let (_tmp, dir, _outside) = setup();
        let (_, a) = dir.create_temporary(".report.xml", 0o644).unwrap();
        let (_, b) = dir.create_temporary(".report.xml", 0o644).unwrap();
        assert_ne!(a, b);
        let a = a.to_string_lossy();
        assert!(a.starts_with(".report.xml.") && a.ends_with(".tmp"), "{a}");
    }

    #[test]
    fn errors_name_the_operation_the_relative_path_and_the_refusal() {
        let (_tmp, dir, outside) = setup();
        symlink(&outside, dir_path(&dir).join("link")).unwrap();
        let e = dir.create_file(Path::new("link/x"), 0o644).unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("create file `link/x`: "), "{text}");
        assert!(text.contains("never followed"), "{text}");
        let io: io::Error = e.into();
        assert!(io.to_string().contains("link/x"));
    }

    #[test]
    fn a_lock_is_exclusive_between_open_file_descriptions() {
        let (_tmp, dir, _outside) = setup();
        let again = Dir::open_nofollow(&dir_path(&dir)).unwrap();
        assert!(dir.try_lock().unwrap());
        assert!(!again.try_lock().unwrap());
    }

    /// The held directory's path, for arranging the test (the API never needs it).
    fn dir_path(dir: &Dir) -> PathBuf {
        std::fs::read_link(format!(
            "/proc/self/fd/{}",
            std::os::fd::AsRawFd::as_raw_fd(&dir.as_fd())
        ))
        .unwrap()
    }
}
