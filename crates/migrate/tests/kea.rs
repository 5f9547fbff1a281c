//! The Kea importer end to end: a configuration with comments of every kind and an include,
//! what it becomes, what is reported at which FILE:LINE, the lease file, and the round trip
//! Kea CSV → Leasehold → Kea CSV. When Kea 2.2 is installed (Debian `kea-dhcp4-server`),
//! `kea-dhcp4 -t` confirms the test configuration is real Kea, and `kea-lfc` (Kea's own lease
//! file reader and writer, run on files only) reads the exported lease file back.

use leasehold_engine::{ClientKey, Config, Lease, LeaseState};
use leasehold_migrate::export::kea_csv::kea_csv;
use leasehold_migrate::{kea, ImportError, Imported, MemFiles, OptionValue};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// 2027-01-15: the time the leases are read at.
const NOW: u64 = 1_800_000_000;

/// A kea-dhcp4 configuration Kea 2.2 accepts (`kea-dhcp4 -t`, see below).
const CONF: &str = r#"// Test configuration (comments of every kind)
{
"Dhcp4": {
    # interfaces with an address suffix
    "interfaces-config": { "interfaces": [ "lo/127.0.0.1" ] },
    "valid-lifetime": 4000,
    "renew-timer": 1000,
    "rebind-timer": 2000,
    "authoritative": true,
    "lease-database": { "type": "memfile", "lfc-interval": 0 },
    /* global options
       go to [server.options] */
    "option-data": [
        { "name": "domain-name-servers", "data": "198.18.0.53, 198.18.0.54" },
        { "name": "domain-name", "data": "lab.test" }
    ],
    "next-server": "198.18.0.2",
    "client-classes": [
        { "name": "pxe-bios",
          "test": "substring(option[60].hex,0,9) == 'PXEClient' and option[93].hex == 0x0000",
          "boot-file-name": "undionly.kpxe" },
        { "name": "ipxe", "test": "option[77].hex == 'iPXE'", "boot-file-name": "http://198.18.0.2/boot.ipxe" },
        { "name": "odd", "test": "pkt4.msgtype == 1" }
    ],
    "dhcp-ddns": { "enable-updates": false },
    "subnet4": [
        {
            "subnet": "198.18.0.0/24",
            "id": 7,
            "pools": [ { "pool": "198.18.0.100 - 198.18.0.199" },
                       { "pool": "198.18.0.200/29", "client-class": "pxe-bios" } ],
            "option-data": [ { "name": "routers", "data": "198.18.0.1" } ],
            "reservations": [
                { "hw-address": "52:54:00:00:00:10", "ip-address": "198.18.0.10", "hostname": "printer" },
                { "client-id": "01:52:54:00:00:00:11", "ip-address": "198.18.0.11" },
                { "flex-id": "'abc'", "ip-address": "198.18.0.12" }
            ]
        }
    ],
    "shared-networks": [
        {
            "name": "campus",
            "valid-lifetime": 600,
            "option-data": [ { "name": "routers", "data": "198.18.1.1" } ],
            "subnet4": [
                <?include "subnet-b.json"?>
            ]
        }
    ],
    "reservations": [
        { "hw-address": "52:54:00:00:01:20", "ip-address": "198.18.1.20" },
        { "hw-address": "52:54:00:00:09:99", "ip-address": "203.0.113.9" }
    ]
}
}
"#;

/// The included subnet.
const SUBNET_B: &str = r#"{
    "subnet": "198.18.1.0/24",
    "id": 8,
    "pools": [ { "pool": "198.18.1.100 - 198.18.1.150" } ],
    "ddns-send-updates": true
}
"#;

/// A Kea 2.2 memfile lease file: a renewal of .100 later in the log, a declined address, an
/// expired-reclaimed one, and an address in no subnet.
const LEASES: &str = "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context
198.18.0.100,52:54:00:00:00:01,01:52:54:00:00:00:01,4000,1800002000,7,0,0,alpha,0,
198.18.0.101,52:54:00:00:00:02,,4000,1800001000,7,0,0,b&#x2cc,0,
198.18.0.102,,,3600,1800003600,7,0,0,,1,
198.18.0.103,52:54:00:00:00:03,,4000,1799990000,7,0,0,,2,
198.18.1.100,52:54:00:00:01:01,,600,1800000300,8,0,0,,0,
198.18.0.100,52:54:00:00:00:01,01:52:54:00:00:00:01,4000,1800003000,7,0,0,alpha,0,
203.0.113.5,52:54:00:00:09:05,,600,1800000300,1,0,0,,0,
";

