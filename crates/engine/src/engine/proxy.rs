//! Proxy DHCP (PXE 2.1 specification, RFC 4578) on `proxy = true` subnets: another server
//! assigns the addresses; this one gives PXE clients their boot information only.
//!
//! - Only PXE clients are answered: option 60 starts with `PXEClient`. Anything else on the
//!   link is the other server's business (drop reason `proxy_not_pxe`).
//! - DHCPDISCOVER (to the server port) → a ProxyDHCP OFFER, broadcast (flag set): yiaddr
//!   0.0.0.0; siaddr, file and sname from the client's classes, else the subnet (siaddr: else
//!   this server); option 54; option 60 `PXEClient`; option 97 echoed when the client sent it;
//!   the options of the client's classes; no lease times. BIOS clients also get option 43 with
//!   PXE_DISCOVERY_CONTROL = 8 ("use the boot file of this offer": no boot server discovery, no
//!   menu, as dnsmasq sends without a boot menu). UEFI clients (first option 93 entry ≥ 6) do
//!   not: without PXE vendor options the offer tells UEFI firmware to ask this server on port
//!   4011 for its boot file, which is what UEFI PXE implementations expect of a ProxyDHCP
//!   server (dnsmasq redirects them the same way).
//! - DHCPREQUEST to `pxe_port` (4011) → an ACK with the same boot information and option 43,
//!   ciaddr echoed, unicast to the request's source address and port (a client that has an
//!   address, as it should by then). From 0.0.0.0 (no address yet), the ACK is broadcast to the
//!   source port, as dnsmasq does.
//! - Everything else (a REQUEST for the other server, RELEASE, DECLINE, INFORM, BOOTP) is
//!   ignored (`proxy_ignored`). Nothing is ever NAKed, no address assigned, no lease recorded.
//!   The outcome of a ProxyDHCP OFFER is `Offered(0.0.0.0)`, of its ACK `Informed`.
//! - A client without a boot file (no class or subnet `boot_file`, no option 67) is not
//!   answered either (`proxy_no_boot_file`): an offer without one would only stall it.

use super::context::{Ctx, Place};
use super::{destination, reply};
use crate::decision::{Decision, Destination, Outcome, Reply};
use crate::reason::DropReason;
use leasehold_wire::options::code;
use leasehold_wire::{EncodeParams, MessageType, Packet, BROADCAST_FLAG, MIN_MAX_MESSAGE};
use std::net::Ipv4Addr;

/// Option 60 prefix of PXE clients.
pub(crate) const PXE_CLIENT: &[u8] = b"PXEClient";

/// Option 43 of a ProxyDHCP reply: PXE_DISCOVERY_CONTROL (sub-option 6) = 8, "if a boot file
/// name is present in this offer, download it" (no multicast/broadcast boot server discovery,
/// no menu), then the end sub-option.
pub(crate) const PXE_VENDOR_OPTIONS: &[u8] = &[6, 1, 8, 255];

