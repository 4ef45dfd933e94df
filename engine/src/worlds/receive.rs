//! The host's side of a guest's bundle: everything the guest returned is untrusted. The
//! decoded files are staged in a private directory (names checked, no symlinks, created
//! new), verified with the normal bundle verifier, checked against what the host asked for
//! (run id, experiment, world facts, the inputs the host loaded), and only then copied under
//! `out/` through the normal [`BundleWriter`], which commits it like any other bundle.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use crate::bundle::index::is_safe_relative;
use crate::bundle::{self, ArtifactIndex, BundleWriter, IndexMeta, Manifest, RunId, layout};
use crate::sys::fs::{Dir, FsError};
use crate::world::{VmWorld, WorldFacts};

/// Why a returned bundle was refused. Nothing of it is committed. The system's and the
/// reader's errors are kept as they came (errno included).
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReceiveError {
    #[error("{}: {error}", path.display())]
    Stage { path: PathBuf, error: io::Error },
    #[error("{0}")]
    StageBeneath(FsError),
    #[error("the guest returned a file with an unsafe name {0:?}")]
    UnsafeName(String),
    #[error("the returned bundle: {0}")]
    Open(bundle::OpenError),
    /// The first findings of the verifier, as it prints them.
    #[error("the returned bundle does not verify: {}", .0.join("; "))]
    DoesNotVerify(Vec<String>),
    #[error("no {0}")]
    Missing(&'static str),
    #[error("{name}: {error}")]
    Json {
        name: &'static str,
        error: serde_json::Error,
    },
    /// Verifies on its own, but is not what the host asked for (the text says how).
    #[error("{0}")]
    NotAskedFor(String),
    #[error("cannot write under {}: {error}", out_root.display())]
    Create { out_root: PathBuf, error: io::Error },
    #[error("copying {path}: {error}")]
    Copy { path: String, error: io::Error },
    #[error("committing the bundle: {0}")]
    Commit(io::Error),
    #[error("{0}")]
    ReadBack(io::Error),
    #[error("{} differs from the verified index; do not trust it", .0.display())]
    Changed(PathBuf),
}

/// What the host asked for, to hold the returned bundle against.
pub(crate) struct Expected<'a> {
    pub run_id: &'a RunId,
    pub experiment: &'a str,
    pub vm: &'a VmWorld,
    /// `(path, blake3)` closure inputs the host knows: its experiment's sources and its
    /// own binary as `probe-helper`.
    pub inputs: &'a [(String, String)],
}

/// Stages, verifies and commits; the committed bundle's directory.
pub(crate) fn commit(
    files: &BTreeMap<String, Vec<u8>>,
    expected: &Expected<'_>,
    stage: &Path,
    out_root: &Path,
) -> Result<PathBuf, ReceiveError> {
    stage_files(files, stage)?;
    let reader = bundle::open(stage).map_err(ReceiveError::Open)?;
    let verification = reader.verify();
    if !verification.ok() {
        let findings: Vec<String> = verification
            .findings
            .iter()
            .take(5)
            .map(|f| format!("{f:?}"))
            .collect();
        return Err(ReceiveError::DoesNotVerify(findings));
    }
    let index: ArtifactIndex = json(files, layout::INDEX)?;
    let manifest: Manifest = json(files, layout::MANIFEST)?;
    check(&index, &manifest, expected)?;
    let mut writer =
        BundleWriter::create(out_root, expected.experiment, expected.run_id).map_err(|error| {
            ReceiveError::Create {
                out_root: out_root.to_path_buf(),
                error,
            }
        })?;
    for entry in &index.artifacts {
        writer
            .write_verified(&entry.path, &entry.schema_version, &files[&entry.path])
            .map_err(|error| ReceiveError::Copy {
                path: entry.path.clone(),
                error,
            })?;
    }
    let dir = writer
        .commit(IndexMeta {
            run_id: expected.run_id.clone(),
            world_id: index.world_id.clone(),
            closure_digest: index.closure_digest.clone(),
        })
        .map_err(ReceiveError::Commit)?;
    let committed = fs::read(dir.join(layout::INDEX)).map_err(ReceiveError::ReadBack)?;
    if committed != files[layout::INDEX] {
        return Err(ReceiveError::Changed(dir));
    }
    // `latest` as for a host run; the bundle is complete without it.
    if let Err(e) =
        crate::bundle::writer::point_latest(out_root, expected.experiment, expected.run_id)
    {
        eprintln!("warning: {}: {e}", layout::LATEST);
    }
    Ok(dir)
}

fn json<T: serde::de::DeserializeOwned>(
    files: &BTreeMap<String, Vec<u8>>,
    name: &'static str,
) -> Result<T, ReceiveError> {
    let bytes = files.get(name).ok_or(ReceiveError::Missing(name))?;
    serde_json::from_slice(bytes).map_err(|error| ReceiveError::Json { name, error })
}

