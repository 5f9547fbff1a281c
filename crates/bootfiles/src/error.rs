//! The crate's error type: why a service could not start or keep running.
//!
//! Per-request problems (a missing file, a traversal attempt, a client timing out) are not
//! errors of the service: they are answered, logged and counted in the stats.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Why the TFTP or HTTP boot service could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum BootFilesError {
    /// The root (or upload) directory cannot be opened as a directory.
    #[error("cannot open boot root {}: {source}", path.display())]
    Root {
        /// The configured directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A setting is out of its range (see [`crate::TftpSettings::validate`]).
    #[error("invalid boot-file settings: {0}")]
    Invalid(String),
    /// The kernel lacks `openat2` (Linux < 5.6), needed to resolve requests beneath the root.
    #[error(
        "the kernel does not support openat2 (Linux 5.6 or later is needed for safe file serving)"
    )]
    NoOpenat2,
    /// Binding a listening socket failed.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Setting up a listening socket (options, SO_BINDTODEVICE to `interface`) failed.
    #[error("cannot set up the socket on {addr}{}: {source}", interface.as_ref().map(|i| format!(" (interface {i})")).unwrap_or_default())]
    Socket {
        /// The address.
        addr: SocketAddr,
        /// The interface, when binding to one.
        interface: Option<String>,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A listening socket failed while serving.
    #[error("listener on {addr} failed: {source}")]
    Listener {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}
