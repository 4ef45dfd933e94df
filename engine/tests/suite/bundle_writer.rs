//! `BundleWriter`: canonical, deterministic, write-once artifacts; no host paths; nothing
//! looks complete before `commit`; stale partial directories are cleaned.

use std::fs;
use std::io::ErrorKind;

use crate::support::bundles::*;
use serde_json::json;
use xpr::bundle::layout::{self, schema};
use xpr::bundle::path_guard::PathGuard;
use xpr::bundle::{self, BundleWriter, IndexMeta};
use xpr::model::Lane;

#[test]
fn two_runs_differ_only_in_manifest_and_index() {
    let tmp = tempfile::tempdir().unwrap();
    let world = World { abi: 7 };
    let a = write_bundle(tmp.path(), &world, &run_id(0, None));
    let b = write_bundle(tmp.path(), &world, &run_id(1, Some("again")));
    assert_eq!(files(&a), files(&b));
    for rel in files(&a) {
        let same = fs::read(a.join(&rel)).unwrap() == fs::read(b.join(&rel)).unwrap();
        let volatile = rel == layout::MANIFEST || rel == layout::INDEX;
        assert_eq!(same, !volatile, "{rel}");
    }
    assert_eq!(a.parent(), b.parent());
    assert_eq!(a.parent().unwrap().file_name().unwrap(), EXPERIMENT);
}

#[test]
fn artifacts_are_canonical_json_with_schema_versions() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = write_bundle(tmp.path(), &World { abi: 7 }, &run_id(0, None));
    let index: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join(layout::INDEX)).unwrap()).unwrap();
    assert_eq!(index["schema_version"], "xpr.artifact_index.v1");
    let paths: Vec<&str> = index["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    let manifest = fs::read_to_string(dir.join(layout::MANIFEST)).unwrap();
    assert!(manifest.ends_with("}\n"));
    let value: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    assert_eq!(value["schema_version"], "xpr.run_manifest.v1");
    assert_eq!(
        manifest,
        format!("{}\n", serde_json::to_string_pretty(&value).unwrap())
    );
    let verdicts = fs::read_to_string(dir.join(layout::VERDICTS)).unwrap();
    for line in verdicts.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["schema_version"], "xpr.verdicts.v1");
        assert_eq!(
            line,
            serde_json::to_string(&v).unwrap(),
            "sorted keys, compact"
        );
    }
}

#[test]
fn no_absolute_host_path_reaches_an_artifact() {
    let tmp = tempfile::tempdir().unwrap();
    let scratch = tmp.path().join("scratch-7f3a");
    let scratch = scratch.to_str().unwrap();
    let temp_root = std::env::temp_dir();
    let repo = env!("CARGO_MANIFEST_DIR");
    let guard = PathGuard::new()
        .substitute(scratch, "{scratch}")
        .forbid(temp_root.to_str().unwrap())
        .forbid(tmp.path().to_str().unwrap())
        .forbid(repo);
    let world = World { abi: 7 };
    let run = run_id(0, None);
    let mut w = BundleWriter::create(tmp.path(), EXPERIMENT, &run).unwrap();
    w.set_path_guard(guard.clone());
    let manifest = fill(&mut w, &world, &run);
    // A driver detail mentioning the real scratch root is rewritten, not leaked.
    let mut record = stage_record(&world, Lane::Scenario, Some("no_write"), "write-foo");
    record.detail = Some(format!("open {scratch}/foo: EACCES"));
    w.write_jsonl("stages/observer.jsonl", schema::STAGE_RECORDS, [&record])
        .unwrap();
    w.write_text(
        "compiled/extra.sb",
        schema::SBPL,
        &format!("(allow file-read* (subpath \"{scratch}\"))\n"),
    )
    .unwrap();
    // Anything else under the repository or the temp root is refused, naming the artifact.
    for (rel, content) in [
        ("summary2.json", json!({"cwd": repo})),
        ("summary3.json", json!({"t": temp_root})),
    ] {
        let err = w.write_json(rel, schema::SUMMARY, &content).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        assert!(err.to_string().contains(rel), "{err}");
    }
    let err = w
        .write_bytes(
            "compiled/x.seccomp.bpf",
            schema::SECCOMP_BPF,
            format!("\0{scratch}/a\0").as_bytes(),
        )
        .unwrap_err();
    assert!(err.to_string().contains("compiled/x.seccomp.bpf"), "{err}");
    let dir = w
        .commit(IndexMeta {
            run_id: run.clone(),
            world_id: world.world_id(),
            closure_digest: manifest.closure.digest,
        })
        .unwrap();
    assert!(bundle::open(&dir).unwrap().verify().ok());
    let observer = fs::read_to_string(dir.join("stages/observer.jsonl")).unwrap();
    assert!(
        observer.contains("open {scratch}/foo: EACCES"),
        "{observer}"
    );
    // The check: grep the bundle for the temp root and the repository path.
    for rel in files(&dir) {
        let text = String::from_utf8_lossy(&fs::read(dir.join(&rel)).unwrap()).into_owned();
        for needle in [temp_root.to_str().unwrap(), repo, scratch] {
            assert!(!text.contains(needle), "{rel} contains {needle}");
        }
    }
}

