//! TFTP counters, shared between the runtime and whoever exports metrics.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Why a request was refused or a transfer failed. Each has a stable snake_case label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A datagram on the listening port that is not a TFTP packet (including unknown opcodes).
    Malformed,
    /// A valid packet that is not a request arrived on the listening port, or a peer sent a
    /// packet that has no place in its transfer.
    IllegalOperation,
    /// The requested file does not exist (or is not a regular file).
    NotFound,
    /// The name was refused: traversal, absolute path, backslash, NUL, symlink out of the root,
    /// or file-system permissions.
    AccessViolation,
    /// A write request while uploads are off.
    WriteRefused,
    /// An upload's target exists already.
    FileExists,
    /// An upload exceeded the size cap (announced by tsize or while receiving).
    TooLarge,
    /// Refused: too many transfers in total or from this client.
    Busy,
    /// The peer stopped answering.
    Timeout,
    /// The peer sent an ERROR.
    PeerError,
    /// Reading, writing or sending failed on our side.
    Io,
    /// Ended by server shutdown.
    Aborted,
}

impl ErrorKind {
    /// Every kind, in counter order.
    pub const ALL: [ErrorKind; 12] = [
        ErrorKind::Malformed,
        ErrorKind::IllegalOperation,
        ErrorKind::NotFound,
        ErrorKind::AccessViolation,
        ErrorKind::WriteRefused,
        ErrorKind::FileExists,
        ErrorKind::TooLarge,
        ErrorKind::Busy,
        ErrorKind::Timeout,
        ErrorKind::PeerError,
        ErrorKind::Io,
        ErrorKind::Aborted,
    ];

    /// Stable snake_case label (metrics, logs).
    pub fn label(self) -> &'static str {
        match self {
            ErrorKind::Malformed => "malformed",
            ErrorKind::IllegalOperation => "illegal_operation",
            ErrorKind::NotFound => "not_found",
            ErrorKind::AccessViolation => "access_violation",
            ErrorKind::WriteRefused => "write_refused",
            ErrorKind::FileExists => "file_exists",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::Busy => "busy",
            ErrorKind::Timeout => "timeout",
            ErrorKind::PeerError => "peer_error",
            ErrorKind::Io => "io",
            ErrorKind::Aborted => "aborted",
        }
    }

    fn index(self) -> usize {
        ErrorKind::ALL.iter().position(|k| *k == self).unwrap_or(0)
    }
}

/// Counters of the TFTP service; updated through `&self`, so one `Arc` is shared.
#[derive(Debug, Default)]
pub struct TftpStats {
    started: AtomicU64,
    completed: AtomicU64,
    failed: AtomicU64,
    refused: AtomicU64,
    bytes_sent: AtomicU64,
    bytes_received: AtomicU64,
    transfer_micros: AtomicU64,
    active: AtomicU64,
    active_peak: AtomicU64,
    errors: [AtomicU64; ErrorKind::ALL.len()],
}

/// A copy of the counters at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TftpStatsSnapshot {
    /// Transfers that began (file opened, first packet sent).
    pub started: u64,
    /// Transfers that ended with the last block acknowledged.
    pub completed: u64,
    /// Transfers that began and did not complete.
    pub failed: u64,
    /// Requests answered with an ERROR (or dropped) before a transfer began.
    pub refused: u64,
    /// UDP payload bytes sent by transfers (DATA including retransmissions, OACK, ACK, ERROR).
    pub bytes_sent: u64,
    /// File bytes received by uploads.
    pub bytes_received: u64,
    /// Sum of the durations of finished transfers.
    pub transfer_time: Duration,
    /// Transfers in progress now.
    pub active: u64,
    /// Most transfers ever in progress at once.
    pub active_peak: u64,
    /// Errors by kind, in [`ErrorKind::ALL`] order.
    pub errors: Vec<(ErrorKind, u64)>,
}

impl TftpStatsSnapshot {
    /// The count of one error kind.
    pub fn error(&self, kind: ErrorKind) -> u64 {
        self.errors
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(0, |(_, n)| *n)
    }
}

impl TftpStats {
    /// Copies every counter.
    pub fn snapshot(&self) -> TftpStatsSnapshot {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        TftpStatsSnapshot {
            started: get(&self.started),
            completed: get(&self.completed),
            failed: get(&self.failed),
            refused: get(&self.refused),
            bytes_sent: get(&self.bytes_sent),
            bytes_received: get(&self.bytes_received),
            transfer_time: Duration::from_micros(get(&self.transfer_micros)),
            active: get(&self.active),
            active_peak: get(&self.active_peak),
            errors: ErrorKind::ALL
                .iter()
                .map(|k| (*k, get(&self.errors[k.index()])))
                .collect(),
        }
    }
}

/// Updates, made by the runtime.
#[cfg_attr(not(feature = "runtime"), allow(dead_code))]
impl TftpStats {
    pub(crate) fn error(&self, kind: ErrorKind) {
        self.errors[kind.index()].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn refused(&self, kind: ErrorKind) {
        self.refused.fetch_add(1, Ordering::Relaxed);
        self.error(kind);
    }

    pub(crate) fn started(&self) {
        self.started.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn finished(&self, failure: Option<ErrorKind>, took: Duration, received: u64) {
        match failure {
            None => self.completed.fetch_add(1, Ordering::Relaxed),
            Some(kind) => {
                self.error(kind);
                self.failed.fetch_add(1, Ordering::Relaxed)
            }
        };
        self.bytes_received.fetch_add(received, Ordering::Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.transfer_micros.fetch_add(micros, Ordering::Relaxed);
    }

    pub(crate) fn sent(&self, bytes: usize) {
        self.bytes_sent.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub(crate) fn enter(&self) {
        let now = self.active.fetch_add(1, Ordering::Relaxed) + 1;
        self.active_peak.fetch_max(now, Ordering::Relaxed);
    }

    pub(crate) fn leave(&self) {
        self.active.fetch_sub(1, Ordering::Relaxed);
    }
}
