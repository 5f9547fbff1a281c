//! Where a reply goes: RFC 2131 §4.1 (and RFC 1542 §5.4 for BOOTP, RFC 8357 for relay ports).
//!
//! | request                      | reply goes to                                       |
//! |------------------------------|-----------------------------------------------------|
//! | giaddr ≠ 0                   | the relay at giaddr, server port (or the relay's source port when option 82 carries sub-option 19, RFC 8357) |
//! | NAK, giaddr = 0              | broadcast                                           |
//! | ciaddr ≠ 0                   | unicast to ciaddr, client port                      |
//! | broadcast bit set            | broadcast                                           |
//! | otherwise                    | unicast to yiaddr at chaddr (no ARP possible)       |
//!
//! A NAK relayed through giaddr gets the broadcast bit set so the relay broadcasts it
//! (RFC 2131 §4.1).

use super::context::Ctx;
use crate::decision::Destination;
use leasehold_wire::{Packet, BROADCAST_FLAG};
use std::net::Ipv4Addr;

/// Picks the destination of `reply` and, for a relayed NAK, sets its broadcast bit.
pub(crate) fn route(ctx: &Ctx<'_>, reply: &mut Packet, nak: bool) -> Destination {
    let req = ctx.req;
    let client_port = ctx.cfg.server.client_port;
    if req.giaddr != Ipv4Addr::UNSPECIFIED {
        if nak {
            reply.flags |= BROADCAST_FLAG;
        }
        let wants_source_port = req
            .options
            .relay_agent_info()
            .is_some_and(|r| r.wants_source_port());
        let port = if wants_source_port {
            ctx.arrival.source.port()
        } else {
            ctx.cfg.server.server_port
        };
        return Destination::Relay {
            addr: req.giaddr,
            port,
        };
    }
    if nak {
        return Destination::Broadcast { port: client_port };
    }
    if req.ciaddr != Ipv4Addr::UNSPECIFIED {
        return Destination::Unicast {
            addr: req.ciaddr,
            port: client_port,
        };
    }
    if req.broadcast() || reply.yiaddr == Ipv4Addr::UNSPECIFIED || req.chaddr.as_bytes().is_empty()
    {
        return Destination::Broadcast { port: client_port };
    }
    Destination::UnicastToHw {
        addr: reply.yiaddr,
        hw: req.chaddr,
        port: client_port,
    }
}
