//! How a guest world was made: [`VmWorld`] is part of the world facts (hashed into the world
//! id: another kernel package is another world), [`VmHarness`] is part of the harness
//! identity (how it was run: qemu and its accelerator never change the world id).

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VmWorld {
    /// The catalogue name (`debian-12-6.1`).
    pub name: String,
    /// `package` (apt) or `image` (a kernel file).
    pub kernel_source: String,
    /// The kernel package and its exact version, or the image's file name.
    pub kernel_package: String,
    pub kernel_version: String,
    /// SHA256 of the `.deb` (from the archive's signed metadata) or of the image.
    pub kernel_sha256: String,
    /// The apt suite and mirror (empty for an image).
    pub suite: String,
    pub mirror: String,
    /// Modules the guest loaded, in order (built-in ones left out).
    pub modules: Vec<String>,
    /// What the experiment sees as its userland.
    pub userland: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VmHarness {
    /// `qemu-system-x86_64 --version`, first line.
    pub qemu: String,
    /// `tcg` or `kvm`.
    pub accelerator: String,
    pub memory_mib: u32,
    pub cpus: u32,
}
