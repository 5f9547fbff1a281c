//! Alerts: thresholds from `[alerts]`, evaluated every few seconds; a structured log event when
//! an alert is raised and when it clears, and an optional JSON webhook POST for both.
//!
//! Conditions:
//! - `pool_utilization:<pool id>`: a pool's utilisation ≥ `pool_utilization_percent`.
//! - `nak_rate`, `decline_rate`, `drop_rate`: events per second averaged over `window` seconds
//!   ≥ the threshold.
//! - `rogue_server:<address>`: another DHCP server's OFFER was seen (fed by the rogue detector
//!   through [`Alerts::raise_rogue`], de-duplicated: one sighting per server per
//!   [`crate::rogue::REFRESH`] while it keeps answering); clears when none was seen for `window`
//!   seconds (at least [`ROGUE_MIN_QUIET`], so a server that keeps answering never flaps).
//!   At most [`MAX_ROGUE_ALERTS`] servers have an alert of their own; sightings of further
//!   servers raise the single aggregate [`ROGUE_MORE_KEY`] (value: how many), so forged server
//!   ids can grow neither memory nor the alert list.
//! - `link_pressure:<link>`: the link is under pressure (see [`leasehold_engine::pressure`]), from
//!   the state the packet loop publishes; value: new bindings in the last minute, threshold: the
//!   trigger; `since` is when the link entered pressure. Cleared when it leaves (or the link is
//!   no longer configured). A link that entered and left pressure between two evaluations (its
//!   `entered_total` grew) is raised and cleared in the same evaluation, so no transition goes
//!   unreported. One alert per link at most: links come from the configuration, not from
//!   traffic.
//!
//! - `store_down`: the lease store cannot be written (the last commit failed) or, with several
//!   servers on one database, its change feed is lost; message: the last error. While it is
//!   raised no ACK leaves (see [`crate::store_sync`]).
//!
//! - `ddns_refused:<server>`: a DNS server answered [`DNS_REFUSALS`] or more updates in a row
//!   with REFUSED or NOTAUTH (a wrong TSIG key, or an update policy that does not allow
//!   Leasehold); value: refusals in a row. DHCP goes on; the updates are retried with back-off.
//!   Clears at the server's next accepted update. Servers come from `[[ddns.zone]]`, so the
//!   alerts are bounded by the configuration.
//!
//! Every alert clears when its condition ends. Time is passed in, so the logic is unit-tested
//! without a clock.
//!
//! **Webhook**: raise and clear events wait in a bounded outbox ([`WEBHOOK_QUEUE`]) until the
//! evaluator ([`spawn_evaluator`]) hands them, without waiting, to a bounded queue
//! ([`WebhookQueue`]) read by a poster task of their own; when either is full, events
//! are dropped, counted and logged. A slow or unreachable webhook therefore never delays an
//! evaluation.

use crate::metrics::Metrics;
use crate::rogue::RogueServer;
use crate::usage::PoolWatch;
use leasehold_engine::config::AlertsConfig;
use leasehold_engine::{LinkStatus, PoolUsage};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::Ipv4Addr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// How often the evaluator runs.
pub const EVALUATE_EVERY: Duration = Duration::from_secs(5);
/// Raise/clear events kept for `GET /api/alerts` and the dashboard.
pub const RECENT_EVENTS: usize = 50;
/// Most rogue servers with an alert of their own (`rogue_server:<address>`).
pub const MAX_ROGUE_ALERTS: usize = 64;
/// Key of the one alert for the sightings of rogue servers beyond [`MAX_ROGUE_ALERTS`].
pub const ROGUE_MORE_KEY: &str = "rogue_server:more";
/// Shortest quiet time, in seconds, after which a rogue alert clears whatever `window` says:
/// twice [`crate::rogue::REFRESH`], the longest a server that keeps answering goes unrefreshed.
pub const ROGUE_MIN_QUIET: u64 = 2 * crate::rogue::REFRESH.as_secs();
/// Key of the alert raised while the lease store is down.
pub const STORE_DOWN_KEY: &str = "store_down";

/// Prefix of the key of a DNS server's refusal alert (`ddns_refused:<server>`).
pub const DNS_REFUSED_PREFIX: &str = "ddns_refused:";

/// Refusals in a row that raise `ddns_refused:<server>`.
pub const DNS_REFUSALS: u32 = 3;

/// Prefix of the key of a link's pressure alert (`link_pressure:<link>`).
pub const PRESSURE_PREFIX: &str = "link_pressure:";
/// Most webhook events waiting in the outbox, and in the queue to the poster task.
pub const WEBHOOK_QUEUE: usize = 256;

/// An alert that is raised now.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Alert {
    /// Stable key, e.g. `pool_utilization:0`, `nak_rate`, `rogue_server:198.18.0.9`.
    pub key: String,
    /// Human-readable description.
    pub message: String,
    /// The measured value when last evaluated.
    pub value: f64,
    /// The configured threshold.
    pub threshold: f64,
    /// Unix time it was raised.
    pub since: u64,
}

