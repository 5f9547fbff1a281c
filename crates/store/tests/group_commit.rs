//! Group commit: tickets resolve only after durable commits, batches form under load, failures
//! reach exactly the tickets whose leases were not stored, and close() flushes. No timing
//! assertions: batching is forced deterministically with a gate that holds the writer inside
//! a commit while more work is queued.

mod common;

use common::lease;
use leasehold_engine::{Lease, Timestamp};
use leasehold_store::{
    CommitOptions, CommitReport, GroupCommitter, HistoryEntry, HistoryFilter, LeaseStore,
    MemoryStore, SqliteStore, StoreError,
};
use std::net::Ipv4Addr;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

/// Wraps a store: reports each commit's size on `entered` and, while `hold` is set, waits for a
/// `release` message before committing. Fails batches containing `poison`.
struct Gated {
    inner: MemoryStore,
    entered: mpsc::Sender<usize>,
    release: Arc<Mutex<mpsc::Receiver<()>>>,
    hold: bool,
    poison: Option<Ipv4Addr>,
}

impl LeaseStore for Gated {
    fn load_all(&mut self) -> Result<Vec<Lease>, StoreError> {
        self.inner.load_all()
    }
    fn get(&self, addr: Ipv4Addr) -> Result<Option<Lease>, StoreError> {
        self.inner.get(addr)
    }
    fn by_client(&self, c: &leasehold_engine::ClientKey) -> Result<Vec<Lease>, StoreError> {
        self.inner.by_client(c)
    }
    fn commit(&mut self, batch: &[Lease], now: Timestamp) -> Result<(), StoreError> {
        let _ = self.entered.send(batch.len());
        if self.hold {
            self.hold = false;
            let rx = self.release.lock().expect("gate");
            rx.recv().expect("release");
        }
        if self
            .poison
            .is_some_and(|p| batch.iter().any(|l| l.addr == p))
        {
            return Err(StoreError::OutOfRange {
                what: "poison",
                value: 0,
            });
        }
        self.inner.commit(batch, now)
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

struct Harness {
    committer: GroupCommitter,
    entered: mpsc::Receiver<usize>,
    release: mpsc::Sender<()>,
}

fn gated(max_batch: usize, poison: Option<Ipv4Addr>) -> Harness {
    gated_with(
        CommitOptions {
            max_batch,
            ..CommitOptions::default()
        },
        poison,
    )
}

fn gated_with(options: CommitOptions, poison: Option<Ipv4Addr>) -> Harness {
    let (entered_tx, entered) = mpsc::channel();
    let (release, release_rx) = mpsc::channel();
    let store = Gated {
        inner: MemoryStore::new(),
        entered: entered_tx,
        release: Arc::new(Mutex::new(release_rx)),
        hold: true,
        poison,
    };
    let committer = GroupCommitter::with_options(Box::new(store), options).expect("spawn");
    Harness {
        committer,
        entered,
        release,
    }
}

#[test]
fn queued_submissions_share_one_transaction() {
    let h = gated(1024, None);
    let first = h.committer.submit(vec![lease(1, 1)], 1);
    assert_eq!(h.entered.recv().expect("writer in first commit"), 1);
    let rest: Vec<_> = (2..=11)
        .map(|n| h.committer.submit(vec![lease(n, 1), lease(n + 100, 1)], 1))
        .collect();
    h.release.send(()).expect("release");
    assert_eq!(first.wait().expect("first").batch_submissions, 1);
    let reports: Vec<CommitReport> = rest
        .into_iter()
        .map(|t| t.wait().expect("ticket"))
        .collect();
    for r in &reports {
        assert_eq!(
            (r.batch_submissions, r.batch_leases),
            (10, 20),
            "all ten queued submissions in one batch"
        );
    }
    let stats = h.committer.stats();
    assert_eq!(
        (stats.batches, stats.submissions, stats.leases),
        (2, 11, 21)
    );
    assert_eq!(
        (
            stats.last_batch_leases,
            stats.max_batch_leases,
            stats.queued
        ),
        (20, 20, 0)
    );
    assert_eq!(stats.commit_latency_buckets.iter().sum::<u64>(), 2);
    let mut store = h.committer.close().expect("close");
    assert_eq!(store.load_all().expect("load").len(), 21);
}

#[test]
fn a_stalled_store_reports_a_backlog_until_it_drains() {
    let h = gated_with(
        CommitOptions {
            max_queued_leases: 10,
            ..CommitOptions::default()
        },
        None,
    );
    let first = h.committer.submit(vec![lease(1, 1)], 1);
    assert_eq!(h.entered.recv().expect("writer in first commit"), 1);
    assert!(!h.committer.backlogged(), "one lease queued of ten");
    let rest: Vec<_> = (2..=10)
        .map(|n| h.committer.submit(vec![lease(n, 1)], 1))
        .collect();
    assert!(
        h.committer.backlogged(),
        "ten leases wait for a stalled disk"
    );
    assert_eq!(h.committer.stats().queued_leases, 10);
    h.release.send(()).expect("release");
    first.wait().expect("first");
    for t in rest {
        t.wait().expect("ticket");
    }
    // Counters are updated after the tickets resolve: wait for the writer to finish the batch.
    let _ = h.committer.query(|_| Ok(())).wait();
    assert_eq!(h.committer.stats().queued_leases, 0);
    assert!(!h.committer.backlogged());
}

#[test]
fn max_batch_bounds_a_transaction() {
    let h = gated(4, None);
    let first = h.committer.submit(vec![lease(1, 1)], 1);
    h.entered.recv().expect("in commit");
    let rest: Vec<_> = (2..=11)
        .map(|n| h.committer.submit(vec![lease(n, 1)], 1))
        .collect();
    h.release.send(()).expect("release");
    first.wait().expect("first");
    let sizes: Vec<usize> = rest
        .into_iter()
        .map(|t| t.wait().expect("ticket").batch_leases)
        .collect();
    assert_eq!(sizes, vec![4, 4, 4, 4, 4, 4, 4, 4, 2, 2]);
    let batch_sizes: Vec<usize> = h.entered.try_iter().collect();
    assert_eq!(batch_sizes, vec![4, 4, 2]);
}

#[test]
fn one_bad_submission_fails_only_itself() {
    let bad = Ipv4Addr::new(10, 0, 0, 5);
    let h = gated(1024, Some(bad));
    let first = h.committer.submit(vec![lease(1, 1)], 1);
    h.entered.recv().expect("in commit");
    let tickets: Vec<_> = (2..=8)
        .map(|n| h.committer.submit(vec![lease(n, 1), lease(n + 100, 1)], 1))
        .collect();
    h.release.send(()).expect("release");
    first.wait().expect("first");
    for (n, t) in (2..=8).zip(tickets) {
        let result = t.wait();
        if n == 5 {
            let err = result.expect_err("poisoned submission fails");
            assert!(matches!(err, StoreError::BatchFailed(_)), "{err:?}");
            assert!(err.to_string().contains("poison"), "{err}");
        } else {
            result.expect("others are committed");
        }
    }
    let stats = h.committer.stats();
    assert_eq!(
        (stats.failed_submissions, stats.submissions, stats.queued),
        (1, 7, 0)
    );
    let mut store = h.committer.close().expect("close");
    let addrs: Vec<Ipv4Addr> = store
        .load_all()
        .expect("load")
        .iter()
        .map(|l| l.addr)
        .collect();
    assert!(
        !addrs.contains(&bad) && !addrs.contains(&Ipv4Addr::new(10, 0, 0, 105)),
        "nothing of the failed submission"
    );
    assert_eq!(addrs.len(), 1 + 6 * 2);
}

#[test]
fn store_failure_fails_every_ticket() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("leases.db");
    let mut s = SqliteStore::open(&path).expect("open");
    s.commit(&[lease(1, 1)], 1).expect("commit");
    drop(s);
    // A read-only store: every commit fails at the SQLite level.
    let ro = SqliteStore::open_read_only(&path).expect("ro");
    let c = GroupCommitter::spawn(Box::new(ro)).expect("spawn");
    let tickets: Vec<_> = (2..20).map(|n| c.submit(vec![lease(n, 1)], 1)).collect();
    for t in tickets {
        let err = t.wait().expect_err("nothing can be committed");
        assert!(matches!(err, StoreError::BatchFailed(_)), "{err:?}");
    }
    assert_eq!(c.stats().submissions, 0);
    assert!(c.stats().failed_batches >= 1);
}

#[test]
fn close_flushes_everything_queued() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("leases.db");
    let c =
        GroupCommitter::spawn(Box::new(SqliteStore::open(&path).expect("open"))).expect("spawn");
    let tickets: Vec<_> = (0..500u32)
        .map(|i| {
            c.submit(
                vec![Lease {
                    addr: Ipv4Addr::from(0x0a00_0000 + i),
                    ..lease(1, 1)
                }],
                1,
            )
        })
        .collect();
    drop(c.close().expect("close"));
    for t in tickets {
        t.wait().expect("committed before close returned");
    }
    assert_eq!(
        SqliteStore::open(&path)
            .expect("reopen")
            .load_all()
            .expect("load")
            .len(),
        500
    );
}

