//! The control plane: requests the HTTP API (and SIGHUP) send to the serve task, and how the
//! serve task answers them.
//!
//! The serve task owns the [`LeaseTable`] and the [`Engine`]; nothing else touches them. The API
//! sends a [`ControlRequest`] over an mpsc channel, the serve task's `select!` loop calls
//! [`handle`] between two datagrams, and the answer goes back on a oneshot channel. A lease
//! added or deleted through the API is an ordinary [`LeaseChange::Put`]: applied to the table at
//! once and committed through the same [`GroupCommitter`]; the API answers only once it is
//! durable.
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

use crate::metrics::Metrics;
use leasehold_engine::{
    ClientKey, Config, Engine, Lease, LeaseChange, LeaseState, LeaseTable, PoolUsage, Timestamp,
};
use leasehold_store::{CommitTicket, GroupCommitter};
use leasehold_wire::HwAddr;
use serde::Serialize;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, RwLock, Weak};
use tokio::sync::{mpsc, oneshot};
use tracing::{info, warn};

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
        }
    }
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

/// A request to the serve task. Each carries the oneshot its answer goes back on.
#[derive(Debug)]
pub enum ControlRequest {
    /// The configuration in force and the usage of each of its pools.
    Pools {
        /// Answer.
        reply: oneshot::Sender<(Arc<Config>, Vec<PoolUsage>)>,
    },
    /// A page of leases.
    Leases {
        /// Filters and paging.
        query: LeaseQuery,
        /// Answer.
        reply: oneshot::Sender<Result<LeasePage, ControlError>>,
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

/// The sending side, held by the API and the SIGHUP task.
pub type ControlSender = mpsc::Sender<ControlRequest>;

/// Channel capacity: requests waiting for the serve task.
pub const CONTROL_QUEUE: usize = 64;

/// Answers `req`. Called by the serve task between datagrams; never blocks.
pub fn handle(
    req: ControlRequest,
    engine: &mut Engine,
    table: &mut LeaseTable,
    committer: &GroupCommitter,
    now: Timestamp,
) {
    let config = engine.config().clone();
    match req {
        ControlRequest::Pools { reply } => {
            let usage = table.usage_by_pool(&config, now);
            let _ = reply.send((config, usage));
        }
        ControlRequest::Leases { query, reply } => {
            let _ = reply.send(list(table, &config, &query));
        }
        ControlRequest::GetLease { addr, reply } => {
            let _ = reply.send(table.by_addr(addr).map(|l| LeaseView::of(l, &config)));
        }
        ControlRequest::AddLease { lease, reply } => {
            let result = add(table, &config, lease, now).map(|l| {
                let view = LeaseView::of(&l, &config);
                info!(address = %l.addr, client = ?l.client, "lease added through the control API");
                (view, committer.submit(vec![l], now))
            });
            let _ = reply.send(result);
        }
        ControlRequest::DeleteLease { addr, reply } => {
            let result = match table.by_addr(addr) {
                None => Err(ControlError::NotFound(format!("no lease for {addr}"))),
                Some(old) => {
                    let freed = Lease {
                        addr,
                        client: None,
                        hwaddr: old.hwaddr,
                        state: LeaseState::Expired,
                        starts: now,
                        expires: now,
                        hostname: None,
                    };
                    table.apply(&[LeaseChange::Put(freed.clone())], now);
                    info!(address = %addr, "lease deleted through the control API");
                    Ok(committer.submit(vec![freed], now))
                }
            };
            let _ = reply.send(result);
        }
        ControlRequest::Reclaim { reply } => {
            let changed = table.expire(now);
            let n = changed.len();
            let ticket = (!changed.is_empty()).then(|| committer.submit(changed, now));
            let _ = reply.send((n, ticket));
        }
        ControlRequest::Reload { config: new, reply } => {
            let warnings = restart_warnings(&config, &new);
            for w in &warnings {
                warn!("{w}");
            }
            table.rebuild_pools(&new);
            *engine = Engine::new(new.clone());
            info!(
                subnets = new.subnets.len(),
                leases = table.len(),
                "configuration reloaded"
            );
            let _ = reply.send(warnings);
        }
    }
}

/// Settings a reload cannot change while running.
fn restart_warnings(old: &Config, new: &Config) -> Vec<String> {
    let mut w = Vec::new();
    if old.server.server_port != new.server.server_port
        || old.server.listen_address != new.server.listen_address
        || old.server.interfaces != new.server.interfaces
    {
        w.push(
            "[server] listen_address, server_port and interfaces take effect at the next restart"
                .to_string(),
        );
    }
    if old.control != new.control {
        w.push("[control] changes take effect at the next restart".to_string());
    }
    if old.server.commit_delay_us != new.server.commit_delay_us
        || old.server.coalesce_us != new.server.coalesce_us
        || old.server.history_retention != new.server.history_retention
    {
        w.push(
            "[server] commit_delay_us, coalesce_us and history_retention take effect at the next restart"
                .to_string(),
        );
    }
    if old.security != new.security {
        w.push("[security] changes take effect at the next restart".to_string());
    }
    w
}

fn hex_bytes(s: &str) -> Option<Vec<u8>> {
    let clean: String = s
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | ' '))
        .collect();
    if clean.is_empty() || !clean.len().is_multiple_of(2) {
        return None;
    }
    (0..clean.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(clean.get(i..i + 2)?, 16).ok())
        .collect()
}

