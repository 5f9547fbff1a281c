//! BOOTP clients (no option 53): RFC 951, RFC 1497 vendor extensions, RFC 1542 §5.
//!
//! A client with a reservation gets its address. Others get a pool address only when
//! `dynamic_bootp` is on; the lease lasts `bootp_lease_time` (infinite by default), since BOOTP
//! clients never renew. The reply is padded to the 300-byte BOOTP minimum.

use super::context::Ctx;
use super::reply::{self, Kind};
use super::select;
use crate::decision::{Decision, Outcome};
use crate::lease::LeaseChange;
use crate::reason::DropReason;
use std::net::Ipv4Addr;

/// Handles a BOOTREQUEST without option 53.
pub(crate) fn handle(ctx: &Ctx<'_>) -> Decision {
    let Some(s) = select::subnet(ctx) else {
        return Decision::drop(DropReason::NoSubnet);
    };
    let link = ctx.cfg.link(s);
    let Some(addr) = choose(ctx, link) else {
        return Decision::drop(if ctx.cfg.server.dynamic_bootp {
            DropReason::PoolExhausted
        } else {
            DropReason::BootpNoReservation
        });
    };
    let Some(place) = ctx.place(addr) else {
        return Decision::drop(DropReason::NoSubnet);
    };
    let secs = ctx.cfg.server.bootp_lease_time.unwrap_or(u32::MAX);
    // The name decision as for an ACK; BOOTP clients send no option 81, so none is answered.
    let dns = ctx.dns(addr, &place);
    let lease = ctx.bound_lease(addr, secs, &place, dns.as_ref());
    let reply = reply::build(ctx, Kind::Bootp, addr, Some(&place), None, None);
    Decision {
        reply: Some(reply),
        changes: vec![LeaseChange::Put(lease)],
        outcome: Outcome::Bootp(addr),
        dns: ctx.dns_intent(addr, secs, dns.as_ref()),
    }
}

fn choose(ctx: &Ctx<'_>, link: &[usize]) -> Option<Ipv4Addr> {
    if let Some(r) = ctx.reservation(link) {
        if ctx.assignable(r.address, link) {
            return Some(r.address);
        }
    }
    if !ctx.cfg.server.dynamic_bootp {
        return None;
    }
    let current = ctx.leases.by_client(&ctx.client).map(|l| l.addr);
    if let Some(a) = current.filter(|a| ctx.assignable(*a, link)) {
        return Some(a);
    }
    ctx.leases.allocate(&ctx.pool_ids(link), ctx.now)
}
