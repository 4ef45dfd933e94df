//! How a command ends, and the exit status of every ending, decided here and nowhere else
//! (spec §10): 0 success; 1 mismatches, differences or findings; 2 invalid input or usage;
//! 3 the environment failed.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::bundle::OpenError;
use crate::bundle::reader::LoadError;
use crate::diagnostics::{self, Diagnostics, MessageFormat};
use crate::run::RunError;
use crate::shim_suggest::SuggestError;

pub const EXIT_OK: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_INVALID: u8 = 2;
pub const EXIT_ENVIRONMENT: u8 = 3;

/// A command that ran to the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Everything holds.
    Clean,
    /// What the command looks for was found: mismatches, differences, verification findings.
    Findings,
    /// `xpr check` found invalid files (their diagnostics are printed).
    InvalidFiles,
    /// `xpr exec`: the command's own exit status, passed through.
    Command(u8),
}

/// A command that stopped before its result.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum Error {
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
    /// `xpr compile`: the profile has no form in the format asked for.
    #[error("{0}")]
    Export(String),
    /// Results could not be written to stdout (a closed pipe is not an error).
    #[error("cannot write {what}")]
    Output {
        what: &'static str,
        source: std::io::Error,
    },
}

/// A bundle that cannot be opened, or opened but not read (it does not verify).
#[derive(Debug, thiserror::Error)]
pub enum BundleInput {
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
            | Error::DiffInput { .. } => EXIT_INVALID,
            Error::Output { .. } => EXIT_ENVIRONMENT,
            Error::Suggest(e) => match e {
                SuggestError::UnknownProfile { .. } | SuggestError::NothingToSuggest(_) => {
                    EXIT_INVALID
                }
                SuggestError::Run(_) => EXIT_ENVIRONMENT,
            },
            Error::Run(e) => match e {
                RunError::Invalid(_)
                | RunError::AbiCap(_)
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
            Error::Invalid(diags) | Error::Run(RunError::Invalid(diags)) => {
                diagnostics::eprint(diags, format)
            }
            other => diagnostics::eprint_error(other, format),
        }
    }
}

impl Outcome {
    fn exit_code(self) -> u8 {
        match self {
            Outcome::Clean => EXIT_OK,
            Outcome::Findings => EXIT_FINDINGS,
            Outcome::InvalidFiles => EXIT_INVALID,
            Outcome::Command(code) => code,
        }
    }
}

/// The process's exit status for how the command ended; an error is printed first.
pub fn finish(ended: Result<Outcome, Error>, format: MessageFormat) -> ExitCode {
    ExitCode::from(match ended {
        Ok(outcome) => outcome.exit_code(),
        Err(e) => {
            e.eprint(format);
            e.exit_code()
        }
    })
}

/// A write to stdout: a closed pipe (`xpr plan | head`) is not an error.
pub fn stdout_written(written: std::io::Result<()>, what: &'static str) -> Result<(), Error> {
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::Output { what, source: e })
        }
        _ => Ok(()),
    }
}
