//! Prometheus metrics (`GET /metrics`), the per-10-second rate history behind the dashboard
//! chart, and per-subnet log levels.
//!
//! Counters are updated by the serve task as datagrams are handled ([`Metrics::on_received`],
//! [`Metrics::on_decision`], [`Metrics::on_sent`]). Pool usage, the links' pressure state and
//! store statistics are not kept here: they are computed at scrape time (pool usage and pressure
//! by the serve task, which owns the lease table; store statistics from
//! [`GroupCommitter::stats`]) and handed to [`Metrics::render`].
//! Names follow the Prometheus conventions; docs/metrics.md maps them to Kea's `pkt4-*` names.
//!
//! [`GroupCommitter::stats`]: leasehold_store::GroupCommitter::stats

use crate::store_sync::StoreHealth;
use leasehold_engine::{Arrival, Config, DropReason, LinkStatus, Outcome, PoolUsage, Verdict};
use leasehold_store::group_commit::LATENCY_BUCKETS_MICROS;
use leasehold_store::GroupCommitStats;
use leasehold_wire::Packet;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

/// Width of one rate-history bucket, seconds.
pub const RATE_BUCKET_SECS: u64 = 10;
/// Buckets kept in the rate history (10 minutes).
pub const RATE_BUCKETS: usize = 60;

type Label = [(&'static str, &'static str); 1];

/// Running totals that alerts and the dashboard read without going through Prometheus.
#[derive(Debug, Default)]
pub struct Totals {
    /// Requests received (parsed).
    pub requests: AtomicU64,
    /// ACKs decided.
    pub acks: AtomicU64,
    /// NAKs decided.
    pub naks: AtomicU64,
    /// DECLINEs accepted.
    pub declines: AtomicU64,
    /// Datagrams dropped (parse failures included).
    pub drops: AtomicU64,
}

/// Counts of one 10-second bucket of the rate history.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RateBucket {
    /// Unix time the bucket starts at (a multiple of [`RATE_BUCKET_SECS`]).
    pub start: u64,
    /// Requests received.
    pub requests: u64,
    /// OFFERs decided.
    pub offers: u64,
    /// ACKs decided.
    pub acks: u64,
    /// NAKs decided.
    pub naks: u64,
    /// Datagrams dropped.
    pub drops: u64,
}

/// What happened to a datagram, for the rate history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateEvent {
    /// A request was received.
    Request,
    /// An OFFER was decided.
    Offer,
    /// An ACK was decided.
    Ack,
    /// A NAK was decided.
    Nak,
    /// The datagram was dropped.
    Drop,
}

/// A ring of per-10-second counts covering the last [`RATE_BUCKETS`] buckets. Time is passed in.
#[derive(Clone, Debug, Default)]
pub struct RateHistory {
    buckets: VecDeque<RateBucket>,
}

impl RateHistory {
    /// Counts `event` at Unix time `now`.
    pub fn record(&mut self, now: u64, event: RateEvent) {
        let start = now - now % RATE_BUCKET_SECS;
        if self.buckets.back().is_none_or(|b| b.start < start) {
            self.buckets.push_back(RateBucket {
                start,
                ..RateBucket::default()
            });
            while self.buckets.len() > RATE_BUCKETS {
                self.buckets.pop_front();
            }
        }
        // A clock that stepped back counts into the newest bucket.
        if let Some(b) = self.buckets.back_mut() {
            match event {
                RateEvent::Request => b.requests += 1,
                RateEvent::Offer => b.offers += 1,
                RateEvent::Ack => b.acks += 1,
                RateEvent::Nak => b.naks += 1,
                RateEvent::Drop => b.drops += 1,
            }
        }
    }

    /// The last [`RATE_BUCKETS`] buckets ending with the one holding `now`, oldest first, with
    /// empty buckets filled in.
    pub fn snapshot(&self, now: u64) -> Vec<RateBucket> {
        let last = now - now % RATE_BUCKET_SECS;
        let first = last.saturating_sub(RATE_BUCKET_SECS * (RATE_BUCKETS as u64 - 1));
        (0..RATE_BUCKETS as u64)
            .map(|i| first + i * RATE_BUCKET_SECS)
            .filter(|s| *s <= last)
            .map(|start| {
                self.buckets
                    .iter()
                    .find(|b| b.start == start)
                    .copied()
                    .unwrap_or(RateBucket {
                        start,
                        ..RateBucket::default()
                    })
            })
            .collect()
    }
}

