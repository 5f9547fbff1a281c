//! An open-loop DHCPv4 load generator that records the latency of every full DORA exchange.
//!
//! ```text
//! loadgen --server ADDR --local ADDR [--rate N] [--seconds N] [--clients N] [--mac-base N]
//!         [--local-port N] [--server-port N] [--timeout-ms N]
//! ```
//!
//! It acts as a relay agent (RFC 1542): it binds `--local`:`--local-port` (default 67, so run it
//! as root, inside a network namespace), puts its own address in `giaddr` and sends each client's
//! DISCOVER to `--server`:`--server-port`; servers answer a relay by unicast to `giaddr`:67. This
//! needs no raw sockets and is what a real relay in front of many clients sends.
//!
//! DISCOVERs leave at a fixed `--rate` (per second, open loop: a slow server does not slow the
//! offered load) for `--seconds`, from `--clients` distinct MACs taken in turn starting at
//! `--mac-base`. Each OFFER is answered at once with a REQUEST for the offered address naming the
//! server; the exchange completes at its ACK. An exchange with no ACK within `--timeout-ms`
//! (default 1000) counts as dropped, as in perfdhcp.
//!
//! Prints one `key=value` line: offered and achieved rate, exchanges initiated, completed, NAKed
//! and dropped, and full-exchange latency percentiles (DISCOVER sent → ACK received) in µs.
//! A measurement tool, not a test.

