//! Pool usage as the packet loop last published it, for `/metrics`, alerts and the dashboard.
//!
//! The lease table keeps per-pool counts incrementally; the packet loop publishes a snapshot on
//! a [`tokio::sync::watch`] channel at every reclaim tick and after every reload, so readers never
//! ask the packet thread and never scan the leases.

use leasehold_engine::{Config, PoolUsage};
use std::sync::Arc;

/// The configuration in force and the usage of each of its pools, at one moment.
#[derive(Clone, Debug)]
pub struct PoolSnapshot {
    /// The configuration the figures are for.
    pub config: Arc<Config>,
    /// Usage per pool, in pool-id order.
    pub pools: Vec<PoolUsage>,
}

/// The receiving side: every reader holds one and reads the latest snapshot.
pub type PoolWatch = tokio::sync::watch::Receiver<Arc<PoolSnapshot>>;
