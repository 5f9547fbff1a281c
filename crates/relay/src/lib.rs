//! The Leasehold DHCPv4/BOOTP relay agent (RFC 1542 §4, RFC 3046, RFC 3527, RFC 5107, RFC 8357).
//!
//! Client broadcasts arriving on the downstream (`listen`) interfaces are unicast to every
//! configured server with `giaddr`, `hops` and option 82 set; server replies are delivered back
//! to the client on the interface `giaddr` names, with our option 82 removed.
//!
//! Modules (a pure core with I/O around it, like the server):
//! - [`config`]: [`RelayConfig`], the `[relay]` table of a config file or CLI flags.
//! - [`agent`]: [`RelayAgent`], every relay decision, no sockets.
//! - [`stats`]: [`DropReason`] and the counters.
//! - [`mod@run`]: [`Relay`] and [`run()`], the tokio loop that moves datagrams between a
//!   `leasehold_net::DhcpSocket` and the agent.
//! - [`error`]: the crate's error type, [`RelayError`].
#![forbid(unsafe_code)]

pub mod agent;
pub mod config;
pub mod error;
pub mod run;
pub mod stats;

pub use agent::{Action, Deliver, Forward, RelayAgent, RelayIface};
pub use config::{Option82Policy, RelayConfig};
pub use error::RelayError;
pub use run::{run, Relay};
pub use stats::{DropReason, RelayStats, StatsSnapshot};
