//! Integrity check of a runtime-tools bundle against its `artifact_index.json`.
//!
//! Artifacts are matched by bundle-relative name (the recorded path's last component): the
//! recorded paths are repository paths that have since moved. Sizes and sha256 digests are
//! recomputed; changed, missing and extra files are named. Sub-folders are reported but not
//! failed: runtime-tools never indexes them (`runtime_profiles/`, `launchctl/`, ...).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use rustix::fs::FileType;
use sha2::{Digest, Sha256};

use super::artifact_json::optional_json;
use super::detect::{INDEX_FILE, bundle_dir};
use super::error::RuntimeToolsError;
use super::records::ArtifactIndex;
use super::schema;
use super::sha256::to_hex;
use crate::bundle::dir::BundleDir;
use crate::bundle::printable::printable;
use crate::sys::input::InputError;

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct VerifyReport {
    pub format: &'static str,
    pub index_schema: String,
    pub run_id: Option<String>,
    pub world_id: Option<String>,
    /// Names whose size and digest match the index.
    pub verified: Vec<String>,
    pub changed: Vec<ChangedArtifact>,
    /// Indexed but absent from the bundle.
    pub missing: Vec<String>,
    /// Files in the bundle the index does not list.
    pub extra: Vec<String>,
    /// Sub-folders: never indexed by this format, so unverifiable (not a failure).
    pub unindexed_dirs: Vec<String>,
    /// Artifacts the writer itself recorded as missing (`missing` in the index).
    pub recorded_missing: Vec<String>,
    /// The index's own status (`ok`, `partial`, `failed`).
    pub index_status: Option<String>,
    /// (name, schema) pairs of a schema major this reader does not know.
    pub unknown_schemas: Vec<(String, String)>,
    /// Index entries it cannot use (no file name, two entries with one name).
    pub problems: Vec<String>,
    /// Indexed names that are not a regular file read without a symlink, or too large:
    /// (name, why). Never followed, never waited on.
    pub unreadable: Vec<(String, String)>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ChangedArtifact {
    pub name: String,
    pub recorded_size: u64,
    pub actual_size: u64,
    pub recorded_sha256: String,
    pub actual_sha256: String,
}

impl VerifyReport {
    /// Everything holds: every indexed file is present and unchanged, nothing else is there,
    /// the writer recorded nothing missing, and every schema is known.
    pub fn ok(&self) -> bool {
        self.changed.is_empty()
            && self.missing.is_empty()
            && self.extra.is_empty()
            && self.recorded_missing.is_empty()
            && self.problems.is_empty()
            && self.unreadable.is_empty()
            && self.unknown_schemas.is_empty()
            && self.index_status.as_deref().is_none_or(|s| s == "ok")
    }

    /// Every file name that failed, sorted: what a user has to look at.
    pub fn failed_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .changed
            .iter()
            .map(|c| c.name.clone())
            .chain(self.missing.iter().cloned())
            .chain(self.extra.iter().cloned())
            .chain(self.unreadable.iter().map(|(name, _)| name.clone()))
            .collect();
        names.sort();
        names
    }

    pub fn render_text(&self, shown_path: &str) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "{shown_path}: {} bundle ({}), run {}, world {}\n",
            self.format,
            self.index_schema,
            self.run_id.as_deref().unwrap_or("(none)"),
            self.world_id.as_deref().unwrap_or("(none)"),
        ));
        for c in &self.changed {
            let how = if c.recorded_size == c.actual_size {
                "same size, content rewritten in place".to_owned()
            } else {
                format!("size {} → {}", c.recorded_size, c.actual_size)
            };
            out.push_str(&format!(
                "  changed  {}: sha256 recorded {} actual {} ({how})\n",
                c.name,
                short(&c.recorded_sha256),
                short(&c.actual_sha256),
            ));
        }
        for name in &self.missing {
            out.push_str(&format!(
                "  missing  {name}: listed in {INDEX_FILE}, not in the bundle\n"
            ));
        }
        for name in &self.extra {
            out.push_str(&format!(
                "  extra    {name}: in the bundle, not listed in {INDEX_FILE}\n"
            ));
        }
        for name in &self.recorded_missing {
            out.push_str(&format!(
                "  incomplete  the writer recorded {name} as missing\n"
            ));
        }
        if let Some(status) = self.index_status.as_deref().filter(|s| *s != "ok") {
            out.push_str(&format!("  incomplete  index status is {status}\n"));
        }
        for (name, schema) in &self.unknown_schemas {
            out.push_str(&format!(
                "  unknown  {name}: schema {schema} has a major this xpr cannot read\n"
            ));
        }
        for p in &self.problems {
            out.push_str(&format!("  problem  {p}\n"));
        }
        for (name, why) in &self.unreadable {
            out.push_str(&format!("  unreadable  {name}: {why}\n"));
        }
        for d in &self.unindexed_dirs {
            out.push_str(&format!(
                "  note     {d}/ is not indexed by this format (not verified)\n"
            ));
        }
        if self.ok() {
            out.push_str(&format!(
                "ok: {} artifacts verified (sha256)\n",
                self.verified.len()
            ));
        } else {
            out.push_str(&format!(
                "FAILED: {} changed, {} missing, {} extra ({} verified)\n",
                self.changed.len(),
                self.missing.len(),
                self.extra.len(),
                self.verified.len()
            ));
        }
        out
    }
}

