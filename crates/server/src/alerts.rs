//! Alerts: thresholds from `[alerts]`, evaluated every few seconds; a structured log event when
//! an alert is raised and when it clears, and an optional JSON webhook POST for both.
//!
//! Conditions:
//! - `pool_utilization:<pool id>`: a pool's utilisation ≥ `pool_utilization_percent`.
//! - `nak_rate`, `decline_rate`, `drop_rate`: events per second averaged over `window` seconds
//!   ≥ the threshold.
//! - `rogue_server:<address>`: another DHCP server's OFFER was seen (fed by the rogue detector
//!   through [`Alerts::raise_rogue`]); clears when none was seen for `window` seconds.
//!
//! Every alert clears when its condition ends. Time is passed in, so the logic is unit-tested
//! without a clock.

use crate::control::{api::ask, ControlContext, ControlRequest};
use leasehold_engine::config::AlertsConfig;
use leasehold_engine::PoolUsage;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::Ipv4Addr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::{info, warn};

/// How often the evaluator runs.
pub const EVALUATE_EVERY: Duration = Duration::from_secs(5);
/// Raise/clear events kept for `GET /api/alerts` and the dashboard.
pub const RECENT_EVENTS: usize = 50;

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
    rogues: HashMap<Ipv4Addr, u64>,
    /// Events not yet posted to the webhook.
    outbox: Vec<AlertEvent>,
    /// Raise/clear events since start.
    events: u64,
}

/// The alert state. Share it behind an `Arc`.
#[derive(Debug, Default)]
pub struct Alerts {
    inner: Mutex<Inner>,
}

