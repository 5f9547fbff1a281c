//! What the updater is configured with: zones, their servers and keys, and its limits.

use crate::dhcid::Identity;
use crate::key::TsigKey;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

/// How name conflicts between clients are resolved (RFC 4703 §5), as the configuration's
/// `conflict_resolution` names it: `CheckWithDhcid` (default) takes a name over only from the
/// client whose DHCID it carries; `NoCheckWithDhcid` gives it to the last client that asks.
pub use leasehold_engine::config::ddns::ConflictResolution;

/// One DNS zone the updater may change, and the primary server to send its updates to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Zone {
    /// The zone's absolute name, e.g. `example.test.` or `0.18.198.in-addr.arpa.`.
    pub name: String,
    /// The zone's primary server (address and port, usually 53).
    pub server: SocketAddr,
    /// The TSIG key every update to this zone is signed with, if any.
    pub key: Option<TsigKey>,
}

/// The updater's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// The zones; a name's zone is the longest one that is a suffix of it. Forward names and
    /// reverse names (`d.c.b.a.in-addr.arpa.`) are looked up in this one list.
    pub zones: Vec<Zone>,
    /// How conflicts between clients for one name are resolved.
    pub conflict: ConflictResolution,
    /// The most addresses that may have work owed at once; beyond it a [`crate::Updater::submit`]
    /// is dropped (counted in [`crate::DdnsStats::dropped`]). [`crate::Updater::converge`] is not
    /// bounded by it.
    pub queue_limit: usize,
    /// How long to wait for a server's answer before counting a timeout (default 2 s).
    pub timeout: Duration,
    /// The longest back-off between retries of a failed update (default 30 s); back-off starts
    /// at 1 s and doubles.
    pub max_backoff: Duration,
    /// The most update messages in flight to one server at once (default 32).
    pub max_in_flight: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            zones: Vec::new(),
            conflict: ConflictResolution::default(),
            queue_limit: 4096,
            timeout: Duration::from_secs(2),
            max_backoff: Duration::from_secs(30),
            max_in_flight: 32,
        }
    }
}

/// What the DNS should say about one leased address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LeaseDns {
    /// The leased address.
    pub addr: Ipv4Addr,
    /// The client the lease belongs to (its DHCID owns the name).
    pub identity: Identity,
    /// The records wanted for it.
    pub want: Want,
    /// A name this client had for the address before (it renamed itself): when the updater
    /// holds nothing for the address (after a restart) that name's A record of the address and
    /// its DHCID are removed, guarded by the client's DHCID like every removal. The updater
    /// that applied the old name knows it anyway; this field only matters after a restart, and
    /// is not part of the wish (two wishes that differ only here are the same).
    pub replaces: Option<String>,
}

/// The records wanted for an address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Want {
    /// The address has a name.
    Present {
        /// The absolute name (trailing dot), e.g. `host1.example.test.`.
        fqdn: String,
        /// Update the forward zone: A and DHCID at `fqdn` (RFC 4702 §3.1 S bit / server policy).
        forward: bool,
        /// Update the reverse zone: PTR at the address's `in-addr.arpa.` name.
        reverse: bool,
        /// TTL of the added records (seconds).
        ttl: u32,
    },
    /// The address's records should be gone (released, expired, or no name any more).
    Absent {
        /// The name it had, if the caller knows it (used when the updater itself does not,
        /// e.g. after a restart).
        fqdn: Option<String>,
    },
}
