//! The ISC dhcpd importer, construct by construct: every configuration it writes is read back
//! by Leasehold's own configuration parser, and every construct it cannot carry is a finding at
//! its line.

use leasehold_engine::{ClientKey, Config, LeaseState, INFINITE};
use leasehold_migrate::{dhcpd, ImportError, Imported, MemFiles, OptionValue};
use leasehold_wire::HwAddr;
use std::net::Ipv4Addr;
use std::path::Path;

/// 2027-01-15 08:00:00 UTC.
const NOW: u64 = 1_800_000_000;

fn import(conf: &str, leases: Option<&str>) -> Result<Imported, ImportError> {
    import_with(MemFiles::new(), conf, leases)
}

fn import_with(files: MemFiles, conf: &str, leases: Option<&str>) -> Result<Imported, ImportError> {
    let mut files = files.with("dhcpd.conf", conf);
    if let Some(l) = leases {
        files = files.with("dhcpd.leases", l);
    }
    dhcpd::import(
        &files,
        Path::new("dhcpd.conf"),
        leases.map(|_| Path::new("dhcpd.leases")),
        NOW,
    )
}

/// Imports and checks the written configuration with Leasehold's parser.
fn checked(conf: &str) -> (Imported, Config, String) {
    let imported = import(conf, None).unwrap_or_else(|e| panic!("{e}"));
    let text = imported.config.to_toml();
    let cfg = Config::from_toml(&text, Path::new("imported.toml"))
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    (imported, cfg, text)
}

/// The lines with findings, in order, each once.
fn lines(i: &Imported) -> Vec<u32> {
    let mut l: Vec<u32> = i.report.findings.iter().map(|f| f.line).collect();
    l.sort_unstable();
    l.dedup();
    l
}

fn a(s: &str) -> Ipv4Addr {
    s.parse().expect("address")
}

#[test]
fn subnets_ranges_pools_options_and_times() {
    let (i, cfg, text) = checked(
        r#"# global
option domain-name "example.test";
option domain-name-servers 198.18.0.53, 198.18.0.54;
default-lease-time 600;
max-lease-time 7200;
min-lease-time 60;
authoritative;
ddns-update-style none;

subnet 198.18.0.0 netmask 255.255.255.0 {
  range 198.18.0.100 198.18.0.149;
  option routers 198.18.0.1;
  option interface-mtu 1500;
  default-lease-time 300;
  next-server 198.18.0.2;
  filename "pxelinux.0";
  server-name "boot";
  pool {
    range 198.18.0.150 198.18.0.199;
    option domain-name "pool.test";
  }
}
subnet 198.18.1.0 netmask 255.255.255.0 {
  range 198.18.1.10;
}
"#,
    );
    assert!(i.report.findings.is_empty(), "{:?}", i.report.findings);
    let p = &i.config;
    assert_eq!(p.server.lease_time, Some(600));
    assert_eq!(p.server.max_lease_time, Some(7200));
    assert_eq!(p.server.min_lease_time, Some(60));
    assert_eq!(p.server.authoritative, Some(true));
    assert_eq!(p.server.options.len(), 2);
    let s = &p.subnets[0];
    assert_eq!(s.net.to_string(), "198.18.0.0/24");
    assert_eq!(s.lease_time, Some(300));
    assert_eq!(s.next_server, Some(a("198.18.0.2")));
    assert_eq!(s.boot_file.as_deref(), Some("pxelinux.0"));
    assert_eq!(s.server_name.as_deref(), Some("boot"));
    assert_eq!(s.pools.len(), 2);
    assert_eq!(
        s.pools[1].options[0].value,
        OptionValue::Text("pool.test".into())
    );
    assert_eq!(p.subnets[1].pools[0].start, p.subnets[1].pools[0].end);
    assert_eq!(cfg.subnets.len(), 2);
    assert!(text.contains("# from dhcpd.conf:12"), "{text}");
}

