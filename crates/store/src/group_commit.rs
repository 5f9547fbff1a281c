//! [`GroupCommitter`]: many submissions, one transaction, one fsync.
//!
//! The store lives on one dedicated writer thread. Callers (tokio tasks) [`submit`] the durable
//! lease changes of a decision and await the returned [`CommitTicket`]; awaiting never blocks the
//! runtime. Or they [`submit_then`] with a completion that the writer runs itself once the
//! batch is resolved, which saves waking another thread per batch (the server sends its ACKs
//! that way). The writer takes the first queued submission, drains everything else already
//! queued (until it holds `max_batch` leases), commits it all in one transaction and resolves
//! every submission of the batch. Under load, batches grow by themselves.
//!
//! With a commit delay ([`CommitOptions::delay`], default 0), the writer, having taken the first
//! submission of a batch, sleeps up to that long (less if `max_batch` leases are already queued)
//! before draining the queue again and committing: at moderate rates this folds several
//! submissions into one transaction and one fsync instead of one each, at the price of that much
//! added commit latency. It sleeps rather than waiting on the queue, so submissions arriving
//! meanwhile do not wake it. With [`CommitOptions::delay_min_per_window`] it lingers only while
//! the lease rate is high enough to fill the wait; with delay 0 a lone submission is committed
//! at once.
//!
//! A ticket resolves `Ok` only once its leases are on stable storage. If a batch of several
//! submissions fails, each submission is retried alone, so a single unstorable lease fails only
//! its own ticket; a ticket whose commit fails resolves `Err`, and the caller must not send the
//! reply that depended on it.
//!
//! [`submit`]: GroupCommitter::submit
//! [`submit_then`]: GroupCommitter::submit_then

use crate::error::StoreError;
use crate::store::{LeaseStore, Rejected};
use leasehold_engine::{Lease, LoadGate, Timestamp};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Default upper bound on leases per transaction.
pub const DEFAULT_MAX_BATCH: usize = 1024;

/// Default bound of the queue: leases waiting for their commit (about 10 MiB of queued leases
/// and replies; at 16,000 ACKs/s, four seconds of a stalled disk).
pub const DEFAULT_MAX_QUEUED_LEASES: usize = 65_536;

/// Settings of a [`GroupCommitter`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommitOptions {
    /// Upper bound on leases per transaction: draining the queue stops once a batch holds this
    /// many (a single larger submission is still committed whole). At least 1.
    pub max_batch: usize,
    /// How long the writer lingers after taking the first submission of a batch, collecting
    /// more, before it commits. Zero commits at once. Every submission's commit (and so the
    /// reply waiting for it) is delayed by up to this much; in exchange, at moderate rates many
    /// submissions share one transaction and one fsync.
    pub delay: Duration,
    /// Linger only under load: while at least this many leases are committed per `delay`
    /// (measured over 10 ms or more, see [`LoadGate`]); below that rate a submission is committed
    /// at once. 0 always lingers.
    pub delay_min_per_window: u32,
    /// Leases queued (submitted, not yet committed or failed) beyond which
    /// [`GroupCommitter::backlogged`] reports true: when the disk stalls, the caller stops
    /// deciding new durable work instead of queueing without limit. At least 1.
    pub max_queued_leases: usize,
}

impl Default for CommitOptions {
    /// [`DEFAULT_MAX_BATCH`], no delay.
    fn default() -> Self {
        CommitOptions {
            max_batch: DEFAULT_MAX_BATCH,
            delay: Duration::ZERO,
            delay_min_per_window: 0,
            max_queued_leases: DEFAULT_MAX_QUEUED_LEASES,
        }
    }
}

/// Upper bounds (µs) of the commit latency histogram buckets; the last one catches the rest.
pub const LATENCY_BUCKETS_MICROS: [u64; 10] = [
    100,
    250,
    500,
    1_000,
    2_500,
    5_000,
    10_000,
    25_000,
    100_000,
    u64::MAX,
];

/// What a successful ticket reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitReport {
    /// Leases in the transaction that carried this submission.
    pub batch_leases: usize,
    /// Submissions in that transaction.
    pub batch_submissions: usize,
    /// Time the transaction took, fsync included, in microseconds.
    pub commit_micros: u64,
    /// This submission's records the store refused because another server holds the address
    /// ([`LeaseStore::commit_claims`]; always empty for a store only this server writes). Their
    /// replies must not be sent; the server's view of those addresses is out of date.
    pub rejected: Vec<Rejected>,
}

