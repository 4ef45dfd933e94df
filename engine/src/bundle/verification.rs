//! The result of verifying a bundle: what was checked and every finding, in a stable order
//! (index problems first, then indexed files by path, then extra files by path).

use std::fmt;

use serde::Serialize;

use super::format::BundleFormat;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub format: BundleFormat,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub world_id: Option<String>,
    /// blake3 of the index file: one digest that names this exact bundle content.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_blake3: Option<String>,
    /// Files whose digest was recomputed.
    pub checked: usize,
    pub findings: Vec<Finding>,
}

impl Verification {
    pub(crate) fn new(format: BundleFormat) -> Verification {
        Verification {
            format,
            run_id: None,
            world_id: None,
            index_blake3: None,
            checked: 0,
            findings: Vec::new(),
        }
    }

    /// Everything holds: no finding at all.
    pub fn ok(&self) -> bool {
        self.findings.is_empty()
    }
}

/// One reason a bundle cannot be trusted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    /// A `.<run_id>.partial` directory: the run was interrupted before its commit.
    Incomplete {
        detail: String,
    },
    IndexMissing,
    IndexMalformed {
        detail: String,
    },
    /// A schema major this build cannot read (the index's own, or an artifact's).
    UnknownSchema {
        path: String,
        schema_version: String,
    },
    Changed {
        path: String,
        expected_size: u64,
        actual_size: u64,
        expected_blake3: String,
        actual_blake3: String,
    },
    /// Like `Changed`, for formats that record sha256 (runtime-tools).
    ChangedSha256 {
        path: String,
        expected_size: u64,
        actual_size: u64,
        expected_sha256: String,
        actual_sha256: String,
    },
    Missing {
        path: String,
    },
    /// A file the index does not list.
    Extra {
        path: String,
    },
    /// Indexed, but a directory, symlink or other non-regular file.
    NotRegularFile {
        path: String,
    },
    /// The schema_version inside the file differs from the index's (or is absent).
    SchemaMismatch {
        path: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        line: Option<usize>,
        expected: String,
        found: String,
    },
    /// The manifest and the index disagree (run id, world id, closure digest).
    ManifestMismatch {
        field: String,
        index: String,
        manifest: String,
    },
    Unreadable {
        path: String,
        detail: String,
    },
}

impl Finding {
    /// The bundle-relative file the finding is about, if any.
    pub fn path(&self) -> Option<&str> {
        match self {
            Finding::Incomplete { .. } | Finding::IndexMissing | Finding::IndexMalformed { .. } => {
                None
            }
            Finding::ManifestMismatch { .. } => Some(super::layout::MANIFEST),
            Finding::UnknownSchema { path, .. }
            | Finding::Changed { path, .. }
            | Finding::ChangedSha256 { path, .. }
            | Finding::Missing { path }
            | Finding::Extra { path }
            | Finding::NotRegularFile { path }
            | Finding::SchemaMismatch { path, .. }
            | Finding::Unreadable { path, .. } => Some(path),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::Incomplete { detail } => write!(f, "incomplete  {detail}"),
            Finding::IndexMissing => write!(
                f,
                "no index    artifact_index.json is absent: the run never committed"
            ),
            Finding::IndexMalformed { detail } => write!(f, "bad index   {detail}"),
            Finding::UnknownSchema {
                path,
                schema_version,
            } => write!(
                f,
                "unknown     {path}: schema {schema_version} is not readable by this xpr"
            ),
            Finding::Changed {
                path,
                expected_size,
                actual_size,
                expected_blake3,
                actual_blake3,
            } => {
                write!(f, "changed     {path}: ")?;
                if expected_size != actual_size {
                    write!(f, "size {actual_size}, indexed {expected_size}; ")?;
                }
                write!(
                    f,
                    "blake3 {}…, indexed {}…",
                    short(actual_blake3),
                    short(expected_blake3)
                )
            }
            Finding::ChangedSha256 {
                path,
                expected_size,
                actual_size,
                expected_sha256,
                actual_sha256,
            } => {
                write!(f, "changed     {path}: sha256 {}…", short(actual_sha256))?;
                write!(f, " (indexed {}…", short(expected_sha256))?;
                if expected_size != actual_size {
                    write!(f, ", size {actual_size} (indexed {expected_size})")?;
                } else {
                    write!(f, ", same size: rewritten in place")?;
                }
                write!(f, ")")
            }
            Finding::Missing { path } => write!(f, "missing     {path}"),
            Finding::Extra { path } => write!(f, "extra       {path}: not in the index"),
            Finding::NotRegularFile { path } => {
                write!(f, "not a file  {path}: indexed but not a regular file")
            }
            Finding::SchemaMismatch {
                path,
                line,
                expected,
                found,
            } => {
                write!(f, "schema      {path}")?;
                if let Some(line) = line {
                    write!(f, " line {line}")?;
                }
                write!(f, ": carries {found}, indexed as {expected}")
            }
            Finding::ManifestMismatch {
                field,
                index,
                manifest,
            } => write!(
                f,
                "manifest    {field}: manifest says {manifest}, index says {index}"
            ),
            Finding::Unreadable { path, detail } => write!(f, "unreadable  {path}: {detail}"),
        }
    }
}

fn short(hex: &str) -> &str {
    hex.get(..12).unwrap_or(hex)
}
