//! [`Server`]: the whole server decision, with no I/O: one call per event.
//!
//! The server owns the [`Engine`] (the RFC logic), the [`LeaseTable`] (lease state) and the
//! [`Guard`] (admission control), and is the only place that orders their steps:
//!
//! ```text
//! datagram ─► parse ─► guard.admit ─► engine.handle ─► [store backlog?] ─► table.apply
//!                                                                      ─► guard.observe ─► Verdict
//! ```
//!
//! The I/O layer makes one call per event and carries out the [`Verdict`]: it sends the reply at
//! once when [`Verdict::durable`] yields nothing, and otherwise only after those leases are committed
//! (never before; a failed commit withholds the reply). The same holds for the other entry
//! points: [`Server::tick`] (lease expiry, probation, lapsed offers), [`Server::reload`] (a new
//! configuration, `[security]` included, without a restart) and the administrative operations
//! ([`Server::add_lease`], [`Server::delete_lease`], [`Server::reclaim`]), which keep the guard's
//! per-circuit, per-relay and per-OUI counts right.
//!
//! Time is passed in ([`Clock`]): the lease clock in Unix seconds and a monotonic millisecond
//! clock for rate limits. Nothing here reads a clock, a socket or a disk, so every sequence of
//! events is reproducible in tests (this is quinn-proto's `Endpoint::handle` shape).

use crate::config::Config;
use crate::ddns::DnsIntent;
use crate::decision::{Arrival, Decision, Outcome, Reply};
use crate::engine::Engine;
use crate::guard::Guard;
use crate::lease::{ClientKey, Lease, LeaseChange, LeaseState, Timestamp, INFINITE};
use crate::pressure::{LinkStatus, Pressure};
use crate::reason::DropReason;
use crate::table::usage::PoolUsage;
use crate::table::LeaseTable;
use leasehold_wire::{HwAddr, Packet};
use std::net::Ipv4Addr;
use std::sync::Arc;

/// The time of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    /// The lease clock: Unix seconds.
    pub unix: Timestamp,
    /// A monotonic clock in milliseconds (rate limits); any origin.
    pub mono_ms: u64,
}

/// Whether the lease writer can take more durable work. When its queue is full (the disk is
/// stalled), requests whose answer needs a durable change are dropped (`store_backlog`) before
/// anything changes; replies that need no write (OFFER, NAK, INFORM) are still given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreRoom {
    /// The writer keeps up.
    Open,
    /// The writer's queue is full.
    Backlogged,
}

/// What the server decided for one datagram.
#[derive(Debug)]
pub struct Verdict {
    /// The parsed request; `None` when the datagram did not parse.
    pub request: Option<Packet>,
    /// The reply and where it goes (RFC 2131 §4.1), if any.
    pub reply: Option<Reply>,
    /// The lease changes made (already applied to the table); the durable ones
    /// ([`Verdict::durable`]) must be committed before [`Verdict::reply`] may leave.
    pub changes: Vec<LeaseChange>,
    /// What happened, for logs and metrics.
    pub outcome: Outcome,
    /// DNS records to hold for the address this verdict bound (a DHCPACK or BOOTP reply on a
    /// subnet whose `[ddns]` policy updates something): see [`DnsIntent`]. Carry it out after
    /// the durable changes are committed; never delays the reply. `None` otherwise.
    pub dns: Option<DnsIntent>,
}

impl Verdict {
    fn dropped(request: Option<Packet>, reason: DropReason) -> Verdict {
        Verdict {
            request,
            reply: None,
            changes: Vec::new(),
            outcome: Outcome::Dropped(reason),
            dns: None,
        }
    }

    /// The leases that must be committed before the reply leaves, in decision order.
    pub fn durable(&self) -> impl Iterator<Item = &Lease> {
        self.changes.iter().filter_map(|c| match c {
            LeaseChange::Put(lease) => Some(lease),
            _ => None,
        })
    }

    /// True when the reply must wait for the commit of [`Verdict::durable`].
    pub fn waits_for_commit(&self) -> bool {
        self.changes.iter().any(LeaseChange::is_durable)
    }
}

/// A lease an administrator adds (control API).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminLease {
    /// The address; must lie in a configured subnet.
    pub addr: Ipv4Addr,
    /// Who holds it.
    pub client: ClientKey,
    /// The client's hardware address, if known.
    pub hwaddr: Option<HwAddr>,
    /// Host name.
    pub hostname: Option<String>,
    /// Lease duration in seconds; `None` takes the subnet's `lease_time`; `u32::MAX` is infinite.
    pub lease_time: Option<u32>,
}

/// Why an administrative operation was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    /// The address is in no configured subnet.
    #[error("{0} is in no configured subnet")]
    NoSubnet(Ipv4Addr),
    /// The address is reserved for another client.
    #[error("{0} is reserved for another client")]
    ReservedForOther(Ipv4Addr),
    /// Another client holds the address (a lease or a live offer).
    #[error("{0} is held by another client")]
    HeldByOther(Ipv4Addr),
    /// A lease time of zero.
    #[error("lease_time must be positive")]
    ZeroLeaseTime,
    /// No lease record for the address.
    #[error("no lease for {0}")]
    NotFound(Ipv4Addr),
}

