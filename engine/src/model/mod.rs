//! The data model every pipeline stage shares: profile IR, resolved experiment, outcomes.

pub mod errno_names;
pub mod experiment;
pub mod fidelity;
pub mod lanes;
pub mod origin;
pub mod outcome;
pub mod profile;
pub mod scope;

pub use experiment::*;
pub use fidelity::{Fidelity, Mechanism, RuleFidelity};
pub use lanes::*;
pub use origin::Origin;
pub use outcome::*;
pub use profile::*;
pub use scope::AbiScope;

/// Prefix of every run's scratch directory (`$TMPDIR/xpr-scratch-<experiment>-<hex>`): the
/// runner creates them, the observer and the bundle writer recognise them in host text.
pub const SCRATCH_PREFIX: &str = "xpr-scratch-";
