//! The per-run scratch root `{scratch}`: created before fixtures, removed when the run ends,
//! including after Ctrl-C (the engine's loop notices the interrupt and unwinds to this Drop)
//! and after SIGKILL: a guardian process holds the read end of a pipe only the engine writes
//! to, and removes the directory when that pipe closes, however the engine ended.

use std::io;
use std::path::{Path, PathBuf};

use crate::sys::guardian::Guardian;

/// Short random hex from the kernel's CSPRNG (scratch names, run ids).
pub fn short_random() -> String {
    let mut b = [0u8; 4];
    if crate::sys::process::random_bytes(&mut b).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        b = (t.subsec_nanos() ^ std::process::id()).to_le_bytes();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub use crate::model::SCRATCH_PREFIX;

#[derive(Debug)]
pub struct ScratchRoot {
    path: PathBuf,
    /// Removes the root however the engine ends (`None` when it could not start).
    guardian: Option<Guardian>,
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
        let doomed = path.clone();
        // SAFETY (the guardian's body is this closure): it only walks and removes the scratch
        // root with std::fs, which takes no lock but malloc's.
        let guardian = unsafe {
            Guardian::start(&[], move || {
                make_writable(&doomed);
                let _ = std::fs::remove_dir_all(&doomed);
            })
        }
        .ok();
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
        // The directory is already gone: the guardian has nothing left to do.
        if let Some(g) = self.guardian.take() {
            g.dismiss();
        }
    }
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