fn short(hex: &str) -> &str {
    hex.get(..12).unwrap_or(hex)
}

/// Verifies the bundle at `path` (its directory or its `artifact_index.json`).
/// An unreadable or malformed index is an error; integrity failures are in the report.
pub fn verify(path: &Path) -> Result<VerifyReport, RuntimeToolsError> {
    let root = bundle_dir(path);
    let dir = BundleDir::open(root).map_err(|source| RuntimeToolsError::Unreadable {
        path: root.to_path_buf(),
        source,
    })?;
    verify_dir(&dir)
}

/// [`verify`] for an opened bundle directory. Files are read through the bundle's confined
/// opener: a FIFO, device, directory or symlink where an artifact should be is `changed`
/// (recorded size and digest against "not a regular file"), never followed or waited on.
pub(crate) fn verify_dir(dir: &BundleDir) -> Result<VerifyReport, RuntimeToolsError> {
    let index: ArtifactIndex =
        optional_json(dir, INDEX_FILE)?.ok_or_else(|| RuntimeToolsError::NotRuntimeTools {
            dir: dir.root().to_path_buf(),
            why: format!("no {INDEX_FILE}"),
        })?;
    if !schema::is_index_schema(&index.schema_version) {
        return Err(RuntimeToolsError::NotRuntimeTools {
            dir: dir.root().to_path_buf(),
            why: format!("index schema is {:?}", index.schema_version),
        });
    }
    let mut report = VerifyReport {
        format: schema::FORMAT,
        index_schema: printable(&index.schema_version, false),
        run_id: index.run_id.as_deref().map(|s| printable(s, false)),
        world_id: index.world_id.as_deref().map(|s| printable(s, false)),
        verified: Vec::new(),
        changed: Vec::new(),
        missing: Vec::new(),
        extra: Vec::new(),
        unindexed_dirs: Vec::new(),
        recorded_missing: index
            .missing
            .iter()
            .map(|p| printable(p.rsplit('/').next().unwrap_or(p), false))
            .collect(),
        index_status: index.status.as_deref().map(|s| printable(s, false)),
        unknown_schemas: Vec::new(),
        problems: Vec::new(),
        unreadable: Vec::new(),
    };
    if !schema::is_known(&index.schema_version) {
        report
            .unknown_schemas
            .push((INDEX_FILE.to_owned(), index.schema_version.clone()));
        return Ok(report);
    }

    // One entry per bundle-relative name; two recorded paths with one name are ambiguous.
    let mut by_name: BTreeMap<&str, &super::records::IndexedArtifact> = BTreeMap::new();
    for artifact in &index.artifacts {
        let name = artifact.name();
        if name.is_empty()
            || name == "."
            || name == ".."
            || name == INDEX_FILE
            || name.contains(char::is_control)
        {
            report.problems.push(format!(
                "index entry {:?} names no artifact file",
                artifact.path
            ));
            continue;
        }
        if by_name.insert(name, artifact).is_some() {
            report
                .problems
                .push(format!("two index entries share the name {name:?}"));
        }
        if let Some(s) = artifact.schema_version.as_deref()
            && !schema::is_known(s)
        {
            report
                .unknown_schemas
                .push((name.to_owned(), printable(s, false)));
        }
    }

    for (name, artifact) in &by_name {
        let mut hasher = Sha256::new();
        match dir.stream(name, |chunk| hasher.update(chunk)) {
            Ok(actual_size) => {
                let actual_sha256 = to_hex(&hasher.finalize());
                if actual_size == artifact.file_size
                    && actual_sha256.eq_ignore_ascii_case(&artifact.sha256)
                {
                    report.verified.push((*name).to_owned());
                } else {
                    report.changed.push(ChangedArtifact {
                        name: (*name).to_owned(),
                        recorded_size: artifact.file_size,
                        actual_size,
                        recorded_sha256: artifact.sha256.to_lowercase(),
                        actual_sha256,
                    });
                }
            }
            Err(InputError::NotFound) => report.missing.push((*name).to_owned()),
            Err(
                e @ (InputError::NotRegular(_)
                | InputError::Symlink(_)
                | InputError::TooLarge { .. }),
            ) => report.unreadable.push(((*name).to_owned(), e.to_string())),
            Err(source) => {
                return Err(RuntimeToolsError::Unreadable {
                    path: dir.root().join(name),
                    source,
                });
            }
        }
    }

    let entries = dir.top().map_err(|source| RuntimeToolsError::Unreadable {
        path: dir.root().to_path_buf(),
        source,
    })?;
    for (name, kind) in entries {
        let name = printable(&name.to_string_lossy(), false);
        if kind == FileType::Directory {
            report.unindexed_dirs.push(name);
        } else if name != INDEX_FILE && !by_name.contains_key(name.as_str()) {
            report.extra.push(name);
        }
    }
    report.extra.sort();
    report.unindexed_dirs.sort();
    Ok(report)
}
