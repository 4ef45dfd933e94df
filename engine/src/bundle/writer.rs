//! [`BundleWriter`]: writes a bundle so that it is either complete and pinned, or visibly not
//! a bundle at all.
//!
//! Lifecycle: `create` makes `out/<experiment>/.<run_id>.partial/` and holds an exclusive
//! `flock` on it for the writer's lifetime; every `write_*` creates one new file (write-once,
//! fsynced) and records its size, blake3 and schema; `commit` writes `artifact_index.json`
//! last, fsyncs, and renames the directory to `out/<experiment>/<run_id>/`. Dropping an
//! uncommitted writer (an error, a panic) removes the partial directory; a killed process
//! leaves it behind, unlocked, and the next `create` for the same experiment removes every
//! partial directory nobody holds a lock on.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::canonical;
use super::index::{ArtifactIndex, IndexEntry, IndexMeta, is_safe_relative};
use super::layout;
use super::path_guard::PathGuard;
use super::run_id::RunId;
use super::schema::{self, Encoding};

pub struct BundleWriter {
    experiment_dir: PathBuf,
    partial: PathBuf,
    /// The open partial directory, `flock`ed: marks the run as alive for other writers.
    lock: File,
    run_id: RunId,
    guard: PathGuard,
    entries: BTreeMap<String, IndexEntry>,
    committed: bool,
}

