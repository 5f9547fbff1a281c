//! Live configuration reload, on SIGHUP and on `POST /api/config/reload`.
//!
//! The file is read and fully validated first, off the serve task. A bad file is refused: the
//! error (`FILE:LINE:COL: reason`) is logged and returned, and the old configuration keeps
//! serving. A good one is handed to the serve task, which swaps its engine between two datagrams
//! (a datagram being handled finishes on the old configuration) and rebuilds the pools of its
//! lease table. Leases are never dropped: an address outside the new pools keeps its record
//! until it expires, it is just no longer handed out.

use crate::alerts::Alerts;
use crate::handle::{ControlHandle, ControlRequest};
use crate::metrics::Metrics;
use leasehold_engine::Config;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use tokio_util::sync::CancellationToken;
use tracing::{error, info};

/// Everything a reload touches: the file, the packet loop, the reload metrics, the alert
/// thresholds and the text served by `GET /api/config`.
#[derive(Debug)]
pub struct Reloader {
    /// The configuration file.
    pub config_path: PathBuf,
    handle: ControlHandle,
    metrics: Arc<Metrics>,
    alerts: Arc<Alerts>,
    text: RwLock<String>,
}

impl Reloader {
    /// A reloader of `config_path` (whose current text is read now) for the packet loop behind
    /// `handle`.
    pub fn new(
        config_path: PathBuf,
        handle: ControlHandle,
        metrics: Arc<Metrics>,
        alerts: Arc<Alerts>,
    ) -> Reloader {
        let text = std::fs::read_to_string(&config_path).unwrap_or_default();
        Reloader {
            config_path,
            handle,
            metrics,
            alerts,
            text: RwLock::new(text),
        }
    }

    /// The text of the configuration in force.
    pub fn config_text(&self) -> String {
        self.text.read().map(|t| t.clone()).unwrap_or_default()
    }
}

/// A reload that took effect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReloadReport {
    /// Subnets in the new configuration.
    pub subnets: usize,
    /// Settings that changed but only take effect at the next restart.
    pub warnings: Vec<String>,
}

/// Why a reload did not take effect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReloadError {
    /// The file is unreadable or invalid; the old configuration keeps serving.
    Invalid {
        /// `FILE:LINE:COL: reason` (or `FILE: reason`).
        error: String,
        /// The line, when known.
        line: Option<usize>,
    },
    /// The serve task is gone (shutting down).
    Unavailable,
}

/// Re-reads the configuration file, validates it and, when valid, makes the serve task use it.
pub async fn reload_from_disk(ctx: &Reloader) -> Result<ReloadReport, ReloadError> {
    let path = ctx.config_path.clone();
    let loaded = tokio::task::spawn_blocking(move || {
        let text = std::fs::read_to_string(&path);
        let config = Config::load(&path);
        (text, config)
    })
    .await;
    let (text, config) = match loaded {
        Ok(v) => v,
        Err(_) => return Err(ReloadError::Unavailable),
    };
    let config = match config {
        Ok(c) => Arc::new(c),
        Err(e) => {
            ctx.metrics.on_reload(false);
            error!("configuration reload refused, the old configuration keeps serving: {e}");
            return Err(ReloadError::Invalid {
                error: e.to_string(),
                line: e.line(),
            });
        }
    };
    let subnets = config.subnets.len();
    let alerts = config.alerts.clone();
    let warnings = ctx
        .handle
        .ask(|reply| ControlRequest::Reload { config, reply })
        .await
        .map_err(|_| ReloadError::Unavailable)?;
    ctx.metrics.on_reload(true);
    ctx.alerts.set_config(alerts);
    if let (Ok(text), Ok(mut current)) = (text, ctx.text.write()) {
        *current = text;
    }
    info!(file = %ctx.config_path.display(), subnets, "configuration reloaded");
    Ok(ReloadReport { subnets, warnings })
}

/// Reloads on every SIGHUP until `cancel` fires (or the packet loop is gone).
pub fn spawn_sighup(
    reloader: Arc<Reloader>,
    cancel: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let mut hup = match signal(SignalKind::hangup()) {
            Ok(s) => s,
            Err(e) => {
                error!("cannot handle SIGHUP, reload through the API only: {e}");
                return;
            }
        };
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                got = hup.recv() => {
                    if got.is_none() {
                        break;
                    }
                    info!("SIGHUP: reloading the configuration");
                    if let Err(ReloadError::Unavailable) = reload_from_disk(&reloader).await {
                        break;
                    }
                }
            }
        }
    })
}