/// A snapshot of the committer's counters (for metrics).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupCommitStats {
    /// Transactions committed successfully.
    pub batches: u64,
    /// Transactions that failed.
    pub failed_batches: u64,
    /// Transactions failed since the last one that succeeded (0: the store is writable).
    pub consecutive_failures: u64,
    /// Records the store refused because another server holds their address.
    pub rejected: u64,
    /// Leases committed successfully.
    pub leases: u64,
    /// Submissions committed successfully.
    pub submissions: u64,
    /// Submissions whose ticket resolved with an error.
    pub failed_submissions: u64,
    /// Submissions queued and not yet resolved.
    pub queued: u64,
    /// Leases queued and not yet committed or failed.
    pub queued_leases: u64,
    /// Leases in the most recent successful transaction.
    pub last_batch_leases: u64,
    /// Largest successful transaction, in leases.
    pub max_batch_leases: u64,
    /// Sum of successful commit durations (fsync included), µs.
    pub commit_micros_sum: u64,
    /// Longest successful commit, µs.
    pub commit_micros_max: u64,
    /// Successful commits per latency bucket ([`LATENCY_BUCKETS_MICROS`]; not cumulative).
    pub commit_latency_buckets: [u64; LATENCY_BUCKETS_MICROS.len()],
}

#[derive(Default)]
struct Counters {
    batches: AtomicU64,
    rejected: AtomicU64,
    consecutive_failures: AtomicU64,
    failed_batches: AtomicU64,
    leases: AtomicU64,
    submissions: AtomicU64,
    failed_submissions: AtomicU64,
    submitted: AtomicU64,
    queued_leases: AtomicU64,
    last_batch_leases: AtomicU64,
    max_batch_leases: AtomicU64,
    commit_micros_sum: AtomicU64,
    commit_micros_max: AtomicU64,
    buckets: [AtomicU64; LATENCY_BUCKETS_MICROS.len()],
}

impl Counters {
    fn success(&self, leases: u64, submissions: u64, micros: u64) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.consecutive_failures.store(0, Ordering::Relaxed);
        self.leases.fetch_add(leases, Ordering::Relaxed);
        self.last_batch_leases.store(leases, Ordering::Relaxed);
        self.max_batch_leases.fetch_max(leases, Ordering::Relaxed);
        self.commit_micros_sum.fetch_add(micros, Ordering::Relaxed);
        self.commit_micros_max.fetch_max(micros, Ordering::Relaxed);
        let bucket = LATENCY_BUCKETS_MICROS
            .iter()
            .position(|b| micros <= *b)
            .unwrap_or(LATENCY_BUCKETS_MICROS.len() - 1);
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        // Last: a reader that sees the submission resolved sees the rest.
        self.submissions.fetch_add(submissions, Ordering::Release);
    }
}

/// Resolves to the result of one queued operation. Await it from async code, or [`Ticket::wait`]
/// from a plain thread.
#[must_use = "a ticket must be awaited to know whether the leases are durable"]
#[derive(Debug)]
pub struct Ticket<T> {
    rx: oneshot::Receiver<Result<T, StoreError>>,
}

/// The ticket of a [`GroupCommitter::submit`].
pub type CommitTicket = Ticket<CommitReport>;

impl<T> Ticket<T> {
    /// Blocks the current thread until the result is known. Must not be called from inside an
    /// async runtime (await the ticket there instead).
    pub fn wait(self) -> Result<T, StoreError> {
        self.rx
            .blocking_recv()
            .unwrap_or(Err(StoreError::WriterGone))
    }
}

impl<T> Future for Ticket<T> {
    type Output = Result<T, StoreError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.rx)
            .poll(cx)
            .map(|r| r.unwrap_or(Err(StoreError::WriterGone)))
    }
}

type Query = Box<dyn FnOnce(&mut dyn LeaseStore) + Send>;

/// The completion of a [`GroupCommitter::submit_then`].
type Callback = Box<dyn FnOnce(Result<CommitReport, StoreError>) + Send>;

/// Who learns the outcome of a submission. Resolved exactly once: a `Done` dropped unresolved
/// (the writer died, or was gone at submission) resolves with [`StoreError::WriterGone`].
struct Done(Option<Notify>);

enum Notify {
    Ticket(oneshot::Sender<Result<CommitReport, StoreError>>),
    Callback(Callback),
}

