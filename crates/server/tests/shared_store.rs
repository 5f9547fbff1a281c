//! Two servers on one PostgreSQL database, in-process: a server whose table is stale offers an
//! address another server has bound; its REQUEST's record is refused by the store, no ACK leaves,
//! and the request, decided again with the store's record, is NAKed. Needs
//! `LEASEHOLD_TEST_PG_URL` (scripts/test.sh starts a throw-away PostgreSQL).

mod common;

use common::{discover, request, Collect, CONFIG};
use leasehold_engine::{Config, LeaseState, Server};
use leasehold_server::dispatch::Dispatcher;
use leasehold_server::metrics::Metrics;
use leasehold_server::store_sync::StoreEvent;
use leasehold_server::usage::PoolSnapshot;
use leasehold_store::{FeedEvent, GroupCommitter, LeaseStore, PgSettings, PgStore};
use std::net::Ipv4Addr;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;

/// A fresh schema in the test database; dropped with the guard.
struct Schema {
    name: String,
    url: String,
    base: String,
}

impl Schema {
    fn new() -> Schema {
        static N: AtomicU32 = AtomicU32::new(0);
        let base = std::env::var("LEASEHOLD_TEST_PG_URL").unwrap_or_else(|_| {
            panic!("LEASEHOLD_TEST_PG_URL is not set: run scripts/test.sh, or start a cluster with tests/lib/pg.sh")
        });
        let name = format!(
            "lh_srv_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let mut c = postgres::Client::connect(&base, postgres::NoTls).expect("connect");
        c.batch_execute(&format!("CREATE SCHEMA {name}"))
            .expect("schema");
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-csearch_path%3D{name}");
        Schema { name, url, base }
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.base, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}

/// One server: its dispatcher on a PgStore as `id`, and the store events it emits.
struct Node {
    dispatcher: Dispatcher,
    committer: Arc<GroupCommitter>,
    sink: Arc<Collect>,
    metrics: Arc<Metrics>,
    events: mpsc::UnboundedReceiver<StoreEvent>,
}

impl Node {
    fn new(schema: &Schema, id: &str) -> Node {
        let config = Arc::new(Config::from_toml(CONFIG, Path::new("t.toml")).expect("config"));
        let mut store = PgStore::open(PgSettings::new(schema.url.clone(), id)).expect("open");
        let leases = store.load_all().expect("load");
        let committer = Arc::new(GroupCommitter::spawn(Box::new(store)).expect("writer"));
        let sink = Arc::new(Collect::default());
        let metrics = Arc::new(Metrics::new());
        let (pools, _) = tokio::sync::watch::channel(Arc::new(PoolSnapshot::empty(config.clone())));
        let mut dispatcher = Dispatcher::new(
            Server::new(config, leases),
            committer.clone(),
            sink.clone(),
            metrics.clone(),
            pools,
        );
        let (tx, events) = mpsc::unbounded_channel();
        dispatcher.share_store(tx);
        Node {
            dispatcher,
            committer,
            sink,
            metrics,
            events,
        }
    }

    fn one(&mut self, datagram: &[u8]) {
        self.dispatcher
            .handle_batch([(datagram, common::arrival())]);
        self.flush();
    }

    fn flush(&self) {
        let _ = self.committer.query(|_| Ok(())).wait();
    }

    fn sent(&self) -> Vec<(&'static str, Ipv4Addr)> {
        self.sink.0.lock().expect("sink").clone()
    }

    /// Applies every store event waiting, then lets the resulting commits finish.
    fn apply_events(&mut self) -> usize {
        let mut n = 0;
        while let Ok(e) = self.events.try_recv() {
            self.dispatcher
                .store_event(e, leasehold_server::dispatch::unix_now());
            n += 1;
        }
        self.flush();
        n
    }
}

#[test]
fn a_refused_record_withholds_the_ack_and_the_request_is_naked() {
    let schema = Schema::new();
    let mut a = Node::new(&schema, "a");
    let mut b = Node::new(&schema, "b");
    // Client 1 is bound through a.
    a.one(&discover(1));
    let x = a.sent()[0].1;
    a.one(&request(1, x));
    assert_eq!(a.sent(), vec![("OFFER", x), ("ACK", x)]);
    // b never heard of it (no feed here): it offers the same address to client 2...
    b.one(&discover(2));
    assert_eq!(b.sent(), vec![("OFFER", x)]);
    // ...but the store refuses client 2's binding: no ACK leaves.
    b.one(&request(2, x));
    assert_eq!(b.sent(), vec![("OFFER", x)], "no ACK for a refused record");
    // Decided again with the store's record, the request is NAKed.
    assert_eq!(b.apply_events(), 1);
    assert_eq!(b.sent(), vec![("OFFER", x), ("NAK", Ipv4Addr::UNSPECIFIED)]);
    let held = b
        .dispatcher
        .server()
        .table()
        .by_addr(x)
        .cloned()
        .expect("record");
    assert_eq!(held.state, LeaseState::Bound);
    assert_eq!(
        held.hwaddr.map(|h| h.as_bytes().to_vec()),
        Some(vec![0x52, 0x54, 0, 0, 1, 1])
    );
    let metrics = b.metrics.render(None, vec![], vec![], b.committer.stats());
    assert!(
        metrics.contains("leasehold_store_rejected_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("leasehold_store_retried_requests_total 1"),
        "{metrics}"
    );
    assert!(metrics.contains("leasehold_store_up 1"), "{metrics}");
    // Client 2 starts over and gets another address from b.
    b.one(&discover(2));
    let y = b.sent()[2].1;
    assert_ne!(y, x);
    b.one(&request(2, y));
    assert_eq!(b.sent()[3], ("ACK", y));
    // The database holds exactly one client per address.
    let check =
        PgStore::open_read_only(PgSettings::new(schema.url.clone(), "check")).expect("open");
    let all = check.load_all_with_server().expect("load");
    assert_eq!(all.len(), 2);
    assert_eq!(
        all.iter()
            .find(|(l, _)| l.addr == x)
            .map(|(_, s)| s.as_str()),
        Some("a")
    );
    assert_eq!(
        all.iter()
            .find(|(l, _)| l.addr == y)
            .map(|(_, s)| s.as_str()),
        Some("b")
    );
}

#[test]
fn a_record_from_the_feed_withdraws_an_offer_and_steers_the_next_one() {
    let schema = Schema::new();
    let mut a = Node::new(&schema, "a");
    let mut b = Node::new(&schema, "b");
    b.one(&discover(2));
    let x = b.sent()[0].1;
    // Meanwhile a binds the same address to client 1 and b hears of it through its feed.
    a.one(&discover(1));
    assert_eq!(a.sent()[0].1, x);
    a.one(&request(1, x));
    let record = a
        .dispatcher
        .server()
        .table()
        .by_addr(x)
        .cloned()
        .expect("record");
    b.dispatcher.store_event(
        StoreEvent::Feed(FeedEvent::Changed(vec![record.clone()])),
        leasehold_server::dispatch::unix_now(),
    );
    assert_eq!(b.dispatcher.server().table().by_addr(x), Some(&record));
    // Client 2's REQUEST for its (withdrawn) offer is NAKed at once, without a store round trip.
    b.one(&request(2, x));
    assert_eq!(b.sent()[1].0, "NAK");
    assert_eq!(b.apply_events(), 0, "nothing was refused");
    b.one(&discover(2));
    assert_ne!(b.sent()[2].1, x, "the next offer avoids the bound address");
}
