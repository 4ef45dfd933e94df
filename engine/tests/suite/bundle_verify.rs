//! `xpr verify`: every changed, missing or extra file is named; a bundle without a usable
//! index, with an unknown schema major, or left `.partial` by an interrupted run never passes.

use crate::support::Xpr;
use crate::support::bundles::*;
use std::fs;
use std::path::Path;
use xpr::bundle::{self, BundleWriter, Finding, Verification};

fn verify(dir: &Path) -> Verification {
    bundle::open(dir).unwrap().verify()
}

fn fresh() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = write_bundle(tmp.path(), &World { abi: 7 }, &run_id(0, None));
    (tmp, dir)
}

#[test]
fn a_fresh_bundle_verifies_and_indexes_every_file() {
    let (_tmp, dir) = fresh();
    let v = verify(&dir);
    assert!(v.ok(), "{:?}", v.findings);
    let all = files(&dir);
    assert_eq!(
        v.checked,
        all.len() - 1,
        "everything but the index is checked"
    );
    assert!(all.contains(&"artifact_index.json".to_string()));
    // The index path itself opens the same bundle.
    assert!(
        bundle::open(&dir.join("artifact_index.json"))
            .unwrap()
            .verify()
            .ok()
    );
}

/// Byte offsets to tamper with: about 200 spread over the file, first and last included;
/// every byte with `XPR_EXHAUSTIVE=1` (slow in debug builds on a loaded machine).
fn offsets(len: usize) -> Vec<usize> {
    let step = if std::env::var_os("XPR_EXHAUSTIVE").is_some() {
        1
    } else {
        (len / 200).max(1)
    };
    let mut at: Vec<usize> = (0..len).step_by(step).collect();
    if len > 0 && at.last() != Some(&(len - 1)) {
        at.push(len - 1);
    }
    at
}

#[test]
fn flipping_any_byte_of_any_file_fails_and_names_it() {
    let (_tmp, dir) = fresh();
    for rel in files(&dir) {
        let path = dir.join(&rel);
        let original = fs::read(&path).unwrap();
        for at in offsets(original.len()) {
            let mut bytes = original.clone();
            bytes[at] ^= 0x01;
            fs::write(&path, &bytes).unwrap();
            let v = verify(&dir);
            assert!(
                !v.ok(),
                "{rel} byte {at} flipped and still verifies: {}",
                String::from_utf8_lossy(&bytes[at.saturating_sub(40)..(at + 20).min(bytes.len())])
            );
            if rel != "artifact_index.json" {
                assert!(
                    v.findings.iter().any(|f| f.path() == Some(rel.as_str())),
                    "{rel} byte {at}: findings do not name it: {:?}",
                    v.findings
                );
            }
        }
        fs::write(&path, &original).unwrap();
    }
    assert!(verify(&dir).ok());
}

#[test]
fn deleting_any_file_fails_and_names_it() {
    let (_tmp, dir) = fresh();
    for rel in files(&dir) {
        let path = dir.join(&rel);
        let original = fs::read(&path).unwrap();
        fs::remove_file(&path).unwrap();
        let v = verify(&dir);
        let expected = if rel == "artifact_index.json" {
            Finding::IndexMissing
        } else {
            Finding::Missing { path: rel.clone() }
        };
        assert_eq!(v.findings, vec![expected], "{rel}");
        fs::write(&path, &original).unwrap();
    }
}

#[test]
fn adding_a_file_fails_and_names_it() {
    let (_tmp, dir) = fresh();
    for rel in [
        "notes.txt",
        "compiled/extra.sb",
        ".hidden",
        "stages/x/y.jsonl",
    ] {
        let path = dir.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, b"x").unwrap();
        assert_eq!(
            verify(&dir).findings,
            vec![Finding::Extra { path: rel.into() }]
        );
        fs::remove_file(&path).unwrap();
    }
    std::os::unix::fs::symlink("/etc/hosts", dir.join("link")).unwrap();
    assert_eq!(
        verify(&dir).findings,
        vec![Finding::Extra {
            path: "link".into()
        }]
    );
}

fn edit_index(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join("artifact_index.json");
    let mut index: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    edit(&mut index);
    fs::write(&path, serde_json::to_vec_pretty(&index).unwrap()).unwrap();
}

fn only_finding(dir: &Path) -> Finding {
    let v = verify(dir);
    assert_eq!(v.findings.len(), 1, "{:?}", v.findings);
    v.findings.into_iter().next().unwrap()
}

