//! Bundle write + verify for a run of 10,000 probes (baseline and scenario stage records,
//! verdicts, mismatches), then load and self-diff. Prints wall times; not a test.
//!
//! `cargo bench --bench bundle_write_verify [-- PROBES]`

use std::time::Instant;

use serde_json::json;
use xpr::bundle::layout::{self, schema};
use xpr::bundle::manifest::{Closure, EngineIdentity, Timings};
use xpr::bundle::path_guard::PathGuard;
use xpr::bundle::{self, BundleWriter, IndexMeta, Manifest, RunId};
use xpr::model::*;

fn record(lane: Lane, profile: Option<String>, probe: &str, deny: bool) -> StageRecord {
    StageRecord {
        lane,
        profile,
        probe: probe.to_string(),
        apply: ApplyOutcome::Ok,
        apply_reason: None,
        apply_errno: None,
        apply_detail: None,
        acquire: None,
        exec: ExecOutcome::Ok,
        exec_errno: None,
        operation: if deny {
            OperationOutcome::Deny
        } else {
            OperationOutcome::Allow
        },
        operation_errno: deny.then(|| Errno {
            raw: 13,
            name: "EACCES".into(),
        }),
        mount: None,
        exit_status: Some(i32::from(deny)),
        signal: None,
        evidence: Evidence::Syscall,
        output: None,
        output_truncated: None,
        detail: Some(format!("{{scratch}}/files/{probe}")),
        pid: None,
        skipped: None,
        micros: 900,
    }
}

fn main() {
    let probes: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let tmp = tempfile::tempdir().expect("temp dir");
    let scratch = tmp.path().join("scratch");
    let names: Vec<String> = (0..probes).map(|i| format!("read-{i:05}")).collect();
    let profile = "bench_profile".to_string();
    let baseline: Vec<StageRecord> = names
        .iter()
        .map(|n| record(Lane::Baseline, None, n, false))
        .collect();
    let scenario: Vec<StageRecord> = names
        .iter()
        .enumerate()
        .map(|(i, n)| record(Lane::Scenario, Some(profile.clone()), n, i % 3 == 0))
        .collect();
    let verdicts: Vec<VerdictRecord> = scenario
        .iter()
        .enumerate()
        .map(|(i, s)| VerdictRecord {
            id: format!("{profile}/{}", s.probe),
            profile: profile.clone(),
            probe: s.probe.clone(),
            verdict: if s.operation == OperationOutcome::Deny {
                Verdict::Deny
            } else {
                Verdict::Allow
            },
            stage: Some(Stage::Operation),
            errno: s.operation_errno.clone(),
            baseline: Some(Verdict::Allow),
            expected: Some(Expected::Allow),
            mount: None,
            expected_errno: None,
            mismatches: if i % 3 == 0 {
                vec![MismatchReason::UnexpectedDeny]
            } else {
                vec![]
            },
            known: None,
            evidence: Evidence::Syscall,
            reason: None,
            witness: None,
            shim_divergence: None,
        })
        .collect();
    let mismatches: Vec<&VerdictRecord> = verdicts
        .iter()
        .filter(|v| !v.mismatches.is_empty())
        .collect();
    let closure = Closure::from_inputs(&[("bench.kdl".into(), *blake3::hash(b"bench").as_bytes())]);

    let started = Instant::now();
    let run = RunId::new(Some("bench")).expect("run id");
    let mut w = BundleWriter::create(tmp.path(), "bench", &run).expect("create");
    w.set_path_guard(
        PathGuard::new()
            .substitute(scratch.to_str().unwrap(), "{scratch}")
            .forbid(tmp.path().to_str().unwrap())
            .forbid(env!("CARGO_MANIFEST_DIR")),
    );
    let manifest = Manifest {
        run_id: run.to_string(),
        experiment: "bench".into(),
        world_id: "linux-bench".into(),
        world: json!({"os": "linux"}),
        harness: json!({"uid": 0}),
        engine: EngineIdentity::current(),
        args: vec!["run".into(), "bench.kdl".into()],
        lanes: vec![Lane::Baseline, Lane::Scenario],
        isolation: Isolation::Probe,
        network: None,
        timings: Timings::default(),
        closure: closure.clone(),
    };
    w.write_json(layout::MANIFEST, schema::MANIFEST, &manifest)
        .unwrap();
    w.write_jsonl(
        &layout::stage_records(Lane::Baseline),
        schema::STAGE_RECORDS,
        &baseline,
    )
    .unwrap();
    w.write_jsonl(
        &layout::stage_records(Lane::Scenario),
        schema::STAGE_RECORDS,
        &scenario,
    )
    .unwrap();
    w.write_jsonl(layout::VERDICTS, schema::VERDICTS, &verdicts)
        .unwrap();
    w.write_jsonl(layout::MISMATCHES, schema::MISMATCHES, &mismatches)
        .unwrap();
    w.write_json(
        layout::SUMMARY_JSON,
        schema::SUMMARY,
        &json!({"expectations": verdicts.len()}),
    )
    .unwrap();
    let dir = w
        .commit(IndexMeta {
            run_id: run.clone(),
            world_id: "linux-bench".into(),
            closure_digest: closure.digest,
        })
        .expect("commit");
    let write_time = started.elapsed();

    let bytes: u64 = [
        "stages/baseline.jsonl",
        "stages/scenario.jsonl",
        "verdicts.jsonl",
        "mismatches.jsonl",
    ]
    .iter()
    .map(|p| std::fs::metadata(dir.join(p)).unwrap().len())
    .sum();
    let reader = bundle::open(&dir).unwrap();
    let started = Instant::now();
    let verification = reader.verify();
    let verify_time = started.elapsed();
    assert!(verification.ok(), "{:?}", verification.findings);
    let started = Instant::now();
    let view = reader.load().unwrap();
    let load_time = started.elapsed();
    let started = Instant::now();
    let d = xpr::diff::diff(&view, &view);
    let diff_time = started.elapsed();
    assert!(d.identical);

    println!(
        "bundle_write_verify: {probes} probes, {} files, {:.1} MiB of records",
        verification.checked,
        bytes as f64 / 1048576.0
    );
    println!(
        "  write + commit (fsync)  {:>8.1} ms",
        write_time.as_secs_f64() * 1e3
    );
    println!(
        "  verify                  {:>8.1} ms",
        verify_time.as_secs_f64() * 1e3
    );
    println!(
        "  load (verify + parse)   {:>8.1} ms",
        load_time.as_secs_f64() * 1e3
    );
    println!(
        "  self-diff               {:>8.1} ms",
        diff_time.as_secs_f64() * 1e3
    );
}