/// A raise or a clear.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlertEvent {
    /// Unix time of the event.
    pub at: u64,
    /// `raised` or `cleared`.
    pub event: &'static str,
    /// The alert's key.
    pub key: String,
    /// Description.
    pub message: String,
    /// Measured value.
    pub value: f64,
    /// Threshold.
    pub threshold: f64,
}

/// Cumulative counters and pool usage at one evaluation.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// NAKs since start.
    pub naks: u64,
    /// DECLINEs since start.
    pub declines: u64,
    /// Drops since start.
    pub drops: u64,
    /// Usage of every pool.
    pub pools: Vec<PoolUsage>,
    /// Pressure state of every link.
    pub links: Vec<LinkStatus>,
    /// Why the lease store is down (a commit failed or the shared database's change feed is
    /// lost); `None` while it is up.
    pub store_down: Option<String>,
    /// DNS servers refusing updates, with their refusals in a row (`[ddns]`).
    pub dns_refusing: Vec<(std::net::SocketAddr, u32)>,
}

/// Active alerts and recent events, for the API.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Snapshot {
    /// Raised now, by key.
    pub active: Vec<Alert>,
    /// Latest raise/clear events, newest last.
    pub recent: Vec<AlertEvent>,
}

#[derive(Debug, Default)]
struct Inner {
    config: AlertsConfig,
    active: BTreeMap<String, Alert>,
    recent: VecDeque<AlertEvent>,
    /// (time, naks, declines, drops).
    samples: VecDeque<(u64, u64, u64, u64)>,
    /// Last sighting of each rogue server with an alert of its own (at most
    /// [`MAX_ROGUE_ALERTS`]).
    rogues: HashMap<Ipv4Addr, u64>,
    /// Sightings of further rogue servers while [`ROGUE_MORE_KEY`] is raised.
    rogue_more: Option<RogueMore>,
    /// Events not yet handed to the webhook poster (at most [`WEBHOOK_QUEUE`]).
    outbox: VecDeque<AlertEvent>,
    /// Events dropped from a full outbox since start.
    outbox_dropped: u64,
    /// Per configured link: its `entered_total` at the last evaluation.
    pressure_entered: HashMap<String, u64>,
}

/// The aggregate alert's state.
#[derive(Clone, Copy, Debug)]
struct RogueMore {
    /// Last sighting counted.
    last: u64,
    /// Sightings counted since it was raised.
    count: u64,
}

/// The alert state. Share it behind an `Arc`.
#[derive(Debug, Default)]
pub struct Alerts {
    inner: Mutex<Inner>,
}

impl Inner {
    /// Sets alert `key` on or off; returns the raise or clear event when its state changed.
    fn set(
        &mut self,
        now: u64,
        key: String,
        on: bool,
        value: f64,
        threshold: f64,
        msg: String,
    ) -> Option<AlertEvent> {
        let event = match (on, self.active.get_mut(&key)) {
            (true, Some(a)) => {
                a.value = value;
                a.message = msg;
                return None;
            }
            (true, None) => {
                self.active.insert(
                    key.clone(),
                    Alert {
                        key: key.clone(),
                        message: msg.clone(),
                        value,
                        threshold,
                        since: now,
                    },
                );
                warn!(alert = %key, value, threshold, "alert raised: {msg}");
                "raised"
            }
            (false, Some(_)) => {
                self.active.remove(&key);
                info!(alert = %key, value, threshold, "alert cleared: {msg}");
                "cleared"
            }
            (false, None) => return None,
        };
        let e = AlertEvent {
            at: now,
            event,
            key,
            message: msg,
            value,
            threshold,
        };
        self.recent.push_back(e.clone());
        while self.recent.len() > RECENT_EVENTS {
            self.recent.pop_front();
        }
        if self.config.webhook.is_some() {
            if self.outbox.len() >= WEBHOOK_QUEUE {
                self.outbox.pop_front();
                self.outbox_dropped += 1;
            }
            self.outbox.push_back(e.clone());
        }
        Some(e)
    }

    /// Raises `link_pressure:<link>` for the links under pressure and clears it for the others;
    /// see the module documentation.
    fn evaluate_pressure(&mut self, now: u64, links: &[LinkStatus]) -> Vec<AlertEvent> {
        let mut ran = Vec::new();
        for s in links {
            let key = format!("{PRESSURE_PREFIX}{}", s.link);
            let last = self
                .pressure_entered
                .insert(s.link.clone(), s.entered_total)
                .unwrap_or(0);
            let since = s.since.unwrap_or(now);
            let rate = f64::from(s.new_bindings_per_minute);
            let trigger = f64::from(s.trigger_per_minute);
            let raised = format!(
                "link {} is under pressure since {since} (Unix time): {} new bindings in the last minute, trigger {}; {} of {} addresses bound; new clients must retransmit their DISCOVER and get a short first lease",
                s.link, s.new_bindings_per_minute, s.trigger_per_minute, s.bound, s.size
            );
            let cleared = format!(
                "link {} is no longer under pressure: {} new bindings in the last minute, trigger {}; {} of {} addresses bound",
                s.link, s.new_bindings_per_minute, s.trigger_per_minute, s.bound, s.size
            );
            if !s.under_pressure && s.entered_total > last && !self.active.contains_key(&key) {
                // Entered and left since the last evaluation: report both.
                ran.extend(self.set(now, key.clone(), true, rate, trigger, raised.clone()));
            }
            let msg = if s.under_pressure { raised } else { cleared };
            ran.extend(self.set(now, key.clone(), s.under_pressure, rate, trigger, msg));
            if let (true, Some(a)) = (s.under_pressure, self.active.get_mut(&key)) {
                a.since = since;
            }
        }
        // Links no longer configured (reload) clear and are forgotten.
        self.pressure_entered
            .retain(|link, _| links.iter().any(|s| s.link == *link));
        let stale: Vec<String> = self
            .active
            .keys()
            .filter(|k| {
                k.strip_prefix(PRESSURE_PREFIX)
                    .is_some_and(|link| !links.iter().any(|s| s.link == link))
            })
            .cloned()
            .collect();
        for k in stale {
            ran.extend(self.set(now, k, false, 0.0, 0.0, "link no longer configured".into()));
        }
        ran
    }
}

