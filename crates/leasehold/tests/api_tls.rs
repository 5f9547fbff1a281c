//! HTTPS on the control API: a self-signed certificate for 127.0.0.1 made at test time (rcgen),
//! a real server on loopback, a rustls client that trusts exactly that certificate; plus the
//! `[control]` validation rules for TLS and non-loopback listeners (through `check-config`).

mod observe_support;

use observe_support::{api_url, config_text, free_udp_port, ServerProcess, TOKEN};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A self-signed certificate and key for 127.0.0.1, written as PEM into `dir`.
fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let ck = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).expect("rcgen");
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, ck.cert.pem()).expect("write cert");
    std::fs::write(&key, ck.signing_key.serialize_pem()).expect("write key");
    (cert, key)
}

/// A TOML string literal of `p`.
fn lit(p: &Path) -> String {
    format!("{:?}", p.display().to_string())
}

/// A server with TLS (and the token file) on 127.0.0.1; returns it, its `https://` base URL and
/// its certificate file.
struct TlsServer {
    _process: ServerProcess,
    api: String,
    cert: PathBuf,
    dir: tempfile::TempDir,
}

fn start_tls() -> TlsServer {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key) = self_signed(dir.path());
    let token = dir.path().join("token");
    std::fs::write(&token, format!("{TOKEN}\n")).expect("write token");
    let port = free_udp_port();
    let extra = format!("tls_cert = {}\ntls_key = {}\n", lit(&cert), lit(&key));
    let config = dir.path().join("leasehold.toml");
    let text = config_text(port, &["127.0.0.100-127.0.0.110"], Some(&token), &extra);
    std::fs::write(&config, text).expect("write config");
    let db = dir.path().join("leases.db");
    let mut api = None;
    let mut serving = false;
    let (process, _) = ServerProcess::start(&config, &db, &["--log-format", "json"], &[], |line| {
        serving |= line.contains("serving");
        assert!(
            !line.contains("control API listening on http://"),
            "TLS configured but plain HTTP served: {line}"
        );
        if let Some(url) = api_url(line, "https") {
            api = Some(url);
        }
        serving && api.is_some()
    });
    TlsServer {
        _process: process,
        api: api.unwrap_or_default(),
        cert,
        dir,
    }
}

/// A client that trusts only the PEM certificate in `cert` (or the default web PKI roots).
fn agent(cert: Option<&Path>) -> ureq::Agent {
    let mut b = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(20)))
        .http_status_as_error(false);
    if let Some(cert) = cert {
        let pem = std::fs::read(cert).expect("read cert");
        let c = ureq::tls::Certificate::from_pem(&pem).expect("parse cert");
        b = b.tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::new_with_certs(&[c]))
                .build(),
        );
    }
    b.build().into()
}

fn status_body(r: ureq::http::Response<ureq::Body>) -> (u16, String) {
    let status = r.status().as_u16();
    let body = r.into_body().read_to_string().expect("body");
    (status, body)
}

#[test]
fn https_serves_reads_refuses_plain_http_and_unauthenticated_writes() {
    let s = start_tls();
    let api = &s.api;
    assert!(api.starts_with("https://127.0.0.1:"), "{api}");
    let trusted = agent(Some(&s.cert));

    // Reads over HTTPS (loopback: no token needed).
    let (status, body) = status_body(
        trusted
            .get(&format!("{api}/api/health"))
            .call()
            .expect("GET"),
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"ok\""), "{body}");
    let (status, _) = status_body(trusted.get(&format!("{api}/metrics")).call().expect("GET"));
    assert_eq!(status, 200);

    // Writes need the token, over HTTPS as over HTTP.
    let (status, body) = status_body(
        trusted
            .post(&format!("{api}/api/leases/reclaim"))
            .send_empty()
            .expect("POST"),
    );
    assert_eq!(status, 401, "{body}");
    let (status, body) = status_body(
        trusted
            .post(&format!("{api}/api/leases/reclaim"))
            .header("Authorization", &format!("Bearer {TOKEN}"))
            .send_empty()
            .expect("POST"),
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("reclaimed"), "{body}");

    // Plain HTTP to the TLS port gets no HTTP answer.
    let plain = api.replacen("https://", "http://", 1);
    match agent(None).get(&format!("{plain}/api/health")).call() {
        Err(_) => {}
        Ok(r) => panic!("plain HTTP answered on the TLS port: {}", r.status()),
    }
    // A client that does not trust the self-signed certificate refuses the connection.
    assert!(
        agent(None)
            .get(&format!("{api}/api/health"))
            .call()
            .is_err(),
        "an untrusted certificate was accepted"
    );

    // The server still answers after the failed connections.
    let (status, _) = status_body(
        trusted
            .get(&format!("{api}/api/health"))
            .call()
            .expect("GET"),
    );
    assert_eq!(status, 200);

    // `leasehold ctl --ca` speaks HTTPS.
    let token = s.dir.path().join("token");
    let ctl = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_leasehold"))
            .args(["ctl", "--url", api])
            .args(args)
            .output()
            .expect("run ctl")
    };
    let ca = s.cert.to_string_lossy().to_string();
    let out = ctl(&["--ca", &ca, "health"]);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok"));
    let out = ctl(&["--ca", &ca, "leases", "reclaim"]);
    assert!(!out.status.success(), "a write without the token must fail");
    let tf = token.to_string_lossy().to_string();
    let out = ctl(&["--ca", &ca, "--token-file", &tf, "leases", "reclaim"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = ctl(&["health"]);
    assert!(
        !out.status.success(),
        "ctl without --ca trusted a self-signed certificate"
    );
}

/// Runs `leasehold serve` to its exit (bounded); returns success and stderr.
fn serve_to_exit(config: &Path, db: &Path) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_leasehold"))
        .arg("serve")
        .arg("--config")
        .arg(config)
        .arg("--db")
        .arg(db)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server did not stop on a bad TLS file");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut err);
    }
    (status.success(), err)
}

