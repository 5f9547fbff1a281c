//! The README's network-boot quick start, as a new user runs it: `leasehold serve` with
//! `examples/boot.toml` (only its ports moved to free ones and its root made absolute, so tests can
//! run side by side), a PXE firmware's DISCOVER gets the boot file of its architecture, and real
//! clients (curl over TFTP and HTTP) fetch `hello.txt` and the iPXE script from
//! `examples/boot-root/`. No root needed: everything is on 127.0.0.1.

mod support;

use leasehold_wire::options::code;
use leasehold_wire::MessageType;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use support::{client_socket, exchange, free_udp_port, request, ServerProcess};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn free_tcp_port() -> u16 {
    let s = TcpListener::bind("127.0.0.1:0").expect("bind");
    s.local_addr().expect("addr").port()
}

/// `examples/boot.toml` with its trial ports (1067/1068 DHCP, 1069 TFTP, 8069 HTTP) replaced, and
/// its relative root made absolute. Fails if the example no longer has the lines the README names.
fn example_config(dhcp: u16, tftp: u16, http: u16) -> String {
    let path = repo().join("examples/boot.toml");
    let text = std::fs::read_to_string(&path).expect("read examples/boot.toml");
    let root = repo().join("examples/boot-root");
    let replacements = [
        ("server_port = 1067", format!("server_port = {dhcp}")),
        ("client_port = 1068", format!("client_port = {}", dhcp + 1)),
        (
            "listen = \"127.0.0.1:1069\"",
            format!("listen = \"127.0.0.1:{tftp}\""),
        ),
        (
            "listen = \"127.0.0.1:8069\"",
            format!("listen = \"127.0.0.1:{http}\""),
        ),
        (
            "root = \"examples/boot-root\"",
            format!("root = \"{}\"", root.display()),
        ),
    ];
    let mut out = text;
    for (from, to) in replacements {
        assert_eq!(
            out.matches(from).count(),
            1,
            "examples/boot.toml should contain `{from}` once (the README's quick start uses it)"
        );
        out = out.replace(from, &to);
    }
    out
}

/// Runs curl and returns what it fetched (fails the test if curl fails).
fn curl(url: &str) -> Vec<u8> {
    let out = Command::new("curl")
        .args([
            "--silent",
            "--show-error",
            "--fail",
            "--max-time",
            "10",
            url,
        ])
        .output()
        .expect("run curl (Debian package curl)");
    assert!(
        out.status.success(),
        "curl {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn boot_example_serves_classes_tftp_and_http() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (dhcp, tftp, http) = (free_udp_port(), free_udp_port(), free_tcp_port());
    let config = dir.path().join("boot.toml");
    std::fs::write(&config, example_config(dhcp, tftp, http)).expect("write config");
    let db = dir.path().join("leases.db");
    let (_server, log) = ServerProcess::start(&config, &db, &[], &[], |l| {
        l.contains("http boot service started")
    });
    assert!(
        log.iter().any(|l| l.contains("tftp service started")),
        "no TFTP start line in {log:#?}"
    );

    // A UEFI x64 PXE firmware: vendor class PXEClient, architecture 7.
    let sock = client_socket(Duration::from_secs(5));
    let xid = 0x1500_0001;
    let discover = request(
        MessageType::Discover,
        [0x52, 0x54, 0x00, 0x15, 0x00, 0x01],
        xid,
        &[
            (
                code::VENDOR_CLASS_ID,
                b"PXEClient:Arch:00007:UNDI:003000".to_vec(),
            ),
            (93, vec![0, 7]),
        ],
    );
    let offer = exchange(&sock, dhcp, &discover, xid).expect("an OFFER to the PXE firmware");
    assert_eq!(offer.message_type(), Some(MessageType::Offer));
    let file = offer.file.split(|b| *b == 0).next().unwrap_or_default();
    assert_eq!(
        file,
        b"ipxe.efi",
        "boot file {:?}",
        String::from_utf8_lossy(file)
    );
    assert_eq!(offer.siaddr, Ipv4Addr::LOCALHOST);
    let booting =
        u32::from(Ipv4Addr::new(127, 0, 0, 100))..=u32::from(Ipv4Addr::new(127, 0, 0, 149));
    assert!(
        booting.contains(&u32::from(offer.yiaddr)),
        "{} is not from the booting machines' pool",
        offer.yiaddr
    );

    let expected = std::fs::read(repo().join("examples/boot-root/hello.txt")).expect("hello.txt");
    assert_eq!(
        curl(&format!("tftp://127.0.0.1:{tftp}/hello.txt")),
        expected
    );
    assert_eq!(
        curl(&format!("http://127.0.0.1:{http}/hello.txt")),
        expected
    );
    let script = curl(&format!("http://127.0.0.1:{http}/boot.ipxe"));
    assert!(script.starts_with(b"#!ipxe"), "not an iPXE script");
}
