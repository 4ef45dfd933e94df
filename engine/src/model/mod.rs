//! The data model every pipeline stage shares: profile IR, resolved experiment, outcomes.

pub(crate) mod errno_names;
pub(crate) mod experiment;
pub(crate) mod fidelity;
pub(crate) mod lanes;
pub(crate) mod origin;
pub(crate) mod outcome;
pub(crate) mod profile;
pub(crate) mod scope;

pub use experiment::*;
pub use fidelity::{Fidelity, Mechanism, RuleFidelity};
pub use lanes::*;
pub use origin::Origin;
pub use outcome::*;
pub use profile::*;
pub use scope::AbiScope;

/// Prefix of every run's scratch directory (`$TMPDIR/xpr-scratch-<experiment>-<hex>`): the
/// runner creates them, the observer and the bundle writer recognise them in host text.
pub(crate) const SCRATCH_PREFIX: &str = "xpr-scratch-";
