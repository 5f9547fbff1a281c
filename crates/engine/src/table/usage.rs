//! Address usage per pool, for metrics, the control API and alerts.

use super::LeaseTable;
use crate::config::Config;
use crate::lease::{LeaseState, Timestamp};
use std::net::Ipv4Addr;

/// How the addresses of one pool are used at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolUsage {
    /// Pool id (index across all subnets, see [`Config::pool`]).
    pub pool_id: usize,
    /// Index of the pool's subnet in [`Config::subnets`].
    pub subnet_index: usize,
    /// The subnet's configured id.
    pub subnet_id: u32,
    /// First address of the range.
    pub start: std::net::Ipv4Addr,
    /// Last address of the range.
    pub end: std::net::Ipv4Addr,
    /// Addresses in the range less the excluded ones.
    pub total: u64,
    /// Addresses bound to a client now.
    pub assigned: u64,
    /// Addresses in probation after a DECLINE.
    pub declined: u64,
    /// Addresses held by an outstanding OFFER.
    pub offered: u64,
    /// Addresses reserved for a client (never handed out dynamically) and not bound.
    pub reserved: u64,
    /// Addresses that can be handed out: `total - assigned - declined - offered - reserved`.
    pub free: u64,
}

impl PoolUsage {
    /// Share of the pool in use (assigned + declined + offered + reserved), 0.0–1.0; 0 for an
    /// empty pool.
    pub fn utilization(&self) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        (self.total - self.free) as f64 / self.total as f64
    }
}

/// Use counts of one pool's range, kept current by every change to the table (so reading the
/// usage costs O(pools), never a pass over the leases).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PoolCounts {
    /// Lease records in the Bound state.
    bound: u64,
    /// Lease records in the Declined state (probation).
    declined: u64,
    /// Outstanding offers (lapsed ones until they are purged).
    offered: u64,
    /// Reserved, non-excluded addresses of the range.
    reserved: u64,
    /// Of those, addresses whose lease record is Bound or Declined.
    reserved_held: u64,
    /// Excluded addresses of the range.
    excluded: u64,
}

fn step(n: &mut u64, by: i8) {
    *n = if by < 0 {
        n.saturating_sub(1)
    } else {
        n.saturating_add(1)
    };
}

impl LeaseTable {
    /// Adds (`by` = 1) or removes (-1) what address `addr` contributes to its pool's counts: its
    /// lease record's state (Bound, Declined) and, when no record holds it, its outstanding
    /// offer. Called around every change of the address's lease record.
    pub(super) fn count_lease(&mut self, addr: Ipv4Addr, by: i8) {
        let state = self.leases.get(&addr).map(|l| l.state);
        let offered = self.offered.contains_key(&addr);
        let reserved = self.reserved.contains(&addr);
        let Some(c) = self.pool_of(addr).and_then(|id| self.pools.get_mut(id)) else {
            return;
        };
        let c = &mut c.counts;
        match state {
            Some(LeaseState::Bound) => step(&mut c.bound, by),
            Some(LeaseState::Declined) => step(&mut c.declined, by),
            _ => {
                if offered {
                    step(&mut c.offered, by);
                }
                return;
            }
        }
        if reserved {
            step(&mut c.reserved_held, by);
        }
    }

    /// Adds (1) or removes (-1) an outstanding offer of `addr` from its pool's counts (an offer of
    /// an address whose record holds it counts as that record, not as an offer).
    pub(super) fn count_offer(&mut self, addr: Ipv4Addr, by: i8) {
        let held = self
            .leases
            .get(&addr)
            .is_some_and(|l| matches!(l.state, LeaseState::Bound | LeaseState::Declined));
        if held {
            return;
        }
        if let Some(p) = self.pool_of(addr).and_then(|id| self.pools.get_mut(id)) {
            step(&mut p.counts.offered, by);
        }
    }

    /// Recounts every pool from scratch (after the pools were rebuilt).
    pub(super) fn recount(&mut self) {
        for p in &mut self.pools {
            p.counts = PoolCounts::default();
        }
        for &(first, last, id) in &self.pool_ranges.clone() {
            let excluded = self
                .blocked
                .iter()
                .filter(|a| (first..=last).contains(&u32::from(**a)) && !self.reserved.contains(a))
                .count() as u64;
            let reserved = self
                .reserved
                .iter()
                .filter(|a| (first..=last).contains(&u32::from(**a)))
                .count() as u64;
            if let Some(p) = self.pools.get_mut(id) {
                p.counts.excluded = excluded;
                p.counts.reserved = reserved;
            }
        }
        let addrs: Vec<Ipv4Addr> = self.leases.keys().copied().collect();
        for a in addrs {
            self.count_lease(a, 1);
        }
        let offered: Vec<Ipv4Addr> = self
            .offered
            .keys()
            .filter(|a| !self.leases.contains_key(a))
            .copied()
            .collect();
        for a in offered {
            self.count_offer(a, 1);
        }
    }

