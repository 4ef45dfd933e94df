//! The command line as clap sees it: subcommands, their arguments, and the value parsers that
//! reject a malformed value before any command runs (usage error, exit 2).

use std::num::NonZeroUsize;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::diagnostics::MessageFormat;
use crate::resolve::{LoadOptions, SbplImports};
use crate::run::filter::Filter;
use crate::run::select::Selection;

#[derive(Parser, Debug)]
#[command(
    name = "xpr",
    version,
    about = "Declarative sandbox-policy experiments with real enforcement",
    long_about = "Declarative sandbox-policy experiments with real enforcement.\n\n\
        Exit status, for every command: 0 success; 1 findings (a mismatch, a difference, a \
        verification finding); 2 invalid input or usage; 3 the environment failed.",
    after_help = "`xpr help COMMAND` or `xpr COMMAND --help` for a command's options; \
        `xpr man` prints the manual page."
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes, before or after its name.
#[derive(Args, Debug, Clone, Copy, Default)]
pub(crate) struct GlobalArgs {
    /// Say less: no progress or status lines; `run` shows only the rows that did not hold,
    /// `check` no `ok` line.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Say more: status lines also when stderr is not a terminal, and harness notes.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// When to colour: `auto` (a terminal, unless `NO_COLOR` is set; `CLICOLOR_FORCE=1`
    /// forces it), `always` or `never`.
    #[arg(long, global = true, value_name = "WHEN", value_enum, default_value_t)]
    pub color: ColorArg,
    /// How diagnostics, errors and status lines on stderr are printed: `human`, or `json` (one
    /// JSON object per line, for tools).
    #[arg(
        long,
        global = true,
        value_name = "FORMAT",
        value_enum,
        default_value_t
    )]
    pub message_format: MessageFormatArg,
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorArg {
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Decode, resolve and validate experiments (or SBPL files); print a one-line summary.
    Check(CheckArgs),
    /// Print the resolved stage graph.
    Plan(PlanArgs),
    /// Execute experiments with real enforcement and write a run bundle for each.
    Run(RunArgs),
    /// List an experiment's profiles, probes and expectations (and what a selection selects).
    List(ListArgs),
    /// Run one command under exactly what `run` applies for a profile, with its exit status.
    Exec(ExecArgs),
    /// Print what a profile compiles to, in another tool's format.
    Compile(CompileArgs),
    /// Print this host's world facts and harness identity.
    World(WorldArgs),
    /// List the worlds `run --world` can use (and their kernel cache); `fetch` downloads them.
    Worlds(WorldsArgs),
    /// Recompute every digest of run bundles.
    Verify(VerifyArgs),
    /// Compare two run bundles.
    Diff(DiffArgs),
    /// Run one experiment in several worlds (or take their bundles: `--from`) and compare
    /// them: `matrix.json`, `matrix.md` and `matrix.html`, one row per expectation.
    Matrix(MatrixArgs),
    /// Explain one result (or every mismatch) of a run bundle: both lanes stage by stage, the
    /// oracle's deciding rule, the audit witness, fidelity notes and shim changes.
    Explain(ExplainArgs),
    /// Shims: `suggest` finds the smallest one that lets a profile's exec probes start.
    #[command(subcommand)]
    Shim(ShimCommand),
    /// Turn another harness's run bundle (runtime-tools) into a starting experiment.
    Import(ImportArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
    /// Print the manual page (roff), or write one page per command into a directory.
    Man(ManArgs),
    /// Internal: the probe helper that `exec` probes with `helper=<family>` run.
    #[command(name = "__probe", hide = true)]
    ProbeHelper(ProbeHelperArgs),
    /// Internal: pid 1 of a guest world.
    #[command(name = "__guest-init", hide = true)]
    GuestInit,
    /// Internal: the run inside a guest world, from the host's request file.
    #[command(name = "__guest-run", hide = true)]
    GuestRun {
        /// The host's request (`xpr.guest_request.v1`).
        request: PathBuf,
    },
}

/// Which world a run happens in.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct WorldSelectArgs {
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
pub(crate) enum AccelArg {
    #[default]
    Tcg,
    Kvm,
}

#[derive(Args, Debug)]
pub(crate) struct WorldsArgs {
    #[command(subcommand)]
    pub action: Option<WorldsAction>,
    /// A KDL file of more worlds (repeatable).
    #[arg(long = "world-file", value_name = "FILE", global = true)]
    pub world_files: Vec<PathBuf>,
    /// `text`: one line per world; `json`: one `xpr.worlds.v1` document.
    #[arg(long, value_enum, default_value_t, global = true)]
    pub format: OutputFormat,
}

#[derive(Subcommand, Debug)]
pub(crate) enum WorldsAction {
    /// Download and cache the kernels of these worlds (apt, digests checked).
    Fetch {
        /// Names of the catalogue's worlds (`xpr worlds` lists them).
        #[arg(required = true, value_name = "NAME")]
        names: Vec<String>,
    },
}

#[derive(Args, Debug)]
pub(crate) struct ProbeHelperArgs {
    /// The resolved probe as JSON.
    pub spec: String,
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum MessageFormatArg {
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
pub(crate) enum OutputFormat {
    /// For people: tables and lines that fit the terminal.
    #[default]
    Text,
    /// One JSON document (its schema is in `schemas/`, spec §10.3).
    Json,
}

/// Options shared by every command that loads an experiment.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct LoadArgs {
    /// Override an experiment parameter: `--param name=value` (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = param)]
    pub params: Vec<(String, String)>,
    /// A directory SBPL `(import "x.sb")` searches after the importing file's own directory
    /// (repeatable).
    #[arg(long = "sbpl-path", value_name = "DIR")]
    pub sbpl_path: Vec<PathBuf>,
    /// Let SBPL files `(import "/absolute/path.sb")` and `sbpl=` name a file outside the
    /// experiment's directory; without it such a path is an error.
    #[arg(long)]
    pub sbpl_absolute_imports: bool,
}

impl LoadArgs {
    /// Load options for the Linux world with these parameter overrides and SBPL import
    /// settings.
    pub(crate) fn options(&self) -> LoadOptions {
        LoadOptions {
            params: self.params.clone(),
            sbpl: SbplImports {
                search_path: self.sbpl_path.clone(),
                absolute: self.sbpl_absolute_imports,
            },
            ..LoadOptions::default()
        }
    }
}

/// Which (profile, probe) pairs run (spec §10.1); all of them by default.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct SelectArgs {
    /// Only profiles whose name matches GLOB (`*`, `?`, `[a-z]`, `{a,b}`; repeatable: any).
    #[arg(long = "profile", value_name = "GLOB")]
    pub profiles: Vec<String>,
    /// Only probes whose name matches GLOB (repeatable: any).
    #[arg(long = "probe", value_name = "GLOB")]
    pub probes: Vec<String>,
    /// Only pairs a filter expression selects, e.g. `profile(v1_*) & !family(exec)` or
    /// `mismatched | control` (repeatable: any; grammar in spec §10.1).
    #[arg(short = 'E', long = "filter", value_name = "EXPR")]
    pub filters: Vec<Filter>,
    /// Only the expectations that failed in BUNDLE (default: the experiment's latest run under
    /// the output root). The bundle is verified first.
    #[arg(long, value_name = "BUNDLE", num_args = 0..=1, require_equals = true)]
    pub rerun_failed: Option<Option<PathBuf>>,
    /// The bundle `mismatched` reads instead of the latest run (given by the host to a guest
    /// world's run).
    #[arg(long, value_name = "BUNDLE", hide = true)]
    pub reference: Option<PathBuf>,
}

impl SelectArgs {
    pub(crate) fn selection(&self) -> Selection {
        Selection {
            profiles: self.profiles.clone(),
            probes: self.probes.clone(),
            filters: self.filters.clone(),
            rerun_failed: self.rerun_failed.clone(),
            reference: self.reference.clone(),
        }
    }
}

#[derive(Args, Debug)]
pub(crate) struct CheckArgs {
    /// Experiments (`.kdl`), stdlib files, or SBPL profiles (`.sb`) to check.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub load: LoadArgs,
    /// For `.sb` files: print the normalised SBPL instead of the fidelity table.
    #[arg(long, value_name = "FORMAT", value_enum)]
    pub emit: Option<EmitFormat>,
    /// `text`: one summary line per file; `json`: one `xpr.check.v1` document.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
    /// Show per-rule fidelity in a world of the catalogue (`xpr worlds`) instead of this host,
    /// from the facts the catalogue declares for it (nothing is booted).
    #[arg(long, value_name = "NAME")]
    pub world: Option<String>,
    /// A KDL file of more worlds (repeatable).
    #[arg(long = "world-file", value_name = "FILE")]
    pub world_files: Vec<PathBuf>,
    /// Show per-rule fidelity for a kernel with this Landlock ABI (0: no Landlock).
    #[arg(long, value_name = "N")]
    pub landlock_abi: Option<u32>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum EmitFormat {
    /// The normalised SBPL text.
    Sbpl,
}

#[derive(Args, Debug)]
pub(crate) struct PlanArgs {
    /// The experiment (`.kdl`).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Graphviz output (the same as `--format dot`).
    #[arg(long, conflicts_with = "format")]
    pub dot: bool,
    /// `text`: grouped by profile; `json`: `xpr.plan.v1`; `dot`: Graphviz (`dot -Tsvg`).
    #[arg(long, value_enum, default_value_t)]
    pub format: PlanFormat,
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum PlanFormat {
    /// Grouped by profile, with node counts per stage and lane.
    #[default]
    Text,
    /// Every node and edge (`xpr.plan.v1`).
    Json,
    /// Graphviz.
    Dot,
}

#[derive(Args, Debug)]
pub(crate) struct RunArgs {
    /// The experiments (`.kdl`) to run, one after the other, one bundle each.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub load: LoadArgs,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Stop at the first expectation that fails: no probe starts after it, no later
    /// experiment runs.
    #[arg(long)]
    pub fail_fast: bool,
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
    /// `text`: the matrix and summary; `json`: one `xpr.run_report.v1` object per experiment,
    /// one per line.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
    /// Witness denials: `audit` reads Landlock audit records (root, ABI >= 7); audit is
    /// switched on for the run only and restored afterwards, also on Ctrl-C.
    #[arg(long, value_enum)]
    pub observer: Option<ObserverArg>,
    /// Also write JUnit XML (one test case per expectation, one suite per experiment) to PATH.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    #[command(flatten)]
    pub world: WorldSelectArgs,
}

#[derive(Args, Debug)]
pub(crate) struct ListArgs {
    /// The experiments (`.kdl`) to list.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub load: LoadArgs,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Output root to find the latest run in (for `--rerun-failed`, `mismatched`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// `text`: profiles, probes, expectations; `json`: one `xpr.list.v1` object per line.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

#[derive(Args, Debug)]
pub(crate) struct ExecArgs {
    /// The experiment (`.kdl`) whose profile the command runs under.
    #[arg(value_name = "FILE")]
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
pub(crate) struct CompileArgs {
    /// The experiment (`.kdl`) that holds the profile.
    #[arg(value_name = "FILE")]
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
pub(crate) enum CompileFormat {
    /// The Landlock plan as a landlockconfig JSON document.
    LandlockJson,
    /// The profile as Seatbelt SBPL.
    Sbpl,
    /// The mount namespace as bubblewrap arguments.
    BwrapArgs,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ObserverArg {
    /// Landlock audit records (root, Landlock ABI >= 7).
    Audit,
}

/// Which mechanisms a run may use (default: every one this world has).
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum MechanismArg {
    /// Landlock and seccomp only.
    Landlock,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum IsolationArg {
    /// One child per probe.
    Probe,
    /// One child per (lane, profile) for the driver probes.
    Profile,
}

#[derive(Args, Debug)]
pub(crate) struct WorldArgs {
    /// `text`: `key  value` lines; `json`: `xpr.world.v1`.
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
pub(crate) struct VerifyArgs {
    /// Bundle directories (or their `artifact_index.json`), xpr or runtime-tools; each is
    /// verified, the exit status is the worst.
    #[arg(required = true, value_name = "BUNDLE")]
    pub bundles: Vec<PathBuf>,
    /// `text`: one line per bundle and one per finding; `json`: one `xpr.verify_report.v1`
    /// object per bundle, one per line.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

#[derive(Args, Debug)]
pub(crate) struct ExplainArgs {
    /// A run bundle directory (`out/<experiment>/<run_id>` or `out/<experiment>/latest`).
    #[arg(value_name = "BUNDLE")]
    pub bundle: PathBuf,
    /// `<profile>/<probe>`; default: every mismatch.
    #[arg(value_name = "EXPECTATION_ID")]
    pub expectation_id: Option<String>,
    /// Explain a bundle that does not verify (its records may have been edited): by default
    /// explain refuses it with exit 1, as `xpr verify` would fail.
    #[arg(long)]
    pub allow_unverified: bool,
    /// `text`: for people; `json`: one `xpr.explain.v1` document.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

#[derive(Subcommand, Debug)]
pub(crate) enum ShimCommand {
    /// Run a profile's exec probes, find what the sandbox denied before their operation, and
    /// print the smallest verified shim as KDL.
    Suggest(ShimSuggestArgs),
}

#[derive(Args, Debug)]
pub(crate) struct ShimSuggestArgs {
    /// The experiment (`.kdl`).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The profile whose exec probes need a shim.
    #[arg(long)]
    pub profile: String,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Skip audit and use delta debugging over rules predicted from the ELF headers.
    #[arg(long)]
    pub without_audit: bool,
}

#[derive(Args, Debug)]
pub(crate) struct DiffArgs {
    /// The two bundles to compare, A then B (xpr or runtime-tools, any pair of formats).
    #[arg(required = true, value_name = "BUNDLE")]
    pub bundles: Vec<PathBuf>,
    /// `text`: one table per group; `json`: `xpr.diff.v1`.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

#[derive(Args, Debug)]
pub(crate) struct MatrixArgs {
    /// The experiment to run in every world (not with `--from`).
    #[arg(required_unless_present = "from", conflicts_with = "from")]
    pub file: Option<PathBuf>,
    /// The worlds, comma-separated (`xpr worlds`): `host,debian-12-6.1,debian-12-6.12`.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "NAMES",
        required_unless_present = "from",
        conflicts_with = "from",
        value_parser = world_name
    )]
    pub worlds: Vec<String>,
    /// Build the matrix from bundles made elsewhere (each is verified first), one per world.
    #[arg(long, num_args = 1.., value_name = "BUNDLE")]
    pub from: Vec<PathBuf>,
    /// The matrix's directory (default `out/matrix/<experiment>`); each world's bundle goes
    /// under `<DIR>/<world>/`.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Worlds run at once (default: two per core; a TCG guest idles much of its boot).
    #[arg(long, value_parser = jobs)]
    pub parallel: Option<NonZeroUsize>,
    /// A KDL file of more worlds (repeatable).
    #[arg(long = "world-file", value_name = "FILE")]
    pub world_files: Vec<PathBuf>,
    /// qemu's accelerator for the guest worlds.
    #[arg(long, value_enum, default_value_t)]
    pub accel: AccelArg,
    #[command(flatten)]
    pub load: LoadArgs,
    /// `json`: print matrix.json on stdout instead of the summary.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

#[derive(Args, Debug)]
pub(crate) struct ImportArgs {
    /// A runtime-tools run bundle (its directory or its artifact_index.json).
    #[arg(value_name = "BUNDLE")]
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

#[derive(Args, Debug)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

#[derive(Args, Debug)]
pub(crate) struct ManArgs {
    /// Write `xpr.1` and one `xpr-<command>.1` per command into DIR instead of printing
    /// `xpr.1`.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
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

/// A world name in `--worlds`: not empty.
fn world_name(s: &str) -> Result<String, &'static str> {
    let s = s.trim();
    if s.is_empty() {
        return Err("must name a world (see `xpr worlds`)");
    }
    Ok(s.to_string())
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
    fn selections_and_globals_parse_anywhere() {
        let a = run_args(&[
            "-q",
            "run",
            "a.kdl",
            "b.kdl",
            "--profile",
            "v1_*",
            "-E",
            "probe(read-*) | control",
            "--rerun-failed",
            "--color=never",
        ]);
        assert_eq!(a.files.len(), 2);
        let s = a.select.selection();
        assert_eq!(s.profiles, ["v1_*"]);
        assert_eq!(s.rerun_failed, Some(None));
        assert_eq!(s.filters[0].text, "probe(read-*) | control");
        let named = run_args(&["run", "--rerun-failed=out/x/latest", "a.kdl"]);
        assert_eq!(
            named.select.selection().rerun_failed,
            Some(Some(PathBuf::from("out/x/latest")))
        );
        assert_eq!(
            named.files,
            [PathBuf::from("a.kdl")],
            "not taken as the bundle"
        );
        let cli = parse(&["-q", "--color", "never", "verify", "x"]).unwrap();
        assert!(cli.global.quiet);
        assert_eq!(cli.global.color, ColorArg::Never);
    }

    #[test]
    fn every_positional_and_format_option_says_what_it_is() {
        use clap::CommandFactory;
        let mut stack = vec![Cli::command()];
        let mut seen = 0;
        while let Some(cmd) = stack.pop() {
            for arg in cmd.get_arguments() {
                if arg.is_positional() || arg.get_id() == "format" {
                    seen += 1;
                    assert!(
                        arg.get_help().is_some(),
                        "xpr {} {}: no help",
                        cmd.get_name(),
                        arg.get_id()
                    );
                }
            }
            stack.extend(cmd.get_subcommands().cloned());
        }
        assert!(seen >= 20, "{seen}");
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
            (
                &["run", "x.kdl", "-E", "profle(a)"],
                "did you mean `profile`",
            ),
            (&["run", "x.kdl", "-E", "probe(a"], "at column 8"),
            (&["-q", "-v", "world"], "cannot be used with"),
        ] {
            let e = parse(args).expect_err("rejected");
            assert!(e.use_stderr(), "{args:?}");
            assert!(e.to_string().contains(why), "{args:?}: {e}");
        }
    }
}