#[test]
fn dhcpd_is_not_authoritative_unless_told() {
    let (i, _, _) = checked("subnet 198.18.0.0 netmask 255.255.255.0 { }\n");
    assert_eq!(i.config.server.authoritative, Some(false));
    let (i, _, _) = checked(
        "subnet 198.18.0.0 netmask 255.255.255.0 { authoritative; }\n\
         subnet 198.18.1.0 netmask 255.255.255.0 { authoritative; }\n",
    );
    assert_eq!(i.config.server.authoritative, Some(true));
    assert!(i.report.findings.is_empty());
    let (i, _, _) = checked(
        "not authoritative;\nsubnet 198.18.0.0 netmask 255.255.255.0 { authoritative; }\n\
         subnet 198.18.1.0 netmask 255.255.255.0 { }\n",
    );
    assert_eq!(i.config.server.authoritative, Some(false));
    assert_eq!(lines(&i), vec![2]);
}

#[test]
fn shared_networks_groups_and_inherited_boot_values() {
    let (i, _, _) = checked(
        r#"filename "global.0";
next-server 198.18.0.9;
shared-network "lab" {
  option domain-name "lab.test";
  subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.10 198.18.0.20; }
  subnet 198.18.1.0 netmask 255.255.255.0 { filename "own.0"; }
}
group {
  default-lease-time 900;
  option ntp-servers 198.18.0.123;
  subnet 198.18.2.0 netmask 255.255.255.0 { }
  host printer {
    hardware ethernet 52:54:00:00:00:01;
    fixed-address 198.18.2.5;
  }
}
"#,
    );
    assert!(i.report.findings.is_empty(), "{:?}", i.report.findings);
    let s = &i.config.subnets;
    assert_eq!(s[0].shared_network.as_deref(), Some("lab"));
    assert_eq!(s[1].shared_network.as_deref(), Some("lab"));
    assert_eq!(s[0].options[0].name, "domain-name");
    assert_eq!(s[0].boot_file.as_deref(), Some("global.0"));
    assert_eq!(s[1].boot_file.as_deref(), Some("own.0"));
    assert_eq!(s[1].next_server, Some(a("198.18.0.9")));
    assert_eq!(s[2].lease_time, Some(900));
    assert_eq!(s[2].options[0].name, "ntp-servers");
    let r = &s[2].reservations[0];
    assert_eq!(r.hw_address.as_deref(), Some("52:54:00:00:00:01"));
    assert_eq!(
        r.options[0].name, "ntp-servers",
        "the group's options reach the host"
    );
}

#[test]
fn hosts_become_reservations_in_the_subnet_of_their_address() {
    let (i, cfg, _) = checked(
        r#"use-host-decl-names on;
host early {
  hardware ethernet 52:54:00:00:00:01;
  fixed-address 198.18.0.5;
  filename "host.0";
  next-server 198.18.0.3;
  option domain-name "host.test";
}
subnet 198.18.0.0 netmask 255.255.255.0 {
  range 198.18.0.100 198.18.0.199;
  host byid {
    option dhcp-client-identifier "\001RT\000\000\000\002";
    fixed-address 198.18.0.6;
    option host-name "named";
  }
  host hexid {
    option dhcp-client-identifier 1:52:54:0:0:0:3;
    fixed-address 198.18.0.7;
  }
}
host byname { hardware ethernet 52:54:00:00:00:04; fixed-address printer.example.test; }
host nowhere { hardware ethernet 52:54:00:00:00:05; fixed-address 203.0.113.5; }
host nothing { fixed-address 198.18.0.8; }
"#,
    );
    let rs = &i.config.subnets[0].reservations;
    assert_eq!(rs.len(), 3, "{rs:?}");
    assert_eq!(rs[0].address, Some(a("198.18.0.5")));
    assert_eq!(rs[0].boot_file.as_deref(), Some("host.0"));
    assert_eq!(rs[0].next_server, Some(a("198.18.0.3")));
    assert_eq!(rs[0].hostname.as_deref(), Some("early"));
    assert_eq!(rs[1].client_id.as_deref(), Some("01:52:54:00:00:00:02"));
    assert_eq!(rs[1].hostname.as_deref(), Some("named"));
    assert_eq!(rs[2].client_id.as_deref(), Some("01:52:54:00:00:00:03"));
    assert_eq!(lines(&i), vec![21, 22, 23]);
    assert_eq!(cfg.subnets[0].reservations.len(), 3);
}

