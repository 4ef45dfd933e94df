//! The three real runtime-tools bundles in ../shared/lore-bundles: verify, the stale-hash
//! state, the diff of two runs of one suite, and import --to-kdl.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use xpr::bundle::BundleView;
use xpr::bundle::runtime_tools::{self, RuntimeToolsBundle, flags, to_kdl};
use xpr::diff::{Aspect, Status, VocabularyKind};

use crate::support::Xpr;

const AFM: &str = "anchor-filter-map__cdebc3c2-f0a3-4d35-8f4c-cea54a816292";
const MNE_FIRST: &str = "mach-name-equivalence__2a2dc2fc-f1b2-4a0a-a178-32a22f6c1029";
const MNE_LATER: &str = "mach-name-equivalence__00780685-36a4-4282-b5fc-2125b60d2d89";

fn shared() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    assert!(
        dir.join("lore-bundles").is_dir(),
        "test input missing: {} must hold lore-bundles/ (symlink the shared folder next to the worktree)",
        dir.display()
    );
    dir
}

fn bundle(name: &str) -> PathBuf {
    shared().join("lore-bundles").join(name)
}

/// A bundle through the reader interface every format shares (verifies first).
fn load(path: &Path) -> BundleView {
    xpr::bundle::open(path).unwrap().load().unwrap()
}

/// A writable copy of a bundle in a temp dir.
fn copy_bundle(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join(name);
    std::fs::create_dir(&dst).unwrap();
    for entry in std::fs::read_dir(bundle(name)).unwrap() {
        let entry = entry.unwrap();
        let bytes = std::fs::read(entry.path()).unwrap();
        std::fs::write(dst.join(entry.file_name()), bytes).unwrap();
    }
    (tmp, dst)
}

#[test]
fn all_three_bundles_verify() {
    crate::require_shared!("lore-bundles");
    for name in [AFM, MNE_FIRST, MNE_LATER] {
        let path = bundle(name);
        assert!(runtime_tools::is_runtime_tools(&path), "{name}");
        let report = runtime_tools::verify(&path).unwrap();
        assert!(report.ok(), "{name}: {report:?}");
        assert_eq!(report.format, "runtime-tools");
        let stdout = Xpr::new()
            .args(["verify", path.to_str().unwrap()])
            .run()
            .success()
            .stdout;
        assert!(stdout.starts_with("ok: "), "{stdout}");
        assert!(stdout.contains(": runtime-tools bundle (run "), "{stdout}");
        // The report of the format's own verifier says the same.
        assert!(
            report
                .render_text(name)
                .contains("artifacts verified (sha256)")
        );
    }
    // The index file itself is accepted as the bundle path too.
    let index = bundle(AFM).join("artifact_index.json");
    Xpr::new()
        .args(["verify", index.to_str().unwrap()])
        .run()
        .success();
}

#[test]
fn stale_hash_state_is_caught_with_the_files_named() {
    crate::require_shared!("lore-bundles");
    for name in [AFM, MNE_FIRST, MNE_LATER] {
        // README caveat 1: the world_id rewrite, same length, hashes left stale.
        let (_tmp, dir) = copy_bundle(name);
        let mut rewritten = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            if text.contains("2c0602c5") {
                std::fs::write(&path, text.replace("2c0602c5", "a3a840f9")).unwrap();
                let file = path.file_name().unwrap().to_string_lossy().into_owned();
                if file != "artifact_index.json" {
                    rewritten.push(file);
                }
            }
        }
        rewritten.sort();
        assert!(rewritten.len() >= 10, "{name}: {rewritten:?}");

        let report = runtime_tools::verify(&dir).unwrap();
        assert!(!report.ok());
        assert_eq!(report.failed_names(), rewritten, "{name}");
        assert!(report.missing.is_empty() && report.extra.is_empty());
        assert!(
            report
                .changed
                .iter()
                .all(|c| c.recorded_size == c.actual_size),
            "a same-length rewrite keeps sizes"
        );

        let stdout = Xpr::new()
            .args(["verify", dir.to_str().unwrap()])
            .run()
            .exit(1)
            .stdout;
        for file in &rewritten {
            assert!(
                stdout.contains(&format!("changed     {file}: sha256 ")),
                "{file} not named:\n{stdout}"
            );
        }
        assert!(stdout.contains("FAILED"), "{stdout}");
    }
}

#[test]
fn missing_extra_and_unindexed_files_are_named() {
    crate::require_shared!("lore-bundles");
    let (_tmp, dir) = copy_bundle(MNE_FIRST);
    std::fs::remove_file(dir.join("fixtures.json")).unwrap();
    std::fs::write(dir.join("notes.txt"), "added later\n").unwrap();
    std::fs::create_dir(dir.join("runtime_profiles")).unwrap();
    let report = runtime_tools::verify(&dir).unwrap();
    assert_eq!(report.missing, ["fixtures.json"]);
    assert_eq!(report.extra, ["notes.txt"]);
    assert_eq!(report.unindexed_dirs, ["runtime_profiles"]);
    assert!(!report.ok());
    let stdout = Xpr::new()
        .args(["verify", dir.to_str().unwrap(), "--format", "json"])
        .run()
        .exit(1)
        .stdout;
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["format"], "runtime-tools");
    assert_eq!(json["ok"], false);
    assert_eq!(
        json["findings"],
        serde_json::json!([
            {"kind": "missing", "path": "fixtures.json"},
            {"kind": "extra", "path": "notes.txt"},
        ])
    );
}

