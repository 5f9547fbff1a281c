//! DHCPREQUEST → DHCPACK, DHCPNAK or silence (RFC 2131 §4.3.2).
//!
//! The client's state is read from the message (RFC 2131 §4.3.2, Table 4):
//! - SELECTING: option 54 present. Not ours → forget our offer, stay silent. Ours → ACK the
//!   requested address (option 50) if the client may have it, else NAK.
//! - INIT-REBOOT: no 54, option 50 present, ciaddr 0. Wrong network → NAK. Address known and
//!   the client's → ACK. Address someone else's, or the client known with another address →
//!   NAK. No record of the client → silence ("MUST remain silent"), or NAK when the server is
//!   `authoritative` (as ISC dhcpd and Kea do).
//! - RENEWING (unicast) / REBINDING (broadcast): no 54, ciaddr set. The client's lease of
//!   ciaddr → ACK extending it. ciaddr someone else's → NAK. No record → NAK when
//!   authoritative, else silence (REBINDING: "MAY extend only with local administrative
//!   authority").

use super::context::{Ctx, Place};
use super::reply::{self, Kind};
use super::select;
use crate::decision::{Decision, Outcome};
use crate::lease::LeaseChange;
use crate::pressure::NoteKind;
use crate::reason::{DropReason, NakReason};
use std::net::Ipv4Addr;

/// Handles a REQUEST.
pub(crate) fn handle(ctx: &Ctx<'_>) -> Decision {
    let req = ctx.req;
    let requested = req.options.requested_ip();
    if let Some(id) = req.options.server_id() {
        return selecting(ctx, id, requested);
    }
    if req.ciaddr != Ipv4Addr::UNSPECIFIED {
        return renewing(ctx, req.ciaddr);
    }
    match requested {
        Some(addr) => init_reboot(ctx, addr),
        None => Decision::drop(DropReason::MalformedRequest),
    }
}

fn selecting(ctx: &Ctx<'_>, id: Ipv4Addr, requested: Option<Ipv4Addr>) -> Decision {
    if !ctx.is_ours(id) {
        return Decision {
            reply: None,
            changes: vec![LeaseChange::DropOffer {
                client: ctx.client.clone(),
            }],
            outcome: Outcome::Dropped(DropReason::OtherServer),
            dns: None,
        };
    }
    let ciaddr = Some(ctx.req.ciaddr).filter(|a| *a != Ipv4Addr::UNSPECIFIED);
    let Some(addr) = requested.or(ciaddr) else {
        return nak(ctx, NakReason::NoRequestedAddress);
    };
    let Some(s) = select::subnet(ctx) else {
        return Decision::drop(DropReason::NoSubnet);
    };
    let link = ctx.cfg.link(s);
    if !knows(ctx, addr) && super::discover::refuses_unoffered(ctx, link) {
        return nak(ctx, NakReason::PressureUnoffered);
    }
    if ctx.bindable(addr, link) {
        ack(ctx, addr)
    } else {
        nak(ctx, NakReason::AddressUnavailable)
    }
}

/// True when we hold a record tying `addr` to this client: its lease, offer or reservation.
fn knows(ctx: &Ctx<'_>, addr: Ipv4Addr) -> bool {
    ctx.my_lease(addr).is_some()
        || ctx.leases.offer_for(&ctx.client, ctx.now) == Some(addr)
        || ctx
            .cfg
            .reservation_by_addr(addr)
            .is_some_and(|(_, r)| ctx.owns(r))
}

/// True when we hold any record of this client on `link` (another address).
fn knows_client(ctx: &Ctx<'_>, link: &[usize]) -> bool {
    let lease = ctx
        .leases
        .by_client(&ctx.client)
        .is_some_and(|l| ctx.on_link(l.addr, link));
    lease || ctx.reservation(link).is_some()
}

fn init_reboot(ctx: &Ctx<'_>, addr: Ipv4Addr) -> Decision {
    confirm(ctx, addr, |ctx, link| {
        if knows_client(ctx, link) {
            nak(ctx, NakReason::WrongAddress)
        } else {
            nak_if_authoritative(ctx, NakReason::UnknownClient)
        }
    })
}

fn renewing(ctx: &Ctx<'_>, addr: Ipv4Addr) -> Decision {
    confirm(ctx, addr, |ctx, _| {
        nak_if_authoritative(ctx, NakReason::UnknownLease)
    })
}

/// INIT-REBOOT, RENEWING and REBINDING (RFC 2131 §4.3.2): the client names an address it believes
/// it holds. ACK when it is still theirs and fits the link; NAK when it is on the wrong network or
/// belongs to someone else; otherwise `unknown` decides (NAK, or silence when not authoritative).
fn confirm(
    ctx: &Ctx<'_>,
    addr: Ipv4Addr,
    unknown: impl FnOnce(&Ctx<'_>, &[usize]) -> Decision,
) -> Decision {
    let Some(s) = select::subnet(ctx) else {
        return Decision::drop(DropReason::NoSubnet);
    };
    let link = ctx.cfg.link(s);
    if !ctx.on_link(addr, link) {
        return nak_if_authoritative(ctx, NakReason::WrongNetwork);
    }
    if knows(ctx, addr) && ctx.bindable(addr, link) {
        return ack(ctx, addr);
    }
    if ctx.taken_by_other(addr) || knows(ctx, addr) {
        return nak(ctx, NakReason::AddressTaken);
    }
    unknown(ctx, link)
}

fn nak_if_authoritative(ctx: &Ctx<'_>, reason: NakReason) -> Decision {
    if ctx.cfg.server.authoritative {
        nak(ctx, reason)
    } else {
        Decision::drop(DropReason::NotAuthoritative(reason))
    }
}

/// A DHCPNAK: broadcast, or through the relay with the broadcast bit (RFC 2131 §4.1).
pub(crate) fn nak(ctx: &Ctx<'_>, reason: NakReason) -> Decision {
    let reply = reply::build(
        ctx,
        Kind::Nak,
        Ipv4Addr::UNSPECIFIED,
        None,
        None,
        Some(reason.as_str()),
    );
    Decision {
        reply: Some(reply),
        changes: vec![LeaseChange::DropOffer {
            client: ctx.client.clone(),
        }],
        outcome: Outcome::Nak(reason),
        dns: None,
    }
}

/// A DHCPACK binding `addr`: the lease is durable before the reply leaves.
fn ack(ctx: &Ctx<'_>, addr: Ipv4Addr) -> Decision {
    let Some(place): Option<Place<'_>> = ctx.place(addr) else {
        return Decision::drop(DropReason::NoSubnet);
    };
    let link = ctx
        .cfg
        .subnet_for(addr)
        .map(|s| ctx.cfg.link(s))
        .unwrap_or(&[]);
    let (secs, short) = ctx.lease_secs(&place, link);
    ctx.note(
        link,
        NoteKind::Bound {
            addr,
            // `place` already names the client's reservation of `addr`, if any.
            new_client: place.reservation.is_none() && !ctx.has_record(link),
            short,
        },
    );
    let dns = ctx.dns(addr, &place);
    let lease = ctx.bound_lease(addr, secs, &place, dns.as_ref());
    let mut reply = reply::build(ctx, Kind::Ack, addr, Some(&place), Some(secs), None);
    if let Some(d) = &dns {
        d.answer(&mut reply);
    }
    Decision {
        reply: Some(reply),
        changes: vec![
            LeaseChange::Put(lease),
            LeaseChange::DropOffer {
                client: ctx.client.clone(),
            },
        ],
        outcome: Outcome::Acked(addr),
        dns: ctx.dns_intent(addr, secs, dns.as_ref()),
    }
}
