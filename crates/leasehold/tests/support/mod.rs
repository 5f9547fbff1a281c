//! Shared helpers of the `leasehold` integration tests: a `leasehold serve` child on 127.0.0.1
//! (killed by PID when dropped), and a small DHCP client built on the wire codec. Everything stays
//! on loopback, where the server replies to the sender's address and port.
#![allow(dead_code)] // each test binary uses a different subset

use leasehold_wire::options::code;
use leasehold_wire::{EncodeParams, HwAddr, MessageType, Op, Options, Packet};
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

/// How long a server may take to say it is serving.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A free UDP port on 127.0.0.1 (bound, read, released).
pub fn free_udp_port() -> u16 {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind ephemeral");
    s.local_addr().expect("local addr").port()
}

/// Writes `DIR/leasehold.toml`: a server on 127.0.0.1 at `port` (client port `port + 1`) with
/// `server` appended to its `[server]` table, and one subnet 127.0.0.0/8 with `subnet` appended to
/// its table and one pool `range`. Returns the file's path.
pub fn write_loopback_config(
    dir: &Path,
    port: u16,
    server: &str,
    subnet: &str,
    range: &str,
) -> std::path::PathBuf {
    let cfg = format!(
        "[server]\nlisten_address = \"127.0.0.1\"\nserver_port = {port}\nclient_port = {client}\n\
         {server}\n\n[[subnet]]\nsubnet = \"127.0.0.0/8\"\n{subnet}\n\n\
         [[subnet.pool]]\nrange = \"{range}\"\n",
        client = port.wrapping_add(1)
    );
    let path = dir.join("leasehold.toml");
    std::fs::write(&path, cfg).expect("write config");
    path
}

/// A `leasehold serve` child process. Dropping it kills it (SIGKILL) and reaps it.
pub struct ServerProcess {
    child: Child,
}

impl ServerProcess {
    /// Starts `leasehold serve --config CONFIG --db DB EXTRA...` with `env`, and reads its log until
    /// `ready` has returned true for every line it needs (bounded by a timeout). Returns the server
    /// and the log lines read before it was ready. The rest of the log is drained in the
    /// background so the server never blocks on a full pipe.
    pub fn start(
        config: &Path,
        db: &Path,
        extra: &[&str],
        env: &[(&str, &str)],
        ready: impl FnMut(&str) -> bool,
    ) -> (ServerProcess, Vec<String>) {
        let (server, seen, _rest) = Self::start_logged(config, db, extra, env, ready);
        (server, seen)
    }

    /// Like [`ServerProcess::start`], and also returns the rest of the log: every line the
    /// server writes after it was ready, in order, as it writes it.
    pub fn start_logged(
        config: &Path,
        db: &Path,
        extra: &[&str],
        env: &[(&str, &str)],
        mut ready: impl FnMut(&str) -> bool,
    ) -> (ServerProcess, Vec<String>, Receiver<String>) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_leasehold"));
        cmd.arg("serve")
            .args(extra)
            .arg("--config")
            .arg(config)
            .arg("--db")
            .arg(db);
        Self::spawn(cmd, env, &mut ready)
    }

    /// Starts `leasehold serve --config CONFIG` with the store its `[store]` names (no `--db`),
    /// like [`ServerProcess::start`].
    pub fn start_with_config_store(
        config: &Path,
        env: &[(&str, &str)],
        mut ready: impl FnMut(&str) -> bool,
    ) -> (ServerProcess, Vec<String>) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_leasehold"));
        cmd.arg("serve").arg("--config").arg(config);
        let (server, seen, _rest) = Self::spawn(cmd, env, &mut ready);
        (server, seen)
    }

    fn spawn(
        mut cmd: Command,
        env: &[(&str, &str)],
        ready: &mut impl FnMut(&str) -> bool,
    ) -> (ServerProcess, Vec<String>, Receiver<String>) {
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn leasehold");
        let stderr = child.stderr.take().expect("stderr piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                // Once the test stops listening, lines are dropped but still read.
                let _ = tx.send(line);
            }
        });
        let server = ServerProcess { child };
        let seen = read_until_ready(&rx, ready);
        (server, seen, rx)
    }

    /// Starts a server and waits for its "serving" line.
    pub fn serving(config: &Path, db: &Path) -> ServerProcess {
        Self::start(config, db, &[], &[], |l| l.contains("serving")).0
    }

    /// The child's process id (for signals such as SIGHUP).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, then reap: no flush, no shutdown path — what a power cut looks like to the process.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_until_ready(rx: &Receiver<String>, ready: &mut impl FnMut(&str) -> bool) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        match rx.recv_timeout(START_TIMEOUT) {
            Ok(line) => {
                let done = ready(&line);
                seen.push(line);
                if done {
                    return seen;
                }
            }
            Err(e) => panic!("server never became ready ({e}); log so far: {seen:#?}"),
        }
    }
}

/// A BOOTREQUEST of `kind` from Ethernet address `mac` (no client identifier, so the lease's
/// client is the MAC), asking for options 1, 3, 6, 51, 54, with `extra` options added.
pub fn request(kind: MessageType, mac: [u8; 6], xid: u32, extra: &[(u8, Vec<u8>)]) -> Vec<u8> {
    request_from(HwAddr::ethernet(mac), kind, xid, extra)
}

/// Like [`request`], from any hardware address `chaddr` (of any type and length).
pub fn request_from(
    chaddr: HwAddr,
    kind: MessageType,
    xid: u32,
    extra: &[(u8, Vec<u8>)],
) -> Vec<u8> {
    let mut options = Options::new();
    options.insert(code::MESSAGE_TYPE, vec![kind.code()]);
    options.insert(code::PARAM_REQUEST_LIST, vec![1, 3, 6, 51, 54]);
    for (c, v) in extra {
        options.insert(*c, v.clone());
    }
    let p = Packet {
        options,
        ..Packet::boot_request(chaddr, xid)
    };
    p.encode(&EncodeParams {
        order: Vec::new(),
        max_len: 1500,
        pad_to_bootp_min: true,
    })
    .expect("encode request")
}

/// A client socket on 127.0.0.1 with a read timeout.
pub fn client_socket(timeout: Duration) -> UdpSocket {
    let sock = UdpSocket::bind("127.0.0.1:0").expect("client socket");
    sock.set_read_timeout(Some(timeout)).expect("read timeout");
    sock
}

/// Sends `bytes` to the server and returns the BOOTREPLY with `xid`, skipping late replies to
/// other exchanges; `None` when none comes within the socket's read timeout.
pub fn exchange(sock: &UdpSocket, port: u16, bytes: &[u8], xid: u32) -> Option<Packet> {
    sock.send_to(bytes, ("127.0.0.1", port)).ok()?;
    let mut buf = [0u8; 1500];
    loop {
        let (n, _) = sock.recv_from(&mut buf).ok()?;
        let Ok(p) = Packet::parse(&buf[..n]) else {
            continue;
        };
        if p.xid == xid && p.op == Op::BootReply {
            return Some(p);
        }
    }
}

/// DISCOVER/OFFER/REQUEST/ACK with transaction ids `xid` and `xid + 1`; returns the number of
/// replies received and the ACKed address.
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
