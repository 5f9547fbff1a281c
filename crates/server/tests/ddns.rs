//! DNS updates through a whole server started in-process (loopback, in-memory store): a client
//! that sends option 81 gets its name in the ACK, and a fake DNS server (the updater crate's
//! test zone: it checks the RFC 2136 prerequisites and the TSIG of every request) then holds its
//! A, DHCID and PTR records; after a RELEASE they are gone. With the DNS server silent, the ACK
//! still comes (DNS work is never on the ACK's path) and the work stays owed.

#[path = "../../ddns/tests/support/mod.rs"]
mod support;

use leasehold_engine::Config;
use leasehold_server::handle::ControlRequest;
use leasehold_server::ServeOptions;
use leasehold_store::MemoryStore;
use leasehold_wire::options::code;
use leasehold_wire::{EncodeParams, HwAddr, MessageType, Packet};
use std::net::{Ipv4Addr, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::FakeDns;

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
const SECRET_B64: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

fn free_port() -> u16 {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
    s.local_addr().expect("addr").port()
}

fn config(port: u16, dns: std::net::SocketAddr, key_file: &Path) -> Config {
    config_with(port, dns, key_file, "client")
}

/// The test configuration with `[ddns] update = update`.
fn config_with(port: u16, dns: std::net::SocketAddr, key_file: &Path, update: &str) -> Config {
    let text = format!(
        "[server]\nlisten_address = \"127.0.0.1\"\nserver_port = {port}\nclient_port = {}\n\
         lease_time = 600\n\n\
         [ddns]\nupdate = \"{update}\"\nqualifying_suffix = \"example.test.\"\n\n\
         [[ddns.key]]\nname = \"ddns-key.\"\nsecret_file = \"{}\"\n\n\
         [[ddns.zone]]\nname = \"example.test.\"\nserver = \"{dns}\"\nkey = \"ddns-key.\"\n\n\
         [[ddns.zone]]\nname = \"127.in-addr.arpa.\"\nserver = \"{dns}\"\nkey = \"ddns-key.\"\n\n\
         [[subnet]]\nsubnet = \"127.0.0.0/8\"\n[[subnet.pool]]\nrange = \"127.0.0.100-127.0.0.199\"\n",
        port + 1,
        key_file.display()
    );
    Config::from_toml(&text, Path::new("ddns.toml")).expect("config")
}

/// Option 81 (RFC 4702) with S=1, E=1 and the partial name `name`.
fn fqdn_option(name: &str) -> Vec<u8> {
    let mut v = vec![0x05, 0, 0, name.len() as u8];
    v.extend_from_slice(name.as_bytes());
    v
}

/// One exchange: a message of type `t` with `extra` options; the reply, if `reply`.
fn exchange(
    sock: &UdpSocket,
    port: u16,
    t: MessageType,
    ciaddr: Ipv4Addr,
    extra: &[(u8, Vec<u8>)],
    reply: bool,
) -> Option<Packet> {
    let mut p = Packet::boot_request(HwAddr::ethernet([0x52, 0x54, 0, 7, 7, 7]), 0x0bad_cafe);
    p.ciaddr = ciaddr;
    p.options.insert(code::MESSAGE_TYPE, vec![t.code()]);
    for (c, v) in extra {
        p.options.insert(*c, v.clone());
    }
    let bytes = p.encode(&EncodeParams::default()).expect("encode");
    sock.send_to(&bytes, ("127.0.0.1", port)).expect("send");
    if !reply {
        return None;
    }
    let mut buf = [0u8; 1500];
    let (n, _) = sock
        .recv_from(&mut buf)
        .expect("a reply within the timeout");
    Some(Packet::parse(&buf[..n]).expect("reply parses"))
}

/// DISCOVER + REQUEST with option 81 `gamma`; the ACK.
fn dora(port: u16) -> Packet {
    let sock = UdpSocket::bind("127.0.0.1:0").expect("client socket");
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let name = (81u8, fqdn_option("gamma"));
    let offer = exchange(
        &sock,
        port,
        MessageType::Discover,
        Ipv4Addr::UNSPECIFIED,
        std::slice::from_ref(&name),
        true,
    )
    .expect("offer");
    let sid = offer.options.server_id().expect("server id");
    let ack = exchange(
        &sock,
        port,
        MessageType::Request,
        Ipv4Addr::UNSPECIFIED,
        &[
            (code::SERVER_ID, sid.octets().to_vec()),
            (code::REQUESTED_IP, offer.yiaddr.octets().to_vec()),
            name,
        ],
        true,
    )
    .expect("ack");
    assert_eq!(ack.message_type(), Some(MessageType::Ack));
    ack
}

/// Answers DNS requests on `sock` from `fake` until `stop` (bounded: 200 requests).
fn responder(
    sock: tokio::net::UdpSocket,
    fake: Arc<Mutex<FakeDns>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut buf = vec![0u8; 65_536];
        for _ in 0..200 {
            let Ok((len, from)) = sock.recv_from(&mut buf).await else {
                break;
            };
            let answer = fake.lock().expect("lock").handle_realtime(&buf[..len]);
            if let Some(a) = answer {
                let _ = sock.send_to(&a, from).await;
            }
        }
    })
}