impl Alerts {
    /// Alerts with thresholds `config`.
    pub fn new(config: AlertsConfig) -> Alerts {
        Alerts {
            inner: Mutex::new(Inner {
                config,
                ..Inner::default()
            }),
        }
    }

    /// New thresholds (after a reload). Alerts whose threshold was removed clear at the next
    /// evaluation.
    pub fn set_config(&self, config: AlertsConfig) {
        if let Ok(mut i) = self.inner.lock() {
            i.config = config;
        }
    }

    /// Records that another DHCP server was seen answering at `now` (a de-duplicated sighting
    /// from the rogue monitor) and raises `rogue_server:<server id>` at once, or keeps it raised
    /// (unless `rogue_servers = false`); the message names its MAC address too (`unknown` when it
    /// could not be learnt). Beyond [`MAX_ROGUE_ALERTS`] servers the sighting is counted in
    /// [`ROGUE_MORE_KEY`] instead.
    pub fn raise_rogue(&self, rogue: &RogueServer, now: u64) {
        let server = rogue.server_id;
        let Ok(mut i) = self.inner.lock() else { return };
        if !i.config.rogue_servers {
            return;
        }
        if i.rogues.contains_key(&server) || i.rogues.len() < MAX_ROGUE_ALERTS {
            i.rogues.insert(server, now);
            let count = i.rogues.len() as f64;
            i.set(
                now,
                format!("rogue_server:{server}"),
                true,
                count,
                0.0,
                format!("another DHCP server is answering: {}", rogue.describe()),
            );
            return;
        }
        let more = i.rogue_more.get_or_insert(RogueMore {
            last: now,
            count: 0,
        });
        more.last = now;
        more.count += 1;
        let count = more.count;
        i.set(
            now,
            ROGUE_MORE_KEY.to_string(),
            true,
            count as f64,
            MAX_ROGUE_ALERTS as f64,
            format!(
                "{count} sightings of DHCP servers beyond the {MAX_ROGUE_ALERTS} with an alert of their own (forged server ids?); see the rogue_dhcp_server log lines"
            ),
        );
    }

    /// Rogue servers with an alert of their own now (never more than [`MAX_ROGUE_ALERTS`]).
    pub fn rogue_alerts(&self) -> usize {
        self.inner.lock().map(|i| i.rogues.len()).unwrap_or(0)
    }

    /// Webhook events dropped because the outbox was full (the poster fell behind), since start.
    pub fn outbox_dropped(&self) -> u64 {
        self.inner.lock().map(|i| i.outbox_dropped).unwrap_or(0)
    }

