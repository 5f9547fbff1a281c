//! Shared test harness: a boot root with known files, the services on 127.0.0.1 with OS-chosen
//! ports, real clients as subprocesses, and bounded polling.
#![allow(dead_code)] // each test binary uses part of it

use leasehold_bootfiles::http::{HttpBootServer, HttpStats};
use leasehold_bootfiles::tftp::packet::Packet;
use leasehold_bootfiles::tftp::{TftpServer, TftpStats};
use leasehold_bootfiles::{HttpBootSettings, TftpSettings};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// 33 MiB: more than 65535 blocks of 512 bytes, so block numbers roll over.
pub const BIG: usize = 33 << 20;

/// Deterministic pseudo-random content.
pub fn content(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 7) as u8
        })
        .collect()
}

/// SHA-256 of bytes, in hex.
pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// SHA-256 of a file the client wrote, in hex (panics with the path if it is missing).
pub fn sha256_file(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    sha256(&bytes)
}

/// A boot root: `empty` (0 bytes), `exact512`, `small.bin` (3000),
/// `text.txt`, `sub/inner.bin`, a symlink `inside` -> `sub/inner.bin`, a symlink `escape`
/// to a file outside the root, a symlink `up` -> `..`, a directory `dir`.
pub struct Fixture {
    pub root: tempfile::TempDir,
    pub outside: tempfile::TempDir,
    pub scratch: tempfile::TempDir,
}

impl Fixture {
    pub fn new() -> Fixture {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let scratch = tempfile::tempdir().unwrap();
        let r = root.path();
        std::fs::write(outside.path().join("secret"), b"outside the root").unwrap();
        std::fs::write(r.join("empty"), b"").unwrap();
        std::fs::write(r.join("exact512"), content(512, 1)).unwrap();
        std::fs::write(r.join("small.bin"), content(3000, 2)).unwrap();
        std::fs::write(r.join("text.txt"), b"first line\nsecond\rline\n").unwrap();
        std::fs::create_dir(r.join("sub")).unwrap();
        std::fs::create_dir(r.join("dir")).unwrap();
        std::fs::write(r.join("sub/inner.bin"), content(700, 4)).unwrap();
        std::os::unix::fs::symlink("sub/inner.bin", r.join("inside")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), r.join("escape")).unwrap();
        std::os::unix::fs::symlink("..", r.join("up")).unwrap();
        Fixture {
            root,
            outside,
            scratch,
        }
    }

    /// Adds `big.bin` (33 MiB); returns its SHA-256.
    pub fn add_big(&self) -> String {
        let bytes = content(BIG, 3);
        std::fs::write(self.path("big.bin"), &bytes).unwrap();
        sha256(&bytes)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    pub fn out(&self, name: &str) -> PathBuf {
        self.scratch.path().join(name)
    }
}

/// A running TFTP service.
pub struct Tftp {
    pub addr: SocketAddr,
    pub stats: Arc<TftpStats>,
    pub shutdown: CancellationToken,
    pub task: JoinHandle<Result<(), leasehold_bootfiles::BootFilesError>>,
}

/// Test settings: 127.0.0.1, port 0, 1 s timeout, 2 retries.
pub fn tftp_settings(root: &Path) -> TftpSettings {
    let mut s = TftpSettings::new(root);
    s.listen = "127.0.0.1:0".parse().unwrap();
    s.timeout = Duration::from_secs(1);
    s.retries = 2;
    s
}

impl Tftp {
    pub async fn start(settings: TftpSettings) -> Tftp {
        let stats = Arc::new(TftpStats::default());
        let server = TftpServer::bind(settings, stats.clone()).await.unwrap();
        let addr = server.local_addrs()[0];
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(server.serve(shutdown.clone()));
        Tftp {
            addr,
            stats,
            shutdown,
            task,
        }
    }

    pub fn port(&self) -> String {
        self.addr.port().to_string()
    }

