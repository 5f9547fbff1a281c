//! DHCPDISCOVER → DHCPOFFER (RFC 2131 §4.3.1).
//!
//! Address choice, first that the client may have: its reservation; its live offer; its current
//! or last binding; the address it asked for (option 50); a free pool address on its link.

use super::context::Ctx;
use super::reply::{self, Kind};
use super::select;
use crate::decision::{Decision, Outcome};
use crate::lease::LeaseChange;
use crate::reason::DropReason;
use std::net::Ipv4Addr;

/// Handles a DISCOVER.
pub(crate) fn handle(ctx: &Ctx<'_>) -> Decision {
    let Some(s) = select::subnet(ctx) else {
        return Decision::drop(DropReason::NoSubnet);
    };
    let link = ctx.cfg.link(s);
    let Some(addr) = choose(ctx, link) else {
        // `pool_reserve` only when an address is still free: the rest is kept for known clients.
        let free = ctx.leases.allocate(&ctx.pool_ids(link), ctx.now).is_some();
        let reason = if free && reserve_applies(ctx, link) {
            DropReason::PoolReserve
        } else {
            DropReason::PoolExhausted
        };
        return Decision::drop(reason);
    };
    let Some(place) = ctx.place(addr) else {
        return Decision::drop(DropReason::NoSubnet);
    };
    let secs = ctx.policy(&place).grant(ctx.req.options.lease_time());
    let reply = reply::build(ctx, Kind::Offer, addr, Some(&place), Some(secs), None);
    let until = ctx.now.saturating_add(u64::from(ctx.cfg.server.offer_hold));
    Decision {
        reply: Some(reply),
        changes: vec![LeaseChange::Offer {
            addr,
            client: ctx.client.clone(),
            until,
        }],
        outcome: Outcome::Offered(addr),
    }
}

/// The address to offer, per the order in the module documentation.
pub(crate) fn choose(ctx: &Ctx<'_>, link: &[usize]) -> Option<Ipv4Addr> {
    if let Some(r) = ctx.reservation(link) {
        if ctx.assignable(r.address, link) {
            return Some(r.address);
        }
    }
    let candidates = [
        ctx.leases.offer_for(&ctx.client, ctx.now),
        ctx.leases.by_client(&ctx.client).map(|l| l.addr),
    ];
    if let Some(a) = candidates
        .into_iter()
        .flatten()
        .find(|a| ctx.assignable(*a, link))
    {
        return Some(a);
    }
    if reserve_applies(ctx, link) {
        return None;
    }
    if let Some(a) = ctx.req.options.requested_ip() {
        if ctx.assignable(a, link) {
            return Some(a);
        }
    }
    ctx.leases.allocate(&ctx.pool_ids(link), ctx.now)
}

/// True when this client is new (no reservation on `link`, no address held) and the link's
/// pools are past the `[security] pool_reserve_threshold`: the rest is kept for known clients.
pub(crate) fn reserve_applies(ctx: &Ctx<'_>, link: &[usize]) -> bool {
    let known = ctx.reservation(link).is_some()
        || ctx
            .leases
            .by_client(&ctx.client)
            .is_some_and(|l| l.holds_address(ctx.now));
    !known
        && ctx.leases.reserve_blocks(
            &ctx.pool_ids(link),
            ctx.cfg.security.pool_reserve_threshold,
            ctx.now,
        )
}
