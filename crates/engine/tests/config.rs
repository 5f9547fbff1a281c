//! Configuration loading: a full example parses; every error class names file, line and reason.

use leasehold_engine::config::ConfigError;
use leasehold_engine::{ClientKey, Config};
use std::net::Ipv4Addr;
use std::path::Path;

const FULL: &str = r#"
[server]
interfaces = ["eth0", "eth1"]
server_port = 1067
client_port = 1068
server_id = "198.18.0.1"
lease_time = 7200
renewal_time = 3000
rebinding_time = 6000
min_lease_time = 600
max_lease_time = 86400
offer_hold = 20
probation_time = 1800
authoritative = false
bootp_lease_time = "infinite"
dynamic_bootp = true
always_send = ["ntp-servers", 42]

[server.options]
domain-name-servers = ["198.18.0.1", "198.18.0.2"]
domain-name = "example.test"
42 = "198.18.0.123"

[[subnet]]
subnet = "198.18.0.0/24"
id = 10
interface = "eth0"
next_server = "198.18.0.1"
boot_file = "pxelinux.0"
server_name = "boot"
lease_time = 3600
[subnet.options]
router = "198.18.0.1"
[[subnet.pool]]
range = "198.18.0.100-198.18.0.200"
exclude = ["198.18.0.150"]
[subnet.pool.options]
domain-name = "pool.example.test"
[[subnet.pool]]
start = "198.18.0.201"
end = "198.18.0.210"
[[subnet.reservation]]
hw_address = "52:54:00:00:00:01"
address = "198.18.0.10"
hostname = "printer"
[[subnet.reservation]]
client_id = "01:52:54:00:00:00:02"
address = "198.18.0.11"
[subnet.reservation.options]
domain-name = "host.example.test"

[[subnet]]
subnet = "198.18.1.0/24"
shared_network = "lan1"
[[subnet]]
subnet = "198.18.2.0/24"
shared_network = "lan1"
"#;

#[test]
fn full_example_parses() {
    let c = Config::from_toml(FULL, Path::new("full.toml")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.server.server_port, 1067);
    assert_eq!(c.server.server_id, Some(Ipv4Addr::new(198, 18, 0, 1)));
    assert_eq!(c.server.bootp_lease_time, None);
    assert!(!c.server.authoritative && c.server.dynamic_bootp);
    assert_eq!(c.server.always_send, vec![42, 42]);
    assert_eq!(c.server.options.get(&6).map(Vec::len), Some(8));
    let s = &c.subnets[0];
    assert_eq!(
        (s.id, s.lease.lease_time, s.lease.renewal_time),
        (10, 3600, None),
        "T1 not inherited past a new lease_time"
    );
    assert_eq!(c.subnets[1].lease.renewal_time, Some(3000));
    assert_eq!(s.pools.len(), 2);
    assert_eq!(s.pools[1].id, 1);
    assert_eq!(
        s.reservations[1].key.client(),
        Some(&ClientKey::ClientId(vec![1, 0x52, 0x54, 0, 0, 0, 2]))
    );
    assert_eq!(
        s.reservations[0].options.get(&12).map(Vec::as_slice),
        Some(&b"printer"[..])
    );
    assert_eq!(c.link(1), &[1, 2]);
    assert_eq!(c.subnet_for(Ipv4Addr::new(198, 18, 2, 9)), Some(2));
    assert_eq!(c.subnet_for(Ipv4Addr::new(198, 18, 3, 9)), None);
}

#[test]
fn empty_file_is_valid() {
    let c = Config::from_toml("", Path::new("e.toml")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (
            c.server.server_port,
            c.server.lease.lease_time,
            c.server.offer_hold
        ),
        (67, 3600, 30)
    );
    assert!(c.server.authoritative);
}