    /// Cancels and waits (bounded) for the service to end cleanly.
    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("service did not stop within 10 s")
            .expect("service task panicked")
            .expect("service ended with an error");
    }

    /// Polls until no transfer is active (bounded).
    pub async fn wait_idle(&self) {
        let stats = self.stats.clone();
        wait_for("no active transfers", Duration::from_secs(15), move || {
            stats.snapshot().active == 0
        })
        .await;
    }
}

/// A running HTTP boot service.
pub struct Http {
    pub addr: SocketAddr,
    pub stats: Arc<HttpStats>,
    pub shutdown: CancellationToken,
    pub task: JoinHandle<Result<(), leasehold_bootfiles::BootFilesError>>,
}

impl Http {
    pub async fn start(root: &Path) -> Http {
        let stats = Arc::new(HttpStats::default());
        let settings = HttpBootSettings {
            root: root.to_path_buf(),
            listen: "127.0.0.1:0".parse().unwrap(),
        };
        let server = HttpBootServer::bind(settings, stats.clone()).await.unwrap();
        let addr = server.local_addr();
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(server.serve(shutdown.clone()));
        Http {
            addr,
            stats,
            shutdown,
            task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{path}", self.addr)
    }
}

/// Polls `check` every 20 ms until it holds; panics after `limit`.
pub async fn wait_for(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < limit, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Fails (never skips) when a client program is not installed.
pub fn require(program: &str, package: &str) {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "`{program}` is not installed: this test needs the Debian package `{package}` \
         (apt-get install {package})"
    );
}

/// Runs a client with a time limit; returns its output (status not checked).
pub async fn run(program: &str, args: &[&str]) -> Output {
    let child = tokio::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(Duration::from_secs(120), child)
        .await
        .unwrap_or_else(|_| panic!("{program} {args:?} did not finish within 120 s"))
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
}

/// Describes a client run for assertion messages.
pub fn describe(program: &str, args: &[&str], out: &Output) -> String {
    format!(
        "{program} {args:?} exited {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A raw TFTP client socket.
pub struct Raw {
    pub socket: UdpSocket,
    pub server: SocketAddr,
}

impl Raw {
    pub async fn new(server: SocketAddr) -> Raw {
        Raw {
            socket: UdpSocket::bind("127.0.0.1:0").await.unwrap(),
            server,
        }
    }

    pub async fn send(&self, bytes: &[u8]) {
        self.socket.send_to(bytes, self.server).await.unwrap();
    }

    pub async fn rrq(&self, name: &[u8], options: &[(&str, &str)]) {
        self.send(&rrq(name, options)).await;
    }

    /// The next datagram within `limit`, or `None`.
    pub async fn recv(&self, limit: Duration) -> Option<(Vec<u8>, SocketAddr)> {
        let mut buf = vec![0; 65_536];
        match tokio::time::timeout(limit, self.socket.recv_from(&mut buf)).await {
            Ok(Ok((n, from))) => Some((buf[..n].to_vec(), from)),
            _ => None,
        }
    }

    /// The next datagram; fails the test after 5 s.
    pub async fn expect(&self, what: &str) -> (Vec<u8>, SocketAddr) {
        self.recv(Duration::from_secs(5))
            .await
            .unwrap_or_else(|| panic!("no answer: {what}"))
    }
}

pub fn rrq(name: &[u8], options: &[(&str, &str)]) -> Vec<u8> {
    let mut p = b"\x00\x01".to_vec();
    p.extend_from_slice(name);
    p.extend_from_slice(b"\x00octet\x00");
    for (n, v) in options {
        p.extend_from_slice(n.as_bytes());
        p.push(0);
        p.extend_from_slice(v.as_bytes());
        p.push(0);
    }
    p
}

pub fn error_code(bytes: &[u8]) -> Option<u16> {
    match Packet::parse(bytes) {
        Ok(Packet::Error { code, .. }) => Some(code.0),
        _ => None,
    }
}