#[test]
fn query_sees_earlier_submissions() {
    let c = GroupCommitter::spawn(Box::new(MemoryStore::new())).expect("spawn");
    let t = c.submit(vec![lease(1, 1), lease(2, 1)], 1);
    let n = c
        .query(|s| s.load_all().map(|v| v.len()))
        .wait()
        .expect("query");
    assert_eq!(n, 2);
    t.wait().expect("ticket");
}

#[test]
fn submit_then_completes_after_the_commit_in_order() {
    let c = GroupCommitter::spawn(Box::new(MemoryStore::new())).expect("spawn");
    let (tx, rx) = mpsc::channel();
    for n in 1..=5u8 {
        let tx = tx.clone();
        c.submit_then(vec![lease(n, 1)], 1, move |r| {
            let _ = tx.send((n, r));
        });
    }
    let done: Vec<u8> = (0..5)
        .map(|_| {
            let (n, r) = rx.recv().expect("completion");
            r.expect("committed");
            n
        })
        .collect();
    assert_eq!(done, vec![1, 2, 3, 4, 5], "completions in submission order");
    let n = c
        .query(|s| s.load_all().map(|v| v.len()))
        .wait()
        .expect("query");
    assert_eq!(n, 5);
}

#[test]
fn commit_delay_folds_submissions_into_one_transaction() {
    // Generous delay: the five submissions below are queued within microseconds of the first.
    let options = CommitOptions {
        delay: std::time::Duration::from_millis(500),
        ..CommitOptions::default()
    };
    let c = GroupCommitter::with_options(Box::new(MemoryStore::new()), options).expect("spawn");
    let tickets: Vec<_> = (1..=5u8).map(|n| c.submit(vec![lease(n, 1)], 1)).collect();
    for t in tickets {
        let r = t.wait().expect("durable");
        assert_eq!((r.batch_submissions, r.batch_leases), (5, 5));
    }
    assert_eq!(c.stats().batches, 1);
}