    /// Evaluates every condition at `now` and returns the raise/clear events it caused.
    pub fn evaluate(&self, now: u64, inputs: &Inputs) -> Vec<AlertEvent> {
        let Ok(mut i) = self.inner.lock() else {
            return Vec::new();
        };
        let mut ran = Vec::new();
        let cfg = i.config.clone();
        let window = u64::from(cfg.window);

        // Pools.
        let mut seen = Vec::new();
        for u in &inputs.pools {
            let key = format!("pool_utilization:{}", u.pool_id);
            let pct = u.utilization() * 100.0;
            let threshold = cfg.pool_utilization_percent;
            let on = threshold.is_some_and(|t| u.total > 0 && pct >= t);
            ran.extend(i.set(
                now,
                key.clone(),
                on,
                pct,
                threshold.unwrap_or(0.0),
                format!(
                    "pool {}-{} of subnet {} is {pct:.1}% used ({} free of {})",
                    u.start, u.end, u.subnet_id, u.free, u.total
                ),
            ));
            seen.push(key);
        }
        // Pools that disappeared (reload) clear.
        let stale: Vec<String> = i
            .active
            .keys()
            .filter(|k| k.starts_with("pool_utilization:") && !seen.contains(k))
            .cloned()
            .collect();
        for k in stale {
            ran.extend(i.set(now, k, false, 0.0, 0.0, "pool no longer configured".into()));
        }

        // Links under pressure.
        ran.extend(i.evaluate_pressure(now, &inputs.links));

        // The lease store.
        ran.extend(i.set(
            now,
            STORE_DOWN_KEY.to_string(),
            inputs.store_down.is_some(),
            f64::from(u8::from(inputs.store_down.is_some())),
            0.0,
            match &inputs.store_down {
                Some(why) => format!("the lease store is down, no ACK is sent: {why}"),
                None => "the lease store is up".to_string(),
            },
        ));

        // DNS servers refusing updates.
        let mut refusing = Vec::new();
        for (server, n) in &inputs.dns_refusing {
            let key = format!("{DNS_REFUSED_PREFIX}{server}");
            let on = *n >= DNS_REFUSALS;
            ran.extend(i.set(
                now,
                key.clone(),
                on,
                f64::from(*n),
                f64::from(DNS_REFUSALS),
                format!(
                    "DNS server {server} refused {n} updates in a row (REFUSED/NOTAUTH): check the TSIG key and the zone's update policy"
                ),
            ));
            refusing.push(key);
        }
        let stale: Vec<String> = i
            .active
            .keys()
            .filter(|k| k.starts_with(DNS_REFUSED_PREFIX) && !refusing.contains(k))
            .cloned()
            .collect();
        for k in stale {
            ran.extend(i.set(
                now,
                k,
                false,
                0.0,
                f64::from(DNS_REFUSALS),
                "the DNS server accepts updates again".into(),
            ));
        }

        // Rates over the window.
        i.samples
            .push_back((now, inputs.naks, inputs.declines, inputs.drops));
        while i.samples.get(1).is_some_and(|s| s.0 + window <= now) {
            i.samples.pop_front();
        }
        let base = i.samples.front().copied().unwrap_or((now, 0, 0, 0));
        let per_sec = |cur: u64, old: u64| cur.saturating_sub(old) as f64 / window as f64;
        let rates = [
            (
                "nak_rate",
                cfg.nak_rate,
                per_sec(inputs.naks, base.1),
                "NAKs",
            ),
            (
                "decline_rate",
                cfg.decline_rate,
                per_sec(inputs.declines, base.2),
                "DECLINEs",
            ),
            (
                "drop_rate",
                cfg.drop_rate,
                per_sec(inputs.drops, base.3),
                "dropped packets",
            ),
        ];
        for (key, threshold, rate, what) in rates {
            let on = threshold.is_some_and(|t| rate >= t && rate > 0.0);
            ran.extend(i.set(
                now,
                key.to_string(),
                on,
                rate,
                threshold.unwrap_or(0.0),
                format!("{rate:.2} {what} per second over the last {window} s"),
            ));
        }

        // Rogue servers not seen for a window clear.
        let quiet_for = window.max(ROGUE_MIN_QUIET);
        let is_quiet = |last: u64| last.saturating_add(quiet_for) <= now || !cfg.rogue_servers;
        let quiet: Vec<Ipv4Addr> = i
            .rogues
            .iter()
            .filter(|(_, last)| is_quiet(**last))
            .map(|(a, _)| *a)
            .collect();
        for a in quiet {
            i.rogues.remove(&a);
            ran.extend(i.set(
                now,
                format!("rogue_server:{a}"),
                false,
                0.0,
                0.0,
                format!("no answer from DHCP server {a} for {quiet_for} s"),
            ));
        }
        if i.rogue_more.is_some_and(|m| is_quiet(m.last)) {
            i.rogue_more = None;
            ran.extend(i.set(
                now,
                ROGUE_MORE_KEY.to_string(),
                false,
                0.0,
                MAX_ROGUE_ALERTS as f64,
                format!("no answer from further DHCP servers for {quiet_for} s"),
            ));
        }

        ran
    }

    /// Active alerts and recent events.
    pub fn snapshot(&self) -> Snapshot {
        self.inner
            .lock()
            .map(|i| Snapshot {
                active: i.active.values().cloned().collect(),
                recent: i.recent.iter().cloned().collect(),
            })
            .unwrap_or_default()
    }

    /// The webhook URL and the events waiting for it (the outbox is emptied).
    pub fn take_outbox(&self) -> (Option<String>, Vec<AlertEvent>) {
        self.inner
            .lock()
            .map(|mut i| {
                let events = std::mem::take(&mut i.outbox).into();
                (i.config.webhook.clone(), events)
            })
            .unwrap_or_default()
    }
}

/// One event to POST to one URL.
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookPost {
    /// The webhook URL when the event happened.
    pub url: String,
    /// The event, posted as one JSON object.
    pub event: AlertEvent,
}

/// The evaluator's end of the bounded queue to the webhook poster: [`offer`](Self::offer)
/// never waits; what does not fit is dropped and counted.
#[derive(Debug)]
pub struct WebhookQueue {
    tx: mpsc::Sender<WebhookPost>,
    dropped: u64,
}

impl WebhookQueue {
    /// A queue holding at most `capacity` events (at least 1), and the poster's end of it.
    pub fn bounded(capacity: usize) -> (WebhookQueue, mpsc::Receiver<WebhookPost>) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        (WebhookQueue { tx, dropped: 0 }, rx)
    }

    /// Queues `events` for `url` without waiting; returns how many were dropped because the
    /// queue was full (the webhook is slow) or the poster has stopped.
    pub fn offer(&mut self, url: &str, events: Vec<AlertEvent>) -> usize {
        let mut dropped = 0;
        for event in events {
            let post = WebhookPost {
                url: url.to_string(),
                event,
            };
            if self.tx.try_send(post).is_err() {
                dropped += 1;
            }
        }
        self.dropped += dropped as u64;
        dropped
    }

    /// Events dropped since the queue was made.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

