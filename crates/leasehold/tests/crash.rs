//! Issue 4, "no acknowledged lease is ever lost": `leasehold serve` on 127.0.0.1 under load from
//! client threads doing full DORA exchanges, killed with SIGKILL at random moments and restarted
//! on the same database, again and again. No root needed.
//!
//! The kill moments are chosen by a seeded generator (`LEASEHOLD_CRASH_SEED` overrides the seed)
//! and measured in ACKs seen, not in time: each round kills the server after a random number
//! (5..200) of ACKs, while the client threads keep requests in flight, so the kill lands anywhere
//! in the receive → decide → group commit → reply pipeline.
//!
//! After every restart the test checks, through the lease database (read-only, while the restarted
//! server runs), that every ACK any client ever received is there, bound, with the same address
//! and the same client; that no address was acknowledged to two clients and no client holds two
//! bound leases; and that the restarted server offers a previously acknowledged client its
//! address again. At the end the operator's `leases export --format json` is cross-checked too.

mod support;

use leasehold_engine::{ClientKey, LeaseState};
use leasehold_store::{LeaseStore, SqliteStore};
use leasehold_wire::options::code;
use leasehold_wire::{HwAddr, MessageType};
use std::collections::{HashMap, HashSet};
use std::net::{Ipv4Addr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{exchange, free_udp_port, request, ServerProcess as Server};

/// Kill/restart cycles.
const ROUNDS: usize = 24;
/// Each round kills the server after between `MIN_ACKS` and `MAX_ACKS` (exclusive) ACKs.
const MIN_ACKS: u64 = 5;
const MAX_ACKS: u64 = 200;
/// Upper bound on client threads in a round (the count varies per round, 1..=this).
const MAX_WORKERS: u64 = 4;
/// How long a client waits for one reply before giving that exchange up.
const REPLY_TIMEOUT: Duration = Duration::from_millis(250);
/// Liveness bound of one round: a server that acknowledges nothing for this long is broken.
const ROUND_LIMIT: Duration = Duration::from_secs(30);
/// Default seed; override with `LEASEHOLD_CRASH_SEED` to explore other schedules.
const DEFAULT_SEED: u64 = 0x4c45_4153_4548_4f4c;

/// SplitMix64: a small deterministic generator, enough to pick kill moments reproducibly.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `lo..hi` (`hi > lo`).
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
}

/// A loopback configuration with a /16 pool (far more addresses than the test acknowledges) and
/// leases long enough that none expires during the test.
fn write_config(dir: &Path, port: u16) -> PathBuf {
    support::write_loopback_config(
        dir,
        port,
        "lease_time = 86400\noffer_hold = 30",
        "",
        "127.1.0.0-127.1.255.255",
    )
}

/// Starts the server (logging only warnings and leasehold's info lines) and waits for it to serve.
fn start(config: &Path, db: &Path) -> Server {
    let env = [("RUST_LOG", "warn,leasehold=info")];
    Server::start(config, db, &[], &env, |l| l.contains("serving")).0
}

fn client_socket() -> UdpSocket {
    support::client_socket(REPLY_TIMEOUT)
}

/// The MAC of the `n`th client of the whole test (distinct for every `n` < 2^32).
fn mac_of(n: u32) -> [u8; 6] {
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
    /// NAKs seen (a fresh client asking for the address it was just offered never expects one).
    naks: AtomicUsize,
}

/// One client thread: full DORA for a fresh MAC after another until `stop`. Every ACK is recorded
/// before it is counted, so whatever the main thread counted when it killed the server is recorded.
fn worker(port: u16, next_mac: &AtomicU32, acks: &Acks, stop: &AtomicBool, mut xid: u32) {
    let sock = client_socket();
    // Bounded even if `stop` never came (it always does; this is belt and braces).
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

/// Every ACK ever received is in the database as a bound lease of the same client at the same
/// address; no address was acknowledged to two clients; no client holds two bound leases.
fn verify_database(db: &Path, acked: &HashMap<[u8; 6], Ipv4Addr>, round: usize) {
    let mut store = SqliteStore::open_read_only(db).expect("open the lease database read-only");
    let leases = store.load_all().expect("read leases");
    let by_addr: HashMap<Ipv4Addr, _> = leases.iter().map(|l| (l.addr, l)).collect();
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
            "round {round}: {addr} was ACKed to {mac:02x?}, the database names another client"
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
fn verify_reoffer(port: u16, mac: [u8; 6], addr: Ipv4Addr, xid: u32) {
    let sock = client_socket();
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

/// The operator's export lists every acknowledged lease with its client.
fn verify_export(db: &Path, acked: &HashMap<[u8; 6], Ipv4Addr>) {
    let out = Command::new(env!("CARGO_BIN_EXE_leasehold"))
        .args(["leases", "export", "--format", "json", "--db"])
        .arg(db)
        .output()
        .expect("run leases export");
    assert!(
        out.status.success(),
        "export failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("export is JSON");
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

#[test]
fn no_acknowledged_lease_is_lost_across_kill_9() {
    let seed = std::env::var("LEASEHOLD_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    eprintln!("crash test seed {seed} (set LEASEHOLD_CRASH_SEED to replay another)");
    let mut rng = SplitMix(seed);

    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_udp_port();
    let config = write_config(dir.path(), port);
    let db = dir.path().join("leases.db");

    let acks = Arc::new(Acks::default());
    let next_mac = Arc::new(AtomicU32::new(1));
    let started = Instant::now();
    let mut kills = 0;
    let mut reoffers = 0;

    let mut server = start(&config, &db);
    for round in 0..ROUNDS {
        let target = rng.range(MIN_ACKS, MAX_ACKS) as usize;
        let workers = rng.range(1, MAX_WORKERS + 1);
        acks.round.store(0, Ordering::Release);
        let stop = Arc::new(AtomicBool::new(false));
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let (acks, stop, next_mac) = (acks.clone(), stop.clone(), next_mac.clone());
                let xid = (rng.next() as u32) ^ ((w as u32) << 28);
                std::thread::spawn(move || worker(port, &next_mac, &acks, &stop, xid))
            })
            .collect();

        // Wait for the kill moment: a number of ACKs, not a time.
        let deadline = Instant::now() + ROUND_LIMIT;
        while acks.round.load(Ordering::Acquire) < target {
            assert!(
                Instant::now() < deadline,
                "round {round}: only {} of {target} ACKs before the liveness bound",
                acks.round.load(Ordering::Acquire)
            );
            std::thread::yield_now();
        }
        server.kill9();
        kills += 1;
        stop.store(true, Ordering::Release);
        for h in handles {
            h.join().expect("client thread");
        }

        server = start(&config, &db);
        let acked = acks.by_mac.lock().expect("ack map").clone();
        verify_database(&db, &acked, round);

        // A couple of earlier clients, picked at random, get their address offered again.
        let all: Vec<_> = acked.iter().map(|(m, a)| (*m, *a)).collect();
        for _ in 0..2 {
            let (mac, addr) = all[rng.range(0, all.len() as u64) as usize];
            verify_reoffer(port, mac, addr, rng.next() as u32);
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
    verify_database(&db, &acked, ROUNDS);
    drop(server);
    verify_export(&db, &acked);
    eprintln!(
        "{kills} kills, {} ACKed leases all present, {reoffers} re-offers matched, {} NAKs, {:?}",
        acked.len(),
        acks.naks.load(Ordering::Relaxed),
        started.elapsed()
    );
    assert!(kills >= 20);
}
