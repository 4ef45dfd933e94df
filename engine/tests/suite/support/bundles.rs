//! Synthetic run bundles written through the real `BundleWriter`: a small experiment
//! (`no_write`, `net_deny` × four probes) as it would come out on a Landlock ABI 7 or ABI 3
//! world. With ABI 3, `net_deny` cannot be expressed (no TCP port rules), so its probes are
//! `blocked` with `not_applicable_in_world`.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde_json::json;
use xpr::bundle::layout::{self, schema};
use xpr::bundle::manifest::{Closure, EngineIdentity, Timings};
use xpr::bundle::world_vocabulary::{FamilyStatus, Vocabulary};
use xpr::bundle::{BundleWriter, IndexMeta, Manifest, RunId};
use xpr::compile::{Fidelity, RuleFidelity};
use xpr::model::*;

pub const EXPERIMENT: &str = "net-and-files";

pub struct World {
    pub abi: u32,
}

impl World {
    pub fn world_id(&self) -> String {
        format!(
            "linux-6.18.4-x86_64-landlock{}-{}",
            self.abi,
            if self.abi == 7 {
                "3fa9c2d1"
            } else {
                "b41e07aa"
            }
        )
    }
    fn blocks_net(&self) -> bool {
        self.abi < 4
    }
}

/// A fixed run id: `seq` picks the time and random part.
pub fn run_id(seq: u64, label: Option<&str>) -> RunId {
    let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000 + seq);
    RunId::at(t, 0x00a1b2 + seq as u32, label).unwrap()
}

pub fn errno(raw: i32, name: &str) -> Errno {
    Errno {
        raw,
        name: name.to_string(),
    }
}

const PROFILES: [&str; 2] = ["no_write", "net_deny"];
const PROBES: [&str; 4] = [
    "connect-echo",
    "mach-lookup-cfprefsd",
    "read-hosts",
    "write-foo",
];

fn expected(profile: &str, probe: &str) -> Option<Action> {
    match (profile, probe) {
        (_, "mach-lookup-cfprefsd") => None,
        ("no_write", "write-foo") | ("net_deny", "connect-echo") => Some(Action::Deny),
        _ => Some(Action::Allow),
    }
}

pub fn stage_record(world: &World, lane: Lane, profile: Option<&str>, probe: &str) -> StageRecord {
    let mut r = StageRecord {
        lane,
        profile: profile.map(str::to_string),
        probe: probe.to_string(),
        apply: if profile.is_some() {
            ApplyOutcome::Ok
        } else {
            ApplyOutcome::None
        },
        apply_reason: None,
        apply_errno: None,
        apply_detail: None,
        acquire: None,
        exec: ExecOutcome::Ok,
        exec_errno: None,
        operation: OperationOutcome::Allow,
        operation_errno: None,
        mount: None,
        exit_status: Some(0),
        signal: None,
        evidence: Evidence::Syscall,
        output: None,
        output_truncated: None,
        detail: None,
        skipped: None,
        micros: 1234,
        pid: None,
    };
    if probe == "mach-lookup-cfprefsd" {
        r.exec = ExecOutcome::NotReached;
        r.operation = OperationOutcome::NotReached;
        r.exit_status = None;
        r.evidence = Evidence::None;
        r.skipped = Some("not_applicable_in_world".into());
        return r;
    }
    if profile == Some("net_deny") && world.blocks_net() {
        r.apply = ApplyOutcome::Blocked;
        r.apply_reason = Some(BlockedReason::NotApplicableInWorld);
        r.apply_detail = Some(
            "rule 1 `(deny network-outbound)` at net.kdl:7:5: TCP port rules need Landlock ABI 4"
                .into(),
        );
        r.exec = ExecOutcome::NotReached;
        r.operation = OperationOutcome::NotReached;
        r.exit_status = None;
        r.evidence = Evidence::None;
        return r;
    }
    let denied = matches!(
        (profile, probe),
        (Some("no_write"), "write-foo") | (Some("net_deny"), "connect-echo")
    );
    if denied {
        r.operation = OperationOutcome::Deny;
        r.operation_errno = Some(errno(13, "EACCES"));
        r.exit_status = Some(1);
    }
    if probe == "write-foo" {
        r.detail = Some("opened {scratch}/foo for writing".into());
    }
    r
}