/// Each row: what is wrong, the file, the expected line, and a fragment of the reason.
#[test]
fn errors_name_line_and_reason() {
    let base = "[server]\nlease_time = 3600\n\n[[subnet]]\nsubnet = \"198.18.0.0/24\"\n";
    let rows: &[(&str, String, usize, &str)] = &[
        ("syntax error", "[server\n".into(), 1, "expected `]`"),
        ("unknown store backend", "[store]\nbackend = \"mysql\"\n".into(), 2, "use \"sqlite\" or \"postgres\""),
        ("postgres without url", "[store]\nbackend = \"postgres\"\n".into(), 2, "needs url"),
        ("url for sqlite", "[store]\nurl = \"postgresql://db/x\"\n".into(), 2, "url is for backend = \"postgres\""),
        ("url not a URL", "[store]\nbackend = \"postgres\"\nurl = \"db.example\"\n".into(), 3, "PostgreSQL URL"),
        ("bad store server_id", "[store]\nserver_id = \"a b\"\n".into(), 2, "server_id"),
        ("affinity out of range", "[store]\naffinity = \"3/2\"\n".into(), 2, "K/N"),
        ("unknown key", format!("{base}colour = \"blue\"\n"), 6, "unknown field `colour`"),
        ("unknown key in server", "[server]\nlease_tme = 5\n".into(), 2, "unknown field `lease_tme`"),
        ("wrong type", "[server]\nlease_time = \"long\"\n".into(), 2, "invalid type"),
        ("bad server_id", "[server]\nserver_id = \"1.2.3\"\n".into(), 2, "not an IPv4 address"),
        ("commit delay too long", "[server]\n\ncommit_delay_us = 100001\n".into(), 3, "commit_delay_us must be at most"),
        ("coalescing window too long", "[server]\ncoalesce_us = 10001\n".into(), 2, "coalesce_us must be at most"),
        ("negative history retention", "[server]\nhistory_retention = -1\n".into(), 2, "invalid value"),
        ("bad subnet", "[[subnet]]\nsubnet = \"198.18.0.0/33\"\n".into(), 2, "not an IPv4 network"),
        ("host bits", "[[subnet]]\nsubnet = \"198.18.0.1/24\"\n".into(), 2, "host bits"),
        ("range start > end", format!("{base}[[subnet.pool]]\nrange = \"198.18.0.20-198.18.0.10\"\n"), 7, "after its end"),
        ("pool outside subnet", format!("{base}[[subnet.pool]]\nrange = \"198.18.0.10-198.18.1.10\"\n"), 7, "outside its subnet"),
        ("pool has broadcast", format!("{base}[[subnet.pool]]\nrange = \"198.18.0.10-198.18.0.255\"\n"), 7, "broadcast"),
        ("pools overlap", format!("{base}[[subnet.pool]]\nrange = \"198.18.0.10-198.18.0.20\"\n[[subnet.pool]]\nrange = \"198.18.0.15-198.18.0.30\"\n"), 9, "overlaps pool"),
        ("exclude outside pool", format!("{base}[[subnet.pool]]\nrange = \"198.18.0.10-198.18.0.20\"\nexclude = [\"198.18.0.99\"]\n"), 8, "outside its pool"),
        ("subnets overlap", format!("{base}[[subnet]]\nsubnet = \"198.18.0.128/25\"\n"), 7, "subnet 198.18.0.128/25 overlaps subnet 198.18.0.0/24"),
        ("reservation outside subnet", format!("{base}[[subnet.reservation]]\nhw_address = \"52:54:00:00:00:01\"\naddress = \"198.18.5.1\"\n"), 8, "outside its subnet"),
        ("reservation duplicated", format!("{base}[[subnet.reservation]]\nhw_address = \"52:54:00:00:00:01\"\naddress = \"198.18.0.5\"\n[[subnet.reservation]]\nhw_address = \"52:54:00:00:00:02\"\naddress = \"198.18.0.5\"\n"), 11, "reserved twice"),
        ("reservation client duplicated", format!("{base}[[subnet.reservation]]\nhw_address = \"52:54:00:00:00:01\"\naddress = \"198.18.0.5\"\n[[subnet.reservation]]\nhw_address = \"52:54:00:00:00:01\"\naddress = \"198.18.0.6\"\n"), 11, "two reservations"),
        ("bad hw address", format!("{base}[[subnet.reservation]]\nhw_address = \"52:54:zz\"\naddress = \"198.18.0.5\"\n"), 7, "hw_address"),
        ("T1 >= lease", "[server]\nlease_time = 100\nrenewal_time = 100\n".into(), 3, "renewal_time (T1) 100 must be less than lease_time"),
        ("T1 >= T2", "[server]\nlease_time = 100\nrenewal_time = 80\nrebinding_time = 70\n".into(), 3, "less than rebinding_time"),
        ("T2 >= lease", "[server]\nlease_time = 100\nrebinding_time = 100\n".into(), 3, "rebinding_time (T2) 100"),
        ("subnet T1 vs inherited lease", format!("{base}renewal_time = 4000\n"), 6, "must be less than lease_time 3600"),
        ("unknown option name", "[server.options]\nfrobnicate = \"1\"\n".into(), 2, "unknown option name \"frobnicate\""),
        ("bad option value", "[server.options]\nrouter = \"not-an-ip\"\n".into(), 2, "bad value for option 3"),
        ("managed option", "[server.options]\ndhcp-lease-time = 5\n".into(), 2, "cannot be configured"),
        ("bad bootp_lease_time", "[server]\nbootp_lease_time = \"forever\"\n".into(), 2, "infinite"),
        ("duplicate subnet id", "[[subnet]]\nsubnet = \"198.18.0.0/24\"\nid = 7\n[[subnet]]\nsubnet = \"198.18.1.0/24\"\nid = 7\n".into(), 6, "subnet id 7 is already used by subnet 198.18.0.0/24"),
    ];
    for (name, text, line, reason) in rows {
        let err = Config::from_toml(text, Path::new("/etc/leasehold.toml"))
            .err()
            .unwrap_or_else(|| panic!("{name}: accepted"));
        let shown = err.to_string();
        assert!(
            shown.starts_with(&format!("/etc/leasehold.toml:{line}:")),
            "{name}: {shown}"
        );
        assert!(shown.contains(reason), "{name}: {shown}");
    }
}

#[test]
fn io_error_names_file() {
    let Err(err) = Config::load(Path::new("/nonexistent/leasehold.toml")) else {
        panic!("loaded a missing file")
    };
    assert!(matches!(err, ConfigError::Io { .. }));
    assert!(
        err.to_string().starts_with("/nonexistent/leasehold.toml: "),
        "{err}"
    );
}
