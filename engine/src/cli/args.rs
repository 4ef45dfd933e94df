//! The command line as clap sees it: subcommands, their arguments, and the value parsers that
//! reject a malformed value before any command runs (usage error, exit 2).

use std::num::NonZeroUsize;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::diagnostics::MessageFormat;
use crate::resolve::LoadOptions;

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
    /// Run one command under exactly what `run` applies for a profile, with its exit status.
    Exec(ExecArgs),
    /// Print what a profile compiles to, in another tool's format.
    Compile(CompileArgs),
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
    /// qemu's accelerator for a guest world: `tcg` (emulation, the default) or `kvm` (tried
    /// for 20 s, then TCG).
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
pub enum MessageFormatArg {
    #[default]
    Human,
    Json,
}

impl From<MessageFormatArg> for MessageFormat {
    fn from(arg: MessageFormatArg) -> MessageFormat {
        match arg {
            MessageFormatArg::Human => MessageFormat::Human,
            MessageFormatArg::Json => MessageFormat::Json,
        }
    }
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
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = param)]
    pub params: Vec<(String, String)>,
    /// How diagnostics are printed.
    #[arg(long, value_enum, default_value_t)]
    pub message_format: MessageFormatArg,
}

impl LoadArgs {
    /// Load options for the Linux world with these parameter overrides.
    pub fn options(&self) -> LoadOptions {
        LoadOptions {
            params: self.params.clone(),
            ..LoadOptions::default()
        }
    }
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub load: LoadArgs,
    /// For `.sb` files: print the normalised SBPL instead of the fidelity table.
    #[arg(long, value_name = "FORMAT", value_enum)]
    pub emit: Option<EmitFormat>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum EmitFormat {
    /// The normalised SBPL text.
    Sbpl,
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
    #[arg(short = 'j', long, value_parser = jobs)]
    pub jobs: Option<NonZeroUsize>,
    /// Output root (default `out/`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// A human name added to the run id.
    #[arg(long, value_parser = label)]
    pub label: Option<String>,
    /// Override the experiment's isolation.
    #[arg(long, value_enum)]
    pub isolation: Option<IsolationArg>,
    /// Cap the Landlock ABI below the host's, to see an older kernel's world.
    #[arg(long, value_name = "N")]
    pub landlock_abi: Option<u32>,
    /// `landlock`: Landlock and seccomp only, no mount namespace (to compare with the default,
    /// which also uses mounts for what Landlock cannot subtract).
    #[arg(long, value_enum)]
    pub mechanism: Option<MechanismArg>,
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

#[derive(Args, Debug)]
pub struct ExecArgs {
    pub file: PathBuf,
    /// The profile to apply.
    #[arg(long)]
    pub profile: String,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Cap the Landlock ABI below the host's.
    #[arg(long, value_name = "N")]
    pub landlock_abi: Option<u32>,
    /// `landlock`: Landlock and seccomp only, no mount namespace.
    #[arg(long, value_enum)]
    pub mechanism: Option<MechanismArg>,
    /// The command and its arguments (`{scratch}` is the run's scratch root).
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

#[derive(Args, Debug)]
pub struct CompileArgs {
    pub file: PathBuf,
    /// The profile to export.
    #[arg(long)]
    pub profile: String,
    #[command(flatten)]
    pub load: LoadArgs,
    /// The format.
    #[arg(long, value_enum)]
    pub emit: CompileFormat,
    /// Put this directory for `{scratch}` (default: keep it symbolic, in the format's own
    /// variable syntax).
    #[arg(long, value_name = "DIR")]
    pub scratch: Option<PathBuf>,
    /// Cap the Landlock ABI below the host's.
    #[arg(long, value_name = "N")]
    pub landlock_abi: Option<u32>,
    /// `landlock`: compile for Landlock and seccomp only, no mount namespace.
    #[arg(long, value_enum)]
    pub mechanism: Option<MechanismArg>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum CompileFormat {
    /// The Landlock plan as a landlockconfig JSON document.
    LandlockJson,
    /// The profile as Seatbelt SBPL.
    Sbpl,
    /// The mount namespace as bubblewrap arguments.
    BwrapArgs,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ObserverArg {
    Audit,
}

/// Which mechanisms a run may use (default: every one this world has).
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum MechanismArg {
    /// Landlock and seccomp only.
    Landlock,
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
    /// `landlock`: the world without the mount mechanism.
    #[arg(long, value_enum)]
    pub mechanism: Option<MechanismArg>,
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

/// `--param NAME=VALUE`.
fn param(s: &str) -> Result<(String, String), &'static str> {
    crate::resolve::parse_param(s).ok_or("must be NAME=VALUE with a non-empty NAME")
}

/// `-j N`, at least 1.
fn jobs(s: &str) -> Result<NonZeroUsize, &'static str> {
    s.parse()
        .map_err(|e: std::num::ParseIntError| match e.kind() {
            std::num::IntErrorKind::Zero => "must be at least 1",
            _ => "must be a whole number of workers, at least 1",
        })
}

/// `--label`, by the run id's rule.
fn label(s: &str) -> Result<String, crate::bundle::InvalidRunId> {
    crate::bundle::run_id::check_label(s).map(|()| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("xpr").chain(args.iter().copied()))
    }

    fn run_args(args: &[&str]) -> RunArgs {
        match parse(args).expect("valid arguments").command {
            Command::Run(a) => a,
            other => panic!("not a run: {other:?}"),
        }
    }

    #[test]
    fn values_arrive_validated() {
        let a = run_args(&[
            "run", "x.kdl", "--param", "a=b=c", "--param", "e=", "-j", "3", "--label", "ci-1.2",
        ]);
        assert_eq!(
            a.load.params,
            [("a".into(), "b=c".into()), ("e".into(), String::new())]
        );
        assert_eq!(a.jobs.map(NonZeroUsize::get), Some(3));
        assert_eq!(a.label.as_deref(), Some("ci-1.2"));
    }

    #[test]
    fn malformed_values_are_usage_errors_that_say_why() {
        for (args, why) in [
            (&["run", "x.kdl", "--param", "nope"][..], "NAME=VALUE"),
            (&["run", "x.kdl", "--param", "=v"], "non-empty NAME"),
            (&["run", "x.kdl", "-j", "0"], "at least 1"),
            (&["run", "x.kdl", "-j", "two"], "whole number"),
            (&["run", "x.kdl", "--label", "a/b"], "letters, digits"),
            (
                &["run", "x.kdl", "--label", ".hidden"],
                "does not start with '.'",
            ),
            (&["run", "x.kdl", "--label", ""], "1 to 64"),
            (&["check", "x.sb", "--emit", "kdl"], "sbpl"),
        ] {
            let e = parse(args).expect_err("rejected");
            assert!(e.use_stderr(), "{args:?}");
            assert!(e.to_string().contains(why), "{args:?}: {e}");
        }
    }
}