impl Done {
    fn resolve(mut self, result: Result<CommitReport, StoreError>) {
        match self.0.take() {
            // The ticket holder may have stopped waiting; nothing to do then.
            Some(Notify::Ticket(tx)) => {
                let _ = tx.send(result);
            }
            Some(Notify::Callback(f)) => f(result),
            None => {}
        }
    }
}

impl Drop for Done {
    fn drop(&mut self) {
        if let Some(Notify::Callback(f)) = self.0.take() {
            f(Err(StoreError::WriterGone));
        }
        // A dropped ticket sender already makes its ticket report WriterGone.
    }
}

enum Job {
    Commit {
        leases: Vec<Lease>,
        now: Timestamp,
        done: Done,
    },
    Query(Query),
}

/// Owns a [`LeaseStore`] on a dedicated writer thread and commits submissions in groups.
///
/// `Send + Sync`: share it behind an `Arc`.
pub struct GroupCommitter {
    tx: Option<mpsc::Sender<Job>>,
    worker: Option<thread::JoinHandle<Box<dyn LeaseStore>>>,
    counters: Arc<Counters>,
    max_queued_leases: u64,
}

impl std::fmt::Debug for GroupCommitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommitter")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl GroupCommitter {
    /// Starts the writer thread with the default [`CommitOptions`] ([`DEFAULT_MAX_BATCH`], no
    /// delay).
    pub fn spawn(store: Box<dyn LeaseStore>) -> Result<GroupCommitter, StoreError> {
        GroupCommitter::with_options(store, CommitOptions::default())
    }

    /// Starts the writer thread without delay; a transaction stops draining the queue once it
    /// holds `max_batch` leases (a single larger submission is still committed whole).
    pub fn with_max_batch(
        store: Box<dyn LeaseStore>,
        max_batch: usize,
    ) -> Result<GroupCommitter, StoreError> {
        GroupCommitter::with_options(
            store,
            CommitOptions {
                max_batch,
                ..CommitOptions::default()
            },
        )
    }

    /// Starts the writer thread with `options`.
    pub fn with_options(
        store: Box<dyn LeaseStore>,
        options: CommitOptions,
    ) -> Result<GroupCommitter, StoreError> {
        let (tx, rx) = mpsc::channel();
        let counters = Arc::new(Counters::default());
        let c = Arc::clone(&counters);
        let options = CommitOptions {
            max_batch: options.max_batch.max(1),
            ..options
        };
        let worker = thread::Builder::new()
            .name("lease-writer".into())
            .spawn(move || writer(store, rx, &c, options))
            .map_err(|source| StoreError::Io {
                path: "lease-writer thread".into(),
                source,
            })?;
        Ok(GroupCommitter {
            tx: Some(tx),
            worker: Some(worker),
            counters,
            max_queued_leases: options.max_queued_leases.max(1) as u64,
        })
    }

    /// Queues `leases` (committed together, atomically, stamped no earlier than `now`) and
    /// returns a ticket that resolves once they are durable, or with the error that stopped them.
    /// Never blocks.
    pub fn submit(&self, leases: Vec<Lease>, now: Timestamp) -> CommitTicket {
        let (tx, rx) = oneshot::channel();
        self.enqueue(leases, now, Done(Some(Notify::Ticket(tx))));
        Ticket { rx }
    }

    /// Like [`submit`](GroupCommitter::submit), but instead of returning a ticket, calls
    /// `on_done` with the outcome, exactly once, on the writer thread, right after the batch
    /// carrying these leases committed (`Ok`: they are durable) or failed. `on_done` delays the
    /// next commit, so it must be short and must not block (sending a datagram on a
    /// non-blocking socket is fine). If the writer is gone, `on_done` gets
    /// [`StoreError::WriterGone`] (possibly on the calling thread). Never blocks.
    pub fn submit_then<F>(&self, leases: Vec<Lease>, now: Timestamp, on_done: F)
    where
        F: FnOnce(Result<CommitReport, StoreError>) + Send + 'static,
    {
        self.enqueue(leases, now, Done(Some(Notify::Callback(Box::new(on_done)))));
    }

    fn enqueue(&self, leases: Vec<Lease>, now: Timestamp, done: Done) {
        self.counters.submitted.fetch_add(1, Ordering::Relaxed);
        let n = leases.len() as u64;
        self.counters.queued_leases.fetch_add(n, Ordering::Relaxed);
        let sent = match &self.tx {
            Some(tx) => tx.send(Job::Commit { leases, now, done }).is_ok(),
            None => false,
        };
        // If the writer is gone the job (and `done`) is dropped: it resolves as WriterGone.
        if !sent {
            self.counters
                .failed_submissions
                .fetch_add(1, Ordering::Relaxed);
            self.counters.queued_leases.fetch_sub(n, Ordering::Relaxed);
        }
    }

    /// True when at least `max_queued_leases` leases wait for their commit: the disk is not
    /// keeping up, and the caller should decide no new durable work until it is false again
    /// (the queue, and the memory it holds, stay bounded).
    pub fn backlogged(&self) -> bool {
        self.counters.queued_leases.load(Ordering::Relaxed) >= self.max_queued_leases
    }

    /// Runs `f` on the writer thread, after every submission queued before it has been
    /// committed (reads see them). For control-API lookups and history pruning.
    pub fn query<R, F>(&self, f: F) -> Ticket<R>
    where
        R: Send + 'static,
        F: FnOnce(&mut dyn LeaseStore) -> Result<R, StoreError> + Send + 'static,
    {
        let (done, rx) = oneshot::channel();
        if let Some(tx) = &self.tx {
            let job = Job::Query(Box::new(move |store: &mut dyn LeaseStore| {
                // The caller may have stopped waiting; nothing to do then.
                let _ = done.send(f(store));
            }));
            let _ = tx.send(job);
        }
        Ticket { rx }
    }

    /// Like [`query`](GroupCommitter::query), but `on_done` gets the result on the writer
    /// thread (it must be short and must not block); nothing happens if the writer is gone.
    pub fn query_then<R, F, D>(&self, f: F, on_done: D)
    where
        R: Send + 'static,
        F: FnOnce(&mut dyn LeaseStore) -> Result<R, StoreError> + Send + 'static,
        D: FnOnce(Result<R, StoreError>) + Send + 'static,
    {
        if let Some(tx) = &self.tx {
            let job = Job::Query(Box::new(move |store: &mut dyn LeaseStore| {
                on_done(f(store))
            }));
            let _ = tx.send(job);
        }
    }

    /// Current counters.
    pub fn stats(&self) -> GroupCommitStats {
        let c = &self.counters;
        let submissions = c.submissions.load(Ordering::Acquire);
        let failed = c.failed_submissions.load(Ordering::Relaxed);
        let submitted = c.submitted.load(Ordering::Relaxed);
        GroupCommitStats {
            batches: c.batches.load(Ordering::Relaxed),
            failed_batches: c.failed_batches.load(Ordering::Relaxed),
            consecutive_failures: c.consecutive_failures.load(Ordering::Relaxed),
            rejected: c.rejected.load(Ordering::Relaxed),
            leases: c.leases.load(Ordering::Relaxed),
            submissions,
            failed_submissions: failed,
            queued: submitted.saturating_sub(submissions + failed),
            queued_leases: c.queued_leases.load(Ordering::Relaxed),
            last_batch_leases: c.last_batch_leases.load(Ordering::Relaxed),
            max_batch_leases: c.max_batch_leases.load(Ordering::Relaxed),
            commit_micros_sum: c.commit_micros_sum.load(Ordering::Relaxed),
            commit_micros_max: c.commit_micros_max.load(Ordering::Relaxed),
            commit_latency_buckets: std::array::from_fn(|i| c.buckets[i].load(Ordering::Relaxed)),
        }
    }

    /// Stops accepting work, commits everything already queued, stops the writer thread and
    /// hands back the store. Blocks until done (call it from `spawn_blocking` in async code).
    pub fn close(mut self) -> Result<Box<dyn LeaseStore>, StoreError> {
        self.tx = None;
        match self.worker.take().map(thread::JoinHandle::join) {
            Some(Ok(store)) => Ok(store),
            _ => Err(StoreError::WriterGone),
        }
    }
}

