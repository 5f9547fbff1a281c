//! Shared helpers of the control-plane tests (api.rs, metrics.rs, reload.rs): a `leasehold
//! serve` child on 127.0.0.1 with the control API on a free port, a tiny DHCP client built on the
//! wire codec, and an HTTP helper. Everything stays on loopback; the child is killed by PID.
#![allow(dead_code)]

#[path = "../support/mod.rs"]
mod support;
#[allow(unused_imports)] // each test binary uses a different subset
pub use support::{client_socket, dora, exchange, free_udp_port, request, ServerProcess};

use std::path::{Path, PathBuf};
use std::time::Duration;

/// The write token the tests configure.
pub const TOKEN: &str = "test-token-0123456789";

/// A running server, killed (it is our child) when dropped.
pub struct Server {
    pub process: ServerProcess,
    pub port: u16,
    pub api: String,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub db: PathBuf,
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

/// The control API's base URL (`SCHEME://addr:port`, no trailing slash) from the server's
/// "control API listening on ..." log line, if `line` is that line.
pub fn api_url(line: &str, scheme: &str) -> Option<String> {
    let marker = "control API listening on ";
    let rest = &line[line.find(&format!("{marker}{scheme}://"))? + marker.len()..];
    let url: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"')
        .collect();
    Some(url.trim_end_matches('/').to_string())
}

/// Starts a server with `pools`; with the token file unless `read_only`.
pub fn start(pools: &[&str], read_only: bool, extra: &str) -> Server {
    start_logged(pools, read_only, extra).0
}

/// Like [`start`], and also returns the server's log after start-up (JSON, one object a line).
pub fn start_logged(
    pools: &[&str],
    read_only: bool,
    extra: &str,
) -> (Server, std::sync::mpsc::Receiver<String>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let token = dir.path().join("token");
    std::fs::write(&token, format!("{TOKEN}\n")).expect("write token");
    let port = free_udp_port();
    let config = dir.path().join("leasehold.toml");
    let text = config_text(port, pools, (!read_only).then_some(token.as_path()), extra);
    std::fs::write(&config, text).expect("write config");
    let db = dir.path().join("leases.db");
    let mut api = None;
    let mut serving = false;
    let (process, _, log) =
        ServerProcess::start_logged(&config, &db, &["--log-format", "json"], &[], |line| {
            serving |= line.contains("serving");
            if let Some(url) = api_url(line, "http") {
                api = Some(url);
            }
            serving && api.is_some()
        });
    let server = Server {
        process,
        port,
        api: api.unwrap_or_default(),
        dir,
        config,
        db,
    };
    (server, log)
}

/// A client socket with the 10 s read timeout these tests use.
pub fn client() -> std::net::UdpSocket {
    client_socket(Duration::from_secs(10))
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
