//! Leasehold's network I/O: the server's UDP socket.
//!
//! [`DhcpSocket`] receives requests with the interface they arrived on and the server's own
//! address there, and sends replies where the engine's [`Destination`] says (RFC 2131 §4.1).
//!
//! # Design
//!
//! **One socket, not one per interface.** The server opens a single UDP socket bound to
//! `0.0.0.0:port` with `SO_BROADCAST` and `IP_PKTINFO`. Every `recvmsg` then reports the arrival
//! interface index and the datagram's destination address; every `sendmsg` carries an
//! `IP_PKTINFO` control message whose `ipi_ifindex` and `ipi_spec_dst` pick the outgoing
//! interface and the source address, so a broadcast to 255.255.255.255 leaves on the link the
//! request came from with the server identifier as its source. This is what dnsmasq does; it
//! needs no `SO_BINDTODEVICE` (which is privileged and needs one socket per interface, re-created
//! whenever an interface comes and goes). Datagrams from interfaces not listed in
//! [`BindOptions::interfaces`] are dropped and counted ([`DhcpSocket::dropped_foreign`]).
//!
//! **No `SO_REUSEADDR`.** On Linux that option lets a *second* process bind the same UDP port,
//! so two DHCP servers on one host would both start and silently split the traffic. Without it
//! the second one fails at start-up with [`NetError::PortInUse`]. UDP has no `TIME_WAIT`, so a
//! restart never needs it.
//!
//! **Interface names and addresses** come from `if_nameindex(3)` and `getifaddrs(3)`, cached in
//! an [`iface::InterfaceCache`] that refreshes itself (at most once a second) when it meets an
//! unknown interface or one without an IPv4 address. [`Received::local_addr`] is the interface's
//! primary IPv4 address (or the unicast destination when the request was sent to one of the
//! interface's addresses), never 255.255.255.255.
//!
//! **Unicast to a client without an address** ([`Destination::UnicastToHw`]): the client cannot
//! answer ARP yet, so the socket first inserts the ARP entry `yiaddr → chaddr` on the arrival
//! interface with the `SIOCSARP` ioctl and then sends a plain unicast. That needs
//! **`CAP_NET_ADMIN`** (as well as `CAP_NET_BIND_SERVICE` for port 67). Without it, or when chaddr
//! is not a 6-byte Ethernet address, the reply is broadcast on the arrival interface instead — a
//! reply every client accepts — and a warning saying why is logged once. The ioctl is the only
//! `unsafe` code in Leasehold besides [`capture`] (the `bind(2)` of a packet socket and its
//! registration with tokio).
//!
//! **Watching other servers** ([`client_port`]): the rogue-server monitor and `leasehold probe`
//! listen on the DHCP client port with a socket of their own ([`client_port::client_socket`],
//! `SO_REUSEADDR`, so it coexists with a DHCP client) and broadcast probe DISCOVERs out of one
//! interface; they share the server socket's IP_PKTINFO receive and send code.
//!
//! **Who sent a datagram** ([`capture`], [`neigh`]): the rogue-server detector reports a
//! server's MAC address. [`capture::PacketSocket`] (`AF_PACKET`, needs `CAP_NET_RAW`) captures
//! the datagrams to the client port with their link-layer source; without it,
//! [`neigh::lookup`] reads the kernel neighbour table.
//!
//! # Modules
//! - [`socket`]: [`DhcpSocket`], [`BindOptions`], [`Received`].
//! - [`batch`]: many datagrams per system call ([`RecvBatch`], [`Outgoing`]).
//! - [`iface`]: interface index → name and addresses.
//! - [`client_port`]: a socket on the DHCP client port for watching and probing other servers.
//! - [`capture`]: link-layer capture ([`PacketSocket`], [`AsyncPacketSocket`], [`FrameInfo`])
//!   and IPv4/UDP header parsing.
//! - [`mac`]: the 6-byte Ethernet address ([`MacAddr`]).
//! - [`neigh`]: MAC addresses from `/proc/net/arp`.
//! - [`error`]: [`NetError`], one-line messages that name the fix.
#![deny(unsafe_code)]

mod arp;
pub mod batch;
pub mod capture;
pub mod client_port;
pub mod error;
pub mod iface;
pub mod mac;
pub mod neigh;
pub mod socket;

pub use batch::{Outgoing, RecvBatch};
pub use capture::{AsyncPacketSocket, FrameInfo, PacketSocket};
pub use client_port::ClientDatagram;
pub use error::NetError;
pub use leasehold_wire::addressing::Destination;
pub use mac::MacAddr;
pub use socket::{BindOptions, DhcpSocket, Received};
