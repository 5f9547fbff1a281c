//! Bursts on 127.0.0.1: hundreds of requests queued at once are all answered, each exactly once,
//! through the packet loop's batched receive and send and the grouped commit of their leases.

mod support;

use leasehold_wire::options::code;
use leasehold_wire::{MessageType, Op, Packet};
use std::collections::{HashMap, HashSet};
use std::net::{Ipv4Addr, UdpSocket};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use support::{free_udp_port, request, ServerProcess};

/// Clients in each burst.
const CLIENTS: u32 = 300;

fn write_config(dir: &std::path::Path, port: u16) -> std::path::PathBuf {
    support::write_loopback_config(dir, port, "lease_time = 600", "", "127.0.1.0-127.0.2.255")
}

fn mac(i: u32) -> [u8; 6] {
    let b = i.to_be_bytes();
    [0x52, 0x54, b[0], b[1], b[2], b[3]]
}

/// Reads BOOTREPLYs on `sock` in a thread until `want` distinct xids have answered or 20 s have
/// passed; returns every reply seen (duplicates included).
fn collect(sock: UdpSocket, want: usize) -> mpsc::Receiver<Vec<Packet>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut got = Vec::new();
        let mut xids = HashSet::new();
        let mut buf = [0u8; 1500];
        while xids.len() < want && Instant::now() < deadline {
            let Ok((n, _)) = sock.recv_from(&mut buf) else {
                continue;
            };
            if let Ok(p) = Packet::parse(&buf[..n]) {
                if p.op == Op::BootReply {
                    xids.insert(p.xid);
                    got.push(p);
                }
            }
        }
        let _ = tx.send(got);
    });
    rx
}

/// Sends every request back to back (no waiting for replies), then gathers the replies.
fn burst(sock: &UdpSocket, port: u16, requests: &[Vec<u8>]) -> Vec<Packet> {
    let reader = collect(
        sock.try_clone().expect("clone client socket"),
        requests.len(),
    );
    for r in requests {
        sock.send_to(r, ("127.0.0.1", port)).expect("send request");
    }
    reader
        .recv_timeout(Duration::from_secs(30))
        .expect("reader thread ended")
}

/// Every xid answered exactly once, with the expected message type; returns xid → reply.
fn one_each(replies: Vec<Packet>, want: MessageType) -> HashMap<u32, Packet> {
    let mut by_xid = HashMap::new();
    for p in replies {
        assert_eq!(p.message_type(), Some(want), "xid {:#x}", p.xid);
        assert!(
            by_xid.insert(p.xid, p).is_none(),
            "a request was answered twice"
        );
    }
    assert_eq!(by_xid.len(), CLIENTS as usize, "every request answered");
    by_xid
}

#[test]
fn a_burst_of_clients_is_answered_once_each_with_distinct_addresses() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_udp_port();
    let config = write_config(dir.path(), port);
    let db = dir.path().join("leases.db");
    let server = ServerProcess::serving(&config, &db);
    let sock = support::client_socket(Duration::from_millis(200));

    let discovers: Vec<Vec<u8>> = (0..CLIENTS)
        .map(|i| request(MessageType::Discover, mac(i), 0x1000_0000 + i, &[]))
        .collect();
    let offers = one_each(burst(&sock, port, &discovers), MessageType::Offer);
    let offered: HashSet<Ipv4Addr> = offers.values().map(|p| p.yiaddr).collect();
    assert_eq!(offered.len(), CLIENTS as usize, "offers are distinct");

    let requests: Vec<Vec<u8>> = (0..CLIENTS)
        .map(|i| {
            let offer = &offers[&(0x1000_0000 + i)];
            let sid = offer.options.server_id().unwrap_or(Ipv4Addr::LOCALHOST);
            request(
                MessageType::Request,
                mac(i),
                0x2000_0000 + i,
                &[
                    (code::REQUESTED_IP, offer.yiaddr.octets().to_vec()),
                    (code::SERVER_ID, sid.octets().to_vec()),
                ],
            )
        })
        .collect();
    let acks = one_each(burst(&sock, port, &requests), MessageType::Ack);
    for i in 0..CLIENTS {
        assert_eq!(
            acks[&(0x2000_0000 + i)].yiaddr,
            offers[&(0x1000_0000 + i)].yiaddr,
            "client {i} is ACKed the address it was offered"
        );
    }
    drop(server);

    // Every ACKed lease is in the store.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_leasehold"))
        .args(["leases", "--db"])
        .arg(&db)
        .args(["list", "--format", "json"])
        .output()
        .expect("run leasehold leases list");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for addr in &offered {
        assert!(
            text.contains(&format!("\"{addr}\"")),
            "{addr} missing from the lease store"
        );
    }
}