pub fn verdict(world: &World, profile: &str, probe: &str) -> VerdictRecord {
    let r = stage_record(world, Lane::Scenario, Some(profile), probe);
    let (verdict, stage, errno) = if r.skipped.is_some() {
        (Verdict::Skipped, None, None)
    } else if r.apply == ApplyOutcome::Blocked {
        (Verdict::Blocked, Some(Stage::Apply), None)
    } else if r.operation == OperationOutcome::Deny {
        (
            Verdict::Deny,
            Some(Stage::Operation),
            r.operation_errno.clone(),
        )
    } else {
        (Verdict::Allow, Some(Stage::Operation), None)
    };
    let expected = expected(profile, probe);
    let mut mismatches = Vec::new();
    match (expected, verdict) {
        (Some(_), Verdict::Blocked) => mismatches.push(MismatchReason::ApplyBlocked),
        (Some(Action::Allow), Verdict::Deny) => mismatches.push(MismatchReason::UnexpectedDeny),
        (Some(Action::Deny), Verdict::Allow) => mismatches.push(MismatchReason::UnexpectedAllow),
        _ => {}
    }
    VerdictRecord {
        id: format!("{profile}/{probe}"),
        profile: profile.to_string(),
        probe: probe.to_string(),
        verdict,
        stage,
        errno,
        baseline: (verdict != Verdict::Skipped).then_some(Verdict::Allow),
        expected: expected.map(Into::into),
        mount: None,
        expected_errno: None,
        mismatches,
        known: None,
        evidence: r.evidence,
        reason: match verdict {
            Verdict::Skipped => Some("not_applicable_in_world".into()),
            Verdict::Blocked => Some("not_applicable_in_world".into()),
            _ => None,
        },
        witness: None,
        shim_divergence: None,
    }
}

pub fn verdicts(world: &World) -> Vec<VerdictRecord> {
    PROFILES
        .iter()
        .flat_map(|p| PROBES.iter().map(move |q| (p, q)))
        .map(|(p, q)| verdict(world, p, q))
        .collect()
}

pub fn stage_records(world: &World, lane: Lane) -> Vec<StageRecord> {
    match lane {
        Lane::Baseline => PROBES
            .iter()
            .map(|q| stage_record(world, lane, None, q))
            .collect(),
        _ => PROFILES
            .iter()
            .flat_map(|p| PROBES.iter().map(move |q| (p, q)))
            .map(|(p, q)| stage_record(world, lane, Some(p), q))
            .collect(),
    }
}

fn rule(index: Option<usize>, text: &str, fidelity: Fidelity, note: Option<&str>) -> RuleFidelity {
    RuleFidelity {
        rule: index,
        origin: xpr::model::Origin {
            file: "net.kdl".into(),
            line: 7,
            column: 5,
            ..Default::default()
        },
        text: text.into(),
        mechanisms: Vec::new(),
        fidelity,
        note: note.map(str::to_string),
    }
}

fn vocabulary(world: &World) -> Vocabulary {
    let net = if world.blocks_net() {
        Fidelity::Unsupported
    } else {
        Fidelity::Exact
    };
    let mut v = Vocabulary::default();
    for (op, f) in [
        ("file-read*", Fidelity::Exact),
        ("file-write*", Fidelity::Exact),
        ("mach-lookup", Fidelity::Unsupported),
        ("network-bind", net),
        ("network-outbound", net),
        (
            "signal",
            if world.abi >= 6 {
                Fidelity::Exact
            } else {
                Fidelity::Unsupported
            },
        ),
    ] {
        v.operations.insert(op.into(), f);
    }
    for (family, s) in [
        ("file-read", FamilyStatus::Applicable),
        ("file-write", FamilyStatus::Applicable),
        ("mach-lookup", FamilyStatus::NotApplicable),
        ("tcp-connect", FamilyStatus::Applicable),
    ] {
        v.families.insert(family.into(), s);
    }
    v
}

pub fn manifest(world: &World, run: &RunId, minute: u64) -> Manifest {
    let inputs = [
        (
            "net.kdl".to_string(),
            *blake3::hash(b"experiment").as_bytes(),
        ),
        (
            "std/families.kdl".to_string(),
            *blake3::hash(b"families").as_bytes(),
        ),
        (
            "probe-helper".to_string(),
            *blake3::hash(b"helper").as_bytes(),
        ),
    ];
    let closure = Closure::from_inputs(&inputs);
    // The shape `world::WorldFacts` detects (schema_version and world_id are skipped by diff).
    let mut landlock = json!({
        "status": "available", "host_abi": 7, "errata": 1, "effective_abi": world.abi,
        "probed_rights": ["execute", "write_file", "read_file", "bind_tcp", "connect_tcp"],
        "missing_rights": []
    });
    if world.abi < 7 {
        landlock["abi_cap"] = json!(world.abi);
    }
    let harness = json!({"uid": 0, "euid": 0, "cap_eff": "000001ffffffffff", "no_new_privs": false,
                         "seccomp_mode": 0, "seccomp_filters": 0, "container_hints": [],
                         "landlock_domain": {"state": "none"}});
    Manifest {
        run_id: run.to_string(),
        experiment: EXPERIMENT.into(),
        world_id: world.world_id(),
        // As `serde_json::to_value(&WorldFacts)` has it: world_id and harness nested too.
        world: json!({"schema_version": "xpr.world.v1", "os": "linux", "distro": "debian-13",
                      "kernel": "6.18.4", "arch": "x86_64", "landlock": landlock,
                      "seccomp": {"available": true}, "audit": {"available": false},
                      "world_id": world.world_id(), "harness": harness.clone()}),
        harness,
        engine: EngineIdentity::current(),
        args: vec![
            "run".into(),
            "net.kdl".into(),
            format!("--landlock-abi={}", world.abi),
        ],
        lanes: vec![Lane::Baseline, Lane::Scenario],
        isolation: Isolation::Probe,
        network: None,
        timings: Timings {
            started: format!("2026-11-18T11:{minute:02}:00Z"),
            finished: format!("2026-11-18T11:{minute:02}:07Z"),
            wall_ms: 7000 + minute,
        },
        closure,
    }
}

