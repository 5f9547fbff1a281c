//! Where a datagram came from and where a reply goes: plain data shared by the server core, the
//! relay agent and the socket layer, none of which need the others to name them.

use crate::HwAddr;
use std::net::{Ipv4Addr, SocketAddrV4};

/// Where and how a request arrived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrival {
    /// Name of the receiving interface (`lo` for loopback tests), if known.
    pub iface: Option<String>,
    /// Kernel interface index, 0 when unknown.
    pub ifindex: u32,
    /// The server's own address on the receiving interface: the server identifier for direct
    /// clients and the last resort for subnet selection.
    pub local_addr: Ipv4Addr,
    /// The IP source address and UDP source port of the datagram.
    pub source: SocketAddrV4,
    /// The UDP port the datagram arrived on: the server port, or `pxe_port` for proxy DHCP
    /// requests of PXE clients; 0 when unknown (treated as the server port).
    pub local_port: u16,
}

/// Where the reply must be sent (RFC 2131 §4.1, RFC 1542 §5.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// To the relay agent at giaddr (server port, or the relay's source port per RFC 8357).
    Relay {
        /// giaddr.
        addr: Ipv4Addr,
        /// UDP port.
        port: u16,
    },
    /// Unicast to an address the client already has (ciaddr).
    Unicast {
        /// ciaddr.
        addr: Ipv4Addr,
        /// Client port.
        port: u16,
    },
    /// Unicast to a client that has no address yet: yiaddr at hardware address `hw`, which needs
    /// an ARP entry or a raw frame, since the client cannot answer ARP.
    UnicastToHw {
        /// yiaddr.
        addr: Ipv4Addr,
        /// chaddr.
        hw: HwAddr,
        /// Client port.
        port: u16,
    },
    /// Limited broadcast (255.255.255.255) on the arrival interface.
    Broadcast {
        /// Client port.
        port: u16,
    },
}
