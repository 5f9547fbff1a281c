//! Errors of parsing and encoding.

use thiserror::Error;

/// Why a datagram is not a valid BOOTP/DHCP message. Each variant is a drop reason the server
/// counts.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WireError {
    /// Shorter than the 236-byte fixed header.
    #[error("datagram of {0} bytes is shorter than the 236-byte BOOTP header")]
    Truncated(usize),
    /// `op` is neither 1 nor 2.
    #[error("unknown op code {0}")]
    BadOp(u8),
    /// `hlen` above 16.
    #[error("hardware address length {0} exceeds 16")]
    HlenTooLong(usize),
    /// An option's length runs past the end of its area.
    #[error("option {code} overruns the options area")]
    OptionOverrun {
        /// The option code whose length is too long.
        code: u8,
    },
    /// Option 52 has a value other than 1, 2 or 3, or a length other than 1.
    #[error("invalid option overload value")]
    BadOverload,
    /// Option 82 sub-options overrun the option.
    #[error("malformed relay agent information (option 82)")]
    BadRelayAgentInfo,
    /// A hardware address string that is not hex bytes separated by ':' or '-'.
    #[error("invalid hardware address {0:?}")]
    BadHwAddr(String),
}

/// Why a reply could not be written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EncodeError {
    /// Even the mandatory options do not fit in the client's maximum message size.
    #[error("reply needs {needed} bytes but the client accepts at most {limit}")]
    TooLarge {
        /// Bytes the smallest possible reply needs.
        needed: usize,
        /// The size limit in force.
        limit: usize,
    },
}
