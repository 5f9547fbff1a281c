//! The in-memory lease index: lookups by address and client, outstanding offers, and free
//! address choice.
//!
//! The store holds the durable truth; this table is rebuilt from it at start-up
//! ([`LeaseTable::from_leases`]) and kept current by applying every [`Decision`]'s changes
//! ([`LeaseTable::apply`]) **before the next request is handled**, so two requests never see the
//! same address as free.
//!
//! Free addresses are found without scanning: each pool keeps a [`ranges::RangeSet`] of addresses
//! that have never had a lease record (one entry for an untouched /8), and an ordered set of
//! addresses with a record keyed by the time they became (or become) free, so the address free
//! the longest is reused first and recently released addresses stay with their last client as
//! long as possible.
//!
//! [`Decision`]: crate::Decision

pub mod ranges;
pub mod usage;

use crate::config::Config;
use crate::lease::{ClientKey, Lease, LeaseChange, LeaseState, Timestamp, INFINITE};
use ranges::RangeSet;
// foldhash: several times cheaper than SipHash on these small keys, and seeded per process at
// random, so clients cannot choose colliding keys.
use foldhash::{HashMap, HashSet};
use leasehold_wire::HwAddr;
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

/// Free-address state of one pool.
#[derive(Clone, Debug, Default)]
struct PoolFree {
    /// Addresses with no lease record, not offered, not excluded, not reserved.
    fresh: RangeSet,
    /// Addresses with a lease record and not offered, keyed by when they are free.
    recycle: BTreeSet<(Timestamp, u32)>,
    /// Addresses of the range that may be handed out (range minus excluded and reserved).
    size: u64,
    /// Entries of `recycle` whose lease still holds the address (Bound or Declined).
    holding: u64,
    /// Use counts of the whole range, kept incrementally for [`usage`].
    counts: usage::PoolCounts,
    /// First and last address of the range (`[store] affinity` takes a block of it).
    span: (u32, u32),
}

/// True when a lease in this state keeps its address from others until it expires.
fn holds_state(l: &Lease) -> bool {
    matches!(l.state, LeaseState::Bound | LeaseState::Declined)
}

/// An outstanding offer.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Offer {
    addr: Ipv4Addr,
    until: Timestamp,
}

/// The in-memory lease index. See the module documentation.
#[derive(Clone, Debug, Default)]
pub struct LeaseTable {
    /// This server's share of never-used addresses (`[store] affinity`).
    affinity: Option<crate::config::Affinity>,
    leases: HashMap<Ipv4Addr, Lease>,
    by_client: HashMap<ClientKey, Ipv4Addr>,
    offers: HashMap<ClientKey, Offer>,
    offered: HashMap<Ipv4Addr, ClientKey>,
    offer_expiry: BTreeSet<(Timestamp, Ipv4Addr)>,
    /// Bound and Declined leases with a finite expiry.
    expiry: BTreeSet<(Timestamp, Ipv4Addr)>,
    pools: Vec<PoolFree>,
    /// (first, last, pool id) sorted by first.
    pool_ranges: Vec<(u32, u32, usize)>,
    /// Excluded and reserved addresses inside pools: never handed out dynamically.
    blocked: HashSet<Ipv4Addr>,
    /// Reserved addresses inside pools that are not excluded (counted as `reserved` in usage).
    reserved: HashSet<Ipv4Addr>,
    /// Every reserved address, in a pool or not.
    reservation_addrs: HashSet<Ipv4Addr>,
    /// Hardware address → reserved address whose lease record names it: how a host reserved by
    /// client id is recognised when it asks without option 61 (BOOTP, or DHCP without 61).
    reserved_hw: HashMap<HwAddr, Ipv4Addr>,
}

/// When the address of `lease` is (or becomes) free for someone else.
fn free_at(lease: &Lease) -> Timestamp {
    match lease.state {
        LeaseState::Bound | LeaseState::Declined => lease.expires,
        LeaseState::Released | LeaseState::Expired => lease.starts,
    }
}

impl LeaseTable {
    /// An empty table with the pools of `config`.
    pub fn new(config: &Config) -> Self {
        let mut t = LeaseTable::default();
        t.rebuild_pools(config);
        t
    }

    /// A table holding `leases` (as loaded from the store) with the pools of `config`.
    pub fn from_leases(config: &Config, leases: impl IntoIterator<Item = Lease>) -> Self {
        let mut all: Vec<Lease> = leases.into_iter().collect();
        all.sort_by_key(|l| l.starts);
        let mut t = LeaseTable::default();
        for l in all {
            t.index_put(l);
        }
        t.rebuild_pools(config);
        t
    }

