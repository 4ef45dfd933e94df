//! The mount mechanism (spec §7.1): what Landlock cannot subtract, a mount namespace takes away.
//!
//! Landlock only allows; a deny inside an allowed subtree or under an allowed base ("read
//! everything, never `~/.ssh`", "write the workspace, never `.git`") has no Landlock form. The
//! Linux sandboxes people ship express those with mounts (bubblewrap, as Codex and
//! sandbox-runtime use it): a read-only bind over the subtree, an empty mount over a hidden
//! one. Here each rule still compiles to the mechanism that expresses it exactly: `translate`
//! keeps allow-lists in Landlock and hands every carve to the [`overlay`]; the [`table`] turns
//! the carves of all layers into mounts; [`namespace`] builds them (prepare) and enters them
//! (apply); [`decide`] says which errno a mount gives, for the worker's records and the oracle.

pub(crate) mod decide;
mod mount_namespace;
pub(crate) mod mount_table;
pub(crate) mod overlay;

pub(crate) use decide::PlacedMount;
pub(crate) use mount_namespace::MountNamespace;
pub(crate) use mount_table::{MOUNT_PLAN_SCHEMA_VERSION, MountEntryPlan, MountKind, MountPlan};
pub(crate) use overlay::Overlay;
