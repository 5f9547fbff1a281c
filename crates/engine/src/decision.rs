//! What the engine decides for one request.

use crate::ddns::DnsIntent;
use crate::lease::LeaseChange;
use crate::reason::{DropReason, NakReason};
pub use leasehold_wire::addressing::{Arrival, Destination};
use leasehold_wire::{EncodeParams, Packet};
use std::net::Ipv4Addr;

/// A reply ready to encode and send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The BOOTREPLY.
    pub packet: Packet,
    /// Where it goes.
    pub destination: Destination,
    /// How to encode it (option order, size limit, BOOTP padding).
    pub encode: EncodeParams,
}

/// Result of a request, for logs and metrics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// DHCPOFFER of this address.
    Offered(Ipv4Addr),
    /// DHCPACK binding this address.
    Acked(Ipv4Addr),
    /// DHCPACK to an INFORM (no lease).
    Informed,
    /// BOOTP reply with this address.
    Bootp(Ipv4Addr),
    /// DHCPNAK, with why.
    Nak(NakReason),
    /// A RELEASE freed this address.
    Released(Ipv4Addr),
    /// A DECLINE put this address in probation.
    Declined(Ipv4Addr),
    /// No reply, with why.
    Dropped(DropReason),
}

/// The engine's answer to one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The reply, if any.
    pub reply: Option<Reply>,
    /// Lease changes to apply; the durable ones must be committed before `reply` is sent.
    pub changes: Vec<LeaseChange>,
    /// What happened.
    pub outcome: Outcome,
    /// DNS records the runtime should now hold for the bound address (an ACK or BOOTP reply
    /// on a subnet with a `[ddns]` policy that updates something); see [`crate::ddns`].
    pub dns: Option<DnsIntent>,
}

impl Decision {
    /// A silent drop with `reason`.
    pub fn drop(reason: DropReason) -> Decision {
        Decision {
            reply: None,
            changes: Vec::new(),
            outcome: Outcome::Dropped(reason),
            dns: None,
        }
    }
}