    /// Recomputes the pools after a configuration change, keeping leases and offers.
    pub fn rebuild_pools(&mut self, config: &Config) {
        self.affinity = config.store.affinity;
        self.blocked.clear();
        self.reserved.clear();
        self.pool_ranges.clear();
        self.pools = vec![PoolFree::default(); config.pool_count()];
        for id in 0..config.pool_count() {
            if let Some((_, p)) = config.pool(id) {
                self.pool_ranges
                    .push((u32::from(p.start), u32::from(p.end), id));
                self.blocked.extend(p.exclude.iter().copied());
            }
        }
        self.pool_ranges.sort_unstable();
        self.reservation_addrs.clear();
        for s in &config.subnets {
            for r in &s.reservations {
                self.reservation_addrs.insert(r.address);
                if let Some((_, pool)) = config.pool_containing(r.address) {
                    self.blocked.insert(r.address);
                    if !pool.excludes(r.address) {
                        self.reserved.insert(r.address);
                    }
                }
            }
        }
        self.reserved_hw = self
            .leases
            .values()
            .filter(|l| self.reservation_addrs.contains(&l.addr))
            .filter_map(|l| Some((l.hwaddr?, l.addr)))
            .collect();
        let mut holes: Vec<Vec<u32>> = vec![Vec::new(); self.pools.len()];
        let taken = self
            .leases
            .keys()
            .chain(self.offered.keys())
            .chain(self.blocked.iter());
        for a in taken {
            if let Some(id) = self.pool_of(*a) {
                if let Some(h) = holes.get_mut(id) {
                    h.push(u32::from(*a));
                }
            }
        }
        let mut blocked_in: Vec<u64> = vec![0; self.pools.len()];
        for a in &self.blocked {
            if let Some(n) = self.pool_of(*a).and_then(|id| blocked_in.get_mut(id)) {
                *n += 1;
            }
        }
        for &(first, last, id) in &self.pool_ranges {
            if let (Some(pool), Some(h)) = (self.pools.get_mut(id), holes.get_mut(id)) {
                h.sort_unstable();
                pool.fresh = RangeSet::with_holes(first, last, h);
                pool.span = (first, last);
                let blocked = blocked_in.get(id).copied().unwrap_or(0);
                pool.size = (u64::from(last - first) + 1).saturating_sub(blocked);
            }
        }
        let recyclable: Vec<Ipv4Addr> = self
            .leases
            .keys()
            .filter(|a| !self.offered.contains_key(a) && !self.blocked.contains(a))
            .copied()
            .collect();
        for a in recyclable {
            self.attach(a);
        }
        self.recount();
    }

    /// The pool id whose range contains `addr`.
    fn pool_of(&self, addr: Ipv4Addr) -> Option<usize> {
        let a = u32::from(addr);
        let i = self
            .pool_ranges
            .partition_point(|(first, _, _)| *first <= a);
        let (first, last, id) = *self.pool_ranges.get(i.checked_sub(1)?)?;
        (first <= a && a <= last).then_some(id)
    }

    /// Takes `addr` out of its pool's free structures (using the current lease record's key).
    fn detach(&mut self, addr: Ipv4Addr) {
        let Some(id) = self.pool_of(addr) else { return };
        let key = self.leases.get(&addr).map(|l| (free_at(l), holds_state(l)));
        if let Some(pool) = self.pools.get_mut(id) {
            pool.fresh.remove(u32::from(addr));
            if let Some((k, holds)) = key {
                if pool.recycle.remove(&(k, u32::from(addr))) && holds {
                    pool.holding = pool.holding.saturating_sub(1);
                }
            }
        }
    }

    /// Puts `addr` back into its pool's free structures unless it is offered or blocked.
    fn attach(&mut self, addr: Ipv4Addr) {
        if self.offered.contains_key(&addr) || self.blocked.contains(&addr) {
            return;
        }
        let Some(id) = self.pool_of(addr) else { return };
        let key = self.leases.get(&addr).map(|l| (free_at(l), holds_state(l)));
        if let Some(pool) = self.pools.get_mut(id) {
            match key {
                Some((k, holds)) => {
                    if pool.recycle.insert((k, u32::from(addr))) && holds {
                        pool.holding += 1;
                    }
                }
                None => {
                    pool.fresh.insert(u32::from(addr));
                }
            }
        }
    }

