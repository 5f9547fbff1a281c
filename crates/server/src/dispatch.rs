//! [`Dispatcher`]: carries out the [`Server`]'s verdicts, with no socket of its own.
//!
//! The packet loop hands it each receive batch; it asks the server for a verdict per datagram,
//! sends the replies that need no disk write at the end of the batch, and submits the batch's
//! durable leases to the [`GroupCommitter`] as one submission whose replies the lease writer
//! sends after the commit, never before (a failed commit withholds them). When the writer's queue
//! is full ([`GroupCommitter::backlogged`]) the server is told so and decides no new durable work
//! (`store_backlog` drops), so a stalled disk bounds memory instead of growing it.
//!
//! Replies leave through a [`ReplySink`]: the UDP socket in production, a collecting sink in
//! tests, so the durability rule is tested in-process without a network.
//!
//! After each batch, tick and control request the dispatcher takes the links that entered or left
//! pressure ([`Server::take_pressure_changes`]), logs one `link_pressure` line per change and
//! publishes the new state at once, so the API, `/metrics` and the alert evaluator see it without
//! waiting for the next tick.

use crate::ddns::DnsFeed;
use crate::guard_report::GuardReport;
use crate::handle::{ControlError, ControlRequest, LeaseView, NewLease};
use crate::metrics::Metrics;
use crate::store_sync::{Retry, StoreEvent, StoreEvents};
use crate::usage::PoolSnapshot;
use leasehold_engine::{
    AdminError, AdminLease, Arrival, ClientKey, Clock, Config, Destination, Lease, LeaseChange,
    LeaseState, LinkStatus, Outcome, PressureChange, Server, StoreRoom, Timestamp,
};
use leasehold_net::Outgoing;
use leasehold_store::{FeedEvent, GroupCommitter, Rejected};
use leasehold_wire::{HwAddr, Packet};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;
use tracing::{debug, error, info, warn, Level};

/// Where replies go. Called from the packet loop (immediate replies) and from the lease writer
/// (replies after their commit); must not block.
pub trait ReplySink: Send + Sync + 'static {
    /// Sends `replies`; `meta[i]` is the kind and arrival time of `replies[i]` (for metrics).
    fn send(&self, replies: Replies);
}

/// Encoded replies with where they go, and for the metrics their kind and when their request
/// arrived.
#[derive(Debug, Default)]
pub struct Replies {
    /// The datagrams.
    pub outgoing: Vec<Outgoing>,
    /// Per datagram: its message type label and when its request arrived.
    pub meta: Vec<(&'static str, Instant)>,
}

impl Replies {
    fn push(&mut self, reply: Outgoing, kind: &'static str, started: Instant) {
        self.outgoing.push(reply);
        self.meta.push((kind, started));
    }