#[test]
fn bad_input_is_a_clear_error_not_a_panic() {
    crate::require_shared!("lore-bundles");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("artifact_index.json"), "{ not json").unwrap();
    // Not recognised as runtime-tools; the path falls through to the xpr-bundle verifier.
    assert!(!runtime_tools::is_runtime_tools(dir));
    let err = runtime_tools::verify(dir).unwrap_err().to_string();
    assert!(err.contains("artifact_index.json"), "{err}");

    // A known format with a schema major this reader does not know.
    std::fs::write(
        dir.join("artifact_index.json"),
        r#"{"schema_version":"runtime-tools.artifact_index.v1.0","artifacts":[]}"#,
    )
    .unwrap();
    let report = runtime_tools::verify(dir).unwrap();
    assert!(!report.ok());
    assert_eq!(
        report.unknown_schemas,
        [(
            "artifact_index.json".to_owned(),
            "runtime-tools.artifact_index.v1.0".to_owned()
        )]
    );
    let stdout = Xpr::new()
        .args(["verify", dir.to_str().unwrap()])
        .run()
        .exit(1)
        .stdout;
    assert!(
        stdout.contains("schema runtime-tools.artifact_index.v1.0"),
        "{stdout}"
    );
    assert!(RuntimeToolsBundle::open(dir).is_err());

    // An index without an expected matrix cannot be read as results.
    std::fs::write(
        dir.join("artifact_index.json"),
        r#"{"schema_version":"runtime-tools.artifact_index.v0.1","artifacts":[]}"#,
    )
    .unwrap();
    let err = RuntimeToolsBundle::open(dir).unwrap_err().to_string();
    assert!(err.contains("expected matrix"), "{err}");
    let stderr = Xpr::new()
        .args(["diff", dir.to_str().unwrap(), dir.to_str().unwrap()])
        .run()
        .exit(2)
        .stderr;
    assert!(stderr.contains("expected matrix"), "{stderr}");

    let stderr = Xpr::new()
        .args(["import", dir.join("nowhere").to_str().unwrap(), "--to-kdl"])
        .run()
        .exit(2)
        .stderr;
    assert!(stderr.contains("not a runtime-tools bundle"), "{stderr}");
}

#[test]
fn records_map_with_stable_ids_and_flags() {
    crate::require_shared!("lore-bundles");
    let first = RuntimeToolsBundle::open(&bundle(MNE_FIRST)).unwrap();
    let verdicts = first.verdicts();
    let ids: Vec<&str> = verdicts.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "mach-name-equivalence/lookup-allow-aa",
            "mach-name-equivalence/lookup-deny-bb",
            "mach-name-equivalence/register-allow-aa",
            "mach-name-equivalence/register-deny-bb",
        ]
    );
    for v in &verdicts {
        assert!(!v.id.contains(first.world_id()));
        assert!(!v.id.contains("2c0602c5"));
        // A SIGABRT (exit -6) recorded as deny stays a deny, flagged, never reinterpreted.
        assert_eq!(v.verdict.as_deref(), Some("deny"));
        assert_eq!(v.errno, Some(-6));
        assert!(
            v.flags
                .contains(&flags::DENY_WITH_NEGATIVE_ERRNO.to_owned())
        );
    }
    assert_eq!(
        verdicts[0].source_id.as_deref(),
        Some("mach-name-equivalence:lookup:allow-aa")
    );

    let later = RuntimeToolsBundle::open(&bundle(MNE_LATER)).unwrap();
    for v in later.verdicts() {
        assert_eq!(v.verdict, None, "{}: actual is null", v.id);
        assert!(v.flags.contains(&flags::OP_NOT_WITNESSED.to_owned()));
        assert_eq!(v.mismatches, ["op_not_witnessed"]);
    }

    let afm = RuntimeToolsBundle::open(&bundle(AFM)).unwrap();
    let by_id: BTreeMap<String, _> = afm
        .verdicts()
        .into_iter()
        .map(|v| (v.id.clone(), v))
        .collect();
    assert_eq!(by_id.len(), 8);
    let s2 = &by_id["anchor-filter-map:cfprefsd:S2_allow_local/S2_allow_local"];
    assert_eq!(s2.mismatches, ["unexpected_deny"]);
    assert_eq!(
        s2.mismatch_reason.as_deref(),
        Some("expectation_too_strong")
    );
    assert_eq!(s2.lanes, ["baseline", "scenario"]);
    assert_eq!(s2.baseline.as_deref(), Some("allow"));
    let bogus = &by_id["anchor-filter-map:cfprefsd:N1_deny_default/bogus_baseline"];
    assert_eq!(bogus.baseline.as_deref(), Some("deny"));
    let facts = afm.world_facts();
    assert_eq!(
        facts["lanes"],
        serde_json::json!(["baseline", "oracle", "scenario"])
    );
    assert_eq!(facts["host"]["build"], "23E224");
    assert!(
        facts["flags"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!(flags::ALREADY_SANDBOXED_GATE_UNVERIFIED))
    );
    assert_eq!(afm.vocabulary(), ["mach-lookup"]);
}