#[test]
fn option_definitions_and_unknown_codes() {
    let (i, _, text) = checked(
        r#"option rfc3442-classless-static-routes code 121 = array of integer 8;
option site-local code 224 = text;
option ms-classless code 249 = array of unsigned integer 8;
subnet 198.18.0.0 netmask 255.255.255.0 {
  option rfc3442-classless-static-routes 24, 198, 18, 5, 198, 18, 0, 1;
  option site-local "si";
  option domain-name-servers ns1.example.test;
  option dhcp-lease-time 600;
  option vendor-class-identifier "PXEClient";
}
"#,
    );
    let s = &i.config.subnets[0];
    let names: Vec<&str> = s.options.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(
        names,
        vec!["classless-static-route", "224", "vendor-class-identifier"]
    );
    assert_eq!(lines(&i), vec![7, 8]);
    assert!(text.contains("224 = \"73:69\""), "{text}");
}

#[test]
fn includes_are_read_with_their_own_lines() {
    let files = MemFiles::new()
        .with(
            "/etc/dhcp/subnets.conf",
            "subnet 198.18.0.0 netmask 255.255.255.0 {\n  include \"/etc/dhcp/range.conf\";\n}\n",
        )
        .with(
            "/etc/dhcp/range.conf",
            "\n\nrange 198.18.0.10 198.18.0.20;\nfrobnicate;\n",
        );
    let i = import_with(files, "include \"/etc/dhcp/subnets.conf\";\n", None).expect("imports");
    assert_eq!(i.config.subnets[0].pools.len(), 1);
    assert_eq!(i.config.subnets[0].pools[0].origin.line, 3);
    assert_eq!(i.report.findings.len(), 1);
    assert_eq!(
        i.report.findings[0].to_string().split(": ").next(),
        Some("/etc/dhcp/range.conf:4")
    );
    assert_eq!(i.report.total_lines(), 1 + 3 + 2);
    let e = import("include \"/missing.conf\";\n", None).expect_err("missing include");
    assert!(e.to_string().starts_with("/missing.conf"), "{e}");
    let e = import_with(
        MemFiles::new().with("loop.conf", "include \"loop.conf\";"),
        "include \"loop.conf\";",
        None,
    )
    .expect_err("cycle");
    assert!(e.to_string().contains("nested"), "{e}");
}

#[test]
fn classes_and_if_statements_become_leasehold_classes() {
    let (i, cfg, text) = checked(
        r#"option space ipxe;
option ipxe.bus-id code 177 = string;
option arch code 93 = unsigned integer 16;
class "pxe" {
  match if substring(option vendor-class-identifier, 0, 9) = "PXEClient";
  next-server 198.18.0.2;
}
class "vms" { match if substring(hardware, 1, 3) = 52:54:00; }
class "weird" { match if option host-name ~~ "^a"; }
subnet 198.18.0.0 netmask 255.255.255.0 {
  if exists user-class and option user-class = "iPXE" {
    filename "http://198.18.0.2/boot.ipxe";
  } elsif option arch = 00:07 or option arch = 00:09 {
    filename "ipxe.efi";
  } else {
    filename "undionly.kpxe";
  }
  pool {
    range 198.18.0.100 198.18.0.149;
    allow members of "pxe";
  }
  pool {
    range 198.18.0.150 198.18.0.199;
    deny unknown-clients;
  }
  pool {
    range 198.18.0.200 198.18.0.209;
    allow members of "weird";
  }
}
if exists ipxe.bus-id { option domain-name "ipxe.test"; }
"#,
    );
    let c = &i.config.classes;
    let names: Vec<&str> = c.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        vec!["pxe", "vms", "if-11", "if-13", "if-31", "known"],
        "{text}"
    );
    assert_eq!(c[0].vendor_class.as_deref(), Some("PXEClient"));
    assert_eq!(c[0].next_server, Some(a("198.18.0.2")));
    assert_eq!(c[1].hw_address_prefix.as_deref(), Some("52:54:00"));
    assert_eq!(c[2].user_class.as_deref(), Some("iPXE"));
    assert_eq!(
        c[2].boot_file.as_deref(),
        Some("http://198.18.0.2/boot.ipxe")
    );
    assert_eq!(c[3].arch, vec![7, 9]);
    assert_eq!(c[4].ipxe, Some(true));
    assert_eq!(c[5].known, Some(true));
    let s = &i.config.subnets[0];
    assert_eq!(
        s.boot_file.as_deref(),
        Some("undionly.kpxe"),
        "else → subnet default"
    );
    assert_eq!(s.pools[0].classes, vec!["pxe".to_string()]);
    assert_eq!(s.pools[1].classes, vec!["known".to_string()]);
    assert!(s.pools[2].classes.is_empty());
    assert_eq!(lines(&i), vec![9, 28]);
    assert_eq!(cfg.classes.len(), 6);
}

