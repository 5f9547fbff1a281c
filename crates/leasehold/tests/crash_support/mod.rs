//! The kill -9 crash test ("no acknowledged lease is ever lost"), independent of the lease store:
//! client threads doing full DORA exchanges against a `leasehold serve` on 127.0.0.1, the server
//! killed with SIGKILL after a random number of ACKs and restarted on the same store, again and
//! again; after every restart the checks. The test binary supplies how to start and kill the
//! server and how to read the store (crash.rs: SQLite, crash_pg.rs: PostgreSQL); it must also
//! declare `mod support;`, whose DHCP client this uses.
//!
//! The kill moments are chosen by a seeded generator (`LEASEHOLD_CRASH_SEED` overrides the seed)
//! and measured in ACKs seen, not in time, while the client threads keep requests in flight, so
//! the kill lands anywhere in the receive → decide → group commit → reply pipeline.
#![allow(dead_code)] // each test binary uses a different subset

use crate::support::{client_socket, exchange, request};
use leasehold_engine::{ClientKey, Lease, LeaseState};
use leasehold_wire::options::code;
use leasehold_wire::{HwAddr, MessageType};
use std::collections::{HashMap, HashSet};
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Default seed; override with `LEASEHOLD_CRASH_SEED` to explore other schedules.
pub const DEFAULT_SEED: u64 = 0x4c45_4153_4548_4f4c;

/// The crash test's server configuration in `dir`, on 127.0.0.1 `port`: a /16 pool (far more
/// addresses than the test acknowledges) and leases that outlive the test.
pub fn write_config(dir: &std::path::Path, port: u16) -> std::path::PathBuf {
    crate::support::write_loopback_config(
        dir,
        port,
        "lease_time = 86400\noffer_hold = 30",
        "",
        "127.1.0.0-127.1.255.255",
    )
}

/// The shape of one crash test.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Kill/restart cycles.
    pub rounds: usize,
    /// Each round kills the server after between `min_acks` and `max_acks` (exclusive) ACKs.
    pub min_acks: u64,
    /// See `min_acks`.
    pub max_acks: u64,
    /// Upper bound on client threads in a round (the count varies per round, 1..=this).
    pub max_workers: u64,
    /// How long a client waits for one reply before giving that exchange up.
    pub reply_timeout: Duration,
    /// Liveness bound of one round: a server that acknowledges nothing for this long is broken.
    pub round_limit: Duration,
    /// The generator's seed.
    pub seed: u64,
}

impl Plan {
    /// crash.rs's plan with `rounds` rounds, the seed from `LEASEHOLD_CRASH_SEED` if set.
    pub fn with_rounds(rounds: usize) -> Plan {
        let seed = std::env::var("LEASEHOLD_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(DEFAULT_SEED);
        Plan {
            rounds,
            min_acks: 5,
            max_acks: 200,
            max_workers: 4,
            reply_timeout: Duration::from_millis(250),
            round_limit: Duration::from_secs(30),
            seed,
        }
    }
}

/// SplitMix64: a small deterministic generator, enough to pick kill moments reproducibly.
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `lo..hi` (`hi > lo`).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
}

/// The MAC of the `n`th client of the whole test (distinct for every `n` < 2^32).
pub fn mac_of(n: u32) -> [u8; 6] {
    let b = n.to_be_bytes();
    [0x02, 0x4c, b[0], b[1], b[2], b[3]]
}

/// Everything the clients were told, shared by the client threads.
#[derive(Default)]
struct Acks {
    /// Client MAC → acknowledged address.
    by_mac: Mutex<HashMap<[u8; 6], Ipv4Addr>>,
    /// ACKs of the current round (incremented after the ACK is recorded).
    round: AtomicUsize,
    /// NAKs seen.
    naks: AtomicUsize,
}

