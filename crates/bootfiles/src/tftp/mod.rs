//! The TFTP service: a sans-I/O protocol core and its tokio runtime.
//!
//! - [`packet`]: parse and encode RRQ/WRQ/DATA/ACK/ERROR/OACK, panic-free.
//! - [`options`]: RFC 2347 negotiation of blksize, tsize, timeout and windowsize.
//! - [`netascii`]: the netascii conversion for both directions.
//! - [`transfer`]: the read and write state machines (packets and timer expiries in, actions
//!   out).
//! - [`stats`]: [`TftpStats`], the counters, and [`ErrorKind`].
//! - [`mod@run`]: [`TftpServer`], sockets, timers and limits around the state machines.

pub mod netascii;
pub mod options;
pub mod packet;
#[cfg(feature = "runtime")]
pub mod run;
pub mod stats;
pub mod transfer;

#[cfg(feature = "runtime")]
pub use run::{serve, TftpServer};
pub use stats::{ErrorKind, TftpStats, TftpStatsSnapshot};