    /// Number of replies.
    pub fn len(&self) -> usize {
        self.outgoing.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.outgoing.is_empty()
    }
}

/// The current time in Unix seconds.
pub fn unix_now() -> Timestamp {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Owns the [`Server`] and carries out its verdicts. See the module documentation.
pub struct Dispatcher {
    server: Server,
    /// With a store several servers share: where refused records and the requests to decide
    /// again go (the packet loop's store events).
    shared: Option<StoreEvents>,
    committer: Arc<GroupCommitter>,
    sink: Arc<dyn ReplySink>,
    metrics: Arc<Metrics>,
    pools: watch::Sender<Arc<PoolSnapshot>>,
    /// Origin of the monotonic clock passed to the server (rate limits).
    origin: Instant,
    /// The periodic drop summary.
    report: GuardReport,
    /// With `[ddns]`: where committed lease changes go for their DNS updates.
    dns: Option<DnsFeed>,
}

/// What one receive batch decided: replies to send now, and durable leases with the replies
/// that wait for their commit.
#[derive(Default)]
struct Batch {
    immediate: Replies,
    durable: Vec<Lease>,
    after_commit: Replies,
    /// Per reply of `after_commit` (shared stores only): the addresses it depends on, and its
    /// request, to decide again if the store refuses one of them.
    waiting: Vec<Waiting>,
    /// The DNS wishes of `durable` (with `[ddns]`), handed to the updater after the commit.
    dns: Vec<leasehold_ddns::LeaseDns>,
}

/// A reply waiting for its commit to a shared store.
struct Waiting {
    addrs: Vec<std::net::Ipv4Addr>,
    retry: Retry,
}

impl Dispatcher {
    /// A dispatcher for `server`, committing through `committer`, replying through `sink`, and
    /// publishing pool usage on `pools`.
    pub fn new(
        server: Server,
        committer: Arc<GroupCommitter>,
        sink: Arc<dyn ReplySink>,
        metrics: Arc<Metrics>,
        pools: watch::Sender<Arc<PoolSnapshot>>,
    ) -> Dispatcher {
        let d = Dispatcher {
            server,
            shared: None,
            committer,
            sink,
            metrics,
            pools,
            origin: Instant::now(),
            report: GuardReport::default(),
            dns: None,
        };
        d.publish_usage(unix_now());
        d
    }

    /// Makes this dispatcher one of several servers on a shared store: records the store
    /// refuses go to `events` with the requests to decide again (see [`crate::store_sync`]).
    pub fn share_store(&mut self, events: StoreEvents) {
        self.shared = Some(events);
    }

    /// Hands the DNS work of every committed lease change to `feed` from now on (`[ddns]`).
    pub fn feed_dns(&mut self, feed: DnsFeed) {
        self.dns = Some(feed);
    }

    /// The DNS wishes of `leases` when DNS updates are on (empty otherwise).
    fn dns_wishes<'a>(
        &self,
        leases: impl IntoIterator<Item = &'a Lease>,
    ) -> Vec<leasehold_ddns::LeaseDns> {
        if self.dns.is_none() {
            return Vec::new();
        }
        let config = self.server.config();
        leases
            .into_iter()
            .filter_map(|l| crate::ddns::wish(config, l, None))
            .collect()
    }

    /// The server (read access, for tests and reports).
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// Handles one receive batch: every datagram in arrival order, then the immediate replies
    /// leave together and the durable leases go to the writer as one submission.
    pub fn handle_batch<'a>(&mut self, datagrams: impl IntoIterator<Item = (&'a [u8], Arrival)>) {
        let room = if self.committer.backlogged() {
            StoreRoom::Backlogged
        } else {
            StoreRoom::Open
        };
        let mut batch = Batch::default();
        for (datagram, arrival) in datagrams {
            self.handle_one(datagram, arrival, room, 0, &mut batch);
        }
        self.finish(batch);
        self.report_pressure(unix_now);
    }

    /// Decides one datagram; `attempt` > 0 when it is decided again after the shared store
    /// refused its record (it is then not counted as received again).
    fn handle_one(
        &mut self,
        datagram: &[u8],
        arrival: Arrival,
        room: StoreRoom,
        attempt: u8,
        b: &mut Batch,
    ) {
        let started = Instant::now();
        let now = unix_now();
        let clock = Clock {
            unix: now,
            mono_ms: u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        let mut verdict = self.server.handle(datagram, &arrival, clock, room);
        let Some(request) = verdict.request.take() else {
            self.metrics.on_parse_failure(now);
            debug!(source = %arrival.source, "dropped malformed packet");
            return;
        };
        if attempt == 0 {
            self.metrics.on_received(&request, now);
        }
        self.metrics
            .on_decision(&request, &arrival, &verdict, self.server.config(), now);
        log_transaction(&request, &arrival, &verdict.outcome, started);
        let before = b.durable.len();
        b.durable
            .extend(verdict.changes.drain(..).filter_map(|c| match c {
                LeaseChange::Put(lease) => Some(lease),
                _ => None,
            }));
        if self.dns.is_some() {
            let config = self.server.config();
            let intent = verdict.dns.take();
            for l in b.durable.get(before..).unwrap_or_default() {
                let i = intent.as_ref().filter(|i| i.addr == l.addr);
                b.dns.extend(crate::ddns::wish(config, l, i));
            }
        }
        let waits = b.durable.len() > before;
        let Some(reply) = verdict.reply else { return };
        let bytes = match reply.packet.encode(&reply.encode) {
            Ok(bytes) => bytes,
            Err(e) => {
                warn!(
                    xid = format_args!("{:#010x}", request.xid),
                    "reply not sent: {e}"
                );
                return;
            }
        };
        let kind = Metrics::reply_kind(&reply.packet);
        let outgoing = Outgoing {
            bytes,
            dest: adjust_for_loopback(reply.destination, &arrival),
            ifindex: arrival.ifindex,
            src: arrival.local_addr,
            local_port: arrival.local_port,
        };
        if waits {
            if self.shared.is_some() {
                b.waiting.push(Waiting {
                    addrs: b.durable[before..].iter().map(|l| l.addr).collect(),
                    retry: Retry {
                        datagram: datagram.to_vec(),
                        arrival,
                        attempt,
                    },
                });
            }
            b.after_commit.push(outgoing, kind, started);
        } else {
            b.immediate.push(outgoing, kind, started);
        }
    }

    /// Sends the immediate replies and submits the durable changes (with their replies).
    fn finish(&self, batch: Batch) {
        let Batch {
            immediate,
            durable,
            after_commit,
            waiting,
            dns,
        } = batch;
        if !immediate.is_empty() {
            self.sink.send(immediate);
        }
        if durable.is_empty() {
            return;
        }
        let sink = Arc::clone(&self.sink);
        let leases = durable.len();
        let health = self.metrics.store.clone();
        let shared = self.shared.clone();
        let feed = self.dns.clone();
        self.committer
            .submit_then(durable, unix_now(), move |result| match result {
                Ok(report) => {
                    health.commit_result(None);
                    if let Some(feed) = &feed {
                        feed.committed(written(dns, &report.rejected));
                    }
                    let replies = match &shared {
                        Some(events) if !report.rejected.is_empty() => {
                            withhold_refused(after_commit, waiting, report.rejected, events)
                        }
                        _ => after_commit,
                    };
                    if !replies.is_empty() {
                        sink.send(replies);
                    }
                }
                Err(e) => {
                    health.commit_result(Some(&e.to_string()));
                    error!(
                        leases,
                        withheld_replies = after_commit.len(),
                        "lease changes not persisted, their replies withheld: {e}"
                    )
                }
            });
    }

    /// Applies an event from the shared store at `now`: records other servers committed, or
    /// records the store refused (then the requests behind them are decided again).
    pub fn store_event(&mut self, event: StoreEvent, now: Timestamp) {
        match event {
            StoreEvent::Feed(FeedEvent::Snapshot(all)) => {
                let records = all.len();
                let changed = self.server.sync_all(all, now);
                info!(
                    records,
                    changed, "lease table synchronised with the shared lease database"
                );
                self.publish_usage(now);
            }
            StoreEvent::Feed(FeedEvent::Changed(records)) => {
                for lease in records {
                    self.server.sync_lease(lease, now);
                }
            }
            StoreEvent::Feed(FeedEvent::Down(_)) => {}
            StoreEvent::Rejected { current, retry } => {
                for lease in current {
                    debug!(address = %lease.addr, client = ?lease.client, "address taken by another server");
                    self.server.sync_lease(lease, now);
                }
                if retry.is_empty() {
                    return;
                }
                self.metrics
                    .store
                    .retried
                    .fetch_add(retry.len() as u64, std::sync::atomic::Ordering::Relaxed);
                let room = if self.committer.backlogged() {
                    StoreRoom::Backlogged
                } else {
                    StoreRoom::Open
                };
                let mut batch = Batch::default();
                for r in retry {
                    self.handle_one(&r.datagram, r.arrival, room, r.attempt + 1, &mut batch);
                }
                self.finish(batch);
            }
        }
        self.report_pressure(|| now);
    }

    /// Reclaims leases whose time is up at `now`, commits them, re-evaluates the links'
    /// pressure (logging the links that entered or left it), and publishes pool usage and
    /// pressure state.
    pub fn tick(&mut self, now: Timestamp) {
        let changed = self.server.tick(now);
        if !changed.is_empty() {
            debug!(count = changed.len(), "reclaimed expired leases");
            let health = self.metrics.store.clone();
            let shared = self.shared.clone();
            let dns = self.dns_wishes(&changed);
            let feed = self.dns.clone();
            self.committer
                .submit_then(changed, now, move |result| match result {
                    Ok(report) => {
                        health.commit_result(None);
                        if let Some(feed) = &feed {
                            feed.committed(written(dns, &report.rejected));
                        }
                        // Another server renewed what this one saw expire: take its record.
                        if let (Some(events), false) = (&shared, report.rejected.is_empty()) {
                            let current = report.rejected.into_iter().filter_map(|r| r.current);
                            let _ = events.send(StoreEvent::Rejected {
                                current: current.collect(),
                                retry: Vec::new(),
                            });
                        }
                    }
                    Err(e) => {
                        health.commit_result(Some(&e.to_string()));
                        error!("could not persist reclaimed leases: {e}");
                    }
                });
        }
        // After a failed commit, a server with nothing to commit still learns when the store is
        // back: a check on the lease writer's thread, once per tick while it is down.
        if self.metrics.store.writes_failing() {
            let health = self.metrics.store.clone();
            self.committer.query_then(
                |store| store.ping(),
                move |result| health.commit_result(result.err().map(|e| e.to_string()).as_deref()),
            );
        }
        if self.report_pressure(|| now) == 0 {
            self.publish_usage(now);
        }
        let port = self.server.config().server.server_port;
        self.report.tick(self.server.guard(), port);
    }

    /// Resolves once everything submitted so far is committed (or failed) and its replies were
    /// handed to the sink.
    pub async fn flush(&self) {
        let _ = self.committer.query(|_| Ok(())).await;
    }

    /// Publishes the pool usage and the links' pressure state at `now` (O(pools)) for
    /// `/metrics`, alerts, the API and the dashboard, and returns it.
    fn publish_usage(&self, now: Timestamp) -> Arc<PoolSnapshot> {
        let snapshot = Arc::new(PoolSnapshot {
            config: self.server.config().clone(),
            pools: self.server.pool_usage(now),
            links: self.server.pressure_status(now),
        });
        self.pools.send_replace(snapshot.clone());
        snapshot
    }

    /// Logs the links that entered or left pressure since the last call (one `link_pressure`
    /// line each) and, when there are any, publishes the new state at once. Returns how many.
    /// Costs one empty-vector check when nothing changed (`now` is only read when something did).
    fn report_pressure(&mut self, now: impl FnOnce() -> Timestamp) -> usize {
        let changes = self.server.take_pressure_changes();
        if changes.is_empty() {
            return 0;
        }
        let snapshot = self.publish_usage(now());
        for c in &changes {
            log_pressure(c, snapshot.links.iter().find(|s| s.link == c.link));
        }
        changes.len()
    }

    /// Answers a control request at `now`. Never blocks.
    pub fn control(&mut self, req: ControlRequest, now: Timestamp) {
        let config = self.server.config().clone();
        match req {
            ControlRequest::Health { reply } => {
                let _ = reply.send(config);
            }
            ControlRequest::Pools { reply } => {
                let _ = reply.send(self.publish_usage(now));
            }
            ControlRequest::GetLease { addr, reply } => {
                let view = self
                    .server
                    .table()
                    .by_addr(addr)
                    .map(|l| LeaseView::of(l, &config));
                let _ = reply.send(view);
            }
            ControlRequest::AddLease { lease, reply } => {
                let result = admin_lease(lease).and_then(|new| {
                    let l = self.server.add_lease(new, now).map_err(admin_error)?;
                    info!(address = %l.addr, client = ?l.client, "lease added through the control API");
                    if let Some(feed) = &self.dns {
                        feed.committed(self.dns_wishes([&l]));
                    }
                    let view = LeaseView::of(&l, &config);
                    Ok((view, self.committer.submit(vec![l], now)))
                });
                self.publish_usage(now);
                let _ = reply.send(result);
            }
            ControlRequest::DeleteLease { addr, reply } => {
                // The freed record has no client and no name: the DNS removal is decided from
                // the record as it was.
                let ended = self.server.table().by_addr(addr).map(|old| Lease {
                    state: LeaseState::Expired,
                    starts: now,
                    expires: now,
                    ..old.clone()
                });
                let result = self
                    .server
                    .delete_lease(addr, now)
                    .map_err(admin_error)
                    .map(|freed| {
                        info!(address = %addr, "lease deleted through the control API");
                        if let (Some(feed), Some(old)) = (&self.dns, &ended) {
                            feed.committed(self.dns_wishes([old]));
                        }
                        self.committer.submit(vec![freed], now)
                    });
                self.publish_usage(now);
                let _ = reply.send(result);
            }
            ControlRequest::Reclaim { reply } => {
                let changed = self.server.reclaim(now);
                if let Some(feed) = &self.dns {
                    feed.committed(self.dns_wishes(&changed));
                }
                let n = changed.len();
                let ticket = (!changed.is_empty()).then(|| self.committer.submit(changed, now));
                self.publish_usage(now);
                let _ = reply.send((n, ticket));
            }
            ControlRequest::Reload { config: new, reply } => {
                let warnings = restart_warnings(&config, &new);
                for w in &warnings {
                    warn!("{w}");
                }
                self.server.reload(new.clone());
                if let Some(feed) = &self.dns {
                    feed.converge(crate::ddns::wishes(&new, self.server.table().iter(), now));
                }
                info!(
                    subnets = new.subnets.len(),
                    leases = self.server.table().len(),
                    "configuration reloaded"
                );
                self.publish_usage(now);
                let _ = reply.send(warnings);
            }
        }
        // `reclaim` re-evaluates pressure like a tick; a reload may turn it on or off.
        self.report_pressure(|| now);
    }
}

