//! `xpr run FILE --world NAME` for a guest world: the experiment is loaded and checked here
//! (bad input is the host's to report, before any guest boots), then `worlds::run_in_world`
//! runs it inside the guest and commits the verified bundle; the report is that bundle's
//! `summary.md`, read back from what was verified.

use std::io::Write;

use super::config::{ReportFormat, RunConfig, WorldChoice};
use super::{Finished, RunError, preflight};
use crate::bundle::layout;
use crate::model::Isolation;
use crate::resolve;
use crate::worlds::{Catalogue, GuestRun, WorldSpec};

pub fn run(config: &RunConfig, choice: &WorldChoice) -> Result<Finished, RunError> {
    crate::execute::interrupt::install();
    let (spec, run) = prepare(config, choice)?;
    let mut progress = |line: &str| eprintln!("xpr: {line}");
    let done = crate::worlds::run_in_world(&spec, &run, &mut progress).map_err(|error| {
        RunError::World {
            world: spec.name.clone(),
            error,
        }
    })?;
    let text = match config.report {
        ReportFormat::Json => format!(
            "{}\n",
            serde_json::json!({
                "world": spec.name,
                "bundle": done.bundle.display().to_string(),
                "exit_code": done.exit_code,
                "boot_ms": done.boot.map(|b| b.as_millis() as u64),
                "wall_ms": done.wall.as_millis() as u64,
            })
        ),
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
    Ok(Finished {
        passed: done.exit_code == 0,
        bundle: done.bundle,
    })
}

/// The world and the guest run for `config`, with the experiment loaded and checked on the
/// host first (a caller running several worlds, e.g. in parallel, calls
/// `worlds::run_in_world` with each).
pub fn prepare(
    config: &RunConfig,
    choice: &WorldChoice,
) -> Result<(WorldSpec, GuestRun), RunError> {
    let catalogue = Catalogue::load(&choice.world_files).map_err(RunError::Invalid)?;
    let spec = catalogue
        .find(&choice.name)
        .map_err(RunError::UnknownWorld)?
        .clone();
    if config.junit.is_some() {
        return Err(RunError::JunitInWorld);
    }
    let loaded = resolve::load(&config.file, &config.load).map_err(RunError::Invalid)?;
    crate::diagnostics::eprint(&loaded.warnings, config.message_format);
    let exp = loaded.experiment;
    preflight::output_root(&config.out_root, &exp.name)?;
    let cwd = std::env::current_dir().unwrap_or_else(|_| "/".into());
    let file = std::path::absolute(&config.file).unwrap_or_else(|_| config.file.clone());
    let run = GuestRun {
        experiment: exp.name.clone(),
        run_args: guest_run_args(config, &file),
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
    };
    Ok((spec, run))
}

/// The guest's `xpr run` arguments: the experiment (absolute) and the options that shape the
/// run; never world options or the host's output paths.
fn guest_run_args(config: &RunConfig, file: &std::path::Path) -> Vec<String> {
    let mut out = vec![file.to_string_lossy().into_owned()];
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
