//! Command-line front end: raw arguments (clap) → one function per subcommand.
//!
//! Exit codes (design §11): 0 success; 1 mismatches or differences found; 2 invalid input or
//! usage; 3 the environment failed.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod check;
mod check_sbpl;
mod diff;
mod explain;
mod import;
mod plan;
mod run;
mod shim;
mod verify;
mod world;
mod worlds;

pub const EXIT_OK: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_INVALID: u8 = 2;
pub const EXIT_ENVIRONMENT: u8 = 3;

#[derive(Parser, Debug)]
#[command(
    name = "xpr",
    version,
    about = "Declarative sandbox-policy experiments with real enforcement"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Decode, resolve and validate experiments (or SBPL files); print a one-line summary.
    Check(CheckArgs),
    /// Print the resolved stage graph.
    Plan(PlanArgs),
    /// Execute an experiment with real enforcement and write a run bundle.
    Run(RunArgs),
    /// Print this host's world facts and harness identity.
    World(WorldArgs),
    /// List the worlds `run --world` can use (and their kernel cache); `fetch` downloads them.
    Worlds(WorldsArgs),
    /// Recompute every digest of a run bundle.
    Verify(VerifyArgs),
    /// Compare two run bundles.
    Diff(DiffArgs),
    /// Explain one result (or every mismatch) of a run bundle: both lanes stage by stage, the
    /// oracle's deciding rule, the audit witness, fidelity notes and shim changes.
    Explain(ExplainArgs),
    /// Shims: `suggest` finds the smallest one that lets a profile's exec probes start.
    #[command(subcommand)]
    Shim(ShimCommand),
    /// Turn another harness's run bundle (runtime-tools) into a starting experiment.
    Import(ImportArgs),
    /// Internal: the probe helper that `exec` probes with `helper=<family>` run.
    #[command(name = "__probe", hide = true)]
    ProbeHelper(ProbeHelperArgs),
    /// Internal: pid 1 of a guest world.
    #[command(name = "__guest-init", hide = true)]
    GuestInit,
    /// Internal: the run inside a guest world, from the host's request file.
    #[command(name = "__guest-run", hide = true)]
    GuestRun { request: PathBuf },
}

/// Which world a run happens in.
#[derive(Args, Debug, Clone, Default)]
pub struct WorldSelectArgs {
    /// Run in a world of the catalogue (`xpr worlds`): `host` (default) or a kernel booted
    /// under qemu, with this host's userland shared read-only.
    #[arg(long, value_name = "NAME")]
    pub world: Option<String>,
    /// A KDL file of more worlds (repeatable); see `std/worlds.kdl`.
    #[arg(long = "world-file", value_name = "FILE")]
    pub world_files: Vec<PathBuf>,
    /// qemu's accelerator for a guest world: `tcg` (emulation, the default) or `kvm`.
    #[arg(long, value_enum, default_value_t)]
    pub accel: AccelArg,
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum AccelArg {
    #[default]
    Tcg,
    Kvm,
}

#[derive(Args, Debug)]
pub struct WorldsArgs {
    #[command(subcommand)]
    pub action: Option<WorldsAction>,
    /// A KDL file of more worlds (repeatable).
    #[arg(long = "world-file", value_name = "FILE", global = true)]
    pub world_files: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t, global = true)]
    pub format: OutputFormat,
}

#[derive(Subcommand, Debug)]
pub enum WorldsAction {
    /// Download and cache the kernels of these worlds (apt, digests checked).
    Fetch {
        #[arg(required = true)]
        names: Vec<String>,
    },
}