impl Drop for GroupCommitter {
    /// Flushes queued work and joins the writer, like [`GroupCommitter::close`].
    fn drop(&mut self) {
        self.tx = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

struct Pending {
    leases: Vec<Lease>,
    now: Timestamp,
    done: Done,
}

/// Moves queued commits into `batch` until it holds `max_batch` leases, the queue is empty or a
/// query comes next (returned, to run after this batch).
fn drain(
    rx: &mpsc::Receiver<Job>,
    batch: &mut Vec<Pending>,
    count: &mut usize,
    max_batch: usize,
) -> Option<Job> {
    while *count < max_batch {
        match rx.try_recv() {
            Ok(Job::Commit { leases, now, done }) => {
                *count += leases.len();
                batch.push(Pending { leases, now, done });
            }
            Ok(other) => return Some(other),
            Err(_) => break,
        }
    }
    None
}

fn writer(
    mut store: Box<dyn LeaseStore>,
    rx: mpsc::Receiver<Job>,
    counters: &Counters,
    options: CommitOptions,
) -> Box<dyn LeaseStore> {
    let max_batch = options.max_batch;
    let mut gate = LoadGate::new(options.delay, options.delay_min_per_window, Instant::now());
    let mut carried: Option<Job> = None;
    loop {
        let job = match carried.take() {
            Some(job) => job,
            None => match rx.recv() {
                Ok(job) => job,
                Err(mpsc::RecvError) => break,
            },
        };
        match job {
            Job::Query(f) => f(store.as_mut()),
            Job::Commit { leases, now, done } => {
                let first_at = Instant::now();
                let mut count = leases.len();
                let mut batch = vec![Pending { leases, now, done }];
                carried = drain(&rx, &mut batch, &mut count, max_batch);
                let linger = gate.wait();
                if carried.is_none() && count < max_batch && !linger.is_zero() {
                    // Linger for company. A plain sleep: submissions arriving meanwhile are
                    // queued without waking this thread.
                    thread::sleep(linger.saturating_sub(first_at.elapsed()));
                    carried = drain(&rx, &mut batch, &mut count, max_batch);
                }
                gate.record(first_at, count);
                commit_batch(store.as_mut(), batch, counters);
                counters
                    .queued_leases
                    .fetch_sub(count as u64, Ordering::Relaxed);
            }
        }
    }
    store
}

/// Commits `batch` in one transaction; on failure of a multi-submission batch, retries each
/// submission alone so only the culprits fail.
fn commit_batch(store: &mut dyn LeaseStore, batch: Vec<Pending>, counters: &Counters) {
    match try_commit(store, &batch, counters) {
        Ok(report) => {
            for p in batch {
                let report = report_for(&p, &report);
                p.done.resolve(Ok(report));
            }
        }
        Err(err) if batch.len() == 1 => fail(batch, &err, counters),
        Err(_) => {
            for p in batch {
                let single = [p];
                match try_commit(store, &single, counters) {
                    Ok(report) => {
                        let [p] = single;
                        let report = report_for(&p, &report);
                        p.done.resolve(Ok(report));
                    }
                    Err(err) => fail(single.into(), &err, counters),
                }
            }
        }
    }
}

fn try_commit(
    store: &mut dyn LeaseStore,
    batch: &[Pending],
    counters: &Counters,
) -> Result<CommitReport, Arc<StoreError>> {
    let now = batch.iter().map(|p| p.now).max().unwrap_or(0);
    let leases: Vec<Lease> = batch
        .iter()
        .flat_map(|p| p.leases.iter().cloned())
        .collect();
    let started = Instant::now();
    let result = if leases.is_empty() {
        Ok(Vec::new())
    } else {
        store.commit_claims(&leases, now)
    };
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    match result {
        Ok(rejected) => {
            counters.success(leases.len() as u64, batch.len() as u64, micros);
            counters
                .rejected
                .fetch_add(rejected.len() as u64, Ordering::Relaxed);
            Ok(CommitReport {
                batch_leases: leases.len(),
                batch_submissions: batch.len(),
                commit_micros: micros,
                rejected,
            })
        }
        Err(e) => {
            counters.failed_batches.fetch_add(1, Ordering::Relaxed);
            counters
                .consecutive_failures
                .fetch_add(1, Ordering::Relaxed);
            Err(Arc::new(e))
        }
    }
}

/// `batch`'s report for submission `p`: the same figures, and only the rejections of its own
/// records.
fn report_for(p: &Pending, batch: &CommitReport) -> CommitReport {
    CommitReport {
        rejected: batch
            .rejected
            .iter()
            .filter(|r| p.leases.iter().any(|l| l.addr == r.wanted.addr))
            .cloned()
            .collect(),
        ..*batch
    }
}

fn fail(batch: Vec<Pending>, err: &Arc<StoreError>, counters: &Counters) {
    counters
        .failed_submissions
        .fetch_add(batch.len() as u64, Ordering::Relaxed);
    for p in batch {
        p.done
            .resolve(Err(StoreError::BatchFailed(Arc::clone(err))));
    }
}