fn files() -> MemFiles {
    MemFiles::new()
        .with("kea-dhcp4.conf", CONF)
        .with("subnet-b.json", SUBNET_B)
        .with("kea-leases4.csv", LEASES)
}

fn import(files: &MemFiles) -> Result<Imported, ImportError> {
    kea::import(
        files,
        Path::new("kea-dhcp4.conf"),
        Some(Path::new("kea-leases4.csv")),
        NOW,
    )
}

/// Line numbers of the findings in `file`.
fn finding_lines(imp: &Imported, file: &str) -> Vec<u32> {
    let mut v: Vec<u32> = imp
        .report
        .findings
        .iter()
        .filter(|f| f.file == Path::new(file))
        .map(|f| f.line)
        .collect();
    v.sort_unstable();
    v
}

#[test]
fn configuration_is_carried_over_and_passes_check_config() {
    let imp = import(&files()).expect("import");
    let plan = &imp.config;
    let text = plan.to_toml();
    let cfg = Config::from_toml(&text, Path::new("imported.toml"))
        .unwrap_or_else(|e| panic!("{e}\n{text}"));

    assert_eq!(plan.server.interfaces, vec!["lo".to_string()]);
    assert_eq!(plan.server.lease_time, Some(4000));
    assert_eq!(cfg.server.lease.renewal_time, Some(1000));
    assert_eq!(cfg.server.lease.rebinding_time, Some(2000));
    assert!(cfg.server.authoritative);
    assert_eq!(plan.server.options.len(), 2);

    assert_eq!(cfg.subnets.len(), 2);
    let by_id = |id: u32| {
        cfg.subnets
            .iter()
            .find(|s| s.id == id)
            .unwrap_or_else(|| panic!("no subnet {id}"))
    };
    let a = by_id(7);
    assert_eq!(a.id, 7);
    // The global next-server is pushed down into every subnet.
    assert_eq!(a.next_server, Some(Ipv4Addr::new(198, 18, 0, 2)));
    assert_eq!(a.pools.len(), 2);
    // 198.18.0.200/29: the pool, as Kea writes it, without the network address of /29 being
    // special (only the subnet's own network and broadcast addresses are left out).
    assert_eq!(
        (a.pools[1].start, a.pools[1].end),
        (
            Ipv4Addr::new(198, 18, 0, 200),
            Ipv4Addr::new(198, 18, 0, 207)
        )
    );
    assert_eq!(a.pools[1].classes.as_ref().map(Vec::len), Some(1));
    assert_eq!(a.reservations.len(), 2, "flex-id is not carried over");
    assert_eq!(a.options.get(&3), Some(&vec![198, 18, 0, 1]));

    let b = by_id(8);
    assert_eq!(b.id, 8);
    assert_eq!(b.shared_network.as_deref(), Some("campus"));
    assert_eq!(b.lease.lease_time, 600);
    // T1/T2 of the server do not fit a 600 s lease: Leasehold's defaults apply.
    assert_eq!((b.lease.renewal_time, b.lease.rebinding_time), (None, None));
    assert_eq!(b.options.get(&3), Some(&vec![198, 18, 1, 1]));
    // The global reservation lands in the subnet of its address.
    assert_eq!(b.reservations.len(), 1);
    assert_eq!(b.reservations[0].address, Ipv4Addr::new(198, 18, 1, 20));

    assert_eq!(cfg.classes.len(), 2, "the msgtype class is not expressible");
    let pxe = plan
        .classes
        .iter()
        .find(|c| c.name == "pxe-bios")
        .expect("pxe");
    assert_eq!(pxe.vendor_class.as_deref(), Some("PXEClient"));
    assert_eq!(pxe.arch, vec![0]);
    assert_eq!(pxe.boot_file.as_deref(), Some("undionly.kpxe"));
    assert!(plan
        .server
        .options
        .iter()
        .any(|o| o.name == "domain-name" && o.value == OptionValue::Text("lab.test".into())));
    // Every value names its source line.
    assert!(
        text.contains("# from kea-dhcp4.conf:27\n[[subnet]]"),
        "{text}"
    );
    assert!(
        text.contains("# from subnet-b.json:1\n[[subnet]]"),
        "{text}"
    );
    assert!(text.contains("   # from kea-dhcp4.conf:32"), "{text}");
}

