//! The per-run scratch root `{scratch}`: created before fixtures, removed when the run ends,
//! including after Ctrl-C (the engine's loop notices the interrupt and unwinds to this Drop)
//! and after SIGKILL: a guardian process holds the read end of a pipe only the engine writes
//! to, and removes the directory when that pipe closes, however the engine ended.

use std::io;
use std::path::{Path, PathBuf};

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
    /// The engine's end of the guardian's pipe and the guardian's pid (-1 when none started).
    guardian: (i32, i32),
}

impl ScratchRoot {
    /// Creates `<parent>/xpr-scratch-<experiment>-<random>` (canonical path, mode 0755).
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
        std::fs::create_dir(&path)?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
        let guardian = start_guardian(&path);
        Ok(ScratchRoot { path, guardian })
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
        // Probes may have made entries unwritable (mode 000); root removes them anyway, and a
        // non-root engine restores write permission first.
        make_writable(&self.path);
        let _ = std::fs::remove_dir_all(&self.path);
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
fn start_guardian(path: &Path) -> (i32, i32) {
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
        make_writable(path);
        let _ = std::fs::remove_dir_all(path);
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

fn make_writable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                make_writable(&e.path());
            }
        }
    }
}
