//! The reader for xpr's own bundles.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::digest::is_blake3_hex;
use super::dir::{BundleDir, ListedKind};
use super::fidelity::FidelityReport;
use super::format::{BundleFormat, BundleReader, LoadError};
use super::index::{ArtifactIndex, is_safe_relative};
use super::layout;
use super::manifest::Closure;
use super::run_id::RunId;
use super::schema::{Encoding, SchemaVersion};
use super::verification::{Finding, Verification};
use super::view::{BundleView, flatten_into};
use super::world_vocabulary::Vocabulary;
use crate::model::VerdictRecord;
use crate::sys::input::InputError;

pub(crate) struct XprBundle {
    dir: BundleDir,
}

impl XprBundle {
    pub(crate) fn new(dir: BundleDir) -> XprBundle {
        XprBundle { dir }
    }

    /// Reads and validates the index; `Err` carries the finding that stops verification.
    fn read_index(&self, v: &mut Verification) -> Result<ArtifactIndex, Finding> {
        let bytes = match self.dir.read(layout::INDEX) {
            Ok(bytes) => bytes,
            Err(InputError::NotFound) => return Err(Finding::IndexMissing),
            Err(e) => return Err(unreadable(layout::INDEX, e)),
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
        if index.world_id.contains(char::is_control) {
            return Err(malformed(format!(
                "artifact_index.json: world_id {:?} has control characters",
                index.world_id
            )));
        }
        v.run_id = Some(index.run_id.clone());
        v.world_id = Some(index.world_id.clone());
        Ok(index)
    }

    fn check_manifest(&self, index: &ArtifactIndex, v: &mut Verification) {
        let Ok(manifest) = read_json::<Value>(&self.dir, layout::MANIFEST) else {
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

    fn dir(&self) -> &BundleDir {
        &self.dir
    }

    fn verify(&self) -> Verification {
        let mut v = Verification::new(BundleFormat::Xpr);
        if let Some(run) = dir_name(self.dir.root())
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
            let mut hasher = blake3::Hasher::new();
            let size = match self.dir.stream(&entry.path, |chunk| {
                hasher.update(chunk);
            }) {
                Ok(size) => size,
                Err(InputError::NotFound) => {
                    v.findings.push(Finding::Missing {
                        path: entry.path.clone(),
                    });
                    continue;
                }
                // A directory, FIFO, device, or a path through a symlink: never read.
                Err(InputError::NotRegular(_) | InputError::Symlink(_)) => {
                    v.findings.push(Finding::NotRegularFile {
                        path: entry.path.clone(),
                    });
                    continue;
                }
                Err(e) => {
                    v.findings.push(unreadable(&entry.path, e));
                    continue;
                }
            };
            let blake3 = hasher.finalize().to_hex().to_string();
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
                check_embedded_schema(
                    &self.dir,
                    &entry.path,
                    &entry.schema_version,
                    &mut v.findings,
                );
            }
            if entry.path == layout::MANIFEST && v.findings.len() == before {
                manifest_ok = true;
            }
        }
        if manifest_ok {
            self.check_manifest(&index, &mut v);
        }
        let indexed: BTreeSet<&str> = index.artifacts.iter().map(|e| e.path.as_str()).collect();
        match self.dir.files() {
            Ok(files) => {
                for listed in files {
                    if listed.path == layout::INDEX && listed.kind == ListedKind::File {
                        continue;
                    }
                    if !indexed.contains(listed.path.as_str()) {
                        v.findings.push(Finding::Extra { path: listed.path });
                    }
                }
            }
            Err(e) => v.findings.push(unreadable(".", e)),
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
        let index: ArtifactIndex = read_json(&self.dir, layout::INDEX)?;
        let mut facts = BTreeMap::new();
        let mut inputs = BTreeMap::new();
        if index.artifacts.iter().any(|e| e.path == layout::MANIFEST) {
            let manifest: Value = read_json(&self.dir, layout::MANIFEST)?;
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
            for (n, record) in read_jsonl::<VerdictRecord>(&self.dir, layout::VERDICTS)?
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
            true => Some(read_json::<Vocabulary>(&self.dir, layout::VOCABULARY)?),
            false => None,
        };
        let mut fidelity = BTreeMap::new();
        let mut artifacts = BTreeMap::new();
        for entry in &index.artifacts {
            if entry.path.starts_with("compiled/") && entry.path.ends_with(".fidelity.json") {
                let report: FidelityReport = read_json(&self.dir, &entry.path)?;
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
    let canonical = std::fs::canonicalize(path).ok()?;
    canonical.file_name()?.to_str().map(str::to_string)
}

fn unreadable(path: &str, e: InputError) -> Finding {
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

fn read_json<T: DeserializeOwned>(dir: &BundleDir, rel: &str) -> Result<T, LoadError> {
    dir.read_json(rel)
        .map_err(|e| artifact_error(rel, e.to_string()))
}

fn read_jsonl<T: DeserializeOwned>(dir: &BundleDir, rel: &str) -> Result<Vec<T>, LoadError> {
    let bytes = dir
        .read(rel)
        .map_err(|e| artifact_error(rel, e.to_string()))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| artifact_error(rel, e.to_string()))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let record = serde_json::from_str(line)
            .map_err(|e| artifact_error(rel, format!("line {}: {e}", n + 1)))?;
        out.push(record);
    }
    Ok(out)
}

/// JSON artifacts carry their schema at the top level, JSON Lines on every line; both must
/// match what the index says.
fn check_embedded_schema(dir: &BundleDir, rel: &str, expected: &str, findings: &mut Vec<Finding>) {
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
    if !rel.ends_with(".json") && !rel.ends_with(".jsonl") {
        return;
    }
    let bytes = match dir.read(rel) {
        Ok(bytes) => bytes,
        Err(e) => return findings.push(unreadable(rel, e)),
    };
    if rel.ends_with(".json") {
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(value) => {
                let found = embedded(&value);
                if found != expected {
                    findings.push(mismatch(None, found));
                }
            }
            Err(e) => findings.push(mismatch(None, format!("invalid JSON ({e})"))),
        }
        return;
    }
    let body = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
    if body.is_empty() {
        return;
    }
    for (n, line) in body.split(|b| *b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let found = match serde_json::from_slice::<Value>(line) {
            Ok(value) => embedded(&value),
            Err(e) => format!("invalid JSON ({e})"),
        };
        if found != expected {
            // One finding per file is enough to name it.
            return findings.push(mismatch(Some(n + 1), found));
        }
    }
}
