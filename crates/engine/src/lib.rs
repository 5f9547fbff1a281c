//! The Leasehold protocol engine: every DHCP/BOOTP server decision, with no I/O.
//!
//! [`Server`] is the entry point for the I/O layer: it owns the engine, the lease table and the
//! admission guard and decides one event per call ([`Server::handle`], [`Server::tick`],
//! [`Server::reload`], the administrative operations), returning a [`Verdict`].
//!
//! [`Engine::handle`] takes a parsed request, where it arrived ([`Arrival`]), the time and read
//! views of lease state ([`LeaseTable`]) and of the links' [`Pressure`] and returns a [`Decision`]: the reply, where it must go
//! (RFC 2131 §4.1) and the lease changes that must be durable before the reply leaves. Time and
//! randomness are passed in, so every decision is reproducible in tests.
//!
//! Modules:
//! - [`server`]: the whole decision for one event, in the one order the I/O layer never repeats.
//! - [`config`]: the configuration model and its TOML loader with file/line errors.
//! - [`lease`]: leases, client identity and lease changes (shared with the store).
//! - [`table`]: the in-memory lease index used for allocation and lookups.
//! - [`decision`]: what the engine returns, and where replies go.
//! - [`ddns`]: the DHCP side of dynamic DNS updates: the client's name, option 81, the DNS work
//!   owed ([`DnsIntent`]).
//! - [`reason`]: why a request was dropped or NAKed (typed, with stable labels).
//! - [`engine`]: the RFC 2131 / RFC 951 server logic.
//! - [`guard`]: admission control (rate limits, hop limit, lease caps) with bounded state.
//! - [`pressure`]: the per-link starvation defence (retransmission check, short leases,
//!   rationing of the last addresses).
//! - [`load_gate`]: whether the load is high enough that waiting to batch work pays.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Requests come off the network: no `unwrap`, no unchecked indexing or slicing outside tests.
#![deny(clippy::unwrap_used, clippy::indexing_slicing)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::indexing_slicing))]

pub mod config;
pub mod ddns;
pub mod decision;
pub mod engine;
pub mod guard;
pub mod lease;
pub mod load_gate;
pub mod pressure;
pub mod reason;
pub mod server;
pub mod table;

pub use config::SecurityConfig;
pub use config::{Config, ConfigError};
pub use ddns::DnsIntent;
pub use decision::{Arrival, Decision, Destination, Outcome, Reply};
pub use engine::Engine;
pub use guard::Guard;
pub use lease::{ClientKey, Lease, LeaseChange, LeaseState, Timestamp, INFINITE};
pub use load_gate::LoadGate;
pub use pressure::{LinkStatus, Pressure};
pub use reason::{DropReason, NakReason};
pub use server::{AdminError, AdminLease, Clock, PressureChange, Server, StoreRoom, Verdict};
pub use table::usage::PoolUsage;
pub use table::LeaseTable;