#[test]
fn deny_booting_hosts_and_dynamic_bootp() {
    let (i, _, _) = checked(
        r#"subnet 198.18.0.0 netmask 255.255.255.0 {
  range dynamic-bootp 198.18.0.10 198.18.0.20;
}
host blocked { hardware ethernet 52:54:00:00:00:66; deny booting; }
host boots { hardware ethernet 52:54:00:00:00:67; filename "special.0"; }
"#,
    );
    assert_eq!(i.config.server.dynamic_bootp, Some(true));
    let c = &i.config.classes;
    assert_eq!(c[0].name, "deny-blocked");
    assert!(c[0].deny);
    assert_eq!(c[0].hw_address_prefix.as_deref(), Some("52:54:00:00:00:66"));
    assert_eq!(c[1].boot_file.as_deref(), Some("special.0"));
    assert!(i.report.findings.is_empty(), "{:?}", i.report.findings);
}

#[test]
fn what_is_not_carried_is_reported_at_its_line() {
    let i = import(
        r#"ddns-update-style interim;
log-facility local7;
failover peer "pair" {
  primary;
}
key k { algorithm hmac-md5; secret "x"; }
zone example.test. { primary 127.0.0.1; key k; }
on commit { set x = "y"; }
omapi-port 7911;
subnet 198.18.0.0 netmask 255.255.255.0 {
  pool {
    failover peer "pair";
    range 198.18.0.10 198.18.0.20;
    deny dynamic bootp clients;
    allow client-updates;
  }
  range 203.0.113.1 203.0.113.9;
}
subnet6 2001:db8::/64 { }
"#,
        None,
    )
    .expect("imports");
    assert_eq!(lines(&i), vec![1, 2, 3, 6, 7, 8, 9, 12, 15, 17, 19]);
    assert!(i
        .report
        .findings
        .iter()
        .any(|f| f.line == 3 && f.what.contains("failover")));
    assert_eq!(i.config.subnets[0].pools.len(), 1);
}

#[test]
fn syntax_errors_name_file_and_line() {
    let e = import(
        "subnet 198.18.0.0 netmask 255.255.255.0 {\n range 198.18.0.1 198.18.0.2;\n",
        None,
    )
    .expect_err("truncated");
    assert_eq!(
        e.to_string(),
        "dhcpd.conf:1: block opened here is never closed (a truncated file?)"
    );
    assert!(import("\u{7f}ELF\u{2}\u{1}", None).is_err());
    let e = import(
        "subnet 198.18.0.0 netmask 255.255.255.0 { }",
        Some("lease 198.18.0.1 {\n starts 5 2027/99/99;\n}\n"),
    )
    .expect_err("bad lease");
    assert!(e.to_string().starts_with("dhcpd.leases:2:"), "{e}");
}

#[test]
fn leases_are_kept_for_imported_subnets() {
    let i = import(
        "subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.10 198.18.0.20; }\n",
        Some(
            "lease 198.18.0.10 {\n  starts 5 2027/01/15 07:00:00;\n  ends never;\n  binding state active;\n  hardware ethernet 52:54:00:00:00:01;\n  client-hostname \"pc\";\n}\n\
             lease 203.0.113.5 {\n  starts 5 2027/01/15 07:00:00;\n  ends 5 2027/01/15 09:00:00;\n  binding state active;\n  hardware ethernet 52:54:00:00:00:02;\n}\n",
        ),
    )
    .expect("imports");
    assert_eq!(i.leases.len(), 1);
    let l = &i.leases[0];
    assert_eq!(l.state, LeaseState::Bound);
    assert_eq!(l.expires, INFINITE);
    assert_eq!(
        l.client,
        Some(ClientKey::HwAddr(HwAddr::ethernet([
            0x52, 0x54, 0, 0, 0, 1
        ])))
    );
    assert_eq!(lines(&i), vec![8]);
    assert_eq!(i.report.findings[0].file, Path::new("dhcpd.leases"));
}

