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
//!
//! The output root may be shared with other users (`--out /shared`): `out/<experiment>` is
//! opened once without following a symlink and must belong to this user, and every later
//! action (the stale sweep, each artifact, the final rename) goes through that directory's fd
//! ([`crate::sys::fs::Dir`]): beneath it, never through a link, files created `O_EXCL`.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::canonical;
use super::index::{ArtifactIndex, IndexEntry, IndexMeta, is_safe_relative};
use super::layout;
use super::path_guard::PathGuard;
use super::run_id::RunId;
use super::schema::{self, Encoding};
use crate::sys::fs::{Dir, FsError};

pub struct BundleWriter {
    /// `out/<experiment>`, for messages.
    experiment_dir: PathBuf,
    /// The same directory, held open: every action below resolves beneath it.
    experiment: Dir,
    /// `.<run_id>.partial` (its name in `experiment`) and its path, for messages.
    partial_name: String,
    partial_path: PathBuf,
    /// The open partial directory, `flock`ed: marks the run as alive for other writers.
    partial: Dir,
    run_id: RunId,
    guard: PathGuard,
    entries: BTreeMap<String, IndexEntry>,
    committed: bool,
}

impl BundleWriter {
    /// Checks before a run that its bundle can be written: `out_root/<experiment>` is made or
    /// opened and refused as [`BundleWriter::create`] would refuse it, and takes a new file.
    pub(crate) fn check_output(out_root: &Path, experiment: &str) -> io::Result<()> {
        let (_, dir) = open_experiment_dir(out_root, experiment)?;
        let (_, probe) = dir.create_temporary(".xpr-write-test", 0o600)?;
        Ok(dir.remove(Path::new(&probe))?)
    }