#[test]
fn a_malformed_index_fails() {
    let (_tmp, dir) = fresh();
    let index = dir.join("artifact_index.json");
    let original = fs::read(&index).unwrap();
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: Vec<(&str, Edit)> = vec![
        (
            "no schema",
            Box::new(|v| {
                v.as_object_mut().unwrap().remove("schema_version");
            }),
        ),
        (
            "foreign schema",
            Box::new(|v| v["schema_version"] = "other.artifact_index.v1".into()),
        ),
        (
            "missing field",
            Box::new(|v| {
                v.as_object_mut().unwrap().remove("world_id");
            }),
        ),
        ("unknown field", Box::new(|v| v["extra"] = 1.into())),
        ("bad run id", Box::new(|v| v["run_id"] = "yesterday".into())),
        (
            "escaping path",
            Box::new(|v| v["artifacts"][0]["path"] = "../../etc/passwd".into()),
        ),
        (
            "absolute path",
            Box::new(|v| v["artifacts"][0]["path"] = "/etc/passwd".into()),
        ),
        (
            "bad digest",
            Box::new(|v| v["artifacts"][0]["blake3"] = "xyz".into()),
        ),
        (
            "bad entry schema",
            Box::new(|v| v["artifacts"][0]["schema_version"] = "json".into()),
        ),
        (
            "duplicate entry",
            Box::new(|v| {
                let first = v["artifacts"][0].clone();
                v["artifacts"].as_array_mut().unwrap().insert(0, first);
            }),
        ),
    ];
    for (name, edit) in cases {
        edit_index(&dir, edit);
        assert!(
            matches!(only_finding(&dir), Finding::IndexMalformed { .. }),
            "{name}"
        );
        fs::write(&index, &original).unwrap();
    }
    fs::write(&index, b"{ not json").unwrap();
    assert!(matches!(only_finding(&dir), Finding::IndexMalformed { .. }));
    fs::write(&index, b"").unwrap();
    assert!(matches!(only_finding(&dir), Finding::IndexMalformed { .. }));
}

#[test]
fn an_unknown_schema_major_is_refused() {
    let (_tmp, dir) = fresh();
    edit_index(&dir, |v| {
        v["schema_version"] = "xpr.artifact_index.v2".into()
    });
    assert_eq!(
        only_finding(&dir),
        Finding::UnknownSchema {
            path: "artifact_index.json".into(),
            schema_version: "xpr.artifact_index.v2".into()
        }
    );
    let (_tmp2, dir) = fresh();
    edit_index(&dir, |v| {
        for entry in v["artifacts"].as_array_mut().unwrap() {
            if entry["path"] == "verdicts.jsonl" {
                entry["schema_version"] = "xpr.verdicts.v9".into();
            }
        }
    });
    assert_eq!(
        only_finding(&dir),
        Finding::UnknownSchema {
            path: "verdicts.jsonl".into(),
            schema_version: "xpr.verdicts.v9".into()
        }
    );
    assert!(
        bundle::open(&dir).unwrap().load().is_err(),
        "diff refuses it too"
    );
}

#[test]
fn a_schema_the_file_does_not_carry_is_named() {
    let (_tmp, dir) = fresh();
    edit_index(&dir, |v| {
        for entry in v["artifacts"].as_array_mut().unwrap() {
            if entry["path"] == "vocabulary.json" {
                entry["schema_version"] = "xpr.summary.v1".into();
            }
        }
    });
    assert!(matches!(
        only_finding(&dir),
        Finding::SchemaMismatch { path, .. } if path == "vocabulary.json"
    ));
}

#[test]
fn an_interrupted_run_is_never_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    let world = World { abi: 7 };
    // Killed while writing artifacts: no index.
    let run = run_id(1, None);
    let mut w = BundleWriter::create(tmp.path(), EXPERIMENT, &run).unwrap();
    fill(&mut w, &world, &run);
    let partial = w.partial_dir().to_path_buf();
    std::mem::forget(w); // no Drop, as after SIGKILL
    assert!(
        partial
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .ends_with(".partial")
    );
    let v = verify(&partial);
    assert!(!v.ok());
    assert!(matches!(v.findings[0], Finding::Incomplete { .. }));
    assert!(v.findings.contains(&Finding::IndexMissing));
    // Killed between writing the index and the rename: complete content, wrong place.
    let done = write_bundle(tmp.path(), &world, &run_id(2, None));
    let renamed = done.with_file_name(format!(".{}.partial", run_id(2, None)));
    fs::rename(&done, &renamed).unwrap();
    let v = verify(&renamed);
    assert_eq!(v.findings.len(), 1, "{:?}", v.findings);
    assert!(matches!(v.findings[0], Finding::Incomplete { .. }));
}

#[test]
fn the_cli_exits_0_1_2_and_names_files() {
    let (tmp, dir) = fresh();
    let verify = |path: &Path| Xpr::new().arg("verify").arg(path);
    let ok = verify(&dir).run().success();
    assert!(ok.stdout.starts_with("ok: "));
    verify(&dir.join("artifact_index.json")).run().success();

    fs::write(dir.join("summary.md"), "# edited after the fact\n").unwrap();
    let text = verify(&dir).run().exit(1).stdout;
    assert!(text.starts_with("FAILED: "), "{text}");
    assert!(text.contains("changed     summary.md"), "{text}");
    let report = verify(&dir).args(["--format", "json"]).run().exit(1).json();
    assert_eq!(report["ok"], false);
    assert_eq!(report["findings"][0]["kind"], "changed");
    assert_eq!(report["findings"][0]["path"], "summary.md");

    let missing = tmp.path().join("nope");
    let gone = verify(&missing).run().exit(2);
    assert!(gone.stderr.contains("no such file"));
    verify(&dir.join("summary.md")).run().exit(2);

    // Pointing at the experiment directory fails, with a hint naming its latest run.
    let experiment = dir.parent().unwrap();
    let hint = verify(experiment).run().exit(1).stderr;
    assert!(
        hint.contains("the latest is") && hint.contains(run_id(0, None).as_str()),
        "{hint}"
    );
}
