//! The data model every pipeline stage shares: profile IR, resolved experiment, outcomes.

pub mod experiment;
pub mod fidelity;
pub mod lanes;
pub mod origin;
pub mod outcome;
pub mod profile;

pub use experiment::*;
pub use fidelity::{Fidelity, RuleFidelity};
pub use lanes::*;
pub use origin::Origin;
pub use outcome::*;
pub use profile::*;
