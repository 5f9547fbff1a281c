//! The relay decisions, with no I/O: what to forward to the servers, and how to deliver replies.
//!
//! - Client → server (RFC 1542 §4.1.1, RFC 3046 §2.1): only BOOTREQUESTs; `hops` checked against
//!   `max_hops` and incremented; a zero `giaddr` becomes the arrival interface's address and gets
//!   our option 82 as the last option; a non-zero `giaddr` means a relay closer to the client
//!   already did this, so only `hops` changes. One unicast per configured server.
//! - Server → client (RFC 1542 §4.1.2, RFC 2131 §4.1, RFC 3046 §2.2): only BOOTREPLYs from a
//!   configured server whose `giaddr` names one of our interfaces; our option 82 is removed; the
//!   broadcast bit means broadcast, else `ciaddr`, else `yiaddr` at `chaddr`.

mod reply;
mod request;

use crate::config::RelayConfig;
use crate::stats::{DropReason, RelayStats};
use leasehold_wire::addressing::Destination;
use leasehold_wire::{EncodeParams, Op, Packet};
use std::net::{Ipv4Addr, SocketAddrV4};

/// Largest UDP payload on a 1500-byte Ethernet path (1500 − 20 IP − 8 UDP). A request that would
/// grow beyond this by our option 82 is forwarded without it (RFC 3046 §2.1).
pub const RELAYED_MAX_LEN: usize = 1472;

/// Largest UDP payload over IPv4: the encoding limit for forwarded requests, so the writer never
/// drops or moves an option of the client's (the size check against [`RELAYED_MAX_LEN`] is ours).
const MAX_UDP_PAYLOAD: usize = 65_507;

/// A downstream interface of the relay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayIface {
    /// Interface name, e.g. `eth1`.
    pub name: String,
    /// Kernel interface index.
    pub ifindex: u32,
    /// The relay's IPv4 address on it (put into giaddr).
    pub addr: Ipv4Addr,
}

/// One request to send to one server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forward {
    /// The request as relayed (hops, giaddr, option 82 updated).
    pub packet: Packet,
    /// `packet` encoded: the datagram to send.
    pub bytes: Vec<u8>,
    /// The server's address and port.
    pub to: SocketAddrV4,
}

/// One reply to deliver to a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deliver {
    /// The reply, our option 82 removed.
    pub packet: Packet,
    /// Where it goes on `iface`.
    pub destination: Destination,
    /// The downstream interface the client is on; send from its address.
    pub iface: RelayIface,
    /// The datagram to send: the server's bytes unchanged when there was nothing to remove.
    pub bytes: Vec<u8>,
}

/// What to do with one received datagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send each of these requests to its server.
    Forward(Vec<Forward>),
    /// Send this reply to the client.
    Deliver(Box<Deliver>),
}

/// The sans-I/O relay agent: configuration, downstream interfaces and counters.
#[derive(Debug)]
pub struct RelayAgent {
    cfg: RelayConfig,
    ifaces: Vec<RelayIface>,
    stats: RelayStats,
}

/// Encoding for relayed packets: stored option order, padded to the BOOTP minimum.
fn params(max_len: usize) -> EncodeParams {
    EncodeParams {
        order: Vec::new(),
        max_len,
        pad_to_bootp_min: true,
    }
}

impl RelayAgent {
    /// An agent for `cfg` that knows no interface addresses yet (see
    /// [`RelayAgent::set_interfaces`]); replies are dropped until it does.
    pub fn new(cfg: RelayConfig) -> RelayAgent {
        RelayAgent {
            cfg,
            ifaces: Vec::new(),
            stats: RelayStats::default(),
        }
    }

    /// Builder form of [`RelayAgent::set_interfaces`].
    pub fn with_interfaces(mut self, ifaces: Vec<RelayIface>) -> RelayAgent {
        self.ifaces = ifaces;
        self
    }

    /// Sets the downstream interfaces (name, index, address), resolved by the caller.
    pub fn set_interfaces(&mut self, ifaces: Vec<RelayIface>) {
        self.ifaces = ifaces;
    }

    /// The downstream interfaces.
    pub fn interfaces(&self) -> &[RelayIface] {
        &self.ifaces
    }

    /// The configuration.
    pub fn config(&self) -> &RelayConfig {
        &self.cfg
    }

    /// The counters.
    pub fn stats(&self) -> &RelayStats {
        &self.stats
    }

    /// Handles one received datagram: requests (from `arrival`, `None` when it came in on an
    /// interface we do not listen on) are forwarded, replies from servers delivered. Counts the
    /// outcome; the caller counts send failures and deliveries.
    pub fn handle(
        &self,
        datagram: &[u8],
        arrival: Option<&RelayIface>,
        source: SocketAddrV4,
    ) -> Result<Action, DropReason> {
        let Ok(pkt) = Packet::parse(datagram) else {
            self.stats.record_drop(DropReason::Malformed);
            return Err(DropReason::Malformed);
        };
        match pkt.op {
            Op::BootRequest => match arrival {
                Some(iface) => self.from_client(&pkt, iface).map(Action::Forward),
                None => {
                    self.stats.record_drop(DropReason::UnknownInterface);
                    Err(DropReason::UnknownInterface)
                }
            },
            Op::BootReply => self.counted_reply(self.decide_reply(&pkt, source, Some(datagram))),
        }
    }

    /// Handles a request received from the client side on `iface`; counts the outcome.
    pub fn from_client(
        &self,
        pkt: &Packet,
        iface: &RelayIface,
    ) -> Result<Vec<Forward>, DropReason> {
        let result = self.decide_request(pkt, iface);
        match &result {
            Ok(f) => self.stats.record_forwarded(f.len() as u64),
            Err(r) => self.stats.record_drop(*r),
        }
        result
    }

    /// Handles a reply received from `source`; counts drops (the caller counts delivery once it
    /// has sent, with [`RelayStats::record_delivered`]).
    pub fn from_server(&self, pkt: &Packet, source: SocketAddrV4) -> Result<Deliver, DropReason> {
        self.counted_reply(self.decide_reply(pkt, source, None))
            .and_then(|a| match a {
                Action::Deliver(d) => Ok(*d),
                Action::Forward(_) => Err(DropReason::WrongOp),
            })
    }

    fn counted_reply(&self, result: Result<Deliver, DropReason>) -> Result<Action, DropReason> {
        if let Err(r) = &result {
            self.stats.record_drop(*r);
        }
        result.map(|d| Action::Deliver(Box::new(d)))
    }
}
