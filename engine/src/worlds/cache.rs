//! The kernel cache: `$XDG_CACHE_HOME/xpr/worlds/<world>/` (or `~/.cache/xpr/…`), holding
//! the fetched kernel image, the modules the world loads, and `kernel.json`
//! (`xpr.world_kernel.v1`), which records the exact package, version and digest.
//!
//! The cache is the user's own: every directory xpr uses there must be a real directory
//! owned by the user and writable by nobody else, or xpr refuses it.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub(crate) const KERNEL_RECORD: &str = "kernel.json";
pub(crate) const KERNEL_RECORD_SCHEMA: &str = "xpr.world_kernel.v1";
/// The directory under a world's cache directory that holds a complete fetch.
pub(crate) const KERNEL_DIR: &str = "kernel";

/// `kernel.json`: what was fetched, exactly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KernelRecord {
    pub schema_version: String,
    pub world: String,
    /// Where the kernel came from (`package` fields or `image`).
    pub source: KernelOrigin,
    /// `uname -r` of the kernel (from its module directory or image file name).
    pub kernel_release: String,
    /// The kernel image file under `kernel/`, with its blake3.
    pub image: CachedFile,
    /// Modules to load, in order.
    pub modules: Vec<CachedModule>,
    /// Listed modules the kernel has built in (skipped by the guest).
    pub builtin: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum KernelOrigin {
    Package {
        /// The package the catalogue names (a metapackage is followed once).
        requested: String,
        package: String,
        version: String,
        suite: String,
        mirror: String,
        /// From the archive's signed metadata, checked against the downloaded file.
        sha256: String,
        size: u64,
    },
    Image {
        /// The image's file name (never a host path: world facts are portable).
        file: String,
        sha256: String,
        size: u64,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CachedFile {
    pub file: String,
    pub blake3: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CachedModule {
    pub name: String,
    pub file: String,
    pub blake3: String,
    /// `.ko.xz`/`.ko.zst`: loaded with the kernel's own decompressor.
    pub compressed: bool,
}

/// `$XDG_CACHE_HOME/xpr` when that is absolute, else `$HOME/.cache/xpr`.
pub(crate) fn cache_root() -> io::Result<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from)
        && x.is_absolute()
    {
        return Ok(x.join("xpr"));
    }
    match std::env::var_os("HOME").map(PathBuf::from) {
        Some(h) if h.is_absolute() => Ok(h.join(".cache").join("xpr")),
        _ => Err(io::Error::other(
            "neither XDG_CACHE_HOME nor HOME names an absolute directory for the kernel cache",
        )),
    }
}

/// `<cache>/worlds/<name>`, created private (0700) where missing.
pub(crate) fn world_dir(name: &str) -> io::Result<PathBuf> {
    let root = cache_root()?;
    let dir = root.join("worlds").join(name);
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)?;
    for d in [&root, &root.join("worlds"), &dir] {
        check_private_dir(d)?;
    }
    Ok(dir)
}

/// A real directory (not a symlink), owned by this user, not writable by group or others.
pub(crate) fn check_private_dir(dir: &Path) -> io::Result<()> {
    let meta = fs::symlink_metadata(dir)?;
    let (_, euid) = crate::sys::process::uids();
    if !meta.is_dir() || meta.uid() != euid || meta.mode() & 0o022 != 0 {
        return Err(io::Error::other(format!(
            "{} must be a directory owned by uid {euid} and writable by nobody else",
            dir.display()
        )));
    }
    Ok(())
}

/// The record of the world's cached kernel, if one is complete.
pub(crate) fn read_record(world_dir: &Path) -> Option<KernelRecord> {
    let bytes = read_limited(&world_dir.join(KERNEL_DIR).join(KERNEL_RECORD), 1 << 20).ok()?;
    let record: KernelRecord = serde_json::from_slice(&bytes).ok()?;
    (record.schema_version == KERNEL_RECORD_SCHEMA).then_some(record)
}

/// Reads a regular file (never through a symlink) of at most `max` bytes.
pub(crate) fn read_limited(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() || meta.len() > max {
        return Err(io::Error::other(format!(
            "{} is not a regular file of at most {max} bytes",
            path.display()
        )));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max).read_to_end(&mut bytes)?;
    Ok(bytes)
}

pub(crate) fn blake3_file(path: &Path) -> io::Result<String> {
    let bytes = read_limited(path, 1 << 30)?;
    Ok(blake3::hash(&bytes).to_hex().to_string())
}

pub(crate) fn sha256_file(path: &Path) -> io::Result<(String, u64)> {
    use sha2::Digest;
    let bytes = read_limited(path, 1 << 31)?;
    let digest = sha2::Sha256::digest(&bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Ok((hex, bytes.len() as u64))
}
