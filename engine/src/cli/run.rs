//! `xpr run FILE...`: the arguments become a [`RunConfig`]; [`crate::run::run`] does the rest.
//!
//! Exit 0 when every expectation of every experiment holds (known mismatches allowed), else the
//! worst ending: 1 when any does not hold, 2 for invalid input, 3 when the environment fails
//! (already sandboxed, out dir not writable, interrupted, ...).

use super::*;
use crate::model::Isolation;
use crate::run::{ReportFormat, RunConfig, WorldChoice};
use crate::worlds::Accel;

pub(crate) fn run(args: RunArgs, global: &GlobalArgs) -> Result<Outcome, Error> {
    Ok(execute(&config(args, global)))
}

/// Runs `config`, printing each error as it happens (also inside a guest world); the worst
/// ending decides the status.
pub(super) fn execute(config: &RunConfig) -> Outcome {
    let format = config.message_format;
    let ended = crate::run::run(config, &mut |e| exit::eprint_run_error(e, format));
    exit::worst(ended.into_iter().map(|e| match e {
        Ok(f) if f.passed => Ok(Outcome::Clean),
        Ok(_) => Ok(Outcome::Findings),
        Err(e) => Err(Error::Run(e)),
    }))
}

pub(super) fn config(args: RunArgs, global: &GlobalArgs) -> RunConfig {
    RunConfig {
        load: args.load.options(),
        files: args.files,
        selection: args.select.selection(),
        fail_fast: args.fail_fast,
        jobs: args.jobs,
        out_root: args.out.unwrap_or_else(|| "out".into()),
        label: args.label,
        isolation: args.isolation.map(|i| match i {
            IsolationArg::Probe => Isolation::Probe,
            IsolationArg::Profile => Isolation::Profile,
        }),
        landlock_abi_cap: args.landlock_abi,
        landlock_only: args.mechanism == Some(MechanismArg::Landlock),
        observer_audit: args.observer == Some(ObserverArg::Audit),
        junit: args.junit,
        report: match args.format {
            OutputFormat::Text => ReportFormat::Text,
            OutputFormat::Json => ReportFormat::Json,
        },
        style: style::stdout(),
        stderr_colour: style::stderr(),
        message_format: global.message_format.into(),
        verbosity: global.verbosity(),
        world: args
            .world
            .world
            .filter(|name| name != crate::worlds::HOST)
            .map(|name| WorldChoice {
                name,
                world_files: args.world.world_files,
                accel: match args.world.accel {
                    AccelArg::Tcg => Accel::Tcg,
                    AccelArg::Kvm => Accel::Kvm,
                },
            }),
        guest: None,
    }
}