/// The DNS wishes of a commit whose records were written: those of addresses the shared store
/// refused are left out (another server holds them; it does their DNS work).
fn written(
    mut dns: Vec<leasehold_ddns::LeaseDns>,
    rejected: &[Rejected],
) -> Vec<leasehold_ddns::LeaseDns> {
    if !rejected.is_empty() {
        dns.retain(|w| !rejected.iter().any(|r| r.wanted.addr == w.addr));
    }
    dns
}

/// Splits the replies of a commit to a shared store: those whose records were all written are
/// returned (to send); those with a refused record are withheld, and their requests go back to
/// the packet loop with the store's records, to be decided again (at most
/// [`crate::store_sync::MAX_RETRIES`] times).
fn withhold_refused(
    replies: Replies,
    waiting: Vec<Waiting>,
    rejected: Vec<Rejected>,
    events: &StoreEvents,
) -> Replies {
    let refused = |w: &Waiting| {
        w.addrs
            .iter()
            .any(|a| rejected.iter().any(|r| r.wanted.addr == *a))
    };
    let mut send = Replies::default();
    let mut retry = Vec::new();
    let Replies { outgoing, meta } = replies;
    for ((reply, (kind, started)), w) in outgoing.into_iter().zip(meta).zip(waiting) {
        if refused(&w) {
            info!(
                addresses = ?w.addrs,
                kind,
                "reply withheld: another server bound the address first; deciding again"
            );
            if w.retry.attempt < crate::store_sync::MAX_RETRIES {
                retry.push(w.retry);
            }
        } else {
            send.push(reply, kind, started);
        }
    }
    let current = rejected.into_iter().filter_map(|r| r.current).collect();
    let _ = events.send(StoreEvent::Rejected { current, retry });
    send
}