#[test]
fn export_then_import_gives_the_same_leases() {
    let hw = |n: u8| HwAddr::ethernet([0x52, 0x54, 0, 0, 0, n]);
    let leases = vec![
        leasehold_engine::Lease {
            addr: a("198.18.0.10"),
            client: Some(ClientKey::ClientId(vec![1, 0x52, 0x54, 0, 0, 0, 1])),
            hwaddr: Some(hw(1)),
            state: LeaseState::Bound,
            starts: NOW - 100,
            expires: NOW + 3500,
            hostname: Some("pc \"one\"\tx".into()),
        },
        leasehold_engine::Lease {
            addr: a("198.18.0.11"),
            client: Some(ClientKey::HwAddr(hw(2))),
            hwaddr: Some(hw(2)),
            state: LeaseState::Bound,
            starts: NOW - 100,
            expires: INFINITE,
            hostname: None,
        },
        leasehold_engine::Lease {
            addr: a("198.18.0.12"),
            client: Some(ClientKey::HwAddr(hw(3))),
            hwaddr: Some(hw(3)),
            state: LeaseState::Expired,
            starts: NOW - 7200,
            expires: NOW - 3600,
            hostname: None,
        },
        leasehold_engine::Lease {
            addr: a("198.18.0.13"),
            client: Some(ClientKey::ClientId(b"\x00opaque".to_vec())),
            hwaddr: None,
            state: LeaseState::Released,
            starts: NOW - 7200,
            expires: NOW - 60,
            hostname: None,
        },
        leasehold_engine::Lease {
            addr: a("198.18.0.14"),
            client: None,
            hwaddr: None,
            state: LeaseState::Declined,
            starts: NOW - 60,
            expires: NOW + 3540,
            hostname: None,
        },
    ];
    let text = leasehold_migrate::export::dhcpd::dhcpd(&leases, NOW);
    let i = import("subnet 198.18.0.0 netmask 255.255.255.0 { }\n", Some(&text))
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert!(i.report.findings.is_empty(), "{:?}", i.report.findings);
    assert_eq!(i.leases, leases, "{text}");
}

#[test]
fn subclasses_and_interfaces() {
    let (i, _, text) = checked(
        r#"class "vendor" {
  match option vendor-class-identifier;
  next-server 198.18.0.2;
}
subclass "vendor" "PXEClient:Arch:00007";
subclass "vendor" "HTTPClient" { filename "http://198.18.0.2/boot.efi"; }
class "byhw" { match hardware; }
subclass "byhw" 1:52:54:00:00:00:01;
class "odd" { match option host-name; option domain-name "odd.test"; }
subclass "odd" "www";
subnet 198.18.0.0 netmask 255.255.255.0 {
  interface "eth1";
  pool { range 198.18.0.10 198.18.0.20; allow members of "vendor"; }
}
"#,
    );
    let c = &i.config.classes;
    let names: Vec<&str> = c.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "vendor-PXEClient-Arch-00007",
            "vendor-HTTPClient",
            "byhw-1-52-54-00-00-00-01"
        ],
        "{text}"
    );
    assert_eq!(c[0].vendor_class.as_deref(), Some("PXEClient:Arch:00007"));
    assert_eq!(
        c[0].next_server,
        Some(a("198.18.0.2")),
        "the parent's parameters"
    );
    assert_eq!(
        c[1].boot_file.as_deref(),
        Some("http://198.18.0.2/boot.efi")
    );
    assert_eq!(c[2].hw_address_prefix.as_deref(), Some("52:54:00:00:00:01"));
    let s = &i.config.subnets[0];
    assert_eq!(s.interface.as_deref(), Some("eth1"));
    assert_eq!(
        s.pools[0].classes,
        vec![c[0].name.clone(), c[1].name.clone()]
    );
    assert_eq!(lines(&i), vec![9, 10]);
}

