//! The reader for xpr's own bundles.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::digest::{file_digest, is_blake3_hex};
use super::fidelity::FidelityReport;
use super::index::{ArtifactIndex, is_safe_relative};
use super::layout;
use super::manifest::Closure;
use super::reader::{BundleFormat, BundleReader, LoadError};
use super::run_id::RunId;
use super::schema::{Encoding, SchemaVersion};
use super::verify::{Finding, Verification};
use super::view::{BundleView, flatten_into};
use super::vocabulary::Vocabulary;
use crate::model::VerdictRecord;

pub struct XprBundle {
    root: PathBuf,
}

impl XprBundle {
    pub fn new(root: PathBuf) -> XprBundle {
        XprBundle { root }
    }

    /// Reads and validates the index; `Err` carries the finding that stops verification.
    fn read_index(&self, v: &mut Verification) -> Result<ArtifactIndex, Finding> {
        let bytes = match fs::read(self.root.join(layout::INDEX)) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Finding::IndexMissing);
            }
            Err(e) => {
                return Err(Finding::Unreadable {
                    path: layout::INDEX.to_string(),
                    detail: e.to_string(),
                });
            }
        };
        v.index_blake3 = Some(super::digest::blake3_hex(&bytes));
        let malformed = |detail: String| Finding::IndexMalformed { detail };
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| malformed(format!("artifact_index.json is not JSON: {e}")))?;
        let schema = value
            .get("schema_version")
            .and_then(Value::as_str)
            .ok_or_else(|| malformed("artifact_index.json has no schema_version string".into()))?;
        match SchemaVersion::parse(schema) {
            Some(s) if s.name == "artifact_index" && s.is_known() => {}
            Some(s) if s.name == "artifact_index" => {
                return Err(Finding::UnknownSchema {
                    path: layout::INDEX.to_string(),
                    schema_version: schema.to_string(),
                });
            }
            _ => {
                return Err(malformed(format!(
                    "artifact_index.json has schema_version {schema:?}, not xpr.artifact_index.v<major>"
                )));
            }
        }
        let index: ArtifactIndex = serde_json::from_value(value)
            .map_err(|e| malformed(format!("artifact_index.json: {e}")))?;
        if let Err(e) = RunId::parse(&index.run_id) {
            return Err(malformed(format!("artifact_index.json: {e}")));
        }
        let mut previous: Option<&str> = None;
        for entry in &index.artifacts {
            if !is_safe_relative(&entry.path) || entry.path == layout::INDEX {
                return Err(malformed(format!(
                    "entry path {:?} is not a bundle-relative file path",
                    entry.path
                )));
            }
            if previous.is_some_and(|p| p >= entry.path.as_str()) {
                return Err(malformed(format!(
                    "entries are not sorted by path without duplicates (at {:?})",
                    entry.path
                )));
            }
            previous = Some(&entry.path);
            if !is_blake3_hex(&entry.blake3) {
                return Err(malformed(format!(
                    "entry {:?} has blake3 {:?}, not 64 lowercase hex digits",
                    entry.path, entry.blake3
                )));
            }
            if SchemaVersion::parse(&entry.schema_version).is_none() {
                return Err(malformed(format!(
                    "entry {:?} has schema_version {:?}, not xpr.<name>.v<major>",
                    entry.path, entry.schema_version
                )));
            }
        }
        v.run_id = Some(index.run_id.clone());
        v.world_id = Some(index.world_id.clone());
        Ok(index)
    }

    fn check_manifest(&self, index: &ArtifactIndex, v: &mut Verification) {
        let Ok(manifest) = read_json::<Value>(&self.root, layout::MANIFEST) else {
            return;
        };
        let field = |name: &str| {
            manifest
                .pointer(name)
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let pairs = [
            ("run_id", "/run_id", &index.run_id),
            ("world_id", "/world_id", &index.world_id),
            ("closure.digest", "/closure/digest", &index.closure_digest),
        ];
        for (name, pointer, indexed) in pairs {
            let found = field(pointer).unwrap_or_else(|| "(absent)".to_string());
            if &found != indexed {
                v.findings.push(Finding::ManifestMismatch {
                    field: name.to_string(),
                    index: indexed.clone(),
                    manifest: found,
                });
            }
        }
        if let Some(closure) = manifest
            .get("closure")
            .and_then(|c| serde_json::from_value::<Closure>(c.clone()).ok())
        {
            let recomputed = closure
                .recompute()
                .unwrap_or_else(|| "(bad input digest)".into());
            if recomputed != closure.digest {
                v.findings.push(Finding::ManifestMismatch {
                    field: "closure.inputs".to_string(),
                    index: recomputed,
                    manifest: closure.digest,
                });
            }
        }
    }
}

