//! The control handle: the requests the control API, SIGHUP and tests send to the packet loop,
//! and [`ControlHandle::ask`], the one way to send them.
//!
//! The packet loop owns the [`leasehold_engine::Server`]; nothing else touches it. A request
//! carries the oneshot its answer goes back on; the loop answers between two datagrams. Lease
//! changes made this way are committed through the same lease writer as DHCP's, and their
//! answers carry the commit's ticket, so the API answers only once they are durable.

use leasehold_engine::{ClientKey, Config, Lease};
use leasehold_store::CommitTicket;
use serde::Serialize;
use std::net::Ipv4Addr;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Channel capacity: requests waiting for the packet loop.
pub const CONTROL_QUEUE: usize = 64;

/// A lease as the API shows it.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct LeaseView {
    /// The leased address.
    pub address: Ipv4Addr,
    /// `bound`, `released`, `expired` or `declined`.
    pub state: String,
    /// Client key text form (`hw:1:aa:bb:..` or `id:01aabb..`), if any.
    pub client: Option<String>,
    /// Hardware address, if known.
    pub mac: Option<String>,
    /// Host name the client sent.
    pub hostname: Option<String>,
    /// Unix time the state began.
    pub starts: u64,
    /// Unix time the state ends; `null` for never.
    pub expires: Option<u64>,
    /// Configured id of the subnet holding the address, if any.
    pub subnet_id: Option<u32>,
    /// The server that wrote the record, when several share a PostgreSQL database (listings
    /// only; absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
}

impl LeaseView {
    /// The view of `l` under `config`.
    pub fn of(l: &Lease, config: &Config) -> LeaseView {
        LeaseView {
            address: l.addr,
            state: l.state.as_str().to_string(),
            client: l.client.as_ref().map(ClientKey::to_text),
            mac: l.hwaddr.as_ref().map(|h| h.to_string()),
            hostname: l.hostname.clone(),
            starts: l.starts,
            expires: (l.expires != leasehold_engine::INFINITE).then_some(l.expires),
            subnet_id: config
                .subnet_for(l.addr)
                .and_then(|i| config.subnets.get(i))
                .map(|s| s.id),
            server: None,
        }
    }
}

/// A lease to add (`POST /api/leases`).
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewLease {
    /// The address; must lie in a configured subnet.
    pub address: Ipv4Addr,
    /// Ethernet hardware address of the client (this or `client_id` is required).
    pub mac: Option<String>,
    /// Client identifier as hex (option 61 bytes, type byte first).
    pub client_id: Option<String>,
    /// Host name.
    pub hostname: Option<String>,
    /// Lease duration in seconds (default: the subnet's `lease_time`).
    pub lease_time: Option<u32>,
}

/// Why a control request failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ControlError {
    /// The request is invalid (HTTP 400).
    Invalid(String),
    /// It conflicts with current state (HTTP 409).
    Conflict(String),
    /// Nothing there (HTTP 404).
    NotFound(String),
    /// The server could not do it (HTTP 500/503).
    Internal(String),
}

impl std::fmt::Display for ControlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ControlError::Invalid(m)
            | ControlError::Conflict(m)
            | ControlError::NotFound(m)
            | ControlError::Internal(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ControlError {}

/// A request to the packet loop. Each carries the oneshot its answer goes back on.
#[derive(Debug)]
pub enum ControlRequest {
    /// Is the packet loop answering? (The answer is the configuration in force.)
    Health {
        /// Answer.
        reply: oneshot::Sender<Arc<Config>>,
    },
    /// The pool usage and the links' pressure state now (O(pools) on the packet loop; also
    /// published for the other readers).
    Pools {
        /// Answer.
        reply: oneshot::Sender<Arc<crate::usage::PoolSnapshot>>,
    },
    /// The lease of one address.
    GetLease {
        /// The address.
        addr: Ipv4Addr,
        /// Answer.
        reply: oneshot::Sender<Option<LeaseView>>,
    },
    /// Add (or replace) a bound lease; the ticket resolves when it is durable.
    AddLease {
        /// The lease.
        lease: NewLease,
        /// Answer.
        reply: oneshot::Sender<Result<(LeaseView, CommitTicket), ControlError>>,
    },
    /// Free an address (its record becomes `expired` with no client).
    DeleteLease {
        /// The address.
        addr: Ipv4Addr,
        /// Answer.
        reply: oneshot::Sender<Result<CommitTicket, ControlError>>,
    },
    /// Reclaim leases whose time is up now.
    Reclaim {
        /// Answer: how many, and the ticket of their commit.
        reply: oneshot::Sender<(usize, Option<CommitTicket>)>,
    },
    /// Serve a new (already validated) configuration from the next datagram on.
    Reload {
        /// The new configuration.
        config: Arc<Config>,
        /// Answer: warnings about settings that need a restart.
        reply: oneshot::Sender<Vec<String>>,
    },
}

/// The sending side of the control channel; cheap to clone.
#[derive(Clone, Debug)]
pub struct ControlHandle {
    tx: mpsc::Sender<ControlRequest>,
}

impl ControlHandle {
    /// A handle and the receiving side for the packet loop.
    pub fn channel() -> (ControlHandle, mpsc::Receiver<ControlRequest>) {
        let (tx, rx) = mpsc::channel(CONTROL_QUEUE);
        (ControlHandle { tx }, rx)
    }

    /// Sends a request built around a fresh oneshot and awaits its answer.
    pub async fn ask<T>(
        &self,
        build: impl FnOnce(oneshot::Sender<T>) -> ControlRequest,
    ) -> Result<T, ControlError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(build(tx))
            .await
            .map_err(|_| ControlError::Internal("the server is shutting down".into()))?;
        rx.await
            .map_err(|_| ControlError::Internal("the server is shutting down".into()))
    }
}
