//! The network-boot file services that run beside the DHCP server: the built-in TFTP server
//! (`[tftp]`) and HTTP boot files (`[http_boot]`), both from `leasehold-bootfiles`.
//!
//! [`BootFiles::bind`] opens their roots and binds their sockets at start-up, so a wrong root or
//! a port in use stops the server with one line before it answers anyone;
//! [`BootFiles::spawn`] then runs them as services of [`crate::services`], stopped with the
//! others on shutdown. Their counters are exported by [`encode`] on `/metrics`.

use crate::error::ServeError;
use leasehold_bootfiles::http::{HttpBootServer, HttpStats};
use leasehold_bootfiles::tftp::{ErrorKind, TftpServer, TftpStats};
use leasehold_bootfiles::{HttpBootSettings, TftpSettings};
use leasehold_engine::config::{HttpBootConfig, TftpConfig};
use leasehold_engine::Config;
use prometheus_client::encoding::DescriptorEncoder;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::error;

/// The counters of the boot-file services that are configured (`None`: the service is off).
#[derive(Clone, Debug, Default)]
pub struct BootFileStats {
    /// The TFTP server's.
    pub tftp: Option<Arc<TftpStats>>,
    /// The HTTP boot service's.
    pub http: Option<Arc<HttpStats>>,
}

/// The configured boot-file services, bound and not yet serving.
pub struct BootFiles {
    tftp: Option<TftpServer>,
    http: Option<HttpBootServer>,
    /// Their counters.
    pub stats: BootFileStats,
}

/// The TFTP service's settings from `[tftp]`.
pub fn tftp_settings(c: &TftpConfig) -> TftpSettings {
    let mut s = TftpSettings::new(&c.root);
    s.listen = c.listen;
    s.interfaces = c.interfaces.clone();
    s.upload_dir = c.upload_dir.clone();
    s.max_transfers = c.max_transfers;
    s.max_transfers_per_client = c.max_transfers_per_client;
    s.timeout = Duration::from_secs(u64::from(c.timeout));
    s.retries = c.retries;
    s.max_blksize = c.max_blksize;
    s.max_windowsize = c.max_windowsize;
    s
}

/// The HTTP boot service's settings from `[http_boot]`.
pub fn http_settings(c: &HttpBootConfig) -> HttpBootSettings {
    HttpBootSettings {
        root: c.root.clone(),
        listen: c.listen,
    }
}

impl BootFiles {
    /// Opens the roots and binds the sockets of the services `config` turns on.
    pub async fn bind(config: &Config) -> Result<BootFiles, ServeError> {
        let mut stats = BootFileStats::default();
        let tftp = match &config.tftp {
            Some(c) => {
                let s = Arc::new(TftpStats::default());
                stats.tftp = Some(s.clone());
                Some(TftpServer::bind(tftp_settings(c), s).await?)
            }
            None => None,
        };
        let http = match &config.http_boot {
            Some(c) => {
                let s = Arc::new(HttpStats::default());
                stats.http = Some(s.clone());
                Some(HttpBootServer::bind(http_settings(c), s).await?)
            }
            None => None,
        };
        Ok(BootFiles { tftp, http, stats })
    }

    /// Runs the bound services until `cancel`; each is a named service to join on shutdown.
    pub fn spawn(self, cancel: &CancellationToken) -> Vec<(&'static str, JoinHandle<()>)> {
        let mut services = Vec::new();
        if let Some(server) = self.tftp {
            let cancel = cancel.clone();
            let task = tokio::spawn(async move {
                if let Err(e) = server.serve(cancel).await {
                    error!("the TFTP server stopped: {}", crate::error::chain(&e));
                }
            });
            services.push(("TFTP server", task));
        }
        if let Some(server) = self.http {
            let cancel = cancel.clone();
            let task = tokio::spawn(async move {
                if let Err(e) = server.serve(cancel).await {
                    error!("the HTTP boot service stopped: {}", crate::error::chain(&e));
                }
            });
            services.push(("HTTP boot service", task));
        }
        services
    }
}

/// Encodes the counters of the services that are on as metric families.
pub fn encode(
    stats: &BootFileStats,
    enc: &mut DescriptorEncoder<'_>,
) -> Result<(), std::fmt::Error> {
    use crate::metrics::{counter, counters, gauge1};
    if let Some(t) = &stats.tftp {
        let s = t.snapshot();
        counter(
            enc,
            "leasehold_tftp_transfers_started",
            "TFTP transfers that began (file opened, first packet sent)",
            s.started,
        )?;
        counters(
            enc,
            "leasehold_tftp_transfers",
            "TFTP transfers that ended, by outcome (completed: last block acknowledged; failed)",
            &[
                (vec![("outcome", "completed")], s.completed),
                (vec![("outcome", "failed")], s.failed),
            ],
        )?;
        counter(
            enc,
            "leasehold_tftp_requests_refused",
            "TFTP requests answered with an ERROR (or dropped) before a transfer began",
            s.refused,
        )?;
        let errors: Vec<(Vec<(&str, &str)>, u64)> = ErrorKind::ALL
            .iter()
            .map(|k| (vec![("kind", k.label())], s.error(*k)))
            .collect();
        counters(
            enc,
            "leasehold_tftp_errors",
            "TFTP refusals and failed transfers, by kind",
            &errors,
        )?;
        counter(
            enc,
            "leasehold_tftp_sent_bytes",
            "UDP payload bytes TFTP transfers sent (retransmissions included)",
            s.bytes_sent,
        )?;
        counter(
            enc,
            "leasehold_tftp_received_bytes",
            "File bytes received by TFTP uploads",
            s.bytes_received,
        )?;
        gauge1(
            enc,
            "leasehold_tftp_transfer_seconds_total",
            "Sum of the durations of finished TFTP transfers (divide by the transfers: mean duration)",
            s.transfer_time.as_secs_f64(),
        )?;
        gauge1(
            enc,
            "leasehold_tftp_active_transfers",
            "TFTP transfers in progress",
            s.active as f64,
        )?;
    }
    if let Some(h) = &stats.http {
        let s = h.snapshot();
        counters(
            enc,
            "leasehold_http_boot_requests",
            "HTTP boot requests, by status code",
            &[
                (vec![("status", "200")], s.ok),
                (vec![("status", "206")], s.partial),
                (vec![("status", "403")], s.forbidden),
                (vec![("status", "404")], s.not_found),
                (vec![("status", "405")], s.method_not_allowed),
                (vec![("status", "416")], s.range_not_satisfiable),
                (vec![("status", "500")], s.errors),
            ],
        )?;
        counter(
            enc,
            "leasehold_http_boot_sent_bytes",
            "Body bytes of HTTP boot answers (Content-Length of 200 and 206)",
            s.bytes_sent,
        )?;
    }
    Ok(())
}