fn check(
    index: &ArtifactIndex,
    manifest: &Manifest,
    expected: &Expected<'_>,
) -> Result<(), ReceiveError> {
    if index.run_id != expected.run_id.as_str() {
        return Err(ReceiveError::NotAskedFor(format!(
            "the bundle's run id {} is not the one the host chose ({})",
            index.run_id, expected.run_id
        )));
    }
    if manifest.experiment != expected.experiment {
        return Err(ReceiveError::NotAskedFor(format!(
            "the bundle is of experiment {:?}, not {:?}",
            manifest.experiment, expected.experiment
        )));
    }
    let facts: WorldFacts =
        serde_json::from_value(manifest.world.clone()).map_err(|error| ReceiveError::Json {
            name: "the manifest's world facts",
            error,
        })?;
    if facts.vm.as_ref() != Some(expected.vm) {
        return Err(ReceiveError::NotAskedFor(
            "the bundle's world facts do not describe the world the host booted".into(),
        ));
    }
    if facts.compute_world_id() != index.world_id {
        return Err(ReceiveError::NotAskedFor(format!(
            "the bundle's world id {} is not the one its world facts hash to",
            index.world_id
        )));
    }
    for (path, digest) in expected.inputs {
        let found = manifest.closure.inputs.iter().find(|i| &i.path == path);
        if found.map(|i| &i.blake3) != Some(digest) {
            return Err(ReceiveError::NotAskedFor(format!(
                "the guest ran a different {path} than the host loaded"
            )));
        }
    }
    Ok(())
}

/// Writes each file new beneath `stage` (a fresh private directory, held open), refusing
/// unsafe names; nothing is ever opened through a symlink.
fn stage_files(files: &BTreeMap<String, Vec<u8>>, stage: &Path) -> Result<(), ReceiveError> {
    fs::DirBuilder::new()
        .mode(0o700)
        .create(stage)
        .map_err(|error| ReceiveError::Stage {
            path: stage.to_path_buf(),
            error,
        })?;
    let root = Dir::open_nofollow(stage).map_err(ReceiveError::StageBeneath)?;
    for (rel, bytes) in files {
        if !is_safe_relative(rel) || rel.split('/').count() > 8 {
            return Err(ReceiveError::UnsafeName(rel.clone()));
        }
        let rel = Path::new(rel);
        let parent = match rel.parent() {
            Some(p) if !p.as_os_str().is_empty() => root
                .create_dir_all(p, 0o700)
                .map_err(ReceiveError::StageBeneath)?,
            _ => root
                .open_dir(Path::new("."))
                .map_err(ReceiveError::StageBeneath)?,
        };
        let name = Path::new(rel.file_name().unwrap_or_default());
        let mut file = parent
            .create_file(name, 0o600)
            .map_err(ReceiveError::StageBeneath)?;
        file.write_all(bytes).map_err(|error| ReceiveError::Stage {
            path: rel.to_path_buf(),
            error,
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::layout::schema;

    /// A small committed bundle's files, read back as a guest would send them.
    fn sent(run_id: &RunId) -> BTreeMap<String, Vec<u8>> {
        let out = tempfile::tempdir().unwrap();
        let mut w = BundleWriter::create(out.path(), "exp", run_id).unwrap();
        w.write_text(layout::SUMMARY_MD, schema::SUMMARY_MD, "# exp\n")
            .unwrap();
        let dir = w
            .commit(IndexMeta {
                run_id: run_id.clone(),
                world_id: "linux-x".into(),
                closure_digest: "0".repeat(64),
            })
            .unwrap();
        [layout::SUMMARY_MD, layout::INDEX]
            .iter()
            .map(|f| (f.to_string(), fs::read(dir.join(f)).unwrap()))
            .collect()
    }

    fn vm() -> VmWorld {
        VmWorld {
            name: "w".into(),
            kernel_source: "image".into(),
            kernel_package: "vmlinuz".into(),
            kernel_version: "1".into(),
            kernel_sha256: "0".repeat(64),
            suite: String::new(),
            mirror: String::new(),
            modules: Vec::new(),
            userland: String::new(),
        }
    }

    fn try_commit(files: &BTreeMap<String, Vec<u8>>) -> Result<PathBuf, String> {
        let run_id = RunId::new(None).unwrap();
        let (vm, inputs) = (vm(), Vec::new());
        let tmp = tempfile::tempdir().unwrap();
        let expected = Expected {
            run_id: &run_id,
            experiment: "exp",
            vm: &vm,
            inputs: &inputs,
        };
        let out = tmp.path().join("out");
        let result =
            commit(files, &expected, &tmp.path().join("stage"), &out).map_err(|e| e.to_string());
        // Nothing is ever committed from a refused bundle.
        if result.is_err() {
            assert!(
                !out.join("exp").exists()
                    || fs::read_dir(out.join("exp")).unwrap().next().is_none()
            );
        }
        result
    }

    #[test]
    fn a_tampered_file_does_not_verify() {
        let mut files = sent(&RunId::new(None).unwrap());
        files.insert(layout::SUMMARY_MD.into(), b"# forged\n".to_vec());
        let e = try_commit(&files).unwrap_err();
        assert!(e.contains("does not verify"), "{e}");
    }

    #[test]
    fn unsafe_names_are_refused_before_anything_is_written() {
        for name in ["../escape", ".hidden", "a/../../b", "/abs", "a//b"] {
            let mut files = sent(&RunId::new(None).unwrap());
            files.insert(name.into(), b"x".to_vec());
            let e = try_commit(&files).unwrap_err();
            assert!(e.contains("unsafe name"), "{name}: {e}");
        }
    }

    #[test]
    fn a_bundle_of_another_run_is_refused() {
        // Verifies on its own, but is not the run the host asked for (other run id, no
        // manifest): never committed.
        let files = sent(&RunId::new(Some("other")).unwrap());
        let e = try_commit(&files).unwrap_err();
        assert!(
            e.contains("no run_manifest.json") || e.contains("run id"),
            "{e}"
        );
    }
}
