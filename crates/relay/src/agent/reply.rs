//! Server → client: RFC 1542 §4.1.2 and §5.4, RFC 2131 §4.1, RFC 3046 §2.2.

use super::{params, Deliver, RelayAgent, RelayIface, RELAYED_MAX_LEN};
use crate::stats::DropReason;
use leasehold_wire::addressing::Destination;
use leasehold_wire::options::code;
use leasehold_wire::{Op, Packet, BOOTP_MIN_LEN};
use std::net::SocketAddrV4;

impl RelayAgent {
    /// The interface a reply is for: the one whose address is giaddr, or, when giaddr is the
    /// configured override (or several interfaces share it), the one named by the echoed
    /// option 82 (circuit id, else link selection).
    fn reply_iface(&self, pkt: &Packet) -> Result<&RelayIface, DropReason> {
        let overridden = self.cfg.giaddr == Some(pkt.giaddr);
        let candidates: Vec<&RelayIface> = self
            .ifaces
            .iter()
            .filter(|i| overridden || i.addr == pkt.giaddr)
            .collect();
        if let [only] = candidates.as_slice() {
            return Ok(only);
        }
        let info = pkt
            .options
            .relay_agent_info()
            .ok_or(DropReason::UnknownGiaddr)?;
        let by_circuit = info.circuit_id().and_then(|c| {
            candidates
                .iter()
                .find(|i| self.cfg.circuit_id(&i.name).as_bytes() == c)
        });
        let by_link = || {
            info.link_selection()
                .and_then(|a| candidates.iter().find(|i| i.addr == a))
        };
        by_circuit
            .or_else(by_link)
            .copied()
            .ok_or(DropReason::UnknownGiaddr)
    }

    /// `original` is the datagram `pkt` was parsed from, when known: it is sent unchanged when
    /// there is nothing to remove, and bounds the size of the re-encoded reply otherwise.
    pub(super) fn decide_reply(
        &self,
        pkt: &Packet,
        source: SocketAddrV4,
        original: Option<&[u8]>,
    ) -> Result<Deliver, DropReason> {
        if pkt.op != Op::BootReply {
            return Err(DropReason::WrongOp);
        }
        if !self.cfg.servers.contains(source.ip()) {
            return Err(DropReason::UnknownServer);
        }
        let iface = self.reply_iface(pkt)?;
        // RFC 3046 §2.2: remove the option we added. One we kept from a trusted downstream agent
        // (policy `keep`) carries that agent's circuit id and stays for it to remove.
        let ours = match pkt.options.relay_agent_info() {
            Some(info) => info.circuit_id() == Some(self.cfg.circuit_id(&iface.name).as_bytes()),
            None => pkt.options.contains(code::RELAY_AGENT_INFO),
        };
        let mut out = pkt.clone();
        let bytes = match (ours, original) {
            (false, Some(datagram)) => datagram.to_vec(),
            _ => {
                if ours {
                    out.options.remove(code::RELAY_AGENT_INFO);
                }
                // Removing an option never makes the reply larger than the server wrote it.
                let limit = original.map_or(RELAYED_MAX_LEN, |d| d.len().max(BOOTP_MIN_LEN));
                out.encode(&params(limit)).map_err(|_| DropReason::Encode)?
            }
        };
        let port = self.cfg.client_port;
        let destination = if pkt.broadcast() {
            Destination::Broadcast { port }
        } else if !pkt.ciaddr.is_unspecified() {
            Destination::Unicast {
                addr: pkt.ciaddr,
                port,
            }
        } else if !pkt.yiaddr.is_unspecified() && pkt.chaddr.mac().is_some() {
            Destination::UnicastToHw {
                addr: pkt.yiaddr,
                hw: pkt.chaddr,
                port,
            }
        } else {
            // No address to unicast to (e.g. a NAK) or a hardware address that cannot go into
            // an ARP entry: a broadcast reaches the client.
            Destination::Broadcast { port }
        };
        Ok(Deliver {
            packet: out,
            destination,
            iface: iface.clone(),
            bytes,
        })
    }
}
