//! Why a runtime-tools bundle could not be read.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum RuntimeToolsError {
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: cannot read: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        source: crate::sys::input::InputError,
    },
    #[error("{}: not valid JSON for this artifact: {source}", path.display())]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{}: not a runtime-tools bundle: {why}", dir.display())]
    NotRuntimeTools { dir: PathBuf, why: String },
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
}