/// The usual network-boot chain: architecture outside, iPXE inside, in both orders of nesting.
#[test]
fn nested_ifs_become_classes_most_specific_first() {
    let (i, _, text) = checked(
        r#"option arch code 93 = unsigned integer 16;
subnet 198.18.0.0 netmask 255.255.255.0 {
  if option arch = 00:07 {
    if exists user-class and option user-class = "iPXE" { filename "a.ipxe"; } else { filename "ipxe.efi"; }
  } else if option arch = 00:06 {
    filename "ipxe32.efi";
  } else {
    if exists user-class and option user-class = "iPXE" {
      filename "b.ipxe";
    } else {
      filename "undionly.kpxe";
    }
  }
}
"#,
    );
    assert!(i.report.findings.is_empty(), "{:?}", i.report.findings);
    let got: Vec<(Vec<u16>, Option<&str>, Option<&str>)> = i
        .config
        .classes
        .iter()
        .map(|c| {
            (
                c.arch.clone(),
                c.user_class.as_deref(),
                c.boot_file.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (vec![7], Some("iPXE"), Some("a.ipxe")),
            (vec![7], None, Some("ipxe.efi")),
            (vec![6], None, Some("ipxe32.efi")),
            (vec![], Some("iPXE"), Some("b.ipxe")),
        ],
        "{text}"
    );
    assert_eq!(
        i.config.subnets[0].boot_file.as_deref(),
        Some("undionly.kpxe")
    );
}

/// dhcpd's defaults (12 h leases, at most 24 h) are written out; a default outside min/max is
/// held within them, as dhcpd does; zero is no lease time (found by fuzzing).
#[test]
fn lease_times_keep_dhcpd_defaults_and_bounds() {
    let (i, _, _) = checked("subnet 198.18.0.0 netmask 255.255.255.0 { max-lease-time 600; }\n");
    assert_eq!(i.config.server.lease_time, Some(43_200));
    assert_eq!(i.config.server.max_lease_time, Some(86_400));
    assert_eq!(i.config.subnets[0].max_lease_time, Some(600));
    assert_eq!(i.config.subnets[0].lease_time, Some(600));
    let (i, _, _) = checked(
        "default-lease-time 0;\nmin-lease-time 900;\nmax-lease-time 300;\n\
         subnet 198.18.0.0 netmask 255.255.255.0 { default-lease-time 0; }\n",
    );
    assert_eq!(i.config.server.lease_time, Some(300));
}

/// A host with both a client identifier and a hardware address: Leasehold keys the
/// reservation on one, the client identifier, and says so.
#[test]
fn hosts_with_two_identities_keep_the_client_identifier() {
    let (i, _, _) = checked(
        "subnet 198.18.0.0 netmask 255.255.255.0 {\n  host both {\n    hardware ethernet 52:54:00:00:00:01;\n    option dhcp-client-identifier 1:52:54:0:0:0:1;\n    fixed-address 198.18.0.5;\n  }\n}\n",
    );
    let r = &i.config.subnets[0].reservations[0];
    assert_eq!(r.client_id.as_deref(), Some("01:52:54:00:00:00:01"));
    assert_eq!(r.hw_address, None);
    assert_eq!(lines(&i), vec![2]);
}

/// A range that starts at the network address or ends at the broadcast address loses them
/// (found by fuzzing: Leasehold refuses such a pool).
#[test]
fn ranges_leave_out_network_and_broadcast_addresses() {
    let (i, _, _) = checked(
        "subnet 198.18.0.0 netmask 255.255.255.224 {\n  range 198.18.0.0 198.18.0.31;\n}\n\
         subnet 198.18.1.0 netmask 255.255.255.0 {\n  range 198.18.1.255;\n}\n",
    );
    let p = &i.config.subnets[0].pools[0];
    assert_eq!((p.start, p.end), (a("198.18.0.1"), a("198.18.0.30")));
    assert!(i.config.subnets[1].pools.is_empty());
    assert_eq!(lines(&i), vec![5]);
}

/// `option dhcp-renewal-time` / `dhcp-rebinding-time` become renewal_time / rebinding_time (the
/// switch-over test saw T1 20 s become 60 s when they were reported instead), also in a subnet
/// with its own lease time; timers that do not fit below a lease are reported, and in a host they
/// have no Leasehold form.
#[test]
fn renewal_and_rebinding_times_are_carried() {
    let (i, cfg, text) = checked(
        "option dhcp-renewal-time 20;\noption dhcp-rebinding-time 90;\ndefault-lease-time 600;\n\
         subnet 198.18.0.0 netmask 255.255.255.0 {\n  range 198.18.0.100 198.18.0.110;\n}\n\
         subnet 198.18.1.0 netmask 255.255.255.0 {\n  default-lease-time 120;\n  range 198.18.1.100 198.18.1.110;\n}\n\
         subnet 198.18.2.0 netmask 255.255.255.0 {\n  default-lease-time 60;\n  range 198.18.2.100 198.18.2.110;\n}\n\
         host h { hardware ethernet 52:54:00:00:00:01; fixed-address 198.18.0.5; option dhcp-renewal-time 10; }\n",
    );
    assert_eq!(i.config.server.renewal_time, Some(20), "{text}");
    assert_eq!(i.config.server.rebinding_time, Some(90), "{text}");
    assert_eq!(
        cfg.subnets[0].lease.renewal_time,
        Some(20),
        "inherited: {text}"
    );
    assert_eq!(
        cfg.subnets[1].lease.renewal_time,
        Some(20),
        "own lease time: {text}"
    );
    assert_eq!(
        cfg.subnets[1].lease.rebinding_time,
        Some(90),
        "own lease time: {text}"
    );
    // 90 s does not fit below a 60 s lease: reported at the option lines, the subnet keeps
    // Leasehold's defaults (50 %, 87.5 %).
    assert_eq!(cfg.subnets[2].lease.renewal_time, None, "{text}");
    let l = lines(&i);
    assert!(
        l.contains(&1) && l.contains(&2),
        "T1/T2 reported for the 60 s subnet: {:#?}",
        i.report.findings
    );
    assert!(
        l.contains(&15),
        "a host's T1 is reported: {:#?}",
        i.report.findings
    );
}

/// An `if` inside one of several subnets becomes a class limited to that subnet (`subnet`
/// key): a client of the other subnet is not in it. One inside a shared network is reported.
#[test]
fn an_if_inside_a_subnet_is_limited_to_that_subnet() {
    let (i, cfg, text) = checked(
        r#"option arch code 93 = unsigned integer 16;
subnet 198.18.0.0 netmask 255.255.255.0 {
  range 198.18.0.100 198.18.0.199;
  if option arch = 00:07 { filename "ipxe.efi"; }
}
subnet 198.18.1.0 netmask 255.255.255.0 {
  range 198.18.1.100 198.18.1.199;
}
shared-network lab {
  if option arch = 00:07 { filename "lab.efi"; }
  subnet 198.18.2.0 netmask 255.255.255.0 { range 198.18.2.100 198.18.2.199; }
  subnet 198.18.3.0 netmask 255.255.255.0 { range 198.18.3.100 198.18.3.199; }
}
"#,
    );
    let subnet_of = |file: &str| {
        i.config
            .classes
            .iter()
            .find(|c| c.boot_file.as_deref() == Some(file))
            .map(|c| c.subnet)
    };
    assert_eq!(
        subnet_of("ipxe.efi"),
        Some(Some("198.18.0.0/24".parse().expect("net"))),
        "{text}"
    );
    assert!(text.contains("subnet = \"198.18.0.0/24\""), "{text}");
    assert_eq!(
        cfg.classes
            .iter()
            .find(|c| c.boot_file.as_deref() == Some("ipxe.efi"))
            .and_then(|c| c.matcher.subnet),
        Some("198.18.0.0/24".parse().expect("net")),
        "Leasehold reads the key back"
    );
    // The shared network's `if` spans two subnets: carried for every subnet, and reported.
    assert_eq!(subnet_of("lab.efi"), Some(None), "{text}");
    assert_eq!(lines(&i), vec![10], "{:?}", i.report.findings);
}
