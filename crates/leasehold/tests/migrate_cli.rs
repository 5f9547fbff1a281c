//! `leasehold import` and `leasehold leases export` as an operator runs them: a Kea
//! configuration and lease file become a configuration that check-config accepts and a lease
//! database; existing files are not overwritten without `--force`; `--strict` writes nothing when
//! something was not carried over; and the database exported as a Kea lease file imports back to
//! the same leases.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const KEA_CONFIG: &str = r#"{
  // Kea allows comments
  "Dhcp4": {
    "interfaces-config": { "interfaces": [ "eth0" ] },
    "valid-lifetime": 3600,
    "subnet4": [ {
      "id": 7,
      "subnet": "198.18.10.0/24",
      "pools": [ { "pool": "198.18.10.100 - 198.18.10.200" } ],
      "option-data": [ { "name": "routers", "data": "198.18.10.1" } ],
      "reservations": [ { "hw-address": "52:54:00:00:00:01", "ip-address": "198.18.10.10" } ]
    } ]
  }
}
"#;

/// The same with something Leasehold does not carry over (a hook library).
const KEA_WITH_HOOK: &str = r#"{
  "Dhcp4": {
    "hooks-libraries": [ { "library": "/usr/lib/kea/hooks/libdhcp_lease_cmds.so" } ],
    "subnet4": [ { "id": 1, "subnet": "198.18.11.0/24" } ]
  }
}
"#;

/// Two leases in the far future (bound whatever the clock says), one with a client id.
const KEA_LEASES: &str = "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context\n\
198.18.10.100,52:54:00:00:00:02,01:52:54:00:00:00:02,3600,4000000000,7,0,0,laptop,0,\n\
198.18.10.101,52:54:00:00:00:03,,3600,4000000000,7,0,0,,0,\n";