#[derive(Args, Debug)]
pub struct ProbeHelperArgs {
    /// The resolved probe as JSON.
    pub spec: String,
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum MessageFormat {
    #[default]
    Human,
    Json,
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
}

/// Options shared by every command that loads an experiment.
#[derive(Args, Debug, Clone, Default)]
pub struct LoadArgs {
    /// Override an experiment parameter: `--param name=value` (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// How diagnostics are printed.
    #[arg(long, value_enum, default_value_t)]
    pub message_format: MessageFormat,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub load: LoadArgs,
    /// For `.sb` files: print the normalised SBPL instead of the fidelity table.
    #[arg(long, value_name = "FORMAT")]
    pub emit: Option<String>,
}

#[derive(Args, Debug)]
pub struct PlanArgs {
    pub file: PathBuf,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Graphviz output.
    #[arg(long, conflicts_with = "format")]
    pub dot: bool,
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    pub file: PathBuf,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Parallel workers (default: number of cores).
    #[arg(short = 'j', long)]
    pub jobs: Option<usize>,
    /// Output root (default `out/`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// A human name added to the run id.
    #[arg(long)]
    pub label: Option<String>,
    /// Override the experiment's isolation.
    #[arg(long, value_enum)]
    pub isolation: Option<IsolationArg>,
    /// Cap the Landlock ABI below the host's, to see an older kernel's world.
    #[arg(long, value_name = "N")]
    pub landlock_abi: Option<u32>,
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
    /// Witness denials: `audit` reads Landlock audit records (root, ABI >= 7); audit is
    /// switched on for the run only and restored afterwards, also on Ctrl-C.
    #[arg(long, value_enum)]
    pub observer: Option<ObserverArg>,
    /// Also write JUnit XML (one test case per expectation) to PATH, for CI systems.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    #[command(flatten)]
    pub world: WorldSelectArgs,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ObserverArg {
    Audit,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum IsolationArg {
    Probe,
    Profile,
}

#[derive(Args, Debug)]
pub struct WorldArgs {
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
    /// Cap the Landlock ABI below the host's.
    #[arg(long, value_name = "N")]
    pub landlock_abi: Option<u32>,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    pub bundle: PathBuf,
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

#[derive(Args, Debug)]
pub struct ExplainArgs {
    pub bundle: PathBuf,
    /// `<profile>/<probe>`; default: every mismatch.
    pub expectation_id: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum ShimCommand {
    /// Run a profile's exec probes, find what the sandbox denied before their operation, and
    /// print the smallest verified shim as KDL.
    Suggest(ShimSuggestArgs),
}

#[derive(Args, Debug)]
pub struct ShimSuggestArgs {
    pub file: PathBuf,
    #[arg(long)]
    pub profile: String,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Skip audit and use delta debugging over rules predicted from the ELF headers.
    #[arg(long)]
    pub without_audit: bool,
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    pub a: PathBuf,
    pub b: PathBuf,
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// A runtime-tools run bundle (its directory or its artifact_index.json).
    pub bundle: PathBuf,
    /// Write a `.kdl` experiment from the bundle's expected matrix and profile references.
    #[arg(long)]
    pub to_kdl: bool,
    /// Output file (default: stdout).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Where to look for the bundle's base `.sb` profiles (by file name, or `<suite>__<name>`).
    #[arg(long, value_name = "DIR")]
    pub sbpl_dir: Option<PathBuf>,
}

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
    let code = match cli.command {
        Command::Check(a) => check::run(a),
        Command::Plan(a) => plan::run(a),
        Command::Run(a) => run::run(a),
        Command::World(a) => world::run(a),
        Command::Verify(a) => verify::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Explain(a) => explain::run(a),
        Command::Shim(ShimCommand::Suggest(a)) => shim::suggest(a),
        Command::Import(a) => import::run(a),
        Command::ProbeHelper(a) => crate::probes::helper::main(&a.spec),
        Command::Worlds(a) => worlds::run(a),
        Command::GuestInit => crate::worlds::guest_init::main(),
        Command::GuestRun { request } => worlds::guest_run(&request),
    };
    ExitCode::from(code)
}

/// A closed stdout pipe (`xpr plan | head`) ends the process quietly instead of panicking.
fn reset_sigpipe() {
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
