//! Command-line front end: arguments (clap, values validated as they are parsed) → a validated
//! configuration → one call → an exit status, decided in `exit.rs` (spec §10).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use crate::diagnostics::MessageFormat;

mod args;
mod check;
mod check_sbpl;
mod compile;
mod diff;
mod exec;
mod exit;
mod explain;
mod import;
mod plan;
mod run;
mod shim;
mod verify;
mod world;
mod worlds;

pub use args::*;
// `explain` and `import` still choose their exit status themselves, with these.
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
    let format = cli.command.message_format();
    let ended = match cli.command {
        Command::Check(a) => check::run(a),
        Command::Plan(a) => plan::run(a),
        Command::Run(a) => run::run(a),
        Command::Exec(a) => exec::run(a),
        Command::Compile(a) => compile::run(a),
        Command::World(a) => world::run(a),
        Command::Verify(a) => verify::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Shim(ShimCommand::Suggest(a)) => shim::suggest(a),
        // These still print their own errors and choose their exit status.
        Command::Explain(a) => return ExitCode::from(explain::run(a)),
        Command::Import(a) => return ExitCode::from(import::run(a)),
        Command::ProbeHelper(a) => return ExitCode::from(crate::probes::helper::main(&a.spec)),
        Command::Worlds(a) => return ExitCode::from(worlds::run(a)),
        Command::GuestInit => return ExitCode::from(crate::worlds::guest_init::main()),
        Command::GuestRun { request } => return ExitCode::from(worlds::guest_run(&request)),
    };
    exit::finish(ended, format)
}

impl Command {
    /// How this command's diagnostics and errors are printed.
    fn message_format(&self) -> MessageFormat {
        match self {
            Command::Check(CheckArgs { load, .. })
            | Command::Plan(PlanArgs { load, .. })
            | Command::Run(RunArgs { load, .. })
            | Command::Exec(ExecArgs { load, .. })
            | Command::Compile(CompileArgs { load, .. })
            | Command::Shim(ShimCommand::Suggest(ShimSuggestArgs { load, .. })) => {
                load.message_format.into()
            }
            _ => MessageFormat::Human,
        }
    }
}

/// A closed stdout pipe (`xpr plan | head`) ends the process quietly instead of panicking.
fn reset_sigpipe() {
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