#[test]
fn what_is_not_carried_over_is_reported_at_its_line() {
    let imp = import(&files()).expect("import");
    // lease-database 10, class "odd" test 23, dhcp-ddns 25, flex-id 36, global reservation
    // outside every subnet 52.
    assert_eq!(
        finding_lines(&imp, "kea-dhcp4.conf"),
        vec![10, 23, 25, 36, 52],
        "{:#?}",
        imp.report.findings
    );
    // Inside the included file: its own line.
    assert_eq!(finding_lines(&imp, "subnet-b.json"), vec![5]);
    // The lease of an address in no subnet.
    assert_eq!(finding_lines(&imp, "kea-leases4.csv"), vec![8]);
    let pct = imp.report.carried_percent();
    assert!(pct > 80.0 && pct < 100.0, "{pct}");
}

#[test]
fn leases_keep_their_clients_and_states() {
    let imp = import(&files()).expect("import");
    let by = |a: [u8; 4]| {
        imp.leases
            .iter()
            .find(|l| l.addr == Ipv4Addr::from(a))
            .unwrap_or_else(|| panic!("no lease of {a:?}"))
    };
    assert_eq!(imp.leases.len(), 5);
    let l = by([198, 18, 0, 100]);
    assert_eq!(l.state, LeaseState::Bound);
    assert_eq!((l.starts, l.expires), (1_799_999_000, 1_800_003_000));
    assert_eq!(
        l.client,
        Some(ClientKey::ClientId(vec![1, 0x52, 0x54, 0, 0, 0, 1]))
    );
    let l = by([198, 18, 0, 101]);
    assert!(matches!(l.client, Some(ClientKey::HwAddr(h)) if h.htype() == 1));
    assert_eq!(l.hostname.as_deref(), Some("b,c"));
    assert_eq!(by([198, 18, 0, 102]).state, LeaseState::Declined);
    assert_eq!(by([198, 18, 0, 103]).state, LeaseState::Expired);
    assert_eq!(by([198, 18, 1, 100]).state, LeaseState::Bound);
}

/// The subnet id function the CLI passes: the Kea subnet ids kept in the plan.
fn subnet_ids(imp: &Imported) -> impl Fn(Ipv4Addr) -> Option<u32> + '_ {
    move |a| {
        imp.config
            .subnets
            .iter()
            .find(|s| s.net.contains(&a))
            .and_then(|s| s.id)
    }
}

fn reimport(csv: &str) -> Vec<Lease> {
    let files = files().with("kea-leases4.csv", csv);
    import(&files).expect("re-import").leases
}

#[test]
fn kea_csv_round_trip_keeps_every_lease() {
    let imp = import(&files()).expect("import");
    let csv = kea_csv(&imp.leases, &subnet_ids(&imp), NOW);
    assert!(csv.starts_with(
        "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context\n"
    ));
    assert!(
        csv.contains(
            "198.18.0.100,52:54:00:00:00:01,01:52:54:00:00:00:01,4000,1800003000,7,0,0,alpha,0,\n"
        ),
        "{csv}"
    );
    assert!(csv.contains(",b&#x2cc,"), "{csv}");
    assert_eq!(reimport(&csv), imp.leases);
}

fn tool(name: &str) -> Option<PathBuf> {
    ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

/// Writes the test configuration to a directory (for Kea's own tools).
fn write_conf(dir: &Path) -> PathBuf {
    let conf = dir.join("kea-dhcp4.conf");
    std::fs::write(&conf, CONF).expect("write conf");
    std::fs::write(dir.join("subnet-b.json"), SUBNET_B).expect("write include");
    conf
}

#[test]
fn kea_itself_accepts_the_test_configuration() {
    let Some(kea) = tool("kea-dhcp4") else {
        eprintln!("kea-dhcp4 is not installed: skipped (Debian package kea-dhcp4-server)");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = write_conf(dir.path());
    // Kea resolves <?include?> against its working directory.
    let out = Command::new(kea)
        .arg("-t")
        .arg(&conf)
        .current_dir(dir.path())
        .output()
        .expect("run kea-dhcp4 -t");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !text.contains("ERROR") && !text.contains("failed"),
        "kea-dhcp4 -t refused the test configuration:\n{text}"
    );
}

#[test]
fn kea_lfc_reads_the_exported_lease_file() {
    let Some(lfc) = tool("kea-lfc") else {
        eprintln!("kea-lfc is not installed: skipped (Debian package kea-dhcp4-server)");
        return;
    };
    let imp = import(&files()).expect("import");
    let csv = kea_csv(&imp.leases, &subnet_ids(&imp), NOW);
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let conf = write_conf(d);
    std::fs::write(d.join("copy.csv"), &csv).expect("write copy");
    // kea-lfc merges the previous and the copy file into the output, then moves it to the
    // previous file's name: the lease file as Kea itself writes it. A line Kea cannot read is
    // left out of it (kea-lfc counts it as an error and goes on), so the comparison below
    // fails for any line Kea does not understand.
    let out = Command::new(lfc)
        .arg("-4")
        .args([
            "-p", "lfc.pid", "-x", "prev.csv", "-i", "copy.csv", "-o", "out.csv",
        ])
        .args(["-f", "finish.csv", "-c"])
        .arg(&conf)
        .current_dir(d)
        .env("KEA_PIDFILE_DIR", d)
        .env("KEA_LOCKFILE_DIR", "none")
        .output()
        .expect("run kea-lfc");
    let log =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "kea-lfc failed:\n{log}");
    let written = std::fs::read_to_string(d.join("prev.csv")).expect("kea-lfc's output");
    assert_eq!(
        reimport(&written),
        imp.leases,
        "Kea's rewrite of our file:\n{written}"
    );
}

