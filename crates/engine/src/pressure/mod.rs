//! The pressure defence against pool starvation, per link, with no I/O and fixed memory.
//!
//! A link (a subnet, or the subnets of one `shared_network`) is **under pressure** while new
//! clients bind on it faster than the trigger ([`PressureConfig::new_bindings`] per 60 s; by
//! default 10 % of its pool addresses, at least 10) or while its bindings are past
//! `pool_reserve_threshold`. It leaves pressure when the new clients' demand (bindings, and
//! DISCOVERs held back) falls below half the trigger and the bindings are below the threshold.
//!
//! Under pressure, for a **new** client (no lease record, no reservation, no live offer on the
//! link), the engine:
//! - answers a DISCOVER only when it is a retransmission ([`Sightings`]): forged one-shot
//!   identities (`dhcpstarv`, scapy floods) never get an offer, real clients get one on their
//!   first retry;
//! - grants a short lease ([`PressureConfig::lease_time`]); the client's first renewal gets the
//!   normal lease, so a forged binding that is never renewed comes back fast (counted as
//!   *reclaimed*).
//!
//! Past `pool_reserve_threshold` (pressure or not), offers to new clients are rationed: one per
//! `ration_seconds / free addresses`, so the last free addresses go slower than the first.
//!
//! The engine reads this state ([`Pressure::is_under`], [`Pressure::is_retransmission`],
//! [`Pressure::ration_allows`]) and reports what happened as a [`PressureNote`]; the
//! [`Server`](crate::Server) feeds the notes back ([`Pressure::observe`]) and runs
//! [`Pressure::update`] after each change, so every decision stays a pure function of its
//! inputs.

pub mod sightings;
pub mod window;

pub use sightings::Sightings;
pub use window::Window;

use crate::config::{Config, PressureConfig};
use crate::lease::{ClientKey, Timestamp};
use crate::table::LeaseTable;
use foldhash::HashMap;
use std::net::Ipv4Addr;

/// What the engine did that the pressure state must learn, for one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PressureNote {
    /// The link: the index of its first subnet.
    pub link: usize,
    /// What happened.
    pub kind: NoteKind,
}

/// See [`PressureNote`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoteKind {
    /// A new client's first DISCOVER under pressure was held back.
    Unseen(ClientKey),
    /// An offer to a new client was refused by the reserve's rationing.
    Rationed,
    /// A new client was offered an address; `rationed` when inside the reserve.
    Offered {
        /// The offer was counted against the reserve's rationing.
        rationed: bool,
    },
    /// A client was bound (ACK).
    Bound {
        /// The address.
        addr: Ipv4Addr,
        /// The client had no lease record on the link.
        new_client: bool,
        /// The lease was shortened to `pressure_lease_time`.
        short: bool,
    },
}

/// Counters and state of one link, for metrics, alerts and the API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkStatus {
    /// The link's name: its `shared_network`, else its subnet (CIDR).
    pub link: String,
    /// Pool addresses on the link.
    pub size: u64,
    /// Addresses bound (or declined) now.
    pub bound: u64,
    /// Under pressure now.
    pub under_pressure: bool,
    /// Since when (lease clock), when under pressure.
    pub since: Option<Timestamp>,
    /// New bindings on the link in the last minute.
    pub new_bindings_per_minute: u32,
    /// The trigger: new bindings per minute that put the link under pressure.
    pub trigger_per_minute: u32,
    /// Times the link entered pressure.
    pub entered_total: u64,
    /// Leases granted short under pressure.
    pub short_leases_total: u64,
    /// Short pressure leases that expired without a renewal (their addresses came back).
    pub reclaimed_total: u64,
    /// Short pressure leases that were renewed (the client was real).
    pub renewed_total: u64,
    /// First DISCOVERs of new clients held back under pressure.
    pub unseen_total: u64,
    /// Offers to new clients refused by the reserve's rationing.
    pub rationed_total: u64,
}

#[derive(Clone, Debug, Default)]
struct LinkState {
    name: String,
    pools: Vec<usize>,
    size: u64,
    trigger: u32,
    new_bindings: Window,
    demand: Window,
    under: bool,
    since: Timestamp,
    last_rationed_offer_ms: Option<u64>,
    entered: u64,
    short: u64,
    reclaimed: u64,
    renewed: u64,
    unseen: u64,
    rationed: u64,
}

