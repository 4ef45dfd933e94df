//! runtime-tools records mapped into xpr's words ([`MappedVerdict`]), world facts and the
//! operations the run's plan used.
//!
//! Decisions: `actual` allow/deny become the verdicts `allow`/`deny` (their `actual` is derived
//! from exit status, see world fact `evidence`); `failure_stage` maps to xpr stages (`probe` →
//! operation, `bootstrap` → exec, `apply`/`preflight` → apply) and is also kept verbatim with
//! `failure_kind`; a preflight-blocked probe is `blocked` at apply. Anything their model bends
//! (a crash counted as a deny, an exit status stored as errno, no decision) keeps its recorded
//! values and gets a flag from [`super::flags`].

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::model::Action;

use super::bundle::RuntimeToolsBundle;
use super::flags;
use super::ids;
use super::mapped::MappedVerdict;
use super::records::{ExpectedProbe, ResultProbe};
use super::schema;

impl RuntimeToolsBundle {
    /// World facts and harness identity, as a JSON object with stable keys.
    pub fn world_facts(&self) -> Value {
        world_facts(self)
    }

    /// One record per expectation, sorted by id.
    pub fn verdicts(&self) -> Vec<MappedVerdict> {
        verdicts(self)
    }

    /// The operations the run's plan used (sorted, unique): runtime-tools records no world
    /// vocabulary, and Seatbelt enforces these natively.
    pub fn vocabulary(&self) -> Vec<String> {
        let ops: BTreeSet<String> = self
            .matrix
            .profiles
            .values()
            .flat_map(|p| p.probes.iter())
            .filter_map(|p| p.operation.clone())
            .collect();
        ops.into_iter().collect()
    }
}

/// The world id `<codename>-<version>-<build>-<arch>-dyld-<sha8>` split into host facts.
fn host_facts(world_id: &str) -> Value {
    let (baseline, dyld) = match world_id.rsplit_once("-dyld-") {
        Some((b, d)) => (b, Some(d)),
        None => (world_id, None),
    };
    let parts: Vec<&str> = baseline.split('-').collect();
    if parts.len() == 4 {
        json!({
            "codename": parts[0],
            "os_version": parts[1],
            "build": parts[2],
            "arch": parts[3],
            "dyld_manifest_sha8": dyld,
        })
    } else {
        json!({ "name": baseline, "dyld_manifest_sha8": dyld })
    }
}

/// Executables named by a probe command: the first word, and the word after `--` when a
/// wrapper execs the probe.
fn command_tools(command: &[String]) -> Vec<String> {
    let base = |s: &String| s.rsplit('/').next().unwrap_or(s).to_owned();
    let mut tools: Vec<String> = command.first().map(base).into_iter().collect();
    if let Some(pos) = command.iter().position(|w| w == "--")
        && let Some(after) = command.get(pos + 1)
    {
        tools.push(base(after));
    }
    tools
}

fn probe_harness(probe: &ResultProbe) -> Option<String> {
    let tools = command_tools(&probe.command);
    if tools.is_empty() {
        return None;
    }
    let model = probe
        .runtime_result
        .as_ref()
        .and_then(|r| r.runner_info.as_ref())
        .and_then(|i| i.apply_model.clone())
        .unwrap_or_else(|| "apply model unrecorded".into());
    Some(format!("{} ({model})", tools.join(" + ")))
}

