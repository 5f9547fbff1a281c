//! The DNS updater fed arbitrary answers while it has work in flight: raw datagrams (some with
//! the id of a message in flight patched in, some from a stranger), well-formed UPDATE answers
//! with an arbitrary rcode, timer expiries and new wishes.
//!
//! Input: `[flags]` (bit 0: zones have a TSIG key; bit 1: no-check conflict mode; bits 2–3:
//! leases − 1), then events `[kind][...]`:
//! - kind & 3 == 0: `[idx][rcode]` a header-only UPDATE answer for the idx-th recent message;
//! - kind & 3 == 1: `[len][bytes...]` a raw datagram from the server of recent message
//!   `kind >> 3` (from a stranger when bit 7 is set); kind bit 2 patches in that message's id;
//! - kind & 3 == 2: `[n]` time advances n × 100 ms and timers run;
//! - kind & 3 == 3: `[w]` a new wish for lease `w & 3` (name a, name b, or released).
//!
//! Invariants after every step: no panic; every message sent is accounted for exactly once
//! (`DdnsStats::is_consistent`); never more messages in flight per server than allowed.
#![no_main]

use leasehold_ddns::{
    ConflictResolution, Identity, LeaseDns, Settings, TsigAlgorithm, TsigKey, Updater, Want, Zone,
};
use libfuzzer_sys::fuzz_target;
use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

const MAX_IN_FLIGHT: usize = 2;
const UNIX: u64 = 1_700_000_000;

struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*first)
    }
    fn bytes(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }
}

fn fwd() -> SocketAddr {
    SocketAddr::from(([198, 18, 0, 53], 53))
}

fn rev() -> SocketAddr {
    SocketAddr::from(([198, 18, 0, 54], 53))
}

fn lease(i: u8, w: u8) -> LeaseDns {
    let addr = Ipv4Addr::new(198, 18, 0, 10 + i);
    let identity = Identity::from_hwaddr(1, &[2, 0, 0, 0, 0, i]);
    let want = match w % 3 {
        0 => Want::Present {
            fqdn: format!("a{i}.example.test."),
            forward: true,
            reverse: true,
            ttl: 300,
        },
        // Shared by every lease: conflicts between them.
        1 => Want::Present {
            fqdn: "b.example.test.".into(),
            forward: true,
            reverse: w & 4 != 0,
            ttl: 60,
        },
        _ => Want::Absent {
            fqdn: Some(format!("a{i}.example.test.")),
        },
    };
    LeaseDns {
        addr,
        identity,
        want,
        replaces: (w & 0x40 != 0).then(|| format!("b{i}.example.test.")),
    }
}

/// Sends everything the updater has to send, remembering (server, id) of the last 16.
fn drain(u: &mut Updater, recent: &mut VecDeque<(SocketAddr, [u8; 2])>, now: Instant) {
    while let Some(t) = u.poll_transmit(now, UNIX) {
        assert!(t.to == fwd() || t.to == rev());
        if let (Some(&a), Some(&b)) = (t.payload.first(), t.payload.get(1)) {
            recent.push_back((t.to, [a, b]));
            if recent.len() > 16 {
                recent.pop_front();
            }
        }
    }
}

fn check(u: &Updater) {
    let s = u.stats();
    assert!(s.is_consistent(), "{s:?}");
    assert!(s.in_flight as usize <= 2 * MAX_IN_FLIGHT, "{s:?}");
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let Some(flags) = input.byte() else { return };
    let key = (flags & 1 != 0).then(|| TsigKey {
        name: "ddns-key.".into(),
        algorithm: TsigAlgorithm::HmacSha256,
        secret: vec![7; 32],
    });
    let settings = Settings {
        zones: vec![
            Zone {
                name: "example.test.".into(),
                server: fwd(),
                key: key.clone(),
            },
            Zone {
                name: "0.18.198.in-addr.arpa.".into(),
                server: rev(),
                key,
            },
        ],
        conflict: if flags & 2 != 0 {
            ConflictResolution::NoCheckWithDhcid
        } else {
            ConflictResolution::CheckWithDhcid
        },
        queue_limit: 3,
        max_in_flight: MAX_IN_FLIGHT,
        ..Settings::default()
    };
    let Ok(mut u) = Updater::new(settings, u64::from(flags)) else {
        return;
    };
    let start = Instant::now();
    let mut now = start;
    let leases = ((flags >> 2) & 3) + 1;
    u.converge((0..leases).map(|i| lease(i, i)), now);
    let mut recent = VecDeque::new();
    drain(&mut u, &mut recent, now);
    check(&u);

    while let Some(kind) = input.byte() {
        match kind & 3 {
            0 => {
                let (Some(idx), Some(rcode)) = (input.byte(), input.byte()) else {
                    break;
                };
                if let Some(&(server, id)) = recent.get(usize::from(idx) % recent.len().max(1)) {
                    // QR=1, opcode UPDATE (5); no sections.
                    let answer = [id[0], id[1], 0xA8, rcode & 0x0f, 0, 0, 0, 0, 0, 0, 0, 0];
                    u.handle_datagram(server, &answer, now);
                }
            }
            1 => {
                let Some(len) = input.byte() else { break };
                let mut datagram = input.bytes(usize::from(len)).to_vec();
                let pick = recent.get(usize::from(kind >> 3) % recent.len().max(1));
                let from = match pick {
                    Some(&(server, _)) if kind & 0x80 == 0 => server,
                    _ => SocketAddr::from(([198, 18, 0, 99], 53)),
                };
                if let (Some(&(_, id)), true, Some(head)) =
                    (pick, kind & 4 != 0, datagram.get_mut(..2))
                {
                    head.copy_from_slice(&id);
                }
                u.handle_datagram(from, &datagram, now);
            }
            2 => {
                let Some(n) = input.byte() else { break };
                now += Duration::from_millis(100 * u64::from(n));
                u.handle_timeout(now);
            }
            _ => {
                let Some(w) = input.byte() else { break };
                u.submit(lease((w >> 3) % leases, w & 7), now);
            }
        }
        drain(&mut u, &mut recent, now);
        check(&u);
    }
    // However the answers went, letting time pass never leaves a message in flight forever.
    for _ in 0..64 {
        match u.poll_timeout() {
            Some(t) => {
                now = now.max(t);
                u.handle_timeout(now);
                // Drop everything sent from here on: only timeouts.
                while u.poll_transmit(now, UNIX).is_some() {}
            }
            None => break,
        }
        check(&u);
    }
});
