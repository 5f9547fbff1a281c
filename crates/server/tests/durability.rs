//! The durability rule, in-process and without sockets: a reply that carries a durable change
//! leaves only after its commit; a failed commit withholds it; a stalled store bounds the
//! lease writer's queue and counts `store_backlog` drops; OFFER, NAK and INFORM replies never
//! wait for the disk. The store is an in-memory one behind a gate the test opens, closes or
//! poisons; replies land in a collecting [`ReplySink`].

mod common;

use common::{arrival, discover, msg, request, Collect, CONFIG};
use leasehold_engine::{ClientKey, Config, Lease, Server, Timestamp};
use leasehold_server::dispatch::Dispatcher;
use leasehold_server::metrics::Metrics;
use leasehold_server::usage::PoolSnapshot;
use leasehold_store::{
    CommitOptions, GroupCommitter, HistoryEntry, HistoryFilter, LeaseStore, MemoryStore, StoreError,
};
use leasehold_wire::MessageType;
use std::net::Ipv4Addr;
use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};

/// How the gated store behaves on its next commits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Gate {
    Open,
    /// Every commit waits for a message on the release channel.
    Stalled,
    /// Every commit fails.
    Failing,
}

struct GatedStore {
    inner: MemoryStore,
    gate: Arc<Mutex<Gate>>,
    release: mpsc::Receiver<()>,
}

impl LeaseStore for GatedStore {
    fn load_all(&mut self) -> Result<Vec<Lease>, StoreError> {
        self.inner.load_all()
    }
    fn get(&self, addr: Ipv4Addr) -> Result<Option<Lease>, StoreError> {
        self.inner.get(addr)
    }
    fn by_client(&self, c: &ClientKey) -> Result<Vec<Lease>, StoreError> {
        self.inner.by_client(c)
    }
    fn commit(&mut self, batch: &[Lease], now: Timestamp) -> Result<(), StoreError> {
        let gate = *self.gate.lock().expect("gate");
        match gate {
            Gate::Open => {}
            Gate::Stalled => self.release.recv().map_err(|_| StoreError::WriterGone)?,
            Gate::Failing => {
                return Err(StoreError::OutOfRange {
                    what: "test failure",
                    value: 0,
                })
            }
        }
        self.inner.commit(batch, now)
    }
    fn ping(&mut self) -> Result<(), StoreError> {
        match *self.gate.lock().expect("gate") {
            Gate::Failing => Err(StoreError::OutOfRange {
                what: "test failure",
                value: 0,
            }),
            _ => Ok(()),
        }
    }
    fn delete(&mut self, addr: Ipv4Addr) -> Result<bool, StoreError> {
        self.inner.delete(addr)
    }
    fn history(&self, f: &HistoryFilter, limit: usize) -> Result<Vec<HistoryEntry>, StoreError> {
        self.inner.history(f, limit)
    }
    fn prune_history(&mut self, t: Timestamp, limit: usize) -> Result<u64, StoreError> {
        self.inner.prune_history(t, limit)
    }
}

/// Field order matters: `release` is dropped first, so a test that fails while the writer is
/// stalled ends its commit (as WriterGone) instead of hanging in the committer's drop.
struct Rig {
    release: mpsc::Sender<()>,
    dispatcher: Dispatcher,
    committer: Arc<GroupCommitter>,
    sink: Arc<Collect>,
    metrics: Arc<Metrics>,
    gate: Arc<Mutex<Gate>>,
}

fn rig(max_queued_leases: usize) -> Rig {
    let config = Arc::new(Config::from_toml(CONFIG, Path::new("t.toml")).expect("config"));
    let gate = Arc::new(Mutex::new(Gate::Open));
    let (release, release_rx) = mpsc::channel();
    let store = GatedStore {
        inner: MemoryStore::new(),
        gate: gate.clone(),
        release: release_rx,
    };
    let options = CommitOptions {
        max_queued_leases,
        ..CommitOptions::default()
    };
    let committer =
        Arc::new(GroupCommitter::with_options(Box::new(store), options).expect("writer"));
    let sink = Arc::new(Collect::default());
    let metrics = Arc::new(Metrics::new());
    let (pools, _) = tokio::sync::watch::channel(Arc::new(PoolSnapshot::empty(config.clone())));
    let dispatcher = Dispatcher::new(
        Server::new(config, []),
        committer.clone(),
        sink.clone(),
        metrics.clone(),
        pools,
    );
    Rig {
        dispatcher,
        committer,
        sink,
        metrics,
        gate,
        release,
    }
}

impl Rig {
    fn one(&mut self, datagram: &[u8]) {
        self.dispatcher.handle_batch([(datagram, arrival())]);
    }

    /// Waits until every submission so far is resolved and its replies handed to the sink.
    fn flush(&self) {
        let _ = self.committer.query(|_| Ok(())).wait();
    }

    fn set(&self, gate: Gate) {
        *self.gate.lock().expect("gate") = gate;
    }

    /// DISCOVER for client `n`; returns the offered address.
    fn offered(&mut self, n: u8) -> Ipv4Addr {
        let before = self.sink.0.lock().expect("sink").len();
        self.one(&discover(n));
        let sent = self.sink.0.lock().expect("sink");
        assert_eq!(sent.len(), before + 1, "the OFFER left at once");
        let (kind, addr) = sent[before];
        assert_eq!(kind, "OFFER");
        addr
    }
}

