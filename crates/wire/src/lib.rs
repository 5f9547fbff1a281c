//! DHCPv4 and BOOTP on the wire.
//!
//! This crate turns datagrams into [`Packet`]s and [`Packet`]s back into datagrams. It does no I/O
//! and never panics on input: every malformed datagram becomes a [`WireError`] naming what was wrong.
//!
//! Modules:
//! - [`hwaddr`]: hardware (chaddr) addresses, which are not always 6 bytes.
//! - [`message`]: the BOOTP op code and the DHCP message type (option 53).
//! - [`packet`]: the fixed BOOTP header plus options.
//! - `parse` (private): `Packet::parse`, the panic-free parser (RFC 3396 concatenation, overload).
//! - [`options`]: the option container, RFC 3396 concatenation, option overload, typed accessors.
//! - [`registry`]: the table of known options (code, name, value format) used for typed access
//!   and for options written in configuration files.
//! - [`relay`]: the relay agent information option (82) and its sub-options.
//! - [`encode`]: the reply writer (parameter request list order, RFC 3396 splitting, size limits).
//! - [`fqdn`]: the client FQDN option (81, RFC 4702): a panic-free parser and its writer.
#![forbid(unsafe_code)]
// The parser must never panic on input: no `unwrap`, no unchecked indexing or slicing.
#![deny(clippy::unwrap_used, clippy::indexing_slicing)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::indexing_slicing))]

pub mod addressing;
pub mod encode;
pub mod error;
pub mod fqdn;
pub mod hex;
pub mod hwaddr;
pub mod message;
pub mod options;
pub mod packet;
mod parse;
pub mod registry;
pub mod relay;

pub use encode::EncodeParams;
pub use error::{EncodeError, WireError};
pub use fqdn::{ClientFqdn, FqdnError, FqdnFlags, FqdnName};
pub use hwaddr::HwAddr;
pub use message::{MessageType, Op};
pub use options::Options;
pub use packet::Packet;
pub use relay::RelayAgentInfo;

/// UDP port a DHCP/BOOTP server listens on (RFC 951/2131).
pub const SERVER_PORT: u16 = 67;
/// UDP port a DHCP/BOOTP client listens on (RFC 951/2131).
pub const CLIENT_PORT: u16 = 68;
/// The magic cookie that starts the options area (RFC 2131 §3, RFC 1497).
pub const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];
/// Size of the fixed BOOTP header, before the magic cookie.
pub const HEADER_LEN: usize = 236;
/// Smallest DHCP message every client must accept (RFC 2131 §2): 576-byte IP datagram minus
/// 20 bytes of IP and 8 of UDP header.
pub const MIN_MAX_MESSAGE: usize = 576 - 28;
/// BOOTP replies are padded to at least this many bytes of BOOTP message (RFC 951: 64-byte vend).
pub const BOOTP_MIN_LEN: usize = 300;
/// The broadcast bit in `flags` (RFC 2131 §2, figure 2).
pub const BROADCAST_FLAG: u16 = 0x8000;