#[test]
fn two_runs_of_one_suite_diff_with_exactly_the_described_changes() {
    crate::require_shared!("lore-bundles");
    // README: the first run denied every probe by a crash (exit -6; both allow-aa probes are
    // unexpected_deny, capture_pipeline_disagreement) under sandbox_runner + sandbox_check_probe;
    // the later one, under sandbox_check_self_apply_probe, witnessed no operation (actual null).
    let (a, b) = (load(&bundle(MNE_FIRST)), load(&bundle(MNE_LATER)));
    assert_eq!(a.format.as_str(), "runtime-tools");
    assert_eq!(a.digest_algorithm, "sha256");
    let diff = xpr::diff::diff(&a, &b);
    assert_eq!(diff.compared, xpr::diff::ALL);
    assert!(diff.outcomes.is_empty());
    assert_eq!(diff.verdicts.len(), 4);
    for change in &diff.verdicts {
        assert_eq!(change.status, Status::Changed);
        let (x, y) = (change.a.as_ref().unwrap(), change.b.as_ref().unwrap());
        let (fx, fy) = (x.foreign.as_ref().unwrap(), y.foreign.as_ref().unwrap());
        // deny (a crash, exit -6) in the first run, no decision in the later one.
        assert_eq!(x.verdict.as_str(), "deny");
        assert_eq!(y.verdict.as_str(), "skipped");
        assert_eq!(
            (fx.actual.as_deref(), fy.actual.as_deref()),
            (Some("deny"), None)
        );
        assert_eq!(x.stage.map(|s| s.as_str()), Some("operation"));
        assert_eq!(y.stage, None);
        assert!(
            fx.flags
                .contains(&flags::DENY_WITH_NEGATIVE_ERRNO.to_owned())
        );
        assert!(fy.flags.contains(&flags::OP_NOT_WITNESSED.to_owned()));
        for aspect in [
            Aspect::Verdict,
            Aspect::Stage,
            Aspect::Actual,
            Aspect::Harness,
        ] {
            assert!(
                change.aspects.contains(&aspect),
                "{}: {aspect:?}",
                change.id
            );
        }
        assert_eq!(
            fx.harness.as_deref(),
            Some("sandbox_runner + sandbox_check_probe (exec_wrapper)")
        );
        assert_eq!(
            fy.harness.as_deref(),
            Some("sandbox_check_self_apply_probe (apply model unrecorded)")
        );
        assert_eq!(fy.mismatch_classes, ["op_not_witnessed"]);
        if change.id.contains("allow-aa") {
            assert_eq!(fx.mismatch_classes, ["unexpected_deny"]);
            assert_eq!(
                fx.mismatch_reason.as_deref(),
                Some("capture_pipeline_disagreement")
            );
            assert_eq!(fx.failure_stage.as_deref(), Some("probe"));
        } else {
            assert!(
                fx.mismatch_classes.is_empty(),
                "deny-bb matched (by a crash) in the first run"
            );
        }
    }
    let fact_keys: Vec<&str> = diff.world_facts.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(
        fact_keys,
        [
            "harness.apply_models",
            "harness.entrypoint_sha256",
            "harness.tools"
        ]
    );
    assert!(diff.vocabulary.is_empty() && diff.fidelity.is_empty());
    // Same plan and expected matrix: every artifact but those two differs by digest.
    let paths: Vec<&str> = diff.artifacts.iter().map(|c| c.path.as_str()).collect();
    assert!(!paths.contains(&"expected_matrix.json"), "{paths:?}");
    assert!(paths.contains(&"runtime_results.json"), "{paths:?}");

    let table = xpr::diff::table::render(&diff, None);
    insta::assert_snapshot!("mach_name_equivalence_diff_table", table);
    insta::assert_snapshot!(
        "mach_name_equivalence_diff_json",
        serde_json::to_string_pretty(&diff).unwrap()
    );

    let stdout = Xpr::new()
        .args([
            "diff",
            bundle(MNE_FIRST).to_str().unwrap(),
            bundle(MNE_LATER).to_str().unwrap(),
        ])
        .run()
        .exit(1)
        .stdout;
    assert_eq!(stdout, table);
}

#[test]
fn a_bundle_diffs_empty_against_itself() {
    crate::require_shared!("lore-bundles");
    for name in [AFM, MNE_FIRST, MNE_LATER] {
        let path = bundle(name);
        let stdout = Xpr::new()
            .args(["diff", path.to_str().unwrap(), path.to_str().unwrap()])
            .run()
            .success()
            .stdout;
        assert!(stdout.contains("identical: no differences"), "{stdout}");
    }
}

