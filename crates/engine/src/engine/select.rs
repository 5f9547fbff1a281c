//! Subnet selection: which link a request comes from.
//!
//! Precedence, first match wins:
//! 1. option 82 sub-option 5, link selection (RFC 3527 §3: overrides giaddr);
//! 2. option 118, subnet selection (RFC 3011 §3: overrides giaddr);
//! 3. giaddr (RFC 2131 §4.3.1: the relay's address on the client's link);
//! 4. ciaddr of a client that already has an address (RENEWING, REBINDING, INFORM), when it
//!    lies in a configured subnet;
//! 5. the arrival interface: the subnet holding the server's own address on it (its
//!    `interface`, when set, must match), else a subnet whose `interface` names it.
//!
//! An explicit selector (1–3) that matches no subnet selects nothing: the relay told us the
//! link and we do not serve it. A malformed selector (not 4 bytes) is ignored and the next rule
//! applies.
//!
//! Selection runs only after the relay check of [`super::relay_policy`]: with `allowed_relays`
//! set, a request relayed through any other giaddr is dropped before its link selection or
//! subnet selection option is looked at, so an untrusted relay cannot pick a subnet. The reply
//! still goes to giaddr (RFC 3527 §3, RFC 3011 §3: the selectors choose the subnet, not the
//! destination).

use super::context::Ctx;
use crate::config::Config;
use crate::decision::Arrival;
use leasehold_wire::Packet;
use std::net::Ipv4Addr;

/// The subnet index selected for the request, if we serve its link (chosen once, when the
/// context was built).
pub(crate) fn subnet(ctx: &Ctx<'_>) -> Option<usize> {
    ctx.selected
}

/// Selects the subnet of `req` that arrived as `arrival`, per the module documentation.
pub(crate) fn choose(cfg: &Config, req: &Packet, arrival: &Arrival) -> Option<usize> {
    if let Some(a) = req
        .options
        .relay_agent_info()
        .and_then(|r| r.link_selection())
    {
        return cfg.subnet_for(a);
    }
    if let Some(a) = req.options.subnet_selection() {
        return cfg.subnet_for(a);
    }
    if req.giaddr != Ipv4Addr::UNSPECIFIED {
        return cfg.subnet_for(req.giaddr);
    }
    if req.ciaddr != Ipv4Addr::UNSPECIFIED {
        if let Some(s) = cfg.subnet_for(req.ciaddr) {
            return Some(s);
        }
    }
    let iface = arrival.iface.as_deref();
    let iface_ok = |want: &Option<String>| match (want.as_deref(), iface) {
        (None, _) => true,
        (Some(w), Some(i)) => w == i,
        (Some(_), None) => false,
    };
    if let Some(s) = cfg.subnet_for(arrival.local_addr) {
        if cfg
            .subnets
            .get(s)
            .is_some_and(|sub| iface_ok(&sub.interface))
        {
            return Some(s);
        }
    }
    let i = iface?;
    cfg.subnets
        .iter()
        .position(|s| s.interface.as_deref() == Some(i))
}
