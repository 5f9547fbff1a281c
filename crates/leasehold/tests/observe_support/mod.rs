//! Shared helpers of the control-plane tests (api.rs, metrics.rs, reload.rs): a `leasehold
//! serve` child on 127.0.0.1 with the control API on a free port, a tiny DHCP client built on the
//! wire codec, and an HTTP helper. Everything stays on loopback; the child is killed by PID.
#![allow(dead_code)]

use leasehold_wire::options::code;
use leasehold_wire::{EncodeParams, HwAddr, MessageType, Op, Options, Packet};
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The write token the tests configure.
pub const TOKEN: &str = "test-token-0123456789";

/// A running server, killed (it is our child) when dropped.
pub struct Server {
    pub child: Child,
    pub port: u16,
    pub api: String,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub db: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_udp_port() -> u16 {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind ephemeral");
    s.local_addr().expect("local addr").port()
}

/// A configuration serving `pool` (e.g. `127.0.0.100-127.0.0.199`) on loopback, with the
/// control API on a free port and the token file when `token` is set; `extra` is appended.
pub fn config_text(port: u16, pools: &[&str], token_file: Option<&Path>, extra: &str) -> String {
    let mut s = format!(
        "[server]\nlisten_address = \"127.0.0.1\"\nserver_port = {port}\nclient_port = {}\nlease_time = 600\n\n[[subnet]]\nsubnet = \"127.0.0.0/8\"\n",
        port + 1
    );
    for p in pools {
        s.push_str(&format!("[[subnet.pool]]\nrange = \"{p}\"\n"));
    }
    s.push_str("[[subnet.reservation]]\nhw_address = \"52:54:00:00:00:01\"\naddress = \"127.0.0.10\"\nhostname = \"reserved-host\"\n");
    s.push_str("\n[control]\nlisten = \"127.0.0.1:0\"\n");
    if let Some(t) = token_file {
        s.push_str(&format!("token_file = {:?}\n", t.display().to_string()));
    }
    s.push_str(extra);
    s
}

/// Starts a server with `pools`; with the token file unless `read_only`.
pub fn start(pools: &[&str], read_only: bool, extra: &str) -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let token = dir.path().join("token");
    std::fs::write(&token, format!("{TOKEN}\n")).expect("write token");
    let port = free_udp_port();
    let config = dir.path().join("leasehold.toml");
    let text = config_text(port, pools, (!read_only).then_some(token.as_path()), extra);
    std::fs::write(&config, text).expect("write config");
    let db = dir.path().join("leases.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_leasehold"))
        .args(["serve", "--log-format", "json", "--config"])
        .arg(&config)
        .arg("--db")
        .arg(&db)
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
    let mut api = None;
    let mut serving = false;
    while api.is_none() || !serving {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("server never said it is serving with its control API");
        if line.contains("serving") {
            serving = true;
        }
        if let Some(i) = line.find("control API listening on http://") {
            let rest = &line[i + "control API listening on ".len()..];
            let url: String = rest
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '"')
                .collect();
            api = Some(url.trim_end_matches('/').to_string());
        }
    }
    std::thread::spawn(move || while rx.recv().is_ok() {});
    Server {
        child,
        port,
        api: api.unwrap_or_default(),
        dir,
        config,
        db,
    }
}

pub fn request(kind: MessageType, mac: [u8; 6], xid: u32, extra: &[(u8, Vec<u8>)]) -> Vec<u8> {
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

pub fn client() -> UdpSocket {
    let sock = UdpSocket::bind("127.0.0.1:0").expect("client socket");
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    sock
}

/// Sends `bytes` and returns the reply with `xid`, or `None` when none came in the timeout.
pub fn exchange(sock: &UdpSocket, port: u16, bytes: &[u8], xid: u32) -> Option<Packet> {
    sock.send_to(bytes, ("127.0.0.1", port)).expect("send");
    let mut buf = [0u8; 1500];
    loop {
        let (n, _) = sock.recv_from(&mut buf).ok()?;
        if let Ok(p) = Packet::parse(&buf[..n]) {
            if p.xid == xid {
                return Some(p);
            }
        }
    }
}

/// DISCOVER/OFFER/REQUEST/ACK; returns (replies received, the ACKed address).
pub fn dora(sock: &UdpSocket, port: u16, mac: [u8; 6], xid: u32) -> (u32, Option<Ipv4Addr>) {
    let Some(offer) = exchange(
        sock,
        port,
        &request(MessageType::Discover, mac, xid, &[]),
        xid,
    ) else {
        return (0, None);
    };
    let sid = offer.options.server_id().unwrap_or(Ipv4Addr::LOCALHOST);
    let req = request(
        MessageType::Request,
        mac,
        xid + 1,
        &[
            (code::REQUESTED_IP, offer.yiaddr.octets().to_vec()),
            (code::SERVER_ID, sid.octets().to_vec()),
        ],
    );
    match exchange(sock, port, &req, xid + 1) {
        Some(ack) if ack.message_type() == Some(MessageType::Ack) => (2, Some(ack.yiaddr)),
        Some(_) => (2, None),
        None => (1, None),
    }
}

/// An HTTP answer: status and body.
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .http_status_as_error(false)
        .build()
        .into()
}

pub fn get(url: &str) -> Answer {
    let r = agent().get(url).call().expect("GET");
    let status = r.status().as_u16();
    let body = r.into_body().read_to_string().expect("body");
    Answer { status, body }
}

/// POSTs `body` (JSON when it starts with `{`), with the token when `auth`.
pub fn post(url: &str, body: &str, auth: bool) -> Answer {
    let mut r = agent().post(url);
    if auth {
        r = r.header("Authorization", &format!("Bearer {TOKEN}"));
    }
    let ct = if body.starts_with('{') {
        "application/json"
    } else {
        "text/plain"
    };
    let resp = r.content_type(ct).send(body).expect("POST");
    let status = resp.status().as_u16();
    let body = resp.into_body().read_to_string().expect("body");
    Answer { status, body }
}

pub fn delete(url: &str, auth: bool) -> Answer {
    let mut r = agent().delete(url);
    if auth {
        r = r.header("Authorization", &format!("Bearer {TOKEN}"));
    }
    let resp = r.call().expect("DELETE");
    let status = resp.status().as_u16();
    let body = resp.into_body().read_to_string().expect("body");
    Answer { status, body }
}