fn list(table: &LeaseTable, config: &Config, q: &LeaseQuery) -> Result<LeasePage, ControlError> {
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
        Some(m) => {
            Some(hex_bytes(m).ok_or_else(|| ControlError::Invalid(format!("bad mac {m:?}")))?)
        }
    };
    let client_id = match q.client_id.as_deref() {
        None => None,
        Some(c) => Some(
            hex_bytes(c.strip_prefix("id:").unwrap_or(c))
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
    let mut hits: Vec<&Lease> = table
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
            .map(|l| LeaseView::of(l, config))
            .collect(),
    })
}

fn add(
    table: &mut LeaseTable,
    config: &Config,
    new: NewLease,
    now: Timestamp,
) -> Result<Lease, ControlError> {
    let subnet = config
        .subnet_for(new.address)
        .and_then(|i| config.subnets.get(i))
        .ok_or_else(|| {
            ControlError::Invalid(format!("{} is in no configured subnet", new.address))
        })?;
    let hwaddr = match new.mac.as_deref() {
        None => None,
        Some(m) => Some(
            m.parse::<HwAddr>()
                .map_err(|_| ControlError::Invalid(format!("bad mac {m:?}")))?,
        ),
    };
    let client = match (&new.client_id, &hwaddr) {
        (Some(c), _) => ClientKey::ClientId(
            hex_bytes(c).ok_or_else(|| ControlError::Invalid(format!("bad client_id {c:?}")))?,
        ),
        (None, Some(h)) => ClientKey::HwAddr(*h),
        (None, None) => {
            return Err(ControlError::Invalid(
                "a lease needs a mac or a client_id".to_string(),
            ))
        }
    };
    if let Some((_, r)) = config.reservation_by_addr(new.address) {
        if r.key.client() != Some(&client) {
            return Err(ControlError::Conflict(format!(
                "{} is reserved for another client",
                new.address
            )));
        }
    }
    if !table.is_free_for(new.address, &client, now) {
        return Err(ControlError::Conflict(format!(
            "{} is held by another client",
            new.address
        )));
    }
    let secs = new.lease_time.unwrap_or(subnet.lease.lease_time);
    if secs == 0 {
        return Err(ControlError::Invalid("lease_time must be positive".into()));
    }
    let lease = Lease {
        addr: new.address,
        client: Some(client),
        hwaddr,
        state: LeaseState::Bound,
        starts: now,
        expires: if secs == u32::MAX {
            leasehold_engine::INFINITE
        } else {
            now + u64::from(secs)
        },
        hostname: new.hostname,
    };
    leasehold_store::store::validate(&lease).map_err(|e| ControlError::Invalid(e.to_string()))?;
    table.apply(&[LeaseChange::Put(lease.clone())], now);
    Ok(lease)
}

/// What the control plane needs from the rest of the server.
pub struct ControlContext {
    /// Requests to the serve task.
    pub tx: ControlSender,
    /// The lease writer (weak, so the serve task can close it at shutdown).
    pub committer: Weak<GroupCommitter>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// The configuration file, for reloads from disk.
    pub config_path: PathBuf,
    /// The lease database, which history queries read through their own read-only connection
    /// (under WAL it never blocks the writer, and a long scan never delays an ACK).
    pub db_path: PathBuf,
    /// The text of the configuration in force (for `GET /api/config`).
    pub config_text: RwLock<String>,
    /// Alerts.
    pub alerts: Arc<crate::alerts::Alerts>,
}

/// Starts everything around the serve task: the HTTP (or, with `tls_cert`/`tls_key`, HTTPS)
/// listener when `[control]` asks for one, the SIGHUP reload handler and the alert evaluator.
/// Returns the bound API address, if any. Fails (and the server must not start) when the
/// listener cannot bind, or the token file or the TLS certificate or key cannot be read.
pub async fn start(
    config: &Arc<Config>,
    config_path: PathBuf,
    db_path: PathBuf,
    tx: ControlSender,
    committer: Weak<GroupCommitter>,
    metrics: Arc<Metrics>,
) -> anyhow::Result<Option<SocketAddr>> {
    let text = std::fs::read_to_string(&config_path).unwrap_or_default();
    let alerts = Arc::new(crate::alerts::Alerts::new(config.alerts.clone()));
    let ctx = Arc::new(ControlContext {
        tx,
        committer,
        metrics,
        config_path,
        db_path,
        config_text: RwLock::new(text),
        alerts,
    });
    let hook_alerts = ctx.alerts.clone();
    crate::rogue::set_alert_hook(Box::new(move |r| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        hook_alerts.raise_rogue(r, now);
    }));
    crate::reload::spawn_sighup(ctx.clone());
    crate::alerts::spawn_evaluator(ctx.clone());
    let Some(control) = config.control.as_ref().filter(|c| c.enabled) else {
        return Ok(None);
    };
    let token = auth::Token::load(control.token_file.as_deref())?;
    let tls = match &control.tls {
        Some(t) => Some(tls::server_config(&t.cert, &t.key)?),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(control.listen)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot listen on {} for the control API: {e}",
                control.listen
            )
        })?;
    let addr = listener.local_addr()?;
    let app = api::router(api::ApiState::new(ctx, token, control.reads_need_token()));
    match tls {
        Some(tls) => {
            let listener = tls::TlsListener::spawn(listener, tls)?;
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, app).await {
                    tracing::error!("control API stopped: {e}");
                }
            });
            info!(%addr, "control API listening on https://{addr}/");
        }
        None => {
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, app).await {
                    tracing::error!("control API stopped: {e}");
                }
            });
            info!(%addr, "control API listening on http://{addr}/");
        }
    }
    if control.reads_need_token() {
        info!(%addr, "the control API is not on loopback: every request needs the bearer token");
    }
    Ok(Some(addr))
}
