//! `leasehold serve` on 127.0.0.1, driven by a client built on the wire codec: DORA, restart,
//! lease kept. No root needed.

use leasehold_wire::options::code;
use leasehold_wire::{EncodeParams, HwAddr, MessageType, Op, Options, Packet};
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running server that is killed (by PID, it is our child) when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_udp_port() -> u16 {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind ephemeral");
    s.local_addr().expect("local addr").port()
}

fn write_config(dir: &Path, port: u16) -> std::path::PathBuf {
    let cfg = format!(
        r#"
[server]
listen_address = "127.0.0.1"
server_port = {port}
client_port = {client}
lease_time = 600

[server.options]
domain-name-servers = ["198.18.0.53"]

[[subnet]]
subnet = "127.0.0.0/8"

[subnet.options]
router = "127.0.0.1"

[[subnet.pool]]
range = "127.0.0.100-127.0.0.110"
"#,
        client = port + 1
    );
    let path = dir.join("leasehold.toml");
    std::fs::write(&path, cfg).expect("write config");
    path
}

/// Starts the server and waits (bounded) for its "serving" log line.
fn start(config: &Path, db: &Path, port: u16) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_leasehold"))
        .args(["serve", "--config"])
        .arg(config)
        .arg("--db")
        .arg(db)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn leasehold");
    let stderr = child.stderr.take().expect("stderr piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let server = Server { child, port };
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("server never said it is serving");
        if line.contains("serving") {
            break;
        }
    }
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || while rx.recv().is_ok() {});
    server
}

fn request(kind: MessageType, mac: [u8; 6], xid: u32, extra: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut options = Options::new();
    options.insert(code::MESSAGE_TYPE, vec![kind.code()]);
    options.insert(code::PARAM_REQUEST_LIST, vec![1, 3, 6, 51, 54]);
    for (c, v) in extra {
        options.insert(*c, v.clone());
    }
    let p = Packet {
        op: Op::BootRequest,
        chaddr: HwAddr::ethernet(mac),
        hops: 0,
        xid,
        secs: 0,
        flags: 0,
        ciaddr: Ipv4Addr::UNSPECIFIED,
        yiaddr: Ipv4Addr::UNSPECIFIED,
        siaddr: Ipv4Addr::UNSPECIFIED,
        giaddr: Ipv4Addr::UNSPECIFIED,
        sname: Vec::new(),
        file: Vec::new(),
        has_cookie: true,
        options,
        vend: Vec::new(),
    };
    p.encode(&EncodeParams {
        order: Vec::new(),
        max_len: 1500,
        pad_to_bootp_min: true,
    })
    .expect("encode request")
}

fn exchange(sock: &UdpSocket, port: u16, bytes: &[u8], xid: u32) -> Packet {
    sock.send_to(bytes, ("127.0.0.1", port)).expect("send");
    let mut buf = [0u8; 1500];
    loop {
        let (n, _) = sock
            .recv_from(&mut buf)
            .expect("no reply within the read timeout");
        let p = Packet::parse(&buf[..n]).expect("reply parses");
        if p.xid == xid {
            return p;
        }
    }
}

fn client() -> UdpSocket {
    let sock = UdpSocket::bind("127.0.0.1:0").expect("client socket");
    sock.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    sock
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

    let server = start(&config, &db, port);
    let sock = client();
    let offer = exchange(
        &sock,
        server.port,
        &request(MessageType::Discover, mac, 7, &[]),
        7,
    );
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
    let ack = exchange(&sock, server.port, &req, 8);
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
    let server = start(&config, &db, port);
    let offer = exchange(
        &sock,
        server.port,
        &request(MessageType::Discover, mac, 9, &[]),
        9,
    );
    assert_eq!(offer.yiaddr, addr);
    // Another client gets a different address.
    let other = exchange(
        &sock,
        server.port,
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
    let server = start(&config, &dir.path().join("leases.db"), port);
    let sock = client();
    for junk in [
        &b""[..],
        &[0u8; 10][..],
        &[0xffu8; 300][..],
        &[1u8; 240][..],
    ] {
        sock.send_to(junk, ("127.0.0.1", server.port))
            .expect("send junk");
    }
    let offer = exchange(
        &sock,
        server.port,
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
