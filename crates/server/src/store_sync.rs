//! Several servers on one store: keeping this server's lease table in step with the others, and
//! the store's health.
//!
//! Two things bring records written elsewhere into the packet loop, as [`StoreEvent`]s on one
//! channel it reads between datagrams:
//! - the change feed ([`leasehold_store::ChangeFeed`]: PostgreSQL's LISTEN/NOTIFY), run by
//!   [`spawn_feed`], which also logs the database going away and coming back and keeps
//!   [`StoreHealth`] for `/metrics`, the API and the `store_down` alert;
//! - the lease writer, when the store refused a record because another server had bound the
//!   address first ([`leasehold_store::Rejected`]): the dispatcher withholds the reply, and the
//!   packet loop takes the store's record and decides the request again (a REQUEST is then NAKed,
//!   a BOOTP request gets another address).

use crate::metrics::Metrics;
use leasehold_engine::{Arrival, Lease};
use leasehold_store::{ChangeFeed, FeedEvent};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

/// How many times one request is decided again after the store refused its record.
pub const MAX_RETRIES: u8 = 2;

/// What the packet loop applies from outside: see the module documentation.
#[derive(Debug)]
pub enum StoreEvent {
    /// From the change feed.
    Feed(FeedEvent),
    /// The store refused records of this server: `current` is what it holds instead, `retry`
    /// the requests whose replies were withheld.
    Rejected {
        /// The store's records of the refused addresses.
        current: Vec<Lease>,
        /// The requests to decide again.
        retry: Vec<Retry>,
    },
}

/// A request to decide again.
#[derive(Debug, Clone)]
pub struct Retry {
    /// The datagram as it arrived.
    pub datagram: Vec<u8>,
    /// Where it arrived.
    pub arrival: Arrival,
    /// How many times it has been decided again before (at most [`MAX_RETRIES`]).
    pub attempt: u8,
}

/// The sending side of the packet loop's store events.
pub type StoreEvents = mpsc::UnboundedSender<StoreEvent>;

/// Whether the store can be written and the change feed is connected.
#[derive(Debug, Default)]
pub struct StoreHealth {
    /// 0: no change feed (one server); 1: connected; 2: down.
    feed: AtomicU8,
    /// The last commit failed.
    writes_failing: AtomicBool,
    /// Records received from other servers through the feed.
    pub remote_records: AtomicU64,
    /// Snapshots (full reloads) received from the feed.
    pub snapshots: AtomicU64,
    /// Requests decided again after the store refused their record.
    pub retried: AtomicU64,
    /// Why the store is down (the last error), empty when it is up.
    reason: Mutex<String>,
}

impl StoreHealth {
    /// True unless the last commit failed or the change feed is disconnected.
    pub fn up(&self) -> bool {
        !self.writes_failing.load(Ordering::Relaxed) && self.feed.load(Ordering::Relaxed) != 2
    }

    /// True when the last commit (or store check) failed.
    pub fn writes_failing(&self) -> bool {
        self.writes_failing.load(Ordering::Relaxed)
    }

    /// 1 connected, 0 down, `None` without a feed.
    pub fn feed_up(&self) -> Option<bool> {
        match self.feed.load(Ordering::Relaxed) {
            0 => None,
            f => Some(f == 1),
        }
    }

    /// Why the store is down (empty when up).
    pub fn reason(&self) -> String {
        self.reason.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Records a commit's outcome; logs the transitions.
    pub fn commit_result(&self, error: Option<&str>) {
        let failing = error.is_some();
        let was = self.writes_failing.swap(failing, Ordering::Relaxed);
        if let Some(e) = error {
            self.set_reason(e);
            if !was {
                warn!(event = "store_down", error = %e, "the lease store cannot be written: no ACK is sent until it can");
            }
        } else if was {
            info!(event = "store_up", "the lease store is writable again");
            self.clear_reason();
        }
    }

    fn feed_result(&self, error: Option<&str>) {
        let before = self
            .feed
            .swap(if error.is_some() { 2 } else { 1 }, Ordering::Relaxed);
        match error {
            Some(e) => {
                self.set_reason(e);
                if before != 2 {
                    warn!(event = "store_down", error = %e, "lost the lease database's change feed; retrying");
                } else {
                    debug!(error = %e, "lease database still unreachable");
                }
            }
            None => {
                if before == 2 {
                    info!(
                        event = "store_up",
                        "the lease database's change feed is back"
                    );
                }
                if !self.writes_failing.load(Ordering::Relaxed) {
                    self.clear_reason();
                }
            }
        }
    }

    fn set_reason(&self, e: &str) {
        if let Ok(mut r) = self.reason.lock() {
            *r = e.to_string();
        }
    }

    fn clear_reason(&self) {
        if let Ok(mut r) = self.reason.lock() {
            r.clear();
        }
    }
}

/// Runs `feed` until `cancel`: its snapshots and records go to the packet loop on `events`; its
/// outages are logged and kept in `metrics`' [`StoreHealth`].
pub fn spawn_feed(
    feed: Box<dyn ChangeFeed>,
    events: StoreEvents,
    metrics: Arc<Metrics>,
    cancel: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let runner = tokio::spawn(feed.run(tx));
        let health = &metrics.store;
        loop {
            let event = tokio::select! {
                () = cancel.cancelled() => break,
                event = rx.recv() => event,
            };
            let Some(event) = event else { break };
            match &event {
                FeedEvent::Down(why) => {
                    health.feed_result(Some(why));
                    continue;
                }
                FeedEvent::Snapshot(all) => {
                    health.feed_result(None);
                    health.snapshots.fetch_add(1, Ordering::Relaxed);
                    debug!(records = all.len(), "lease database snapshot");
                }
                FeedEvent::Changed(records) => {
                    health.feed_result(None);
                    health
                        .remote_records
                        .fetch_add(records.len() as u64, Ordering::Relaxed);
                }
            }
            if events.send(StoreEvent::Feed(event)).is_err() {
                break;
            }
        }
        drop(rx);
        // The feed ends once its receiver is gone; it may be waiting on the network.
        runner.abort();
        let _ = runner.await;
    })
}
