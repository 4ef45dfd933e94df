//! The per-run scratch root `{scratch}`: created before fixtures, removed when the run ends,
//! including after Ctrl-C (the engine's loop notices the interrupt and unwinds to this Drop).

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
        Ok(ScratchRoot { path })
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