/// Values computed at scrape time.
#[derive(Debug, Default)]
struct ScrapeData {
    config: Option<Arc<Config>>,
    pools: Vec<PoolUsage>,
    links: Vec<LinkStatus>,
    store: GroupCommitStats,
}

/// Encodes the scrape-time values (pool usage, link pressure, store statistics) as metric
/// families.
#[derive(Debug)]
struct ScrapeCollector {
    data: Mutex<ScrapeData>,
    store: Arc<StoreHealth>,
    boot: std::sync::OnceLock<crate::boot_files::BootFileStats>,
    dns: std::sync::OnceLock<crate::ddns::DnsStatus>,
}

/// Per-subnet log verbosity, raisable at run time (`POST /api/log-level`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubnetLogLevel {
    /// The default: one info line per transaction, drops at debug.
    Info,
    /// Drops too are logged at info, with their reason.
    Debug,
    /// Additionally, every transaction's lease changes are logged at info.
    Trace,
}

/// Every metric of the server. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    received: Family<Label, Counter>,
    sent: Family<Label, Counter>,
    parse_failures: Counter,
    dropped: Family<Label, Counter>,
    naks: Family<Label, Counter>,
    declines: Counter,
    latency: Histogram,
    reloads: Family<Label, Counter>,
    scrape: Arc<ScrapeCollector>,
    /// Running totals (alerts, dashboard).
    pub totals: Totals,
    /// Whether the lease store is writable and its change feed connected.
    pub store: Arc<StoreHealth>,
    history: Mutex<RateHistory>,
    log_levels: RwLock<HashMap<u32, SubnetLogLevel>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A fresh set of metrics in its own registry.
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let received = Family::<Label, Counter>::default();
        let sent = Family::<Label, Counter>::default();
        let parse_failures = Counter::default();
        let dropped = Family::<Label, Counter>::default();
        let naks = Family::<Label, Counter>::default();
        let declines = Counter::default();
        let reloads = Family::<Label, Counter>::default();
        let latency = Histogram::new([
            0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
        ]);
        registry.register(
            "leasehold_packets_received",
            "DHCP/BOOTP requests received and parsed, by message type",
            received.clone(),
        );
        registry.register(
            "leasehold_packets_sent",
            "Replies sent, by message type",
            sent.clone(),
        );
        registry.register(
            "leasehold_parse_failures",
            "Datagrams that did not parse as DHCP/BOOTP",
            parse_failures.clone(),
        );
        registry.register(
            "leasehold_packets_dropped",
            "Requests answered with silence, by reason (parse failures have reason=\"parse_error\")",
            dropped.clone(),
        );
        registry.register(
            "leasehold_naks",
            "DHCPNAKs decided, by reason",
            naks.clone(),
        );
        registry.register(
            "leasehold_declines",
            "DHCPDECLINEs that put an address in probation",
            declines.clone(),
        );
        registry.register(
            "leasehold_reply_latency_seconds",
            "Time from a datagram's arrival to its reply's send, lease commit included",
            latency.clone(),
        );
        registry.register(
            "leasehold_config_reloads",
            "Configuration reloads, by result (ok, error)",
            reloads.clone(),
        );
        let store = Arc::new(StoreHealth::default());
        let scrape = Arc::new(ScrapeCollector {
            data: Mutex::default(),
            store: store.clone(),
            boot: std::sync::OnceLock::new(),
            dns: std::sync::OnceLock::new(),
        });
        registry.register_collector(Box::new(scrape.clone()));
        Metrics {
            registry,
            received,
            sent,
            parse_failures,
            dropped,
            naks,
            declines,
            latency,
            reloads,
            scrape,
            totals: Totals::default(),
            store,
            history: Mutex::new(RateHistory::default()),
            log_levels: RwLock::new(HashMap::new()),
        }
    }

    fn rate(&self, now: u64, event: RateEvent) {
        if let Ok(mut h) = self.history.lock() {
            h.record(now, event);
        }
    }

    /// A datagram that failed to parse.
    pub fn on_parse_failure(&self, now: u64) {
        self.parse_failures.inc();
        self.dropped
            .get_or_create(&[("reason", "parse_error")])
            .inc();
        self.totals.drops.fetch_add(1, Ordering::Relaxed);
        self.rate(now, RateEvent::Drop);
    }

    /// A parsed request, before admission and the engine.
    pub fn on_received(&self, request: &Packet, now: u64) {
        let kind = request.message_type().map(|m| m.name()).unwrap_or("BOOTP");
        self.received.get_or_create(&[("type", kind)]).inc();
        self.totals.requests.fetch_add(1, Ordering::Relaxed);
        self.rate(now, RateEvent::Request);
    }

    /// A request answered with silence, with the reason.
    pub fn on_dropped(&self, reason: DropReason, now: u64) {
        self.dropped
            .get_or_create(&[("reason", reason.as_str())])
            .inc();
        self.totals.drops.fetch_add(1, Ordering::Relaxed);
        self.rate(now, RateEvent::Drop);
    }

    /// The engine's decision about a request; `config` is the configuration that decided (for
    /// per-subnet log levels).
    pub fn on_decision(
        &self,
        request: &Packet,
        arrival: &Arrival,
        decision: &Verdict,
        config: &Config,
        now: u64,
    ) {
        match &decision.outcome {
            Outcome::Dropped(reason) => self.on_dropped(*reason, now),
            Outcome::Nak(reason) => {
                self.naks
                    .get_or_create(&[("reason", reason.as_str())])
                    .inc();
                self.totals.naks.fetch_add(1, Ordering::Relaxed);
                self.rate(now, RateEvent::Nak);
            }
            Outcome::Declined(_) => {
                self.declines.inc();
                self.totals.declines.fetch_add(1, Ordering::Relaxed);
            }
            Outcome::Acked(_) | Outcome::Informed | Outcome::Bootp(_) => {
                self.totals.acks.fetch_add(1, Ordering::Relaxed);
                self.rate(now, RateEvent::Ack);
            }
            Outcome::Offered(_) => self.rate(now, RateEvent::Offer),
            Outcome::Released(_) => {}
        }
        self.log_for_subnet(request, arrival, decision, config);
    }

    /// The type label of `reply` for [`Metrics::on_sent`].
    pub fn reply_kind(reply: &Packet) -> &'static str {
        reply.message_type().map(|m| m.name()).unwrap_or("BOOTP")
    }

    /// A reply of type `kind` left; `started` is when its request arrived.
    pub fn on_sent(&self, kind: &'static str, started: Instant) {
        self.sent.get_or_create(&[("type", kind)]).inc();
        self.latency.observe(started.elapsed().as_secs_f64());
    }

    /// A configuration reload attempt.
    pub fn on_reload(&self, ok: bool) {
        let result = if ok { "ok" } else { "error" };
        self.reloads.get_or_create(&[("result", result)]).inc();
    }

    /// The rate history at `now`, oldest bucket first.
    pub fn rates(&self, now: u64) -> Vec<RateBucket> {
        self.history
            .lock()
            .map(|h| h.snapshot(now))
            .unwrap_or_default()
    }

    /// Sets the log level of subnet `id` (Info removes the override).
    pub fn set_log_level(&self, id: u32, level: SubnetLogLevel) {
        if let Ok(mut m) = self.log_levels.write() {
            if level == SubnetLogLevel::Info {
                m.remove(&id);
            } else {
                m.insert(id, level);
            }
        }
    }

    /// Subnets whose log level is raised.
    pub fn log_levels(&self) -> HashMap<u32, SubnetLogLevel> {
        self.log_levels
            .read()
            .map(|m| m.clone())
            .unwrap_or_default()
    }

    /// Extra log lines for subnets whose level was raised at run time.
    fn log_for_subnet(
        &self,
        request: &Packet,
        arrival: &Arrival,
        decision: &Verdict,
        config: &Config,
    ) {
        let Ok(levels) = self.log_levels.read() else {
            return;
        };
        if levels.is_empty() {
            return;
        }
        // A proxy DHCP offer carries no address (0.0.0.0): it falls through to the relay, the
        // client's own address or the arrival address like a request without one.
        let addr = match decision.outcome {
            Outcome::Offered(a)
            | Outcome::Acked(a)
            | Outcome::Bootp(a)
            | Outcome::Released(a)
            | Outcome::Declined(a)
                if !a.is_unspecified() =>
            {
                a
            }
            _ if !request.giaddr.is_unspecified() => request.giaddr,
            _ if !request.ciaddr.is_unspecified() => request.ciaddr,
            _ => arrival.local_addr,
        };
        let Some(subnet) = config.subnet_for(addr).and_then(|i| config.subnets.get(i)) else {
            return;
        };
        let Some(level) = levels.get(&subnet.id).copied() else {
            return;
        };
        let xid = format_args!("{:#010x}", request.xid);
        if matches!(decision.outcome, Outcome::Dropped(_)) || level == SubnetLogLevel::Trace {
            tracing::info!(
                subnet = subnet.id,
                %xid,
                client = %request.chaddr,
                source = %arrival.source,
                outcome = ?decision.outcome,
                changes = ?(level == SubnetLogLevel::Trace).then_some(&decision.changes),
                "subnet {} transaction", subnet.net
            );
        }
    }

    /// Exports the counters of the boot-file services from now on (once, at start-up).
    pub fn attach_boot_files(&self, stats: crate::boot_files::BootFileStats) {
        let _ = self.scrape.boot.set(stats);
    }

    /// Exports the DNS updater's counters from now on (once, at start-up, with `[ddns]`).
    pub fn attach_dns(&self, status: crate::ddns::DnsStatus) {
        let _ = self.scrape.dns.set(status);
    }

    /// The DNS updater's status, when DNS updates are on (for alerts).
    pub fn dns(&self) -> Option<&crate::ddns::DnsStatus> {
        self.scrape.dns.get()
    }

    /// The OpenMetrics text of every metric, with `config`/`pools`/`links` (from the serve task)
    /// and `store` (from the group committer) as the scrape-time values.
    pub fn render(
        &self,
        config: Option<Arc<Config>>,
        pools: Vec<PoolUsage>,
        links: Vec<LinkStatus>,
        store: GroupCommitStats,
    ) -> String {
        if let Ok(mut d) = self.scrape.data.lock() {
            *d = ScrapeData {
                config,
                pools,
                links,
                store,
            };
        }
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

fn gauge<'a, L: prometheus_client::encoding::EncodeLabelSet>(
    enc: &mut DescriptorEncoder<'a>,
    name: &str,
    help: &str,
    rows: &[(L, f64)],
) -> Result<(), std::fmt::Error> {
    let mut m = enc.encode_descriptor(name, help, None, MetricType::Gauge)?;
    for (labels, v) in rows {
        ConstGauge::new(*v).encode(m.encode_family(labels)?)?;
    }
    Ok(())
}

