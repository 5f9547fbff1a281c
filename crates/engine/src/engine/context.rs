//! Everything one request's handling needs, and the checks every message type shares: client
//! identity (RFC 2131 §4.2, RFC 6842), the server identifier (RFC 2131 §4.3.1, RFC 5107), where
//! an address belongs and whether a client may have it.

use super::classify::{self, ClassGrant};
use super::relay_policy;
use crate::config::{
    Config, DdnsPolicy, DdnsUpdate, LeasePolicy, Pool, Reservation, ReservationKey, Subnet,
};
use crate::ddns::{self, DnsIntent, NameDecision, NameRequest};
use crate::decision::{Arrival, Reply};
use crate::lease::{ClientKey, Lease, LeaseState, Timestamp, INFINITE};
use crate::pressure::{NoteKind, Pressure, PressureNote};
use crate::table::LeaseTable;
use leasehold_wire::options::code;
use leasehold_wire::{Packet, RelayAgentInfo};
use std::cell::RefCell;
use std::net::Ipv4Addr;

/// One request being handled.
pub(crate) struct Ctx<'a> {
    pub cfg: &'a Config,
    pub req: &'a Packet,
    pub arrival: &'a Arrival,
    pub now: Timestamp,
    pub leases: &'a LeaseTable,
    /// The pressure state of the links (read only; see [`crate::pressure`]).
    pub pressure: &'a Pressure,
    /// The monotonic clock in milliseconds (retransmission and rationing gaps).
    pub now_ms: u64,
    /// What the pressure state must learn from this request (set at most once).
    pub note: RefCell<Option<PressureNote>>,
    /// Option 61 when sent, else htype + chaddr.
    pub client: ClientKey,
    /// Option 82 when it may identify the client's circuit (see [`relay_policy`]).
    pub relay: Option<RelayAgentInfo>,
    /// The subnet selected for the request (see `select`).
    pub selected: Option<usize>,
    /// The classes the client belongs to (ascending indices into `Config::classes`).
    pub classes: Vec<usize>,
    /// What those classes give the reply.
    pub grant: ClassGrant,
}

/// A subnet's DNS update policy and the name decision made under it for one request.
#[derive(Clone, Debug)]
pub(crate) struct DnsChoice<'a> {
    pub policy: DdnsPolicy<'a>,
    pub decision: NameDecision,
}

impl DnsChoice<'_> {
    /// Adds the option 81 answer, if the client sent option 81, to `reply`.
    pub fn answer(&self, reply: &mut Reply) {
        if let Some(o) = &self.decision.reply {
            reply.packet.options.insert(code::CLIENT_FQDN, o.encode());
        }
    }
}

/// Where an address sits in the configuration: its subnet, pool and (the client's own)
/// reservation. Decides siaddr/sname/file and the option set of a reply.
#[derive(Clone, Copy)]
pub(crate) struct Place<'a> {
    pub subnet: &'a Subnet,
    pub pool: Option<&'a Pool>,
    pub reservation: Option<&'a Reservation>,
}

impl<'a> Ctx<'a> {
    /// Builds the context; the client key is option 61 when present and not empty, else the
    /// hardware address ([`Engine::handle`](crate::Engine::handle) has already dropped a request
    /// that has neither).
    pub fn new(
        cfg: &'a Config,
        req: &'a Packet,
        arrival: &'a Arrival,
        (now, now_ms): (Timestamp, u64),
        leases: &'a LeaseTable,
        pressure: &'a Pressure,
    ) -> Self {
        let client = ClientKey::of_request(req);
        let relay = relay_policy::trusted_info(cfg, req);
        let selected = super::select::choose(cfg, req, arrival);
        let classes = classify::classify(cfg, req, relay.as_ref(), selected);
        let grant = classify::grant(cfg, &classes);
        Ctx {
            cfg,
            req,
            arrival,
            now,
            leases,
            pressure,
            now_ms,
            note: RefCell::new(None),
            client,
            relay,
            selected,
            classes,
            grant,
        }
    }

    /// The client's hardware-address key (reservations by `hw_address` match on it even when
    /// the client sends option 61).
    pub fn hw_key(&self) -> ClientKey {
        ClientKey::HwAddr(self.req.chaddr)
    }

