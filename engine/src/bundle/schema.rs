//! Schema version strings: `xpr.<artifact>.v<major>`.
//!
//! Every JSON artifact carries one as its top-level `schema_version`; every JSON Lines
//! artifact carries one on each line; the index records one for every file. Readers refuse a
//! name or major that is not in [`KNOWN`], and a schema whose kind does not match the file's
//! extension (`.json`, `.jsonl`, anything else raw). A new artifact gets a row here first.

use std::fmt;

/// How an artifact is encoded; fixed by its schema name and visible in its file extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// `.json`: one canonical document with a top-level `schema_version`.
    Json,
    /// `.jsonl`: one canonical object per line, each with `schema_version`.
    JsonLines,
    /// Any other extension: bytes or text as written (BPF, SBPL, Markdown).
    Raw,
}

impl Encoding {
    /// The encoding a bundle-relative path implies.
    pub(crate) fn of_path(path: &str) -> Encoding {
        if path.ends_with(".jsonl") {
            Encoding::JsonLines
        } else if path.ends_with(".json") {
            Encoding::Json
        } else {
            Encoding::Raw
        }
    }
}

/// Artifact names, the majors this build reads, and their encoding.
pub(crate) const KNOWN: &[(&str, &[u32], Encoding)] = &[
    ("artifact_index", &[1], Encoding::Json),
    ("run_manifest", &[1], Encoding::Json),
    ("stage_records", &[1], Encoding::JsonLines),
    ("verdicts", &[1], Encoding::JsonLines),
    ("mismatches", &[1], Encoding::JsonLines),
    ("oracle_records", &[1], Encoding::JsonLines),
    ("observer_records", &[1], Encoding::JsonLines),
    ("shim_divergence", &[1], Encoding::JsonLines),
    ("vocabulary", &[1], Encoding::Json),
    ("profile_ir", &[1], Encoding::Json),
    ("landlock_plan", &[1], Encoding::Json),
    ("mount_plan", &[1], Encoding::Json),
    ("seccomp_bpf", &[1], Encoding::Raw),
    ("sbpl", &[1], Encoding::Raw),
    ("fidelity", &[1], Encoding::Json),
    ("summary", &[1], Encoding::Json),
    ("summary_md", &[1], Encoding::Raw),
];

/// A parsed `xpr.<name>.v<major>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SchemaVersion {
    pub name: String,
    pub major: u32,
}

impl SchemaVersion {
    /// Parses `xpr.<name>.v<major>`; `None` when the string has another shape.
    pub(crate) fn parse(s: &str) -> Option<SchemaVersion> {
        let rest = s.strip_prefix("xpr.")?;
        let (name, major) = rest.rsplit_once(".v")?;
        let name_ok = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        let major_ok = !major.is_empty() && major.bytes().all(|b| b.is_ascii_digit());
        if !name_ok || !major_ok || (major.len() > 1 && major.starts_with('0')) {
            return None;
        }
        Some(SchemaVersion {
            name: name.to_string(),
            major: major.parse().ok()?,
        })
    }

    /// Whether this build can read the artifact.
    pub(crate) fn is_known(&self) -> bool {
        self.encoding().is_some()
    }

    /// The artifact's encoding, when this build knows the name and major.
    pub(crate) fn encoding(&self) -> Option<Encoding> {
        KNOWN
            .iter()
            .find(|(name, majors, _)| *name == self.name && majors.contains(&self.major))
            .map(|(_, _, encoding)| *encoding)
    }
}

impl fmt::Display for SchemaVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "xpr.{}.v{}", self.name, self.major)
    }
}

/// Why a writer may not use a schema string for a file.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SchemaError {
    #[error("schema version {0:?} is not of the form xpr.<name>.v<major>")]
    Malformed(String),
    #[error("schema {0} is not known to this build (add it to bundle::schema::KNOWN)")]
    Unknown(SchemaVersion),
    #[error(
        "schema {schema} is {known:?}; {path} must be written as that, with a matching extension"
    )]
    Encoding {
        schema: SchemaVersion,
        known: Encoding,
        path: String,
    },
}

/// Checks a schema string a writer is about to use for `path` written as `encoding`, so a
/// typo never reaches an index.
pub(crate) fn check_writable(
    path: &str,
    schema: &str,
    encoding: Encoding,
) -> Result<SchemaVersion, SchemaError> {
    let Some(v) = SchemaVersion::parse(schema) else {
        return Err(SchemaError::Malformed(schema.to_string()));
    };
    match v.encoding() {
        None => Err(SchemaError::Unknown(v)),
        Some(known) if known != encoding || Encoding::of_path(path) != encoding => {
            Err(SchemaError::Encoding {
                schema: v,
                known,
                path: path.to_string(),
            })
        }
        Some(_) => Ok(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses() {
        let v = SchemaVersion::parse("xpr.verdicts.v1").unwrap();
        assert_eq!((v.name.as_str(), v.major), ("verdicts", 1));
        assert!(v.is_known());
        assert!(!SchemaVersion::parse("xpr.verdicts.v2").unwrap().is_known());
        assert!(!SchemaVersion::parse("xpr.new_thing.v1").unwrap().is_known());
        assert!(check_writable("a.json", "xpr.summary.v1", Encoding::Json).is_ok());
        assert!(check_writable("a.md", "xpr.summary.v1", Encoding::Json).is_err());
        assert!(check_writable("a.json", "xpr.sbpl.v1", Encoding::Raw).is_err());
        for bad in [
            "verdicts.v1",
            "xpr.verdicts",
            "xpr..v1",
            "xpr.a.v01",
            "xpr.A.v1",
            "xpr.a.v",
        ] {
            assert_eq!(SchemaVersion::parse(bad), None, "{bad}");
        }
    }
}
