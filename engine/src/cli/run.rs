//! `xpr run FILE`: the arguments become a [`RunConfig`]; [`crate::run::run`] does the rest.
//!
//! Exit 0 when every expectation holds (known mismatches allowed), 1 when any does not, 2 for
//! invalid input, 3 when the environment fails (already sandboxed, out dir not writable, ...).

use std::io::IsTerminal;

use super::*;
use crate::model::Isolation;
use crate::report::Style;
use crate::run::{ReportFormat, RunConfig, WorldChoice};
use crate::worlds::Accel;

pub fn run(args: RunArgs) -> Result<Outcome, Error> {
    let finished = crate::run::run(&config(args))?;
    Ok(if finished.passed {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}

pub(super) fn config(args: RunArgs) -> RunConfig {
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    RunConfig {
        load: args.load.options(),
        file: args.file,
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
        style: if colour { Style::Colour } else { Style::Plain },
        message_format: args.load.message_format.into(),
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
