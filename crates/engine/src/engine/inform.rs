//! DHCPINFORM → DHCPACK with configuration only (RFC 2131 §4.3.5): no lease, no 51/58/59,
//! yiaddr 0, sent to ciaddr (or the relay).

use super::context::{Ctx, Place};
use super::reply::{self, Kind};
use super::select;
use crate::decision::{Decision, Outcome};
use crate::reason::DropReason;
use std::net::Ipv4Addr;

/// Handles an INFORM.
pub(crate) fn handle(ctx: &Ctx<'_>) -> Decision {
    let Some(s) = select::subnet(ctx) else {
        return Decision::drop(DropReason::NoSubnet);
    };
    let link = ctx.cfg.link(s);
    let ciaddr = ctx.req.ciaddr;
    let place = if ctx.on_link(ciaddr, link) {
        ctx.place(ciaddr)
    } else {
        None
    };
    let place = match place {
        Some(p) => p,
        None => match ctx.cfg.subnets.get(s) {
            Some(subnet) => Place {
                subnet,
                pool: None,
                reservation: None,
            },
            None => return Decision::drop(DropReason::NoSubnet),
        },
    };
    let reply = reply::build(
        ctx,
        Kind::InformAck,
        Ipv4Addr::UNSPECIFIED,
        Some(&place),
        None,
        None,
    );
    Decision {
        reply: Some(reply),
        changes: Vec::new(),
        outcome: Outcome::Informed,
        dns: None,
    }
}