impl BundleWriter {
    /// Starts the bundle of `run_id` under `out_root/<experiment>/`.
    pub fn create(out_root: &Path, experiment: &str, run_id: &RunId) -> io::Result<BundleWriter> {
        if !is_safe_relative(experiment) || experiment.contains('/') {
            return Err(invalid_input(format!(
                "experiment name {experiment:?} cannot name a bundle directory \
                 (one path component, not starting with '.')"
            )));
        }
        let experiment_dir = out_root.join(experiment);
        fs::create_dir_all(&experiment_dir)?;
        remove_stale_partials(&experiment_dir);
        let final_dir = experiment_dir.join(run_id.as_str());
        if final_dir.exists() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("bundle {} already exists", final_dir.display()),
            ));
        }
        let partial =
            experiment_dir.join(format!(".{}{}", run_id.as_str(), layout::PARTIAL_SUFFIX));
        fs::create_dir(&partial)?;
        let lock = File::open(&partial)?;
        flock(&lock, libc::LOCK_EX | libc::LOCK_NB)?;
        // A concurrent cleaner may have removed the directory between mkdir and flock.
        if fs::metadata(&partial)?.ino() != lock.metadata()?.ino() {
            return Err(io::Error::other(format!(
                "{} was removed while being created",
                partial.display()
            )));
        }
        Ok(BundleWriter {
            experiment_dir,
            partial,
            lock,
            run_id: run_id.clone(),
            guard: PathGuard::new(),
            entries: BTreeMap::new(),
            committed: false,
        })
    }

    /// Sets the host-path guard applied to every later write.
    pub fn set_path_guard(&mut self, guard: PathGuard) {
        self.guard = guard;
    }

    pub fn run_id(&self) -> &RunId {
        &self.run_id
    }

    /// The temporary directory (for messages; write only through this type).
    pub fn partial_dir(&self) -> &Path {
        &self.partial
    }

    /// Writes a JSON document: `schema_version` inserted, host paths rewritten, sorted keys,
    /// pretty, trailing newline.
    pub fn write_json(
        &mut self,
        rel: &str,
        schema: &str,
        value: &impl Serialize,
    ) -> io::Result<()> {
        self.check_new(rel, schema, Encoding::Json)?;
        let mut value = canonical::with_schema(value, schema)
            .map_err(|e| invalid_input(format!("artifact {rel}: {e}")))?;
        self.guard.rewrite_value(&mut value);
        let bytes = canonical::document_bytes(&value);
        self.check_paths(rel, &bytes, None)?;
        self.store(rel, schema, &bytes)
    }

    /// Writes JSON Lines: one compact, sorted-keys object per item, each carrying
    /// `schema_version` (so any single line can be read on its own). Streams: memory stays
    /// flat for large runs.
    pub fn write_jsonl<T, I>(&mut self, rel: &str, schema: &str, items: I) -> io::Result<()>
    where
        T: Serialize,
        I: IntoIterator<Item = T>,
    {
        self.check_new(rel, schema, Encoding::JsonLines)?;
        let path = self.prepare_path(rel)?;
        let file = create_new(&path)?;
        let mut out = DigestingWriter::new(BufWriter::new(file));
        for (n, item) in items.into_iter().enumerate() {
            let mut value = canonical::with_schema(&item, schema)
                .map_err(|e| invalid_input(format!("artifact {rel} record {}: {e}", n + 1)))?;
            self.guard.rewrite_value(&mut value);
            let line = canonical::line_bytes(&value);
            self.check_paths(rel, &line, Some(n + 1))?;
            out.write_all(&line)?;
        }
        let (size, blake3, buffered) = out.finish();
        let file = buffered.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        self.record(rel, schema, size, blake3);
        Ok(())
    }

    /// Writes text (SBPL, Markdown) with host paths rewritten.
    pub fn write_text(&mut self, rel: &str, schema: &str, text: &str) -> io::Result<()> {
        self.check_new(rel, schema, Encoding::Raw)?;
        let text = self.guard.rewrite_text(text);
        self.check_paths(rel, text.as_bytes(), None)?;
        self.store(rel, schema, text.as_bytes())
    }

    /// Writes raw bytes (BPF programs) as given: never rewritten, still refused when they
    /// contain a forbidden host path.
    pub fn write_bytes(&mut self, rel: &str, schema: &str, bytes: &[u8]) -> io::Result<()> {
        self.check_new(rel, schema, Encoding::Raw)?;
        self.check_paths(rel, bytes, None)?;
        self.store(rel, schema, bytes)
    }

    /// Copies an artifact of a bundle already verified elsewhere (a guest world's), byte for
    /// byte, under the schema its index recorded.
    pub fn write_verified(&mut self, rel: &str, schema: &str, bytes: &[u8]) -> io::Result<()> {
        self.check_new(rel, schema, Encoding::of_path(rel))?;
        self.check_paths(rel, bytes, None)?;
        self.store(rel, schema, bytes)
    }

    /// Writes the index last, makes everything durable and moves the bundle into place.
    /// Returns the bundle directory.
    pub fn commit(mut self, meta: IndexMeta) -> io::Result<PathBuf> {
        if meta.run_id != self.run_id {
            return Err(invalid_input(format!(
                "index run id {} differs from the bundle's {}",
                meta.run_id, self.run_id
            )));
        }
        let mut dirs = Vec::new();
        for file in list_files(&self.partial, &mut dirs)? {
            if !self.entries.contains_key(&file) {
                return Err(io::Error::other(format!(
                    "{file} was written into the bundle behind the writer's back"
                )));
            }
        }
        let index = ArtifactIndex {
            schema_version: layout::schema::INDEX.to_string(),
            run_id: meta.run_id.to_string(),
            world_id: meta.world_id,
            closure_digest: meta.closure_digest,
            artifacts: self.entries.values().cloned().collect(),
        };
        let value = serde_json::to_value(&index).map_err(io::Error::other)?;
        let bytes = canonical::document_bytes(&value);
        self.check_paths(layout::INDEX, &bytes, None)?;
        let mut file = create_new(&self.partial.join(layout::INDEX))?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        // Subdirectories before the root, so every entry is durable before the rename.
        dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
        for dir in &dirs {
            File::open(dir)?.sync_all()?;
        }
        self.lock.sync_all()?;
        let final_dir = self.experiment_dir.join(self.run_id.as_str());
        rename_no_replace(&self.partial, &final_dir)?;
        File::open(&self.experiment_dir)?.sync_all()?;
        self.committed = true;
        Ok(final_dir)
    }

    fn check_new(&self, rel: &str, schema: &str, encoding: Encoding) -> io::Result<()> {
        if !is_safe_relative(rel) || rel == layout::INDEX {
            return Err(invalid_input(format!(
                "{rel:?} is not a writable bundle path (relative, no '.' or '..' components, \
                 not {})",
                layout::INDEX
            )));
        }
        schema::check_writable(rel, schema, encoding)
            .map_err(|e| invalid_input(format!("artifact {rel}: {e}")))?;
        if self.entries.contains_key(rel) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("artifact {rel} was already written (bundles are write-once)"),
            ));
        }
        Ok(())
    }

    fn check_paths(&self, rel: &str, bytes: &[u8], record: Option<usize>) -> io::Result<()> {
        self.guard.check(bytes).map_err(|found| {
            let place = match record {
                Some(n) => format!("record {n}"),
                None => format!("line {}", found.line),
            };
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "artifact {rel} would contain the host path {} ({place}); write paths \
                     relative to the experiment or as a placeholder such as {{scratch}}",
                    found.prefix
                ),
            )
        })
    }

    fn prepare_path(&self, rel: &str) -> io::Result<PathBuf> {
        let path = self.partial.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        Ok(path)
    }

    fn store(&mut self, rel: &str, schema: &str, bytes: &[u8]) -> io::Result<()> {
        let path = self.prepare_path(rel)?;
        let mut file = create_new(&path)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        let digest = super::digest::blake3_hex(bytes);
        self.record(rel, schema, bytes.len() as u64, digest);
        Ok(())
    }

    fn record(&mut self, rel: &str, schema: &str, size: u64, blake3: String) {
        self.entries.insert(
            rel.to_string(),
            IndexEntry {
                path: rel.to_string(),
                size,
                blake3,
                schema_version: schema.to_string(),
            },
        );
    }
}

