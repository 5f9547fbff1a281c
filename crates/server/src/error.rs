//! The runtime's errors: why a server did not start, or did not stop cleanly. Each names what
//! failed (the file, the address) in one line; the binary prints it with its causes.

use crate::serve::StartError;
use leasehold_store::StoreError;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Why [`crate::start`], [`crate::run`] or [`crate::Running::stop`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The store could not be read at start-up.
    #[error("cannot read the leases")]
    Load(#[source] StoreError),
    /// The lease writer thread could not start.
    #[error("cannot start the lease writer")]
    Writer(#[source] StoreError),
    /// The packet thread or its socket.
    #[error(transparent)]
    Packet(#[from] StartError),
    /// The control API.
    #[error(transparent)]
    Control(#[from] ControlStartError),
    /// What was queued could not be committed at shutdown.
    #[error("flushing the lease store at shutdown")]
    Flush(#[source] StoreError),
    /// The lease writer's thread could not be joined at shutdown.
    #[error("the lease writer did not stop")]
    WriterJoin,
    /// The packet loop panicked.
    #[error("the packet loop panicked")]
    PacketPanicked,
    /// A boot-file service (`[tftp]`, `[http_boot]`) could not open its root or bind.
    #[error(transparent)]
    BootFiles(#[from] leasehold_bootfiles::BootFilesError),
    /// DNS updates (`[ddns]`) cannot start: a key file unreadable or unusable, no socket.
    #[error("{0}")]
    Ddns(String),
}

/// Why the control API did not start. The server does not start without it when `[control]`
/// asks for one.
#[derive(Debug, thiserror::Error)]
pub enum ControlStartError {
    /// The token file is unreadable.
    #[error("cannot read the control token file {}", .path.display())]
    TokenRead {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The token file is empty.
    #[error("the control token file {} is empty", .0.display())]
    TokenEmpty(PathBuf),
    /// A TLS certificate or key file is unreadable.
    #[error("cannot read the control TLS {what} {}", .path.display())]
    TlsRead {
        /// `certificate` or `key`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The certificate or key cannot be used; the message names the file at fault.
    #[error("{0}")]
    Tls(String),
    /// The listener cannot bind.
    #[error("cannot listen on {addr} for the control API")]
    Listen {
        /// The configured address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// `error` and its causes in one line, `: `-separated (what the binary prints).
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}
