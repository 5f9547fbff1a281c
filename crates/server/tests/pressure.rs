//! The pressure defence as the runtime carries it, in-process and without sockets: a link that
//! binds new clients faster than its trigger is under pressure in the snapshot the dispatcher
//! publishes (so in `/metrics` and the alerts) as soon as the batch that tipped it is handled;
//! new clients' first DISCOVERs and unoffered REQUESTs are refused with the pressure reasons;
//! a tick a few minutes later (the lease clock is passed in) takes the link out of pressure, and
//! the alert evaluator raises and then clears `link_pressure:<link>`.

mod common;

use common::{arrival, msg, request};
use leasehold_engine::{Config, LinkStatus, Server};
use leasehold_server::alerts::{evaluate_once, Alerts, WebhookQueue};
use leasehold_server::dispatch::{unix_now, Dispatcher, Replies, ReplySink};
use leasehold_server::metrics::Metrics;
use leasehold_server::usage::{PoolSnapshot, PoolWatch};
use leasehold_store::{CommitOptions, GroupCommitter, MemoryStore};
use leasehold_wire::{MessageType, Packet};
use std::net::Ipv4Addr;
use std::path::Path;
use std::sync::{Arc, Mutex};

const CONFIG: &str = r#"
[server]
lease_time = 3600
[[subnet]]
subnet = "198.18.0.0/24"
[[subnet.pool]]
range = "198.18.0.100-198.18.0.199"
[security]
pressure_new_bindings = 2
"#;

const LINK: &str = "198.18.0.0/24";