/// The `link_pressure` log line of one change: WARN when the link entered pressure, INFO when it
/// left; `status` is the link's state now (absent when a reload removed the link).
fn log_pressure(change: &PressureChange, status: Option<&LinkStatus>) {
    let rate = status.map_or(0, |s| s.new_bindings_per_minute);
    let trigger = status.map_or(0, |s| s.trigger_per_minute);
    let bound = status.map_or(0, |s| s.bound);
    let size = status.map_or(0, |s| s.size);
    if change.entered {
        warn!(
            event = "link_pressure",
            link = %change.link,
            state = %"entered",
            new_bindings_per_minute = rate,
            trigger,
            bound,
            size,
            "link under pressure: new clients must retransmit their DISCOVER and get a short first lease"
        );
    } else {
        info!(
            event = "link_pressure",
            link = %change.link,
            state = %"left",
            new_bindings_per_minute = rate,
            trigger,
            bound,
            size,
            "link no longer under pressure"
        );
    }
}

/// The engine's form of a lease from the API.
fn admin_lease(new: NewLease) -> Result<AdminLease, ControlError> {
    let hwaddr = match new.mac.as_deref() {
        None => None,
        Some(m) => Some(
            m.parse::<HwAddr>()
                .map_err(|_| ControlError::Invalid(format!("bad mac {m:?}")))?,
        ),
    };
    let client = match (&new.client_id, &hwaddr) {
        (Some(c), _) => ClientKey::ClientId(
            leasehold_wire::hex::decode(c)
                .filter(|b| !b.is_empty())
                .ok_or_else(|| ControlError::Invalid(format!("bad client_id {c:?}")))?,
        ),
        (None, Some(h)) => ClientKey::HwAddr(*h),
        (None, None) => {
            return Err(ControlError::Invalid(
                "a lease needs a mac or a client_id".to_string(),
            ))
        }
    };
    Ok(AdminLease {
        addr: new.address,
        client,
        hwaddr,
        hostname: new.hostname,
        lease_time: new.lease_time,
    })
}