fn world_facts(b: &RuntimeToolsBundle) -> Value {
    let mut tools = BTreeSet::new();
    let mut apply_models = BTreeSet::new();
    let mut entrypoint_sha256 = BTreeSet::new();
    for probe in b.results.values().flat_map(|p| p.probes.iter()) {
        tools.extend(command_tools(&probe.command));
        let info = probe
            .runtime_result
            .as_ref()
            .and_then(|r| r.runner_info.as_ref());
        apply_models.insert(
            info.and_then(|i| i.apply_model.clone())
                .unwrap_or_else(|| "unrecorded".into()),
        );
        if let Some(sha) = info.and_then(|i| i.entrypoint_sha256.clone()) {
            entrypoint_sha256.insert(sha);
        }
    }
    let preflight = b.apply_preflight.as_ref().map(|p| {
        json!({
            "status": p.get("status"),
            "apply_ok": p.get("apply_ok"),
            "sandbox_check_self": p.get("sandbox_check_self"),
        })
    });
    let mut run_flags = Vec::new();
    let gate_error = b
        .apply_preflight
        .as_ref()
        .and_then(|p| p.pointer("/sandbox_check_self/error"))
        .is_some_and(|e| !e.is_null());
    if gate_error {
        run_flags.push(flags::ALREADY_SANDBOXED_GATE_UNVERIFIED);
    }
    if b.index.artifacts.iter().any(|a| a.path.contains('/')) {
        run_flags.push(flags::INDEX_PATHS_ARE_REPOSITORY_PATHS);
    }
    let schemas: BTreeSet<&str> = b
        .index
        .artifacts
        .iter()
        .filter_map(|a| a.schema_version.as_deref())
        .chain([b.index.schema_version.as_str()])
        .collect();
    json!({
        "format": schema::FORMAT,
        "world_id": b.world_id(),
        "host": host_facts(b.world_id()),
        "channel": b.summary.channel.clone().or(b.manifest.channel.clone()),
        "plan_id": b.summary.plan_id.clone().or(b.manifest.plan_id.clone()),
        "plan_digest": b.summary.plan_digest.clone().or(b.manifest.plan_digest.clone()),
        "status": b.summary.status,
        "lanes": b.lanes(),
        "evidence": "exit_status",
        "harness": {
            "tools": tools,
            "apply_models": apply_models,
            "entrypoint_sha256": entrypoint_sha256,
            "apply_preflight": preflight,
            "schema_versions": schemas,
        },
        "flags": run_flags,
    })
}

fn expected_action(word: Option<&str>) -> Option<Action> {
    match word {
        Some("allow") => Some(Action::Allow),
        Some("deny") => Some(Action::Deny),
        _ => None,
    }
}

fn map_stage(failure_stage: Option<&str>) -> Option<&'static str> {
    match failure_stage {
        Some("probe") => Some("operation"),
        Some("bootstrap") => Some("exec"),
        Some("apply") | Some("preflight") => Some("apply"),
        _ => None,
    }
}

/// Mismatch classes and reasons keyed by (profile id, probe name).
struct Mismatches {
    types: BTreeMap<(String, String), BTreeSet<String>>,
    reasons: BTreeMap<(String, String), BTreeSet<String>>,
}

fn mismatches(b: &RuntimeToolsBundle) -> Mismatches {
    // Their expectation ids → (profile, probe), for rows that carry only the expectation id.
    let mut by_source: BTreeMap<&str, (String, String)> = BTreeMap::new();
    for (pid, profile) in &b.matrix.profiles {
        for probe in &profile.probes {
            if let Some(eid) = probe.expectation_id.as_deref() {
                by_source.insert(eid, (pid.clone(), probe.name.clone()));
            }
        }
    }
    let mut out = Mismatches {
        types: BTreeMap::new(),
        reasons: BTreeMap::new(),
    };
    for row in &b.mismatch_summary.mismatches {
        let (Some(eid), Some(kind)) = (row.expectation_id.as_deref(), row.mismatch_type.clone())
        else {
            continue;
        };
        if let Some(key) = by_source.get(eid) {
            out.types.entry(key.clone()).or_default().insert(kind);
        }
    }
    for packet in &b.packets {
        let from_event = packet
            .decision_event
            .as_ref()
            .and_then(|e| Some((e.profile_id.clone()?, e.probe_name.clone()?)));
        let key = from_event.or_else(|| {
            packet
                .expectation_id
                .as_deref()
                .and_then(|eid| by_source.get(eid).cloned())
        });
        if let (Some(key), Some(reason)) = (key, packet.mismatch_reason.clone()) {
            out.reasons.entry(key).or_default().insert(reason);
        }
    }
    out
}