    /// Applies the changes of one decision. Call before handling the next request.
    pub fn apply(&mut self, changes: &[LeaseChange], now: Timestamp) {
        self.purge_offers(now);
        for c in changes {
            match c {
                LeaseChange::Offer {
                    addr,
                    client,
                    until,
                } => {
                    self.remove_offer_of(client);
                    if let Some(other) = self.offered.get(addr).cloned() {
                        self.remove_offer_of(&other);
                    }
                    self.detach(*addr);
                    self.offers.insert(
                        client.clone(),
                        Offer {
                            addr: *addr,
                            until: *until,
                        },
                    );
                    self.offered.insert(*addr, client.clone());
                    self.offer_expiry.insert((*until, *addr));
                    self.count_offer(*addr, 1);
                }
                LeaseChange::DropOffer { client } => self.remove_offer_of(client),
                LeaseChange::Put(lease) => {
                    if let Some(holder) = self.offered.get(&lease.addr).cloned() {
                        self.remove_offer_of(&holder);
                    }
                    self.detach(lease.addr);
                    self.index_put(lease.clone());
                    self.attach(lease.addr);
                }
            }
        }
    }

    /// Records `lease` in the address, client and expiry indexes (not the pool structures).
    fn index_put(&mut self, lease: Lease) {
        let addr = lease.addr;
        self.count_lease(addr, -1);
        if let Some(old) = self.leases.get(&addr) {
            if matches!(old.state, LeaseState::Bound | LeaseState::Declined) {
                self.expiry.remove(&(old.expires, addr));
            }
            if let Some(oc) = &old.client {
                if lease.client.as_ref() != Some(oc) && self.by_client.get(oc) == Some(&addr) {
                    self.by_client.remove(oc);
                }
            }
            if let Some(hw) = old.hwaddr {
                if self.reserved_hw.get(&hw) == Some(&addr) {
                    self.reserved_hw.remove(&hw);
                }
            }
        }
        if let Some(hw) = lease
            .hwaddr
            .filter(|_| self.reservation_addrs.contains(&addr))
        {
            self.reserved_hw.insert(hw, addr);
        }
        if matches!(lease.state, LeaseState::Bound | LeaseState::Declined)
            && lease.expires != INFINITE
        {
            self.expiry.insert((lease.expires, addr));
        }
        if let Some(c) = &lease.client {
            let keep_current = self.by_client.get(c).is_some_and(|cur| {
                *cur != addr
                    && lease.state != LeaseState::Bound
                    && self
                        .leases
                        .get(cur)
                        .is_some_and(|l| l.state == LeaseState::Bound)
            });
            if !keep_current {
                self.by_client.insert(c.clone(), addr);
            }
        }
        self.leases.insert(addr, lease);
        self.count_lease(addr, 1);
    }

    fn remove_offer_of(&mut self, client: &ClientKey) {
        if let Some(o) = self.offers.remove(client) {
            self.offered.remove(&o.addr);
            self.offer_expiry.remove(&(o.until, o.addr));
            self.count_offer(o.addr, -1);
            self.attach(o.addr);
        }
    }

    fn purge_offers(&mut self, now: Timestamp) {
        while let Some(&(until, addr)) = self.offer_expiry.first() {
            if until > now {
                break;
            }
            self.offer_expiry.remove(&(until, addr));
            if let Some(client) = self.offered.get(&addr).cloned() {
                self.remove_offer_of(&client);
            }
        }
    }

    /// Moves leases whose time is up to their next state and returns the new records for the
    /// caller to persist (they are already applied here): Bound past expiry → Expired (client
    /// kept for stickiness); Declined past probation → Expired with no client. Also forgets
    /// lapsed offers.
    pub fn expire(&mut self, now: Timestamp) -> Vec<Lease> {
        self.purge_offers(now);
        let due: Vec<Ipv4Addr> = self
            .expiry
            .range(..=(now, Ipv4Addr::BROADCAST))
            .map(|(_, a)| *a)
            .collect();
        let mut out = Vec::with_capacity(due.len());
        for addr in due {
            let Some(old) = self.leases.get(&addr) else {
                continue;
            };
            let mut l = old.clone();
            l.client = if old.state == LeaseState::Declined {
                None
            } else {
                old.client.clone()
            };
            l.state = LeaseState::Expired;
            l.starts = old.expires;
            self.detach(addr);
            self.index_put(l.clone());
            self.attach(addr);
            out.push(l);
        }
        out
    }

    /// The lease record of `addr`, whatever its state.
    pub fn by_addr(&self, addr: Ipv4Addr) -> Option<&Lease> {
        self.leases.get(&addr)
    }

    /// The client's most recent binding (a Bound lease is preferred over a newer free one).
    pub fn by_client(&self, client: &ClientKey) -> Option<&Lease> {
        let a = self.by_client.get(client)?;
        self.leases
            .get(a)
            .filter(|l| l.client.as_ref() == Some(client))
    }