impl BundleReader for XprBundle {
    fn format(&self) -> BundleFormat {
        BundleFormat::Xpr
    }

    fn root(&self) -> &Path {
        &self.root
    }

    fn verify(&self) -> Verification {
        let mut v = Verification::new(BundleFormat::Xpr);
        if let Some(run) = dir_name(&self.root)
            .as_deref()
            .and_then(layout::partial_run_id)
        {
            v.findings.push(Finding::Incomplete {
                detail: format!(
                    "this is the temporary directory of run {run}, which never committed \
                     (interrupted or still running)"
                ),
            });
        }
        let index = match self.read_index(&mut v) {
            Ok(index) => index,
            Err(finding) => {
                v.findings.push(finding);
                return v;
            }
        };
        let mut manifest_ok = false;
        for entry in &index.artifacts {
            let schema =
                SchemaVersion::parse(&entry.schema_version).expect("checked in read_index");
            let Some(encoding) = schema.encoding() else {
                v.findings.push(Finding::UnknownSchema {
                    path: entry.path.clone(),
                    schema_version: entry.schema_version.clone(),
                });
                continue;
            };
            let path = self.root.join(&entry.path);
            match fs::symlink_metadata(&path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    v.findings.push(Finding::Missing {
                        path: entry.path.clone(),
                    });
                    continue;
                }
                Err(e) => {
                    v.findings.push(unreadable(&entry.path, e));
                    continue;
                }
                Ok(meta) if !meta.file_type().is_file() => {
                    v.findings.push(Finding::NotRegularFile {
                        path: entry.path.clone(),
                    });
                    continue;
                }
                Ok(_) => {}
            }
            let (size, blake3) = match file_digest(&path) {
                Ok(d) => d,
                Err(e) => {
                    v.findings.push(unreadable(&entry.path, e));
                    continue;
                }
            };
            v.checked += 1;
            if size != entry.size || blake3 != entry.blake3 {
                v.findings.push(Finding::Changed {
                    path: entry.path.clone(),
                    expected_size: entry.size,
                    actual_size: size,
                    expected_blake3: entry.blake3.clone(),
                    actual_blake3: blake3,
                });
                continue;
            }
            let before = v.findings.len();
            if Encoding::of_path(&entry.path) != encoding {
                v.findings.push(Finding::SchemaMismatch {
                    path: entry.path.clone(),
                    line: None,
                    expected: entry.schema_version.clone(),
                    found: format!("a {:?} file", Encoding::of_path(&entry.path)),
                });
            } else {
                check_embedded_schema(&path, &entry.path, &entry.schema_version, &mut v.findings);
            }
            if entry.path == layout::MANIFEST && v.findings.len() == before {
                manifest_ok = true;
            }
        }
        if manifest_ok {
            self.check_manifest(&index, &mut v);
        }
        let indexed: BTreeSet<&str> = index.artifacts.iter().map(|e| e.path.as_str()).collect();
        let mut extras = Vec::new();
        walk(&self.root, &self.root, &mut extras);
        extras.sort();
        for rel in extras {
            if rel != layout::INDEX && !indexed.contains(rel.as_str()) {
                v.findings.push(Finding::Extra { path: rel });
            }
        }
        v
    }

    fn load(&self) -> Result<BundleView, LoadError> {
        let verification = self.verify();
        if let Some(first) = verification.findings.first() {
            return Err(LoadError::Unverified {
                findings: verification.findings.len(),
                first: first.to_string(),
            });
        }
        let index: ArtifactIndex = read_json(&self.root, layout::INDEX)?;
        let mut facts = BTreeMap::new();
        let mut inputs = BTreeMap::new();
        if index.artifacts.iter().any(|e| e.path == layout::MANIFEST) {
            let manifest: Value = read_json(&self.root, layout::MANIFEST)?;
            for key in [
                "experiment",
                "world",
                "harness",
                "engine",
                "lanes",
                "isolation",
            ] {
                if let Some(value) = manifest.get(key) {
                    let mut value = value.clone();
                    // Harness identity is compared once, under `harness.*`, even when the
                    // runner also nests it in the world facts.
                    if key == "world"
                        && let Some(map) = value.as_object_mut()
                    {
                        map.remove("harness");
                    }
                    flatten_into(key, &value, &mut facts);
                }
            }
            if let Some(closure) = manifest.get("closure") {
                let closure: Closure = serde_json::from_value(closure.clone())
                    .map_err(|e| artifact_error(layout::MANIFEST, format!("closure: {e}")))?;
                for input in closure.inputs {
                    inputs.insert(input.path, input.blake3);
                }
            }
        }
        let mut expectations = BTreeMap::new();
        if index.artifacts.iter().any(|e| e.path == layout::VERDICTS) {
            for (n, record) in read_jsonl::<VerdictRecord>(&self.root, layout::VERDICTS)?
                .into_iter()
                .enumerate()
            {
                let id = record.id.clone();
                if expectations.insert(id.clone(), record).is_some() {
                    return Err(artifact_error(
                        layout::VERDICTS,
                        format!("line {}: expectation id {id:?} appears twice", n + 1),
                    ));
                }
            }
        }
        let vocabulary = match index.artifacts.iter().any(|e| e.path == layout::VOCABULARY) {
            true => Some(read_json::<Vocabulary>(&self.root, layout::VOCABULARY)?),
            false => None,
        };
        let mut fidelity = BTreeMap::new();
        let mut artifacts = BTreeMap::new();
        for entry in &index.artifacts {
            if entry.path.starts_with("compiled/") && entry.path.ends_with(".fidelity.json") {
                let report: FidelityReport = read_json(&self.root, &entry.path)?;
                fidelity.insert(report.profile.clone(), report);
            }
            if entry.path != layout::MANIFEST {
                artifacts.insert(entry.path.clone(), entry.blake3.clone());
            }
        }
        Ok(BundleView {
            format: BundleFormat::Xpr,
            run_id: index.run_id,
            world_id: index.world_id,
            facts,
            inputs,
            expectations,
            foreign: BTreeMap::new(),
            vocabulary,
            fidelity,
            artifacts,
            digest_algorithm: "blake3",
        })
    }
}

