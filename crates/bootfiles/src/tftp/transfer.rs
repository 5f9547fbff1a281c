//! The transfer state machines, without I/O: a [`ReadTransfer`] sends a file (RRQ), a
//! [`WriteTransfer`] receives one (WRQ).
//!
//! Each takes the peer's datagrams ([`Transfer::on_packet`]) and timer expiries
//! ([`Transfer::on_timeout`]) at a time `now`, and answers with [`Action`]s: datagrams to send,
//! the next deadline, or the end with an [`Outcome`]. File data comes through `std::io::Read` /
//! `std::io::Write`, so tests use in-memory files.
//!
//! Rules kept here (RFC 1350, RFC 1123 §4.2.3.1, RFC 7440):
//! - Retransmission happens only on timeout, never because of a duplicate ACK (no Sorcerer's
//!   Apprentice); a duplicate or stale ACK is ignored.
//! - At most `windowsize` DATA blocks are unacknowledged; an ACK for a block before the end of
//!   the window starts the next window right after the acknowledged block.
//! - Block numbers wrap from 65535 to 0, so files of any size can be sent.
//! - After `retries` retransmissions without progress the transfer ends as [`Outcome::TimedOut`].
//! - A write transfer that received its last block dallies for one timeout, acknowledging the
//!   last block again if the peer repeats it (RFC 1350 §6), then ends as completed.

use super::options::Negotiated;
use super::packet::{encode_ack, encode_data, encode_error, encode_oack, ErrorCode, Packet};
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// What the runtime must do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send this datagram to the peer.
    Send(Vec<u8>),
    /// Call [`Transfer::on_timeout`] at this time (replaces any earlier deadline).
    ArmTimer(Instant),
    /// The transfer is over; nothing more is sent or expected.
    Finished(Outcome),
}

/// How a transfer ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The whole file went through and the last block was acknowledged.
    Completed,
    /// The peer did not answer within the retries.
    TimedOut,
    /// The peer sent an ERROR packet.
    PeerError {
        /// The peer's error code.
        code: u16,
        /// The peer's message (lossy UTF-8).
        message: String,
    },
    /// The peer sent a packet that has no place in this transfer; we answered ERROR 4.
    ProtocolError,
    /// Reading or writing the file failed; we answered ERROR 0 (read) or 3 (write).
    Io(String),
    /// An upload grew beyond the size cap; we answered ERROR 3.
    TooLarge,
    /// The server is shutting down; we answered ERROR 0.
    Aborted,
}

impl Outcome {
    /// Stable snake_case label for logs and metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::TimedOut => "timed_out",
            Outcome::PeerError { .. } => "peer_error",
            Outcome::ProtocolError => "protocol_error",
            Outcome::Io(_) => "io_error",
            Outcome::TooLarge => "too_large",
            Outcome::Aborted => "aborted",
        }
    }
}

/// Counters of one transfer, for its log line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// File bytes sent (each block counted once) or received and written.
    pub bytes: u64,
    /// Distinct DATA blocks sent or received.
    pub blocks: u64,
    /// DATA blocks (or ACK/OACK) sent again after a timeout.
    pub retransmissions: u64,
}

/// A transfer driven by the runtime.
pub trait Transfer {
    /// The first datagrams (OACK, first DATA or ACK 0) and the first deadline.
    fn start(&mut self, now: Instant) -> Vec<Action>;
    /// A datagram from the peer (already known to come from its address and port).
    fn on_packet(&mut self, datagram: &[u8], now: Instant) -> Vec<Action>;
    /// The deadline passed.
    fn on_timeout(&mut self, now: Instant) -> Vec<Action>;
    /// The server is shutting down: the ERROR to send and [`Outcome::Aborted`].
    fn abort(&mut self) -> Vec<Action>;
    /// Counters so far.
    fn progress(&self) -> Progress;
    /// Whether the transfer has finished.
    fn is_finished(&self) -> bool;
}

/// Timers and retries shared by both directions.
#[derive(Debug)]
struct Clock {
    timeout: Duration,
    max_retries: u32,
    retries: u32,
    deadline: Option<Instant>,
}

impl Clock {
    fn arm(&mut self, now: Instant) -> Action {
        let at = now + self.timeout;
        self.deadline = Some(at);
        Action::ArmTimer(at)
    }

    /// `Some(rearm)` when the deadline has not really passed yet.
    fn early(&self, now: Instant) -> Option<Vec<Action>> {
        match self.deadline {
            Some(at) if now < at => Some(vec![Action::ArmTimer(at)]),
            _ => None,
        }
    }
}

