//! source: the files of an experiment's closure (root, imports, stdlib) and how they are found.

pub(crate) mod kdl_fast;
pub mod loader;
pub mod nesting;
pub mod stdlib;
pub mod sysctl;

// A loaded file is defined beside the diagnostics that point into it; the loader makes them.
pub use crate::diagnostics::source_file::{FileId, LineIndex, SourceFile};
