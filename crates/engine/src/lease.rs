//! Leases and the changes the engine asks the store to make durable.

use leasehold_wire::HwAddr;
use std::fmt;
use std::net::Ipv4Addr;

/// Seconds since the Unix epoch. The engine never reads the clock; callers pass this in.
pub type Timestamp = u64;

/// Expiry value meaning "never" (BOOTP and infinite leases, RFC 2131 §3.3: 0xffffffff).
pub const INFINITE: Timestamp = u64::MAX;

/// Who a lease belongs to: option 61 when the client sent one, else its hardware address
/// (RFC 2131 §4.2; RFC 6842 echo of option 61).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClientKey {
    /// Option 61 bytes, type byte included.
    ClientId(Vec<u8>),
    /// htype + chaddr.
    HwAddr(HwAddr),
}

impl ClientKey {
    /// The key of the client that sent `req` (RFC 2131 §4.2): option 61 when present and not
    /// empty, else htype + chaddr. The one rule every part of the server uses.
    pub fn of_request(req: &leasehold_wire::Packet) -> ClientKey {
        match req.options.client_id() {
            Some(id) if !id.is_empty() => ClientKey::ClientId(id.to_vec()),
            _ => ClientKey::HwAddr(req.chaddr),
        }
    }

    /// A stable text form: `id:<hex>` or `hw:<htype>:<aa:bb:..>`, used in storage and APIs.
    pub fn to_text(&self) -> String {
        self.to_string()
    }

    /// Parses the text form written by [`ClientKey::to_text`], for every key it can write:
    /// also an empty client identifier (`id:`) and an empty hardware address (`hw:1:`, a
    /// request with `hlen` 0), which a lease may carry and the store must read back.
    pub fn from_text(s: &str) -> Option<ClientKey> {
        if let Some(hex) = s.strip_prefix("id:") {
            return leasehold_wire::hex::decode(hex).map(ClientKey::ClientId);
        }
        let rest = s.strip_prefix("hw:")?;
        let (htype, mac) = rest.split_once(':')?;
        let htype: u8 = htype.parse().ok()?;
        if mac.is_empty() {
            return HwAddr::new(htype, &[]).ok().map(ClientKey::HwAddr);
        }
        let hw: HwAddr = mac.parse().ok()?;
        HwAddr::new(htype, hw.as_bytes())
            .ok()
            .map(ClientKey::HwAddr)
    }
}

impl fmt::Display for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientKey::ClientId(id) => {
                write!(f, "id:{}", leasehold_wire::hex::encode(id, None))
            }
            ClientKey::HwAddr(hw) => write!(f, "hw:{}:{hw}", hw.htype()),
        }
    }
}

/// Where a lease is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LeaseState {
    /// ACKed (or BOOTP-assigned) and in use until `expires`.
    Bound,
    /// The client released it; the address is free, the binding is remembered for stickiness.
    Released,
    /// It ran out; the address is free, the binding is remembered for stickiness.
    Expired,
    /// A client declined it (address in use by someone else); held in probation until `expires`.
    Declined,
}

impl LeaseState {
    /// Lower-case name used in storage, APIs and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            LeaseState::Bound => "bound",
            LeaseState::Released => "released",
            LeaseState::Expired => "expired",
            LeaseState::Declined => "declined",
        }
    }

    /// Inverse of [`LeaseState::as_str`].
    pub fn parse(s: &str) -> Option<LeaseState> {
        Some(match s {
            "bound" => LeaseState::Bound,
            "released" => LeaseState::Released,
            "expired" => LeaseState::Expired,
            "declined" => LeaseState::Declined,
            _ => return None,
        })
    }
}

/// One address's lease record: the durable truth the store keeps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    /// The leased address (primary key).
    pub addr: Ipv4Addr,
    /// Who holds (or last held) it. `None` for a declined address nobody owns.
    pub client: Option<ClientKey>,
    /// The client's hardware address, for display and ARP.
    pub hwaddr: Option<HwAddr>,
    /// Current state.
    pub state: LeaseState,
    /// When the current state began.
    pub starts: Timestamp,
    /// When the state ends: lease expiry, or end of probation. [`INFINITE`] for never.
    pub expires: Timestamp,
    /// Host name the client sent (option 12), if any.
    pub hostname: Option<String>,
}

impl Lease {
    /// True when this lease blocks the address from being given to anyone else at `now`.
    pub fn holds_address(&self, now: Timestamp) -> bool {
        matches!(self.state, LeaseState::Bound | LeaseState::Declined) && self.expires > now
    }
}

/// A change to lease state produced by a decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaseChange {
    /// Reserve `addr` for `client` until `until` while an OFFER is outstanding (memory only;
    /// RFC 2131 §4.3.1 does not require offers to be stored durably).
    Offer {
        /// Offered address.
        addr: Ipv4Addr,
        /// To whom.
        client: ClientKey,
        /// Hold expires at.
        until: Timestamp,
    },
    /// Forget an outstanding offer (e.g. the client chose another server). Memory only.
    DropOffer {
        /// The client whose offer ends.
        client: ClientKey,
    },
    /// Insert or replace the lease record of `lease.addr`. Durable: must be committed before the
    /// reply that carries it leaves.
    Put(Lease),
}

impl LeaseChange {
    /// True when the change must reach stable storage before the reply is sent.
    pub fn is_durable(&self) -> bool {
        matches!(self, LeaseChange::Put(_))
    }
}