fn wire_block(index: u64) -> u16 {
    // Block numbers wrap: index 65536 is block 0 on the wire.
    (index & 0xffff) as u16
}

fn peer_error(code: ErrorCode, message: &[u8]) -> Outcome {
    Outcome::PeerError {
        code: code.0,
        message: String::from_utf8_lossy(message).into_owned(),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum ReadState {
    /// OACK sent, waiting for ACK 0.
    AwaitOackAck,
    /// Sending data windows.
    Sending,
    /// Over.
    Done,
}

/// Sends a file to the peer (a read request).
#[derive(Debug)]
pub struct ReadTransfer<R> {
    source: R,
    blksize: usize,
    windowsize: usize,
    oack: Option<Vec<u8>>,
    state: ReadState,
    clock: Clock,
    /// Index (1-based, not wrapped) of the oldest unacknowledged block.
    base: u64,
    /// Encoded DATA packets of blocks `base..base + window.len()`, all sent at least once.
    window: VecDeque<Vec<u8>>,
    /// Index of the last block (shorter than blksize), once it has been read.
    last_block: Option<u64>,
    progress: Progress,
}

impl<R: Read> ReadTransfer<R> {
    /// A transfer of `source` with the negotiated parameters; `retries` retransmissions are made
    /// before giving up.
    pub fn new(source: R, negotiated: &Negotiated, retries: u32) -> Self {
        ReadTransfer {
            source,
            blksize: usize::from(negotiated.blksize.max(1)),
            windowsize: usize::from(negotiated.windowsize.max(1)),
            oack: (!negotiated.oack.is_empty()).then(|| encode_oack(&negotiated.oack)),
            state: ReadState::Sending,
            clock: Clock {
                timeout: negotiated.timeout,
                max_retries: retries,
                retries: 0,
                deadline: None,
            },
            base: 1,
            window: VecDeque::new(),
            last_block: None,
            progress: Progress::default(),
        }
    }

    /// Number of DATA blocks sent and not yet acknowledged (never above the window size).
    pub fn unacknowledged(&self) -> usize {
        self.window.len()
    }

    /// The negotiated window size.
    pub fn windowsize(&self) -> usize {
        self.windowsize
    }

    fn finish(&mut self, mut actions: Vec<Action>, outcome: Outcome) -> Vec<Action> {
        self.state = ReadState::Done;
        self.clock.deadline = None;
        self.window.clear();
        actions.push(Action::Finished(outcome));
        actions
    }

    /// Reads one block; short only at the end of the file.
    fn read_block(&mut self) -> std::io::Result<Vec<u8>> {
        let mut buf = vec![0; self.blksize];
        let mut filled = 0;
        while filled < buf.len() {
            match self.source.read(buf.get_mut(filled..).unwrap_or(&mut [])) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        buf.truncate(filled);
        Ok(buf)
    }

    /// Tops the window up with new blocks and sends the whole window.
    fn send_window(&mut self, now: Instant) -> Vec<Action> {
        while self.window.len() < self.windowsize && self.last_block.is_none() {
            let index = self.base + self.window.len() as u64;
            let data = match self.read_block() {
                Ok(data) => data,
                Err(e) => {
                    let err = encode_error(ErrorCode::NOT_DEFINED, b"read error");
                    return self.finish(vec![Action::Send(err)], Outcome::Io(e.to_string()));
                }
            };
            if data.len() < self.blksize {
                self.last_block = Some(index);
            }
            self.progress.bytes += data.len() as u64;
            self.progress.blocks += 1;
            self.window.push_back(encode_data(wire_block(index), &data));
        }
        let mut actions: Vec<Action> = self.window.iter().cloned().map(Action::Send).collect();
        actions.push(self.clock.arm(now));
        actions
    }

    fn on_ack(&mut self, block: u16, now: Instant) -> Vec<Action> {
        match self.state {
            ReadState::AwaitOackAck if block == 0 => {
                self.state = ReadState::Sending;
                self.clock.retries = 0;
                self.send_window(now)
            }
            ReadState::Sending => {
                // How far past the last acknowledged block (base - 1) this ACK reaches.
                let reach = u64::from(block.wrapping_sub(wire_block(self.base - 1)));
                if reach == 0 || reach > self.window.len() as u64 {
                    return Vec::new(); // duplicate or stale: ignore, never retransmit
                }
                self.window.drain(..reach as usize);
                self.base += reach;
                self.clock.retries = 0;
                if self.last_block.is_some_and(|last| self.base > last) {
                    return self.finish(Vec::new(), Outcome::Completed);
                }
                self.send_window(now)
            }
            _ => Vec::new(),
        }
    }
}

impl<R: Read> Transfer for ReadTransfer<R> {
    fn start(&mut self, now: Instant) -> Vec<Action> {
        match self.oack.clone() {
            Some(oack) => {
                self.state = ReadState::AwaitOackAck;
                vec![Action::Send(oack), self.clock.arm(now)]
            }
            None => {
                // Unverified peer: one block only (windowsize is 1 without options).
                self.state = ReadState::Sending;
                self.send_window(now)
            }
        }
    }

    fn on_packet(&mut self, datagram: &[u8], now: Instant) -> Vec<Action> {
        if self.state == ReadState::Done {
            return Vec::new();
        }
        match Packet::parse(datagram) {
            Ok(Packet::Ack { block }) => self.on_ack(block, now),
            Ok(Packet::Error { code, message }) => {
                let outcome = peer_error(code, message);
                self.finish(Vec::new(), outcome)
            }
            Ok(_) => {
                let err = encode_error(ErrorCode::ILLEGAL_OPERATION, b"illegal operation");
                self.finish(vec![Action::Send(err)], Outcome::ProtocolError)
            }
            Err(_) => Vec::new(),
        }
    }

    fn on_timeout(&mut self, now: Instant) -> Vec<Action> {
        if self.state == ReadState::Done {
            return Vec::new();
        }
        if let Some(rearm) = self.clock.early(now) {
            return rearm;
        }
        if self.clock.retries >= self.clock.max_retries {
            return self.finish(Vec::new(), Outcome::TimedOut);
        }
        self.clock.retries += 1;
        let mut actions = Vec::new();
        match (&self.state, &self.oack) {
            (ReadState::AwaitOackAck, Some(oack)) => {
                actions.push(Action::Send(oack.clone()));
                self.progress.retransmissions += 1;
            }
            _ => {
                for packet in &self.window {
                    actions.push(Action::Send(packet.clone()));
                }
                self.progress.retransmissions += self.window.len() as u64;
            }
        }
        actions.push(self.clock.arm(now));
        actions
    }

    fn abort(&mut self) -> Vec<Action> {
        if self.state == ReadState::Done {
            return Vec::new();
        }
        let err = encode_error(ErrorCode::NOT_DEFINED, b"server shutting down");
        self.finish(vec![Action::Send(err)], Outcome::Aborted)
    }

    fn progress(&self) -> Progress {
        self.progress
    }

    fn is_finished(&self) -> bool {
        self.state == ReadState::Done
    }
}

/// Receives a file from the peer (a write request).
#[derive(Debug)]
pub struct WriteTransfer<W> {
    sink: W,
    blksize: usize,
    windowsize: usize,
    max_size: u64,
    /// OACK or the latest ACK: what a timeout resends.
    last_sent: Vec<u8>,
    clock: Clock,
    /// Index (1-based, not wrapped) of the next block expected.
    expected: u64,
    /// In-order blocks received since the last ACK sent.
    since_ack: usize,
    /// The last block arrived and was acknowledged; waiting one timeout to acknowledge it again
    /// if the peer repeats it (its copy of our final ACK was lost, RFC 1350 §6).
    dallying: bool,
    done: bool,
    progress: Progress,
}

impl<W: Write> WriteTransfer<W> {
    /// A transfer into `sink` refusing more than `max_size` bytes.
    pub fn new(sink: W, negotiated: &Negotiated, retries: u32, max_size: u64) -> Self {
        let first = if negotiated.oack.is_empty() {
            encode_ack(0)
        } else {
            encode_oack(&negotiated.oack)
        };
        WriteTransfer {
            sink,
            blksize: usize::from(negotiated.blksize.max(1)),
            windowsize: usize::from(negotiated.windowsize.max(1)),
            max_size,
            last_sent: first,
            clock: Clock {
                timeout: negotiated.timeout,
                max_retries: retries,
                retries: 0,
                deadline: None,
            },
            expected: 1,
            since_ack: 0,
            dallying: false,
            done: false,
            progress: Progress::default(),
        }
    }

    /// The file written so far (for the runtime to keep or remove).
    pub fn into_sink(self) -> W {
        self.sink
    }

    fn finish(&mut self, mut actions: Vec<Action>, outcome: Outcome) -> Vec<Action> {
        self.done = true;
        self.clock.deadline = None;
        actions.push(Action::Finished(outcome));
        actions
    }

    fn ack(&mut self, index: u64, now: Instant) -> Vec<Action> {
        self.last_sent = encode_ack(wire_block(index));
        self.since_ack = 0;
        vec![Action::Send(self.last_sent.clone()), self.clock.arm(now)]
    }

    fn on_data(&mut self, block: u16, data: &[u8], now: Instant) -> Vec<Action> {
        if self.dallying {
            // Only the repeated last block is answered, with the same final ACK.
            if block == wire_block(self.expected - 1) {
                return vec![Action::Send(self.last_sent.clone())];
            }
            return Vec::new();
        }
        if block != wire_block(self.expected) {
            // Out of order or a repeat: acknowledge what we have (RFC 7440 §4), one ACK per
            // datagram received, so no amplification.
            return self.ack(self.expected - 1, now);
        }
        if data.len() > self.blksize {
            let err = encode_error(ErrorCode::ILLEGAL_OPERATION, b"block too large");
            return self.finish(vec![Action::Send(err)], Outcome::ProtocolError);
        }
        if self.progress.bytes + data.len() as u64 > self.max_size {
            let err = encode_error(ErrorCode::DISK_FULL, b"file too large");
            return self.finish(vec![Action::Send(err)], Outcome::TooLarge);
        }
        let last = data.len() < self.blksize;
        let written =
            self.sink
                .write_all(data)
                .and_then(|()| if last { self.sink.flush() } else { Ok(()) });
        if let Err(e) = written {
            let err = encode_error(ErrorCode::DISK_FULL, b"write error");
            return self.finish(vec![Action::Send(err)], Outcome::Io(e.to_string()));
        }
        self.progress.bytes += data.len() as u64;
        self.progress.blocks += 1;
        self.clock.retries = 0;
        let index = self.expected;
        self.expected += 1;
        self.since_ack += 1;
        if last {
            self.dallying = true;
            return self.ack(index, now);
        }
        if self.since_ack >= self.windowsize {
            return self.ack(index, now);
        }
        vec![self.clock.arm(now)]
    }
}

impl<W: Write> Transfer for WriteTransfer<W> {
    fn start(&mut self, now: Instant) -> Vec<Action> {
        vec![Action::Send(self.last_sent.clone()), self.clock.arm(now)]
    }

    fn on_packet(&mut self, datagram: &[u8], now: Instant) -> Vec<Action> {
        if self.done {
            return Vec::new();
        }
        match Packet::parse(datagram) {
            Ok(Packet::Data { block, data }) => self.on_data(block, data, now),
            // The file is complete; whatever the peer says now does not change that.
            Ok(_) if self.dallying => Vec::new(),
            Ok(Packet::Error { code, message }) => {
                let outcome = peer_error(code, message);
                self.finish(Vec::new(), outcome)
            }
            Ok(_) => {
                let err = encode_error(ErrorCode::ILLEGAL_OPERATION, b"illegal operation");
                self.finish(vec![Action::Send(err)], Outcome::ProtocolError)
            }
            Err(_) => Vec::new(),
        }
    }

    fn on_timeout(&mut self, now: Instant) -> Vec<Action> {
        if self.done {
            return Vec::new();
        }
        if let Some(rearm) = self.clock.early(now) {
            return rearm;
        }
        if self.dallying {
            return self.finish(Vec::new(), Outcome::Completed);
        }
        if self.clock.retries >= self.clock.max_retries {
            return self.finish(Vec::new(), Outcome::TimedOut);
        }
        self.clock.retries += 1;
        self.progress.retransmissions += 1;
        self.since_ack = 0;
        vec![Action::Send(self.last_sent.clone()), self.clock.arm(now)]
    }

    fn abort(&mut self) -> Vec<Action> {
        if self.done {
            return Vec::new();
        }
        if self.dallying {
            return self.finish(Vec::new(), Outcome::Completed);
        }
        let err = encode_error(ErrorCode::NOT_DEFINED, b"server shutting down");
        self.finish(vec![Action::Send(err)], Outcome::Aborted)
    }

    fn progress(&self) -> Progress {
        self.progress
    }

    fn is_finished(&self) -> bool {
        self.done
    }
}

#[cfg(test)]
mod tests;
