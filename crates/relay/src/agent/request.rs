//! Client → server: RFC 1542 §4.1.1, RFC 3046 §2.1, RFC 3527, RFC 5107, RFC 8357.

use super::{params, Forward, RelayAgent, RelayIface, MAX_UDP_PAYLOAD, RELAYED_MAX_LEN};
use crate::config::Option82Policy;
use crate::stats::DropReason;
use leasehold_wire::options::code;
use leasehold_wire::relay::sub;
use leasehold_wire::{Op, Packet, RelayAgentInfo};
use std::net::{Ipv4Addr, SocketAddrV4};

impl RelayAgent {
    /// Our option 82 for a request arriving on `iface`.
    pub fn option82(&self, iface: &RelayIface) -> RelayAgentInfo {
        let mut raw = vec![(
            sub::CIRCUIT_ID,
            self.cfg.circuit_id(&iface.name).as_bytes().to_vec(),
        )];
        if let Some(r) = &self.cfg.remote_id {
            raw.push((sub::REMOTE_ID, r.as_bytes().to_vec()));
        }
        if self.cfg.link_selection {
            raw.push((sub::LINK_SELECTION, iface.addr.octets().to_vec()));
        }
        if self.cfg.server_id_override {
            raw.push((sub::SERVER_ID_OVERRIDE, iface.addr.octets().to_vec()));
        }
        if self.cfg.bind_port() != leasehold_wire::SERVER_PORT {
            // RFC 8357 §4: zero-length; the server replies to our UDP source port.
            raw.push((sub::RELAY_SOURCE_PORT, Vec::new()));
        }
        RelayAgentInfo { raw }
    }

    fn is_own_address(&self, addr: Ipv4Addr) -> bool {
        self.cfg.giaddr == Some(addr) || self.ifaces.iter().any(|i| i.addr == addr)
    }

    pub(super) fn decide_request(
        &self,
        pkt: &Packet,
        iface: &RelayIface,
    ) -> Result<Vec<Forward>, DropReason> {
        if pkt.op != Op::BootRequest {
            return Err(DropReason::WrongOp);
        }
        if !self.cfg.listen.contains(&iface.name) {
            return Err(DropReason::UnknownInterface);
        }
        // RFC 1542 §4.1.1: discard when hops exceeds the configured maximum (≤ 16).
        if pkt.hops > self.cfg.max_hops {
            return Err(DropReason::HopLimit);
        }
        let mut plain = pkt.clone();
        plain.hops = pkt.hops.saturating_add(1);
        let mut tagged = None;
        if pkt.giaddr.is_unspecified() {
            plain.giaddr = self.cfg.giaddr.unwrap_or(iface.addr);
            let present = pkt.options.contains(code::RELAY_AGENT_INFO);
            let insert = match (present, self.cfg.existing_option82) {
                (true, Option82Policy::Drop) => return Err(DropReason::Option82Present),
                (true, Option82Policy::Keep) => false,
                (true, Option82Policy::Replace) | (false, _) => true,
            };
            // Plain BOOTP without the magic cookie has no options area to extend.
            if insert && pkt.has_cookie {
                let mut p = plain.clone();
                p.options.remove(code::RELAY_AGENT_INFO);
                p.options
                    .insert(code::RELAY_AGENT_INFO, self.option82(iface).to_bytes());
                tagged = Some(p);
            }
        } else if self.is_own_address(pkt.giaddr) {
            return Err(DropReason::OwnGiaddr);
        }
        let encode = |p: &Packet| {
            p.encode(&params(MAX_UDP_PAYLOAD))
                .map_err(|_| DropReason::Encode)
        };
        let (packet, bytes) = match tagged {
            Some(p) => {
                let bytes = encode(&p)?;
                if bytes.len() <= RELAYED_MAX_LEN {
                    (p, bytes)
                } else {
                    // RFC 3046 §2.1: forward the packet without the option, and count it.
                    self.stats.record_option82_too_large();
                    let bytes = encode(&plain)?;
                    (plain, bytes)
                }
            }
            None => {
                let bytes = encode(&plain)?;
                (plain, bytes)
            }
        };
        let forwards = self
            .cfg
            .servers
            .iter()
            .map(|s| Forward {
                packet: packet.clone(),
                bytes: bytes.clone(),
                to: SocketAddrV4::new(*s, self.cfg.server_port),
            })
            .collect();
        Ok(forwards)
    }
}
