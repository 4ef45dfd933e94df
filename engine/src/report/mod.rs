//! report
pub mod junit;
pub mod progress;
