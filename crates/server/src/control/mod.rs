//! The control plane: the HTTP API (and its listener) that operators and `leasehold ctl` use.
//!
//! The API never touches the lease table itself: lookups and changes go to the packet loop as
//! [`ControlRequest`]s through a [`ControlHandle`] (see [`crate::handle`]); pool usage comes from
//! the snapshot the loop publishes ([`crate::usage`]); lease listings and history are read from
//! the lease database through a read-only connection of their own, off the packet thread and
//! off the lease writer.
//!
//! Modules:
//! - [`api`]: the axum router (`/api/...`, `/metrics`, the dashboard).
//! - [`auth`]: bearer-token check for writes (and for reads on a non-loopback listener).
//! - [`openapi`]: the OpenAPI 3 document served at `/api/openapi.json`.
//! - [`tls`]: HTTPS on the listener when `[control] tls_cert`/`tls_key` are set.

pub mod api;
pub mod auth;
pub mod openapi;
pub mod tls;

use crate::alerts::Alerts;
use crate::error::ControlStartError;
pub use crate::handle::{ControlError, ControlHandle, ControlRequest, LeaseView, NewLease};
use crate::metrics::Metrics;
use crate::reload::Reloader;
use crate::usage::PoolWatch;
use leasehold_engine::{ClientKey, Config, Lease, LeaseState};
use leasehold_store::GroupCommitter;
use serde::Serialize;
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Weak};
use tokio_util::sync::CancellationToken;
use tracing::info;

/// Lease filters and paging of `GET /api/leases`.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaseQuery {
    /// Subnet id, or the subnet in CIDR form.
    pub subnet: Option<String>,
    /// Hardware address (`aa:bb:cc:dd:ee:ff`, case-insensitive).
    pub mac: Option<String>,
    /// Client identifier as hex (`01aabbccddeeff` or `01:aa:bb:...`).
    pub client_id: Option<String>,
    /// Substring of the host name.
    pub hostname: Option<String>,
    /// `bound`, `released`, `expired` or `declined`.
    pub state: Option<String>,
    /// Leases to skip (default 0).
    pub offset: Option<usize>,
    /// Page size (default 100, at most 1000).
    pub limit: Option<usize>,
}

/// One page of leases.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct LeasePage {
    /// Leases matching the filters (all pages).
    pub total: usize,
    /// Leases skipped.
    pub offset: usize,
    /// Page size asked for.
    pub limit: usize,
    /// This page, in address order.
    pub leases: Vec<LeaseView>,
}

/// One page of `leases` (every current record, as read from the store) under the filters of `q`,
/// in address order; `servers` names the server that wrote each record (shared stores).
pub fn list(
    leases: Vec<Lease>,
    servers: &HashMap<Ipv4Addr, String>,
    config: &Config,
    q: &LeaseQuery,
) -> Result<LeasePage, ControlError> {
    let subnet: Option<usize> = match q.subnet.as_deref() {
        None => None,
        Some(s) => {
            let by_id = s
                .parse::<u32>()
                .ok()
                .and_then(|id| config.subnets.iter().position(|x| x.id == id));
            let by_net = s
                .parse::<ipnet::Ipv4Net>()
                .ok()
                .and_then(|n| config.subnets.iter().position(|x| x.net == n));
            match by_id.or(by_net) {
                Some(i) => Some(i),
                None => return Err(ControlError::Invalid(format!("unknown subnet {s:?}"))),
            }
        }
    };
    let mac = match q.mac.as_deref() {
        None => None,
        Some(m) => Some(
            leasehold_wire::hex::decode(m)
                .filter(|b| !b.is_empty())
                .ok_or_else(|| ControlError::Invalid(format!("bad mac {m:?}")))?,
        ),
    };
    let client_id = match q.client_id.as_deref() {
        None => None,
        Some(c) => Some(
            leasehold_wire::hex::decode(c.strip_prefix("id:").unwrap_or(c))
                .filter(|b| !b.is_empty())
                .ok_or_else(|| ControlError::Invalid(format!("bad client_id {c:?}")))?,
        ),
    };
    let state = match q.state.as_deref() {
        None => None,
        Some(s) => Some(
            LeaseState::parse(s)
                .ok_or_else(|| ControlError::Invalid(format!("unknown state {s:?}")))?,
        ),
    };
    let hostname = q.hostname.as_deref().map(str::to_ascii_lowercase);
    let mut hits: Vec<&Lease> = leases
        .iter()
        .filter(|l| subnet.is_none_or(|s| config.subnet_for(l.addr) == Some(s)))
        .filter(|l| {
            mac.as_ref().is_none_or(|m| {
                l.hwaddr
                    .as_ref()
                    .is_some_and(|h| h.as_bytes() == m.as_slice())
            })
        })
        .filter(|l| {
            client_id
                .as_ref()
                .is_none_or(|c| matches!(&l.client, Some(ClientKey::ClientId(id)) if id == c))
        })
        .filter(|l| state.is_none_or(|s| l.state == s))
        .filter(|l| {
            hostname.as_ref().is_none_or(|h| {
                l.hostname
                    .as_ref()
                    .is_some_and(|n| n.to_ascii_lowercase().contains(h.as_str()))
            })
        })
        .collect();
    hits.sort_by_key(|l| l.addr);
    let offset = q.offset.unwrap_or(0);
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    Ok(LeasePage {
        total: hits.len(),
        offset,
        limit,
        leases: hits
            .iter()
            .skip(offset)
            .take(limit)
            .map(|l| LeaseView {
                server: servers.get(&l.addr).cloned(),
                ..LeaseView::of(l, config)
            })
            .collect(),
    })
}