#[test]
fn a_different_suite_reports_vocabulary_and_world_facts_side_by_side() {
    crate::require_shared!("lore-bundles");
    let diff = xpr::diff::diff(&load(&bundle(AFM)), &load(&bundle(MNE_FIRST)));
    // No expectation id is shared: each side's are added or removed.
    assert!(diff.verdicts.iter().all(|c| c.status != Status::Changed));
    let ops: Vec<(&str, Status)> = diff
        .vocabulary
        .iter()
        .map(|v| (v.name.as_str(), v.status))
        .collect();
    assert_eq!(ops, [("mach-register", Status::Added)]);
    assert!(diff.world_facts.iter().any(|f| f.key == "plan_id"));
}

#[test]
fn import_writes_a_starting_experiment() {
    crate::require_shared!("lore-bundles");
    let afm = RuntimeToolsBundle::open(&bundle(AFM)).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let corpus = shared().join("sbpl-corpus/sandbox-lore");
    let imported = to_kdl::to_kdl(
        &afm,
        &to_kdl::Options {
            sbpl_dir: Some(corpus.clone()),
            output_dir: tmp.path().to_path_buf(),
        },
    );
    // C1/C2 reference the corpus file; the others' base profile is not in the corpus.
    assert_eq!(imported.text.matches(" sbpl=\"").count(), 2);
    assert_eq!(imported.text.matches("// PLACEHOLDER").count(), 5);
    assert_eq!(imported.warnings.len(), 5);
    for probe in ["S0_allow_any", "bogus_baseline", "C2_deny_local"] {
        assert!(
            imported
                .text
                .contains(&format!("probe \"{probe}\" family=\"mach-lookup\""))
        );
    }
    assert!(imported.text.contains("lanes baseline scenario oracle"));

    // The file written by the CLI, snapshotted with the corpus path made relative to a
    // fixed output location, so the snapshot does not depend on where the test runs.
    let out = tmp.path().join("anchor-filter-map.kdl");
    Xpr::new()
        .args([
            "import",
            bundle(AFM).to_str().unwrap(),
            "--to-kdl",
            "--sbpl-dir",
            corpus.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .run()
        .success();
    let text = std::fs::read_to_string(&out).unwrap();
    let sbpl = text
        .lines()
        .find_map(|l| {
            l.split_once(" sbpl=\"")
                .map(|(_, p)| p.trim_end_matches('"'))
        })
        .unwrap();
    assert_eq!(
        std::fs::canonicalize(tmp.path().join(sbpl)).unwrap(),
        std::fs::canonicalize(corpus.join("anchor-filter-map__mach_lookup_allow_default.sb"))
            .unwrap()
    );
    // The imported experiment is valid xpr.
    let stdout = Xpr::new()
        .args(["check", out.to_str().unwrap()])
        .run()
        .success()
        .stdout;
    assert!(
        stdout.contains("7 profiles, 8 probes, 8 expectations"),
        "{stdout}"
    );
    // The plan named the probes of each profile: the import scopes every expect block, so a
    // re-run pairs exactly what the original ran (8 pairs, not 7 × 8).
    assert_eq!(
        text.matches("scope=#true").count(),
        text.matches("\nexpect ").count(),
        "{text}"
    );
    let plan = Xpr::new()
        .args(["plan", out.to_str().unwrap()])
        .run()
        .success()
        .stdout;
    assert!(plan.contains("bundle  ← 8 verdicts"), "{plan}");
    // Without --sbpl-dir every profile is a placeholder, and the file still checks.
    let bare = tmp.path().join("bare.kdl");
    let stderr = Xpr::new()
        .args([
            "import",
            bundle(AFM).to_str().unwrap(),
            "--to-kdl",
            "-o",
            bare.to_str().unwrap(),
        ])
        .run()
        .success()
        .stderr;
    assert_eq!(stderr.matches("placeholder").count(), 7, "{stderr}");
    Xpr::new()
        .args(["check", bare.to_str().unwrap()])
        .run()
        .success();

    insta::assert_snapshot!(
        "anchor_filter_map_import",
        text.replace(
            sbpl,
            "{corpus}/anchor-filter-map__mach_lookup_allow_default.sb"
        )
    );
}

#[test]
fn an_xpr_run_diffs_against_a_runtime_tools_run_on_shared_expectations() {
    crate::require_shared!("lore-bundles");
    use xpr::model::{Action, Errno, Evidence, MismatchReason, Stage, Verdict, VerdictRecord};
    let record = |probe: &str, verdict: Verdict, errno: Option<i32>, expected: Action| {
        let profile = "mach-name-equivalence";
        VerdictRecord {
            id: format!("{profile}/{probe}"),
            profile: profile.into(),
            probe: probe.into(),
            verdict,
            stage: Some(Stage::Operation),
            errno: errno.map(|raw| Errno {
                raw,
                name: "EPERM".into(),
            }),
            baseline: None,
            expected: Some(expected.into()),
            mount: None,
            expected_errno: None,
            mismatches: if verdict.as_str() == expected.as_str() {
                vec![]
            } else {
                vec![MismatchReason::UnexpectedDeny]
            },
            known: None,
            evidence: Evidence::Syscall,
            reason: None,
            witness: None,
            shim_divergence: None,
        }
    };
    // xpr's side as its reader loads it: records, facts, a vocabulary, no foreign details.
    let theirs = load(&bundle(MNE_FIRST));
    let mut vocabulary = xpr::bundle::world_vocabulary::Vocabulary::default();
    for op in ["file-read-data", "mach-lookup"] {
        vocabulary
            .operations
            .insert(op.into(), xpr::compile::Fidelity::Exact);
    }
    let ours = BundleView {
        format: xpr::bundle::BundleFormat::Xpr,
        run_id: "20260101T000000Z-abcd".into(),
        world_id: "linux-6.8-x86_64-landlock7".into(),
        facts: [("world.kernel".to_owned(), serde_json::json!("6.8"))].into(),
        inputs: BTreeMap::new(),
        expectations: [
            record("lookup-allow-aa", Verdict::Allow, None, Action::Allow),
            record("lookup-deny-bb", Verdict::Deny, Some(1), Action::Deny),
            record("read-hosts", Verdict::Allow, None, Action::Allow),
        ]
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect(),
        foreign: BTreeMap::new(),
        vocabulary: Some(vocabulary),
        fidelity: BTreeMap::new(),
        artifacts: BTreeMap::new(),
        digest_algorithm: "blake3",
    };
    let diff = xpr::diff::diff(&theirs, &ours);
    assert_eq!(diff.compared, xpr::diff::NEUTRAL);
    let rows: Vec<(&str, Status, Vec<Aspect>)> = diff
        .verdicts
        .iter()
        .chain(&diff.outcomes)
        .map(|c| (c.id.as_str(), c.status, c.aspects.clone()))
        .collect();
    assert_eq!(
        rows,
        [
            (
                "mach-name-equivalence/lookup-allow-aa",
                Status::Changed,
                vec![Aspect::Verdict, Aspect::Errno, Aspect::Mismatches]
            ),
            ("mach-name-equivalence/read-hosts", Status::Added, vec![]),
            (
                "mach-name-equivalence/register-allow-aa",
                Status::Removed,
                vec![]
            ),
            (
                "mach-name-equivalence/register-deny-bb",
                Status::Removed,
                vec![]
            ),
            (
                "mach-name-equivalence/lookup-deny-bb",
                Status::Changed,
                vec![Aspect::Errno]
            ),
        ]
    );
    // The vocabulary difference, world facts key by key; digests are not compared.
    let ops: Vec<(VocabularyKind, &str, Status)> = diff
        .vocabulary
        .iter()
        .map(|v| (v.kind, v.name.as_str(), v.status))
        .collect();
    assert_eq!(
        ops,
        [
            (VocabularyKind::Operation, "file-read-data", Status::Added),
            (VocabularyKind::Operation, "mach-register", Status::Removed),
            // The family their mach-lookup probes belong to runs there only.
            (VocabularyKind::Family, "mach-lookup", Status::Removed),
        ]
    );
    assert!(diff.world_facts.iter().any(|f| f.key == "world.kernel"));
    assert!(diff.world_facts.iter().any(|f| f.key == "host.codename"));
    assert!(diff.artifacts.is_empty() && diff.inputs.is_empty());
    let text = xpr::diff::table::render(&diff, None);
    assert!(text.contains("note: formats differ"), "{text}");
    assert!(text.contains("only meaningful within one format"), "{text}");
    // Their flags are not compared, but shown where an expectation changed.
    assert!(
        text.lines().any(|l| l.contains("flags (not compared)")
            && l.contains("deny_with_negative_errno, errno_is_exit_status")),
        "{text}"
    );
}

#[test]
fn records_outside_xprs_model_are_flagged_not_reinterpreted() {
    crate::require_shared!("lore-bundles");
    // Edit a copy: an apply failure recorded as deny, a timeout recorded as deny, and a result
    // the expected matrix does not list.
    let (_tmp, dir) = copy_bundle(MNE_LATER);
    let path = dir.join("runtime_results.json");
    let mut results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let probes = results["mach-name-equivalence"]["probes"]
        .as_array_mut()
        .unwrap();
    probes[0]["actual"] = "deny".into();
    probes[0]["runtime_result"]["failure_stage"] = "apply".into();
    probes[0]["runtime_result"]["errno"] = 1.into();
    probes[1]["actual"] = "deny".into();
    probes[1]["error_kind"] = "timeout".into();
    let mut extra = probes[2].clone();
    extra["name"] = "unlisted".into();
    probes.push(extra);
    std::fs::write(&path, serde_json::to_vec(&results).unwrap()).unwrap();

    let view = RuntimeToolsBundle::open(&dir).unwrap();
    let by_id: BTreeMap<String, _> = view
        .verdicts()
        .into_iter()
        .map(|v| (v.id.clone(), v))
        .collect();
    let apply = &by_id["mach-name-equivalence/lookup-allow-aa"];
    assert_eq!(apply.verdict.as_deref(), Some("deny"));
    assert_eq!(apply.stage.as_deref(), Some("apply"));
    assert_eq!(apply.flags, [flags::DENY_FROM_APPLY_FAILURE]);
    let timeout = &by_id["mach-name-equivalence/lookup-deny-bb"];
    assert!(
        timeout
            .flags
            .contains(&flags::TIMEOUT_RECORDED_AS_DENY.to_owned())
    );
    let unlisted = &by_id["mach-name-equivalence/unlisted"];
    assert!(
        unlisted
            .flags
            .contains(&flags::NOT_IN_EXPECTED_MATRIX.to_owned())
    );
    // The digests no longer hold, and verify says which file changed.
    assert_eq!(
        runtime_tools::verify(&dir).unwrap().failed_names(),
        ["runtime_results.json"]
    );
}

use crate::support::bundles as bundle_support;

/// A real xpr bundle (written by the bundle writer) of the mach-name experiment re-run on
/// Linux, where mach-lookup is not applicable: the probes are skipped.
fn write_xpr_mach_name_bundle(out: &Path) -> PathBuf {
    use xpr::bundle::layout::{self, schema};
    use xpr::bundle::{BundleWriter, IndexMeta};
    use xpr::model::{Action, Evidence, MismatchReason, Verdict, VerdictRecord};
    let world = bundle_support::World { abi: 7 };
    let run = bundle_support::run_id(1, Some("mach-name"));
    let mut w = BundleWriter::create(out, "mach-name-equivalence.v1", &run).unwrap();
    let manifest = bundle_support::manifest(&world, &run, 1);
    w.write_json(layout::MANIFEST, schema::MANIFEST, &manifest)
        .unwrap();
    let mut vocabulary = xpr::bundle::world_vocabulary::Vocabulary::default();
    for (op, f) in [
        ("file-read*", xpr::compile::Fidelity::Exact),
        ("mach-lookup", xpr::compile::Fidelity::Unsupported),
        ("signal", xpr::compile::Fidelity::Exact),
    ] {
        vocabulary.operations.insert(op.into(), f);
    }
    w.write_json(layout::VOCABULARY, schema::VOCABULARY, &vocabulary)
        .unwrap();
    let skipped = |probe: &str, expected: Action| VerdictRecord {
        id: format!("mach-name-equivalence/{probe}"),
        profile: "mach-name-equivalence".into(),
        probe: probe.into(),
        verdict: Verdict::Skipped,
        stage: None,
        errno: None,
        baseline: None,
        expected: Some(expected.into()),
        mount: None,
        expected_errno: None,
        mismatches: vec![MismatchReason::NotApplicableInWorld],
        known: None,
        evidence: Evidence::None,
        reason: Some("mach-lookup is not applicable in this world".into()),
        witness: None,
        shim_divergence: None,
    };
    let verdicts = vec![
        skipped("lookup-allow-aa", Action::Allow),
        skipped("lookup-deny-bb", Action::Deny),
    ];
    w.write_jsonl(layout::VERDICTS, schema::VERDICTS, &verdicts)
        .unwrap();
    w.commit(IndexMeta {
        run_id: run.clone(),
        world_id: world.world_id(),
        closure_digest: manifest.closure.digest.clone(),
    })
    .unwrap()
}

#[test]
fn xpr_diff_compares_an_xpr_bundle_with_a_runtime_tools_bundle() {
    crate::require_shared!("lore-bundles");
    let tmp = tempfile::tempdir().unwrap();
    let ours = write_xpr_mach_name_bundle(tmp.path());
    Xpr::new()
        .args(["verify", ours.to_str().unwrap()])
        .run()
        .success();
    let theirs = bundle(MNE_FIRST);
    let stdout = Xpr::new()
        .args([
            "diff",
            theirs.to_str().unwrap(),
            ours.to_str().unwrap(),
            "--format",
            "json",
        ])
        .run()
        .exit(1)
        .stdout;
    let diff: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(diff["schema_version"], "xpr.diff.v1");
    assert_eq!(diff["a"]["format"], "runtime-tools");
    assert_eq!(diff["b"]["format"], "xpr");
    let verdicts = diff["verdicts"].as_array().unwrap();
    let first = &verdicts[0];
    assert_eq!(first["id"], "mach-name-equivalence/lookup-allow-aa");
    assert_eq!(first["a"]["verdict"], "deny");
    assert_eq!(first["b"]["verdict"], "skipped");
    // Their details stay structured fields, not one reason string.
    assert_eq!(first["a"]["foreign"]["failure_stage"], "probe");
    assert_eq!(first["a"]["foreign"]["exit_code"], -6);
    assert!(first["a"].get("reason").is_none());
    let removed: Vec<&str> = verdicts
        .iter()
        .filter(|c| c["status"] == "removed")
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        removed,
        [
            "mach-name-equivalence/register-allow-aa",
            "mach-name-equivalence/register-deny-bb"
        ]
    );
    // The vocabulary difference: mach-lookup enforceable there, not here; world facts key by key.
    let vocab: Vec<(&str, &str, &str)> = diff["vocabulary"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap(),
                v["a"].as_str().unwrap_or("—"),
                v["b"].as_str().unwrap_or("—"),
            )
        })
        .collect();
    assert!(
        vocab.contains(&("mach-lookup", "exact", "unsupported")),
        "{vocab:?}"
    );
    assert!(
        vocab.contains(&("mach-register", "exact", "—")),
        "{vocab:?}"
    );
    let keys: Vec<&str> = diff["world_facts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    assert!(
        keys.contains(&"host.codename") && keys.contains(&"world.kernel"),
        "{keys:?}"
    );

    let text = Xpr::new()
        .args(["diff", theirs.to_str().unwrap(), ours.to_str().unwrap()])
        .run()
        .exit(1)
        .stdout;
    assert!(text.contains("note: formats differ"), "{text}");
}