fn dir_name(path: &Path) -> Option<String> {
    let canonical = fs::canonicalize(path).ok()?;
    canonical.file_name()?.to_str().map(str::to_string)
}

fn unreadable(path: &str, e: std::io::Error) -> Finding {
    Finding::Unreadable {
        path: path.to_string(),
        detail: e.to_string(),
    }
}

fn artifact_error(path: &str, detail: String) -> LoadError {
    LoadError::Artifact {
        path: path.to_string(),
        detail,
    }
}

fn read_json<T: DeserializeOwned>(root: &Path, rel: &str) -> Result<T, LoadError> {
    let bytes = fs::read(root.join(rel)).map_err(|e| artifact_error(rel, e.to_string()))?;
    serde_json::from_slice(&bytes).map_err(|e| artifact_error(rel, e.to_string()))
}

fn read_jsonl<T: DeserializeOwned>(root: &Path, rel: &str) -> Result<Vec<T>, LoadError> {
    let file = fs::File::open(root.join(rel)).map_err(|e| artifact_error(rel, e.to_string()))?;
    let mut out = Vec::new();
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| artifact_error(rel, e.to_string()))?;
        let record = serde_json::from_str(&line)
            .map_err(|e| artifact_error(rel, format!("line {}: {e}", n + 1)))?;
        out.push(record);
    }
    Ok(out)
}

/// JSON artifacts carry their schema at the top level, JSON Lines on every line; both must
/// match what the index says.
fn check_embedded_schema(path: &Path, rel: &str, expected: &str, findings: &mut Vec<Finding>) {
    let mismatch = |line: Option<usize>, found: String| Finding::SchemaMismatch {
        path: rel.to_string(),
        line,
        expected: expected.to_string(),
        found,
    };
    let embedded = |value: &Value| {
        value
            .get("schema_version")
            .and_then(Value::as_str)
            .map_or_else(|| "no schema_version".to_string(), str::to_string)
    };
    if rel.ends_with(".json") {
        match fs::read(path).map(|b| serde_json::from_slice::<Value>(&b)) {
            Ok(Ok(value)) => {
                let found = embedded(&value);
                if found != expected {
                    findings.push(mismatch(None, found));
                }
            }
            Ok(Err(e)) => findings.push(mismatch(None, format!("invalid JSON ({e})"))),
            Err(e) => findings.push(unreadable(rel, e)),
        }
    } else if rel.ends_with(".jsonl") {
        let file = match fs::File::open(path) {
            Ok(f) => f,
            Err(e) => return findings.push(unreadable(rel, e)),
        };
        for (n, line) in BufReader::new(file).lines().enumerate() {
            let found = match line {
                Ok(line) => match serde_json::from_str::<Value>(&line) {
                    Ok(value) => embedded(&value),
                    Err(e) => format!("invalid JSON ({e})"),
                },
                Err(e) => format!("unreadable ({e})"),
            };
            if found != expected {
                // One finding per file is enough to name it.
                return findings.push(mismatch(Some(n + 1), found));
            }
        }
    }
}

/// Every non-directory entry under `dir` (symlinks included, never followed), relative.
fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(root, &path, out),
            _ => {
                if let Ok(rel) = path.strip_prefix(root) {
                    out.push(rel.to_string_lossy().into_owned());
                }
            }
        }
    }
}