pub(crate) fn gauge1(
    enc: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    v: f64,
) -> Result<(), std::fmt::Error> {
    ConstGauge::new(v).encode(enc.encode_descriptor(name, help, None, MetricType::Gauge)?)
}

pub(crate) fn counters<L: prometheus_client::encoding::EncodeLabelSet>(
    enc: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    rows: &[(L, u64)],
) -> Result<(), std::fmt::Error> {
    let mut m = enc.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (labels, v) in rows {
        ConstCounter::new(*v).encode(m.encode_family(labels)?)?;
    }
    Ok(())
}

/// One per-link metric family: name, help, and how to read its value from a link's status.
type LinkFamily<T> = (&'static str, &'static str, fn(&LinkStatus) -> T);

/// The per-link pressure families (see [`leasehold_engine::pressure`]), label `link`.
fn encode_pressure(
    enc: &mut DescriptorEncoder<'_>,
    links: &[LinkStatus],
) -> Result<(), std::fmt::Error> {
    type LinkLabel = [(&'static str, String); 1];
    let label = |s: &LinkStatus| -> LinkLabel { [("link", s.link.clone())] };
    let gauges: [LinkFamily<i64>; 3] = [
        (
            "leasehold_link_pressure",
            "1 while the link is under pressure (new clients must retransmit and get a short first lease), else 0",
            |s| i64::from(s.under_pressure),
        ),
        (
            "leasehold_link_new_bindings_per_minute",
            "New clients bound on the link in the last minute",
            |s| i64::from(s.new_bindings_per_minute),
        ),
        (
            "leasehold_link_pressure_trigger_per_minute",
            "New bindings per minute that put the link under pressure",
            |s| i64::from(s.trigger_per_minute),
        ),
    ];
    for (name, help, value) in gauges {
        let mut m = enc.encode_descriptor(name, help, None, MetricType::Gauge)?;
        for s in links {
            ConstGauge::new(value(s)).encode(m.encode_family(&label(s))?)?;
        }
    }
    let totals: [LinkFamily<u64>; 6] = [
        (
            "leasehold_pressure_entered",
            "Times the link entered pressure",
            |s| s.entered_total,
        ),
        (
            "leasehold_pressure_short_leases",
            "Leases granted short (pressure_lease_time) to new clients under pressure",
            |s| s.short_leases_total,
        ),
        (
            "leasehold_pressure_reclaimed",
            "Short pressure leases that expired without a renewal: their addresses came back",
            |s| s.reclaimed_total,
        ),
        (
            "leasehold_pressure_renewed",
            "Short pressure leases that were renewed (the client was real)",
            |s| s.renewed_total,
        ),
        (
            "leasehold_pressure_unseen",
            "First DISCOVERs of new clients held back under pressure (reason pressure_unseen)",
            |s| s.unseen_total,
        ),
        (
            "leasehold_pressure_rationed",
            "Offers to new clients refused by the reserve's rationing (reason pressure_rationed)",
            |s| s.rationed_total,
        ),
    ];
    for (name, help, value) in totals {
        let rows: Vec<(LinkLabel, u64)> = links.iter().map(|s| (label(s), value(s))).collect();
        counters(enc, name, help, &rows)?;
    }
    Ok(())
}

pub(crate) fn counter(
    enc: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    v: u64,
) -> Result<(), std::fmt::Error> {
    ConstCounter::new(v).encode(enc.encode_descriptor(name, help, None, MetricType::Counter)?)
}

impl Collector for ScrapeCollector {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Ok(d) = self.data.lock() else {
            return Ok(());
        };
        // Per pool.
        type PoolLabels = Vec<(&'static str, String)>;
        let pool_labels = |u: &PoolUsage| -> PoolLabels {
            vec![
                ("subnet_id", u.subnet_id.to_string()),
                ("pool", u.pool_id.to_string()),
                ("range", format!("{}-{}", u.start, u.end)),
            ]
        };
        let mut by_state: Vec<(PoolLabels, f64)> = Vec::new();
        for u in &d.pools {
            for (state, v) in [
                ("assigned", u.assigned),
                ("declined", u.declined),
                ("offered", u.offered),
                ("reserved", u.reserved),
                ("free", u.free),
            ] {
                let mut l = pool_labels(u);
                l.push(("state", state.to_string()));
                by_state.push((l, v as f64));
            }
        }
        gauge(
            &mut enc,
            "leasehold_pool_addresses",
            "Addresses of a pool by state (assigned, declined, offered, reserved, free)",
            &by_state,
        )?;
        let totals: Vec<(PoolLabels, f64)> = d
            .pools
            .iter()
            .map(|u| (pool_labels(u), u.total as f64))
            .collect();
        gauge(
            &mut enc,
            "leasehold_pool_capacity_addresses",
            "Addresses in a pool's range less its exclusions",
            &totals,
        )?;
        let util: Vec<(PoolLabels, f64)> = d
            .pools
            .iter()
            .map(|u| (pool_labels(u), u.utilization()))
            .collect();
        gauge(
            &mut enc,
            "leasehold_pool_utilization_ratio",
            "Share of a pool's addresses not free (0-1)",
            &util,
        )?;
        // Per subnet: the sums of its pools.
        let mut subnets: Vec<(u32, String, [u64; 6])> = Vec::new();
        for u in &d.pools {
            let net = d
                .config
                .as_ref()
                .and_then(|c| c.subnets.get(u.subnet_index))
                .map(|s| s.net.to_string())
                .unwrap_or_default();
            let i = match subnets.iter().position(|s| s.0 == u.subnet_id) {
                Some(i) => i,
                None => {
                    subnets.push((u.subnet_id, net, [0; 6]));
                    subnets.len() - 1
                }
            };
            if let Some(s) = subnets.get_mut(i) {
                let a = &mut s.2;
                a[0] += u.total;
                a[1] += u.assigned;
                a[2] += u.declined;
                a[3] += u.offered;
                a[4] += u.reserved;
                a[5] += u.free;
            }
        }
        let sl = |id: u32, net: &str| -> PoolLabels {
            vec![("subnet_id", id.to_string()), ("subnet", net.to_string())]
        };
        let mut rows = Vec::new();
        for (id, net, a) in &subnets {
            for (state, v) in [
                ("assigned", a[1]),
                ("declined", a[2]),
                ("offered", a[3]),
                ("reserved", a[4]),
                ("free", a[5]),
            ] {
                let mut l = sl(*id, net);
                l.push(("state", state.to_string()));
                rows.push((l, v as f64));
            }
        }
        gauge(
            &mut enc,
            "leasehold_subnet_addresses",
            "Pool addresses of a subnet by state",
            &rows,
        )?;
        let rows: Vec<(PoolLabels, f64)> = subnets
            .iter()
            .map(|(id, net, a)| (sl(*id, net), a[0] as f64))
            .collect();
        gauge(
            &mut enc,
            "leasehold_subnet_capacity_addresses",
            "Pool addresses of a subnet less exclusions",
            &rows,
        )?;
        let rows: Vec<(PoolLabels, f64)> = subnets
            .iter()
            .map(|(id, net, a)| {
                let used = a[0].saturating_sub(a[5]);
                let r = if a[0] == 0 {
                    0.0
                } else {
                    used as f64 / a[0] as f64
                };
                (sl(*id, net), r)
            })
            .collect();
        gauge(
            &mut enc,
            "leasehold_subnet_utilization_ratio",
            "Share of a subnet's pool addresses not free (0-1)",
            &rows,
        )?;
        encode_pressure(&mut enc, &d.links)?;
        if let Some(boot) = self.boot.get() {
            crate::boot_files::encode(boot, &mut enc)?;
        }
        if let Some(dns) = self.dns.get() {
            crate::ddns::encode(dns, &mut enc)?;
        }
        // Store.
        let s = &d.store;
        let h = &self.store;
        gauge1(
            &mut enc,
            "leasehold_store_up",
            "1 when the lease store takes commits (and, with several servers, its change feed is connected); 0 during an outage, when no ACK is sent",
            if h.up() { 1.0 } else { 0.0 },
        )?;
        if let Some(up) = h.feed_up() {
            gauge1(
                &mut enc,
                "leasehold_store_feed_up",
                "1 while the change feed from the shared lease database is connected",
                if up { 1.0 } else { 0.0 },
            )?;
        }
        counter(
            &mut enc,
            "leasehold_store_rejected",
            "Lease records the shared store refused because another server had bound the address first (their replies were withheld and the requests decided again)",
            s.rejected,
        )?;
        counter(
            &mut enc,
            "leasehold_store_remote_records",
            "Lease records other servers committed, received through the change feed",
            h.remote_records.load(Ordering::Relaxed),
        )?;
        counter(
            &mut enc,
            "leasehold_store_retried_requests",
            "Requests decided again after the shared store refused their lease record",
            h.retried.load(Ordering::Relaxed),
        )?;
        counter(
            &mut enc,
            "leasehold_store_commits",
            "Lease store transactions committed (each one fsync)",
            s.batches,
        )?;
        counter(
            &mut enc,
            "leasehold_store_commit_failures",
            "Lease store transactions that failed",
            s.failed_batches,
        )?;
        counter(
            &mut enc,
            "leasehold_store_committed_leases",
            "Lease records committed; divided by leasehold_store_commits_total: mean batch size",
            s.leases,
        )?;
        counter(
            &mut enc,
            "leasehold_store_committed_submissions",
            "Submissions (one per durable reply) committed",
            s.submissions,
        )?;
        gauge1(
            &mut enc,
            "leasehold_store_queue_submissions",
            "Submissions waiting for the lease writer",
            s.queued as f64,
        )?;
        gauge1(
            &mut enc,
            "leasehold_store_queue_leases",
            "Leases waiting for the lease writer (bounded: past the bound, durable work is dropped with reason store_backlog)",
            s.queued_leases as f64,
        )?;
        gauge1(
            &mut enc,
            "leasehold_store_last_batch_leases",
            "Leases in the most recent transaction",
            s.last_batch_leases as f64,
        )?;
        gauge1(
            &mut enc,
            "leasehold_store_max_batch_leases",
            "Largest transaction so far, in leases",
            s.max_batch_leases as f64,
        )?;
        let buckets: Vec<(f64, u64)> = LATENCY_BUCKETS_MICROS
            .iter()
            .zip(s.commit_latency_buckets.iter())
            .map(|(le, n)| {
                let le = if *le == u64::MAX {
                    f64::INFINITY
                } else {
                    *le as f64 / 1e6
                };
                (le, *n)
            })
            .collect();
        let mut m = enc.encode_descriptor(
            "leasehold_store_commit_duration_seconds",
            "Duration of a lease store transaction, fsync included",
            None,
            MetricType::Histogram,
        )?;
        m.encode_histogram::<prometheus_client::encoding::NoLabelSet>(
            s.commit_micros_sum as f64 / 1e6,
            s.batches,
            &buckets,
            None,
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_history_buckets_and_fills_gaps() {
        let mut h = RateHistory::default();
        h.record(1000, RateEvent::Request);
        h.record(1005, RateEvent::Ack);
        h.record(1031, RateEvent::Nak);
        let s = h.snapshot(1039);
        assert_eq!(s.len(), RATE_BUCKETS);
        let last = s.last().copied().unwrap_or_default();
        assert_eq!(last.start, 1030);
        assert_eq!(last.naks, 1);
        let b = s
            .iter()
            .find(|b| b.start == 1000)
            .copied()
            .unwrap_or_default();
        assert_eq!((b.requests, b.acks), (1, 1));
        assert!(s.iter().any(|b| b.start == 1010 && b.requests == 0));
        // Old buckets fall off.
        for i in 0..100u64 {
            h.record(2000 + i * RATE_BUCKET_SECS, RateEvent::Drop);
        }
        assert!(h.buckets.len() <= RATE_BUCKETS);
    }

    #[test]
    fn render_uses_prometheus_names() {
        let m = Metrics::new();
        m.on_parse_failure(1);
        m.on_dropped(DropReason::StoreBacklog, 1);
        let text = m.render(None, Vec::new(), Vec::new(), GroupCommitStats::default());
        assert!(
            text.contains("leasehold_packets_dropped_total{reason=\"store_backlog\"} 1"),
            "{text}"
        );
        assert!(text.contains("leasehold_store_queue_leases 0"), "{text}");
        assert!(text.contains("leasehold_parse_failures_total 1"), "{text}");
        assert!(
            text.contains("leasehold_packets_dropped_total{reason=\"parse_error\"} 1"),
            "{text}"
        );
        assert!(text.contains("leasehold_store_commit_duration_seconds_bucket"));
        assert!(text.trim_end().ends_with("# EOF"));
    }

    fn link(name: &str, under: bool, n: u64) -> LinkStatus {
        LinkStatus {
            link: name.to_string(),
            size: 100,
            bound: 40,
            under_pressure: under,
            since: under.then_some(1_000),
            new_bindings_per_minute: 25,
            trigger_per_minute: 10,
            entered_total: n,
            short_leases_total: n + 1,
            reclaimed_total: n + 2,
            renewed_total: n + 3,
            unseen_total: n + 4,
            rationed_total: n + 5,
        }
    }

    /// Every pressure family, per link: gauges as they are, the engine's absolute totals as
    /// counters (`_total`), with the link's name as the `link` label.
    #[test]
    fn render_has_the_pressure_families_per_link() {
        let m = Metrics::new();
        let links = vec![link("office", true, 3), link("198.18.1.0/24", false, 0)];
        let text = m.render(None, Vec::new(), links, GroupCommitStats::default());
        for line in [
            "# TYPE leasehold_link_pressure gauge",
            "leasehold_link_pressure{link=\"office\"} 1",
            "leasehold_link_pressure{link=\"198.18.1.0/24\"} 0",
            "leasehold_link_new_bindings_per_minute{link=\"office\"} 25",
            "leasehold_link_pressure_trigger_per_minute{link=\"office\"} 10",
            "# TYPE leasehold_pressure_entered counter",
            "leasehold_pressure_entered_total{link=\"office\"} 3",
            "leasehold_pressure_entered_total{link=\"198.18.1.0/24\"} 0",
            "leasehold_pressure_short_leases_total{link=\"office\"} 4",
            "leasehold_pressure_reclaimed_total{link=\"office\"} 5",
            "leasehold_pressure_renewed_total{link=\"office\"} 6",
            "leasehold_pressure_unseen_total{link=\"office\"} 7",
            "leasehold_pressure_rationed_total{link=\"office\"} 8",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "no line {line:?} in\n{text}"
            );
        }
        // Without links (before the first publication) the families are empty, not missing.
        let text = m.render(None, Vec::new(), Vec::new(), GroupCommitStats::default());
        assert!(
            text.contains("# TYPE leasehold_link_pressure gauge"),
            "{text}"
        );
        assert!(!text.contains("leasehold_link_pressure{"), "{text}");
    }
}