    /// True when `key` names this client (by option 61 or by hardware address).
    pub fn is_me(&self, key: &ClientKey) -> bool {
        *key == self.client || *key == self.hw_key()
    }

    /// True when reservation `r` is this client's: it names the client (option 61 or hardware
    /// address), or its circuit id / remote id match the request's trusted option 82, or it
    /// names a client id whose lease of the reserved address carries this request's hardware
    /// address (the same host asking without option 61: BOOTP, or DHCP without 61).
    pub fn owns(&self, r: &Reservation) -> bool {
        match &r.key {
            ReservationKey::Client(k) => {
                self.is_me(k)
                    || (matches!(k, ClientKey::ClientId(_))
                        && self.leases.by_addr(r.address).is_some_and(|l| {
                            l.client.as_ref() == Some(k) && l.hwaddr == Some(self.req.chaddr)
                        }))
            }
            ReservationKey::Relay(id) => self
                .relay
                .as_ref()
                .is_some_and(|i| id.matches(i.circuit_id(), i.remote_id())),
        }
    }

    /// The server identifier for this reply: the relay's RFC 5107 override, else the configured
    /// `server_id`, else the address of the arrival interface.
    pub fn server_id(&self) -> Ipv4Addr {
        self.req
            .options
            .relay_agent_info()
            .and_then(|r| r.server_id_override())
            .or(self.cfg.server.server_id)
            .unwrap_or(self.arrival.local_addr)
    }

    /// True when option 54 value `id` names this server.
    pub fn is_ours(&self, id: Ipv4Addr) -> bool {
        id == self.server_id()
            || Some(id) == self.cfg.server.server_id
            || id == self.arrival.local_addr
    }