/// Where the control API reads lease listings and history.
#[derive(Clone, Debug)]
pub enum LeaseSource {
    /// A SQLite file, opened read-only per request (WAL: it never blocks the writer).
    Sqlite(PathBuf),
    /// A PostgreSQL database, through a small connection pool.
    Postgres(leasehold_store::postgres::PgReader),
}

/// What the control API needs from the rest of the server.
pub struct ControlContext {
    /// Requests to the packet loop.
    pub handle: ControlHandle,
    /// The lease writer (weak, so the packet loop can close it at shutdown).
    pub committer: Weak<GroupCommitter>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Pool usage as the packet loop last published it.
    pub pools: PoolWatch,
    /// The lease database, which listings and history read through their own read-only
    /// connections (never the lease writer's, so a long scan never delays an ACK); `None` for a
    /// server without one (in-process tests).
    pub leases: Option<LeaseSource>,
    /// Configuration reloads (from disk), and the text of the configuration in force.
    pub reloader: Arc<Reloader>,
    /// Alerts.
    pub alerts: Arc<Alerts>,
}

/// Starts the HTTP (or, with `tls_cert`/`tls_key`, HTTPS) listener when `[control]` asks for
/// one; it serves until `cancel` fires. Returns the bound API address and the listener's task,
/// if any. Fails (and the server must not start) when the listener cannot bind, or the token
/// file or the TLS certificate or key cannot be read.
pub async fn start(
    config: &Config,
    ctx: Arc<ControlContext>,
    cancel: CancellationToken,
) -> Result<Option<(SocketAddr, tokio::task::JoinHandle<()>)>, ControlStartError> {
    let Some(control) = config.control.as_ref().filter(|c| c.enabled) else {
        return Ok(None);
    };
    let token = auth::Token::load(control.token_file.as_deref())?;
    let tls = match &control.tls {
        Some(t) => Some(tls::server_config(&t.cert, &t.key)?),
        None => None,
    };
    let listen = |source| ControlStartError::Listen {
        addr: control.listen,
        source,
    };
    let listener = tokio::net::TcpListener::bind(control.listen)
        .await
        .map_err(listen)?;
    let addr = listener.local_addr().map_err(listen)?;
    let app = api::router(api::ApiState::new(ctx, token, control.reads_need_token()));
    let task = match tls {
        Some(tls) => {
            info!(%addr, "control API listening on https://{addr}/");
            let listener = tls::TlsListener::spawn(listener, tls).map_err(listen)?;
            serve_until(listener, app, cancel)
        }
        None => {
            info!(%addr, "control API listening on http://{addr}/");
            serve_until(listener, app, cancel)
        }
    };
    if control.reads_need_token() {
        info!(%addr, "the control API is not on loopback: every request needs the bearer token");
    }
    Ok(Some((addr, task)))
}

/// Serves `app` on `listener` until `cancel` fires (requests in flight finish).
fn serve_until<L>(
    listener: L,
    app: axum::Router,
    cancel: CancellationToken,
) -> tokio::task::JoinHandle<()>
where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
{
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(cancel.cancelled_owned())
            .await;
        if let Err(e) = served {
            tracing::error!("control API stopped: {e}");
        }
    })
}
