//! The integration suite: one test binary, one module per area (linking one binary instead of
//! thirty saves most of the build on small machines). `support` holds what several areas share.
//!
//! Tests here run in parallel threads of one process: a run goes through
//! `support::run`/`support::run_file` (one at a time, see there), a test writes only below its
//! own temporary directory, and nothing changes process-wide state (cwd, environment, signal
//! dispositions). Tests that must change host-wide state have their own binary beside this one
//! (`observer_audit.rs`, `host_safety.rs`), with the reason at the top.

mod support;

mod bundle_determinism;
mod bundle_diff;
mod bundle_e2e;
mod bundle_interrupted;
mod bundle_junit;
mod bundle_verify;
mod bundle_writer;
mod check_diagnostics;
mod check_fidelity;
mod cli_check_sbpl;
mod cli_conventions;
mod differential;
mod expect_scopes;
mod explain_cli;
mod host_attacks;
mod host_guard;
mod linux_backend;
mod load;
mod lore_bundles;
mod matrix_cli;
mod mount_namespace;
mod non_root;
mod oracle_kernel_agreement;
mod oracle_lane;
mod packaging;
mod plan_cli;
mod plan_graph;
mod probe_scope;
mod run_cli;
mod run_killed;
mod run_select;
mod runner_drivers;
mod runner_failure_paths;
mod runner_network;
mod runner_plan_agreement;
mod runner_restore;
mod sbpl_corpus;
mod sbpl_fuzz;
mod sbpl_golden;
mod sbpl_in_experiments;
mod sbpl_parse;
mod schemas;
mod seatbelt_text;
mod shim_suggest;
mod truth_acquire;
mod truth_set;
mod vocabulary_corpus;
mod world_cli;
mod worlds_guest;