#[test]
fn xpr_diff_refuses_a_bundle_that_does_not_verify() {
    crate::require_shared!("lore-bundles");
    let (_tmp, dir) = copy_bundle(MNE_LATER);
    let path = dir.join("summary.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("2c0602c5", "a3a840f9")).unwrap();
    let stderr = Xpr::new()
        .args([
            "diff",
            bundle(MNE_FIRST).to_str().unwrap(),
            dir.to_str().unwrap(),
        ])
        .run()
        .exit(2)
        .stderr;
    assert!(stderr.contains("does not verify"), "{stderr}");
    assert!(stderr.contains("summary.json"), "{stderr}");
}

#[test]
fn import_keeps_operations_without_a_family_as_comments_and_still_checks() {
    crate::require_shared!("lore-bundles");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("mne.kdl");
    let corpus = shared().join("sbpl-corpus/sandbox-lore");
    let stderr = Xpr::new()
        .args([
            "import",
            bundle(MNE_FIRST).to_str().unwrap(),
            "--to-kdl",
            "--sbpl-dir",
            corpus.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .run()
        .success()
        .stderr;
    assert_eq!(
        stderr
            .matches("no xpr probe family for operation mach-register")
            .count(),
        2
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("// probe \"register-allow-aa\" target=\"com.apple.cfprefsd.agent\""));
    assert!(text.contains("sbpl=\""));
    let stdout = Xpr::new()
        .args(["check", out.to_str().unwrap()])
        .run()
        .success()
        .stdout;
    assert!(
        stdout.contains("1 profile, 2 probes, 2 expectations"),
        "{stdout}"
    );
}

// ---- A crafted bundle (issue 10, items 4 and 6) ----

/// Every way a string could end a KDL line, a comment or a string early, or change how the
/// text reads: KDL 2's newlines, quotes and backslashes, raw-string and comment markers,
/// controls, bidi overrides, a BOM.
const BREAKERS: &[&str] = &[
    "\n",
    "\r",
    "\r\n",
    "\u{85}",
    "\u{b}",
    "\u{c}",
    "\u{2028}",
    "\u{2029}",
    "\"",
    "\\",
    "\\\"",
    "*/",
    "/*",
    "//",
    "/-",
    "#\"",
    "\"#",
    "##\"",
    "\"\"\"",
    "{",
    "}",
    ";",
    "\u{0}",
    "\u{1b}[2J",
    "\u{7f}",
    "\u{202e}",
    "\u{2066}",
    "\u{200f}",
    "\u{feff}",
    "\u{fffd}",
    "é",
];

fn injection(breaker: &str) -> String {
    format!(
        "a{breaker}probe zz family=exec target=\"/bin/sh\" {{ argv \"sh\" \"-c\" \"touch /x\" }}{breaker}// {breaker}"
    )
}

#[test]
fn import_never_lets_a_bundle_inject_kdl() {
    let (_tmp, dir) = copy_bundle(AFM);
    let matrix_path = dir.join("expected_matrix.json");
    let mut matrix: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&matrix_path).unwrap()).unwrap();
    let mut targets = Vec::new();
    for (i, (_, profile)) in matrix["profiles"]
        .as_object_mut()
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        let breaker = BREAKERS[i % BREAKERS.len()];
        profile["semantic_group"] = injection(breaker).into();
        profile["blob"] = injection(breaker).into();
        for (j, probe) in profile["probes"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .enumerate()
        {
            let breaker = BREAKERS[(i * 7 + j) % BREAKERS.len()];
            let target = format!("com.apple.{}", injection(breaker));
            probe["target"] = target.clone().into();
            probe["expectation_id"] = injection(breaker).into();
            probe["driver"] = injection(breaker).into();
            probe["name"] = injection(breaker).into();
            targets.push(target);
        }
    }
    // A probe whose operation has no family: kept as a comment, which must stay one.
    let first = matrix["profiles"]
        .as_object_mut()
        .unwrap()
        .values_mut()
        .next()
        .unwrap();
    first["probes"][0]["operation"] = injection("\u{2028}").into();
    std::fs::write(&matrix_path, serde_json::to_vec(&matrix).unwrap()).unwrap();

    let out = dir.join("imported.kdl");
    let (code, _, stderr) = Xpr::new()
        .args([
            "import",
            dir.to_str().unwrap(),
            "--to-kdl",
            "-o",
            out.to_str().unwrap(),
        ])
        .run()
        .into_parts();
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "warnings are escaped: {stderr:?}"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let doc = kdl::KdlDocument::parse(&text).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
    // Exactly the nodes the importer writes, at any depth.
    fn names<'a>(nodes: &'a [kdl::KdlNode], out: &mut Vec<&'a str>) {
        for n in nodes {
            out.push(n.name().value());
            if let Some(children) = n.children() {
                names(children.nodes(), out);
            }
        }
    }
    let mut all = Vec::new();
    names(doc.nodes(), &mut all);
    for name in &all {
        assert!(
            [
                "experiment",
                "description",
                "lanes",
                "profile",
                "default",
                "probe",
                "expect",
                "allow",
                "deny"
            ]
            .contains(name),
            "injected node `{name}`:\n{text}"
        );
    }
    let probes: Vec<&kdl::KdlNode> = doc
        .nodes()
        .iter()
        .filter(|n| n.name().value() == "probe")
        .collect();
    assert!(!probes.is_empty());
    for probe in &probes {
        assert_eq!(
            probe.get("family").and_then(|v| v.as_string()),
            Some("mach-lookup")
        );
        // Each target reads back as exactly what the bundle recorded.
        let target = probe.get("target").and_then(|v| v.as_string()).unwrap();
        assert!(targets.iter().any(|t| t == target), "{target:?}");
        assert!(probe.children().is_none(), "{text}");
    }
    // The file checks, with only the bundle's probes (no `zz`, no exec).
    let (code, stdout, stderr) = Xpr::new()
        .args(["check", out.to_str().unwrap()])
        .run()
        .into_parts();
    assert_eq!(code, 0, "{stdout}{stderr}\n{text}");
    assert!(
        !text.contains("family=\"exec\"") && !stdout.contains(" zz"),
        "{stdout}"
    );
}

