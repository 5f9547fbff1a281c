//! Where the server starts and stops: [`run`] builds the core, starts the packet thread and
//! every service around it in one visible place, and on shutdown stops and joins them all.
//!
//! ```text
//! run ─► store.load_all ─► Server ─► GroupCommitter (lease-writer thread)
//!     ─► PacketThread (leasehold-io: socket ─► Dispatcher ─► Server)
//!     ─► services, each with the one CancellationToken and a JoinHandle:
//!          control API listener · lease database change feed (shared stores) ·
//!          TFTP server and HTTP boot files ([tftp], [http_boot]) ·
//!          DNS updater ([ddns]: started before the packet thread, fed after each commit) ·
//!          SIGHUP reload · alert evaluator · rogue-server monitor · history pruning
//!     ─► wait for the shutdown signal (or the packet thread's end)
//!     ─► cancel ─► join every service ─► stop the packet thread ─► close the lease writer
//! ```
//!
//! Nothing is process-global: every service gets what it needs as an argument (the shutdown
//! pattern of mini-redis).

use crate::alerts::Alerts;
use crate::control::{ControlContext, LeaseSource};
use crate::dispatch::{unix_now, Dispatcher};
use crate::error::ServeError;
use crate::handle::ControlHandle;
use crate::metrics::Metrics;
use crate::reload::Reloader;
use crate::rogue::ProbeToken;
use crate::serve::PacketThread;
use crate::usage::PoolSnapshot;
use leasehold_engine::{Config, Server};
use leasehold_store::group_commit::DEFAULT_MAX_BATCH;
use leasehold_store::{ChangeFeed, CommitOptions, GroupCommitter, LeaseStore};
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

/// How often lease history older than `history_retention` is pruned (first at start-up).
const PRUNE_INTERVAL: Duration = Duration::from_secs(3600);
/// History entries pruned per lease-writer job: a median 7.6 ms of SQLite work per chunk on a
/// 2-vCPU VM (one 300,000-entry delete took 180 ms), so a prune never holds the ACKs waiting for
/// the next commit much longer.
const PRUNE_CHUNK: usize = 10_000;
/// The lease writer lingers `commit_delay_us` before a commit only while at least this many
/// leases are committed per window (with the default 2 ms: from 4,000 leases/s).
const COMMIT_DELAY_MIN_PER_WINDOW: u32 = 8;

/// What a server runs on.
pub struct ServeOptions {
    /// The configuration to serve.
    pub config: Arc<Config>,
    /// Its file, for reloads.
    pub config_path: PathBuf,
    /// Where the API reads lease listings and history; `None` when the store has no database
    /// (in-process tests).
    pub leases: Option<LeaseSource>,
    /// The store as the start-up line names it (a file, or a URL without its password).
    pub store_label: String,
    /// With a store several servers share: its change feed. The server then keeps its table in
    /// step with the others' commits, and decides again a request whose record the store refused.
    pub feed: Option<Box<dyn ChangeFeed>>,
    /// Bound on leases waiting for the lease writer (see [`CommitOptions::max_queued_leases`]).
    pub max_queued_leases: usize,
}

impl ServeOptions {
    /// Options with the default queue bound, for a store in the SQLite file `db_path` (or none).
    pub fn new(config: Arc<Config>, config_path: PathBuf, db_path: Option<PathBuf>) -> Self {
        ServeOptions {
            config,
            config_path,
            store_label: db_path
                .as_ref()
                .map_or_else(|| "(none)".to_string(), |p| p.display().to_string()),
            leases: db_path.map(LeaseSource::Sqlite),
            feed: None,
            max_queued_leases: leasehold_store::group_commit::DEFAULT_MAX_QUEUED_LEASES,
        }
    }
}