/// The sans-I/O server. See the module documentation.
#[derive(Debug)]
pub struct Server {
    engine: Engine,
    table: LeaseTable,
    guard: Guard,
    pressure: Pressure,
    /// Pressure transitions not yet taken by the runtime (at most one per link).
    changes: Vec<PressureChange>,
}

/// A link entered or left pressure (see [`crate::pressure`]), for logs and alerts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PressureChange {
    /// The link's name.
    pub link: String,
    /// True: entered pressure; false: left it.
    pub entered: bool,
}

impl Server {
    /// A server for `config` holding `leases` (as loaded from the store).
    pub fn new(config: Arc<Config>, leases: impl IntoIterator<Item = Lease>) -> Server {
        Server {
            table: LeaseTable::from_leases(&config, leases),
            guard: Guard::new(config.security.clone()),
            pressure: Pressure::new(&config),
            changes: Vec::new(),
            engine: Engine::new(config),
        }
    }

    /// Requests whose option 61 starts with `prefix` are this server's own rogue-server probes
    /// and are dropped (`own_probe`); see [`Guard::set_own_probe_prefix`].
    pub fn set_own_probe_prefix(&mut self, prefix: Vec<u8>) {
        self.guard.set_own_probe_prefix(prefix);
    }

    /// Decides what to do with one datagram that arrived as `arrival` at `clock`. Every state
    /// change (lease table, offers, guard) is made here; the caller only carries out the
    /// verdict. With [`StoreRoom::Backlogged`] a request that would need a durable change is
    /// dropped (`store_backlog`) and changes nothing.
    pub fn handle(
        &mut self,
        datagram: &[u8],
        arrival: &Arrival,
        clock: Clock,
        room: StoreRoom,
    ) -> Verdict {
        match Packet::parse(datagram) {
            Ok(request) => self.handle_packet(request, arrival, clock, room),
            Err(_) => {
                self.guard.count_drop(DropReason::ParseError);
                Verdict::dropped(None, DropReason::ParseError)
            }
        }
    }

    /// [`Server::handle`] for a request that is already parsed.
    pub fn handle_packet(
        &mut self,
        request: Packet,
        arrival: &Arrival,
        clock: Clock,
        room: StoreRoom,
    ) -> Verdict {
        let now = clock.unix;
        if let Err(reason) = self
            .guard
            .admit(&request, arrival, clock.mono_ms, now, &self.table)
        {
            return Verdict::dropped(Some(request), reason);
        }
        let (decision, note) =
            self.engine
                .handle(&request, arrival, clock, &self.table, &self.pressure);
        let durable = decision.changes.iter().any(LeaseChange::is_durable);
        if durable && room == StoreRoom::Backlogged {
            self.guard.count_drop(DropReason::StoreBacklog);
            return Verdict::dropped(Some(request), DropReason::StoreBacklog);
        }
        self.table.apply(&decision.changes, now);
        for c in &decision.changes {
            if let LeaseChange::Put(l) = c {
                if l.state != LeaseState::Bound {
                    self.pressure.lease_ended(l.addr, false);
                }
            }
        }
        if let Some(note) = note {
            self.pressure.observe(&note, now, clock.mono_ms);
            if let Some(entered) = self.pressure.update(note.link, now, &self.table) {
                self.pending_changes(note.link, entered);
            }
        }
        self.guard.observe(&request, &decision.changes);
        self.guard.record_outcome(&decision.outcome);
        let Decision {
            reply,
            changes,
            outcome,
            dns,
        } = decision;
        Verdict {
            request: Some(request),
            reply,
            changes,
            outcome,
            dns,
        }
    }

    /// Moves leases whose time is up at `now` to their next state (expiry, end of probation),
    /// forgets lapsed offers, and returns the records to commit (no reply waits for them).
    pub fn tick(&mut self, now: Timestamp) -> Vec<Lease> {
        let changed = self.table.expire(now);
        for l in &changed {
            self.guard.forget(l.addr);
            self.pressure.lease_ended(l.addr, true);
        }
        for (link, entered) in self.pressure.update_all(now, &self.table) {
            self.pending_changes(link, entered);
        }
        changed
    }

    fn pending_changes(&mut self, link: usize, entered: bool) {
        let link = self.pressure.link_name(link).to_string();
        self.pending_change(link, entered);
    }

    fn pending_change(&mut self, link: String, entered: bool) {
        // Bounded: at most one entry per link between two drains.
        self.changes.retain(|c| c.link != link);
        self.changes.push(PressureChange { link, entered });
    }

    /// The links that entered or left pressure since the last call (the runtime logs them and
    /// raises or clears an alert).
    pub fn take_pressure_changes(&mut self) -> Vec<PressureChange> {
        std::mem::take(&mut self.changes)
    }

    /// Read access to the links' pressure state.
    pub fn pressure(&self) -> &Pressure {
        &self.pressure
    }

