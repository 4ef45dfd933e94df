//! bundle: the run bundle contract (spec §6).
//!
//! A bundle is written once through [`BundleWriter`] into a hidden `.<run_id>.partial`
//! directory, pinned by `artifact_index.json` (written last), then renamed into
//! `out/<experiment>/<run_id>/`. Readers open it through [`open::open`], which picks the
//! [`format::BundleFormat`] and hands back a [`format::BundleReader`] that can verify it and
//! load its semantic [`view::BundleView`] for `xpr diff`. Every reader opens the bundle's
//! files through [`dir::BundleDir`] (no symlinks, no special files, bounded reads).

pub mod canonical;
pub mod digest;
pub mod dir;
pub mod explain;
pub mod fidelity;
pub mod foreign;
pub mod format;
pub mod index;
pub mod layout;
pub mod manifest;
pub mod open;
pub mod path_guard;
pub mod printable;
pub mod run_id;
pub mod runtime_tools;
pub mod schema;
pub mod time;
pub mod verification;
pub mod view;
pub mod world_vocabulary;
pub mod writer;
mod xpr_reader;

pub use format::{BundleFormat, BundleReader, LoadError};
pub use index::{ArtifactIndex, IndexEntry, IndexMeta};
pub use manifest::{Manifest, closure_digest};
pub use open::{OpenError, open};
pub use run_id::{InvalidRunId, RunId};
pub use verification::{Finding, Verification};
pub use view::BundleView;
pub use writer::BundleWriter;