/// Per-link pressure state and the sightings table. See the module documentation.
#[derive(Clone, Debug)]
pub struct Pressure {
    cfg: PressureConfig,
    reserve_threshold: u8,
    /// Indexed by subnet index; only a link's first subnet's entry is used.
    links: Vec<LinkState>,
    sightings: Sightings,
    /// Short pressure leases not renewed yet → their link. At most one entry per pool address.
    probation: HashMap<Ipv4Addr, usize>,
}

impl Pressure {
    /// The pressure state for `config` (all links calm).
    pub fn new(config: &Config) -> Self {
        let sec = &config.security;
        let mut p = Pressure {
            cfg: sec.pressure,
            reserve_threshold: sec.pool_reserve_threshold,
            links: Vec::new(),
            sightings: Sightings::new(sec.pressure.sightings),
            probation: HashMap::default(),
        };
        p.links = p.layout(config);
        p
    }

    fn layout(&self, config: &Config) -> Vec<LinkState> {
        let mut links = vec![LinkState::default(); config.subnets.len()];
        for (i, s) in config.subnets.iter().enumerate() {
            let link = config.link(i);
            if link.first() != Some(&i) {
                continue;
            }
            let pools: Vec<usize> = link
                .iter()
                .filter_map(|s| config.subnets.get(*s))
                .flat_map(|s| s.pools.iter().map(|p| p.id))
                .collect();
            let size: u64 = pools
                .iter()
                .filter_map(|id| config.pool(*id))
                .map(|(_, p)| u64::from(u32::from(p.end)) - u64::from(u32::from(p.start)) + 1)
                .sum();
            let auto = u32::try_from(size / 10).unwrap_or(u32::MAX).max(10);
            if let Some(l) = links.get_mut(i) {
                *l = LinkState {
                    name: s
                        .shared_network
                        .clone()
                        .unwrap_or_else(|| s.net.to_string()),
                    pools,
                    size,
                    trigger: self.cfg.new_bindings.unwrap_or(auto),
                    ..LinkState::default()
                };
            }
        }
        links
    }

    /// Serves `config` from now on: settings and link layout change, a link's counters and
    /// state are kept when its name is unchanged; sightings are kept.
    pub fn reconfigure(&mut self, config: &Config) {
        let sec = &config.security;
        self.cfg = sec.pressure;
        self.reserve_threshold = sec.pool_reserve_threshold;
        if self.sightings.capacity() != Sightings::new(sec.pressure.sightings).capacity() {
            self.sightings = Sightings::new(sec.pressure.sightings);
        }
        let mut links = self.layout(config);
        for new in links.iter_mut().filter(|l| !l.name.is_empty()) {
            if let Some(old) = self.links.iter().find(|o| o.name == new.name) {
                let (pools, size, trigger) = (new.pools.clone(), new.size, new.trigger);
                *new = LinkState {
                    pools,
                    size,
                    trigger,
                    ..old.clone()
                };
            }
        }
        self.links = links;
    }

    /// The settings in force.
    pub fn config(&self) -> &PressureConfig {
        &self.cfg
    }

    /// True when the link whose first subnet is `link` is under pressure.
    pub fn is_under(&self, link: usize) -> bool {
        self.cfg.enabled && self.links.get(link).is_some_and(|l| l.under)
    }

    /// True when this DISCOVER from `client` is a retransmission (see [`Sightings`]).
    pub fn is_retransmission(&self, client: &ClientKey, now_ms: u64) -> bool {
        self.sightings.is_retransmission(client, now_ms)
    }

    /// True when the reserve's rationing lets link `link` make one more offer to a new client
    /// at `now_ms`, with `free` addresses left: one per `ration_seconds / free`.
    pub fn ration_allows(&self, link: usize, free: u64, now_ms: u64) -> bool {
        let Some(last) = self.links.get(link).and_then(|l| l.last_rationed_offer_ms) else {
            return true;
        };
        let gap = u64::from(self.cfg.ration_seconds) * 1000 / free.max(1);
        now_ms >= last.saturating_add(gap)
    }

