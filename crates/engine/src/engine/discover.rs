//! DHCPDISCOVER → DHCPOFFER (RFC 2131 §4.3.1).
//!
//! Address choice, first that the client may have: its reservation; its current or last binding;
//! the address it asked for (option 50); its live offer; a free pool address on its link (when
//! none is free, the oldest outstanding offer's address). A new client passes the pressure gate
//! first ([`crate::pressure`]).

use super::context::Ctx;
use super::reply::{self, Kind};
use super::select;
use crate::decision::{Decision, Outcome};
use crate::lease::LeaseChange;
use crate::pressure::NoteKind;
use crate::reason::DropReason;
use std::net::Ipv4Addr;

/// Handles a DISCOVER.
pub(crate) fn handle(ctx: &Ctx<'_>) -> Decision {
    let Some(s) = select::subnet(ctx) else {
        return Decision::drop(DropReason::NoSubnet);
    };
    let link = ctx.cfg.link(s);
    let addr = match choose(ctx, link) {
        Ok(a) => a,
        Err(reason) => return Decision::drop(reason),
    };
    let Some(place) = ctx.place(addr) else {
        return Decision::drop(DropReason::NoSubnet);
    };
    let (secs, _) = ctx.lease_secs(&place, link);
    let mut reply = reply::build(ctx, Kind::Offer, addr, Some(&place), Some(secs), None);
    // Option 81 in the OFFER too (the name the ACK will carry); no DNS work until the ACK.
    if let Some(d) = ctx.dns(addr, &place) {
        d.answer(&mut reply);
    }
    let until = ctx.now.saturating_add(u64::from(ctx.cfg.server.offer_hold));
    Decision {
        reply: Some(reply),
        changes: vec![LeaseChange::Offer {
            addr,
            client: ctx.client.clone(),
            until,
        }],
        outcome: Outcome::Offered(addr),
        dns: None,
    }
}

/// The address to offer, per the order in the module documentation, or why there is none.
pub(crate) fn choose(ctx: &Ctx<'_>, link: &[usize]) -> Result<Ipv4Addr, DropReason> {
    let reservation = ctx.reservation(link);
    if let Some(r) = reservation {
        if ctx.assignable(r.address, link) {
            return Ok(r.address);
        }
    }
    let binding = ctx.leases.by_client(&ctx.client).map(|l| l.addr);
    if let Some(a) = binding.filter(|a| ctx.assignable(*a, link)) {
        return Ok(a);
    }
    let offer = ctx.leases.offer_for(&ctx.client, ctx.now);
    // RFC 2131 §4.3.1: the requested address ranks above a new allocation; an earlier offer
    // is not a binding (it lapses when another address is offered).
    let addr = ctx
        .req
        .options
        .requested_ip()
        .filter(|a| ctx.assignable(*a, link))
        .or(offer.filter(|a| ctx.assignable(*a, link)))
        .or_else(|| ctx.leases.allocate(&ctx.pool_ids(link), ctx.now))
        .ok_or(DropReason::PoolExhausted)?;
    // New: no reservation, no outstanding offer, no lease record (`Ctx::is_new`).
    if reservation.is_none() && offer.is_none() && !ctx.has_record(link) {
        let rationed = admit_new(ctx, link)?;
        ctx.note(link, NoteKind::Offered { rationed });
    }
    Ok(addr)
}

/// The pressure gate for a new client (see [`crate::pressure`]): under pressure, only a
/// retransmitted DISCOVER passes; past `pool_reserve_threshold`, offers are rationed. `Ok(true)`
/// when the offer counts against the rationing.
fn admit_new(ctx: &Ctx<'_>, link: &[usize]) -> Result<bool, DropReason> {
    let p = ctx.pressure;
    if ctx.under_pressure(link) && p.config().retry && !p.is_retransmission(&ctx.client, ctx.now_ms)
    {
        ctx.note(link, NoteKind::Unseen(ctx.client.clone()));
        return Err(DropReason::PressureUnseen);
    }
    let pools = ctx.link_pool_ids(link);
    if !ctx
        .leases
        .reserve_blocks(&pools, ctx.cfg.security.pool_reserve_threshold)
    {
        return Ok(false);
    }
    let (total, bound) = ctx.leases.link_fill(&pools);
    let first = link.first().copied().unwrap_or_default();
    if p.ration_allows(first, total.saturating_sub(bound), ctx.now_ms) {
        Ok(true)
    } else {
        ctx.note(link, NoteKind::Rationed);
        Err(DropReason::PressureRationed)
    }
}

/// True when a REQUEST from this client for an address it was never offered must be refused:
/// the client is new and its link is under pressure or past `pool_reserve_threshold`.
pub(crate) fn refuses_unoffered(ctx: &Ctx<'_>, link: &[usize]) -> bool {
    ctx.is_new(link)
        && (ctx.under_pressure(link)
            || ctx.leases.reserve_blocks(
                &ctx.link_pool_ids(link),
                ctx.cfg.security.pool_reserve_threshold,
            ))
}
