//! Dynamic DNS updates for Leasehold: RFC 2136 UPDATE messages signed with TSIG (RFC 8945),
//! client ownership of names through the DHCID RR (RFC 4701) and the conflict resolution of
//! RFC 4703.
//!
//! Modules (a pure core with I/O around it, like the relay):
//! - [`settings`] — [`Settings`], [`Zone`], [`ConflictResolution`], and the input [`LeaseDns`]/[`Want`].
//! - [`key`] — [`TsigKey`] and [`TsigAlgorithm`], loaded from a bare base64 secret or a BIND key
//!   file.
//! - [`dhcid`] — [`Identity`] and the DHCID RDATA.
//! - [`updater`] — [`Updater`], every decision, no sockets, no clock: time, the TSIG signing time
//!   and the seed of message ids are passed in.
//! - [`stats`] — [`DdnsStats`].
//! - [`mod@run`] — [`run()`], the tokio loop moving datagrams between a UDP socket and the
//!   updater.
//! - [`error`] — [`DdnsError`].
//!
//! What it does for one address (RFC 4703 §5):
//! - add, in [`ConflictResolution::CheckWithDhcid`]: "name not in use" → add A and DHCID; if the name
//!   is in use, "our DHCID is there" → replace the A RRset; if not, a conflict (counted, logged,
//!   no PTR). In [`ConflictResolution::NoCheckWithDhcid`]: replace A and DHCID unconditionally.
//! - PTR: replace the PTR RRset of `d.c.b.a.in-addr.arpa.`.
//! - remove: "our DHCID is there" → delete our A; "our DHCID and no A/AAAA" → delete the DHCID;
//!   then delete the PTR RRset.
//!
//! Failures (REFUSED, NOTAUTH, NOTZONE, FORMERR, SERVFAIL, timeouts) are retried with back-off
//! (1 s doubling to `max_backoff`) while the wish stands. TSIG secrets are never logged.
#![forbid(unsafe_code)]

pub mod dhcid;
pub mod error;
pub mod key;
pub mod run;
pub mod settings;
pub mod stats;
pub mod updater;

pub use dhcid::Identity;
pub use error::DdnsError;
pub use key::{TsigAlgorithm, TsigKey};
pub use run::{run, Input, SharedStats, Status};
pub use settings::{ConflictResolution, LeaseDns, Settings, Want, Zone};
pub use stats::DdnsStats;
pub use updater::{Transmit, Updater};