    /// The address offered to `client`, if the offer is still live at `now`.
    pub fn offer_for(&self, client: &ClientKey, now: Timestamp) -> Option<Ipv4Addr> {
        self.offers
            .get(client)
            .filter(|o| o.until > now)
            .map(|o| o.addr)
    }

    /// Who holds a live offer of `addr` at `now`.
    pub fn offer_holder(&self, addr: Ipv4Addr, now: Timestamp) -> Option<&ClientKey> {
        let c = self.offered.get(&addr)?;
        self.offers
            .get(c)
            .filter(|o| o.until > now && o.addr == addr)
            .map(|_| c)
    }

    /// True when neither a lease of another client nor another client's live offer holds
    /// `addr` at `now`. (Pool membership, exclusions and reservations are the caller's part.)
    pub fn is_free_for(&self, addr: Ipv4Addr, client: &ClientKey, now: Timestamp) -> bool {
        let lease_ok = match self.leases.get(&addr) {
            Some(l) => !l.holds_address(now) || l.client.as_ref() == Some(client),
            None => true,
        };
        let offer_ok = self.offer_holder(addr, now).is_none_or(|c| c == client);
        lease_ok && offer_ok
    }

    /// A free address from pools `pool_ids` (in that order): first one never used (with
    /// `[store] affinity`, of this server's share first), then the one
    /// free the longest, and when none is free, the oldest outstanding offer's. Excluded and
    /// reserved addresses are never returned, nor an address a lease holds.
    pub fn allocate(&self, pool_ids: &[usize], now: Timestamp) -> Option<Ipv4Addr> {
        // With `[store] affinity`, this server's block of the never-used addresses first.
        if let Some(a) = self.affinity.filter(|a| a.count > 1) {
            for id in pool_ids {
                let own = self.pools.get(*id).and_then(|p| {
                    let (lo, hi) = a.block(p.span.0, p.span.1);
                    p.fresh.first_within(lo, hi)
                });
                if let Some(v) = own {
                    return Some(Ipv4Addr::from(v));
                }
            }
        }
        for id in pool_ids {
            if let Some(a) = self.pools.get(*id).and_then(|p| p.fresh.first()) {
                return Some(Ipv4Addr::from(a));
            }
        }
        // Lapsed offers not yet purged (purging happens in `apply`/`expire`).
        for &(_, addr) in self.offer_expiry.range(..=(now, Ipv4Addr::BROADCAST)) {
            let in_pools = self.pool_of(addr).is_some_and(|id| pool_ids.contains(&id));
            let held = self.leases.get(&addr).is_some_and(|l| l.holds_address(now));
            if in_pools && !held && !self.blocked.contains(&addr) {
                return Some(addr);
            }
        }
        for id in pool_ids {
            let Some(pool) = self.pools.get(*id) else {
                continue;
            };
            for &(_, a) in pool.recycle.range(..=(now, u32::MAX)) {
                let addr = Ipv4Addr::from(a);
                let held = self.leases.get(&addr).is_some_and(|l| l.holds_address(now));
                if !held && self.offer_holder(addr, now).is_none() && !self.blocked.contains(&addr)
                {
                    return Some(addr);
                }
            }
        }
        // Nothing free: the oldest outstanding offer of these pools. An offer is not a binding;
        // holding it would refuse this client (a DISCOVER flood would starve the pool). The first
        // REQUEST for the address wins; the other client is NAKed and starts again.
        self.offer_expiry
            .range((now.saturating_add(1), Ipv4Addr::UNSPECIFIED)..)
            .map(|(_, a)| *a)
            .find(|a| {
                self.pool_of(*a).is_some_and(|id| pool_ids.contains(&id))
                    && !self.leases.get(a).is_some_and(|l| l.holds_address(now))
                    && !self.blocked.contains(a)
            })
    }

    /// The reserved address whose lease record names hardware address `hw`, if any.
    pub fn reserved_by_hw(&self, hw: &HwAddr) -> Option<Ipv4Addr> {
        self.reserved_hw.get(hw).copied()
    }

    /// Number of addresses of pool `pool_id` that have never had a lease record.
    pub fn fresh_count(&self, pool_id: usize) -> u64 {
        self.pools.get(pool_id).map(|p| p.fresh.len()).unwrap_or(0)
    }

    /// Every lease record, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Lease> {
        self.leases.values()
    }

    /// Number of lease records.
    pub fn len(&self) -> usize {
        self.leases.len()
    }

    /// True when there are no lease records.
    pub fn is_empty(&self) -> bool {
        self.leases.is_empty()
    }
}
