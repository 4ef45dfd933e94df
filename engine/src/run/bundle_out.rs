//! The runner's part of the bundle: manifest, per-lane stage records, verdicts, mismatches,
//! compiled profiles and fidelity, summary; written through `bundle::BundleWriter`, which
//! pins everything in `artifact_index.json` last.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::bundle::fidelity::FidelityReport;
use crate::bundle::layout::{self, schema};
use crate::bundle::manifest::{Closure, EngineIdentity, Manifest, Timings};
use crate::bundle::path_guard::PathGuard;
use crate::bundle::world_vocabulary::{FamilyStatus, Vocabulary};
use crate::bundle::{BundleWriter, IndexMeta, InvalidRunId, RunId};
use crate::execute::{ExecuteOptions, SCRATCH_PREFIX};
use crate::model::{Experiment, Lane};
use crate::world::WorldFacts;

use super::RunResult;
use super::select::Selected;

/// Why the bundle could not be written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WriteError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Label(#[from] InvalidRunId),
    /// A source's digest is not blake3 hex: the closure would pin the wrong bytes.
    #[error("source {path}: `{digest}` is not a blake3 hex digest")]
    SourceDigest { path: String, digest: String },
}

/// How artifacts name the probe helper binary (spec §6.4).
const HELPER_PLACEHOLDER: &str = "{probe-helper}";

pub(crate) struct RunFacts<'a> {
    pub label: Option<&'a str>,
    /// Chosen by the host for a guest world's run; otherwise made from the label.
    pub run_id: Option<RunId>,
    /// The manifest's `args` (already portable).
    pub args: Vec<String>,
    pub started: SystemTime,
    pub finished: SystemTime,
    pub wall_ms: u64,
    pub plan_nodes: usize,
    /// The selection, when the run was a subset of the experiment.
    pub selected: Option<&'a Selected>,
    /// The failed expectation `--fail-fast` stopped the run at.
    pub stopped_at: Option<&'a str>,
}

/// The bytes of a source's hex digest, as the closure pins them.
fn source_digest(path: &str, hex: &str) -> Result<[u8; 32], WriteError> {
    blake3::Hash::from_hex(hex)
        .map(|h| *h.as_bytes())
        .map_err(|_| WriteError::SourceDigest {
            path: path.to_string(),
            digest: hex.to_string(),
        })
}

