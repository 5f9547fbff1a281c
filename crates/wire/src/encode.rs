//! The reply writer.

/// How to write one reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodeParams {
    /// The client's parameter request list (option 55): options listed here are written first,
    /// in this order, after 53 and 54.
    pub order: Vec<u8>,
    /// Largest DHCP message (BOOTP header + options, no IP/UDP) the client accepts: option 57
    /// minus 28, or 548 (576 - 28) when absent.
    pub max_len: usize,
    /// Pad the message to 300 bytes (BOOTP clients, RFC 951 / RFC 1542 §3.3).
    pub pad_to_bootp_min: bool,
}

impl Default for EncodeParams {
    fn default() -> Self {
        EncodeParams { order: Vec::new(), max_len: crate::MIN_MAX_MESSAGE, pad_to_bootp_min: true }
    }
}
