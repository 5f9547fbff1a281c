//! What the server does with relay agents: which relays it accepts and how option 82
//! identifies a client's port.
//!
//! - **Allow-list** (`[server] allowed_relays`): when set, a relayed request (giaddr ≠ 0) whose
//!   giaddr lies in none of the listed addresses/prefixes is dropped with reason
//!   `relay_not_allowed`, before anything else is looked at (in particular before option 82,
//!   RFC 3527 link selection or RFC 3011 subnet selection are trusted). Requests from directly
//!   attached clients (giaddr 0) are not affected.
//! - **Trusted option 82** (RFC 3046 §2.0, §5): the agent circuit id and remote id are used to
//!   match reservations only when the request was relayed (giaddr ≠ 0), or with
//!   `trust_option82_without_giaddr` for layer-2 agents that leave giaddr 0. Option 82 is echoed
//!   unchanged either way (RFC 3046 §2.2, in `reply.rs`).
//! - **Keyed reservations**: `[[subnet.reservation]]` with `circuit_id` and/or `remote_id`. Every
//!   identifier given must match; among matches on the client's link the most specific wins
//!   (circuit + remote, then circuit, then remote). Reservations naming the client itself
//!   (`client_id`, then `hw_address`) take precedence over keyed ones: a device keeps its
//!   address when it moves to another port.
//! - **Circuit options**: `[[subnet.circuit]]` tables add options for clients behind a circuit,
//!   above subnet and pool options and below a reservation's.

use super::context::Ctx;
use crate::config::{Config, OptionSet, Reservation, Subnet};
use crate::reason::DropReason;
use leasehold_wire::{Packet, RelayAgentInfo};
use std::net::Ipv4Addr;

/// Why a request is refused before any other processing, if it is.
pub(crate) fn refuse(cfg: &Config, req: &Packet) -> Option<DropReason> {
    if req.giaddr != Ipv4Addr::UNSPECIFIED && !cfg.server.relay_allowed(req.giaddr) {
        return Some(DropReason::RelayNotAllowed);
    }
    None
}

/// Option 82 of `req` when it may identify the client's circuit: relayed requests, or any
/// request with `trust_option82_without_giaddr`.
pub(crate) fn trusted_info(cfg: &Config, req: &Packet) -> Option<RelayAgentInfo> {
    if req.giaddr == Ipv4Addr::UNSPECIFIED && !cfg.server.trust_option82_without_giaddr {
        return None;
    }
    req.options.relay_agent_info()
}

/// The reservation keyed on this request's circuit id / remote id on `link`, most specific
/// first.
pub(crate) fn reservation<'a>(ctx: &Ctx<'a>, link: &[usize]) -> Option<&'a Reservation> {
    let info = ctx.relay.as_ref()?;
    ctx.cfg
        .reservations_by_relay(info.circuit_id(), info.remote_id())
        .into_iter()
        .find(|(s, _)| link.contains(s))
        .map(|(_, r)| r)
}

/// Option sets of the `[[subnet.circuit]]` tables of `subnet` that match this request's trusted
/// option 82, least specific first (so the more specific wins when merged in order).
pub(crate) fn circuit_options<'a>(ctx: &Ctx<'_>, subnet: &'a Subnet) -> Vec<&'a OptionSet> {
    let Some(info) = ctx.relay.as_ref() else {
        return Vec::new();
    };
    let mut found: Vec<_> = subnet
        .circuits
        .iter()
        .filter(|c| c.id.matches(info.circuit_id(), info.remote_id()))
        .collect();
    found.sort_by_key(|c| c.id.specificity());
    found.into_iter().map(|c| &c.options).collect()
}