impl Inner {
    fn set(&mut self, now: u64, key: String, on: bool, value: f64, threshold: f64, msg: String) {
        let event = match (on, self.active.get_mut(&key)) {
            (true, Some(a)) => {
                a.value = value;
                a.message = msg;
                return;
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
            (false, None) => return,
        };
        let e = AlertEvent {
            at: now,
            event,
            key,
            message: msg,
            value,
            threshold,
        };
        self.events += 1;
        self.recent.push_back(e.clone());
        while self.recent.len() > RECENT_EVENTS {
            self.recent.pop_front();
        }
        if self.config.webhook.is_some() {
            self.outbox.push(e);
        }
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

    /// Records that another DHCP server was seen answering at `now`, and raises
    /// `rogue_server:<server id>` at once (unless `rogue_servers = false`); the message names its
    /// MAC address too (`unknown` when it could not be learnt). For the rogue detector: pass the
    /// sighting (`&ServerReply`) or its server id (the MAC of its latest sighting is then looked
    /// up, see [`crate::rogue::RogueServer`]).
    pub fn raise_rogue(&self, server: impl Into<crate::rogue::RogueServer>, now: u64) {
        let rogue: crate::rogue::RogueServer = server.into();
        let server = rogue.server_id;
        let Ok(mut i) = self.inner.lock() else { return };
        if !i.config.rogue_servers {
            return;
        }
        let count = i.rogues.len() as f64;
        i.rogues.insert(server, now);
        i.set(
            now,
            format!("rogue_server:{server}"),
            true,
            count.max(1.0),
            0.0,
            format!("another DHCP server is answering: {}", rogue.describe()),
        );
    }

    /// Evaluates every condition at `now` and returns the raise/clear events it caused.
    pub fn evaluate(&self, now: u64, inputs: &Inputs) -> Vec<AlertEvent> {
        let Ok(mut i) = self.inner.lock() else {
            return Vec::new();
        };
        let before = i.events;
        let cfg = i.config.clone();
        let window = u64::from(cfg.window);

        // Pools.
        let mut seen = Vec::new();
        for u in &inputs.pools {
            let key = format!("pool_utilization:{}", u.pool_id);
            let pct = u.utilization() * 100.0;
            let threshold = cfg.pool_utilization_percent;
            let on = threshold.is_some_and(|t| u.total > 0 && pct >= t);
            i.set(
                now,
                key.clone(),
                on,
                pct,
                threshold.unwrap_or(0.0),
                format!(
                    "pool {}-{} of subnet {} is {pct:.1}% used ({} free of {})",
                    u.start, u.end, u.subnet_id, u.free, u.total
                ),
            );
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
            i.set(now, k, false, 0.0, 0.0, "pool no longer configured".into());
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
            i.set(
                now,
                key.to_string(),
                on,
                rate,
                threshold.unwrap_or(0.0),
                format!("{rate:.2} {what} per second over the last {window} s"),
            );
        }

        // Rogue servers not seen for a window clear.
        let quiet: Vec<Ipv4Addr> = i
            .rogues
            .iter()
            .filter(|(_, last)| **last + window <= now || !cfg.rogue_servers)
            .map(|(a, _)| *a)
            .collect();
        for a in quiet {
            i.rogues.remove(&a);
            i.set(
                now,
                format!("rogue_server:{a}"),
                false,
                0.0,
                0.0,
                format!("no answer from DHCP server {a} for {window} s"),
            );
        }

        // Events of this evaluation: the newest ones of the ring.
        let new = usize::try_from(i.events - before).unwrap_or(usize::MAX);
        let skip = i.recent.len().saturating_sub(new);
        i.recent.iter().skip(skip).cloned().collect()
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

    fn take_outbox(&self) -> (Option<String>, Vec<AlertEvent>) {
        self.inner
            .lock()
            .map(|mut i| (i.config.webhook.clone(), std::mem::take(&mut i.outbox)))
            .unwrap_or_default()
    }
}

/// Posts `events` to `url` as one JSON object each; failures are logged, never retried.
fn post_webhook(url: &str, events: &[AlertEvent]) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    for e in events {
        let body = serde_json::to_string(e).unwrap_or_default();
        let sent = agent
            .post(url)
            .content_type("application/json")
            .send(body.as_str());
        if let Err(err) = sent {
            warn!(webhook = url, alert = %e.key, "alert webhook failed: {err}");
        }
    }
}

/// Runs [`Alerts::evaluate`] every [`EVALUATE_EVERY`] with fresh inputs, and posts events to
/// the webhook.
pub fn spawn_evaluator(ctx: Arc<ControlContext>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVALUATE_EVERY);
        loop {
            tick.tick().await;
            let pools = match ask(&ctx, |reply| ControlRequest::Pools { reply }).await {
                Ok((_, p)) => p,
                Err(_) => break, // the serve task is gone
            };
            let t = &ctx.metrics.totals;
            let inputs = Inputs {
                naks: t.naks.load(Ordering::Relaxed),
                declines: t.declines.load(Ordering::Relaxed),
                drops: t.drops.load(Ordering::Relaxed),
                pools,
            };
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            ctx.alerts.evaluate(now, &inputs);
            let (url, events) = ctx.alerts.take_outbox();
            if let (Some(url), false) = (url, events.is_empty()) {
                let _ = tokio::task::spawn_blocking(move || post_webhook(&url, &events)).await;
            }
        }
    });
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
        let rogue = Ipv4Addr::new(198, 18, 0, 66);
        a.raise_rogue(rogue, 1000);
        assert_eq!(a.snapshot().active[0].key, "rogue_server:198.18.0.66");
        a.raise_rogue(rogue, 1030);
        assert!(a.evaluate(1080, &Inputs::default()).is_empty());
        assert_eq!(
            keys(&a.evaluate(1090, &Inputs::default())),
            [("rogue_server:198.18.0.66".to_string(), "cleared")]
        );
        let off = Alerts::new(AlertsConfig {
            rogue_servers: false,
            ..cfg()
        });
        off.raise_rogue(rogue, 1);
        assert!(off.snapshot().active.is_empty());
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