    /// Pressure status of every link at `now` (metrics, API, alerts).
    pub fn pressure_status(&self, now: Timestamp) -> Vec<LinkStatus> {
        self.pressure.status(now, &self.table)
    }

    /// Reclaims leases whose time is up now (the control API's `reclaim`): the same as
    /// [`Server::tick`].
    pub fn reclaim(&mut self, now: Timestamp) -> Vec<Lease> {
        self.tick(now)
    }

    /// Serves `config` from the next event on: the pools are rebuilt (leases and offers kept)
    /// and the `[security]` limits take effect at once (rate-limit state starts afresh; the
    /// caps' counts of bound addresses are kept). Links whose pressure state the new settings
    /// change (e.g. `pressure = false`) are reported by [`Server::take_pressure_changes`].
    pub fn reload(&mut self, config: Arc<Config>) {
        self.table.rebuild_pools(&config);
        if config.security != self.engine.config().security {
            self.guard.reconfigure(config.security.clone());
        }
        let before = self.pressure.links_under();
        self.pressure.reconfigure(&config);
        let after = self.pressure.links_under();
        for link in before.iter().filter(|l| !after.contains(l)) {
            self.pending_change(link.clone(), false);
        }
        for link in after.iter().filter(|l| !before.contains(l)) {
            self.pending_change(link.clone(), true);
        }
        self.engine = Engine::new(config);
    }

    /// Adds (or replaces) a bound lease for an administrator. The returned lease is applied
    /// here and must be committed by the caller.
    pub fn add_lease(&mut self, new: AdminLease, now: Timestamp) -> Result<Lease, AdminError> {
        let config = self.engine.config();
        let subnet = config
            .subnet_for(new.addr)
            .and_then(|i| config.subnets.get(i))
            .ok_or(AdminError::NoSubnet(new.addr))?;
        if let Some((_, r)) = config.reservation_by_addr(new.addr) {
            if r.key.client() != Some(&new.client) {
                return Err(AdminError::ReservedForOther(new.addr));
            }
        }
        if !self.table.is_free_for(new.addr, &new.client, now) {
            return Err(AdminError::HeldByOther(new.addr));
        }
        let secs = new.lease_time.unwrap_or(subnet.lease.lease_time);
        if secs == 0 {
            return Err(AdminError::ZeroLeaseTime);
        }
        let lease = Lease {
            addr: new.addr,
            client: Some(new.client),
            hwaddr: new.hwaddr,
            state: LeaseState::Bound,
            starts: now,
            expires: if secs == u32::MAX {
                INFINITE
            } else {
                now.saturating_add(u64::from(secs))
            },
            hostname: new.hostname,
        };
        self.put_admin(lease.clone(), now);
        Ok(lease)
    }

    /// Frees `addr` for an administrator: its record becomes `expired` with no client. The
    /// returned record is applied here and must be committed by the caller.
    pub fn delete_lease(&mut self, addr: Ipv4Addr, now: Timestamp) -> Result<Lease, AdminError> {
        let old = self.table.by_addr(addr).ok_or(AdminError::NotFound(addr))?;
        let freed = Lease {
            addr,
            client: None,
            hwaddr: old.hwaddr,
            state: LeaseState::Expired,
            starts: now,
            expires: now,
            hostname: None,
        };
        self.put_admin(freed.clone(), now);
        Ok(freed)
    }

    /// Takes a record committed by another server sharing the store (from its change feed, or
    /// the store's record of an address whose write it refused): the table, the offers and the
    /// guard's counts follow it. An offer this server made of that address to another client
    /// is withdrawn. Nothing is returned to commit: the record is already in the store.
    pub fn sync_lease(&mut self, lease: Lease, now: Timestamp) {
        if self.table.by_addr(lease.addr) == Some(&lease) {
            return;
        }
        self.guard.observe_admin(&lease);
        self.table.apply(&[LeaseChange::Put(lease)], now);
    }

    /// Brings the table up to date with `all`, every current record of the shared store (after a
    /// start or an outage of the change feed): [`Server::sync_lease`] for each that differs.
    /// Returns how many differed.
    pub fn sync_all(&mut self, all: Vec<Lease>, now: Timestamp) -> usize {
        let mut changed = 0;
        for lease in all {
            if self.table.by_addr(lease.addr) != Some(&lease) {
                changed += 1;
                self.sync_lease(lease, now);
            }
        }
        changed
    }

    fn put_admin(&mut self, lease: Lease, now: Timestamp) {
        self.guard.observe_admin(&lease);
        self.pressure.lease_ended(lease.addr, false);
        self.table.apply(&[LeaseChange::Put(lease)], now);
    }

    /// The configuration in force.
    pub fn config(&self) -> &Arc<Config> {
        self.engine.config()
    }

    /// Read access to the lease table (lookups, listings).
    pub fn table(&self) -> &LeaseTable {
        &self.table
    }

    /// Read access to the admission guard (drop counts, state size).
    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    /// Usage of every pool at `now`, in O(pools).
    pub fn pool_usage(&self, now: Timestamp) -> Vec<PoolUsage> {
        self.table.usage_by_pool(self.engine.config(), now)
    }
}
