//! Leasehold's server runtime: everything between the sockets and the sans-I/O core
//! ([`leasehold_engine::Server`]), as a library, so tests can start a whole server in-process.
//!
//! Modules:
//! - [`services`]: [`services::run`] and [`services::start`], the one place where the server and
//!   every service around it start and stop.
//! - [`serve`]: the packet loop, the thin socket shell ([`serve::PacketThread`]).
//! - [`dispatch`]: carries out the server's verdicts: replies now or after their commit, the
//!   bounded lease-writer queue, control requests; no socket of its own ([`dispatch::ReplySink`]).
//! - [`handle`]: the control requests and [`handle::ControlHandle::ask`].
//! - [`control`]: the control API (HTTP+JSON, OpenAPI, bearer-token writes).
//! - [`usage`]: the pool usage the packet loop publishes for metrics, alerts and the dashboard.
//! - [`metrics`]: Prometheus metrics, rate history, per-subnet log levels.
//! - [`reload`]: live configuration reload (SIGHUP, API); [`alerts`]: thresholds and webhook.
//! - [`rogue`]: rogue DHCP server detection (passive listener, periodic probe).
//! - [`store_sync`]: several servers on one store: the change feed, refused records decided
//!   again, the store's health.
//! - [`error`]: why a server did not start or stop cleanly.
//! - [`guard_report`]: the periodic drop summary in the log.
//! - [`dashboard`]: the embedded web dashboard.
//! - [`ddns`]: dynamic DNS updates: the updater task fed with committed lease changes.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod alerts;
pub mod boot_files;
pub mod control;
pub mod dashboard;
pub mod ddns;
pub mod dispatch;
pub mod error;
pub mod guard_report;
pub mod handle;
pub mod metrics;
pub mod reload;
pub mod rogue;
pub mod serve;
pub mod services;
pub mod store_sync;
pub mod usage;

pub use error::{ControlStartError, ServeError};
pub use services::{run, start, Running, ServeOptions};
