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

const CLASS: &str = "[[class]]\nname = \"pxe\"\n";

#[test]
fn classes_parse_in_file_order() {
    let c = load(
        "[server]\npxe_port = 4012\n\
         [[class]]\nname = \"ipxe\"\nuser_class = \"iPXE\"\nipxe = true\nboot_file = \"http://198.18.0.1/boot.ipxe\"\n\
         [[class]]\nname = \"uefi_x64-1\"\narch = [\"efi-x64\", 7, \"EFI_X64_HTTP\"]\nvendor_class = \"PXEClient\"\n\
         hw_address_prefix = \"52:54:00\"\ncircuit_id = \"eth0/1\"\nremote_id = \"0x0102\"\nsubnet = \"198.18.0.0/16\"\n\
         next_server = \"198.18.0.1\"\nserver_name = \"boot1\"\ndeny = false\n\
         [class.options]\nvendor_class_identifier = \"HTTPClient\"\n\
         [[subnet]]\nsubnet = \"198.18.0.0/24\"\n[[subnet.pool]]\nrange = \"198.18.0.10-198.18.0.20\"\nclasses = [\"uefi_x64-1\", \"ipxe\"]\n\
         [[subnet]]\nsubnet = \"198.18.1.0/24\"\nproxy = true\n",
    );
    assert_eq!(c.server.pxe_port, 4012);
    assert_eq!(c.classes.len(), 2);
    let (a, b) = (&c.classes[0], &c.classes[1]);
    assert_eq!(a.name, "ipxe");
    assert_eq!(a.matcher.user_class.as_deref(), Some(&b"iPXE"[..]));
    assert_eq!(a.matcher.ipxe, Some(true));
    assert_eq!(b.matcher.arch, vec![7, 7, 16]);
    assert_eq!(b.matcher.vendor_class.as_deref(), Some(&b"PXEClient"[..]));
    assert_eq!(
        b.matcher.hw_address_prefix.as_deref(),
        Some(&[0x52, 0x54, 0][..])
    );
    assert_eq!(b.matcher.circuit_id.as_deref(), Some(&b"eth0/1"[..]));
    assert_eq!(b.matcher.remote_id.as_deref(), Some(&[1, 2][..]));
    assert_eq!(
        b.matcher.subnet.map(|n| n.to_string()).as_deref(),
        Some("198.18.0.0/16")
    );
    assert_eq!(b.server_name.as_deref(), Some("boot1"));
    assert_eq!(
        b.options.get(&60).map(Vec::as_slice),
        Some(&b"HTTPClient"[..])
    );
    assert_eq!(c.subnets[0].pools[0].classes, Some(vec![1, 0]));
    assert!(!c.subnets[0].proxy && c.subnets[1].proxy);
    assert!(c.has_proxy());
    assert_eq!(load("").server.pxe_port, 4011);
    assert!(!load("").has_proxy());
}

#[test]
fn class_errors() {
    let net = "[[subnet]]\nsubnet = \"198.18.0.0/24\"\n";
    let rows: &[(&str, String, usize, usize, &str)] = &[
        ("unknown class key", format!("{CLASS}arch = [0]\ncolour = 1\n"), 4, 1, "unknown field `colour`"),
        ("no name", "[[class]]\narch = [0]\n".into(), 1, 1, "missing field `name`"),
        ("bad name", "[[class]]\nname = \"a b\"\narch = [0]\n".into(), 2, 8, "letters, digits"),
        ("no match key", format!("{CLASS}boot_file = \"x\"\n"), 2, 8, "has no match key"),
        ("empty arch", format!("{CLASS}arch = []\n"), 3, 8, "at least one architecture"),
        ("unknown arch name", format!("{CLASS}arch = [\"efi-x65\"]\n"), 3, 9, "unknown architecture \"efi-x65\""),
        ("arch out of range", format!("{CLASS}arch = [0, 65536]\n"), 3, 12, "not a number in 0..=65535"),
        ("arch wrong type", format!("{CLASS}arch = [true]\n"), 3, 8, "did not match any variant"),
        ("duplicate name", format!("{CLASS}arch = [0]\n{CLASS}arch = [7]\n"), 5, 8, "class \"pxe\" is defined twice"),
        ("bad hex prefix", format!("{CLASS}hw_address_prefix = \"52:zz\"\n"), 3, 21, "hw_address_prefix"),
        ("prefix too long", format!("{CLASS}hw_address_prefix = \"01:02:03:04:05:06:07\"\n"), 3, 21, "1 to 6 hex bytes"),
        ("bad circuit hex", format!("{CLASS}circuit_id = \"0x0\"\n"), 3, 14, "even number of hex digits"),
        ("bad remote id", format!("{CLASS}remote_id = \"\"\n"), 3, 13, "1–255 bytes"),
        ("bad user class hex", format!("{CLASS}user_class = \"0xzz\"\n"), 3, 14, "hex digits"),
        ("empty vendor class", format!("{CLASS}vendor_class = \"\"\n"), 3, 16, "must not be empty"),
        ("bad cidr", format!("{CLASS}subnet = \"198.18.0.0/40\"\n"), 3, 10, "not an IPv4 network"),
        ("cidr host bits", format!("{CLASS}subnet = \"198.18.0.1/24\"\n"), 3, 10, "host bits"),
        ("bad next_server", format!("{CLASS}arch = [0]\nnext_server = \"boot\"\n"), 4, 15, "not an IPv4 address"),
        ("boot_file too long", format!("{CLASS}arch = [0]\nboot_file = \"{}\"\n", "x".repeat(128)), 4, 13, "longer than 127"),
        ("bad class option", format!("{CLASS}arch = [0]\n[class.options]\nrouter = \"x\"\n"), 5, 10, "bad value for option 3"),
        ("managed class option", format!("{CLASS}arch = [0]\n[class.options]\ndhcp-lease-time = 5\n"), 5, 19, "cannot be configured"),
        ("pool names unknown class", format!("{CLASS}arch = [0]\n{net}[[subnet.pool]]\nrange = \"198.18.0.10-198.18.0.20\"\nclasses = [\"pxe\", \"ipxe\"]\n"), 8, 19, "no [[class]] is named \"ipxe\""),
        ("pool with empty classes", format!("{net}[[subnet.pool]]\nrange = \"198.18.0.10-198.18.0.20\"\nclasses = []\n"), 5, 11, "at least one class"),
        ("proxy with pool", format!("{net}proxy = true\n[[subnet.pool]]\nrange = \"198.18.0.10-198.18.0.20\"\n"), 3, 9, "cannot have pools"),
        ("proxy with reservation", format!("{net}proxy = true\n[[subnet.reservation]]\nhw_address = \"52:54:00:00:00:01\"\naddress = \"198.18.0.5\"\n"), 3, 9, "cannot have reservations"),
        ("proxy on a shared network", format!("{net}proxy = true\nshared_network = \"x\"\n"), 3, 9, "cannot have a shared_network"),
        ("pxe_port 0", "[server]\npxe_port = 0\n".into(), 2, 12, "pxe_port must be a port other"),
        ("pxe_port = server_port", "[server]\nserver_port = 1067\npxe_port = 1067\n".into(), 3, 12, "server_port"),
    ];
    for (name, text, line, col, reason) in rows {
        refused(name, text, *line, *col, reason);
    }
}