fn leasehold(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leasehold"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run leasehold")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The leases of `db` as JSON objects, sorted by address.
fn leases(dir: &Path, db: &str) -> Vec<Value> {
    let o = leasehold(dir, &["leases", "--db", db, "list", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut v: Vec<Value> = serde_json::from_slice(&o.stdout).expect("JSON list");
    v.sort_by_key(|l| l["addr"].as_str().unwrap_or_default().to_string());
    v
}

#[test]
fn kea_import_export_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(d.join("kea-dhcp4.conf"), KEA_CONFIG).expect("write config");
    std::fs::write(d.join("kea-leases4.csv"), KEA_LEASES).expect("write leases");
    let import = [
        "import",
        "kea",
        "--config",
        "kea-dhcp4.conf",
        "--leases",
        "kea-leases4.csv",
        "--out",
        "leasehold.toml",
        "--db",
        "leases.db",
    ];
    let o = leasehold(d, &import);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("2 lease(s)"),
        "summary line: {}",
        stderr(&o)
    );
    let o = leasehold(d, &["check-config", "leasehold.toml"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let config = std::fs::read_to_string(d.join("leasehold.toml")).expect("read config");
    assert!(config.contains("id = 7"), "Kea's subnet id kept:\n{config}");
    assert!(config.contains("198.18.10.10"), "reservation:\n{config}");

    // A second import does not overwrite what the first wrote...
    let before = std::fs::read(d.join("leases.db")).expect("read db");
    let o = leasehold(d, &import);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(d.join("leases.db")).expect("read db"),
        before,
        "database untouched"
    );
    // ...unless told to.
    let mut forced = import.to_vec();
    forced.push("--force");
    let o = leasehold(d, &forced);
    assert!(o.status.success(), "{}", stderr(&o));

    let original = leases(d, "leases.db");
    assert_eq!(original.len(), 2);
    let o = leasehold(
        d,
        &[
            "leases",
            "--db",
            "leases.db",
            "export",
            "--format",
            "kea-csv",
            "--subnets-from",
            "leasehold.toml",
            "--output",
            "exported.csv",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let exported = std::fs::read_to_string(d.join("exported.csv")).expect("read export");
    assert!(
        exported.starts_with("address,hwaddr,client_id,valid_lifetime,expire,subnet_id,"),
        "{exported}"
    );
    assert!(
        exported.contains(",7,"),
        "subnet id 7 of the configuration:\n{exported}"
    );
    let o = leasehold(
        d,
        &[
            "import",
            "kea",
            "--config",
            "kea-dhcp4.conf",
            "--leases",
            "exported.csv",
            "--out",
            "again.toml",
            "--db",
            "again.db",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let again = leases(d, "again.db");
    let key = |v: &Vec<Value>| -> Vec<(Value, Value, Value, Value, Value)> {
        v.iter()
            .map(|l| {
                (
                    l["addr"].clone(),
                    l["client"].clone(),
                    l["hwaddr"].clone(),
                    l["state"].clone(),
                    l["expires"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(
        key(&again),
        key(&original),
        "same leases after the round trip"
    );
    // Without the subnet ids there is no Kea lease file.
    let o = leasehold(
        d,
        &[
            "leases",
            "--db",
            "leases.db",
            "export",
            "--format",
            "kea-csv",
        ],
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--subnets-from"), "{}", stderr(&o));
}

#[test]
fn strict_import_writes_nothing_when_something_is_not_carried_over() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(d.join("kea.conf"), KEA_WITH_HOOK).expect("write config");
    let args = [
        "import", "kea", "--config", "kea.conf", "--out", "l.toml", "--db", "l.db",
    ];
    let mut strict = args.to_vec();
    strict.push("--strict");
    let o = leasehold(d, &strict);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("kea.conf:3:"),
        "the hook's FILE:LINE is named: {err}"
    );
    assert!(!d.join("l.toml").exists() && !d.join("l.db").exists());
    // Without --strict the same import succeeds and still names the line.
    let o = leasehold(d, &args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("kea.conf:3:"), "{}", stderr(&o));
}

/// `export --format dhcpd` and `--format dnsmasq` are read back by the matching importer to the
/// same leases (address, client, hardware address, state, expiry).
#[test]
fn dhcpd_and_dnsmasq_exports_import_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(d.join("kea-dhcp4.conf"), KEA_CONFIG).expect("write config");
    std::fs::write(d.join("kea-leases4.csv"), KEA_LEASES).expect("write leases");
    let o = leasehold(
        d,
        &[
            "import",
            "kea",
            "--config",
            "kea-dhcp4.conf",
            "--leases",
            "kea-leases4.csv",
            "--out",
            "l.toml",
            "--db",
            "l.db",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let original = leases(d, "l.db");
    std::fs::write(
        d.join("dhcpd.conf"),
        "subnet 198.18.10.0 netmask 255.255.255.0 {\n  range 198.18.10.100 198.18.10.200;\n}\n",
    )
    .expect("write dhcpd.conf");
    std::fs::write(
        d.join("dnsmasq.conf"),
        "dhcp-range=198.18.10.100,198.18.10.200,255.255.255.0,1h\n",
    )
    .expect("write dnsmasq.conf");
    let fields = |v: &[Value]| -> Vec<String> {
        v.iter()
            .map(|l| {
                format!(
                    "{} {} {} {} {}",
                    l["addr"], l["client"], l["hwaddr"], l["state"], l["expires"]
                )
            })
            .collect()
    };
    for (format, conf, file) in [
        ("dhcpd", "dhcpd.conf", "dhcpd.leases"),
        ("dnsmasq", "dnsmasq.conf", "dnsmasq.leases"),
    ] {
        let o = leasehold(
            d,
            &[
                "leases", "--db", "l.db", "export", "--format", format, "--output", file,
            ],
        );
        assert!(o.status.success(), "{format}: {}", stderr(&o));
        let db = format!("{format}.db");
        let out = format!("{format}.toml");
        let o = leasehold(
            d,
            &[
                "import", format, "--config", conf, "--leases", file, "--out", &out, "--db", &db,
            ],
        );
        assert!(o.status.success(), "{format}: {}", stderr(&o));
        assert_eq!(
            fields(&leases(d, &db)),
            fields(&original),
            "{format}: same leases after export and import"
        );
    }
}