/// Posts every queued event, one at a time, until the queue closes (the evaluator stopped) or
/// `cancel` is cancelled; failures are logged, never retried. Each POST runs on the blocking
/// pool with a 5-second timeout.
async fn post_webhooks(mut rx: mpsc::Receiver<WebhookPost>, cancel: CancellationToken) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    loop {
        let post = tokio::select! {
            _ = cancel.cancelled() => return,
            p = rx.recv() => match p {
                Some(p) => p,
                None => return,
            },
        };
        let agent = agent.clone();
        let blocking = tokio::task::spawn_blocking(move || post_one(&agent, &post));
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = blocking => {}
        }
    }
}

/// POSTs one event as JSON; a failure is logged.
fn post_one(agent: &ureq::Agent, post: &WebhookPost) {
    let body = serde_json::to_string(&post.event).unwrap_or_default();
    let sent = agent
        .post(&post.url)
        .content_type("application/json")
        .send(body.as_str());
    if let Err(err) = sent {
        warn!(webhook = %post.url, alert = %post.event.key, "alert webhook failed: {err}");
    }
}

/// Seconds since the Unix epoch (0 if the clock is before it).
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// One evaluation at `now`: counters from `metrics`, pool usage and link pressure from `pools`;
/// the events for the webhook are offered to `queue` without waiting (drops are logged). Returns
/// the events of this evaluation.
pub fn evaluate_once(
    alerts: &Alerts,
    metrics: &Metrics,
    pools: &PoolWatch,
    queue: &mut WebhookQueue,
    now: u64,
) -> Vec<AlertEvent> {
    let t = &metrics.totals;
    let snapshot = pools.borrow().clone();
    let inputs = Inputs {
        naks: t.naks.load(Ordering::Relaxed),
        declines: t.declines.load(Ordering::Relaxed),
        drops: t.drops.load(Ordering::Relaxed),
        pools: snapshot.pools.clone(),
        links: snapshot.links.clone(),
        store_down: (!metrics.store.up()).then(|| metrics.store.reason()),
        dns_refusing: metrics
            .dns()
            .map(|d| d.status().refusing)
            .unwrap_or_default(),
    };
    let events = alerts.evaluate(now, &inputs);
    if let (Some(url), posts) = alerts.take_outbox() {
        if !posts.is_empty() {
            let dropped = queue.offer(&url, posts);
            if dropped > 0 {
                warn!(
                    webhook = %url,
                    dropped,
                    dropped_total = queue.dropped(),
                    outbox_dropped_total = alerts.outbox_dropped(),
                    "alert webhook is not keeping up: events dropped"
                );
            }
        }
    }
    events
}