    /// Starts the bundle of `run_id` under `out_root/<experiment>/`.
    pub fn create(out_root: &Path, experiment: &str, run_id: &RunId) -> io::Result<BundleWriter> {
        let (experiment_dir, exp_dir) = open_experiment_dir(out_root, experiment)?;
        remove_stale_partials(&exp_dir);
        if exp_dir.stat(Path::new(run_id.as_str()))?.is_some() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!(
                    "bundle {} already exists",
                    experiment_dir.join(run_id.as_str()).display()
                ),
            ));
        }
        let partial_name = format!(".{}{}", run_id.as_str(), layout::PARTIAL_SUFFIX);
        let partial = exp_dir.create_dir(Path::new(&partial_name), 0o755)?;
        if !partial.try_lock()? {
            return Err(io::Error::other(format!(
                "{} is locked by another writer",
                experiment_dir.join(&partial_name).display()
            )));
        }
        // A concurrent cleaner may have removed the directory between mkdir and flock.
        let now = exp_dir.stat(Path::new(&partial_name))?;
        let ours = partial.metadata()?;
        if now.is_none_or(|st| (st.st_dev, st.st_ino) != (ours.st_dev, ours.st_ino)) {
            return Err(io::Error::other(format!(
                "{} was removed while being created",
                experiment_dir.join(&partial_name).display()
            )));
        }
        Ok(BundleWriter {
            partial_path: experiment_dir.join(&partial_name),
            experiment_dir,
            experiment: exp_dir,
            partial_name,
            partial,
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

    /// The temporary directory (for messages; write only through this type).
    pub fn partial_dir(&self) -> &Path {
        &self.partial_path
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
        let file = self.create_new(rel)?;
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
    pub(crate) fn write_verified(
        &mut self,
        rel: &str,
        schema: &str,
        bytes: &[u8],
    ) -> io::Result<()> {
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
        let mut file = self.partial.create_file(Path::new(layout::INDEX), 0o644)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        // Subdirectories before the root, so every entry is durable before the rename.
        for dir in dirs.iter().rev() {
            dir.sync()?;
        }
        self.partial.sync()?;
        let final_dir = self.experiment_dir.join(self.run_id.as_str());
        self.experiment
            .rename(
                Path::new(&self.partial_name),
                Path::new(self.run_id.as_str()),
                false,
            )
            .map_err(|e| match e.errno() {
                Some(libc::EEXIST | libc::ENOTEMPTY) => io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("bundle {} already exists", final_dir.display()),
                ),
                _ => e.into(),
            })?;
        self.experiment.sync()?;
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

    /// Creates the artifact file `rel` (and its directories) beneath the partial directory.
    fn create_new(&self, rel: &str) -> io::Result<File> {
        let rel = Path::new(rel);
        let dir = self
            .partial
            .create_dir_all(rel.parent().unwrap_or(Path::new("")), 0o755)?;
        Ok(dir.create_file(Path::new(rel.file_name().unwrap_or_default()), 0o644)?)
    }

    fn store(&mut self, rel: &str, schema: &str, bytes: &[u8]) -> io::Result<()> {
        let mut file = self.create_new(rel)?;
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
        if !self.committed && self.partial.remove_contents().is_ok() {
            let _ = self
                .experiment
                .remove_empty_dir(Path::new(&self.partial_name));
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

/// Opens (creating it if missing) `out_root/<experiment>` for writing a bundle into, with its
/// path for messages. The root is the user's own choice and may be a link; the experiment's
/// directory is refused when it is a symlink (never followed), or owned by another user, or
/// world-writable without the sticky bit: they could swap the partial directory while the
/// bundle is written.
/// Points `out_root/<experiment>/latest` at the committed run `run_id`: a relative link, made
/// under a temporary name and renamed over `latest` within the directory's fd (whatever is at
/// `latest` is replaced, never followed). A link to a run that started later is left alone, so
/// runs that finish out of order still leave `latest` at the newest. A `latest` that is not a link (a
/// directory someone made) is an error, not replaced.
pub(crate) fn point_latest(out_root: &Path, experiment: &str, run_id: &RunId) -> io::Result<()> {
    let (shown, dir) = open_experiment_dir(out_root, experiment)?;
    let latest = Path::new(layout::LATEST);
    match dir.read_link(latest) {
        Ok(Some(current)) => {
            // Run ids start with the start second; runs of the same second are ordered by when
            // they commit, so only a run that started strictly later keeps the link.
            let started = |id: &str| id.split('-').next().map(str::to_string);
            let later = current
                .to_str()
                .and_then(|c| RunId::parse(c).ok())
                .is_some_and(|c| started(c.as_str()) > started(run_id.as_str()));
            if later {
                return Ok(());
            }
        }
        Ok(None) => {}
        Err(e) if e.errno() == Some(libc::EINVAL) => {
            return Err(io::Error::other(format!(
                "{} is not a link; it was left as it is",
                shown.join(layout::LATEST).display()
            )));
        }
        Err(e) => return Err(e.into()),
    }
    let temporary = format!(".{}.{}.tmp", layout::LATEST, run_id.as_str());
    dir.symlink(run_id.as_str(), Path::new(&temporary))?;
    dir.rename(Path::new(&temporary), latest, true)
        .inspect_err(|_| {
            let _ = dir.remove(Path::new(&temporary));
        })?;
    Ok(dir.sync()?)
}

fn open_experiment_dir(out_root: &Path, experiment: &str) -> io::Result<(PathBuf, Dir)> {
    if !is_safe_relative(experiment) || experiment.contains('/') {
        return Err(invalid_input(format!(
            "experiment name {experiment:?} cannot name a bundle directory \
             (one path component, not starting with '.')"
        )));
    }
    let shown = out_root.join(experiment);
    let refuse = |why: String| {
        io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("refusing to write into {}: {why}", shown.display()),
        )
    };
    std::fs::create_dir_all(out_root)?;
    let root = Dir::open(out_root)?;
    let dir = match root.create_dir_all(Path::new(experiment), 0o755) {
        Ok(d) => d,
        Err(e) if e.errno() == Some(libc::ELOOP) => {
            return Err(refuse(
                "it is a symbolic link, which xpr never follows".into(),
            ));
        }
        Err(e) if e.errno() == Some(libc::ENOTDIR) => {
            return Err(refuse("it is not a directory".into()));
        }
        Err(e) => return Err(e.into()),
    };
    let st = dir.metadata()?;
    let (_, me) = crate::sys::process::uids();
    if st.st_uid != me {
        let owner = st.st_uid;
        return Err(refuse(format!(
            "it is owned by uid {owner}, not by uid {me}"
        )));
    }
    if st.st_mode & 0o1002 == 0o002 {
        return Err(refuse(format!(
            "any user may rename entries in it (mode {:o}, no sticky bit)",
            st.st_mode & 0o7777
        )));
    }
    Ok((shown, dir))
}

/// Removes `.<run_id>.partial` directories left by killed runs. A directory whose lock is
/// held belongs to a live run and is left alone; a symlink by that name is skipped, never
/// followed; failures are ignored (readers skip partial directories anyway).
fn remove_stale_partials(experiment: &Dir) {
    let Ok(entries) = experiment.entries() else {
        return;
    };
    for (name, _) in entries {
        let Some(text) = name.to_str() else { continue };
        if layout::partial_run_id(text).is_none() {
            continue;
        }
        let Ok(dir) = experiment.open_dir(Path::new(&name)) else {
            continue;
        };
        // Empty the very directory whose lock we hold, then unlink its (now empty) name.
        if dir.try_lock().unwrap_or(false) && dir.remove_contents().is_ok() {
            let _ = experiment.remove_empty_dir(Path::new(&name));
        }
    }
}

/// Every file under `root` (anything that is not a directory, links included) as a
/// bundle-relative path; the directories, opened, go to `dirs`, parents before children.
fn list_files(root: &Dir, dirs: &mut Vec<Dir>) -> Result<Vec<String>, FsError> {
    let mut files = Vec::new();
    let mut pending = vec![String::new()];
    while let Some(prefix) = pending.pop() {
        let dir = match prefix.is_empty() {
            true => root.open_dir(Path::new("."))?,
            false => root.open_dir(Path::new(&prefix))?,
        };
        for (name, kind) in dir.entries()? {
            let rel = match prefix.is_empty() {
                true => name.to_string_lossy().into_owned(),
                false => format!("{prefix}/{}", name.to_string_lossy()),
            };
            if kind.is_dir() {
                pending.push(rel);
            } else {
                files.push(rel);
            }
        }
        dirs.push(dir);
    }
    Ok(files)
}
