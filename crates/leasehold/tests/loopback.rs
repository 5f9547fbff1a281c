//! `leasehold serve` on 127.0.0.1, driven by a client built on the wire codec: DORA, restart,
//! lease kept. No root needed.

mod support;

use leasehold_wire::options::code;
use leasehold_wire::{MessageType, Op, Packet};
use std::net::{Ipv4Addr, UdpSocket};
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use support::{free_udp_port, request, ServerProcess};

fn write_config(dir: &Path, port: u16) -> std::path::PathBuf {
    support::write_loopback_config(
        dir,
        port,
        "lease_time = 600\n\n[server.options]\ndomain-name-servers = [\"198.18.0.53\"]",
        "\n[subnet.options]\nrouter = \"127.0.0.1\"",
        "127.0.0.100-127.0.0.110",
    )
}

/// One exchange that must be answered.
fn exchange(sock: &UdpSocket, port: u16, bytes: &[u8], xid: u32) -> Packet {
    support::exchange(sock, port, bytes, xid).expect("no reply within the read timeout")
}

fn client() -> UdpSocket {
    support::client_socket(Duration::from_secs(5))
}

/// DISCOVER → OFFER → REQUEST → ACK with the configured options, then the lease survives a
/// restart and the same client is offered the same address again.
#[test]
fn dora_on_loopback_and_lease_survives_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_udp_port();
    let config = write_config(dir.path(), port);
    let db = dir.path().join("leases.db");
    let mac = [0x52, 0x54, 0x00, 0xaa, 0xbb, 0x01];

    let server = ServerProcess::serving(&config, &db);
    let sock = client();
    let offer = exchange(&sock, port, &request(MessageType::Discover, mac, 7, &[]), 7);
    assert_eq!(offer.op, Op::BootReply);
    assert_eq!(offer.message_type(), Some(MessageType::Offer));
    let addr = offer.yiaddr;
    let pool = u32::from(Ipv4Addr::new(127, 0, 0, 100))..=u32::from(Ipv4Addr::new(127, 0, 0, 110));
    assert!(
        pool.contains(&u32::from(addr)),
        "offered {addr} outside the pool"
    );
    let server_id = offer.options.server_id().expect("offer has a server id");
    assert_eq!(server_id, Ipv4Addr::LOCALHOST);

    let req = request(
        MessageType::Request,
        mac,
        8,
        &[
            (code::REQUESTED_IP, addr.octets().to_vec()),
            (code::SERVER_ID, server_id.octets().to_vec()),
        ],
    );
    let ack = exchange(&sock, port, &req, 8);
    assert_eq!(ack.message_type(), Some(MessageType::Ack));
    assert_eq!(ack.yiaddr, addr);
    assert_eq!(ack.options.lease_time(), Some(600));
    assert_eq!(
        ack.options.get(code::SUBNET_MASK),
        Some(&[255, 0, 0, 0][..])
    );
    assert_eq!(ack.options.get(code::ROUTER), Some(&[127, 0, 0, 1][..]));
    assert_eq!(
        ack.options.get(code::DNS_SERVERS),
        Some(&[198, 18, 0, 53][..])
    );
    assert_eq!(
        ack.options.get(code::RENEWAL_TIME),
        Some(&300u32.to_be_bytes()[..])
    );
    assert_eq!(
        ack.options.get(code::REBINDING_TIME),
        Some(&525u32.to_be_bytes()[..])
    );
    drop(server);

    // The ACKed lease is in the database, visible to the operator's export command.
    let out = Command::new(env!("CARGO_BIN_EXE_leasehold"))
        .args(["leases", "export", "--format", "json", "--db"])
        .arg(&db)
        .output()
        .expect("run leases export");
    assert!(
        out.status.success(),
        "export failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&addr.to_string()),
        "export lacks {addr}: {text}"
    );
    assert!(
        text.contains("52:54:00:aa:bb:01"),
        "export lacks the client: {text}"
    );

    // After a restart the same client is offered its address again.
    let _server = ServerProcess::serving(&config, &db);
    let offer = exchange(&sock, port, &request(MessageType::Discover, mac, 9, &[]), 9);
    assert_eq!(offer.yiaddr, addr);
    // Another client gets a different address.
    let other = exchange(
        &sock,
        port,
        &request(
            MessageType::Discover,
            [0x52, 0x54, 0, 0xaa, 0xbb, 0x02],
            10,
            &[],
        ),
        10,
    );
    assert_eq!(other.message_type(), Some(MessageType::Offer));
    assert_ne!(other.yiaddr, addr);
}

/// A datagram that is not DHCP is dropped and the server keeps answering.
#[test]
fn garbage_is_dropped_and_server_keeps_serving() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_udp_port();
    let config = write_config(dir.path(), port);
    let _server = ServerProcess::serving(&config, &dir.path().join("leases.db"));
    let sock = client();
    for junk in [
        &b""[..],
        &[0u8; 10][..],
        &[0xffu8; 300][..],
        &[1u8; 240][..],
    ] {
        sock.send_to(junk, ("127.0.0.1", port)).expect("send junk");
    }
    let offer = exchange(
        &sock,
        port,
        &request(MessageType::Discover, [2, 0, 0, 0, 0, 1], 42, &[]),
        42,
    );
    assert_eq!(offer.message_type(), Some(MessageType::Offer));
}

