//! The one error type of this crate.

use std::io;
use std::net::SocketAddrV4;

/// Everything that can go wrong opening, receiving on or sending from a DHCP socket.
///
/// Every message is a single line that names the fix, because operators read it at start-up.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// `bind` failed with `EADDRINUSE`.
    #[error(
        "UDP port {port} is already in use — another DHCP server? find it with `ss -ulpn 'sport = :{port}'`"
    )]
    PortInUse {
        /// The port that was requested.
        port: u16,
    },
    /// `bind` failed with `EACCES` (ports below 1024 are privileged).
    #[error(
        "binding UDP port {port} needs root or CAP_NET_BIND_SERVICE; or use server_port = 1067 for a trial"
    )]
    PermissionDenied {
        /// The port that was requested.
        port: u16,
    },
    /// A configured interface name is unknown to the kernel.
    #[error("interface {name} does not exist: `ip link` lists them")]
    NoSuchInterface {
        /// The configured name.
        name: String,
    },
    /// A configured interface name cannot be an interface name (empty, too long, or contains NUL).
    #[error("interface name {name:?} is invalid: names are 1–15 bytes without NUL; `ip link` lists them")]
    BadInterfaceName {
        /// The configured name.
        name: String,
    },
    /// Creating or configuring the socket failed.
    #[error("{what} failed: {source}")]
    Socket {
        /// The step that failed, e.g. "setting SO_BROADCAST".
        what: &'static str,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// Receiving a datagram failed.
    #[error("receiving a datagram failed: {0}")]
    Recv(#[source] io::Error),
    /// Sending a datagram failed.
    #[error("sending to {dest} failed: {source}")]
    Send {
        /// Where the datagram was going.
        dest: SocketAddrV4,
        /// The OS error.
        #[source]
        source: io::Error,
    },
}

impl NetError {
    /// Wraps an OS error from the configuration step `what`.
    pub(crate) fn socket(what: &'static str, source: impl Into<io::Error>) -> NetError {
        NetError::Socket {
            what,
            source: source.into(),
        }
    }
}