/// Runs [`Alerts::evaluate`] every [`EVALUATE_EVERY`] with the counters of `metrics` and the
/// pool usage and link pressure last published on `pools`, until `cancel` is cancelled. Events go
/// to the webhook through a bounded queue read by a poster task of its own (which stops with it),
/// so a slow webhook never delays an evaluation. The handle finishes when both have stopped.
pub fn spawn_evaluator(
    alerts: Arc<Alerts>,
    metrics: Arc<Metrics>,
    pools: PoolWatch,
    cancel: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let (mut queue, rx) = WebhookQueue::bounded(WEBHOOK_QUEUE);
        let poster = tokio::spawn(post_webhooks(rx, cancel.clone()));
        let mut tick = tokio::time::interval(EVALUATE_EVERY);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tick.tick() => {}
            }
            evaluate_once(&alerts, &metrics, &pools, &mut queue, unix_now());
        }
        drop(queue);
        let _ = poster.await;
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(assigned: u64, total: u64) -> PoolUsage {
        PoolUsage {
            pool_id: 0,
            subnet_index: 0,
            subnet_id: 1,
            start: Ipv4Addr::new(198, 18, 0, 10),
            end: Ipv4Addr::new(198, 18, 0, 19),
            total,
            assigned,
            declined: 0,
            offered: 0,
            reserved: 0,
            free: total - assigned,
        }
    }

    fn cfg() -> AlertsConfig {
        AlertsConfig {
            pool_utilization_percent: Some(80.0),
            nak_rate: Some(1.0),
            decline_rate: None,
            drop_rate: Some(10.0),
            rogue_servers: true,
            window: 60,
            webhook: None,
        }
    }

    fn keys(events: &[AlertEvent]) -> Vec<(String, &'static str)> {
        events.iter().map(|e| (e.key.clone(), e.event)).collect()
    }

    #[test]
    fn pool_alert_raises_at_threshold_and_clears_below() {
        let a = Alerts::new(cfg());
        let mut input = Inputs {
            pools: vec![pool(7, 10)],
            ..Inputs::default()
        };
        assert!(a.evaluate(100, &input).is_empty());
        input.pools = vec![pool(8, 10)];
        assert_eq!(
            keys(&a.evaluate(105, &input)),
            [("pool_utilization:0".to_string(), "raised")]
        );
        // Still high: no new event, still active.
        assert!(a.evaluate(110, &input).is_empty());
        assert_eq!(a.snapshot().active.len(), 1);
        input.pools = vec![pool(3, 10)];
        assert_eq!(
            keys(&a.evaluate(115, &input)),
            [("pool_utilization:0".to_string(), "cleared")]
        );
        assert!(a.snapshot().active.is_empty());
        assert_eq!(a.snapshot().recent.len(), 2);
    }

    #[test]
    fn nak_rate_is_averaged_over_the_window_and_clears_when_it_ends() {
        let a = Alerts::new(cfg());
        let mut input = Inputs::default();
        assert!(a.evaluate(0, &input).is_empty());
        // 30 NAKs in 30 s: 0.5/s over a 60 s window: below 1/s.
        input.naks = 30;
        assert!(a.evaluate(30, &input).is_empty());
        // 60 more in the next 30 s: 90 over the window → 1.5/s.
        input.naks = 90;
        assert_eq!(
            keys(&a.evaluate(60, &input)),
            [("nak_rate".to_string(), "raised")]
        );
        // No NAKs for a full window: the rate falls to 0 and the alert clears.
        assert!(a.evaluate(90, &input).is_empty()); // 60 in window (30..90) → 1.0/s still
        assert_eq!(
            keys(&a.evaluate(150, &input)),
            [("nak_rate".to_string(), "cleared")]
        );
    }

    #[test]
    fn rogue_server_raises_at_once_and_clears_after_a_quiet_window() {
        let a = Alerts::new(cfg());
        let rogue = RogueServer::without_mac(Ipv4Addr::new(198, 18, 0, 66));
        a.raise_rogue(&rogue, 1000);
        assert_eq!(a.snapshot().active[0].key, "rogue_server:198.18.0.66");
        a.raise_rogue(&rogue, 1030);
        assert!(a.evaluate(1080, &Inputs::default()).is_empty());
        assert_eq!(
            keys(&a.evaluate(1090, &Inputs::default())),
            [("rogue_server:198.18.0.66".to_string(), "cleared")]
        );
        let off = Alerts::new(AlertsConfig {
            rogue_servers: false,
            ..cfg()
        });
        off.raise_rogue(&rogue, 1);
        assert!(off.snapshot().active.is_empty());
    }

    /// A window shorter than twice the sightings' refresh interval would make an answering
    /// rogue flap: the quiet time is at least [`ROGUE_MIN_QUIET`].
    #[test]
    fn a_short_window_does_not_clear_a_rogue_between_refreshes() {
        let a = Alerts::new(AlertsConfig { window: 5, ..cfg() });
        let rogue = RogueServer::without_mac(Ipv4Addr::new(198, 18, 0, 66));
        a.raise_rogue(&rogue, 1000);
        assert!(a
            .evaluate(1000 + ROGUE_MIN_QUIET - 1, &Inputs::default())
            .is_empty());
        assert_eq!(
            keys(&a.evaluate(1000 + ROGUE_MIN_QUIET, &Inputs::default())),
            [("rogue_server:198.18.0.66".to_string(), "cleared")]
        );
    }

    /// More rogue servers than [`MAX_ROGUE_ALERTS`]: the first ones keep alerts of their own,
    /// the rest share one aggregate alert counting their sightings, which clears when they stop.
    #[test]
    fn rogue_alerts_are_bounded_with_one_aggregate() {
        let a = Alerts::new(cfg());
        let n = MAX_ROGUE_ALERTS + 500;
        for i in 0..n {
            let id = Ipv4Addr::from(0x0a00_0000u32 + u32::try_from(i).expect("small"));
            a.raise_rogue(&RogueServer::without_mac(id), 1000);
        }
        assert_eq!(a.rogue_alerts(), MAX_ROGUE_ALERTS);
        let active = a.snapshot().active;
        assert_eq!(active.len(), MAX_ROGUE_ALERTS + 1);
        let more = active
            .iter()
            .find(|x| x.key == ROGUE_MORE_KEY)
            .expect("aggregate");
        assert_eq!(more.value, 500.0);
        // A tracked server keeps its own alert; nobody answers after 1000: all clear.
        a.raise_rogue(&RogueServer::without_mac(Ipv4Addr::from(0x0a00_0000)), 1030);
        let cleared = a.evaluate(1061, &Inputs::default());
        assert_eq!(
            cleared.len(),
            MAX_ROGUE_ALERTS,
            "all but the one seen at 1030"
        );
        assert_eq!(a.evaluate(1090, &Inputs::default()).len(), 1);
        assert!(a.snapshot().active.is_empty());
        assert_eq!(a.rogue_alerts(), 0);
    }

    /// The outbox for the webhook is bounded: events beyond [`WEBHOOK_QUEUE`] drop the oldest
    /// and are counted.
    #[test]
    fn the_webhook_outbox_is_bounded() {
        let a = Alerts::new(AlertsConfig {
            webhook: Some("http://127.0.0.1:9/".into()),
            ..cfg()
        });
        for i in 0..MAX_ROGUE_ALERTS {
            let id = Ipv4Addr::from(0x0a00_0000u32 + u32::try_from(i).expect("small"));
            a.raise_rogue(&RogueServer::without_mac(id), 1000);
        }
        for t in 0..WEBHOOK_QUEUE as u64 {
            // A pool crossing its threshold back and forth: one event per evaluation.
            let input = Inputs {
                pools: vec![pool(if t % 2 == 0 { 9 } else { 1 }, 10)],
                ..Inputs::default()
            };
            a.evaluate(1000, &input);
        }
        let (url, events) = a.take_outbox();
        assert_eq!(url.as_deref(), Some("http://127.0.0.1:9/"));
        assert_eq!(events.len(), WEBHOOK_QUEUE);
        assert_eq!(a.outbox_dropped(), MAX_ROGUE_ALERTS as u64);
        assert!(a.take_outbox().1.is_empty());
    }

    /// A webhook that never answers: its poster never reads the queue. Evaluations go on, each
    /// offering its events without waiting; what does not fit is dropped and counted, and the
    /// events that fit are the oldest ones, in order.
    #[test]
    fn a_stuck_webhook_never_delays_an_evaluation() {
        use crate::usage::PoolSnapshot;
        let a = Alerts::new(AlertsConfig {
            webhook: Some("http://192.0.2.1/hook".into()),
            ..cfg()
        });
        let metrics = crate::metrics::Metrics::new();
        let config = Arc::new(
            leasehold_engine::Config::from_toml(
                "[[subnet]]\nsubnet = \"198.18.0.0/24\"\n",
                std::path::Path::new("alerts-test.toml"),
            )
            .expect("valid"),
        );
        let snapshot = |assigned| {
            Arc::new(PoolSnapshot {
                pools: vec![pool(assigned, 10)],
                ..PoolSnapshot::empty(config.clone())
            })
        };
        let (tx, pools) = tokio::sync::watch::channel(snapshot(9));
        let (mut queue, rx) = WebhookQueue::bounded(4);
        for t in 0..100u64 {
            tx.send_replace(snapshot(if t % 2 == 0 { 9 } else { 1 }));
            let events = evaluate_once(&a, &metrics, &pools, &mut queue, 1000 + t);
            assert_eq!(events.len(), 1, "one raise or clear per evaluation");
        }
        assert_eq!(queue.dropped(), 96);
        drop(queue);
        let mut rx = rx;
        let mut queued = Vec::new();
        while let Ok(p) = rx.try_recv() {
            queued.push((p.url, p.event.at, p.event.event));
        }
        let url = "http://192.0.2.1/hook".to_string();
        assert_eq!(
            queued,
            [
                (url.clone(), 1000, "raised"),
                (url.clone(), 1001, "cleared"),
                (url.clone(), 1002, "raised"),
                (url, 1003, "cleared"),
            ]
        );
    }

    /// The evaluator and its poster stop when cancelled, even with events queued for a webhook
    /// nobody answers.
    #[tokio::test]
    async fn the_evaluator_stops_when_cancelled() {
        let a = Arc::new(Alerts::new(AlertsConfig {
            webhook: Some("http://127.0.0.1:9/".into()),
            ..cfg()
        }));
        a.raise_rogue(&RogueServer::without_mac(Ipv4Addr::new(198, 18, 0, 66)), 1);
        let config = Arc::new(
            leasehold_engine::Config::from_toml(
                "[[subnet]]\nsubnet = \"198.18.0.0/24\"\n",
                std::path::Path::new("alerts-test.toml"),
            )
            .expect("valid"),
        );
        let (_tx, pools) =
            tokio::sync::watch::channel(Arc::new(crate::usage::PoolSnapshot::empty(config)));
        let cancel = CancellationToken::new();
        let task = spawn_evaluator(
            a,
            Arc::new(crate::metrics::Metrics::new()),
            pools,
            cancel.clone(),
        );
        cancel.cancel();
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("stops promptly")
            .expect("no panic");
    }

    fn link(name: &str, under: bool, entered: u64) -> LinkStatus {
        LinkStatus {
            link: name.to_string(),
            size: 10,
            bound: 4,
            under_pressure: under,
            since: under.then_some(990),
            new_bindings_per_minute: 4,
            trigger_per_minute: 2,
            entered_total: entered,
            short_leases_total: 0,
            reclaimed_total: 0,
            renewed_total: 0,
            unseen_total: 0,
            rationed_total: 0,
        }
    }

    fn links(list: Vec<LinkStatus>) -> Inputs {
        Inputs {
            links: list,
            ..Inputs::default()
        }
    }

    /// `ddns_refused:<server>` is raised once a server refused DNS_REFUSALS updates in a row, and
    /// clears when it is no longer refusing.
    #[test]
    fn ddns_refused_alert_follows_the_server() {
        let a = Alerts::new(AlertsConfig::default());
        let server: std::net::SocketAddr = "198.18.0.53:53".parse().expect("addr");
        let with = |n: u32| Inputs {
            dns_refusing: vec![(server, n)],
            ..Inputs::default()
        };
        assert!(keys(&a.evaluate(1000, &with(DNS_REFUSALS - 1))).is_empty());
        assert_eq!(
            keys(&a.evaluate(1010, &with(DNS_REFUSALS))),
            [("ddns_refused:198.18.0.53:53".to_string(), "raised")]
        );
        assert!(keys(&a.evaluate(1020, &with(DNS_REFUSALS + 4))).is_empty());
        assert_eq!(
            keys(&a.evaluate(1030, &Inputs::default())),
            [("ddns_refused:198.18.0.53:53".to_string(), "cleared")]
        );
    }

    /// `store_down` is raised with the store's error while it is down, once, and clears when it
    /// is back.
    #[test]
    fn store_down_alert_follows_the_store() {
        let a = Alerts::new(cfg());
        assert!(a.evaluate(100, &Inputs::default()).is_empty());
        let down = Inputs {
            store_down: Some("connection refused".into()),
            ..Inputs::default()
        };
        let raised = a.evaluate(101, &down);
        assert_eq!(keys(&raised), [(STORE_DOWN_KEY.to_string(), "raised")]);
        assert!(
            raised[0].message.contains("connection refused"),
            "{}",
            raised[0].message
        );
        assert!(a.evaluate(102, &down).is_empty(), "raised once");
        let cleared = a.evaluate(103, &Inputs::default());
        assert_eq!(keys(&cleared), [(STORE_DOWN_KEY.to_string(), "cleared")]);
    }

    /// A link entering pressure raises `link_pressure:<link>` with its rate, trigger and since;
    /// it stays one alert while the link stays under pressure and clears when it leaves.
    #[test]
    fn pressure_alert_raises_on_entering_and_clears_on_leaving() {
        let a = Alerts::new(cfg());
        assert!(a
            .evaluate(995, &links(vec![link("lan", false, 0)]))
            .is_empty());
        let raised = a.evaluate(1000, &links(vec![link("lan", true, 1)]));
        assert_eq!(keys(&raised), [("link_pressure:lan".to_string(), "raised")]);
        assert_eq!((raised[0].value, raised[0].threshold), (4.0, 2.0));
        assert!(raised[0]
            .message
            .contains("link lan is under pressure since 990"));
        assert!(raised[0]
            .message
            .contains("4 new bindings in the last minute, trigger 2"));
        for t in 1005..1100 {
            assert!(a.evaluate(t, &links(vec![link("lan", true, 1)])).is_empty());
        }
        let active = a.snapshot().active;
        assert_eq!(active.len(), 1, "one alert per link");
        assert_eq!(
            (active[0].key.as_str(), active[0].since),
            ("link_pressure:lan", 990)
        );
        let cleared = a.evaluate(1100, &links(vec![link("lan", false, 1)]));
        assert_eq!(
            keys(&cleared),
            [("link_pressure:lan".to_string(), "cleared")]
        );
        assert!(cleared[0].message.contains("no longer under pressure"));
        assert!(a.snapshot().active.is_empty());
        assert!(a
            .evaluate(1105, &links(vec![link("lan", false, 1)]))
            .is_empty());
    }

    /// A link that entered and left pressure between two evaluations is raised and cleared in
    /// the next one; only the link that changed.
    #[test]
    fn pressure_between_two_evaluations_is_raised_and_cleared() {
        let a = Alerts::new(cfg());
        let calm = links(vec![link("a", false, 0), link("b", false, 2)]);
        // First sight of b: it entered (twice) and left before any evaluation.
        assert_eq!(
            keys(&a.evaluate(1000, &calm)),
            [
                ("link_pressure:b".to_string(), "raised"),
                ("link_pressure:b".to_string(), "cleared")
            ]
        );
        let events = a.evaluate(1005, &links(vec![link("a", false, 1), link("b", false, 2)]));
        assert_eq!(
            keys(&events),
            [
                ("link_pressure:a".to_string(), "raised"),
                ("link_pressure:a".to_string(), "cleared")
            ]
        );
        assert!(a.snapshot().active.is_empty());
        assert!(a
            .evaluate(1010, &links(vec![link("a", false, 1), link("b", false, 2)]))
            .is_empty());
    }

    /// A link under pressure that a reload removes clears; a webhook gets both events.
    #[test]
    fn pressure_alert_of_a_removed_link_clears_and_reaches_the_webhook() {
        let a = Alerts::new(AlertsConfig {
            webhook: Some("http://127.0.0.1:9/".into()),
            ..cfg()
        });
        a.evaluate(1000, &links(vec![link("old", true, 1)]));
        assert_eq!(
            keys(&a.evaluate(1005, &links(vec![link("new", false, 0)]))),
            [("link_pressure:old".to_string(), "cleared")]
        );
        let (_, events) = a.take_outbox();
        assert_eq!(
            keys(&events),
            [
                ("link_pressure:old".to_string(), "raised"),
                ("link_pressure:old".to_string(), "cleared")
            ]
        );
    }

    #[test]
    fn removed_threshold_clears_on_reload() {
        let a = Alerts::new(cfg());
        let input = Inputs {
            pools: vec![pool(9, 10)],
            ..Inputs::default()
        };
        assert_eq!(a.evaluate(1, &input).len(), 1);
        a.set_config(AlertsConfig::default());
        assert_eq!(
            keys(&a.evaluate(2, &input)),
            [("pool_utilization:0".to_string(), "cleared")]
        );
    }
}
