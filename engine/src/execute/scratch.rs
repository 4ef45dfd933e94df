//! The per-run scratch root `{scratch}`: created before fixtures (mode 0700, so no other user
//! can reach anything inside), removed when the run ends, including after Ctrl-C (the engine's
//! loop notices the interrupt and unwinds to this Drop) and after SIGKILL: a guardian process
//! holds the read end of a pipe only the engine writes to, and removes the directory when that
//! pipe closes, however the engine ended. Everything inside is touched only through
//! [`crate::sys::fs::Dir`]: beneath the root, never through a symlink.

use std::io;
use std::path::{Path, PathBuf};

use crate::sys::fs::{Dir, FsError};
use crate::sys::guardian::Guardian;

/// Short random hex from the kernel's CSPRNG (scratch names, run ids).
pub(crate) fn short_random() -> String {
    let mut b = [0u8; 4];
    if crate::sys::process::random_bytes(&mut b).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        b = (t.subsec_nanos() ^ std::process::id()).to_le_bytes();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub(crate) use crate::model::SCRATCH_PREFIX;

#[derive(Debug)]
pub(crate) struct ScratchRoot {
    path: PathBuf,
    /// (device, inode) of the directory created: a reopened root must be this one.
    identity: (u64, u64),
    /// Removes the root however the engine ends (`None` when it could not start).
    guardian: Option<Guardian>,
}

impl ScratchRoot {
    /// Creates `<parent>/xpr-scratch-<experiment>-<random>` (canonical path, mode 0700).
    pub(crate) fn create(parent: &Path, experiment: &str) -> io::Result<ScratchRoot> {
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
        let doomed = path.clone();
        // SAFETY (the guardian's body is this closure): it only empties and removes the root
        // through `sys::fs`, which takes no lock but malloc's.
        // No guardian, no run: a root that could outlive a SIGKILLed engine is not created.
        let guardian = match unsafe {
            Guardian::start(&[], move || remove_root_eventually(&doomed, identity))
        } {
            Ok(g) => Some(g),
            Err(e) => {
                let _ = std::fs::remove_dir(&path);
                return Err(e);
            }
        };
        Ok(ScratchRoot {
            path,
            identity,
            guardian,
        })
    }

    /// Opens the root: every filesystem action inside the run goes through this handle.
    /// Fails when the path no longer names the directory created for this run.
    pub(crate) fn dir(&self) -> Result<Dir, FsError> {
        open_identified(&self.path, self.identity)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn as_str(&self) -> &str {
        self.path.to_str().unwrap_or_default()
    }

    /// Replaces the scratch root in `text` by `{scratch}` (for artifacts: no absolute paths).
    pub(crate) fn symbolic(&self, text: &str) -> String {
        text.replace(self.as_str(), "{scratch}")
    }
}

impl Drop for ScratchRoot {
    fn drop(&mut self) {
        // Gone: the guardian has nothing left to do. Otherwise dropping it undismissed runs
        // its (retrying) removal now, and waits for it.
        if remove_root(&self.path, self.identity)
            && let Some(g) = self.guardian.take()
        {
            g.dismiss();
        }
    }
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
/// `true` when there is nothing left to do: the root is gone, or the path no longer names the
/// directory this run created (never ours to touch).
fn remove_root(path: &Path, identity: (u64, u64)) -> bool {
    let Ok(dir) = open_identified(path, identity) else {
        return true;
    };
    dir.remove_contents().is_ok() && std::fs::remove_dir(path).is_ok()
}

/// The guardian's action. When the engine was killed, its workers and their commands die a
/// moment later (parent-death signals travel down one generation at a time), and a command may
/// still create entries while the first pass walks: retry, bounded, until the root is gone.
fn remove_root_eventually(path: &Path, identity: (u64, u64)) {
    for _ in 0..100 {
        if remove_root(path, identity) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