    /// Learns what the engine did (see [`PressureNote`]).
    pub fn observe(&mut self, note: &PressureNote, now: Timestamp, now_ms: u64) {
        let Some(l) = self.links.get_mut(note.link) else {
            return;
        };
        match &note.kind {
            NoteKind::Unseen(client) => {
                l.unseen += 1;
                l.demand.add(now);
                self.sightings.record(client, now_ms);
            }
            NoteKind::Rationed => {
                l.rationed += 1;
                l.demand.add(now);
            }
            NoteKind::Offered { rationed } => {
                if *rationed {
                    l.last_rationed_offer_ms = Some(now_ms);
                }
            }
            NoteKind::Bound {
                addr,
                new_client,
                short,
            } => {
                if *new_client {
                    l.new_bindings.add(now);
                    l.demand.add(now);
                }
                if *short {
                    l.short += 1;
                    self.probation.insert(*addr, note.link);
                } else if self.probation.remove(addr).is_some() {
                    l.renewed += 1;
                }
            }
        }
    }

    /// An address's lease ended otherwise than by renewal: `expired` (it ran out) or released,
    /// declined, deleted. A short pressure lease that ran out counts as reclaimed.
    pub fn lease_ended(&mut self, addr: Ipv4Addr, expired: bool) {
        if let Some(link) = self.probation.remove(&addr) {
            if let (true, Some(l)) = (expired, self.links.get_mut(link)) {
                l.reclaimed += 1;
            }
        }
    }

    /// Re-evaluates whether link `link` is under pressure at `now`. Returns `Some(true)` when it
    /// just entered pressure, `Some(false)` when it just left.
    pub fn update(&mut self, link: usize, now: Timestamp, table: &LeaseTable) -> Option<bool> {
        let enabled = self.cfg.enabled;
        let threshold = self.reserve_threshold;
        let l = self.links.get_mut(link)?;
        if !enabled {
            return None;
        }
        let full = table.reserve_blocks(&l.pools, threshold);
        let was = l.under;
        l.under = if was {
            full || l.demand.sum(now) >= l.trigger.div_ceil(2)
        } else {
            full || l.new_bindings.sum(now) >= l.trigger
        };
        if l.under && !was {
            l.entered += 1;
            l.since = now;
        }
        (l.under != was).then_some(l.under)
    }

    /// Re-evaluates every link (call once a second or so); returns the links that entered
    /// (`true`) or left (`false`) pressure.
    pub fn update_all(&mut self, now: Timestamp, table: &LeaseTable) -> Vec<(usize, bool)> {
        (0..self.links.len())
            .filter_map(|i| self.update(i, now, table).map(|c| (i, c)))
            .collect()
    }

    /// The status of every link at `now`.
    pub fn status(&self, now: Timestamp, table: &LeaseTable) -> Vec<LinkStatus> {
        self.links
            .iter()
            .filter(|l| !l.name.is_empty())
            .map(|l| LinkStatus {
                link: l.name.clone(),
                size: l.size,
                bound: l.pools.iter().map(|id| table.pool_bindings(*id)).sum(),
                under_pressure: self.cfg.enabled && l.under,
                since: (self.cfg.enabled && l.under).then_some(l.since),
                new_bindings_per_minute: l.new_bindings.sum(now),
                trigger_per_minute: l.trigger,
                entered_total: l.entered,
                short_leases_total: l.short,
                reclaimed_total: l.reclaimed,
                renewed_total: l.renewed,
                unseen_total: l.unseen,
                rationed_total: l.rationed,
            })
            .collect()
    }

    /// The names of the links under pressure now.
    pub fn links_under(&self) -> Vec<String> {
        (0..self.links.len())
            .filter(|i| self.is_under(*i))
            .map(|i| self.link_name(i).to_string())
            .collect()
    }

    /// The name of link `link`.
    pub fn link_name(&self, link: usize) -> &str {
        self.links.get(link).map(|l| l.name.as_str()).unwrap_or("")
    }

    /// Bytes of fixed-size state (the sightings table; links and probation are bounded by the
    /// configuration).
    pub fn memory_bytes(&self) -> usize {
        self.sightings.memory_bytes()
    }
}
