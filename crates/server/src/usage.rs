//! Pool usage and the links' pressure state as the packet loop last published them, for
//! `/metrics`, alerts, the API and the dashboard.
//!
//! The lease table keeps per-pool counts incrementally; the packet loop publishes a snapshot on
//! a [`tokio::sync::watch`] channel at every reclaim tick, after every reload and whenever a link
//! enters or leaves pressure, so readers never ask the packet thread and never scan the leases.

use leasehold_engine::{Config, LinkStatus, PoolUsage};
use std::sync::Arc;

/// The configuration in force, the usage of each of its pools and the pressure state of each of
/// its links, at one moment.
#[derive(Clone, Debug)]
pub struct PoolSnapshot {
    /// The configuration the figures are for.
    pub config: Arc<Config>,
    /// Usage per pool, in pool-id order.
    pub pools: Vec<PoolUsage>,
    /// Pressure state and counters per link (see [`leasehold_engine::pressure`]), in subnet
    /// order.
    pub links: Vec<LinkStatus>,
}

impl PoolSnapshot {
    /// A snapshot of `config` with no figures yet (before the packet loop's first publication).
    pub fn empty(config: Arc<Config>) -> PoolSnapshot {
        PoolSnapshot {
            config,
            pools: Vec::new(),
            links: Vec::new(),
        }
    }
}

/// The receiving side: every reader holds one and reads the latest snapshot.
pub type PoolWatch = tokio::sync::watch::Receiver<Arc<PoolSnapshot>>;