/// Waits (bounded) until `check` holds on the fake zone.
async fn wait_for(fake: &Arc<Mutex<FakeDns>>, what: &str, check: impl Fn(&FakeDns) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !check(&fake.lock().expect("lock")) {
        assert!(Instant::now() < deadline, "{what}: not within 15 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Starts a server with `[ddns]` (zones on `dns`, key in `key_file`) on an in-memory store, on
/// a free loopback port; that port and the server.
async fn serve(dns: std::net::SocketAddr, key_file: &Path) -> (u16, leasehold_server::Running) {
    let port = free_port();
    let options = ServeOptions::new(
        Arc::new(config(port, dns, key_file)),
        PathBuf::from("ddns.toml"),
        None,
    );
    let running = leasehold_server::start(options, Box::new(MemoryStore::new()))
        .await
        .expect("server starts");
    (port, running)
}

/// A server with `[ddns]` on an in-memory store, and the fake zone answering its updates.
struct Setup {
    _dir: tempfile::TempDir,
    key_file: PathBuf,
    fake: Arc<Mutex<FakeDns>>,
    answering: tokio::task::JoinHandle<()>,
    dns: std::net::SocketAddr,
    port: u16,
    running: leasehold_server::Running,
}

impl Setup {
    async fn start() -> Setup {
        let dir = tempfile::tempdir().expect("tempdir");
        let key_file = dir.path().join("ddns.key");
        std::fs::write(&key_file, format!("{SECRET_B64}\n")).expect("key file");
        let key = support::key("ddns-key.", SECRET);
        let dns_sock = tokio::net::UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("dns socket");
        let dns = dns_sock.local_addr().expect("addr");
        let fake = Arc::new(Mutex::new(FakeDns::new(
            &["example.test.", "127.in-addr.arpa."],
            Some(&key),
        )));
        let answering = responder(dns_sock, fake.clone());
        let (port, running) = serve(dns, &key_file).await;
        Setup {
            _dir: dir,
            key_file,
            fake,
            answering,
            dns,
            port,
            running,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ack_then_records_then_release_removes_them() {
    let Setup {
        _dir,
        fake,
        answering,
        port,
        running,
        ..
    } = Setup::start().await;

    let ack = tokio::task::spawn_blocking(move || dora(port))
        .await
        .expect("client");
    let addr = ack.yiaddr;
    // RFC 4702 §4.1: the server does the A update (S=1), no override (O=0), E copied, its name.
    let reply = ack.options.get(81).expect("option 81 in the ACK").to_vec();
    assert_eq!(reply[0] & 0x0f, 0x05, "flags S|E, got {:#04x}", reply[0]);
    assert_eq!(&reply[1..3], &[255, 255], "RCODE1/2");
    assert!(
        reply.windows(5).any(|w| w == b"gamma"),
        "the name in the reply: {reply:?}"
    );

    wait_for(&fake, "A, DHCID and PTR added", |f| {
        f.a("gamma.example.test.") == vec![addr]
            && f.dhcid("gamma.example.test.").len() == 1
            && f.ptr(addr) == vec!["gamma.example.test.".to_string()]
    })
    .await;

    // RELEASE: the records go.
    tokio::task::spawn_blocking(move || {
        let sock = UdpSocket::bind("127.0.0.1:0").expect("client socket");
        let sid = ack.options.server_id().expect("server id");
        exchange(
            &sock,
            port,
            MessageType::Release,
            addr,
            &[(code::SERVER_ID, sid.octets().to_vec())],
            false,
        );
    })
    .await
    .expect("release");
    wait_for(&fake, "records removed after RELEASE", |f| {
        f.a("gamma.example.test.").is_empty()
            && f.dhcid("gamma.example.test.").is_empty()
            && f.ptr(addr).is_empty()
    })
    .await;

    let text = running
        .metrics
        .render(None, Vec::new(), Vec::new(), Default::default());
    let ok = text
        .lines()
        .find_map(|l| l.strip_prefix("leasehold_ddns_updates_ok_total "))
        .and_then(|v| v.trim().parse::<u64>().ok());
    // Adding: the forward add and the PTR; removing: A, DHCID, PTR (at least 4 in all).
    assert!(
        ok.is_some_and(|n| n >= 4),
        "leasehold_ddns_updates_ok_total: {ok:?}\n{text}"
    );
    running.stop().await.expect("every service stops cleanly");
    answering.abort();
}

/// A reload converges the zones with the lease table under the new policy: `ptr-only` takes the
/// A and DHCID records away and keeps the PTR; a lease deleted through the control API loses its
/// records.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_converges_and_api_delete_removes() {
    let Setup {
        _dir,
        key_file,
        fake,
        answering,
        dns,
        port,
        running,
    } = Setup::start().await;
    let addr = tokio::task::spawn_blocking(move || dora(port))
        .await
        .expect("client")
        .yiaddr;
    wait_for(&fake, "A and PTR added", |f| {
        f.a("gamma.example.test.") == vec![addr] && !f.ptr(addr).is_empty()
    })
    .await;

    let new = Arc::new(config_with(port, dns, &key_file, "ptr-only"));
    running
        .handle
        .ask(|reply| ControlRequest::Reload { config: new, reply })
        .await
        .expect("reload");
    wait_for(
        &fake,
        "A and DHCID removed, PTR kept after the reload",
        |f| {
            f.a("gamma.example.test.").is_empty()
                && f.dhcid("gamma.example.test.").is_empty()
                && f.ptr(addr) == vec!["gamma.example.test.".to_string()]
        },
    )
    .await;

    let ticket = running
        .handle
        .ask(|reply| ControlRequest::DeleteLease { addr, reply })
        .await
        .expect("asked")
        .expect("deleted");
    ticket.await.expect("committed");
    wait_for(&fake, "PTR removed after the API deleted the lease", |f| {
        f.ptr(addr).is_empty()
    })
    .await;
    running.stop().await.expect("every service stops cleanly");
    answering.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_dns_server_does_not_hold_the_ack() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key_file = dir.path().join("ddns.key");
    std::fs::write(&key_file, SECRET_B64).expect("key file");
    // A socket that never answers.
    let silent = UdpSocket::bind("127.0.0.1:0").expect("silent");
    let (port, running) = serve(silent.local_addr().expect("addr"), &key_file).await;
    // The DNS server never answers: an ACK at all shows it did not wait for DNS.
    let ack = tokio::task::spawn_blocking(move || dora(port))
        .await
        .expect("client");
    assert_eq!(ack.message_type(), Some(MessageType::Ack));
    // The update was sent and is still owed.
    let mut buf = [0u8; 1500];
    silent
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let (n, _) = silent
        .recv_from(&mut buf)
        .expect("an update reaches the server");
    assert!(n > 12, "a DNS message");
    // The status is published right after the send: wait for it (bounded).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = running
            .metrics
            .render(None, Vec::new(), Vec::new(), Default::default());
        let owed = text.lines().any(|l| {
            l.strip_prefix("leasehold_ddns_pending ")
                .is_some_and(|v| v.trim() != "0")
        });
        if owed {
            break;
        }
        assert!(Instant::now() < deadline, "the work is still owed:\n{text}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    running.stop().await.expect("every service stops cleanly");
}

#[tokio::test]
async fn an_unreadable_key_file_stops_the_start_with_its_name() {
    let port = free_port();
    let missing = PathBuf::from("/nonexistent/leasehold-ddns.key");
    let options = ServeOptions::new(
        Arc::new(config(
            port,
            "127.0.0.1:53".parse().expect("addr"),
            &missing,
        )),
        PathBuf::from("ddns.toml"),
        None,
    );
    let err = match leasehold_server::start(options, Box::new(MemoryStore::new())).await {
        Ok(_) => panic!("a server with an unreadable key file must not start"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("/nonexistent/leasehold-ddns.key") && err.contains("ddns-key."),
        "{err}"
    );
}
