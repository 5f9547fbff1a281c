//! DHCPDECLINE (RFC 2131 §4.3.3) and DHCPRELEASE (RFC 2131 §4.3.4): no reply either way.

use super::context::Ctx;
use crate::decision::{Decision, Outcome};
use crate::lease::{Lease, LeaseChange, LeaseState};
use crate::reason::DropReason;
use std::net::Ipv4Addr;

/// DECLINE: the client found the address in use. The address goes into probation for
/// `probation_time`, owned by nobody, so it is offered to no one until then.
pub(crate) fn decline(ctx: &Ctx<'_>) -> Decision {
    if let Some(id) = ctx.req.options.server_id() {
        if !ctx.is_ours(id) {
            return Decision::drop(DropReason::OtherServer);
        }
    }
    let Some(addr) = ctx.req.options.requested_ip() else {
        return Decision::drop(DropReason::MalformedDecline);
    };
    let offered = ctx.leases.offer_for(&ctx.client, ctx.now) == Some(addr);
    let leased = ctx.my_lease(addr).is_some();
    let reserved = ctx
        .cfg
        .reservation_by_addr(addr)
        .is_some_and(|(_, r)| ctx.owns(r));
    if !(offered || leased || reserved) {
        return Decision::drop(DropReason::DeclineNotOwned);
    }
    let lease = Lease {
        addr,
        client: None,
        hwaddr: Some(ctx.req.chaddr),
        state: LeaseState::Declined,
        starts: ctx.now,
        expires: ctx
            .now
            .saturating_add(u64::from(ctx.cfg.server.probation_time)),
        hostname: None,
    };
    Decision {
        reply: None,
        changes: vec![
            LeaseChange::Put(lease),
            LeaseChange::DropOffer {
                client: ctx.client.clone(),
            },
        ],
        outcome: Outcome::Declined(addr),
        dns: None,
    }
}

/// RELEASE: the client gives its address (ciaddr) back. The record keeps the client so it gets
/// the same address next time (RFC 2131 §4.3.4: "SHOULD retain a record").
pub(crate) fn release(ctx: &Ctx<'_>) -> Decision {
    if let Some(id) = ctx.req.options.server_id() {
        if !ctx.is_ours(id) {
            return Decision::drop(DropReason::OtherServer);
        }
    }
    let addr = ctx.req.ciaddr;
    if addr == Ipv4Addr::UNSPECIFIED {
        return Decision::drop(DropReason::MalformedRelease);
    }
    let Some(old) = ctx.my_lease(addr).filter(|l| l.state == LeaseState::Bound) else {
        return Decision::drop(DropReason::ReleaseNotOwned);
    };
    let lease = Lease {
        state: LeaseState::Released,
        starts: ctx.now,
        expires: ctx.now,
        ..old.clone()
    };
    Decision {
        reply: None,
        changes: vec![LeaseChange::Put(lease)],
        outcome: Outcome::Released(addr),
        dns: None,
    }
}