#[test]
fn commit_delay_still_stops_at_max_batch() {
    let options = CommitOptions {
        max_batch: 2,
        delay: std::time::Duration::from_secs(30),
        ..CommitOptions::default()
    };
    let c = GroupCommitter::with_options(Box::new(MemoryStore::new()), options).expect("spawn");
    let a = c.submit(vec![lease(1, 1), lease(2, 1)], 1);
    // Full at once: committed without waiting out the 30 s delay.
    assert_eq!(a.wait().expect("durable").batch_leases, 2);
}

#[test]
fn gated_delay_commits_lone_submissions_at_once() {
    // Lingering only under load: an idle writer does not wait out the (absurd) 30 s delay.
    let options = CommitOptions {
        delay: std::time::Duration::from_secs(30),
        delay_min_per_window: 8,
        ..CommitOptions::default()
    };
    let c = GroupCommitter::with_options(Box::new(MemoryStore::new()), options).expect("spawn");
    let started = std::time::Instant::now();
    for n in 1..=3u8 {
        let r = c.submit(vec![lease(n, 1)], 1).wait().expect("durable");
        assert_eq!(r.batch_submissions, 1);
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "lone submissions waited for the delay: {:?}",
        started.elapsed()
    );
    assert_eq!(c.stats().batches, 3);
}

