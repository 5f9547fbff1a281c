//! What the engine decides for one request.

use crate::lease::LeaseChange;
use crate::reason::{DropReason, NakReason};
use leasehold_wire::{EncodeParams, HwAddr, Packet};
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

/// A reply ready to encode and send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The BOOTREPLY.
    pub packet: Packet,
    /// Where it goes.
    pub destination: Destination,
    /// How to encode it (option order, size limit, BOOTP padding).
    pub encode: EncodeParams,
}

/// Result of a request, for logs and metrics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// DHCPOFFER of this address.
    Offered(Ipv4Addr),
    /// DHCPACK binding this address.
    Acked(Ipv4Addr),
    /// DHCPACK to an INFORM (no lease).
    Informed,
    /// BOOTP reply with this address.
    Bootp(Ipv4Addr),
    /// DHCPNAK, with why.
    Nak(NakReason),
    /// A RELEASE freed this address.
    Released(Ipv4Addr),
    /// A DECLINE put this address in probation.
    Declined(Ipv4Addr),
    /// No reply, with why.
    Dropped(DropReason),
}

/// The engine's answer to one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The reply, if any.
    pub reply: Option<Reply>,
    /// Lease changes to apply; the durable ones must be committed before `reply` is sent.
    pub changes: Vec<LeaseChange>,
    /// What happened.
    pub outcome: Outcome,
}

impl Decision {
    /// A silent drop with `reason`.
    pub fn drop(reason: DropReason) -> Decision {
        Decision {
            reply: None,
            changes: Vec::new(),
            outcome: Outcome::Dropped(reason),
        }
    }
}