use leasehold_wire::options::code;
use leasehold_wire::{EncodeParams, HwAddr, MessageType, Op, Options, Packet};
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Command-line settings.
#[derive(Clone, Debug)]
struct Args {
    server: Ipv4Addr,
    local: Ipv4Addr,
    rate: u64,
    seconds: u64,
    clients: u64,
    mac_base: u64,
    local_port: u16,
    server_port: u16,
    timeout: Duration,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        server: Ipv4Addr::UNSPECIFIED,
        local: Ipv4Addr::UNSPECIFIED,
        rate: 1000,
        seconds: 10,
        clients: 100_000,
        mac_base: 1,
        local_port: 67,
        server_port: 67,
        timeout: Duration::from_millis(1000),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("bad value {value:?} for {flag}: {e}");
        match flag.as_str() {
            "--server" => a.server = value.parse().map_err(|e| bad(&e))?,
            "--local" => a.local = value.parse().map_err(|e| bad(&e))?,
            "--rate" => a.rate = value.parse().map_err(|e| bad(&e))?,
            "--seconds" => a.seconds = value.parse().map_err(|e| bad(&e))?,
            "--clients" => a.clients = value.parse().map_err(|e| bad(&e))?,
            "--mac-base" => a.mac_base = value.parse().map_err(|e| bad(&e))?,
            "--local-port" => a.local_port = value.parse().map_err(|e| bad(&e))?,
            "--server-port" => a.server_port = value.parse().map_err(|e| bad(&e))?,
            "--timeout-ms" => {
                a.timeout = Duration::from_millis(value.parse().map_err(|e| bad(&e))?)
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    if a.server.is_unspecified() || a.local.is_unspecified() {
        return Err("--server and --local are required".into());
    }
    if !(1..=1_000_000).contains(&a.rate) || !(1..=3600).contains(&a.seconds) {
        return Err("--rate must be 1..=1000000 and --seconds 1..=3600".into());
    }
    if a.clients == 0 || a.clients > 1 << 40 {
        return Err("--clients must be 1..=2^40".into());
    }
    Ok(a)
}

/// Where one exchange is.
#[derive(Clone, Copy, Debug)]
struct Pending {
    started: Instant,
    mac: [u8; 6],
    requested: bool,
}

/// Counters and latencies, filled by the receiver.
#[derive(Default)]
struct Results {
    completed: u64,
    late: u64,
    naks: u64,
    latencies_us: Vec<u64>,
}

/// The MAC of client number `n` (locally administered, unicast).
fn mac_of(n: u64) -> [u8; 6] {
    let b = n.to_be_bytes();
    [0x02, b[3], b[4], b[5], b[6], b[7]]
}

/// A relayed client message from `mac`.
fn message(
    kind: MessageType,
    mac: [u8; 6],
    xid: u32,
    giaddr: Ipv4Addr,
    extra: &[(u8, Vec<u8>)],
) -> Result<Vec<u8>, String> {
    let mut options = Options::new();
    options.insert(code::MESSAGE_TYPE, vec![kind.code()]);
    options.insert(code::PARAM_REQUEST_LIST, vec![1, 3, 6, 15, 51, 54]);
    for (c, v) in extra {
        options.insert(*c, v.clone());
    }
    let p = Packet {
        hops: 1,
        giaddr,
        options,
        ..Packet::boot_request(HwAddr::ethernet(mac), xid)
    };
    p.encode(&EncodeParams {
        order: Vec::new(),
        max_len: 576,
        pad_to_bootp_min: true,
    })
    .map_err(|e| format!("cannot encode a request: {e}"))
}

/// The `q` quantile (0..=1) of sorted `v`, nearest-rank.
fn quantile(v: &[u64], q: f64) -> u64 {
    if v.is_empty() {
        return 0;
    }
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

/// Receives replies until `done` and nothing is pending (or the drain time is over): answers
/// OFFERs with REQUESTs and records ACKs.
fn receive(
    sock: &UdpSocket,
    server: SocketAddrV4,
    giaddr: Ipv4Addr,
    timeout: Duration,
    pending: &Mutex<HashMap<u32, Pending>>,
    done: &AtomicBool,
) -> Results {
    let mut r = Results::default();
    let mut buf = [0u8; 1500];
    let mut drain_until: Option<Instant> = None;
    loop {
        if done.load(Ordering::Acquire) {
            let until = *drain_until.get_or_insert_with(|| Instant::now() + timeout);
            let empty = pending.lock().map(|p| p.is_empty()).unwrap_or(true);
            if empty || Instant::now() >= until {
                break;
            }
        }
        let n = match sock.recv_from(&mut buf) {
            Ok((n, _)) => n,
            Err(_) => continue, // read timeout: re-check the end condition
        };
        let received = Instant::now();
        let Some(bytes) = buf.get(..n) else { continue };
        let Ok(reply) = Packet::parse(bytes) else {
            continue;
        };
        if reply.op != Op::BootReply {
            continue;
        }
        let Ok(mut map) = pending.lock() else { break };
        let Some(p) = map.get_mut(&reply.xid).copied() else {
            continue; // late or foreign reply
        };
        match reply.message_type() {
            Some(MessageType::Offer) if !p.requested => {
                let Some(server_id) = reply.options.server_id() else {
                    continue;
                };
                if let Some(e) = map.get_mut(&reply.xid) {
                    e.requested = true;
                }
                drop(map);
                let req = message(
                    MessageType::Request,
                    p.mac,
                    reply.xid,
                    giaddr,
                    &[
                        (code::REQUESTED_IP, reply.yiaddr.octets().to_vec()),
                        (code::SERVER_ID, server_id.octets().to_vec()),
                    ],
                );
                if let Ok(req) = req {
                    let _ = sock.send_to(&req, server);
                }
            }
            Some(MessageType::Ack) if p.requested => {
                map.remove(&reply.xid);
                let took = received.duration_since(p.started);
                if took > timeout {
                    r.late += 1;
                } else {
                    r.completed += 1;
                    r.latencies_us
                        .push(u64::try_from(took.as_micros()).unwrap_or(u64::MAX));
                }
            }
            Some(MessageType::Nak) => {
                map.remove(&reply.xid);
                r.naks += 1;
            }
            _ => {}
        }
    }
    r
}

fn main() -> Result<(), String> {
    let args = parse_args()?;
    let sock = UdpSocket::bind(SocketAddrV4::new(args.local, args.local_port))
        .map_err(|e| format!("cannot bind {}:{}: {e}", args.local, args.local_port))?;
    sock.set_read_timeout(Some(Duration::from_millis(50)))
        .map_err(|e| format!("cannot set the read timeout: {e}"))?;
    let sock = Arc::new(sock);
    let server = SocketAddrV4::new(args.server, args.server_port);
    let pending: Arc<Mutex<HashMap<u32, Pending>>> = Arc::default();
    let done = Arc::new(AtomicBool::new(false));

    let receiver = {
        let (sock, pending, done) = (sock.clone(), pending.clone(), done.clone());
        let (giaddr, timeout) = (args.local, args.timeout);
        std::thread::Builder::new()
            .name("receiver".into())
            .spawn(move || receive(&sock, server, giaddr, timeout, &pending, &done))
            .map_err(|e| format!("cannot start the receiver: {e}"))?
    };

    let total = args.rate * args.seconds;
    let interval = Duration::from_secs(1).as_nanos() as f64 / args.rate as f64;
    let start = Instant::now();
    let mut initiated = 0u64;
    let mut expired = 0u64;
    let mut send_errors = 0u64;
    let xid_base = (start.elapsed().subsec_nanos() ^ std::process::id()).rotate_left(16);
    for i in 0..total {
        let due = start + Duration::from_nanos((i as f64 * interval) as u64);
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
        let mac = mac_of(args.mac_base + i % args.clients);
        let xid = xid_base.wrapping_add(i as u32);
        let discover = message(MessageType::Discover, mac, xid, args.local, &[])?;
        let started = Instant::now();
        if let Ok(mut map) = pending.lock() {
            // Forget exchanges that are past the timeout (they are counted as dropped).
            if i % 1024 == 0 {
                let before = map.len();
                map.retain(|_, p| started.duration_since(p.started) <= args.timeout);
                expired += (before - map.len()) as u64;
            }
            map.insert(
                xid,
                Pending {
                    started,
                    mac,
                    requested: false,
                },
            );
        }
        if sock.send_to(&discover, server).is_err() {
            send_errors += 1;
        }
        initiated += 1;
    }
    let send_secs = start.elapsed().as_secs_f64();
    done.store(true, Ordering::Release);
    let mut r = receiver
        .join()
        .map_err(|_| "the receiver thread panicked".to_string())?;
    let unanswered = pending.lock().map(|p| p.len() as u64).unwrap_or(0) + expired;
    r.latencies_us.sort_unstable();
    let dropped = initiated.saturating_sub(r.completed);
    println!(
        "loadgen rate={} seconds={} clients={} initiated={} completed={} naks={} late={} \
         unanswered={} send_errors={} drop_pct={:.3} xps={:.1} p50_us={} p90_us={} p99_us={} \
         max_us={}",
        args.rate,
        args.seconds,
        args.clients,
        initiated,
        r.completed,
        r.naks,
        r.late,
        unanswered,
        send_errors,
        100.0 * dropped as f64 / initiated.max(1) as f64,
        r.completed as f64 / send_secs.max(1e-9),
        quantile(&r.latencies_us, 0.50),
        quantile(&r.latencies_us, 0.90),
        quantile(&r.latencies_us, 0.99),
        r.latencies_us.last().copied().unwrap_or(0),
    );
    Ok(())
}