#[test]
fn gated_delay_lingers_once_the_rate_fills_the_window() {
    // A 50 ms delay that opens from 1 lease per window (20 leases/s); submissions paced 1 ms
    // apart (1,000/s) open it after the first 10 ms measurement, and from then on batches fold
    // several submissions. Without lingering each would be committed alone (MemoryStore commits
    // in microseconds).
    let options = CommitOptions {
        delay: std::time::Duration::from_millis(50),
        delay_min_per_window: 1,
        ..CommitOptions::default()
    };
    let c = GroupCommitter::with_options(Box::new(MemoryStore::new()), options).expect("spawn");
    let mut tickets = Vec::new();
    for n in 1..=60u8 {
        tickets.push(c.submit(vec![lease(n, 1)], 1));
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let widest = tickets
        .into_iter()
        .map(|t| t.wait().expect("durable").batch_submissions)
        .max()
        .unwrap_or(0);
    assert!(widest >= 2, "no batch folded submissions (widest {widest})");
    assert!(c.stats().batches < 60, "{:?}", c.stats());
}

/// A store whose commit panics (a bug): tickets report WriterGone rather than hanging.
struct Panicking;

impl LeaseStore for Panicking {
    fn load_all(&mut self) -> Result<Vec<Lease>, StoreError> {
        Ok(vec![])
    }
    fn get(&self, _: Ipv4Addr) -> Result<Option<Lease>, StoreError> {
        Ok(None)
    }
    fn by_client(&self, _: &leasehold_engine::ClientKey) -> Result<Vec<Lease>, StoreError> {
        Ok(vec![])
    }
    fn commit(&mut self, _: &[Lease], _: Timestamp) -> Result<(), StoreError> {
        panic!("simulated bug in a backend")
    }
    fn delete(&mut self, _: Ipv4Addr) -> Result<bool, StoreError> {
        Ok(false)
    }
    fn history(&self, _: &HistoryFilter, _: usize) -> Result<Vec<HistoryEntry>, StoreError> {
        Ok(vec![])
    }
    fn prune_history(&mut self, _: Timestamp, _: usize) -> Result<u64, StoreError> {
        Ok(0)
    }
}

#[test]
fn writer_death_is_reported_not_hung() {
    let c = GroupCommitter::spawn(Box::new(Panicking)).expect("spawn");
    let err = c
        .submit(vec![lease(1, 1)], 1)
        .wait()
        .expect_err("writer died");
    assert!(matches!(err, StoreError::WriterGone), "{err:?}");
    let err = c
        .submit(vec![lease(2, 1)], 1)
        .wait()
        .expect_err("writer gone");
    assert!(matches!(err, StoreError::WriterGone), "{err:?}");
    assert!(matches!(c.close(), Err(StoreError::WriterGone)));
}

#[test]
fn submit_then_hears_of_writer_death() {
    let c = GroupCommitter::spawn(Box::new(Panicking)).expect("spawn");
    for n in 1..=2u8 {
        let (tx, rx) = mpsc::channel();
        c.submit_then(vec![lease(n, 1)], 1, move |r| {
            let _ = tx.send(r);
        });
        let err = rx
            .recv()
            .expect("called exactly once")
            .expect_err("writer died");
        assert!(matches!(err, StoreError::WriterGone), "{err:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tokio_tasks_all_durable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("leases.db");
    let c = Arc::new(
        GroupCommitter::spawn(Box::new(SqliteStore::open(&path).expect("open"))).expect("spawn"),
    );
    let tasks: Vec<_> = (0..200u32)
        .map(|i| {
            let c = Arc::clone(&c);
            tokio::spawn(async move {
                let l = Lease {
                    addr: Ipv4Addr::from(0x0a00_0000 + i),
                    ..lease(1, 1)
                };
                c.submit(vec![l], 1).await
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task").expect("durable");
    }
    let stats = c.stats();
    assert_eq!(
        (stats.submissions, stats.leases, stats.queued),
        (200, 200, 0)
    );
    assert!(stats.batches <= 200);
    let c = Arc::into_inner(c).expect("last reference");
    let mut store = tokio::task::spawn_blocking(move || c.close())
        .await
        .expect("join")
        .expect("close");
    assert_eq!(store.load_all().expect("load").len(), 200);
    drop(store);
    assert_eq!(
        SqliteStore::open(&path)
            .expect("reopen")
            .load_all()
            .expect("load")
            .len(),
        200
    );
}
