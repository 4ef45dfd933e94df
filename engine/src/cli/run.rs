//! `xpr run FILE`: load → plan → compile each runtime profile → execute both lanes → classify
//! → print the matrix and summary → write the run bundle under `out/<experiment>/<run_id>/`.
//!
//! Exit 0 when every expectation holds (known mismatches allowed), 1 when any does not, 2 for
//! invalid input, 3 when the environment fails (already sandboxed, out dir not writable, ...).

use std::io::{IsTerminal, Write};
use std::time::{Instant, SystemTime};

use super::*;
use crate::diagnostics::{Diag, Diagnostics};
use crate::execute::{self, ExecuteError, ExecuteOptions};
use crate::model::Isolation;
use crate::report::{self, Style};
use crate::resolve::{self, LoadOptions};
use crate::world::{WorldFacts, WorldOptions};

mod bundle_out;

/// What a guest world's run takes from the host instead of detecting or choosing it.
#[derive(Clone, Debug, Default)]
pub struct RunOverrides {
    pub run_id: Option<crate::bundle::RunId>,
    /// The manifest's `args`: the user's command line on the host.
    pub manifest_args: Option<Vec<String>>,
    pub vm: Option<(crate::world::VmWorld, crate::world::VmHarness)>,
}

pub fn run(args: RunArgs) -> u8 {
    if args
        .world
        .world
        .as_deref()
        .is_some_and(|w| w != crate::worlds::HOST)
    {
        return super::worlds::run_in_world(args);
    }
    run_with(args, &RunOverrides::default())
}

pub fn run_with(args: RunArgs, overrides: &RunOverrides) -> u8 {
    execute::interrupt::install();
    let started = SystemTime::now();
    let clock = Instant::now();
    let mut params = Vec::new();
    let mut usage = Diagnostics::new();
    for p in &args.load.params {
        match resolve::parse_param(p) {
            Some(kv) => params.push(kv),
            None => usage.push(Diag::error(
                crate::diagnostics::codes::INVALID_VALUE,
                format!("--param `{p}` must be NAME=VALUE"),
            )),
        }
    }
    if !usage.is_empty() {
        check::print_diagnostics(&usage, args.load.message_format);
        return EXIT_INVALID;
    }
    if let Some(label) = &args.label
        && let Err(e) = crate::bundle::RunId::new(Some(label))
    {
        eprintln!("error: {e}");
        return EXIT_INVALID;
    }
    if args.jobs == Some(0) {
        eprintln!("error: -j must be at least 1");
        return EXIT_INVALID;
    }
    let loaded = match resolve::load(
        &args.file,
        &LoadOptions {
            params,
            world: "linux".into(),
        },
    ) {
        Ok(l) => l,
        Err(diags) => {
            check::print_diagnostics(&diags, args.load.message_format);
            return EXIT_INVALID;
        }
    };
    check::print_diagnostics(&loaded.warnings, args.load.message_format);
    let exp = loaded.experiment;

    let mut world = WorldFacts::detect(&WorldOptions {
        landlock_abi_cap: args.landlock_abi,
    });
    if let Some((vm, harness)) = &overrides.vm {
        world.set_vm(vm.clone(), harness.clone());
    }
    if let Some(message) = world.abi_cap_error() {
        eprintln!("error: {message}");
        return EXIT_INVALID;
    }
    let problems = world.harness.problems();
    if !problems.is_empty() {
        for p in problems {
            eprintln!("error: harness: {p}");
        }
        eprintln!("error: results would not be faithful; run xpr outside any sandbox");
        return EXIT_ENVIRONMENT;
    }
    for w in world.harness.warnings() {
        eprintln!("warning: harness: {w}");
    }
    // The plan is the graph the runner walks (`execute::run_plan`): its compile, fixture and
    // exec nodes are the run's work.
    let plan = crate::plan::Plan::build(&exp);

    let out_root = args.out.clone().unwrap_or_else(|| "out".into());
    if let Err(e) = crate::bundle::BundleWriter::check_output(&out_root, &exp.name) {
        eprintln!(
            "error: cannot write bundles under {}: {e}",
            out_root.display()
        );
        return EXIT_ENVIRONMENT;
    }
    let helper_exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: cannot locate the xpr binary for the probe helper: {e}");
            return EXIT_ENVIRONMENT;
        }
    };
    let options = ExecuteOptions {
        jobs: args.jobs.unwrap_or_else(|| ExecuteOptions::default().jobs),
        isolation: match args.isolation {
            Some(IsolationArg::Probe) => Isolation::Probe,
            Some(IsolationArg::Profile) => Isolation::Profile,
            None => exp.isolation,
        },
        helper_exe,
        observer_audit: args.observer == Some(ObserverArg::Audit),
        ..ExecuteOptions::default()
    };
    // Workers are forked from this process: it must have no other thread by now (the SBPL
    // parser's scoped thread has been joined).
    let threads = std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(1);
    if threads > 1 {
        eprintln!("warning: the engine has {threads} threads before forking workers");
    }
    let result = match execute::run_plan(&plan, &exp, &world, &options) {
        Ok(r) => r,
        Err(ExecuteError::Interrupted) => {
            eprintln!("xpr run: interrupted; workers stopped, scratch removed, no bundle written");
            return EXIT_ENVIRONMENT;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_ENVIRONMENT;
        }
    };
    let finished = SystemTime::now();
    let bundle = bundle_out::write(
        &out_root,
        &exp,
        &world,
        &result,
        &options,
        bundle_out::RunFacts {
            label: args.label.as_deref(),
            run_id: overrides.run_id.clone(),
            args: overrides.manifest_args.clone().unwrap_or_else(|| {
                crate::bundle::manifest::portable_args(
                    std::env::args().skip(1),
                    &std::env::current_dir().unwrap_or_default(),
                )
            }),
            started,
            finished,
            wall_ms: clock.elapsed().as_millis() as u64,
            plan_nodes: plan.node_count(),
        },
    );
    let bundle = match bundle {
        Ok(p) => p,
        Err(e) => {
            eprintln!(
                "error: cannot write the run bundle under {}: {e}",
                out_root.display()
            );
            return EXIT_ENVIRONMENT;
        }
    };
    if let Some(path) = &args.junit
        && let Err(e) =
            crate::report::junit::write(path, &exp.name, &result.verdicts, &result.records)
    {
        eprintln!("error: cannot write JUnit report {}: {e}", path.display());
        return EXIT_ENVIRONMENT;
    }
    let mut stdout = std::io::stdout().lock();
    let text = match args.format {
        OutputFormat::Json => {
            let doc = serde_json::json!({
                "summary": result.summary,
                "shim_divergence": report::shim_divergence(&exp, &result.verdicts),
                "verdicts": result.verdicts,
                "bundle": bundle.display().to_string(),
            });
            format!(
                "{}\n",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            )
        }
        OutputFormat::Text => {
            let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let style = if colour { Style::Colour } else { Style::Plain };
            let divergence = report::shim_divergence(&exp, &result.verdicts);
            format!(
                "{}
{}{}
{}bundle: {}
",
                report::matrix(&result.verdicts, style),
                report::divergence_text(&divergence),
                result.summary.line(),
                crate::lanes::summary_lines(&result.lanes, &result.verdicts),
                bundle.display()
            )
        }
    };
    let _ = stdout.write_all(text.as_bytes());
    if result.summary.passed() {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    }
}
