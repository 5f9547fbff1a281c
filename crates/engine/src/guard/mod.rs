//! Admission control in front of the engine, with no I/O: rate limits per client, relay circuit
//! and relay; a hop limit; dropping of server messages and of our own probes; optional caps on addresses bound per circuit,
//! relay and hardware-address prefix; and drop counters. All per-key state lives in fixed-size
//! tables ([`limiter::BoundedBuckets`]) or is bounded by the number of pool addresses, so a
//! sender forging millions of identities cannot grow it.
//!
//! The caller passes the time (`now_ms`, a monotonic millisecond clock, and the lease clock in
//! seconds), so every decision is reproducible in tests:
//!
//! ```text
//! datagram ─► parse ─► Guard::admit ─► Engine::handle ─► Guard::observe(changes) ─► ...
//!                        │ Err(reason): dropped, counted
//! ```
//!
//! The pool reserve (no new clients past `pool_reserve_threshold` per cent use) is enforced by
//! the engine itself, where it chooses addresses; see [`crate::table::LeaseTable::reserve_blocks`].
//! The `[security]` settings are [`crate::config::SecurityConfig`].
//!
//! Modules: [`limiter`] (bounded token buckets).

pub mod limiter;

pub use limiter::{BoundedBuckets, Rate};

use crate::config::SecurityConfig;
use crate::decision::{Arrival, Outcome};
use crate::lease::{ClientKey, Lease, LeaseChange, LeaseState, Timestamp};
use crate::reason::DropReason;
use crate::table::LeaseTable;
use leasehold_wire::{MessageType, Op, Packet};
use std::collections::hash_map::RandomState;
// foldhash: cheaper than SipHash per datagram, seeded per process at random (see table).
use foldhash::HashMap;
use std::collections::BTreeMap;
use std::hash::BuildHasher;
use std::net::Ipv4Addr;

/// Option 61 value prefix of Leasehold's probe DISCOVERs (type 0, then this text and random
/// hex). A server drops the probes it sent itself ([`Guard::set_own_probe_prefix`]), so they
/// take no address; probes from elsewhere (`leasehold probe`) are answered like any client.
pub const PROBE_CLIENT_ID_PREFIX: &[u8] = b"\0leasehold-probe:";

/// The keys a bound address counts against, as 64-bit keyed hashes (0 = none).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct CapKeys {
    circuit: u64,
    relay: u64,
    oui: u64,
}

/// Admission control state. See the module documentation.
#[derive(Debug)]
pub struct Guard {
    cfg: SecurityConfig,
    clients: BoundedBuckets,
    circuits: BoundedBuckets,
    relays: BoundedBuckets,
    hasher: RandomState,
    /// Bound address → the cap keys it counts against. At most one entry per pool address.
    bound: HashMap<Ipv4Addr, CapKeys>,
    /// Cap key hash → addresses bound. At most one entry per bound address.
    counts: HashMap<u64, u32>,
    /// Drops by reason (guard's, the engine's and the runtime's); the key set is a fixed list.
    drops: BTreeMap<DropReason, u64>,
    admitted: u64,
    /// Client-id prefix of this server's own probes (see [`PROBE_CLIENT_ID_PREFIX`]).
    own_probe: Option<Vec<u8>>,
}

impl Guard {
    /// A guard enforcing `cfg`.
    pub fn new(cfg: SecurityConfig) -> Self {
        let (clients, circuits, relays) = limiters(&cfg);
        Guard {
            clients,
            circuits,
            relays,
            hasher: RandomState::new(),
            bound: HashMap::default(),
            counts: HashMap::default(),
            drops: BTreeMap::new(),
            admitted: 0,
            own_probe: None,
            cfg,
        }
    }

    /// Requests whose option 61 starts with `prefix` are this server's own rogue-server probes
    /// and are dropped (reason `own_probe`). The prefix should carry a per-process random token
    /// after [`PROBE_CLIENT_ID_PREFIX`].
    pub fn set_own_probe_prefix(&mut self, prefix: Vec<u8>) {
        self.own_probe = Some(prefix).filter(|p| !p.is_empty());
    }

    /// The settings in force.
    pub fn config(&self) -> &SecurityConfig {
        &self.cfg
    }

    /// Enforces `cfg` from now on (a configuration reload): the rate limiters start afresh;
    /// the caps' bookkeeping of bound addresses, the drop counts and the probe prefix are kept.
    pub fn reconfigure(&mut self, cfg: SecurityConfig) {
        (self.clients, self.circuits, self.relays) = limiters(&cfg);
        self.cfg = cfg;
    }

