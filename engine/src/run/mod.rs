//! run: experiments from a validated configuration to verified bundles and a report.
//!
//! Per experiment: load → selection → world and preflight checks → plan → compile → execute →
//! classify → side lanes → bundle → report; then one JUnit report for all of them. `cli` turns
//! arguments into a [`RunConfig`] and makes one call, [`run`]; tests, benchmarks and
//! `shim suggest` call [`run_experiment`] on an experiment they hold (compile through side
//! lanes, nothing written). See ARCHITECTURE.md, "The pipeline".

mod bundle_out;
mod config;
mod error;
mod exec;
pub(crate) mod filter;
mod in_world;
mod pipeline;
mod preflight;
mod progress;
pub(crate) mod select;
mod stdout;

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::{Instant, SystemTime};

pub(crate) use config::{GuestContext, ReportFormat, RunConfig, Verbosity, WorldChoice};
pub(crate) use error::RunError;
pub(crate) use exec::{CommandEnd, ExecConfig, exec};
pub(crate) use in_world::{Prepared as PreparedWorldRun, prepare as prepare_world_run};
pub use pipeline::{RunResult, run_experiment, run_plan};

use crate::execute::{self, ExecuteOptions};
use crate::plan::Plan;
use crate::report::junit::Suite;
use crate::resolve;
use crate::world::{WorldFacts, WorldOptions};
use progress::{RunProgress, Statuses};

/// A run that reached its report.
#[derive(Debug)]
pub(crate) struct Finished {
    pub experiment: String,
    /// Every expectation held (known mismatches allowed).
    pub passed: bool,
    /// Expectations that did not hold.
    pub mismatched: usize,
    /// Its JUnit test suite.
    junit: Option<Suite>,
}

/// Runs each experiment `config` names in turn (on this host, or each in its own boot of the
/// `--world`), writing its bundle and printing its report on stdout (warnings go to stderr as
/// they arise), then the JUnit report of all of them. An experiment that stops before its
/// report is handed to `failed` at once and the next one runs; an interruption stops
/// everything, and so does the first failure with `--fail-fast`. Several experiments end with
/// one summary line.
pub(crate) fn run(
    config: &RunConfig,
    failed: &mut dyn FnMut(&RunError),
) -> Vec<Result<Finished, RunError>> {
    execute::interrupt::install();
    if config.world.is_some() && config.junit.is_some() {
        let e = RunError::JunitInWorld;
        failed(&e);
        return vec![Err(e)];
    }
    let mut ended = Vec::new();
    for file in &config.files {
        let one = match &config.world {
            Some(choice) => in_world::run(config, choice, file),
            None => run_one(config, file),
        };
        if let Err(e) = &one {
            failed(e);
        }
        let stop = match &one {
            Err(RunError::Interrupted)
            | Err(RunError::World {
                error: crate::worlds::WorldError::Interrupted { .. },
                ..
            }) => true,
            Err(_) => config.fail_fast,
            Ok(f) => config.fail_fast && !f.passed,
        };
        ended.push(one);
        if stop {
            break;
        }
    }
    if let Some(path) = &config.junit {
        let suites: Vec<Suite> = ended
            .iter()
            .filter_map(|e| e.as_ref().ok()?.junit.clone())
            .collect();
        if let Err(source) = crate::report::junit::write(path, &suites) {
            let e = RunError::Junit {
                path: path.clone(),
                source,
            };
            failed(&e);
            ended.push(Err(e));
        }
    }
    if config.files.len() > 1 && config.report == ReportFormat::Text {
        let text = stdout::overall(&ended, config.files.len());
        let _ = std::io::stdout().lock().write_all(text.as_bytes());
    }
    ended
}

impl Finished {
    /// `--rerun-failed` of a run without failures: nothing ran, nothing was written.
    fn nothing_to_rerun(experiment: String) -> Finished {
        Finished {
            experiment,
            passed: true,
            mismatched: 0,
            junit: None,
        }
    }
}

/// The pairs of `exp` the selection selects, with the reference bundle it read; `None` (said
/// on stderr) when `--rerun-failed` finds nothing to re-run.
fn selection(
    config: &RunConfig,
    exp: &crate::model::Experiment,
) -> Result<Option<(select::Selected, Option<select::Failed>)>, RunError> {
    let failed = select::reference(&config.selection, &config.out_root, &exp.name)?;
    let selected = select::select(exp, &config.selection, failed.as_ref())?;
    if selected.pairs == 0 {
        let from = failed.map_or_else(String::new, |f| f.bundle.display().to_string());
        eprintln!(
            "{}: nothing to re-run: no expectation failed in {from}",
            exp.name
        );
        return Ok(None);
    }
    Ok(Some((selected, failed)))
}