#[test]
fn syntax_errors_name_the_file_and_line_also_inside_includes() {
    let f = files().with(
        "subnet-b.json",
        "{\n  \"subnet\": \"198.18.1.0/24\"\n  \"id\": 8\n}\n",
    );
    let e = import(&f).expect_err("missing comma");
    assert!(e.to_string().starts_with("subnet-b.json:3:"), "{e}");
    let f = files().with("kea-leases4.csv", &LEASES[..LEASES.len() - 30]);
    let e = import(&f).expect_err("truncated lease file");
    assert!(e.to_string().starts_with("kea-leases4.csv:8:"), "{e}");
    let f = files().with("kea-dhcp4.conf", "{ \"Dhcp6\": {} }");
    let e = import(&f).expect_err("no Dhcp4");
    assert!(e.to_string().starts_with("kea-dhcp4.conf:1:"), "{e}");
    let f = files().with("kea-dhcp4.conf", "\u{7f}ELF\u{2}\u{1}\u{1}\0\0\0");
    assert!(import(&f).is_err());
}

/// Options at every level, `option-def`, hex data, `always-send`, class composition, a subnet
/// limited to a class, relay addresses, circuit-id and text client-id reservations. Kea 2.2
/// accepts it (`kea-dhcp4 -t`).
const CONF2: &str = r#"{ "Dhcp4": {
  "interfaces-config": { "interfaces": [ "*" ] },
  "decline-probation-period": 600,
  "option-def": [ { "name": "tftp-servers", "code": 150, "type": "ipv4-address", "array": true } ],
  "option-data": [
    { "name": "tftp-servers", "data": "198.18.2.5, 198.18.2.6" },
    { "name": "domain-name-servers", "data": "C6120235", "csv-format": false, "always-send": true },
    { "code": 121, "data": "18C61209C6120201", "csv-format": false }
  ],
  "client-classes": [
    { "name": "phones", "test": "substring(pkt4.mac,0,3) == 0x001122",
      "option-data": [ { "name": "tftp-server-name", "data": "phones.lab.test" } ] },
    { "name": "known-phones", "test": "member('phones') and member('KNOWN')" }
  ],
  "subnet4": [
    { "subnet": "198.18.2.0/24", "id": 20, "client-class": "phones",
      "relay": { "ip-addresses": [ "198.18.99.1" ] },
      "pools": [ { "pool": "198.18.2.10 - 198.18.2.20",
                   "option-data": [ { "name": "domain-name", "data": "pool.lab.test" } ] } ],
      "reservations": [
        { "circuit-id": "'port-7'", "ip-address": "198.18.2.7" },
        { "client-id": "'text-id'", "ip-address": "198.18.2.8",
          "option-data": [ { "name": "routers", "data": "198.18.2.1" } ] }
      ] }
  ]
} }
"#;

