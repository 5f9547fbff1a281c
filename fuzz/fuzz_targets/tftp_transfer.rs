//! The TFTP transfer state machines driven by arbitrary peers: a read (RRQ) or write (WRQ)
//! transfer against an in-memory file, fed an arbitrary sequence of ACKs, DATA, ERRORs, raw
//! datagrams and timer expiries.
//!
//! Input: a 6-byte header `[flags][blksize: u8][window: u8][retries: u8][len: u16 BE]`
//! (flags bit 0: write transfer; bit 1: options negotiated, so an OACK goes first), then events
//! `[kind][a][b]...`. Invariants after every step: no panic; no action after `Finished`; a read
//! transfer never has more than `windowsize` DATA blocks beyond the highest acknowledged one,
//! answers a duplicate ACK with nothing (no Sorcerer's Apprentice), sends at most one packet
//! first, never sends a block larger than blksize, and when it completes the blocks sent are the
//! file; a write transfer answers each datagram with at most one packet and never accepts more
//! than its size cap.
#![no_main]

use leasehold_bootfiles::tftp::options::Negotiated;
use leasehold_bootfiles::tftp::packet::{encode_ack, encode_data, encode_error, ErrorCode, Packet};
use leasehold_bootfiles::tftp::transfer::{Action, Outcome, ReadTransfer, Transfer, WriteTransfer};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;
use std::io::Cursor;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(1);

struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*first)
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes([self.byte()?, self.byte()?]))
    }
    fn bytes(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }
}

fn sends(actions: &[Action]) -> Vec<Packet<'_>> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send(b) => Some(Packet::parse(b).expect("we send valid packets")),
            _ => None,
        })
        .collect()
}

fn finished(actions: &[Action]) -> Option<&Outcome> {
    actions.iter().find_map(|a| match a {
        Action::Finished(o) => Some(o),
        _ => None,
    })
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let (Some(flags), Some(blk), Some(win), Some(retries), Some(len)) = (
        input.byte(),
        input.byte(),
        input.byte(),
        input.byte(),
        input.u16(),
    ) else {
        return;
    };
    let blksize = 8 + u16::from(blk % 64);
    let windowsize = 1 + u16::from(win % 16);
    let negotiated = Negotiated {
        blksize,
        windowsize: if flags & 2 != 0 { windowsize } else { 1 },
        timeout: TIMEOUT,
        announced_size: None,
        oack: if flags & 2 != 0 {
            vec![("blksize".into(), blksize.to_string())]
        } else {
            vec![]
        },
    };
    let retries = u32::from(retries % 6);
    let len = usize::from(len % 4096);
    if flags & 1 == 0 {
        read(input, &negotiated, retries, len);
    } else {
        write(input, &negotiated, retries, len as u64);
    }
});