impl Drop for BundleWriter {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.partial);
        }
    }
}

/// Hashes and counts what passes through, so a streamed artifact is digested as written.
struct DigestingWriter<W> {
    inner: W,
    hasher: blake3::Hasher,
    size: u64,
}

impl<W: Write> DigestingWriter<W> {
    fn new(inner: W) -> Self {
        DigestingWriter {
            inner,
            hasher: blake3::Hasher::new(),
            size: 0,
        }
    }
    fn finish(self) -> (u64, String, W) {
        (
            self.size,
            self.hasher.finalize().to_hex().to_string(),
            self.inner,
        )
    }
}

impl<W: Write> Write for DigestingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn invalid_input(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

fn create_new(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(path)
}

fn flock(file: &File, op: libc::c_int) -> io::Result<()> {
    // SAFETY: flock on a file descriptor we own.
    if unsafe { libc::flock(file.as_raw_fd(), op) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Removes `.<run_id>.partial` directories left by killed runs. A directory whose lock is
/// held belongs to a live run and is left alone; failures are ignored (readers skip partial
/// directories anyway).
fn remove_stale_partials(experiment_dir: &Path) {
    let Ok(entries) = fs::read_dir(experiment_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if layout::partial_run_id(name).is_none() {
            continue;
        }
        let path = entry.path();
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let Ok(dir) = File::open(&path) else { continue };
        if flock(&dir, libc::LOCK_EX | libc::LOCK_NB).is_ok() {
            let _ = fs::remove_dir_all(&path);
        }
    }
}

/// Every regular file under `root` as a bundle-relative path; directories go to `dirs`.
fn list_files(root: &Path, dirs: &mut Vec<PathBuf>) -> io::Result<Vec<String>> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(root).map_err(io::Error::other)?;
                files.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
        dirs.push(dir);
    }
    Ok(files)
}

/// `rename` that fails instead of replacing an existing (possibly empty) directory.
#[cfg(target_os = "linux")]
fn rename_no_replace(from: &Path, to: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).map_err(io::Error::other);
    let (from_c, to_c) = (c(from)?, c(to)?);
    // SAFETY: two valid NUL-terminated paths; AT_FDCWD resolves them like rename(2).
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            from_c.as_ptr(),
            libc::AT_FDCWD,
            to_c.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if rc == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    match err.raw_os_error() {
        // Filesystems without RENAME_NOREPLACE.
        Some(libc::EINVAL) | Some(libc::ENOSYS) => rename_checked(from, to),
        _ => Err(err),
    }
}

#[cfg(not(target_os = "linux"))]
fn rename_no_replace(from: &Path, to: &Path) -> io::Result<()> {
    rename_checked(from, to)
}

/// Check, then rename: racy, but only against another run with the same random run id.
fn rename_checked(from: &Path, to: &Path) -> io::Result<()> {
    if to.exists() {
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("bundle {} already exists", to.display()),
        ))
    } else {
        fs::rename(from, to)
    }
}
