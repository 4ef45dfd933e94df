//! worlds: running an experiment on another kernel (spec §12).
//!
//! A *world* of the catalogue (`catalogue`, `std/worlds.kdl` plus the user's files) is either
//! the host or a kernel booted under qemu. `fetch` gets a package world's kernel with a
//! private apt configuration into the user's cache (`cache`, `modules`, `vmlinux`); `launch` builds the
//! guest's initramfs (`initramfs`, `cpio`) around the host's own `xpr`, boots it, keeps its
//! console (`console`) and reads the bundle the guest streams back (`protocol`); `receive`
//! verifies it and commits it under `out/`. Inside the guest, `guest_init` is pid 1.
//!
//! Library entry point: [`launch::run_in_world`] — world + run → a verified bundle's path, or
//! a [`launch::WorldError`] that keeps the guest's console log.

pub(crate) mod cache;
pub(crate) mod catalogue;
mod console;
mod cpio;
pub mod fetch;
pub(crate) mod guest_init;
pub(crate) mod host_view;
mod initramfs;
pub mod launch;
mod modules;
pub(crate) mod protocol;
mod receive;
mod vmlinux;

pub use catalogue::{Catalogue, HOST, KernelSource, WorldSpec};
pub(crate) use launch::{Accel, GuestRun, WorldError, WorldRun, run_in_world};