pub(crate) fn write(
    out_root: &Path,
    exp: &Experiment,
    world: &WorldFacts,
    result: &RunResult,
    options: &ExecuteOptions,
    facts: RunFacts,
) -> Result<PathBuf, WriteError> {
    let run_id = match facts.run_id {
        Some(id) => id,
        None => RunId::new(facts.label)?,
    };
    let mut w = BundleWriter::create(out_root, &exp.name, &run_id)?;
    // Records carry `{scratch}`; a leaked scratch path would make the bundle host-specific.
    // The probe helper is xpr's own binary, wherever it is installed: the oracle names it
    // when it predicts `helper=` probes.
    let scratch_prefix = std::env::temp_dir().join(SCRATCH_PREFIX);
    let helper = &options.helper_exe;
    let helper_real = helper.canonicalize().unwrap_or_else(|_| helper.clone());
    w.set_path_guard(
        PathGuard::new()
            .forbid(&scratch_prefix.to_string_lossy())
            .substitute(&helper.to_string_lossy(), HELPER_PLACEHOLDER)
            .substitute(&helper_real.to_string_lossy(), HELPER_PLACEHOLDER),
    );

    let settings = serde_json::json!({
        "isolation": options.isolation,
        "timeout_ms": exp.timeout.as_millis() as u64,
        "output_limit": options.output_limit,
    });
    let mut inputs: Vec<(String, [u8; 32])> = exp
        .sources
        .iter()
        .map(|s| Ok((s.path.clone(), source_digest(&s.path, &s.blake3)?)))
        .collect::<Result<_, WriteError>>()?;
    inputs.push((
        "settings".into(),
        *blake3::hash(settings.to_string().as_bytes()).as_bytes(),
    ));
    if let Ok(bytes) = std::fs::read(&options.helper_exe) {
        inputs.push(("probe-helper".into(), *blake3::hash(&bytes).as_bytes()));
    }
    let closure = Closure::from_inputs(&inputs);
    let manifest = Manifest {
        run_id: run_id.as_str().to_string(),
        experiment: exp.name.clone(),
        world_id: world.world_id.clone(),
        world: serde_json::to_value(world).unwrap_or_default(),
        harness: serde_json::to_value(&world.harness).unwrap_or_default(),
        engine: EngineIdentity::current(),
        args: facts.args,
        lanes: exp.lanes.clone(),
        isolation: options.isolation,
        network: Some(result.network.clone()),
        timings: Timings {
            started: crate::bundle::time::rfc3339_utc(facts.started),
            finished: crate::bundle::time::rfc3339_utc(facts.finished),
            wall_ms: facts.wall_ms,
        },
        closure: closure.clone(),
    };
    w.write_json(layout::MANIFEST, schema::MANIFEST, &manifest)?;
    for lane in [Lane::Baseline, Lane::Scenario] {
        if exp.lanes.contains(&lane) {
            let records = result.records.iter().filter(|r| r.lane == lane);
            w.write_jsonl(&layout::stage_records(lane), schema::STAGE_RECORDS, records)?;
        }
    }
    // Sorted by the stable expectation id (spec §6.7), unlike the matrix's declaration order.
    let mut by_id: Vec<&crate::model::VerdictRecord> = result.verdicts.iter().collect();
    by_id.sort_by(|a, b| a.id.cmp(&b.id));
    w.write_jsonl(layout::VERDICTS, schema::VERDICTS, by_id.iter())?;
    let mismatches = by_id.iter().filter(|v| !v.mismatches.is_empty());
    w.write_jsonl(layout::MISMATCHES, schema::MISMATCHES, mismatches)?;
    w.write_json(
        layout::VOCABULARY,
        schema::VOCABULARY,
        &vocabulary(exp, result),
    )?;
    for (c, p) in result.compiled.iter().zip(&exp.profiles) {
        w.write_json(
            &layout::compiled(&p.id, "source.json"),
            schema::PROFILE_IR,
            &p.source,
        )?;
        w.write_json(
            &layout::compiled(&p.id, "runtime.json"),
            schema::PROFILE_IR,
            &p.runtime,
        )?;
        let sb = crate::compile::seatbelt::compile(&p.runtime);
        w.write_text(&layout::compiled(&p.id, "sb"), schema::SBPL, &sb.sbpl)?;
        w.write_json(
            &layout::compiled(&c.profile_id, "landlock.json"),
            schema::LANDLOCK_PLAN,
            &c.plan,
        )?;
        if let Some(mounts) = c.mount_plan() {
            w.write_json(
                &layout::compiled(&c.profile_id, "mounts.json"),
                schema::MOUNT_PLAN,
                &mounts,
            )?;
        }
        if !c.bpf_bytes().is_empty() {
            w.write_bytes(
                &layout::compiled(&c.profile_id, "seccomp.bpf"),
                schema::SECCOMP_BPF,
                c.bpf_bytes(),
            )?;
        }
        let report = FidelityReport {
            profile: c.profile_id.clone(),
            rules: c.fidelity.clone(),
        };
        w.write_json(&layout::fidelity(&c.profile_id), schema::FIDELITY, &report)?;
    }
    write_side_lanes(&mut w, result)?;
    let mut summary = serde_json::json!({
        "oracle_calibration": result.lanes.calibration,
        "observer": result.lanes.observer,
        "summary": result.summary,
        "shim_divergence": crate::report::shim_divergence(exp, &result.verdicts),
        "world_id": world.world_id,
        "plan_nodes": facts.plan_nodes,
        "exit_code": if result.summary.passed() { 0 } else { 1 },
    });
    if let Some(id) = facts.stopped_at {
        summary["fail_fast_stopped_at"] = id.into();
    }
    if let Some(selected) = facts.selected {
        summary["selection"] = serde_json::to_value(selected).map_err(std::io::Error::other)?;
    }
    w.write_json(layout::SUMMARY_JSON, schema::SUMMARY, &summary)?;
    let md = format!(
        "# {}\n\n{}\n\n{}{}",
        exp.name,
        result.summary.line(),
        crate::report::markdown_matrix(&result.verdicts),
        crate::lanes::markdown(&result.lanes, &result.verdicts)
    );
    w.write_text(layout::SUMMARY_MD, schema::SUMMARY_MD, &md)?;
    let bundle = w.commit(IndexMeta {
        run_id: run_id.clone(),
        world_id: world.world_id.clone(),
        closure_digest: closure.digest,
    })?;
    // The bundle is complete without the link; a link that cannot be made is worth a warning.
    if let Err(e) = crate::bundle::writer::point_latest(out_root, &exp.name, &run_id) {
        eprintln!("warning: {}: {e}", layout::LATEST);
    }
    Ok(bundle)
}

/// What this world can enforce, from the compiled profiles' fidelity (the worst fidelity of any
/// rule naming an operation), and which probe families run here.
fn vocabulary(exp: &Experiment, result: &RunResult) -> Vocabulary {
    let mut v = Vocabulary::default();
    for (c, p) in result.compiled.iter().zip(&exp.profiles) {
        for f in &c.fidelity {
            let Some(rule) = f.rule.and_then(|i| p.runtime.rules.get(i)) else {
                continue;
            };
            for op in &rule.operations {
                let e = v.operations.entry(op.clone()).or_insert(f.fidelity);
                *e = (*e).max(f.fidelity);
            }
        }
    }
    for probe in &exp.probes {
        let status = if crate::probes::applicability(probe).is_ok() {
            FamilyStatus::Applicable
        } else {
            FamilyStatus::NotApplicable
        };
        v.families.insert(probe.family.clone(), status);
    }
    v
}

/// Oracle records, shim divergence and observer records: each lane in its own file, apart
/// from the observed stage records (their sections of `summary.md` are appended there).
fn write_side_lanes(w: &mut BundleWriter, result: &RunResult) -> std::io::Result<()> {
    let lanes = &result.lanes;
    if !lanes.oracle.is_empty() {
        w.write_jsonl(layout::ORACLE, schema::ORACLE_RECORDS, lanes.oracle.iter())?;
    }
    if !lanes.divergence.is_empty() {
        w.write_jsonl(
            layout::SHIM_DIVERGENCE,
            schema::SHIM_DIVERGENCE,
            lanes.divergence.iter(),
        )?;
    }
    if let Some(o) = &lanes.observer {
        w.write_jsonl(layout::OBSERVER, schema::OBSERVER_RECORDS, o.records.iter())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_digest_that_is_not_blake3_hex_is_an_error_not_a_hash_of_its_text() {
        let hex = blake3::hash(b"x").to_hex();
        assert_eq!(
            source_digest("a.kdl", &hex).expect("valid"),
            *blake3::hash(b"x").as_bytes()
        );
        for bad in ["", "zz", &hex[..10]] {
            match source_digest("a.kdl", bad) {
                Err(WriteError::SourceDigest { path, digest }) => {
                    assert_eq!((path.as_str(), digest.as_str()), ("a.kdl", bad));
                }
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }
}