/// Writes the synthetic bundle for `world` under `out` and returns its directory.
pub fn write_bundle(out: &Path, world: &World, run: &RunId) -> PathBuf {
    let mut w = BundleWriter::create(out, EXPERIMENT, run).unwrap();
    let manifest = fill(&mut w, world, run);
    w.commit(IndexMeta {
        run_id: run.clone(),
        world_id: world.world_id(),
        closure_digest: manifest.closure.digest.clone(),
    })
    .unwrap()
}

/// Writes every artifact (the index excepted) of the synthetic bundle; returns its manifest.
pub fn fill(w: &mut BundleWriter, world: &World, run: &RunId) -> Manifest {
    // Timings differ from run to run, like real ones.
    let minute = run.as_str().bytes().map(u64::from).sum::<u64>() % 60;
    let manifest = manifest(world, run, minute);
    w.write_json(layout::MANIFEST, schema::MANIFEST, &manifest)
        .unwrap();
    w.write_json(layout::VOCABULARY, schema::VOCABULARY, &vocabulary(world))
        .unwrap();
    for profile in PROFILES {
        let net = profile == "net_deny";
        let deny_rule = if net {
            "(deny network-outbound)"
        } else {
            "(deny file-write*)"
        };
        let fidelity = if net && world.blocks_net() {
            rule(
                Some(0),
                deny_rule,
                Fidelity::Unsupported,
                Some("TCP port rules need Landlock ABI 4"),
            )
        } else {
            rule(Some(0), deny_rule, Fidelity::Exact, None)
        };
        let report = xpr::bundle::fidelity::FidelityReport {
            profile: profile.into(),
            rules: vec![
                rule(None, "(allow default)", Fidelity::Exact, None),
                fidelity,
            ],
        };
        w.write_json(&layout::fidelity(profile), schema::FIDELITY, &report)
            .unwrap();
        let handled = if net && !world.blocks_net() {
            json!(["net_connect_tcp"])
        } else if net {
            json!([])
        } else {
            json!(["write_file", "make_reg", "remove_file", "truncate"])
        };
        let plan = json!({"abi": world.abi, "handled_access_fs": if net { json!([]) } else { handled.clone() },
                          "handled_access_net": if net { handled } else { json!([]) }, "rules": []});
        w.write_json(
            &layout::compiled(profile, "landlock.json"),
            schema::LANDLOCK_PLAN,
            &plan,
        )
        .unwrap();
        w.write_bytes(
            &layout::compiled(profile, "seccomp.bpf"),
            schema::SECCOMP_BPF,
            &[0x06, 0, 0, 0, 0, 0, 0xff, 0x7f],
        )
        .unwrap();
        w.write_text(
            &layout::compiled(profile, "sb"),
            schema::SBPL,
            &format!("(version 1)\n(allow default)\n{deny_rule}\n"),
        )
        .unwrap();
    }
    for lane in [Lane::Baseline, Lane::Scenario] {
        w.write_jsonl(
            &layout::stage_records(lane),
            schema::STAGE_RECORDS,
            stage_records(world, lane),
        )
        .unwrap();
    }
    let verdicts = verdicts(world);
    let mismatches: Vec<_> = verdicts
        .iter()
        .filter(|v| !v.mismatches.is_empty())
        .collect();
    w.write_jsonl(layout::VERDICTS, schema::VERDICTS, &verdicts)
        .unwrap();
    w.write_jsonl(layout::MISMATCHES, schema::MISMATCHES, &mismatches)
        .unwrap();
    w.write_json(
        layout::SUMMARY_JSON,
        schema::SUMMARY,
        &json!({"expectations": verdicts.len(), "mismatches": mismatches.len()}),
    )
    .unwrap();
    w.write_text(
        layout::SUMMARY_MD,
        schema::SUMMARY_MD,
        &format!("# {EXPERIMENT}\n\nmismatches: {}\n", mismatches.len()),
    )
    .unwrap();
    manifest
}

/// Every file of a bundle directory, relative, sorted.
pub fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

/// Rewrites `rel` in a committed bundle and updates its index entry to match, as someone
/// crafting a bundle would: it still verifies (a digest proves integrity, not origin).
pub fn rewrite_indexed(dir: &Path, rel: &str, bytes: &[u8]) {
    std::fs::write(dir.join(rel), bytes).unwrap();
    let index_path = dir.join(layout::INDEX);
    let mut index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&index_path).unwrap()).unwrap();
    for entry in index["artifacts"].as_array_mut().unwrap() {
        if entry["path"] == rel {
            entry["size"] = bytes.len().into();
            entry["blake3"] = blake3::hash(bytes).to_hex().to_string().into();
        }
    }
    std::fs::write(&index_path, serde_json::to_vec_pretty(&index).unwrap()).unwrap();
}