/// One experiment, from its file to its bundle and report.
fn run_one(config: &RunConfig, file: &Path) -> Result<Finished, RunError> {
    let started = SystemTime::now();
    let clock = Instant::now();
    let loaded = resolve::load(file, &config.load).map_err(RunError::Invalid)?;
    crate::diagnostics::eprint(&loaded.warnings, config.message_format);
    let full = loaded.experiment;
    let Some((selected, _)) = selection(config, &full)? else {
        return Ok(Finished::nothing_to_rerun(full.name));
    };
    let (exp, mask) = if config.selection.is_everything() {
        (full, None)
    } else {
        let (narrowed, mask) = select::narrow(&full, &selected);
        (narrowed, Some(mask))
    };

    let mut world = WorldFacts::detect(&WorldOptions {
        landlock_abi_cap: config.landlock_abi_cap,
        landlock_only: config.landlock_only,
    });
    if let Some(guest) = &config.guest {
        world.set_vm(guest.vm.clone(), guest.harness.clone());
    }
    if let Some(message) = world.abi_cap_error() {
        return Err(RunError::AbiCap(message));
    }
    preflight::harness(&world, config.verbosity)?;
    // The plan is the graph the runner walks: its compile, fixture and exec nodes are the work.
    let plan = Plan::build(&exp);
    preflight::output_root(&config.out_root, &exp.name)?;
    let helper_exe = std::env::current_exe().map_err(RunError::HelperExe)?;
    let defaults = ExecuteOptions::default();
    let options = ExecuteOptions {
        jobs: config.jobs.map_or(defaults.jobs, |j| j.get()),
        isolation: config.isolation.unwrap_or(exp.isolation),
        helper_exe,
        observer_audit: config.observer_audit,
        deny: world.deny_set(),
        ..defaults
    };
    preflight::single_threaded();
    let terminal = std::io::stderr().is_terminal();
    let statuses = match config.verbosity {
        Verbosity::Quiet => Statuses::None,
        Verbosity::Normal if terminal => Statuses::Failures,
        Verbosity::Normal => Statuses::None,
        Verbosity::Verbose => Statuses::All,
    };
    let mut progress = RunProgress::new(
        &exp,
        terminal && config.verbosity != Verbosity::Quiet,
        statuses,
        config.stderr_colour,
        config.fail_fast,
    );
    let result = run_plan(&plan, &exp, &world, &options, mask.as_ref(), &mut progress)?;
    if let Some(id) = &progress.stopped_at {
        eprintln!(
            "{}: --fail-fast: stopped after {id} failed; {} of {} pairs have a result",
            exp.name,
            result.verdicts.len(),
            selected.pairs
        );
    }
    let facts = bundle_out::RunFacts {
        label: config.label.as_deref(),
        run_id: config.guest.as_ref().map(|g| g.run_id.clone()),
        args: match &config.guest {
            Some(g) => g.manifest_args.clone(),
            None => crate::bundle::manifest::portable_args(
                std::env::args().skip(1),
                &std::env::current_dir().unwrap_or_default(),
            ),
        },
        started,
        finished: SystemTime::now(),
        wall_ms: clock.elapsed().as_millis() as u64,
        plan_nodes: plan.node_count(),
        selected: mask.is_some().then_some(&selected),
        stopped_at: progress.stopped_at.as_deref(),
    };
    let bundle = bundle_out::write(&config.out_root, &exp, &world, &result, &options, facts)
        .map_err(|source| RunError::Bundle {
            root: config.out_root.clone(),
            source,
        })?;
    let shown = stdout::Shown {
        selected: mask.is_some().then_some(&selected),
        verbosity: config.verbosity,
    };
    let text = stdout::render(&exp, &result, &bundle, config.report, config.style, &shown);
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    let junit = config
        .junit
        .as_ref()
        .map(|_| crate::report::junit::suite(&exp.name, &result.verdicts, &result.records));
    Ok(Finished {
        experiment: exp.name,
        passed: result.summary.passed(),
        mismatched: result.summary.mismatched,
        junit,
    })
}