#[test]
fn bad_writes_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let run = run_id(0, None);
    let mut w = BundleWriter::create(tmp.path(), EXPERIMENT, &run).unwrap();
    let value = json!({"a": 1});
    for rel in [
        "../escape.json",
        "/abs.json",
        "a//b.json",
        ".hidden.json",
        "artifact_index.json",
    ] {
        let err = w.write_json(rel, schema::SUMMARY, &value).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{rel}");
    }
    for schema in [
        "summary",
        "xpr.summary.v2",
        "xpr.unheard_of.v1",
        "xpr.sbpl.v1",
    ] {
        let err = w.write_json("s.json", schema, &value).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{schema}: {err}");
    }
    assert!(
        w.write_text("summary.json", schema::SUMMARY, "{}").is_err(),
        "JSON goes through write_json"
    );
    assert!(
        w.write_json("list.json", schema::SUMMARY, &[1, 2]).is_err(),
        "not an object"
    );
    assert!(
        w.write_json(
            "s.json",
            schema::SUMMARY,
            &json!({"schema_version": "xpr.other.v1"})
        )
        .is_err()
    );
    w.write_json("s.json", schema::SUMMARY, &value).unwrap();
    let again = w.write_json("s.json", schema::SUMMARY, &value).unwrap_err();
    assert_eq!(again.kind(), ErrorKind::AlreadyExists);
    assert!(
        w.write_jsonl("v.jsonl", schema::VERDICTS, [json!(1)])
            .is_err()
    );
    // A file slipped in behind the writer makes commit fail rather than index a partial view.
    fs::write(w.partial_dir().join("sneaky.txt"), b"x").unwrap();
    let partial = w.partial_dir().to_path_buf();
    let meta = IndexMeta {
        run_id: run.clone(),
        world_id: "w".into(),
        closure_digest: "c".into(),
    };
    let err = w.commit(meta).unwrap_err();
    assert!(err.to_string().contains("sneaky.txt"), "{err}");
    assert!(!partial.exists(), "a failed writer leaves nothing behind");
    assert!(!tmp.path().join(EXPERIMENT).join(run.as_str()).exists());
    assert!(BundleWriter::create(tmp.path(), "../up", &run).is_err());
    assert!(BundleWriter::create(tmp.path(), ".hidden", &run).is_err());
}

#[test]
fn a_run_id_is_never_reused() {
    let tmp = tempfile::tempdir().unwrap();
    let run = run_id(0, None);
    write_bundle(tmp.path(), &World { abi: 7 }, &run);
    let err = BundleWriter::create(tmp.path(), EXPERIMENT, &run)
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
}

#[test]
fn stale_partials_are_cleaned_live_ones_are_not() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = tmp.path().join(EXPERIMENT);
    // What SIGKILL leaves: a partial directory nobody holds a lock on.
    let stale = exp.join(format!(".{}.partial", run_id(0, None)));
    fs::create_dir_all(stale.join("compiled")).unwrap();
    fs::write(stale.join("compiled/a.sb"), b"(version 1)").unwrap();
    // A run still in progress (its writer alive, lock held).
    let live_run = run_id(1, None);
    let live = BundleWriter::create(tmp.path(), EXPERIMENT, &live_run).unwrap();
    assert!(
        !stale.exists(),
        "the next run of the experiment removes the stale partial"
    );
    let live_dir = live.partial_dir().to_path_buf();
    let done = write_bundle(tmp.path(), &World { abi: 7 }, &run_id(2, None));
    assert!(
        live_dir.exists(),
        "a partial directory whose run is alive is left alone"
    );
    assert!(done.exists());
    drop(live);
    assert!(
        !live_dir.exists(),
        "an uncommitted writer removes its directory when dropped"
    );
}
