//! xpr: declarative sandbox-policy experiments with real enforcement.
//!
//! The folders follow the pipeline:
//! `source` (files, imports, stdlib) → `decode` (KDL → syntax) → `resolve` (names, extends,
//! shims → [`model::Experiment`]) → `plan` (the stage graph) → `compile` (IR → backend
//! artifacts) → `execute` (forked children, `probes` drivers) → `classify` (stages → verdicts)
//! → `lanes` (oracle, observer, shim divergence) → `bundle` (artifacts + index) → `report`;
//! `diff` compares bundles. [`run`] drives one run through it and [`cli`] calls [`run`];
//! `worlds` does a run inside a guest kernel under qemu and brings the bundle back.
//! Dependencies between these modules run one way; ARCHITECTURE.md draws the order and
//! `module_order.rs` enforces it.

#![warn(unreachable_pub)]

pub mod bundle;
pub mod classify;
pub mod cli;
pub mod compile;
pub mod decode;
pub mod diagnostics;
pub mod diff;
pub mod execute;
pub(crate) mod lanes;
pub(crate) mod matrix;
pub mod model;
pub mod observe;
pub mod oracle;
pub mod plan;
pub mod probes;
pub mod report;
pub mod resolve;
pub mod run;
pub mod sbpl;
pub mod shim_suggest;
pub mod source;
pub mod sys;
pub mod world;
pub mod worlds;

#[cfg(test)]
mod file_names;
#[cfg(test)]
mod module_order;
#[cfg(test)]
mod unsafe_boundary;
