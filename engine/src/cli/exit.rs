//! How a command ends, and the exit status of every ending, decided here and nowhere else
//! (spec §10): 0 success; 1 mismatches, differences or findings; 2 invalid input or usage;
//! 3 the environment failed.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::bundle::OpenError;
use crate::bundle::format::LoadError;
use crate::diagnostics::{self, Diagnostics, MessageFormat};
use crate::run::RunError;
use crate::run::select::SelectError;
use crate::shim_suggest::SuggestError;

pub(crate) const EXIT_OK: u8 = 0;
pub(crate) const EXIT_FINDINGS: u8 = 1;
pub(crate) const EXIT_INVALID: u8 = 2;
pub(crate) const EXIT_ENVIRONMENT: u8 = 3;

/// A command that ran to the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Everything holds.
    Clean,
    /// What the command looks for was found: mismatches, differences, verification findings.
    Findings,
    /// `xpr check` found invalid files (their diagnostics are printed).
    InvalidFiles,
    /// Several endings (experiments, bundles), each reported as it came: the worst status.
    Reported(u8),
    /// `xpr exec`: the command's own exit status, passed through.
    Command(u8),
}

/// A command that stopped before its result.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub(crate) enum Error {
    /// Input that does not load: the diagnostics say where and why.
    #[error("{0}")]
    Invalid(Diagnostics),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Suggest(#[from] SuggestError),
    /// `--landlock-abi` above the host's ABI.
    #[error("{0}")]
    AbiCap(String),
    #[error(transparent)]
    OpenBundle(#[from] OpenError),
    /// One of the two bundles `xpr diff` compares.
    #[error("bundle {side} cannot be compared")]
    DiffInput {
        side: &'static str,
        source: BundleInput,
        #[help]
        hint: Option<String>,
    },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Select(#[from] SelectError),
    /// A directory of runs (`out/<experiment>`) where one run was meant.
    #[error("{} holds runs of an experiment; it is not a run bundle", .path.display())]
    RunsDirectory {
        path: PathBuf,
        #[help]
        hint: String,
    },
    /// `xpr diff` with other than two bundles.
    #[error("xpr diff compares two bundles, A and B; {given} given")]
    DiffArity {
        given: usize,
        #[help]
        hint: String,
    },
    /// `xpr explain` given a bundle of another format.
    #[error("{} is a {format} bundle; explain reads xpr bundles (`xpr diff` compares either)", .path.display())]
    NotXprBundle { path: PathBuf, format: &'static str },
    /// `xpr explain` given a bundle that does not verify (without `--allow-unverified`).
    #[error("{} does not verify ({} finding(s)); its records may not be what the run wrote", .path.display(), .findings.len())]
    #[diagnostic(help("`xpr verify` lists every finding; --allow-unverified explains it anyway"))]
    Unverified {
        path: PathBuf,
        findings: Vec<String>,
    },
    /// `xpr explain` for an id the bundle has no result for.
    #[error("no result `{id}` in {}", .bundle.display())]
    NoSuchResult {
        id: String,
        bundle: PathBuf,
        #[help]
        hint: Option<String>,
    },
    /// `xpr matrix`: input that cannot be compared (a bundle that does not verify, bundles of
    /// different experiments, a world named twice).
    #[error("{message}")]
    MatrixInput {
        message: String,
        #[help]
        hint: Option<String>,
    },
    /// `xpr matrix`: the matrix was written, but these worlds failed to run.
    #[error("{} world(s) failed to run: {}", .0.len(), .0.join("; "))]
    WorldsFailed(Vec<String>),
    #[error(transparent)]
    MatrixWrite(#[from] crate::matrix::output::WriteError),
    /// `xpr compile`: the profile has no form in the format asked for.
    #[error("{0}")]
    Export(crate::compile::linux::export::ExportError),
    /// Results could not be written to stdout (a closed pipe is not an error).
    #[error("cannot write {what}")]
    Output {
        what: &'static str,
        source: std::io::Error,
    },
}

/// A bundle that cannot be opened, or opened but not read (it does not verify).
#[derive(Debug, thiserror::Error)]
pub(crate) enum BundleInput {
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error("{}", .path.display())]
    Load { path: PathBuf, source: LoadError },
}

impl Error {
    pub(super) fn exit_code(&self) -> u8 {
        match self {
            Error::Invalid(_)
            | Error::AbiCap(_)
            | Error::Export(_)
            | Error::OpenBundle(_)
            | Error::DiffInput { .. }
            | Error::Select(_)
            | Error::RunsDirectory { .. }
            | Error::DiffArity { .. }
            | Error::NotXprBundle { .. }
            | Error::NoSuchResult { .. }
            | Error::MatrixInput { .. } => EXIT_INVALID,
            Error::Unverified { .. } => EXIT_FINDINGS,
            Error::Output { .. } | Error::WorldsFailed(_) | Error::MatrixWrite(_) => {
                EXIT_ENVIRONMENT
            }
            Error::Suggest(e) => match e {
                SuggestError::UnknownProfile { .. } | SuggestError::NothingToSuggest(_) => {
                    EXIT_INVALID
                }
                SuggestError::Run(_) | SuggestError::Harness(_) => EXIT_ENVIRONMENT,
            },
            Error::Run(e) => match e {
                RunError::Invalid(_)
                | RunError::AbiCap(_)
                | RunError::Select(_)
                | RunError::UnknownProfile { .. }
                | RunError::UnknownWorld(_)
                | RunError::JunitInWorld => EXIT_INVALID,
                RunError::Harness(_)
                | RunError::OutputNotWritable { .. }
                | RunError::HelperExe(_)
                | RunError::Interrupted
                | RunError::NotApplied(_)
                | RunError::Execute(_)
                | RunError::Bundle { .. }
                | RunError::Junit { .. }
                | RunError::World { .. } => EXIT_ENVIRONMENT,
            },
        }
    }

    /// Prints the error on stderr: diagnostics as diagnostics, anything else as one.
    pub(super) fn eprint(&self, format: MessageFormat) {
        match self {
            Error::Invalid(diags) => diagnostics::eprint(diags, format),
            Error::Run(e) => eprint_run_error(e, format),
            other => diagnostics::eprint_error(other, format),
        }
    }
}

/// Prints an error of one experiment of several as it happens (the run goes on).
pub(crate) fn eprint_run_error(e: &RunError, format: MessageFormat) {
    match e {
        RunError::Invalid(diags) => diagnostics::eprint(diags, format),
        other => diagnostics::eprint_error(other, format),
    }
}

/// The worst status of several endings, each of which was reported as it came.
pub(crate) fn worst(endings: impl IntoIterator<Item = Result<Outcome, Error>>) -> Outcome {
    let status = |ending: Result<Outcome, Error>| match ending {
        Ok(outcome) => outcome.exit_code(),
        Err(e) => e.exit_code(),
    };
    Outcome::Reported(endings.into_iter().map(status).max().unwrap_or(EXIT_OK))
}

/// Reports one ending of several now (an error on stderr), so it stands next to its output;
/// [`worst`] then decides the status.
pub(crate) fn report(
    ending: Result<Outcome, Error>,
    format: MessageFormat,
) -> Result<Outcome, Error> {
    if let Err(e) = &ending {
        e.eprint(format);
    }
    ending
}

impl Outcome {
    pub(super) fn exit_code(self) -> u8 {
        match self {
            Outcome::Clean => EXIT_OK,
            Outcome::Findings => EXIT_FINDINGS,
            Outcome::InvalidFiles => EXIT_INVALID,
            Outcome::Reported(code) => code,
            Outcome::Command(code) => code,
        }
    }
}

/// The process's exit status for how the command ended; an error is printed first.
pub(crate) fn finish(ended: Result<Outcome, Error>, format: MessageFormat) -> ExitCode {
    ExitCode::from(match ended {
        Ok(outcome) => outcome.exit_code(),
        Err(e) => {
            e.eprint(format);
            e.exit_code()
        }
    })
}

/// A write to stdout: a closed pipe (`xpr plan | head`) is not an error.
pub(crate) fn stdout_written(
    written: std::io::Result<()>,
    what: &'static str,
) -> Result<(), Error> {
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::Output { what, source: e })
        }
        _ => Ok(()),
    }
}