/// Collects every reply sent: (message type, yiaddr, lease time).
#[derive(Default)]
struct Collect(Mutex<Vec<(&'static str, Ipv4Addr, Option<u32>)>>);

impl ReplySink for Collect {
    fn send(&self, replies: Replies) {
        let mut sent = self.0.lock().expect("sink");
        for (out, (kind, _)) in replies.outgoing.iter().zip(&replies.meta) {
            let p = Packet::parse(&out.bytes).expect("reply parses");
            sent.push((kind, p.yiaddr, p.options.lease_time()));
        }
    }
}

struct Rig {
    dispatcher: Dispatcher,
    committer: Arc<GroupCommitter>,
    sink: Arc<Collect>,
    metrics: Arc<Metrics>,
    watch: PoolWatch,
}

fn rig() -> Rig {
    let config = Arc::new(Config::from_toml(CONFIG, Path::new("t.toml")).expect("config"));
    let committer = Arc::new(
        GroupCommitter::with_options(Box::new(MemoryStore::new()), CommitOptions::default())
            .expect("writer"),
    );
    let sink = Arc::new(Collect::default());
    let metrics = Arc::new(Metrics::new());
    let (tx, watch) = tokio::sync::watch::channel(Arc::new(PoolSnapshot::empty(config.clone())));
    let dispatcher = Dispatcher::new(
        Server::new(config, []),
        committer.clone(),
        sink.clone(),
        metrics.clone(),
        tx,
    );
    Rig {
        dispatcher,
        committer,
        sink,
        metrics,
        watch,
    }
}

impl Rig {
    fn one(&mut self, datagram: &[u8]) {
        self.dispatcher.handle_batch([(datagram, arrival())]);
    }

    fn sent(&self) -> Vec<(&'static str, Ipv4Addr, Option<u32>)> {
        self.sink.0.lock().expect("sink").clone()
    }

    /// DISCOVER, then REQUEST of the offered address, for client `n`; waits for the ACK.
    fn dora(&mut self, n: u8) -> Ipv4Addr {
        self.one(&msg(n, MessageType::Discover, &[]));
        let (kind, addr, _) = *self.sent().last().expect("a reply");
        assert_eq!(kind, "OFFER", "client {n} is offered an address");
        self.one(&request(n, addr));
        let _ = self.committer.query(|_| Ok(())).wait();
        assert_eq!(
            self.sent().last().map(|r| (r.0, r.1)),
            Some(("ACK", addr)),
            "client {n} is bound"
        );
        addr
    }

    /// The link as last published.
    fn link(&self) -> LinkStatus {
        let snap = self.watch.borrow().clone();
        assert_eq!(snap.links.len(), 1, "one link");
        snap.links[0].clone()
    }

    fn metrics_text(&self) -> String {
        let snap = self.watch.borrow().clone();
        self.metrics.render(
            Some(snap.config.clone()),
            snap.pools.clone(),
            snap.links.clone(),
            self.committer.stats(),
        )
    }
}

#[test]
fn a_link_enters_pressure_is_published_alerted_and_leaves_it() {
    let mut r = rig();
    let alerts = Alerts::new(Default::default());
    let (mut queue, _rx) = WebhookQueue::bounded(16);
    r.dispatcher.tick(unix_now());
    assert!(!r.link().under_pressure);
    assert_eq!(r.link().trigger_per_minute, 2);

    r.dora(1);
    assert!(
        !r.link().under_pressure,
        "one new binding: below the trigger"
    );
    r.dora(2);
    // Published by the batch that tipped it, before any tick.
    let link = r.link();
    assert_eq!(link.link, LINK);
    assert!(link.under_pressure, "{link:?}");
    assert!(link.since.is_some());
    assert_eq!(
        (link.new_bindings_per_minute, link.entered_total),
        (2, 1),
        "{link:?}"
    );
    let text = r.metrics_text();
    for line in [
        format!("leasehold_link_pressure{{link=\"{LINK}\"}} 1"),
        format!("leasehold_link_new_bindings_per_minute{{link=\"{LINK}\"}} 2"),
        format!("leasehold_link_pressure_trigger_per_minute{{link=\"{LINK}\"}} 2"),
        format!("leasehold_pressure_entered_total{{link=\"{LINK}\"}} 1"),
    ] {
        assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
    }

    // A new client's first DISCOVER is held back; a new client's REQUEST for an address it was
    // never offered is NAKed.
    let before = r.sent().len();
    r.one(&msg(3, MessageType::Discover, &[]));
    assert_eq!(r.sent().len(), before, "no OFFER to a first DISCOVER");
    r.one(&request(4, Ipv4Addr::new(198, 18, 0, 150)));
    assert_eq!(r.sent().last().map(|s| s.0), Some("NAK"));
    r.dispatcher.tick(unix_now());
    assert_eq!(r.link().unseen_total, 1);
    let text = r.metrics_text();
    for line in [
        "leasehold_packets_dropped_total{reason=\"pressure_unseen\"} 1".to_string(),
        "leasehold_naks_total{reason=\"pressure_unoffered\"} 1".to_string(),
        format!("leasehold_pressure_unseen_total{{link=\"{LINK}\"}} 1"),
    ] {
        assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
    }

    let now = unix_now();
    let raised = evaluate_once(&alerts, &r.metrics, &r.watch, &mut queue, now);
    let key = format!("link_pressure:{LINK}");
    assert_eq!(
        raised
            .iter()
            .map(|e| (e.key.as_str(), e.event))
            .collect::<Vec<_>>(),
        [(key.as_str(), "raised")]
    );
    assert_eq!((raised[0].value, raised[0].threshold), (2.0, 2.0));
    assert_eq!(alerts.snapshot().active[0].since, link.since.unwrap_or(0));

    // Minutes later (the lease clock is passed in), nothing new came: the tick takes the link out.
    let later = now + 180;
    r.dispatcher.tick(later);
    let link = r.link();
    assert!(!link.under_pressure, "{link:?}");
    assert_eq!((link.since, link.entered_total), (None, 1));
    let text = r.metrics_text();
    let line = format!("leasehold_link_pressure{{link=\"{LINK}\"}} 0");
    assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
    let cleared = evaluate_once(&alerts, &r.metrics, &r.watch, &mut queue, later);
    assert_eq!(
        cleared
            .iter()
            .map(|e| (e.key.as_str(), e.event))
            .collect::<Vec<_>>(),
        [(key.as_str(), "cleared")]
    );
    assert!(alerts.snapshot().active.is_empty());
}