fn admin_error(e: AdminError) -> ControlError {
    match e {
        AdminError::NoSubnet(_) | AdminError::ZeroLeaseTime => ControlError::Invalid(e.to_string()),
        AdminError::ReservedForOther(_) | AdminError::HeldByOther(_) => {
            ControlError::Conflict(e.to_string())
        }
        AdminError::NotFound(_) => ControlError::NotFound(e.to_string()),
    }
}

/// Settings a reload cannot change while running (`[security]` can: it applies at once).
fn restart_warnings(old: &Config, new: &Config) -> Vec<String> {
    let mut w = Vec::new();
    if old.server.server_port != new.server.server_port
        || old.server.listen_address != new.server.listen_address
        || old.server.interfaces != new.server.interfaces
    {
        w.push(
            "[server] listen_address, server_port and interfaces take effect at the next restart"
                .to_string(),
        );
    }
    if old.has_proxy() != new.has_proxy()
        || (new.has_proxy() && old.server.pxe_port != new.server.pxe_port)
    {
        w.push(
            "the proxy DHCP port ([server] pxe_port, opened while a subnet has proxy = true) \
             follows at the next restart; proxy offers on the server port apply now"
                .to_string(),
        );
    }
    if old.tftp != new.tftp || old.http_boot != new.http_boot {
        w.push("[tftp] and [http_boot] changes take effect at the next restart".to_string());
    }
    if old.store != new.store {
        w.push("[store] changes take effect at the next restart".to_string());
    }
    let updater = |c: &Config| {
        c.ddns.as_ref().map(|d| {
            (
                d.zones.clone(),
                d.keys.clone(),
                d.conflict_resolution,
                d.queue_limit,
            )
        })
    };
    if updater(old) != updater(new) {
        w.push(
            "[ddns] zones, keys, conflict_resolution and queue_limit (and turning DNS updates on \
             or off) take effect at the next restart; names and update modes apply now"
                .to_string(),
        );
    }
    if old.control != new.control {
        w.push("[control] changes take effect at the next restart".to_string());
    }
    if old.server.commit_delay_us != new.server.commit_delay_us
        || old.server.coalesce_us != new.server.coalesce_us
        || old.server.history_retention != new.server.history_retention
    {
        w.push(
            "[server] commit_delay_us, coalesce_us and history_retention take effect at the next restart"
                .to_string(),
        );
    }
    if old.security.probe_interval != new.security.probe_interval
        || old.security.detect_rogue_servers != new.security.detect_rogue_servers
        || old.security.allowed_servers != new.security.allowed_servers
    {
        w.push(
            "[security] detect_rogue_servers, probe_interval and allowed_servers take effect at the next restart (the other [security] keys apply now)"
                .to_string(),
        );
    }
    w
}

