//! Address usage per pool, for metrics, the control API and alerts.

use super::LeaseTable;
use crate::config::Config;
use crate::lease::{LeaseState, Timestamp};

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

impl LeaseTable {
    /// Usage of every pool of `config` at `now`, in pool-id order. Costs one pass over the
    /// lease records and outstanding offers.
    pub fn usage_by_pool(&self, config: &Config, now: Timestamp) -> Vec<PoolUsage> {
        let mut out: Vec<PoolUsage> = (0..config.pool_count())
            .filter_map(|id| {
                let (s, p) = config.pool(id)?;
                let size = u64::from(u32::from(p.end)) - u64::from(u32::from(p.start)) + 1;
                Some(PoolUsage {
                    pool_id: id,
                    subnet_index: s,
                    subnet_id: config.subnets.get(s).map(|x| x.id).unwrap_or(0),
                    start: p.start,
                    end: p.end,
                    total: size.saturating_sub(p.exclude.len() as u64),
                    assigned: 0,
                    declined: 0,
                    offered: 0,
                    reserved: 0,
                    free: 0,
                })
            })
            .collect();
        let slot =
            |out: &mut Vec<PoolUsage>, id: usize| out.iter_mut().position(|u| u.pool_id == id);
        for lease in self.leases.values() {
            let Some(id) = self.pool_of(lease.addr) else {
                continue;
            };
            let Some(i) = slot(&mut out, id) else {
                continue;
            };
            if !lease.holds_address(now) {
                continue;
            }
            if let Some(u) = out.get_mut(i) {
                match lease.state {
                    LeaseState::Declined => u.declined += 1,
                    _ => u.assigned += 1,
                }
            }
        }
        for (addr, client) in &self.offered {
            if self.offer_holder(*addr, now) != Some(client) {
                continue;
            }
            if self.leases.get(addr).is_some_and(|l| l.holds_address(now)) {
                continue;
            }
            if let Some(i) = self.pool_of(*addr).and_then(|id| slot(&mut out, id)) {
                if let Some(u) = out.get_mut(i) {
                    u.offered += 1;
                }
            }
        }
        for s in &config.subnets {
            for r in &s.reservations {
                let Some(id) = self.pool_of(r.address) else {
                    continue;
                };
                let p = config.pool(id).map(|(_, p)| p);
                if p.is_some_and(|p| p.excludes(r.address)) {
                    continue;
                }
                if self
                    .leases
                    .get(&r.address)
                    .is_some_and(|l| l.holds_address(now))
                {
                    continue;
                }
                if let Some(u) = slot(&mut out, id).and_then(|i| out.get_mut(i)) {
                    u.reserved += 1;
                }
            }
        }
        for u in &mut out {
            u.free = u
                .total
                .saturating_sub(u.assigned + u.declined + u.offered + u.reserved);
        }
        out
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