#[test]
fn options_classes_and_reservations_of_every_kind() {
    let files = MemFiles::new().with("k2.conf", CONF2);
    let imp = kea::import(&files, Path::new("k2.conf"), None, NOW).expect("import");
    let text = imp.config.to_toml();
    let cfg = Config::from_toml(&text, Path::new("imported.toml"))
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    // Only the relay outside the subnet is not carried over.
    assert_eq!(
        finding_lines(&imp, "k2.conf"),
        vec![17],
        "{:#?}",
        imp.report.findings
    );
    assert!(cfg.server.interfaces.is_empty(), "`*` is every interface");
    assert_eq!(cfg.server.probation_time, 600);
    assert_eq!(cfg.server.always_send, vec![6]);
    let o = &cfg.server.options;
    assert_eq!(o.get(&150), Some(&vec![198, 18, 2, 5, 198, 18, 2, 6]));
    assert_eq!(o.get(&6), Some(&vec![198, 18, 2, 53]));
    assert_eq!(o.get(&121), Some(&vec![24, 198, 18, 9, 198, 18, 2, 1]));
    assert_eq!(cfg.classes.len(), 2);
    let kp = imp
        .config
        .classes
        .iter()
        .find(|c| c.name == "known-phones")
        .expect("composed class");
    assert_eq!(
        (kp.hw_address_prefix.as_deref(), kp.known),
        (Some("00:11:22"), Some(true))
    );
    let s = &cfg.subnets[0];
    assert_eq!(s.id, 20);
    // The subnet's class limits its pool.
    assert_eq!(s.pools[0].classes.as_ref().map(Vec::len), Some(1));
    assert_eq!(
        s.pools[0].options.get(&15),
        Some(&b"pool.lab.test".to_vec())
    );
    assert_eq!(s.reservations.len(), 2);
    let r = &imp.config.subnets[0].reservations;
    assert_eq!(r[0].circuit_id.as_deref(), Some("port-7"));
    assert_eq!(r[1].client_id.as_deref(), Some("74:65:78:74:2d:69:64"));
    assert_eq!(r[1].options.len(), 1);
}

#[test]
fn kea_itself_accepts_the_second_test_configuration() {
    let Some(kea) = tool("kea-dhcp4") else {
        eprintln!("kea-dhcp4 is not installed: skipped (Debian package kea-dhcp4-server)");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("k2.conf");
    std::fs::write(&conf, CONF2).expect("write conf");
    let out = Command::new(kea)
        .arg("-t")
        .arg(&conf)
        .output()
        .expect("run kea-dhcp4 -t");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !text.contains("ERROR"),
        "kea-dhcp4 -t refused the second test configuration:\n{text}"
    );
}

/// Kea's lease file cleanup (every `lfc-interval`) moves older records to `FILE.2` (and, while
/// it runs, `FILE.1`; when done but not yet moved, `FILE.completed`): the importer reads them
/// as Kea does, or leases not renewed since the last cleanup would be lost.
#[test]
fn lease_file_cleanup_files_are_read_as_kea_reads_them() {
    let header = LEASES.lines().next().expect("header");
    let older = format!(
        "{header}\n198.18.0.150,52:54:00:00:00:50,,4000,1800003000,7,0,0,kept,0,\n\
         198.18.0.101,52:54:00:00:00:99,,4000,1799000000,7,0,0,old,0,\n"
    );
    let files = files().with("kea-leases4.csv.2", older.as_str());
    let imp = import(&files).expect("import");
    let l = |a: u8| {
        imp.leases
            .iter()
            .find(|l| l.addr == Ipv4Addr::new(198, 18, 0, a))
    };
    assert_eq!(l(150).and_then(|l| l.hostname.as_deref()), Some("kept"));
    // The main file is newer: its record of .101 wins.
    assert_eq!(l(101).and_then(|l| l.hostname.as_deref()), Some("b,c"));
    assert_eq!(imp.leases.len(), 6);
    // A finished cleanup (`.completed`) replaces `.2` and `.1`.
    let files = files.with("kea-leases4.csv.completed", header);
    let imp = import(&files).expect("import");
    assert_eq!(imp.leases.len(), 5);
}

/// Subnets without an `id` get the ones Kea 2.2 gives them: shared networks' subnets first,
/// then `subnet4`, counting from 1 (exported leases must name the same subnets).
#[test]
fn subnets_without_id_are_numbered_as_kea_numbers_them() {
    let conf = r#"{ "Dhcp4": { "interfaces-config": { "interfaces": [ "*" ] },
      "subnet4": [ { "subnet": "198.18.0.0/24" }, { "subnet": "198.18.2.0/24", "id": 5 } ],
      "shared-networks": [ { "name": "n", "subnet4": [ { "subnet": "198.18.1.0/24" } ] } ] } }"#;
    let files = MemFiles::new().with("k.conf", conf);
    let imp = kea::import(&files, Path::new("k.conf"), None, NOW).expect("import");
    let id = |net: &str| {
        imp.config
            .subnets
            .iter()
            .find(|s| s.net.to_string() == net)
            .and_then(|s| s.id)
    };
    assert_eq!(id("198.18.1.0/24"), Some(1));
    assert_eq!(id("198.18.0.0/24"), Some(2));
    assert_eq!(id("198.18.2.0/24"), Some(5));
}
