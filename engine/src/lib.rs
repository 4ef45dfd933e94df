//! xpr: declarative sandbox-policy experiments with real enforcement.
//!
//! The folders follow the pipeline:
//! `source` (files, imports, stdlib) → `decode` (KDL → syntax) → `resolve` (names, extends,
//! shims → [`model::Experiment`]) → `plan` (the stage graph) → `compile` (IR → backend
//! artifacts) → `execute` (forked children, `probes` drivers) → `classify` (stages → verdicts)
//! → `bundle` (artifacts + index) → `diff` / `report`. `worlds` runs that whole pipeline
//! inside a guest kernel under qemu and brings the bundle back.

pub mod bundle;
pub mod classify;
pub mod cli;
pub mod compile;
pub mod decode;
pub mod diagnostics;
pub mod diff;
pub mod execute;
pub mod lanes;
pub mod model;
pub mod observe;
pub mod oracle;
pub mod plan;
pub mod probes;
pub mod report;
pub mod resolve;
pub mod sbpl;
pub mod shim_suggest;
pub mod source;
pub mod sys;
pub mod world;
pub mod worlds;
