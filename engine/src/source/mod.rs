//! source: the files of an experiment's closure (root, imports, stdlib) and how they are found.

pub mod loader;
pub mod stdlib;
pub mod sysctl;

// A loaded file is defined beside the diagnostics that point into it; the loader makes them.
pub use crate::diagnostics::source_file::{FileId, LineIndex, SourceFile};
