//! `[tftp]`, `[http_boot]` and `[[class]]` configuration: defaults, values, and every error
//! located at `FILE:LINE:COL`.

use leasehold_engine::Config;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

fn load(text: &str) -> Config {
    Config::from_toml(text, Path::new("boot.toml")).unwrap_or_else(|e| panic!("{e}"))
}

/// Asserts `text` is refused at `line:col` with `reason` in the message.
fn refused(name: &str, text: &str, line: usize, col: usize, reason: &str) {
    let err = Config::from_toml(text, Path::new("/etc/leasehold.toml"))
        .err()
        .unwrap_or_else(|| panic!("{name}: accepted"));
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!("/etc/leasehold.toml:{line}:{col}: ")),
        "{name}: {shown}"
    );
    assert!(shown.contains(reason), "{name}: {shown}");
}

#[test]
fn boot_services_are_off_without_their_tables() {
    let c = load("");
    assert_eq!((c.tftp, c.http_boot), (None, None));
}

#[test]
fn tftp_defaults() {
    let c = load("[tftp]\nroot = \"/srv/tftp\"\n");
    let t = c.tftp.unwrap_or_else(|| panic!("no [tftp]"));
    assert_eq!(t.root, PathBuf::from("/srv/tftp"));
    assert_eq!(
        t.listen,
        "0.0.0.0:69"
            .parse::<SocketAddr>()
            .ok()
            .unwrap_or_else(|| panic!())
    );
    assert!(t.interfaces.is_empty());
    assert_eq!(t.upload_dir, None);
    assert_eq!(
        (
            t.max_transfers,
            t.max_transfers_per_client,
            t.timeout,
            t.retries
        ),
        (64, 4, 2, 5)
    );
    assert_eq!((t.max_blksize, t.max_windowsize), (1468, 16));
    assert_eq!(c.http_boot, None);
}

#[test]
fn tftp_and_http_boot_values() {
    let c = load(
        "[tftp]\nroot = \"examples/boot-root\"\nlisten = \"127.0.0.1:1069\"\ninterfaces = [\"eth0\"]\n\
         upload_dir = \"/srv/up\"\nmax_transfers = 8\nmax_transfers_per_client = 2\ntimeout = 1\n\
         retries = 0\nmax_blksize = 65464\nmax_windowsize = 64\n\
         [http_boot]\nlisten = \"127.0.0.1:8069\"\n",
    );
    let t = c.tftp.unwrap_or_else(|| panic!("no [tftp]"));
    assert_eq!(t.root, PathBuf::from("examples/boot-root"));
    assert_eq!(t.listen.to_string(), "127.0.0.1:1069");
    assert_eq!(t.interfaces, vec!["eth0".to_string()]);
    assert_eq!(t.upload_dir, Some(PathBuf::from("/srv/up")));
    assert_eq!(
        (
            t.max_transfers,
            t.max_transfers_per_client,
            t.timeout,
            t.retries
        ),
        (8, 2, 1, 0)
    );
    assert_eq!((t.max_blksize, t.max_windowsize), (65464, 64));
    let h = c.http_boot.unwrap_or_else(|| panic!("no [http_boot]"));
    assert_eq!(h.root, t.root, "http_boot.root defaults to tftp.root");
    assert_eq!(h.listen.to_string(), "127.0.0.1:8069");
}

#[test]
fn http_boot_alone_with_its_own_root() {
    let c = load("[http_boot]\nroot = \"/srv/http\"\nlisten = \"[::1]:8080\"\n");
    let h = c.http_boot.unwrap_or_else(|| panic!("no [http_boot]"));
    assert_eq!(h.root, PathBuf::from("/srv/http"));
    assert_eq!(h.listen.port(), 8080);
    assert_eq!(c.tftp, None);
}

#[test]
fn tftp_and_http_boot_errors() {
    let t = "[tftp]\nroot = \"/srv/tftp\"\n";
    refused(
        "tftp without root",
        "\n[tftp]\nlisten = \"0.0.0.0:69\"\n",
        2,
        1,
        "needs root",
    );
    refused(
        "empty root",
        "[tftp]\nroot = \"\"\n",
        2,
        8,
        "must name a directory",
    );
    refused(
        "unknown tftp key",
        &format!("{t}blocksize = 512\n"),
        3,
        1,
        "unknown field `blocksize`",
    );
    refused(
        "bad listen",
        &format!("{t}listen = \"0.0.0.0\"\n"),
        3,
        10,
        "not an address:port",
    );
    refused(
        "zero transfers",
        &format!("{t}max_transfers = 0\n"),
        3,
        17,
        "max_transfers must be between 1 and",
    );
    refused(
        "zero per client",
        &format!("{t}max_transfers_per_client = 0\n"),
        3,
        28,
        "max_transfers_per_client must be between 1",
    );
    refused(
        "timeout 0",
        &format!("{t}timeout = 0\n"),
        3,
        11,
        "timeout must be between 1 and 255",
    );
    refused(
        "timeout 256",
        &format!("{t}timeout = 256\n"),
        3,
        11,
        "timeout must be between 1 and 255",
    );
    refused(
        "negative retries",
        &format!("{t}retries = -1\n"),
        3,
        11,
        "retries must be between 0 and 100",
    );
    refused(
        "blksize too big",
        &format!("{t}max_blksize = 65465\n"),
        3,
        15,
        "max_blksize must be between 8 and 65464",
    );
    refused(
        "blksize too small",
        &format!("{t}max_blksize = 7\n"),
        3,
        15,
        "max_blksize must be between 8",
    );
    refused(
        "windowsize too big",
        &format!("{t}max_windowsize = 65\n"),
        3,
        18,
        "max_windowsize must be between 1 and 64",
    );
    refused(
        "bad interface",
        &format!("{t}interfaces = [\"\"]\n"),
        3,
        15,
        "not an interface name",
    );
    refused(
        "http_boot without root or tftp",
        "[http_boot]\nlisten = \"0.0.0.0:8080\"\n",
        1,
        1,
        "needs root",
    );
    refused(
        "http_boot without listen",
        &format!("{t}[http_boot]\n"),
        3,
        1,
        "needs listen",
    );
    refused(
        "http_boot bad listen",
        &format!("{t}[http_boot]\nlisten = \"localhost:80\"\n"),
        4,
        10,
        "not an address:port",
    );
    refused(
        "unknown http_boot key",
        &format!("{t}[http_boot]\nlisten = \"0.0.0.0:80\"\nport = 80\n"),
        5,
        1,
        "unknown field `port`",
    );
}