    /// Decides whether `req`, arrived as `arrival`, may reach the engine. `now_ms` is a
    /// monotonic clock in milliseconds (rate limits), `now` the lease clock (caps: whether the
    /// client already holds an address). A refusal is counted under its reason.
    pub fn admit(
        &mut self,
        req: &Packet,
        arrival: &Arrival,
        now_ms: u64,
        now: Timestamp,
        leases: &LeaseTable,
    ) -> Result<(), DropReason> {
        let r = self.check(req, arrival, now_ms, now, leases);
        match r {
            Ok(()) => self.admitted += 1,
            Err(reason) => self.count_drop(reason),
        }
        r
    }

    fn check(
        &mut self,
        req: &Packet,
        _arrival: &Arrival,
        now_ms: u64,
        now: Timestamp,
        leases: &LeaseTable,
    ) -> Result<(), DropReason> {
        if req.op == Op::BootReply {
            return Err(DropReason::Bootreply);
        }
        let kind = req.message_type();
        if matches!(
            kind,
            Some(MessageType::Offer | MessageType::Ack | MessageType::Nak)
        ) {
            return Err(DropReason::ServerMessage);
        }
        let client_id = req.options.client_id();
        let own = self.own_probe.as_deref();
        if client_id.is_some_and(|id| own.is_some_and(|p| id.starts_with(p))) {
            return Err(DropReason::OwnProbe);
        }
        if req.hops > self.cfg.max_hops {
            return Err(DropReason::HopsExceeded);
        }
        // The relay allow-list (`[server] allowed_relays`) is the engine's first check.
        let relayed = !req.giaddr.is_unspecified();
        let circuit = req.options.relay_agent_info().and_then(|ri| {
            ri.circuit_id()
                .map(|c| self.hasher.hash_one((req.giaddr, c)))
        });
        let client = ClientKey::of_request(req);
        if !self.clients.take(&client, now_ms) {
            return Err(DropReason::RateClient);
        }
        if let Some(c) = circuit {
            if !self.circuits.take(&c, now_ms) {
                return Err(DropReason::RateCircuit);
            }
        }
        if relayed && !self.relays.take(&req.giaddr, now_ms) {
            return Err(DropReason::RateRelay);
        }
        if matches!(kind, Some(MessageType::Discover | MessageType::Request)) {
            self.check_caps(req, &client, circuit, now, leases)?;
        }
        Ok(())
    }

    fn cap_keys(&self, req: &Packet, circuit: Option<u64>) -> CapKeys {
        let relay = if req.giaddr.is_unspecified() {
            0
        } else {
            self.hasher.hash_one(("relay", req.giaddr))
        };
        let oui = req
            .chaddr
            .mac()
            .map(|m| self.hasher.hash_one(("oui", [m[0], m[1], m[2]])))
            .unwrap_or(0);
        CapKeys {
            circuit: circuit
                .map(|c| self.hasher.hash_one(("circuit", c)))
                .unwrap_or(0),
            relay,
            oui,
        }
    }

    fn check_caps(
        &self,
        req: &Packet,
        client: &ClientKey,
        circuit: Option<u64>,
        now: Timestamp,
        leases: &LeaseTable,
    ) -> Result<(), DropReason> {
        let c = &self.cfg;
        if c.max_leases_per_circuit.is_none()
            && c.max_leases_per_relay.is_none()
            && c.max_leases_per_oui.is_none()
        {
            return Ok(());
        }
        // A client that already holds an address keeps it whatever the caps.
        if leases
            .by_client(client)
            .is_some_and(|l| l.holds_address(now))
        {
            return Ok(());
        }
        let keys = self.cap_keys(req, circuit);
        let full = |key: u64, cap: Option<u32>| {
            key != 0 && cap.is_some_and(|cap| self.counts.get(&key).copied().unwrap_or(0) >= cap)
        };
        if full(keys.circuit, c.max_leases_per_circuit) {
            return Err(DropReason::LeaseCapCircuit);
        }
        if full(keys.relay, c.max_leases_per_relay) {
            return Err(DropReason::LeaseCapRelay);
        }
        if full(keys.oui, c.max_leases_per_oui) {
            return Err(DropReason::LeaseCapOui);
        }
        Ok(())
    }

