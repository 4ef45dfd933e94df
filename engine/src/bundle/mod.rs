//! bundle: the run bundle contract (spec §6).
//!
//! A bundle is written once through [`BundleWriter`] into a hidden `.<run_id>.partial`
//! directory, pinned by `artifact_index.json` (written last), then renamed into
//! `out/<experiment>/<run_id>/`. Readers open it through [`open::open`], which picks the
//! [`format::BundleFormat`] and hands back a [`format::BundleReader`] that can verify it and
//! load its semantic [`view::BundleView`] for `xpr diff`. Every reader opens the bundle's
//! files through [`dir::BundleDir`] (no symlinks, no special files, bounded reads).

pub(crate) mod canonical;
pub(crate) mod digest;
pub(crate) mod dir;
pub(crate) mod explain;
pub mod fidelity;
pub(crate) mod foreign;
pub(crate) mod format;
pub(crate) mod index;
pub mod layout;
pub mod manifest;
pub(crate) mod open;
pub mod path_guard;
pub(crate) mod printable;
pub(crate) mod run_id;
pub mod runtime_tools;
pub(crate) mod schema;
pub(crate) mod time;
pub(crate) mod verification;
pub(crate) mod view;
pub mod world_vocabulary;
pub(crate) mod writer;
mod xpr_reader;

pub use format::{BundleFormat, BundleReader, LoadError};
pub use index::{ArtifactIndex, IndexEntry, IndexMeta};
pub use manifest::{Manifest, closure_digest};
pub use open::{OpenError, open};
pub use run_id::{InvalidRunId, RunId};
pub use verification::{Finding, Verification};
pub use view::BundleView;
pub use writer::BundleWriter;