    /// Usage of every pool of `config` at `now`, in pool-id order, in O(pools) plus the leases
    /// and offers that lapsed since the last [`LeaseTable::expire`] (at most a second's worth
    /// when the server reclaims every second).
    pub fn usage_by_pool(&self, config: &Config, now: Timestamp) -> Vec<PoolUsage> {
        // Bound/Declined records past their time and offers past theirs, not yet reclaimed:
        // (bound, declined, offered, reserved held) to take off the counts; a lapsed record under
        // a live offer counts as offered again (a negative correction).
        let mut lapsed: Vec<(u64, u64, i64, u64)> = vec![(0, 0, 0, 0); self.pools.len()];
        for &(_, addr) in self.expiry.range(..=(now, Ipv4Addr::BROADCAST)) {
            let (Some(id), Some(l)) = (self.pool_of(addr), self.leases.get(&addr)) else {
                continue;
            };
            let live_offer = self.offer_holder(addr, now).is_some();
            if let Some(x) = lapsed.get_mut(id) {
                match l.state {
                    LeaseState::Declined => x.1 += 1,
                    _ => x.0 += 1,
                }
                if self.reserved.contains(&addr) {
                    x.3 += 1;
                }
                if live_offer {
                    x.2 -= 1;
                }
            }
        }
        for &(_, addr) in self.offer_expiry.range(..=(now, Ipv4Addr::BROADCAST)) {
            let held = self
                .leases
                .get(&addr)
                .is_some_and(|l| matches!(l.state, LeaseState::Bound | LeaseState::Declined));
            if held {
                continue; // counted as its record, not as an offer
            }
            if let Some(x) = self.pool_of(addr).and_then(|id| lapsed.get_mut(id)) {
                x.2 += 1;
            }
        }
        (0..config.pool_count())
            .filter_map(|id| {
                let (s, p) = config.pool(id)?;
                let c = self.pools.get(id)?.counts;
                let (lb, ld, lo, lr) = lapsed.get(id).copied().unwrap_or_default();
                let size = u64::from(u32::from(p.end)) - u64::from(u32::from(p.start)) + 1;
                let total = size.saturating_sub(c.excluded);
                let assigned = c.bound.saturating_sub(lb);
                let declined = c.declined.saturating_sub(ld);
                let offered =
                    u64::try_from(i64::try_from(c.offered).unwrap_or(i64::MAX) - lo).unwrap_or(0);
                let reserved = c
                    .reserved
                    .saturating_sub(c.reserved_held.saturating_sub(lr));
                Some(PoolUsage {
                    pool_id: id,
                    subnet_index: s,
                    subnet_id: config.subnets.get(s).map(|x| x.id).unwrap_or(0),
                    start: p.start,
                    end: p.end,
                    total,
                    assigned,
                    declined,
                    offered,
                    reserved,
                    free: total.saturating_sub(assigned + declined + offered + reserved),
                })
            })
            .collect()
    }

    /// Addresses of pool `pool_id` held by a binding (a Bound or Declined lease record; a lapsed
    /// one counts until [`LeaseTable::expire`] reclaims it), reserved addresses left out. Offers
    /// do not count: an offer is not a binding. O(1).
    pub fn pool_bindings(&self, pool_id: usize) -> u64 {
        self.pools
            .get(pool_id)
            .map(|p| {
                let c = p.counts;
                (c.bound + c.declined)
                    .saturating_sub(c.reserved_held)
                    .min(p.size)
            })
            .unwrap_or(0)
    }

    /// Addresses pools `pool_ids` may hand out, and how many of them are bound, in O(pools).
    pub fn link_fill(&self, pool_ids: &[usize]) -> (u64, u64) {
        pool_ids.iter().fold((0, 0), |(t, b), id| {
            let size = self.pools.get(*id).map(|p| p.size).unwrap_or(0);
            (t + size, b + self.pool_bindings(*id))
        })
    }

    /// True when the bindings of pools `pool_ids` are at or above `threshold` per cent of the
    /// addresses they may hand out (offers do not count). `threshold >= 100` is never reached.
    pub fn reserve_blocks(&self, pool_ids: &[usize], threshold: u8) -> bool {
        if threshold >= 100 {
            return false;
        }
        let (total, used) = self.link_fill(pool_ids);
        total > 0 && used * 100 >= total * u64::from(threshold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lease::{ClientKey, Lease, LeaseChange};
    use leasehold_wire::HwAddr;
    use std::net::Ipv4Addr;
    use std::path::Path;

    #[test]
    fn counts_assigned_declined_offered_reserved_and_free() {
        let cfg = Config::from_toml(
            r#"
[[subnet]]
subnet = "198.18.0.0/24"
[[subnet.pool]]
range = "198.18.0.10-198.18.0.19"
exclude = ["198.18.0.19"]
[[subnet.reservation]]
hw_address = "52:54:00:00:00:09"
address = "198.18.0.18"
"#,
            Path::new("t.toml"),
        )
        .expect("config");
        let client = |n: u8| ClientKey::HwAddr(HwAddr::ethernet([2, 0, 0, 0, 0, n]));
        let lease = |a: u8, state, expires| Lease {
            addr: Ipv4Addr::new(198, 18, 0, a),
            client: Some(client(a)),
            hwaddr: None,
            state,
            starts: 0,
            expires,
            hostname: None,
        };
        let table = {
            let mut t = LeaseTable::from_leases(
                &cfg,
                [
                    lease(10, LeaseState::Bound, 1000),
                    lease(11, LeaseState::Bound, 50), // expired at now = 100
                    lease(12, LeaseState::Declined, 1000),
                ],
            );
            t.apply(
                &[LeaseChange::Offer {
                    addr: Ipv4Addr::new(198, 18, 0, 13),
                    client: client(13),
                    until: 200,
                }],
                100,
            );
            t
        };
        let u = table.usage_by_pool(&cfg, 100);
        assert_eq!(u.len(), 1);
        let u = &u[0];
        assert_eq!(u.total, 9);
        assert_eq!(u.assigned, 1);
        assert_eq!(u.declined, 1);
        assert_eq!(u.offered, 1);
        assert_eq!(u.reserved, 1);
        assert_eq!(u.free, 5);
        assert!((u.utilization() - 4.0 / 9.0).abs() < 1e-9);
        // Once the offer lapses, its address is free again.
        assert_eq!(table.usage_by_pool(&cfg, 300)[0].offered, 0);
    }
}