fn read(mut input: Input<'_>, negotiated: &Negotiated, retries: u32, len: usize) {
    let file: Vec<u8> = (0..len).map(|i| (i * 7 % 256) as u8).collect();
    let window = u64::from(negotiated.windowsize);
    let blksize = usize::from(negotiated.blksize);
    let mut t = ReadTransfer::new(Cursor::new(file.clone()), negotiated, retries);
    let mut now = Instant::now();
    let mut blocks: BTreeMap<u16, Vec<u8>> = BTreeMap::new();
    let mut max_sent: u16 = 0;
    let mut acked: u16 = 0; // highest ACK the transfer could have taken (no rollover: < 512 blocks)
    let mut done = false;
    let first = t.start(now);
    assert!(
        sends(&first).len() <= 1,
        "more than one packet to an unverified peer"
    );
    let mut actions = first;
    loop {
        for p in sends(&actions) {
            if let Packet::Data { block, data } = p {
                assert!(data.len() <= blksize);
                if let Some(old) = blocks.get(&block) {
                    assert_eq!(old.as_slice(), data, "block {block} changed");
                }
                blocks.insert(block, data.to_vec());
                max_sent = max_sent.max(block);
            }
        }
        assert!(
            u64::from(max_sent.saturating_sub(acked)) <= window,
            "more than a window in flight: sent {max_sent}, acked {acked}, window {window}"
        );
        assert!(t.unacknowledged() as u64 <= window);
        if let Some(outcome) = finished(&actions) {
            assert!(!done, "finished twice");
            done = true;
            if *outcome == Outcome::Completed {
                let sent: Vec<u8> = blocks.values().flatten().copied().collect();
                assert_eq!(sent, file, "completed with different content");
            }
        } else if !done {
            assert!(
                actions.is_empty() || actions.iter().any(|a| matches!(a, Action::ArmTimer(_))),
                "packets sent without a timer"
            );
        }
        let Some(kind) = input.byte() else { return };
        actions = match kind % 6 {
            0 => {
                now += TIMEOUT;
                t.on_timeout(now)
            }
            1 => t.on_timeout(now), // early: must only re-arm
            2 | 3 => {
                let block = if kind % 6 == 2 {
                    max_sent
                } else {
                    input.u16().unwrap_or(0)
                };
                let duplicate = block <= acked && max_sent > 0;
                let out = t.on_packet(&encode_ack(block), now);
                if duplicate {
                    assert!(sends(&out).is_empty(), "duplicate ACK {block} answered");
                }
                if block <= max_sent {
                    acked = acked.max(block);
                }
                out
            }
            4 => t.on_packet(&encode_error(ErrorCode(u16::from(kind)), b"x"), now),
            _ => {
                let n = usize::from(input.byte().unwrap_or(0));
                let raw = input.bytes(n).to_vec();
                let is_ack = matches!(Packet::parse(&raw), Ok(Packet::Ack { .. }));
                if is_ack {
                    continue_with_raw_ack(&mut t, &raw, now, &mut acked, max_sent)
                } else {
                    t.on_packet(&raw, now)
                }
            }
        };
        if done {
            assert!(actions.is_empty(), "actions after the end");
        }
    }
}

fn continue_with_raw_ack(
    t: &mut ReadTransfer<Cursor<Vec<u8>>>,
    raw: &[u8],
    now: Instant,
    acked: &mut u16,
    max_sent: u16,
) -> Vec<Action> {
    let Ok(Packet::Ack { block }) = Packet::parse(raw) else {
        return Vec::new();
    };
    let out = t.on_packet(raw, now);
    if block <= *acked && max_sent > 0 {
        assert!(sends(&out).is_empty(), "duplicate ACK {block} answered");
    }
    if block <= max_sent {
        *acked = (*acked).max(block);
    }
    out
}

fn write(mut input: Input<'_>, negotiated: &Negotiated, retries: u32, cap: u64) {
    let blksize = usize::from(negotiated.blksize);
    let mut t = WriteTransfer::new(Vec::new(), negotiated, retries, cap);
    let mut now = Instant::now();
    let mut expected: u16 = 1;
    let mut done = false;
    let mut actions = t.start(now);
    loop {
        assert!(
            sends(&actions).len() <= 1,
            "more than one answer to one datagram"
        );
        if finished(&actions).is_some() {
            assert!(!done, "finished twice");
            done = true;
        }
        assert!(t.progress().bytes <= cap, "wrote beyond the cap");
        let Some(kind) = input.byte() else { break };
        actions = match kind % 5 {
            0 => {
                now += TIMEOUT;
                t.on_timeout(now)
            }
            1 | 2 => {
                let n = usize::from(input.byte().unwrap_or(0)) % (blksize + 2);
                let block = if kind % 5 == 1 {
                    expected
                } else {
                    input.u16().unwrap_or(0)
                };
                let payload = vec![kind; n];
                let out = t.on_packet(&encode_data(block, &payload), now);
                if block == expected && n <= blksize {
                    expected = expected.wrapping_add(1);
                }
                out
            }
            3 => t.on_packet(&encode_error(ErrorCode(1), b"bye"), now),
            _ => {
                let n = usize::from(input.byte().unwrap_or(0));
                let raw = input.bytes(n).to_vec();
                t.on_packet(&raw, now)
            }
        };
        if done {
            assert!(actions.is_empty(), "actions after the end");
        }
    }
    let written = t.progress().bytes;
    assert_eq!(t.into_sink().len() as u64, written);
}
