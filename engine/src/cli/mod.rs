//! Command-line front end: arguments (clap, values validated as they are parsed) → a validated
//! configuration → one call → an exit status, decided in `exit.rs` (spec §10).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use crate::diagnostics::MessageFormat;

mod args;
mod check;
mod check_sbpl;
mod check_world;
mod compile;
mod diff;
mod exec;
mod exit;
mod explain;
mod import;
mod list;
mod manual;
mod matrix;
mod plan;
mod run;
mod shim;
mod style;
mod verify;
mod world;
mod worlds;

pub(crate) use args::*;
// `import` still chooses its exit status itself, with these.
use exit::{EXIT_ENVIRONMENT, EXIT_INVALID, EXIT_OK, Error, Outcome};

pub fn main() -> ExitCode {
    reset_sigpipe();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                EXIT_INVALID
            } else {
                EXIT_OK
            });
        }
    };
    let global = cli.global;
    style::set(global.color);
    let format = global.message_format.into();
    let ended = match cli.command {
        Command::Check(a) => check::run(a, format, global.quiet),
        Command::Plan(a) => plan::run(a, format),
        Command::Run(a) => run::run(a, &global),
        Command::List(a) => list::run(a, format),
        Command::Exec(a) => exec::run(a, &global),
        Command::Compile(a) => compile::run(a, format),
        Command::World(a) => world::run(a),
        Command::Verify(a) => verify::run(a, format),
        Command::Diff(a) => diff::run(a),
        Command::Matrix(a) => matrix::run(a),
        Command::Shim(ShimCommand::Suggest(a)) => shim::suggest(a, format),
        Command::Completions(a) => manual::completions(a),
        Command::Man(a) => manual::man(a),
        Command::Explain(a) => explain::run(a),
        // It still prints its own errors and chooses its exit status.
        Command::Import(a) => return ExitCode::from(import::run(a)),
        Command::ProbeHelper(a) => return ExitCode::from(crate::probes::helper::main(&a.spec)),
        Command::Worlds(a) => return ExitCode::from(worlds::run(a)),
        Command::GuestInit => return ExitCode::from(crate::worlds::guest_init::main()),
        Command::GuestRun { request } => return ExitCode::from(worlds::guest_run(&request)),
    };
    exit::finish(ended, format)
}

impl GlobalArgs {
    /// `-q` / `-v` as the run module sees them.
    fn verbosity(&self) -> crate::run::Verbosity {
        use crate::run::Verbosity;
        match (self.quiet, self.verbose) {
            (true, _) => Verbosity::Quiet,
            (false, true) => Verbosity::Verbose,
            (false, false) => Verbosity::Normal,
        }
    }
}

/// A closed stdout pipe (`xpr plan | head`) ends the process quietly instead of panicking.
fn reset_sigpipe() {
    let _ = crate::sys::sigaction::set_default(libc::SIGPIPE);
}
