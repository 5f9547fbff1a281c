//! Change feeds: how a server learns of the lease records other servers commit to a shared store.
//!
//! A feed is any producer of [`FeedEvent`]s. PostgreSQL's is [`crate::postgres::PgFeed`]
//! (LISTEN/NOTIFY, the one PostgreSQL-only piece); a logical-decoding or CDC feed of another
//! engine would implement the same trait and the server would not notice.

use leasehold_engine::Lease;
use std::future::Future;
use std::pin::Pin;
use tokio::sync::mpsc::UnboundedSender;

/// What a change feed reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FeedEvent {
    /// The feed is (again) connected: every current record in the store, to bring the server's
    /// view up to date after a start or an outage in which notifications were missed.
    Snapshot(Vec<Lease>),
    /// Records other servers committed, in commit order.
    Changed(Vec<Lease>),
    /// The feed lost the store (why); it keeps trying and sends a [`FeedEvent::Snapshot`] once
    /// it is back.
    Down(String),
}

/// A source of [`FeedEvent`]s.
pub trait ChangeFeed: Send + 'static {
    /// Runs the feed, sending its events to `events`, until `events` is closed.
    fn run(
        self: Box<Self>,
        events: UnboundedSender<FeedEvent>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}
