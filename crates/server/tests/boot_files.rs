//! The boot-file services as the server runs them: `[tftp]` and `[http_boot]` start with the
//! server, real clients (curl over TFTP and HTTP) fetch a file from the root, `/metrics` counts
//! the transfers, and a wrong root stops the start with a line naming it.

use leasehold_engine::Config;
use leasehold_server::error::chain;
use leasehold_server::ServeOptions;
use leasehold_store::{GroupCommitStats, MemoryStore};
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

fn free_udp_port() -> u16 {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
    s.local_addr().expect("addr").port()
}

fn free_tcp_port() -> u16 {
    let s = TcpListener::bind("127.0.0.1:0").expect("bind");
    s.local_addr().expect("addr").port()
}

fn config(dhcp: u16, tftp: u16, http: u16, root: &Path) -> Config {
    let text = format!(
        "[server]\nlisten_address = \"127.0.0.1\"\nserver_port = {dhcp}\nclient_port = {}\n\n\
         [[subnet]]\nsubnet = \"127.0.0.0/8\"\n[[subnet.pool]]\nrange = \"127.0.0.100-127.0.0.199\"\n\n\
         [tftp]\nroot = \"{root}\"\nlisten = \"127.0.0.1:{tftp}\"\ntimeout = 1\n\n\
         [http_boot]\nlisten = \"127.0.0.1:{http}\"\n",
        dhcp + 1,
        root = root.display()
    );
    Config::from_toml(&text, Path::new("boot.toml")).expect("config")
}

/// Runs curl (a real TFTP and HTTP client) and returns what it fetched.
fn curl(url: &str) -> Vec<u8> {
    let out = Command::new("curl")
        .args([
            "--silent",
            "--show-error",
            "--fail",
            "--max-time",
            "20",
            url,
        ])
        .output()
        .expect("curl must be installed (scripts/install-test-deps.sh)");
    assert!(
        out.status.success(),
        "curl {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tftp_and_http_serve_the_root_and_count_in_metrics() {
    let root = tempfile::tempdir().expect("root");
    let content: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(root.path().join("ipxe.efi"), &content).expect("file");
    let (dhcp, tftp, http) = (free_udp_port(), free_udp_port(), free_tcp_port());
    let config = Arc::new(config(dhcp, tftp, http, root.path()));
    let options = ServeOptions::new(config.clone(), PathBuf::from("boot.toml"), None);
    let running = leasehold_server::start(options, Box::new(MemoryStore::new()))
        .await
        .expect("server starts");

    let (by_tftp, by_http) = tokio::task::spawn_blocking(move || {
        (
            curl(&format!("tftp://127.0.0.1:{tftp}/ipxe.efi")),
            curl(&format!("http://127.0.0.1:{http}/ipxe.efi")),
        )
    })
    .await
    .expect("clients");
    assert_eq!(by_tftp, content, "TFTP");
    assert_eq!(by_http, content, "HTTP");

    // The server counts a transfer when the client's last ACK arrives, which may be just after
    // curl has exited: poll (bounded).
    let wanted = [
        "leasehold_tftp_transfers_total{outcome=\"completed\"} 1",
        "leasehold_http_boot_requests_total{status=\"200\"} 1",
        "leasehold_http_boot_sent_bytes_total 3000",
    ];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let text = loop {
        let text = running.metrics.render(
            Some(config.clone()),
            Vec::new(),
            Vec::new(),
            GroupCommitStats::default(),
        );
        if wanted.iter().all(|w| text.contains(w)) || std::time::Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    for w in wanted {
        assert!(text.contains(w), "{w} missing from\n{text}");
    }
    running.stop().await.expect("clean stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_root_stops_the_start_naming_it() {
    let missing = PathBuf::from("/nonexistent/leasehold-boot-root");
    let config = Arc::new(config(
        free_udp_port(),
        free_udp_port(),
        free_tcp_port(),
        &missing,
    ));
    let options = ServeOptions::new(config, PathBuf::from("boot.toml"), None);
    let err = match leasehold_server::start(options, Box::new(MemoryStore::new())).await {
        Ok(_) => panic!("started without its TFTP root"),
        Err(e) => chain(&e),
    };
    assert!(err.contains("/nonexistent/leasehold-boot-root"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_boot_sections_no_boot_metrics() {
    let port = free_udp_port();
    let text = format!(
        "[server]\nlisten_address = \"127.0.0.1\"\nserver_port = {port}\nclient_port = {}\n",
        port + 1
    );
    let config = Arc::new(Config::from_toml(&text, Path::new("plain.toml")).expect("config"));
    let options = ServeOptions::new(config.clone(), PathBuf::from("plain.toml"), None);
    let running = leasehold_server::start(options, Box::new(MemoryStore::new()))
        .await
        .expect("server starts");
    let text = running.metrics.render(
        Some(config),
        Vec::new(),
        Vec::new(),
        GroupCommitStats::default(),
    );
    assert!(!text.contains("leasehold_tftp"), "{text}");
    assert!(!text.contains("leasehold_http_boot"), "{text}");
    running.stop().await.expect("clean stop");
}
