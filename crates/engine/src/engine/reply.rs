//! Building replies: header fields per RFC 2131 §4.3.1 Table 3, the option set (reservation >
//! client class > relay circuit > pool > subnet > global), which options to send, and how to
//! encode. `siaddr`, `file` and `sname` come from the reservation, else the client's classes,
//! else the subnet. Options set by a class are always sent.

use super::context::{Ctx, Place};
use super::destination;
use super::relay_policy;
use crate::config::OptionSet;
use crate::decision::Reply;
use leasehold_wire::options::code;
use leasehold_wire::{EncodeParams, MessageType, Packet, MIN_MAX_MESSAGE};
use std::net::Ipv4Addr;

/// Options sent whether or not the client asked for them (as most servers do).
const MANDATORY: &[u8] = &[
    code::SUBNET_MASK,
    code::ROUTER,
    code::DNS_SERVERS,
    code::DOMAIN_NAME,
    code::LEASE_TIME,
    code::MESSAGE_TYPE,
    code::SERVER_ID,
    code::RENEWAL_TIME,
    code::REBINDING_TIME,
    code::CLIENT_ID,
    code::RELAY_AGENT_INFO,
];

/// What kind of reply to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// DHCPOFFER.
    Offer,
    /// DHCPACK to a REQUEST.
    Ack,
    /// DHCPACK to an INFORM: no lease options, yiaddr 0.
    InformAck,
    /// DHCPNAK.
    Nak,
    /// BOOTP reply: no DHCP options, RFC 1497 vendor extensions.
    Bootp,
}

/// The merged option set of `place`: global, then subnet, pool, matching `[[subnet.circuit]]`
/// tables, the client's classes, reservation (later wins), with
/// the subnet mask filled in from the subnet prefix.
pub(crate) fn option_set(ctx: &Ctx<'_>, place: &Place<'_>) -> OptionSet {
    let mut set = ctx.cfg.server.options.clone();
    set.insert(
        code::SUBNET_MASK,
        place.subnet.net.netmask().octets().to_vec(),
    );
    let circuits = relay_policy::circuit_options(ctx, place.subnet);
    let layers = [Some(&place.subnet.options), place.pool.map(|p| &p.options)]
        .into_iter()
        .flatten()
        .chain(circuits)
        .chain(Some(&ctx.grant.options))
        .chain(place.reservation.map(|r| &r.options));
    for layer in layers {
        for (c, v) in layer {
            set.insert(*c, v.clone());
        }
    }
    set
}

/// Sets `siaddr`, `file` and `sname` of `p`: reservation, else class, else subnet.
pub(crate) fn boot_fields(ctx: &Ctx<'_>, pl: &Place<'_>, p: &mut Packet) {
    let res = pl.reservation;
    let grant = &ctx.grant;
    p.siaddr = res
        .and_then(|r| r.next_server)
        .or(grant.next_server)
        .or(pl.subnet.next_server)
        .unwrap_or(Ipv4Addr::UNSPECIFIED);
    if let Some(f) = res
        .and_then(|r| r.boot_file.as_ref())
        .or(grant.boot_file.as_ref())
        .or(pl.subnet.boot_file.as_ref())
    {
        p.file = f.clone().into_bytes();
    }
    if let Some(n) = grant
        .server_name
        .as_ref()
        .or(pl.subnet.server_name.as_ref())
    {
        p.sname = n.clone().into_bytes();
    }
}

/// Builds a reply of `kind` giving `yiaddr` (0 for NAK and INFORM) with `lease` seconds.
pub(crate) fn build(
    ctx: &Ctx<'_>,
    kind: Kind,
    yiaddr: Ipv4Addr,
    place: Option<&Place<'_>>,
    lease: Option<u32>,
    message: Option<&str>,
) -> Reply {
    let req = ctx.req;
    let mut p = Packet::reply_to(req);
    p.yiaddr = yiaddr;
    if matches!(kind, Kind::Ack | Kind::InformAck | Kind::Bootp) {
        p.ciaddr = req.ciaddr;
    }
    if kind != Kind::Nak {
        if let Some(pl) = place {
            boot_fields(ctx, pl, &mut p);
        }
    }
    let prl = req.options.param_request_list().filter(|l| !l.is_empty());
    let wanted = |c: u8| {
        prl.is_none_or(|l| l.contains(&c))
            || MANDATORY.contains(&c)
            || ctx.cfg.server.always_send.contains(&c)
            || ctx.grant.options.contains_key(&c)
    };
    let msg_type = match kind {
        Kind::Offer => Some(MessageType::Offer),
        Kind::Ack | Kind::InformAck => Some(MessageType::Ack),
        Kind::Nak => Some(MessageType::Nak),
        Kind::Bootp => None,
    };
    if let Some(t) = msg_type {
        p.options.insert(code::MESSAGE_TYPE, vec![t.code()]);
        p.options
            .insert(code::SERVER_ID, ctx.server_id().octets().to_vec());
    }
    if matches!(kind, Kind::Offer | Kind::Ack) {
        if let (Some(secs), Some(pl)) = (lease, place) {
            p.options
                .insert(code::LEASE_TIME, secs.to_be_bytes().to_vec());
            if let Some((t1, t2)) = ctx.policy(pl).timers(secs) {
                p.options
                    .insert(code::RENEWAL_TIME, t1.to_be_bytes().to_vec());
                p.options
                    .insert(code::REBINDING_TIME, t2.to_be_bytes().to_vec());
            }
        }
    }
    if kind != Kind::Nak {
        if let Some(pl) = place {
            for (c, v) in option_set(ctx, pl) {
                if wanted(c) && !p.options.contains(c) {
                    p.options.insert(c, v);
                }
            }
        }
    }
    if let Some(m) = message {
        p.options.insert(code::MESSAGE, m.as_bytes().to_vec());
    }
    if kind != Kind::Bootp {
        // RFC 6842 §3: echo the client identifier in OFFER, ACK and NAK.
        if let Some(id) = req.options.get(code::CLIENT_ID) {
            p.options.insert(code::CLIENT_ID, id.to_vec());
        }
    }
    // RFC 3011 §3: a server that honours subnet selection returns an identical copy of it
    // (clients that send it discard replies without it).
    if let Some(sel) = req.options.get(code::SUBNET_SELECTION) {
        if kind != Kind::Bootp {
            p.options.insert(code::SUBNET_SELECTION, sel.to_vec());
        }
    }
    // RFC 3046 §2.2: the relay agent information comes back unchanged.
    if let Some(ri) = req.options.get(code::RELAY_AGENT_INFO) {
        p.options.insert(code::RELAY_AGENT_INFO, ri.to_vec());
    }
    if kind == Kind::Bootp && !p.has_cookie {
        p.options = Default::default();
    }
    let encode = EncodeParams {
        order: prl.map(<[u8]>::to_vec).unwrap_or_default(),
        max_len: req
            .options
            .max_message_size()
            .map(|m| usize::from(m).saturating_sub(28).max(MIN_MAX_MESSAGE))
            .unwrap_or(MIN_MAX_MESSAGE),
        pad_to_bootp_min: kind == Kind::Bootp,
    };
    let destination = destination::route(ctx, &mut p, kind == Kind::Nak);
    Reply {
        packet: p,
        destination,
        encode,
    }
}