/// On the loopback interface there is no link to broadcast on and no ARP: every reply that is not
/// for a relay goes back to the datagram's source address and port. This is what lets the quick
/// start and tests run without root on 127.0.0.1.
fn adjust_for_loopback(dest: Destination, arrival: &Arrival) -> Destination {
    if !arrival.local_addr.is_loopback() || matches!(dest, Destination::Relay { .. }) {
        return dest;
    }
    Destination::Unicast {
        addr: *arrival.source.ip(),
        port: arrival.source.port(),
    }
}

/// One info line per transaction: xid, client, address, relay, outcome, latency. Costs one
/// level check when INFO is off (nothing below is computed then).
fn log_transaction(request: &Packet, arrival: &Arrival, outcome: &Outcome, started: Instant) {
    if !tracing::enabled!(Level::INFO) {
        return;
    }
    let kind = request.message_type().map(|m| m.name()).unwrap_or("BOOTP");
    let micros = started.elapsed().as_micros();
    let relay = (!request.giaddr.is_unspecified()).then_some(request.giaddr);
    let xid = format_args!("{:#010x}", request.xid);
    match outcome {
        Outcome::Dropped(reason) => debug!(
            %xid, kind, client = %request.chaddr, ?relay, source = %arrival.source,
            reason = reason.as_str(), "dropped"
        ),
        outcome => info!(
            %xid, kind, client = %request.chaddr, ?relay, ?outcome, latency_us = micros as u64, "transaction"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::restart_warnings;
    use leasehold_engine::Config;
    use std::path::Path;

    fn config(text: &str) -> Config {
        match Config::from_toml(text, Path::new("t.toml")) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn turning_proxy_dhcp_on_or_moving_its_port_needs_a_restart() {
        let plain = config("[[subnet]]\nsubnet = \"198.18.0.0/24\"\n");
        let proxy = config("[[subnet]]\nsubnet = \"198.18.0.0/24\"\nproxy = true\n");
        let moved = config(
            "[server]\npxe_port = 4012\n[[subnet]]\nsubnet = \"198.18.0.0/24\"\nproxy = true\n",
        );
        let says_pxe = |w: Vec<String>| w.iter().any(|m| m.contains("pxe_port"));
        assert!(says_pxe(restart_warnings(&plain, &proxy)));
        assert!(says_pxe(restart_warnings(&proxy, &plain)));
        assert!(says_pxe(restart_warnings(&proxy, &moved)));
        assert!(!says_pxe(restart_warnings(&proxy, &proxy)));
        assert!(restart_warnings(&plain, &plain).is_empty());
    }

    #[test]
    fn boot_file_services_follow_at_the_next_restart() {
        let subnet = "[[subnet]]\nsubnet = \"198.18.0.0/24\"\n";
        let none = config(subnet);
        let tftp = config(&format!("[tftp]\nroot = \"/srv/tftp\"\n{subnet}"));
        let moved = config(&format!(
            "[tftp]\nroot = \"/srv/tftp\"\nlisten = \"127.0.0.1:1069\"\n{subnet}"
        ));
        let http = config(&format!(
            "[http_boot]\nroot = \"/srv/tftp\"\nlisten = \"127.0.0.1:8069\"\n{subnet}"
        ));
        let says_boot = |w: Vec<String>| w.iter().any(|m| m.contains("[tftp] and [http_boot]"));
        assert!(says_boot(restart_warnings(&none, &tftp)));
        assert!(says_boot(restart_warnings(&tftp, &moved)));
        assert!(says_boot(restart_warnings(&none, &http)));
        assert!(!says_boot(restart_warnings(&tftp, &tftp)));
    }
}