/// A started server: its control handle and API address, and what stops it.
pub struct Running {
    /// Requests to the packet loop.
    pub handle: ControlHandle,
    /// The control API's address, when `[control]` is on.
    pub api: Option<SocketAddr>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    cancel: CancellationToken,
    services: Vec<(&'static str, JoinHandle<()>)>,
    packet: PacketThread,
    committer: Arc<GroupCommitter>,
}

/// Runs a server on `store` until `shutdown` completes, then stops everything.
pub async fn run(
    options: ServeOptions,
    store: Box<dyn LeaseStore>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    let mut running = start(options, store).await?;
    tokio::select! {
        _ = shutdown => info!("shutting down"),
        _ = &mut running.packet.finished => error!("the packet loop stopped unexpectedly"),
    }
    running.stop().await
}

/// Starts a server on `store`: the packet thread (socket bound when this returns) and every
/// service. Fails, with nothing left running, when the store cannot be read, the socket cannot
/// be bound or the control API cannot start.
pub async fn start(
    options: ServeOptions,
    store: Box<dyn LeaseStore>,
) -> Result<Running, ServeError> {
    let ServeOptions {
        config,
        config_path,
        leases: lease_source,
        store_label,
        feed,
        max_queued_leases,
    } = options;
    // On a blocking thread: a store's client may block (PostgreSQL's does).
    let (store, leases) = tokio::task::spawn_blocking(move || {
        let mut store = store;
        let leases = store.load_all();
        (store, leases)
    })
    .await
    .map_err(|_| ServeError::WriterJoin)?;
    let leases = leases.map_err(ServeError::Load)?;
    let loaded = leases.len();
    let dns_initial = match config.ddns {
        Some(_) => crate::ddns::wishes(&config, &leases, unix_now()),
        None => Vec::new(),
    };
    let mut server = Server::new(config.clone(), leases);
    let token = ProbeToken::random();
    server.set_own_probe_prefix(token.client_id_prefix());
    let commit = CommitOptions {
        max_batch: DEFAULT_MAX_BATCH,
        delay: Duration::from_micros(u64::from(config.server.commit_delay_us)),
        delay_min_per_window: COMMIT_DELAY_MIN_PER_WINDOW,
        max_queued_leases,
    };
    let committer =
        Arc::new(GroupCommitter::with_options(store, commit).map_err(ServeError::Writer)?);
    let metrics = Arc::new(Metrics::new());
    let (handle, control_rx) = ControlHandle::channel();
    let (pools_tx, pools) =
        tokio::sync::watch::channel(Arc::new(PoolSnapshot::empty(config.clone())));
    // The services' one cancellation token.
    let cancel = CancellationToken::new();
    // DNS updates first among the services: a key file that cannot be used stops the start here.
    let dns = crate::ddns::start(&config, dns_initial, cancel.clone()).await?;
    let dns_feed = dns.as_ref().map(|d| d.feed.clone());
    // A shared store: the packet loop also applies the feed's records and refused records.
    let (store_tx, store_rx) = match feed {
        Some(_) => {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            (Some(tx), Some(rx))
        }
        None => (None, None),
    };
    let make = {
        let committer = committer.clone();
        let metrics = metrics.clone();
        let store_tx = store_tx.clone();
        Box::new(move |sink| {
            let mut d = Dispatcher::new(server, committer, sink, metrics, pools_tx);
            if let Some(tx) = store_tx {
                d.share_store(tx);
            }
            if let Some(feed) = dns_feed {
                d.feed_dns(feed);
            }
            d
        })
    };
    let packet =
        match PacketThread::start(&config, metrics.clone(), make, control_rx, store_rx).await {
            Ok(p) => p,
            Err(e) => {
                cancel.cancel();
                return Err(e.into());
            }
        };
    info!(
        port = config.server.server_port,
        store = %store_label,
        leases = loaded,
        "leasehold {} serving",
        env!("CARGO_PKG_VERSION")
    );

    // The services, each with the one cancellation token.
    let alerts = Arc::new(Alerts::new(config.alerts.clone()));
    let reloader = Arc::new(Reloader::new(
        config_path,
        handle.clone(),
        metrics.clone(),
        alerts.clone(),
    ));
    let mut services: Vec<(&'static str, JoinHandle<()>)> = Vec::new();
    let ctx = Arc::new(ControlContext {
        handle: handle.clone(),
        committer: Arc::downgrade(&committer),
        metrics: metrics.clone(),
        pools: pools.clone(),
        leases: lease_source,
        reloader: reloader.clone(),
        alerts: alerts.clone(),
    });
    // The boot-file services bind first: a wrong root or a busy port stops the start here.
    let boot_files = match crate::boot_files::BootFiles::bind(&config).await {
        Ok(b) => b,
        Err(e) => {
            cancel.cancel();
            let _ = tokio::task::spawn_blocking(move || packet.stop()).await;
            return Err(e);
        }
    };
    let api = match crate::control::start(&config, ctx, cancel.clone()).await {
        Ok(Some((addr, task))) => {
            services.push(("control API", task));
            Some(addr)
        }
        Ok(None) => None,
        Err(e) => {
            cancel.cancel();
            let _ = tokio::task::spawn_blocking(move || packet.stop()).await;
            return Err(e.into());
        }
    };
    metrics.attach_boot_files(boot_files.stats.clone());
    if let Some(d) = dns {
        metrics.attach_dns(d.status);
        services.push(("DNS updater", d.task));
    }
    services.extend(boot_files.spawn(&cancel));
    if let (Some(feed), Some(tx)) = (feed, store_tx) {
        services.push((
            "lease database change feed",
            crate::store_sync::spawn_feed(feed, tx, metrics.clone(), cancel.clone()),
        ));
    }
    services.push((
        "SIGHUP reload",
        crate::reload::spawn_sighup(reloader, cancel.clone()),
    ));
    services.push((
        "alert evaluator",
        crate::alerts::spawn_evaluator(alerts.clone(), metrics.clone(), pools, cancel.clone()),
    ));
    if let Some(task) = crate::rogue::spawn_monitor(config.clone(), token, alerts, cancel.clone()) {
        services.push(("rogue-server monitor", task));
    }
    services.push((
        "history pruning",
        spawn_pruning(
            committer.clone(),
            config.server.history_retention,
            cancel.clone(),
        ),
    ));
    Ok(Running {
        handle,
        api,
        metrics,
        cancel,
        services,
        packet,
        committer,
    })
}

impl Running {
    /// Stops every service and joins it, stops the packet thread (its decided replies are sent
    /// or reported first) and closes the lease writer (everything queued is committed).
    pub async fn stop(self) -> Result<(), ServeError> {
        let Running {
            cancel,
            services,
            packet,
            committer,
            ..
        } = self;
        cancel.cancel();
        for (name, task) in services {
            if let Err(e) = task.await {
                warn!(service = name, "service ended abnormally: {e}");
            }
        }
        let clean = tokio::task::spawn_blocking(move || packet.stop())
            .await
            .unwrap_or(false);
        match Arc::try_unwrap(committer) {
            Ok(committer) => {
                tokio::task::spawn_blocking(move || committer.close())
                    .await
                    .map_err(|_| ServeError::WriterJoin)?
                    .map_err(ServeError::Flush)?;
            }
            Err(_) => {
                warn!("the lease writer is still shared at shutdown; it flushes when dropped")
            }
        }
        if !clean {
            return Err(ServeError::PacketPanicked);
        }
        Ok(())
    }
}

/// Removes lease history older than `retention` seconds every [`PRUNE_INTERVAL`] (first at
/// start-up) on the lease writer's thread, [`PRUNE_CHUNK`] entries per writer job so commits
/// (and the ACKs behind them) run in between. `0` keeps history forever.
fn spawn_pruning(
    committer: Arc<GroupCommitter>,
    retention: u32,
    cancel: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        if retention == 0 {
            return;
        }
        let mut tick = tokio::time::interval(PRUNE_INTERVAL);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tick.tick() => {}
            }
            let older_than = unix_now().saturating_sub(u64::from(retention));
            let mut pruned = 0u64;
            while !cancel.is_cancelled() {
                let chunk =
                    committer.query(move |store| store.prune_history(older_than, PRUNE_CHUNK));
                match chunk.await {
                    Ok(n) => {
                        pruned += n;
                        if n < PRUNE_CHUNK as u64 {
                            break;
                        }
                    }
                    Err(e) => {
                        warn!("could not prune lease history: {e}");
                        break;
                    }
                }
            }
            if pruned > 0 {
                info!(pruned, retention_s = retention, "pruned lease history");
            }
        }
    })
}
