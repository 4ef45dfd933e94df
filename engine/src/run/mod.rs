//! run: one experiment from a validated configuration to a verified bundle and a report.
//!
//! load → world and preflight checks → plan → compile → execute → classify → side lanes →
//! bundle → JUnit → report. `cli` turns arguments into a [`RunConfig`] and makes one call,
//! [`run`]; tests, benchmarks and `shim suggest` call [`run_experiment`] on an experiment they
//! hold (compile through side lanes, nothing written). See ARCHITECTURE.md, "The pipeline".

mod bundle_out;
mod config;
mod error;
mod exec;
mod in_world;
mod pipeline;
mod preflight;
mod stdout;

use std::io::Write;
use std::path::PathBuf;
use std::time::{Instant, SystemTime};

pub use bundle_out::WriteError;
pub use config::{GuestContext, ReportFormat, RunConfig, WorldChoice};
pub use error::RunError;
pub use exec::{CommandEnd, ExecConfig, exec};
pub use in_world::prepare as prepare_world_run;
pub use pipeline::{RunResult, run_experiment, run_plan};

use crate::execute::{self, ExecuteOptions};
use crate::plan::Plan;
use crate::report::progress::ProgressLine;
use crate::resolve;
use crate::world::{WorldFacts, WorldOptions};

/// A run that reached its report.
#[derive(Debug)]
pub struct Finished {
    /// Every expectation held (known mismatches allowed).
    pub passed: bool,
    pub bundle: PathBuf,
}

/// Runs the experiment `config` names, writes its bundle (and JUnit report) and prints the
/// report on stdout; warnings go to stderr as they arise.
pub fn run(config: &RunConfig) -> Result<Finished, RunError> {
    if let Some(choice) = &config.world {
        return in_world::run(config, choice);
    }
    execute::interrupt::install();
    let started = SystemTime::now();
    let clock = Instant::now();
    let loaded = resolve::load(&config.file, &config.load).map_err(RunError::Invalid)?;
    crate::diagnostics::eprint(&loaded.warnings, config.message_format);
    let exp = loaded.experiment;

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
    preflight::harness(&world)?;
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
    let mut progress = ProgressLine::new(&exp.name);
    let result = run_plan(&plan, &exp, &world, &options, &mut progress)?;
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
    };
    let bundle = bundle_out::write(&config.out_root, &exp, &world, &result, &options, facts)
        .map_err(|source| RunError::Bundle {
            root: config.out_root.clone(),
            source,
        })?;
    if let Some(path) = &config.junit {
        crate::report::junit::write(path, &exp.name, &result.verdicts, &result.records).map_err(
            |source| RunError::Junit {
                path: path.clone(),
                source,
            },
        )?;
    }
    let text = stdout::render(&exp, &result, &bundle, config.report, config.style);
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(Finished {
        passed: result.summary.passed(),
        bundle,
    })
}
