//! Drop reasons and counters.

use std::sync::atomic::{AtomicU64, Ordering};

/// Why a datagram was not relayed. Each has a stable snake_case label for logs and metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum DropReason {
    /// Not a BOOTP/DHCP message ([`leasehold_wire::Packet::parse`] failed).
    #[error("malformed datagram")]
    Malformed,
    /// A BOOTREPLY where a BOOTREQUEST was expected, or the reverse.
    #[error("wrong op code for this direction")]
    WrongOp,
    /// A request arrived on an interface the relay does not listen on.
    #[error("request arrived on an interface not in listen")]
    UnknownInterface,
    /// The request's `hops` already exceeds `max_hops` (RFC 1542 §4.1.1).
    #[error("hop limit exceeded")]
    HopLimit,
    /// The request carried giaddr 0 with option 82 and the policy is `drop` (RFC 3046 §2.1).
    #[error("option 82 present on a request from a client")]
    Option82Present,
    /// The request's giaddr is one of our own addresses: a forwarding loop.
    #[error("giaddr is our own address (loop)")]
    OwnGiaddr,
    /// A reply came from an address that is not a configured server.
    #[error("reply from an unknown server")]
    UnknownServer,
    /// A reply's giaddr (and echoed option 82) does not name one of our interfaces.
    #[error("reply giaddr names none of our interfaces")]
    UnknownGiaddr,
    /// The packet could not be written back into a datagram.
    #[error("cannot encode the packet")]
    Encode,
    /// The socket refused to send.
    #[error("send failed")]
    SendFailed,
}

impl DropReason {
    /// Every reason, in counter order.
    pub const ALL: [DropReason; 10] = [
        DropReason::Malformed,
        DropReason::WrongOp,
        DropReason::UnknownInterface,
        DropReason::HopLimit,
        DropReason::Option82Present,
        DropReason::OwnGiaddr,
        DropReason::UnknownServer,
        DropReason::UnknownGiaddr,
        DropReason::Encode,
        DropReason::SendFailed,
    ];

    /// Stable snake_case label (metrics, logs).
    pub fn label(self) -> &'static str {
        match self {
            DropReason::Malformed => "malformed",
            DropReason::WrongOp => "wrong_op",
            DropReason::UnknownInterface => "unknown_interface",
            DropReason::HopLimit => "hop_limit",
            DropReason::Option82Present => "option82_present",
            DropReason::OwnGiaddr => "own_giaddr",
            DropReason::UnknownServer => "unknown_server",
            DropReason::UnknownGiaddr => "unknown_giaddr",
            DropReason::Encode => "encode",
            DropReason::SendFailed => "send_failed",
        }
    }

    fn index(self) -> usize {
        DropReason::ALL.iter().position(|r| *r == self).unwrap_or(0)
    }
}

/// Counters of one relay agent; updated through `&self`, so they can be shared.
#[derive(Debug, Default)]
pub struct RelayStats {
    forwarded: AtomicU64,
    delivered: AtomicU64,
    option82_too_large: AtomicU64,
    drops: [AtomicU64; DropReason::ALL.len()],
}

/// A point-in-time copy of [`RelayStats`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Requests forwarded (one per server).
    pub forwarded: u64,
    /// Replies delivered to clients.
    pub delivered: u64,
    /// Requests forwarded without our option 82 because it did not fit (RFC 3046 §2.1).
    pub option82_too_large: u64,
    /// Drops per reason label, every reason listed.
    pub drops: Vec<(&'static str, u64)>,
}

impl StatsSnapshot {
    /// The count of drops for `reason`.
    pub fn dropped(&self, reason: DropReason) -> u64 {
        self.drops
            .iter()
            .find(|(l, _)| *l == reason.label())
            .map_or(0, |(_, n)| *n)
    }
}

impl RelayStats {
    /// Counts one drop.
    pub fn record_drop(&self, reason: DropReason) {
        if let Some(c) = self.drops.get(reason.index()) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts `n` forwarded requests.
    pub fn record_forwarded(&self, n: u64) {
        self.forwarded.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts one delivered reply.
    pub fn record_delivered(&self) {
        self.delivered.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one request forwarded without option 82 because it would not fit.
    pub fn record_option82_too_large(&self) {
        self.option82_too_large.fetch_add(1, Ordering::Relaxed);
    }

    /// Copies the counters.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            forwarded: self.forwarded.load(Ordering::Relaxed),
            delivered: self.delivered.load(Ordering::Relaxed),
            option82_too_large: self.option82_too_large.load(Ordering::Relaxed),
            drops: DropReason::ALL
                .iter()
                .map(|r| (r.label(), self.drops[r.index()].load(Ordering::Relaxed)))
                .collect(),
        }
    }
}
