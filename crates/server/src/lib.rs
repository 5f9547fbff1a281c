//! Leasehold's server runtime: everything between the sockets and the sans-I/O core.
//!
//! Modules:
//! - [`serve`]: the packet loop (socket → engine → lease table → group commit → socket).
//! - [`control`]: the control API (HTTP+JSON, OpenAPI, bearer-token writes) and the requests it
//!   sends to the packet loop.
//! - [`metrics`]: Prometheus metrics, rate history, per-subnet log levels.
//! - [`reload`]: live configuration reload (SIGHUP, API); [`alerts`]: thresholds and webhook.
//! - [`rogue`]: rogue DHCP server detection (passive listener, periodic probe).
//! - [`dashboard`]: the embedded web dashboard.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod alerts;
pub mod control;
pub mod dashboard;
pub mod metrics;
pub mod reload;
pub mod rogue;
pub mod serve;
pub mod usage;
