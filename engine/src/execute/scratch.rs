//! The per-run scratch root `{scratch}`: created before fixtures (mode 0700, so no other user
//! can reach anything inside), removed when the run ends, including after Ctrl-C (the engine's
//! loop notices the interrupt and unwinds to this Drop) and after SIGKILL: a guardian process
//! holds the read end of a pipe only the engine writes to, and removes the directory when that
//! pipe closes, however the engine ended. Everything inside is touched only through
//! [`crate::sys::fs::Dir`]: beneath the root, never through a symlink.

use std::io;
use std::path::{Path, PathBuf};

use crate::sys::fs::{Dir, FsError};

/// Short random hex from the kernel's CSPRNG (scratch names, run ids).
pub fn short_random() -> String {
    let mut b = [0u8; 4];
    // SAFETY: getrandom into a stack buffer.
    let n = unsafe { libc::getrandom(b.as_mut_ptr().cast(), b.len(), 0) };
    if n != b.len() as isize {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        b = (t.subsec_nanos() ^ std::process::id()).to_le_bytes();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Prefix every scratch directory carries, so a host-safety check can find leftovers.
pub const SCRATCH_PREFIX: &str = "xpr-scratch-";

#[derive(Debug)]
pub struct ScratchRoot {
    path: PathBuf,
    /// (device, inode) of the directory created: a reopened root must be this one.
    identity: (u64, u64),
    /// The engine's end of the guardian's pipe and the guardian's pid (-1 when none started).
    guardian: (i32, i32),
}

impl ScratchRoot {
    /// Creates `<parent>/xpr-scratch-<experiment>-<random>` (canonical path, mode 0700).
    pub fn create(parent: &Path, experiment: &str) -> io::Result<ScratchRoot> {
        let safe: String = experiment
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .take(40)
            .collect();
        let parent = parent.canonicalize()?;
        let path = parent.join(format!("{SCRATCH_PREFIX}{safe}-{}", short_random()));
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().mode(0o700).create(&path)?;
        let dir = Dir::open_nofollow(&path)?;
        dir.set_mode(0o700)?;
        let st = dir.metadata()?;
        let identity = (st.st_dev, st.st_ino);
        let guardian = start_guardian(&path, identity);
        Ok(ScratchRoot {
            path,
            identity,
            guardian,
        })
    }

    /// Opens the root: every filesystem action inside the run goes through this handle.
    /// Fails when the path no longer names the directory created for this run.
    pub fn dir(&self) -> Result<Dir, FsError> {
        open_identified(&self.path, self.identity)
    }

    /// `path` relative to the root, when it lies beneath it (lexically; the kernel checks
    /// again when the relative path is resolved).
    pub fn relative<'a>(&self, path: &'a Path) -> Option<&'a Path> {
        path.strip_prefix(&self.path)
            .ok()
            .filter(|rel| !rel.as_os_str().is_empty())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn as_str(&self) -> &str {
        self.path.to_str().unwrap_or_default()
    }

    /// Replaces the scratch root in `text` by `{scratch}` (for artifacts: no absolute paths).
    pub fn symbolic(&self, text: &str) -> String {
        text.replace(self.as_str(), "{scratch}")
    }
}

impl Drop for ScratchRoot {
    fn drop(&mut self) {
        remove_root(&self.path, self.identity);
        let (write_end, pid) = self.guardian;
        if pid > 0 {
            // SAFETY: closing our pipe end lets the guardian see EOF (the directory is already
            // gone, so it has nothing to do) and exit; then reap it.
            unsafe {
                libc::close(write_end);
                libc::waitpid(pid, std::ptr::null_mut(), 0);
            }
        }
    }
}

/// Forks the guardian: it keeps no fd but its pipe end, ignores the signals a terminal or a
/// process-group kill sends the run, waits for EOF, and removes `path`. Returns (write end,
/// pid), or (-1, -1) when it could not start (the Drop still cleans up on a normal end).
fn start_guardian(path: &Path, identity: (u64, u64)) -> (i32, i32) {
    let mut fds = [0i32; 2];
    // SAFETY: pipe2 into a 2-element array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return (-1, -1);
    }
    let [read_end, write_end] = fds;
    // SAFETY: the child makes raw syscalls until the pipe closes, then removes the directory
    // (glibc makes allocation after fork safe) and exits without returning into the engine.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        unsafe {
            for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT] {
                libc::signal(sig, libc::SIG_IGN);
            }
        }
        super::inherited_fds::close_all_except(read_end, -1);
        let mut byte = 0u8;
        // Nothing is ever written: read returns 0 once every copy of the write end is closed.
        loop {
            let n = unsafe { libc::read(read_end, (&mut byte as *mut u8).cast(), 1) };
            if n == 0
                || (n < 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR))
            {
                break;
            }
        }
        remove_root(path, identity);
        unsafe { libc::_exit(0) };
    }
    // SAFETY: the engine keeps only the write end.
    unsafe { libc::close(read_end) };
    if pid < 0 {
        unsafe { libc::close(write_end) };
        return (-1, -1);
    }
    (write_end, pid)
}

fn open_identified(path: &Path, identity: (u64, u64)) -> Result<Dir, FsError> {
    let dir = Dir::open_nofollow(path)?;
    let st = dir.metadata()?;
    if (st.st_dev, st.st_ino) != identity {
        return Err(FsError {
            op: "open scratch root",
            path: path.to_path_buf(),
            source: io::Error::other("it is no longer the directory this run created"),
        });
    }
    Ok(dir)
}

/// Empties the root through its fd (links are removed, never followed; entries a probe made
/// unwritable are opened up first), then removes the now empty directory itself: `rmdir`
/// never follows a link and never removes anything else.
fn remove_root(path: &Path, identity: (u64, u64)) {
    if let Ok(dir) = open_identified(path, identity)
        && dir.remove_contents().is_ok()
    {
        let _ = std::fs::remove_dir(path);
    }
}