#[test]
fn unreadable_certificate_or_key_stops_the_server_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key) = self_signed(dir.path());
    let missing = dir.path().join("missing-cert.pem");
    let bad_key = dir.path().join("garbage-key.pem");
    std::fs::write(&bad_key, "not a key\n").expect("write");
    for (c, k, named) in [(&missing, &key, &missing), (&cert, &bad_key, &bad_key)] {
        let port = free_udp_port();
        let extra = format!("tls_cert = {}\ntls_key = {}\n", lit(c), lit(k));
        let config = dir.path().join("leasehold.toml");
        let text = config_text(port, &["127.0.0.100-127.0.0.110"], None, &extra);
        std::fs::write(&config, text).expect("write config");
        let (ok, err) = serve_to_exit(&config, &dir.path().join("leases.db"));
        assert!(!ok, "started with a bad TLS file: {err}");
        let line = err
            .lines()
            .find(|l| l.starts_with("Error:"))
            .unwrap_or_else(|| panic!("no error line: {err}"));
        assert!(
            line.contains(&named.display().to_string()),
            "the error does not name {}: {line}",
            named.display()
        );
    }
}

/// `check-config` on `[control]` lines `control` (the file's line 5 is the first of them).
fn check(control: &str) -> (bool, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        format!("[server]\nserver_port = 1067\n\n[control]\n{control}"),
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_leasehold"))
        .arg("check-config")
        .arg(&cfg)
        .output()
        .expect("run");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn tls_and_non_loopback_rules_are_checked_with_their_line() {
    // Non-loopback without TLS (with or without a token): refused at the listen line.
    let (ok, err) = check("listen = \"0.0.0.0:8067\"\ntoken_file = \"/t\"\n");
    assert!(!ok);
    assert!(err.contains("c.toml:5"), "{err}");
    assert!(err.contains("tls_cert and tls_key"), "{err}");
    assert!(err.contains("loopback"), "{err}");
    // Non-loopback with TLS but no token: refused, naming token_file.
    let (ok, err) =
        check("listen = \"192.0.2.1:8067\"\ntls_cert = \"/c.pem\"\ntls_key = \"/k.pem\"\n");
    assert!(!ok);
    assert!(
        err.contains("c.toml:5") && err.contains("token_file"),
        "{err}"
    );
    // Non-loopback with TLS and a token: accepted (the files are read when serving).
    let (ok, err) = check(
        "listen = \"0.0.0.0:8067\"\ntoken_file = \"/t\"\ntls_cert = \"/c.pem\"\ntls_key = \"/k.pem\"\n",
    );
    assert!(ok, "{err}");
    // TLS on loopback without a token: fine (reads open, API read-only).
    let (ok, err) = check("tls_cert = \"/c.pem\"\ntls_key = \"/k.pem\"\n");
    assert!(ok, "{err}");
    // Half a pair: refused at the key that is there.
    let (ok, err) = check("listen = \"127.0.0.1:8067\"\ntls_cert = \"/c.pem\"\n");
    assert!(!ok);
    assert!(err.contains("c.toml:6") && err.contains("tls_key"), "{err}");
    let (ok, err) = check("tls_key = \"/k.pem\"\n");
    assert!(!ok);
    assert!(
        err.contains("c.toml:5") && err.contains("tls_cert"),
        "{err}"
    );
    // An empty path.
    let (ok, err) = check("tls_cert = \"\"\ntls_key = \"/k.pem\"\n");
    assert!(!ok);
    assert!(
        err.contains("c.toml:5") && err.contains("tls_cert"),
        "{err}"
    );
}