    /// Records the lease changes the engine made for `req` (call after [`LeaseTable::apply`]),
    /// keeping the per-circuit, per-relay and per-OUI bound counts current.
    pub fn observe(&mut self, req: &Packet, changes: &[LeaseChange]) {
        for ch in changes {
            let LeaseChange::Put(lease) = ch else {
                continue;
            };
            if lease.state == LeaseState::Bound {
                let circuit = req.options.relay_agent_info().and_then(|ri| {
                    ri.circuit_id()
                        .map(|c| self.hasher.hash_one((req.giaddr, c)))
                });
                let keys = self.cap_keys(req, circuit);
                self.bind(lease.addr, keys);
            } else {
                self.forget(lease.addr);
            }
        }
    }

    /// Counts an outcome of the engine: drops are counted by reason (`bootreply`,
    /// `server_message`, `pool_reserve`, ...).
    pub fn record_outcome(&mut self, outcome: &Outcome) {
        if let Outcome::Dropped(r) = outcome {
            self.count_drop(*r);
        }
    }

    /// Counts a drop decided elsewhere (the parser, the lease writer's backlog) under `reason`.
    pub fn count_drop(&mut self, reason: DropReason) {
        *self.drops.entry(reason).or_insert(0) += 1;
    }

    /// Records a lease written by an administrator (no request: it counts against its hardware
    /// address prefix only), keeping the caps bookkeeping current.
    pub fn observe_admin(&mut self, lease: &Lease) {
        if lease.state == LeaseState::Bound {
            let oui = lease
                .hwaddr
                .and_then(|h| h.mac())
                .map(|m| self.hasher.hash_one(("oui", [m[0], m[1], m[2]])))
                .unwrap_or(0);
            self.bind(
                lease.addr,
                CapKeys {
                    oui,
                    ..CapKeys::default()
                },
            );
        } else {
            self.forget(lease.addr);
        }
    }

    /// Addresses counted against a circuit, relay or OUI cap (for tests and state reports).
    pub fn capped_addresses(&self) -> usize {
        self.bound.len()
    }

    fn bind(&mut self, addr: Ipv4Addr, keys: CapKeys) {
        if self.bound.get(&addr) == Some(&keys) {
            return;
        }
        self.forget(addr);
        for k in [keys.circuit, keys.relay, keys.oui] {
            if k != 0 {
                *self.counts.entry(k).or_insert(0) += 1;
            }
        }
        self.bound.insert(addr, keys);
    }

    /// The address `addr` no longer holds a lease (released, expired, declined).
    pub fn forget(&mut self, addr: Ipv4Addr) {
        let Some(keys) = self.bound.remove(&addr) else {
            return;
        };
        for k in [keys.circuit, keys.relay, keys.oui] {
            if k == 0 {
                continue;
            }
            if let Some(n) = self.counts.get_mut(&k) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.counts.remove(&k);
                }
            }
        }
    }

    /// Drop counts by reason, guard and engine alike.
    pub fn drops(&self) -> impl Iterator<Item = (DropReason, u64)> + '_ {
        self.drops.iter().map(|(k, v)| (*k, *v))
    }

    /// Total packets dropped.
    pub fn dropped_total(&self) -> u64 {
        self.drops.values().sum()
    }

    /// Packets let through to the engine.
    pub fn admitted(&self) -> u64 {
        self.admitted
    }

    /// Per-key state held, as (keys tracked, bytes): the three limiter tables (fixed size) and
    /// the caps bookkeeping (bounded by the number of bound addresses).
    pub fn state_size(&self) -> (usize, usize) {
        let keys = self.clients.len() + self.circuits.len() + self.relays.len() + self.bound.len();
        let bytes = self.clients.memory_bytes()
            + self.circuits.memory_bytes()
            + self.relays.memory_bytes()
            + self.bound.capacity() * (4 + 24)
            + self.counts.capacity() * 12;
        (keys, bytes)
    }

    /// Buckets forgotten before they had refilled (a sign of many identities).
    pub fn evictions(&self) -> u64 {
        self.clients.evictions() + self.circuits.evictions() + self.relays.evictions()
    }
}

/// The client, circuit and relay limiters of `cfg`, each in fixed memory.
fn limiters(cfg: &SecurityConfig) -> (BoundedBuckets, BoundedBuckets, BoundedBuckets) {
    let n = cfg.tracked_keys;
    (
        BoundedBuckets::new(cfg.client_rate, n),
        BoundedBuckets::new(cfg.circuit_rate, n),
        BoundedBuckets::new(cfg.relay_rate, n.min(4096)),
    )
}