/// One client thread: full DORA for a fresh MAC after another until `stop`. Every ACK is
/// recorded before it is counted, so whatever the main thread counted when it killed the server
/// is recorded.
fn worker(
    port: u16,
    timeout: Duration,
    next_mac: &AtomicU32,
    acks: &Acks,
    stop: &AtomicBool,
    mut xid: u32,
) {
    let sock = client_socket(timeout);
    for _ in 0..100_000 {
        if stop.load(Ordering::Acquire) {
            return;
        }
        let mac = mac_of(next_mac.fetch_add(1, Ordering::Relaxed));
        xid = xid.wrapping_add(2);
        let Some(offer) = exchange(
            &sock,
            port,
            &request(MessageType::Discover, mac, xid, &[]),
            xid,
        ) else {
            continue;
        };
        if offer.message_type() != Some(MessageType::Offer) {
            continue;
        }
        let Some(server_id) = offer.options.server_id() else {
            continue;
        };
        let req = request(
            MessageType::Request,
            mac,
            xid.wrapping_add(1),
            &[
                (code::REQUESTED_IP, offer.yiaddr.octets().to_vec()),
                (code::SERVER_ID, server_id.octets().to_vec()),
            ],
        );
        let Some(reply) = exchange(&sock, port, &req, xid.wrapping_add(1)) else {
            continue;
        };
        match reply.message_type() {
            Some(MessageType::Ack) => {
                let previous = acks
                    .by_mac
                    .lock()
                    .expect("ack map")
                    .insert(mac, reply.yiaddr);
                assert!(previous.is_none(), "MAC {mac:02x?} used twice by the test");
                acks.round.fetch_add(1, Ordering::AcqRel);
            }
            Some(MessageType::Nak) => {
                acks.naks.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }
}

/// Every ACK ever received is among `leases` as a bound lease of the same client at the same
/// address; no address was acknowledged to two clients; no client holds two bound leases.
pub fn verify_leases(leases: &[Lease], acked: &HashMap<[u8; 6], Ipv4Addr>, round: usize) {
    let by_addr: HashMap<Ipv4Addr, &Lease> = leases.iter().map(|l| (l.addr, l)).collect();
    assert_eq!(by_addr.len(), leases.len(), "an address has two rows");

    let mut holders: HashMap<Ipv4Addr, [u8; 6]> = HashMap::new();
    for (mac, addr) in acked {
        if let Some(other) = holders.insert(*addr, *mac) {
            panic!("round {round}: {addr} was acknowledged to {other:02x?} and to {mac:02x?}");
        }
        let key = ClientKey::HwAddr(HwAddr::ethernet(*mac));
        let lease = by_addr.get(addr).unwrap_or_else(|| {
            panic!("round {round}: ACKed lease {addr} of {mac:02x?} is missing after kill -9")
        });
        assert_eq!(
            lease.client.as_ref(),
            Some(&key),
            "round {round}: {addr} was ACKed to {mac:02x?}, the store names another client"
        );
        assert_eq!(
            lease.state,
            LeaseState::Bound,
            "round {round}: ACKed lease {addr} is not bound"
        );
    }

    let mut bound_clients = HashSet::new();
    for l in leases.iter().filter(|l| l.state == LeaseState::Bound) {
        let client = l.client.clone().expect("a bound lease has a client");
        assert!(
            bound_clients.insert(client.clone()),
            "round {round}: {client} holds two bound leases"
        );
    }
}

/// The restarted server offers a previously acknowledged client its address again.
pub fn verify_reoffer(port: u16, timeout: Duration, mac: [u8; 6], addr: Ipv4Addr, xid: u32) {
    let sock = client_socket(timeout);
    // A few tries: the first datagram may race a server that has only just bound its socket.
    let offer = (0..20)
        .find_map(|_| {
            exchange(
                &sock,
                port,
                &request(MessageType::Discover, mac, xid, &[]),
                xid,
            )
        })
        .expect("the restarted server does not answer a DISCOVER");
    assert_eq!(offer.message_type(), Some(MessageType::Offer));
    assert_eq!(
        offer.yiaddr, addr,
        "after a restart {mac:02x?} was offered {} instead of its lease {addr}",
        offer.yiaddr
    );
}

/// The operator's `leases export --format json` output lists every acknowledged lease with its
/// client, bound.
pub fn verify_export_json(json: &[u8], acked: &HashMap<[u8; 6], Ipv4Addr>) {
    let doc: serde_json::Value = serde_json::from_slice(json).expect("export is JSON");
    let rows = doc
        .get("leases")
        .and_then(|v| v.as_array())
        .or_else(|| doc.as_array())
        .expect("export has a lease list");
    let exported: HashMap<String, (String, String)> = rows
        .iter()
        .filter_map(|r| {
            Some((
                r.get("addr")?.as_str()?.to_string(),
                (
                    r.get("client")?.as_str()?.to_string(),
                    r.get("state")?.as_str()?.to_string(),
                ),
            ))
        })
        .collect();
    for (mac, addr) in acked {
        let key = ClientKey::HwAddr(HwAddr::ethernet(*mac)).to_text();
        assert_eq!(
            exported.get(&addr.to_string()),
            Some(&(key, "bound".to_string())),
            "export disagrees about {addr}"
        );
    }
}

/// What [`run`] leaves: the server of the last restart, still running, and what happened.
pub struct Outcome<S> {
    /// The server started after the last kill.
    pub server: S,
    /// Client MAC → acknowledged address, every ACK of the test.
    pub acked: HashMap<[u8; 6], Ipv4Addr>,
    /// Kills done.
    pub kills: usize,
    /// Re-offers checked.
    pub reoffers: usize,
    /// NAKs the clients saw.
    pub naks: usize,
    /// How long it took.
    pub elapsed: Duration,
}

/// Runs `plan` against the server `start` starts on `port` (returning once it serves):
/// every round runs clients until the round's number of ACKs, kills the server with `kill9`,
/// starts it again, checks [`verify_leases`] on what `load` reads from the store (while the
/// restarted server runs) and that two earlier clients are offered their address again.
pub fn run<S>(
    plan: &Plan,
    port: u16,
    mut start: impl FnMut() -> S,
    mut kill9: impl FnMut(S),
    mut load: impl FnMut() -> Vec<Lease>,
) -> Outcome<S> {
    eprintln!(
        "crash test seed {} (set LEASEHOLD_CRASH_SEED to replay another)",
        plan.seed
    );
    let mut rng = SplitMix(plan.seed);
    let acks = Arc::new(Acks::default());
    let next_mac = Arc::new(AtomicU32::new(1));
    let started = Instant::now();
    let mut kills = 0;
    let mut reoffers = 0;

    let mut server = start();
    for round in 0..plan.rounds {
        let target = rng.range(plan.min_acks, plan.max_acks) as usize;
        let workers = rng.range(1, plan.max_workers + 1);
        acks.round.store(0, Ordering::Release);
        let stop = Arc::new(AtomicBool::new(false));
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let (acks, stop, next_mac) = (acks.clone(), stop.clone(), next_mac.clone());
                let xid = (rng.next() as u32) ^ ((w as u32) << 28);
                let timeout = plan.reply_timeout;
                std::thread::spawn(move || worker(port, timeout, &next_mac, &acks, &stop, xid))
            })
            .collect();

        // Wait for the kill moment: a number of ACKs, not a time.
        let deadline = Instant::now() + plan.round_limit;
        while acks.round.load(Ordering::Acquire) < target {
            if Instant::now() >= deadline {
                stop.store(true, Ordering::Release);
                panic!(
                    "round {round}: only {} of {target} ACKs before the liveness bound",
                    acks.round.load(Ordering::Acquire)
                );
            }
            std::thread::yield_now();
        }
        kill9(server);
        kills += 1;
        stop.store(true, Ordering::Release);
        for h in handles {
            h.join().expect("client thread");
        }

        server = start();
        let acked = acks.by_mac.lock().expect("ack map").clone();
        verify_leases(&load(), &acked, round);

        // A couple of earlier clients, picked at random, get their address offered again.
        let all: Vec<_> = acked.iter().map(|(m, a)| (*m, *a)).collect();
        for _ in 0..2 {
            let (mac, addr) = all[rng.range(0, all.len() as u64) as usize];
            verify_reoffer(port, plan.reply_timeout, mac, addr, rng.next() as u32);
            reoffers += 1;
        }
        eprintln!(
            "round {round}: killed after {} ACKs (target {target}, {workers} clients); \
             {} ACKed leases verified",
            acks.round.load(Ordering::Acquire),
            acked.len()
        );
    }
    let acked = acks.by_mac.lock().expect("ack map").clone();
    verify_leases(&load(), &acked, plan.rounds);
    Outcome {
        server,
        acked,
        kills,
        reoffers,
        naks: acks.naks.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
    }
}
