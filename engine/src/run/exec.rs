//! `xpr exec FILE --profile P -- CMD ARGS…`: one real command under exactly what `run`
//! applies for P in this world — the same compile, the same shims, the same mechanisms, the
//! same host guard and PID namespace, the same fixtures in a fresh scratch root — with xpr's
//! own stdin, stdout and stderr, no timeout, and its exit status passed through.
//!
//! It is a run of one synthetic exec probe in the scenario lane: what was applied and each
//! rule's fidelity go to stderr first (not with `-q`). The command's arguments may name the experiment's
//! `{param}`s and `{scratch}`. Ctrl-C ends it as it ends a run (workers killed,
//! the command's PID namespace with them, scratch removed; exit 3).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::execute::{self, ExecuteOptions};
use crate::model::{ApplyOutcome, ArgValue, ExecOutcome, Lane, Origin, Probe, StageRecord};
use crate::resolve::{self, LoadOptions};
use crate::world::{WorldFacts, WorldOptions};

use super::{RunError, Verbosity, preflight};

/// What `xpr exec` was asked to run.
#[derive(Clone, Debug)]
pub(crate) struct ExecConfig {
    pub file: PathBuf,
    pub load: LoadOptions,
    pub profile: String,
    /// The command and its arguments (`{scratch}` is substituted).
    pub command: Vec<String>,
    pub landlock_abi_cap: Option<u32>,
    pub landlock_only: bool,
    pub message_format: crate::diagnostics::MessageFormat,
    /// `-q` leaves out what was applied; `-v` adds the harness notes.
    pub verbosity: Verbosity,
}

/// How the command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CommandEnd {
    Exited(i32),
    Signaled(i32),
    /// `execve` failed (the program is missing, or the sandbox denied it or its loader).
    NotStarted(i32),
}

/// No timeout a person would notice: the command runs until it ends or is interrupted.
const NO_DEADLINE: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// Runs the command; `Err(RunError::NotApplied)` when the profile could not be applied or
/// the command not started (the reason names the step and errno).
pub(crate) fn exec(config: &ExecConfig) -> Result<CommandEnd, RunError> {
    execute::interrupt::install();
    let loaded = resolve::load(&config.file, &config.load).map_err(RunError::Invalid)?;
    crate::diagnostics::eprint(&loaded.warnings, config.message_format);
    let mut exp = loaded.experiment;
    let Some(profile) = exp
        .profiles
        .iter()
        .find(|p| p.id == config.profile)
        .cloned()
    else {
        let names: Vec<&str> = exp.profiles.iter().map(|p| p.id.as_str()).collect();
        return Err(RunError::UnknownProfile {
            name: config.profile.clone(),
            known: names.join(", "),
        });
    };
    let world = WorldFacts::detect(&WorldOptions {
        landlock_abi_cap: config.landlock_abi_cap,
        landlock_only: config.landlock_only,
    });
    if let Some(message) = world.abi_cap_error() {
        return Err(RunError::AbiCap(message));
    }
    preflight::harness(&world, config.verbosity)?;
    if config.verbosity != Verbosity::Quiet {
        let compiled = crate::compile::linux::compile(&profile.id, &profile.runtime, &world);
        eprint!("{}", crate::report::applied(&compiled, &world.world_id));
    }
    exp.profiles = vec![profile];
    exp.lanes = vec![Lane::Scenario];
    exp.expectations.clear();
    let command: Vec<String> = config
        .command
        .iter()
        .map(|arg| with_params(arg, &exp.params))
        .collect();
    exp.probes = vec![command_probe(&command)];
    let options = ExecuteOptions {
        jobs: 1,
        timeout: Some(NO_DEADLINE),
        passthrough_stdio: true,
        deny: world.deny_set(),
        ..ExecuteOptions::default()
    };
    preflight::single_threaded();
    let result = super::run_experiment(&exp, &world, &options)?;
    let record = result
        .records
        .iter()
        .find(|r| r.lane == Lane::Scenario)
        .ok_or_else(|| RunError::NotApplied("the command produced no record".into()))?;
    ended(record)
}

/// `arg` with the experiment's `{param}`s in place (`{scratch}` is the run's, later).
fn with_params(arg: &str, params: &BTreeMap<String, String>) -> String {
    params.iter().fold(arg.to_string(), |text, (name, value)| {
        text.replace(&format!("{{{name}}}"), value)
    })
}

/// The command as the one exec probe of the run.
fn command_probe(command: &[String]) -> Probe {
    Probe {
        id: "exec".into(),
        family: "exec".into(),
        operation: "process-exec".into(),
        target: command.first().cloned(),
        args: BTreeMap::from([("argv".to_string(), ArgValue::List(command.to_vec()))]),
        fixtures: Vec::new(),
        control: false,
        destructive: false,
        worlds: vec!["linux".into(), "macos".into()],
        origin: Origin::default(),
    }
}

/// The command's end, or why it never ran.
fn ended(r: &StageRecord) -> Result<CommandEnd, RunError> {
    if r.apply == ApplyOutcome::Blocked {
        let errno = r
            .apply_errno
            .as_ref()
            .map_or(String::new(), |e| format!(" ({})", e.name));
        return Err(RunError::NotApplied(format!(
            "the profile was not applied{errno}: {}",
            r.apply_detail.as_deref().unwrap_or("blocked")
        )));
    }
    if let Some(skipped) = &r.skipped {
        return Err(RunError::NotApplied(skipped.clone()));
    }
    match (r.exec, r.exit_status, r.signal) {
        (ExecOutcome::DependencyDenied, ..) => match &r.exec_errno {
            Some(e) => Ok(CommandEnd::NotStarted(e.raw)),
            // The loader failed after execve: the command's own status says so.
            None => Ok(CommandEnd::Exited(r.exit_status.unwrap_or(127))),
        },
        (_, _, Some(sig)) => Ok(CommandEnd::Signaled(sig)),
        (_, Some(code), _) => Ok(CommandEnd::Exited(code)),
        _ => Err(RunError::NotApplied(r.detail.clone().unwrap_or_else(
            || "the command's process could not be set up".into(),
        ))),
    }
}
