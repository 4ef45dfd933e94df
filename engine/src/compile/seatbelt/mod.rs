//! The macOS Seatbelt backend.
//!
//! Everything that can be plain Rust is plain Rust and tested on any host: the SBPL text for a
//! profile ([`compile`]), the parameters it needs, per-rule fidelity, the `sandbox_check`
//! query for a probe ([`CheckQuery`]) and macOS world facts and their id ([`MacWorldFacts`]).
//! Only the FFI (`sandbox_init_with_parameters`, `sandbox_check`) and the collection of world
//! facts (`sw_vers`, `sysctl`, `csrutil`) are behind `cfg(target_os = "macos")`; that part has
//! not been compiled or run on a Mac yet.

mod check_query;
mod macos_world;
mod sbpl_text;

#[cfg(target_os = "macos")]
mod apply;
#[cfg(target_os = "macos")]
mod ffi;

pub use check_query::{CheckFilterType, CheckQuery};
pub use sbpl_text::{CompiledSeatbelt, MissingParams, compile};

#[cfg(target_os = "macos")]
pub(crate) use apply::{PreparedSeatbelt, oracle_check};
#[cfg(target_os = "macos")]
pub(crate) use macos_world::collect_world_facts;