    /// The reservation of this client on `link`: by option 61, by hardware address, then by
    /// option 82 circuit id / remote id (see [`relay_policy`]).
    pub fn reservation(&self, link: &[usize]) -> Option<&'a Reservation> {
        let cfg = self.cfg;
        let by_id = cfg.reservations_of(&self.client);
        let hw = self.hw_key();
        let by_hw = cfg.reservations_of(&hw);
        by_id
            .chain(by_hw)
            .find(|(s, _)| link.contains(s))
            .map(|(_, r)| r)
            .or_else(|| relay_policy::reservation(self, link))
            .or_else(|| self.reservation_by_host(link))
    }

    /// A client-id reservation on `link` whose lease carries this request's hardware address:
    /// the same host, asking under another identity.
    fn reservation_by_host(&self, link: &[usize]) -> Option<&'a Reservation> {
        let addr = self.leases.reserved_by_hw(&self.req.chaddr)?;
        let (s, r) = self.cfg.reservation_by_addr(addr)?;
        (link.contains(&s) && self.owns(r)).then_some(r)
    }

    /// True when lease `l` of `addr` is held by this host: it names this client, or `addr` is
    /// reserved for this client and the lease holder is another identity of that reservation's
    /// host (its client key is the reservation's, or its hardware address is this request's).
    /// Such a binding is superseded, never a reason to hand out another address. (A declined
    /// address is nobody's: it stays in probation.)
    fn held_by_me(&self, l: &Lease, addr: Ipv4Addr) -> bool {
        if l.client.as_ref().is_some_and(|c| self.is_me(c)) {
            return true;
        }
        if l.state != LeaseState::Bound {
            return false; // a declined address stays in probation, whoever asks
        }
        self.cfg.reservation_by_addr(addr).is_some_and(|(_, r)| {
            self.owns(r)
                && (l.hwaddr == Some(self.req.chaddr)
                    || (l.client.is_some() && l.client.as_ref() == r.key.client()))
        })
    }

    /// True when a lease of someone else (not this host) holds `addr` now.
    fn bound_to_other(&self, addr: Ipv4Addr) -> bool {
        self.leases
            .by_addr(addr)
            .is_some_and(|l| l.holds_address(self.now) && !self.held_by_me(l, addr))
    }

    /// The subnet, pool and reservation (if this client's) of `addr`.
    pub fn place(&self, addr: Ipv4Addr) -> Option<Place<'a>> {
        let cfg = self.cfg;
        let s = cfg.subnet_for(addr)?;
        let subnet = cfg.subnets.get(s)?;
        let pool = subnet.pools.iter().find(|p| p.contains(addr));
        let reservation = cfg
            .reservation_by_addr(addr)
            .map(|(_, r)| r)
            .filter(|r| self.owns(r));
        Some(Place {
            subnet,
            pool,
            reservation,
        })
    }

    /// True when `addr` lies in one of the subnets of `link`.
    pub fn on_link(&self, addr: Ipv4Addr, link: &[usize]) -> bool {
        self.cfg.subnet_for(addr).is_some_and(|s| link.contains(&s))
    }

    /// True when this client may be offered `addr` on `link` now: [`Ctx::bindable`], and no
    /// other client holds an offer of it.
    pub fn assignable(&self, addr: Ipv4Addr, link: &[usize]) -> bool {
        let offered_to_other = self
            .leases
            .offer_holder(addr, self.now)
            .is_some_and(|c| !self.is_me(c));
        !offered_to_other && self.bindable(addr, link)
    }

    /// True when this client may be bound to `addr` on `link` now (a REQUEST): it is the
    /// client's reservation, or a pool address that is not excluded and not reserved, and no
    /// lease of another host holds it. Another client's offer does not stop it: the first
    /// REQUEST wins.
    pub fn bindable(&self, addr: Ipv4Addr, link: &[usize]) -> bool {
        if !self.on_link(addr, link) || self.bound_to_other(addr) {
            return false;
        }
        if let Some((_, r)) = self.cfg.reservation_by_addr(addr) {
            return self.owns(r);
        }
        self.cfg
            .pool_containing(addr)
            .is_some_and(|(_, p)| !p.excludes(addr) && p.admits(&self.classes))
    }

    /// True when someone else holds `addr`: another host's live lease, a declined address in
    /// probation, or another client's reservation. (An offer is not a hold.)
    pub fn taken_by_other(&self, addr: Ipv4Addr) -> bool {
        if self.bound_to_other(addr) {
            return true;
        }
        self.cfg
            .reservation_by_addr(addr)
            .is_some_and(|(_, r)| !self.owns(r))
    }

    /// True when this host is unknown on `link`: no lease record (any state) under its client
    /// key or hardware address on the link, and no reservation there.
    pub fn unknown_host(&self, link: &[usize]) -> bool {
        !self.has_record(link) && self.reservation(link).is_none()
    }

    /// True when a lease record (any state) on `link` names this client's key or hardware
    /// address.
    pub fn has_record(&self, link: &[usize]) -> bool {
        let on_link = |k: &ClientKey| {
            self.leases
                .by_client(k)
                .is_some_and(|l| self.on_link(l.addr, link))
        };
        on_link(&self.client) || on_link(&self.hw_key())
    }

    /// True when this client is new on `link`: an unknown host ([`Ctx::unknown_host`]) with no
    /// live offer either.
    pub fn is_new(&self, link: &[usize]) -> bool {
        self.leases.offer_for(&self.client, self.now).is_none() && self.unknown_host(link)
    }

    /// True when link `link` is under pressure (see [`crate::pressure`]).
    pub fn under_pressure(&self, link: &[usize]) -> bool {
        link.first().is_some_and(|l| self.pressure.is_under(*l))
    }

    /// The lease to grant at `place` on `link`: the subnet's policy for the requested time,
    /// shortened to `pressure_lease_time` for an unknown host while the link is under pressure.
    /// Returns (seconds, shortened).
    pub fn lease_secs(&self, place: &Place<'_>, link: &[usize]) -> (u32, bool) {
        let secs = self.policy(place).grant(self.req.options.lease_time());
        let cap = self.pressure.config().lease_time;
        if secs > cap
            && place.reservation.is_none()
            && self.under_pressure(link)
            && self.unknown_host(link)
        {
            (cap, true)
        } else {
            (secs, false)
        }
    }

    /// Records what the pressure state must learn from this request.
    pub fn note(&self, link: &[usize], kind: NoteKind) {
        if let Some(&first) = link.first() {
            *self.note.borrow_mut() = Some(PressureNote { link: first, kind });
        }
    }

    /// This client's lease record of `addr`, if the record names it.
    pub fn my_lease(&self, addr: Ipv4Addr) -> Option<&'a Lease> {
        self.leases
            .by_addr(addr)
            .filter(|l| l.client.as_ref().is_some_and(|c| self.is_me(c)))
    }

    /// Ids of every pool on `link`, whoever may use them (the pressure state's view of the link).
    pub fn link_pool_ids(&self, link: &[usize]) -> Vec<usize> {
        link.iter()
            .filter_map(|s| self.cfg.subnets.get(*s))
            .flat_map(|s| s.pools.iter().map(|p| p.id))
            .collect()
    }

    /// Ids of the pools on `link` this client may get addresses from (`classes` of a pool).
    pub fn pool_ids(&self, link: &[usize]) -> Vec<usize> {
        link.iter()
            .filter_map(|s| self.cfg.subnets.get(*s))
            .flat_map(|s| s.pools.iter())
            .filter(|p| p.admits(&self.classes))
            .map(|p| p.id)
            .collect()
    }

    /// The lease policy of `place`.
    pub fn policy(&self, place: &Place<'_>) -> LeasePolicy {
        place.subnet.lease
    }

    /// The DNS name decision for giving `addr` at `place` to this client (see [`crate::ddns`]):
    /// `None` when the address's subnet has no `[ddns]` policy.
    pub fn dns(&self, addr: Ipv4Addr, place: &Place<'_>) -> Option<DnsChoice<'a>> {
        let policy = self.cfg.ddns_policy(self.cfg.subnet_for(addr)?)?;
        let fqdn = self.req.options.client_fqdn();
        let decision = ddns::decide(
            &policy,
            addr,
            &NameRequest {
                fqdn: fqdn.as_ref(),
                hostname: self.req.options.get(code::HOSTNAME),
                reserved: place.reservation.and_then(|r| r.hostname.as_deref()),
                previous: self.my_lease(addr).and_then(|l| l.hostname.as_deref()),
            },
        );
        Some(DnsChoice { policy, decision })
    }

    /// The DNS work owed for binding `addr` for `secs` seconds under `dns`: `None` when the
    /// server updates nothing.
    pub fn dns_intent(
        &self,
        addr: Ipv4Addr,
        secs: u32,
        dns: Option<&DnsChoice<'_>>,
    ) -> Option<DnsIntent> {
        let DnsChoice { policy, decision } = dns?;
        let fqdn = decision.fqdn.clone()?;
        if !(decision.forward || decision.reverse) {
            return None;
        }
        let previous_fqdn = self
            .my_lease(addr)
            .filter(|l| l.holds_address(self.now))
            .and_then(|l| l.hostname.as_deref())
            .and_then(|h| ddns::sanitise(h.as_bytes(), policy.qualifying_suffix))
            .filter(|p| *p != fqdn);
        Some(DnsIntent {
            addr,
            fqdn,
            forward: decision.forward,
            reverse: decision.reverse,
            ttl: policy.ttl_for(secs),
            client: self.client.clone(),
            previous_fqdn,
        })
    }

    /// A Bound lease of `addr` for this client lasting `secs` (`u32::MAX` = infinite). Its host
    /// name is the DNS name of `dns` when the subnet's `[ddns]` policy updates DNS (the stored
    /// name lets a restart recompute the DNS work), else option 12, the reservation's or the
    /// earlier lease's host name.
    pub fn bound_lease(
        &self,
        addr: Ipv4Addr,
        secs: u32,
        place: &Place<'_>,
        dns: Option<&DnsChoice<'_>>,
    ) -> Lease {
        let expires = if secs == u32::MAX {
            INFINITE
        } else {
            self.now.saturating_add(u64::from(secs))
        };
        let hostname = match dns.filter(|d| d.policy.update != DdnsUpdate::Never) {
            Some(d) => d.decision.fqdn.clone(),
            None => self
                .req
                .options
                .hostname()
                .map(str::to_string)
                .or_else(|| place.reservation.and_then(|r| r.hostname.clone()))
                .or_else(|| self.my_lease(addr).and_then(|l| l.hostname.clone())),
        };
        Lease {
            addr,
            client: Some(self.client.clone()),
            hwaddr: Some(self.req.chaddr),
            state: LeaseState::Bound,
            starts: self.now,
            expires,
            hostname,
        }
    }
}
