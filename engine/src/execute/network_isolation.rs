//! The network probes see (spec §5.2, "Network isolation").
//!
//! Sockets, ports and abstract unix names are per network namespace. Where the harness may
//! create one, every worker enters a namespace of its own before its first job, brings its
//! loopback up and starts the run's listener fixtures there: probes of different workers never
//! see each other's sockets, and no probe sees the host's (nor the host a probe's). Probes of
//! one worker run one after another, and each probe's sockets close with its child. Without
//! that privilege, probes share the host's network, and every probe that uses it runs in the
//! serial job, alone.

use serde::{Deserialize, Serialize};

use crate::sys::namespace;

/// Recorded in the run manifest (`network`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "isolation", rename_all = "snake_case")]
pub enum Network {
    /// A network namespace per worker, loopback up, the listener fixtures inside.
    PerWorker,
    /// Probes share the host's network (`reason`: why no namespace could be made): the
    /// listener fixtures are the engine's, and network probes run one at a time in the serial
    /// job.
    Shared { reason: String },
}

impl Network {
    /// Tries a private network namespace in a short-lived child.
    pub(crate) fn detect() -> Network {
        match namespace::private_network_available() {
            Ok(()) => Network::PerWorker,
            Err(e) => Network::Shared {
                reason: format!(
                    "no network namespace ({}): probes share the host's network, and those \
                     that use it run one at a time",
                    crate::world::errno_name(crate::sys::errno::raw(&e))
                ),
            },
        }
    }
}
