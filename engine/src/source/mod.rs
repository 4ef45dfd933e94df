//! source: the files of an experiment's closure (root, imports, stdlib) and how they are found.

pub(crate) mod kdl_fast;
pub(crate) mod loader;
pub(crate) mod nesting;
pub mod stdlib;
pub(crate) mod sysctl;

// A loaded file is defined beside the diagnostics that point into it; the loader makes them.
pub(crate) use crate::diagnostics::source_file::{FileId, LineIndex, SourceFile};
