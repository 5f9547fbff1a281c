//! The one error type of this crate.

use std::path::PathBuf;

/// Why the relay could not start or keep running. Per-packet problems are not errors: they are
/// [`crate::DropReason`]s, counted and logged.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The config file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    ReadConfig {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The `[relay]` table is invalid.
    #[error("{location}: {message}")]
    Config {
        /// `file:line:column`, or `file` when no position is known.
        location: String,
        /// What is wrong.
        message: String,
    },
    /// The configuration (e.g. built from flags) failed validation.
    #[error("invalid relay configuration: {0}")]
    Invalid(String),
    /// Listing the host's interfaces failed.
    #[error("cannot list network interfaces: {0}")]
    Interfaces(#[source] std::io::Error),
    /// A `listen` interface does not exist.
    #[error("interface {0} does not exist: `ip link` lists them")]
    NoSuchInterface(String),
    /// A `listen` interface has no IPv4 address, so there is nothing to put in giaddr.
    #[error("interface {0} has no IPv4 address: the relay needs one for giaddr (`ip addr add ... dev {0}`)")]
    NoAddress(String),
    /// Opening or using the socket failed.
    #[error(transparent)]
    Net(#[from] leasehold_net::NetError),
}