fn verdicts(b: &RuntimeToolsBundle) -> Vec<MappedVerdict> {
    let mismatches = mismatches(b);
    let baseline: BTreeMap<(String, String), String> = b
        .baseline
        .iter()
        .flat_map(|r| r.results.iter())
        .filter_map(|row| {
            Some((
                (row.profile_id.clone()?, row.probe_name.clone()?),
                row.status.clone().unwrap_or_else(|| "unknown".into()),
            ))
        })
        .collect();
    let oracle: BTreeSet<&str> = b
        .oracle
        .iter()
        .flat_map(|o| o.results.iter())
        .filter_map(|r| r.expectation_id.as_deref())
        .collect();

    let mut out = Vec::new();
    for (pid, profile) in &b.matrix.profiles {
        for expected in &profile.probes {
            let result = b
                .results
                .get(pid)
                .and_then(|r| r.probes.iter().find(|p| p.name == expected.name));
            let key = (pid.clone(), expected.name.clone());
            let mut record = map_record(pid, expected, result);
            if let Some(base) = baseline.get(&key) {
                record.baseline = Some(base.clone());
                record.lanes.push("baseline".into());
            }
            if expected
                .expectation_id
                .as_deref()
                .is_some_and(|e| oracle.contains(e))
            {
                record.lanes.push("oracle".into());
            }
            record.lanes.sort();
            record.mismatches = mismatches
                .types
                .get(&key)
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default();
            record.mismatch_reason = mismatches
                .reasons
                .get(&key)
                .map(|s| s.iter().cloned().collect::<Vec<_>>().join(","));
            out.push(record);
        }
    }
    // Results the matrix does not expect are carried over too, flagged.
    for (pid, profile) in &b.results {
        for result in &profile.probes {
            let known = b
                .matrix
                .profiles
                .get(pid)
                .is_some_and(|p| p.probes.iter().any(|e| e.name == result.name));
            if known {
                continue;
            }
            let expected = ExpectedProbe {
                name: result.name.clone(),
                operation: result.operation.clone(),
                target: result.path.clone(),
                expected: result.expected.clone(),
                expectation_id: result.expectation_id.clone(),
                ..ExpectedProbe::default()
            };
            let mut record = map_record(pid, &expected, Some(result));
            record.flags.push(flags::NOT_IN_EXPECTED_MATRIX.into());
            record.flags.sort();
            out.push(record);
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

fn map_record(pid: &str, expected: &ExpectedProbe, result: Option<&ResultProbe>) -> MappedVerdict {
    let id = ids::expectation_id(pid, &expected.name);
    let mut record = MappedVerdict {
        source_id: expected.expectation_id.clone().filter(|s| *s != id),
        id,
        profile: ids::name(pid),
        probe: ids::name(&expected.name),
        operation: expected.operation.clone(),
        target: expected.target.clone(),
        expected: expected_action(expected.expected.as_deref()),
        ..MappedVerdict::default()
    };
    let Some(result) = result else {
        record.flags.push(flags::NOT_RUN.into());
        return record;
    };
    record.lanes.push("scenario".into());
    record.harness = probe_harness(result);
    record.exit_code = result.exit_code;
    let rr = result.runtime_result.clone().unwrap_or_default();
    record.errno = rr.errno;
    record.failure_stage = rr.failure_stage.clone();
    record.failure_kind = rr.failure_kind.clone();
    let mut flags: BTreeSet<&str> = BTreeSet::new();

    match result.actual.as_deref() {
        Some(word @ ("allow" | "deny")) => {
            record.verdict = Some(word.to_owned());
            record.stage = Some(
                map_stage(rr.failure_stage.as_deref())
                    .unwrap_or("operation")
                    .to_owned(),
            );
        }
        Some(other) => {
            record.verdict = Some(other.to_owned());
            flags.insert(flags::UNKNOWN_DECISION_WORD);
        }
        None if rr.status.as_deref() == Some("blocked")
            || rr.failure_stage.as_deref() == Some("preflight") =>
        {
            record.verdict = Some("blocked".into());
            record.stage = Some("apply".into());
        }
        None if rr.intended_op_witnessed == Some(false) => {
            flags.insert(flags::OP_NOT_WITNESSED);
        }
        None => {
            flags.insert(flags::NO_DECISION_RECORDED);
        }
    }

    if record.verdict.as_deref() == Some("deny") {
        if rr.errno.is_some_and(|e| e < 0) || result.exit_code.is_some_and(|e| e < 0) {
            flags.insert(flags::DENY_WITH_NEGATIVE_ERRNO);
        }
        if result.error_kind.as_deref() == Some("timeout")
            || rr.failure_kind.as_deref() == Some("probe_timeout")
        {
            flags.insert(flags::TIMEOUT_RECORDED_AS_DENY);
        }
        match rr.failure_stage.as_deref() {
            Some("apply") | Some("preflight") => {
                flags.insert(flags::DENY_FROM_APPLY_FAILURE);
            }
            Some("bootstrap") => {
                flags.insert(flags::DENY_FROM_BOOTSTRAP_FAILURE);
            }
            _ => {}
        }
    }
    if let (Some(errno), Some(exit)) = (rr.errno, result.exit_code)
        && errno == exit
        && exit != 0
    {
        flags.insert(flags::ERRNO_IS_EXIT_STATUS);
    }
    record.flags = flags.into_iter().map(str::to_owned).collect();
    record
}
