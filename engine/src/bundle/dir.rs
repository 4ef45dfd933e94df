//! The one way every bundle reader (xpr's, runtime-tools', `explain`) opens a bundle's files.
//!
//! A bundle is untrusted input: its index names paths and sizes, and its directory may hold
//! FIFOs, devices or symlinks planted to lead out (`zz/secret` with `zz -> /outside`). The
//! bundle directory is opened as the user named it; every file in it is opened through
//! [`crate::sys::input`]: no symlink in any component, no `..`, regular files only, opened
//! without blocking, and never more than [`MAX_ARTIFACT_BYTES`] read — a size from the index
//! is never used to allocate.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};

use rustix::fs::FileType;
use serde::de::DeserializeOwned;

use super::printable::printable;
use crate::sys::input::{Climb, InputDir, InputError};

/// Largest artifact any reader reads or digests. Real bundles' largest files (verdicts and
/// stage records of big experiments) stay well below it.
pub(crate) const MAX_ARTIFACT_BYTES: u64 = 256 << 20;

/// Deepest directory nesting walked when listing a bundle (xpr's layout is two levels).
const MAX_WALK_DEPTH: usize = 8;

/// Most files listed in one bundle.
const MAX_LISTED: usize = 100_000;

/// An opened bundle directory.
#[derive(Debug)]
pub struct BundleDir {
    root: PathBuf,
    dir: InputDir,
}

/// A file found by [`BundleDir::files`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Listed {
    /// Bundle-relative, `/`-separated.
    pub path: String,
    pub kind: ListedKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ListedKind {
    File,
    Symlink,
    /// A FIFO, socket or device.
    Special,
    /// A directory deeper than the walk goes, or beyond the listing limit.
    Unwalked,
}

impl BundleDir {
    /// Opens the bundle directory the user named (symlinks in that path are followed).
    pub(crate) fn open(root: &Path) -> Result<BundleDir, InputError> {
        Ok(BundleDir {
            root: root.to_path_buf(),
            dir: InputDir::open(root)?,
        })
    }

    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// The bytes of the file at the bundle-relative `rel`.
    pub(crate) fn read(&self, rel: &str) -> Result<Vec<u8>, InputError> {
        self.dir
            .read(Path::new(rel), Climb::Refused, MAX_ARTIFACT_BYTES)
    }

    /// The file at `rel` as JSON.
    pub(crate) fn read_json<T: DeserializeOwned>(&self, rel: &str) -> Result<T, ReadError> {
        let bytes = self.read(rel)?;
        Ok(serde_json::from_slice(&bytes)?)
    }

    /// Streams the file at `rel` through `each` (digests of large files); returns its size.
    pub(crate) fn stream(&self, rel: &str, mut each: impl FnMut(&[u8])) -> Result<u64, InputError> {
        let file = self.dir.open_file(Path::new(rel), Climb::Refused)?;
        let mut limited = file.take(MAX_ARTIFACT_BYTES + 1);
        let mut buf = vec![0u8; 64 * 1024];
        let mut size = 0u64;
        loop {
            let n = limited.read(&mut buf)?;
            if n == 0 {
                break;
            }
            size += n as u64;
            if size > MAX_ARTIFACT_BYTES {
                return Err(InputError::TooLarge {
                    limit: MAX_ARTIFACT_BYTES,
                });
            }
            each(&buf[..n]);
        }
        Ok(size)
    }

    /// The entries directly in the bundle directory, with their types (never followed).
    pub(crate) fn top(&self) -> Result<Vec<(OsString, FileType)>, InputError> {
        self.dir.entries()
    }

    /// Every non-directory entry of the bundle, relative and sorted; subdirectories are walked
    /// (never through a symlink) down to a fixed depth and up to a fixed number of entries.
    pub(crate) fn files(&self) -> Result<Vec<Listed>, InputError> {
        let mut out = Vec::new();
        self.walk(&self.dir, "", 0, &mut out)?;
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    fn walk(
        &self,
        dir: &InputDir,
        prefix: &str,
        depth: usize,
        out: &mut Vec<Listed>,
    ) -> Result<(), InputError> {
        for (name, kind) in dir.entries()? {
            // A name is shown (as an extra file), so it is made printable first.
            let path = format!("{prefix}{}", printable(&name.to_string_lossy(), false));
            let kind = match kind {
                FileType::Directory if depth < MAX_WALK_DEPTH && out.len() < MAX_LISTED => {
                    let sub = dir.open_dir(Path::new(&name), Climb::Refused)?;
                    self.walk(&sub, &format!("{path}/"), depth + 1, out)?;
                    continue;
                }
                FileType::Directory => ListedKind::Unwalked,
                FileType::RegularFile => ListedKind::File,
                FileType::Symlink => ListedKind::Symlink,
                _ => ListedKind::Special,
            };
            if out.len() >= MAX_LISTED {
                break;
            }
            out.push(Listed { path, kind });
        }
        Ok(())
    }
}

/// Why a JSON artifact could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReadError {
    #[error("{0}")]
    File(#[from] InputError),
    #[error("{0}")]
    Json(#[from] serde_json::Error),
}
