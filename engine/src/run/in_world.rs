//! `xpr run FILE... --world NAME` for a guest world: each experiment is loaded, checked and
//! its selection resolved here (bad input is the host's to report, before any guest boots),
//! then `worlds::run_in_world` runs it inside its own boot of the guest and commits the
//! verified bundle; the report is that bundle's `summary.md`, read back from what was
//! verified.

use std::io::Write;
use std::path::Path;

use super::config::{ReportFormat, RunConfig, WorldChoice};
use super::{Finished, RunError, preflight, select};
use crate::bundle::layout;
use crate::model::Isolation;
use crate::resolve;
use crate::worlds::host_view::Needed;
use crate::worlds::{Catalogue, GuestRun, WorldError, WorldSpec};

/// What [`prepare`] decided for one experiment.
pub(crate) enum Prepared {
    /// Boot this world for this run.
    Guest(Box<(WorldSpec, GuestRun)>),
    /// `--rerun-failed` found nothing to re-run (said on stderr): no guest boots.
    NothingToRerun { experiment: String },
}

pub(crate) fn run(
    config: &RunConfig,
    choice: &WorldChoice,
    file: &Path,
) -> Result<Finished, RunError> {
    let (spec, run) = match prepare(config, choice, file)? {
        Prepared::Guest(both) => *both,
        Prepared::NothingToRerun { experiment } => {
            return Ok(Finished::nothing_to_rerun(experiment));
        }
    };
    let mut progress = |line: &str| eprintln!("xpr: {line}");
    let done = crate::worlds::run_in_world(&spec, &run, &mut progress).map_err(|error| {
        RunError::World {
            world: spec.name.clone(),
            error,
        }
    })?;
    let text = match config.report {
        ReportFormat::Json => format!("{}\n", json_report(&spec.name, &done)),
        ReportFormat::Text => {
            let summary =
                std::fs::read_to_string(done.bundle.join(layout::SUMMARY_MD)).unwrap_or_default();
            let boot = done.boot.map_or_else(String::new, |b| {
                format!(", booted in {:.1} s", b.as_secs_f64())
            });
            format!(
                "{summary}\nworld: {} ({:.1} s{boot})\nbundle: {}\n",
                spec.name,
                done.wall.as_secs_f64(),
                done.bundle.display()
            )
        }
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    // The bundle was verified as it was committed; its mismatches are read back from it.
    let mismatched = select::failed_in(&done.bundle, &run.experiment)
        .map_or(usize::from(done.exit_code != 0), |f| f.ids.len());
    Ok(Finished {
        experiment: run.experiment,
        passed: done.exit_code == 0,
        mismatched,
        junit: None,
    })
}

/// `run --format json` for a guest run: the host's report (`xpr.run_report.v1`), read back
/// from the verified bundle, with the world and its timings.
fn json_report(world: &str, done: &crate::worlds::WorldRun) -> serde_json::Value {
    let read = |name: &str| std::fs::read_to_string(done.bundle.join(name)).unwrap_or_default();
    let summary: serde_json::Value =
        serde_json::from_str(&read(layout::SUMMARY_JSON)).unwrap_or_default();
    let verdicts: Vec<serde_json::Value> = read(layout::VERDICTS)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let mut doc = serde_json::json!({
        "schema_version": super::stdout::RUN_REPORT_SCHEMA,
        "experiment": summary["summary"]["experiment"],
        "summary": summary["summary"],
        "shim_divergence": summary["shim_divergence"],
        "verdicts": verdicts,
        "bundle": done.bundle.display().to_string(),
        "world": {
            "name": world,
            "boot_ms": done.boot.map(|b| b.as_millis() as u64),
            "wall_ms": done.wall.as_millis() as u64,
        },
    });
    if !summary["selection"].is_null() {
        doc["selection"] = summary["selection"].clone();
    }
    doc
}

/// The world and the guest run for experiment `file` of `config`, with the experiment loaded
/// and its selection checked on the host first (a caller running several worlds, e.g. in
/// parallel, calls `worlds::run_in_world` with each).
pub(crate) fn prepare(
    config: &RunConfig,
    choice: &WorldChoice,
    file: &Path,
) -> Result<Prepared, RunError> {
    let catalogue = Catalogue::load(&choice.world_files).map_err(RunError::Invalid)?;
    let spec = catalogue
        .find(&choice.name)
        .map_err(RunError::UnknownWorld)?
        .clone();
    if config.junit.is_some() {
        return Err(RunError::JunitInWorld);
    }
    let loaded = resolve::load(file, &config.load).map_err(RunError::Invalid)?;
    crate::diagnostics::eprint(&loaded.warnings, config.message_format);
    let exp = loaded.experiment;
    let Some((_, failed)) = super::selection(config, &exp)? else {
        return Ok(Prepared::NothingToRerun {
            experiment: exp.name,
        });
    };
    // The guest reads the reference bundle the host chose through its view of the host's
    // root, by absolute path (made so lexically: no link is followed here; the guest
    // verifies what it reads, as the host did).
    let reference = match failed {
        Some(f) => Some(std::path::absolute(&f.bundle).map_err(|e| RunError::World {
            world: spec.name.clone(),
            error: WorldError::Setup(format!("{}: {e}", f.bundle.display())),
        })?),
        None => None,
    };
    preflight::output_root(&config.out_root, &exp.name)?;
    let cwd = std::env::current_dir().unwrap_or_else(|_| "/".into());
    // The guest starts in the same directory, so the experiment is named as the user named
    // it: artifacts name files as the host run would (an absolute path would make the guest's
    // bundle differ from the host's in more than the world).
    let file = file.to_path_buf();
    let run = GuestRun {
        experiment: exp.name.clone(),
        run_args: guest_run_args(config, &file, reference.as_deref()),
        manifest_args: crate::bundle::manifest::portable_args(std::env::args().skip(1), &cwd),
        cwd,
        out_root: config.out_root.clone(),
        label: config.label.clone(),
        accel: choice.accel,
        cpus: 1,
        sources: exp
            .sources
            .iter()
            .map(|s| (s.path.clone(), s.blake3.clone()))
            .collect(),
        reads: guest_reads(&file, &exp.sources, reference.as_deref()),
    };
    Ok(Prepared::Guest(Box::new((spec, run))))
}

/// What the guest's run reads from the host besides the experiment file and `xpr`: the
/// directories of the experiment's other sources (imports and `.sb` files, named relative to
/// the experiment's directory or absolute) and the reference bundle.
fn guest_reads(
    file: &Path,
    sources: &[crate::model::SourceFile],
    reference: Option<&Path>,
) -> Vec<Needed> {
    let dir = file.parent().unwrap_or(Path::new("."));
    let mut reads: Vec<Needed> = sources
        .iter()
        .filter(|s| !s.path.starts_with("std/"))
        .map(|s| Needed {
            what: "a source of the experiment",
            path: dir.join(&s.path),
            is_dir: false,
        })
        .collect();
    reads.extend(reference.map(|path| Needed {
        what: "the reference bundle",
        path: path.to_path_buf(),
        is_dir: true,
    }));
    reads
}

/// The guest's `xpr run` arguments: the experiment (as given; the guest runs in the same
/// directory) and the options that shape the
/// run; never world options or the host's output paths.
fn guest_run_args(config: &RunConfig, file: &Path, reference: Option<&Path>) -> Vec<String> {
    let mut out = vec![file.to_string_lossy().into_owned()];
    let selection = &config.selection;
    for glob in &selection.profiles {
        out.extend(["--profile".into(), glob.clone()]);
    }
    for glob in &selection.probes {
        out.extend(["--probe".into(), glob.clone()]);
    }
    for filter in &selection.filters {
        out.extend(["-E".into(), filter.text.clone()]);
    }
    if let Some(path) = reference {
        let path = path.to_string_lossy();
        out.push(match selection.rerun_failed {
            Some(_) => format!("--rerun-failed={path}"),
            None => format!("--reference={path}"),
        });
    }
    if config.fail_fast {
        out.push("--fail-fast".into());
    }
    for (name, value) in &config.load.params {
        out.extend(["--param".into(), format!("{name}={value}")]);
    }
    if let Some(j) = config.jobs {
        out.extend(["-j".into(), j.to_string()]);
    }
    if let Some(i) = config.isolation {
        let word = match i {
            Isolation::Probe => "probe",
            Isolation::Profile => "profile",
        };
        out.extend(["--isolation".into(), word.into()]);
    }
    if let Some(n) = config.landlock_abi_cap {
        out.extend(["--landlock-abi".into(), n.to_string()]);
    }
    if config.landlock_only {
        out.extend(["--mechanism".into(), "landlock".into()]);
    }
    if config.observer_audit {
        out.extend(["--observer".into(), "audit".into()]);
    }
    out
}