#[test]
fn a_target_xpr_would_substitute_is_kept_as_a_comment() {
    let (_tmp, dir) = copy_bundle(AFM);
    let matrix_path = dir.join("expected_matrix.json");
    let mut matrix: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&matrix_path).unwrap()).unwrap();
    let first = matrix["profiles"]
        .as_object_mut()
        .unwrap()
        .values_mut()
        .next()
        .unwrap();
    first["probes"][0]["target"] = "{scratch}/x".into();
    std::fs::write(&matrix_path, serde_json::to_vec(&matrix).unwrap()).unwrap();
    let (code, stdout, stderr) = Xpr::new()
        .args(["import", dir.to_str().unwrap(), "--to-kdl"])
        .run()
        .into_parts();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("read as a parameter"), "{stderr}");
    let doc = kdl::KdlDocument::parse(&stdout).unwrap();
    assert!(
        doc.nodes()
            .iter()
            .all(|n| n.get("target").and_then(|v| v.as_string()) != Some("{scratch}/x")),
        "{stdout}"
    );
}

#[test]
fn runtime_tools_readers_refuse_fifos_and_links_out() {
    let (tmp, dir) = copy_bundle(MNE_FIRST);
    let index = dir.join("artifact_index.json");
    let saved = std::fs::read(&index).unwrap();
    std::fs::remove_file(&index).unwrap();
    crate::support::mkfifo(&index);
    for args in [
        vec!["verify", dir.to_str().unwrap()],
        vec!["diff", dir.to_str().unwrap(), dir.to_str().unwrap()],
        vec!["import", dir.to_str().unwrap(), "--to-kdl"],
    ] {
        let (code, _, _) = Xpr::new()
            .args(&args)
            .cwd(tmp.path())
            .run_bounded()
            .into_parts();
        assert_ne!(code, 0, "{args:?}");
    }
    // An artifact replaced by a link out of the bundle: named, never read.
    std::fs::remove_file(&index).unwrap();
    std::fs::write(&index, saved).unwrap();
    std::fs::write(tmp.path().join("secret"), "SECRET").unwrap();
    std::fs::remove_file(dir.join("summary.json")).unwrap();
    std::os::unix::fs::symlink(tmp.path().join("secret"), dir.join("summary.json")).unwrap();
    let (code, stdout, _) = Xpr::new()
        .args(["verify", dir.to_str().unwrap()])
        .cwd(tmp.path())
        .run_bounded()
        .into_parts();
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("summary.json") && stdout.contains("symlink"),
        "{stdout}"
    );
}