/// Handles a request on a proxy subnet.
pub(crate) fn handle(ctx: &Ctx<'_>) -> Decision {
    let req = ctx.req;
    let pxe = req
        .options
        .get(code::VENDOR_CLASS_ID)
        .is_some_and(|v| v.starts_with(PXE_CLIENT));
    if !pxe {
        return Decision::drop(DropReason::ProxyNotPxe);
    }
    let Some(subnet) = ctx.selected.and_then(|s| ctx.cfg.subnets.get(s)) else {
        return Decision::drop(DropReason::NoSubnet);
    };
    let on_pxe_port = ctx.arrival.local_port == ctx.cfg.server.pxe_port;
    let kind = match req.message_type() {
        Some(MessageType::Discover) if !on_pxe_port => MessageType::Offer,
        Some(MessageType::Request) if on_pxe_port => MessageType::Ack,
        _ => return Decision::drop(DropReason::ProxyIgnored),
    };
    let place = Place {
        subnet,
        pool: None,
        reservation: None,
    };
    let mut p = Packet::reply_to(req);
    p.yiaddr = Ipv4Addr::UNSPECIFIED;
    if kind == MessageType::Ack {
        p.ciaddr = req.ciaddr;
    }
    reply::boot_fields(ctx, &place, &mut p);
    if p.siaddr == Ipv4Addr::UNSPECIFIED {
        p.siaddr = ctx.server_id();
    }
    let source = ctx.arrival.source;
    if kind == MessageType::Offer || source.ip().is_unspecified() {
        p.flags |= BROADCAST_FLAG;
    }
    let boot_option = ctx.grant.options.contains_key(&code::BOOTFILE_NAME)
        || subnet.options.contains_key(&code::BOOTFILE_NAME);
    if p.file.is_empty() && !boot_option {
        return Decision::drop(DropReason::ProxyNoBootFile);
    }
    p.options.insert(code::MESSAGE_TYPE, vec![kind.code()]);
    p.options
        .insert(code::SERVER_ID, ctx.server_id().octets().to_vec());
    p.options.insert(code::VENDOR_CLASS_ID, PXE_CLIENT.to_vec());
    if kind == MessageType::Ack || !uefi(req) {
        p.options
            .insert(code::VENDOR_SPECIFIC, PXE_VENDOR_OPTIONS.to_vec());
    }
    if let Some(uuid) = req.options.get(code::CLIENT_UUID) {
        p.options.insert(code::CLIENT_UUID, uuid.to_vec());
    }
    // Boot options of the subnet (e.g. option 66/67), then the classes' (always sent; a class
    // may override option 60, e.g. `HTTPClient`).
    for (c, v) in subnet.options.iter().filter(|(c, _)| is_boot_option(**c)) {
        p.options.insert(*c, v.clone());
    }
    for (c, v) in &ctx.grant.options {
        p.options.insert(*c, v.clone());
    }
    if let Some(id) = req.options.get(code::CLIENT_ID) {
        p.options.insert(code::CLIENT_ID, id.to_vec());
    }
    if let Some(ri) = req.options.get(code::RELAY_AGENT_INFO) {
        p.options.insert(code::RELAY_AGENT_INFO, ri.to_vec());
    }
    let destination = if kind == MessageType::Ack {
        if source.ip().is_unspecified() {
            Destination::Broadcast {
                port: source.port(),
            }
        } else {
            Destination::Unicast {
                addr: *source.ip(),
                port: source.port(),
            }
        }
    } else {
        destination::route(ctx, &mut p, false)
    };
    let prl = req.options.param_request_list().filter(|l| !l.is_empty());
    let encode = EncodeParams {
        order: prl.map(<[u8]>::to_vec).unwrap_or_default(),
        max_len: req
            .options
            .max_message_size()
            .map(|m| usize::from(m).saturating_sub(28).max(MIN_MAX_MESSAGE))
            .unwrap_or(MIN_MAX_MESSAGE),
        pad_to_bootp_min: false,
    };
    Decision {
        reply: Some(Reply {
            packet: p,
            destination,
            encode,
        }),
        changes: Vec::new(),
        // No address changes hands: an OFFER of 0.0.0.0, and an ACK that, like an INFORM's,
        // gives configuration only.
        outcome: if kind == MessageType::Ack {
            Outcome::Informed
        } else {
            Outcome::Offered(Ipv4Addr::UNSPECIFIED)
        },
        dns: None,
    }
}

/// True when the client is UEFI firmware: the first architecture of its option 93 is 6 or more
/// (0 is BIOS; 1–5 are legacy PC-98, Itanium and older).
fn uefi(req: &Packet) -> bool {
    req.options
        .get(code::CLIENT_ARCH)
        .and_then(|v| super::classify::arch_list(v).next())
        .is_some_and(|a| a >= 6)
}

/// Subnet options a ProxyDHCP reply carries: boot server name and boot file name (66, 67) and
/// the TFTP server address (150). Address configuration (router, DNS, ...) is the other
/// server's.
fn is_boot_option(c: u8) -> bool {
    matches!(
        c,
        code::TFTP_SERVER_NAME | code::BOOTFILE_NAME | code::TFTP_SERVER_ADDRESS
    )
}