/// `check-config` accepts the shipped example and refuses a bad file with file:line and reason.
#[test]
fn check_config_reports_file_and_line() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/loopback.toml");
    let ok = Command::new(env!("CARGO_BIN_EXE_leasehold"))
        .arg("check-config")
        .arg(&example)
        .output()
        .expect("run check-config");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[server]\nserver_port = 1067\nlease_tmie = 5\n").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_leasehold"))
        .arg("check-config")
        .arg(&bad)
        .output()
        .expect("run check-config");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml:3"), "no file:line in {err}");
    assert!(err.contains("lease_tmie"), "no reason in {err}");
}

/// Lease history older than `history_retention` is pruned by the running server (first at
/// start-up), while the current lease record stays.
#[test]
fn old_lease_history_is_pruned() {
    use leasehold_engine::{ClientKey, Lease, LeaseState};
    use leasehold_store::{HistoryFilter, LeaseStore, SqliteStore};
    use leasehold_wire::HwAddr;

    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("leases.db");
    let addr = Ipv4Addr::new(127, 0, 0, 105);
    {
        let mut store = SqliteStore::open(&db).expect("create db");
        let hw = HwAddr::ethernet([0x52, 0x54, 0, 0, 0, 0x55]);
        let lease = Lease {
            addr,
            client: Some(ClientKey::HwAddr(hw)),
            hwaddr: Some(hw),
            state: LeaseState::Expired,
            starts: 1_000,
            expires: 2_000,
            hostname: None,
        };
        // Committed "in 1970": its history entries are far older than any retention. 25,000
        // versions, so the server prunes them in several writer jobs (10,000 each).
        let versions = vec![lease; 25_000];
        store.commit(&versions, 1_000).expect("commit old lease");
        let before = store
            .history(&HistoryFilter::Addr(addr), 10)
            .expect("history");
        assert_eq!(before.len(), 10, "the seeded history entries exist");
    }
    let port = free_udp_port();
    let config = dir.path().join("leasehold.toml");
    let text = format!(
        "[server]\nlisten_address = \"127.0.0.1\"\nserver_port = {port}\nhistory_retention = 60\n\n\
         [[subnet]]\nsubnet = \"127.0.0.0/8\"\n[[subnet.pool]]\nrange = \"127.0.0.100-127.0.0.110\"\n"
    );
    std::fs::write(&config, text).expect("write config");
    let (server, log) = ServerProcess::start(&config, &db, &[], &[], |l| {
        l.contains("pruned lease history")
    });
    assert!(
        log.iter().any(|l| l.contains("pruned=25000")),
        "log: {log:#?}"
    );
    drop(server);

    let store = SqliteStore::open_read_only(&db).expect("open db");
    let after = store
        .history(&HistoryFilter::Addr(addr), 10)
        .expect("history");
    assert!(after.is_empty(), "history still holds {after:?}");
    let current = store.get(addr).expect("get").expect("current record kept");
    assert_eq!(current.state, LeaseState::Expired);
}

/// A client with an empty hardware address (`hlen` 0) is known by its client identifier
/// (RFC 4390 style); its lease, whose stored hardware address is empty, survives a restart. A
/// request with neither identity gets no answer.
#[test]
fn lease_of_a_client_without_hardware_address_survives_restart() {
    use leasehold_wire::HwAddr;

    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_udp_port();
    let config = write_config(dir.path(), port);
    let db = dir.path().join("leases.db");
    let id = vec![0xff, 0, 0, 0, 1, 0, 1, 0x2c, 0x9e];
    let empty = HwAddr::new(1, &[]).expect("empty hardware address");
    let encode = |kind, xid, client_id: Option<&[u8]>, extra: &[(u8, Vec<u8>)]| {
        let mut options = extra.to_vec();
        options.extend(client_id.map(|id| (code::CLIENT_ID, id.to_vec())));
        support::request_from(empty, kind, xid, &options)
    };

    let server = ServerProcess::serving(&config, &db);
    let sock = client();
    // No identity: dropped. The server handles datagrams in order, so had it answered xid 40,
    // that reply would be the first to arrive, before the one to xid 41.
    for (xid, client_id) in [(40, None), (41, Some(&id[..]))] {
        sock.send_to(
            &encode(MessageType::Discover, xid, client_id, &[]),
            ("127.0.0.1", port),
        )
        .expect("send");
    }
    let mut buf = [0u8; 1500];
    let (n, _) = sock.recv_from(&mut buf).expect("a reply");
    let offer = Packet::parse(&buf[..n]).expect("reply parses");
    assert_eq!(offer.xid, 41, "the request without identity was answered");
    assert_eq!(offer.message_type(), Some(MessageType::Offer));
    let addr = offer.yiaddr;
    let req = encode(
        MessageType::Request,
        42,
        Some(&id),
        &[
            (code::REQUESTED_IP, addr.octets().to_vec()),
            (code::SERVER_ID, Ipv4Addr::LOCALHOST.octets().to_vec()),
        ],
    );
    let ack = exchange(&sock, port, &req, 42);
    assert_eq!(ack.message_type(), Some(MessageType::Ack));
    drop(server);

    // Restarted on the same database: it starts, and still knows the lease.
    let server = ServerProcess::serving(&config, &db);
    let again = exchange(
        &sock,
        port,
        &encode(MessageType::Discover, 43, Some(&id), &[]),
        43,
    );
    assert_eq!(again.message_type(), Some(MessageType::Offer));
    assert_eq!(again.yiaddr, addr, "the same client gets its address again");
    drop(server);
    let out = Command::new(env!("CARGO_BIN_EXE_leasehold"))
        .args(["leases", "export", "--format", "csv", "--db"])
        .arg(&db)
        .output()
        .expect("run leases export");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "export failed: {out:?}");
    assert!(
        text.lines()
            .any(|l| l.contains(&addr.to_string()) && l.contains("id:ff0000000100012c9e")),
        "export: {text}"
    );
}