#[test]
fn an_ack_leaves_only_after_its_commit() {
    let mut r = rig(1024);
    let addr = r.offered(1);
    r.set(Gate::Stalled);
    r.one(&request(1, addr));
    // The writer is inside the commit, which cannot finish: no ACK yet.
    assert_eq!(r.sink.kinds(), vec!["OFFER"]);
    // Replies that need no write still leave at once while the disk is stalled: an OFFER to
    // another client, a NAK, and an INFORM's ACK.
    let other = r.offered(2);
    assert_ne!(other, addr);
    r.one(&request(3, Ipv4Addr::new(10, 0, 0, 1)));
    r.one(&msg(4, MessageType::Inform, &[]));
    assert_eq!(
        r.sink.kinds(),
        vec!["OFFER", "OFFER", "NAK", "ACK"],
        "OFFER, NAK and INFORM's ACK did not wait for the disk"
    );
    // The commit completes: now the ACK leaves.
    r.set(Gate::Open);
    r.release.send(()).expect("release");
    r.flush();
    let sent = r.sink.0.lock().expect("sink").clone();
    assert_eq!(sent.last(), Some(&("ACK", addr)));
    assert_eq!(sent.len(), 5);
}

#[test]
fn a_failed_commit_withholds_its_acks() {
    let mut r = rig(1024);
    let a = r.offered(1);
    let b = r.offered(2);
    r.set(Gate::Failing);
    r.dispatcher.handle_batch([
        (&request(1, a)[..], arrival()),
        (&request(2, b)[..], arrival()),
    ]);
    r.flush();
    assert_eq!(
        r.sink.kinds(),
        vec!["OFFER", "OFFER"],
        "no ACK whose lease is not on disk"
    );
    assert_eq!(r.committer.stats().failed_submissions, 1);
    // With the store back, a retransmitted REQUEST is ACKed after its commit.
    r.set(Gate::Open);
    r.one(&request(1, a));
    r.flush();
    assert_eq!(r.sink.0.lock().expect("sink").last(), Some(&("ACK", a)));
}

/// After a failed commit the store counts as down (metric, health) until a check on the lease
/// writer finds it back, even on a server with nothing more to commit.
#[test]
fn an_idle_server_sees_the_store_come_back() {
    let mut r = rig(1024);
    let a = r.offered(1);
    r.set(Gate::Failing);
    r.one(&request(1, a));
    r.flush();
    assert!(!r.metrics.store.up(), "down after a failed commit");
    assert!(!r.metrics.store.reason().is_empty());
    // Still down: the store check fails too.
    r.dispatcher.tick(leasehold_server::dispatch::unix_now());
    r.flush();
    assert!(!r.metrics.store.up());
    r.set(Gate::Open);
    r.dispatcher.tick(leasehold_server::dispatch::unix_now());
    r.flush();
    assert!(r.metrics.store.up(), "up again without any commit");
    assert_eq!(r.metrics.store.reason(), "");
}

#[test]
fn a_stalled_store_bounds_the_queue_and_counts_store_backlog() {
    const BOUND: usize = 4;
    let mut r = rig(BOUND);
    let addrs: Vec<Ipv4Addr> = (1..=12u8).map(|n| r.offered(n)).collect();
    r.set(Gate::Stalled);
    for (n, a) in (1..=12u8).zip(&addrs) {
        r.one(&request(n, *a));
        assert!(
            r.committer.stats().queued_leases <= BOUND as u64,
            "the queue stays within its bound"
        );
    }
    assert_eq!(r.committer.stats().queued_leases, BOUND as u64);
    let backlog = r
        .dispatcher
        .server()
        .guard()
        .drops()
        .find(|(reason, _)| reason.as_str() == "store_backlog")
        .map(|(_, n)| n);
    assert_eq!(backlog, Some(12 - BOUND as u64));
    let text = r
        .metrics
        .render(None, Vec::new(), Vec::new(), r.committer.stats());
    assert!(
        text.contains(&format!(
            "leasehold_packets_dropped_total{{reason=\"store_backlog\"}} {}",
            12 - BOUND
        )),
        "{text}"
    );
    // Dropped requests changed nothing: their addresses are still only offered.
    let bound = r
        .dispatcher
        .server()
        .table()
        .iter()
        .filter(|l| l.state == leasehold_engine::LeaseState::Bound)
        .count();
    assert_eq!(bound, BOUND, "only the queued REQUESTs bound an address");
    // OFFERs still leave while backlogged.
    r.offered(13);
    // The disk comes back: the queued ACKs leave, and new durable work is accepted again.
    r.set(Gate::Open);
    for _ in 0..BOUND {
        r.release.send(()).expect("release");
    }
    r.flush();
    let acks = r.sink.kinds().iter().filter(|k| **k == "ACK").count();
    assert_eq!(acks, BOUND);
    assert!(!r.committer.backlogged());
    r.one(&request(12, addrs[11]));
    r.flush();
    assert_eq!(
        r.sink.0.lock().expect("sink").last(),
        Some(&("ACK", addrs[11]))
    );
}
