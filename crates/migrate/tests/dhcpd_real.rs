//! Checks against the real ISC dhcpd (Debian's `isc-dhcp-server`, when installed): the lease
//! file `export::dhcpd` writes is one `dhcpd -T` reads without complaint, with every lease, and
//! configurations of the kind the importer is tested with are ones `dhcpd -t` accepts. dhcpd is
//! only asked to parse (`-t`/`-T`); it never serves. Without dhcpd the tests say so and pass.

use leasehold_engine::{ClientKey, Lease, LeaseState, INFINITE};
use leasehold_migrate::{dhcpd, MemFiles};
use leasehold_wire::HwAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

const DHCPD: &str = "/usr/sbin/dhcpd";
const NOW: u64 = 1_800_000_000;

fn dhcpd_present() -> bool {
    let there = Path::new(DHCPD).is_file();
    if !there {
        eprintln!("{DHCPD} is not installed (apt-get install isc-dhcp-server): skipped");
    }
    there
}

/// Runs dhcpd with `args`; returns (success, stdout + stderr).
fn run(args: &[&std::ffi::OsStr]) -> (bool, String) {
    let out = Command::new(DHCPD).args(args).output().expect("dhcpd runs");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

const CONF: &str = "authoritative;\nsubnet 198.18.0.0 netmask 255.255.255.0 {\n  range 198.18.0.100 198.18.0.199;\n}\n";

#[test]
fn dhcpd_reads_the_exported_lease_file() {
    if !dhcpd_present() {
        return;
    }
    let hw = |n: u8| HwAddr::ethernet([0x52, 0x54, 0, 0, 0, n]);
    let a = |n: u8| std::net::Ipv4Addr::new(198, 18, 0, n);
    let leases = vec![
        Lease {
            addr: a(100),
            client: Some(ClientKey::ClientId(vec![1, 0x52, 0x54, 0, 0, 0, 1])),
            hwaddr: Some(hw(1)),
            state: LeaseState::Bound,
            starts: NOW - 100,
            expires: NOW + 3500,
            hostname: Some("pc \"one\"\\".into()),
        },
        Lease {
            addr: a(101),
            client: Some(ClientKey::HwAddr(hw(2))),
            hwaddr: Some(hw(2)),
            state: LeaseState::Bound,
            starts: NOW - 100,
            expires: INFINITE,
            hostname: None,
        },
        Lease {
            addr: a(102),
            client: Some(ClientKey::HwAddr(hw(3))),
            hwaddr: Some(hw(3)),
            state: LeaseState::Expired,
            starts: NOW - 7200,
            expires: NOW - 3600,
            hostname: None,
        },
        Lease {
            addr: a(103),
            client: Some(ClientKey::ClientId(b"\x00opaque\xff".to_vec())),
            hwaddr: None,
            state: LeaseState::Released,
            starts: NOW - 7200,
            expires: NOW - 60,
            hostname: None,
        },
        Lease {
            addr: a(104),
            client: None,
            hwaddr: None,
            state: LeaseState::Declined,
            starts: NOW - 60,
            expires: NOW + 3540,
            hostname: None,
        },
    ];
    let text = leasehold_migrate::export::dhcpd::dhcpd(&leases, NOW);
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = write(dir.path(), "dhcpd.conf", CONF);
    let lf = write(dir.path(), "dhcpd.leases", &text);
    let (ok, out) = run(&[
        "-4".as_ref(),
        "-T".as_ref(),
        "-cf".as_ref(),
        conf.as_os_str(),
        "-lf".as_ref(),
        lf.as_os_str(),
    ]);
    assert!(ok, "{out}\n{text}");
    assert!(
        !out.contains("Corrupt") && !out.contains(" line "),
        "{out}\n{text}"
    );
    assert!(
        out.contains(&format!("Wrote {} leases", leases.len())),
        "{out}\n{text}"
    );

    // And our importer reads it back to the same leases.
    let files = MemFiles::new().with("c", CONF).with("l", text.as_str());
    let i = dhcpd::import(&files, Path::new("c"), Some(Path::new("l")), NOW).expect("imports");
    assert_eq!(i.leases, leases);
}

/// Configurations of every construct the importer is tested with, as dhcpd itself checks them.
#[test]
fn dhcpd_accepts_the_constructs_the_importer_reads() {
    if !dhcpd_present() {
        return;
    }
    let conf = r#"option space ipxe;
option ipxe.bus-id code 177 = string;
option arch code 93 = unsigned integer 16;
option rfc3442-classless-static-routes code 121 = array of integer 8;
option site-local code 224 = text;
default-lease-time 600;
max-lease-time 7200;
min-lease-time 60;
not authoritative;
use-host-decl-names on;
option domain-name-servers 198.18.0.53, 198.18.0.54;
class "pxe" {
  match if substring(option vendor-class-identifier, 0, 9) = "PXEClient";
  next-server 198.18.0.2;
}
class "vms" { match if substring(hardware, 1, 3) = 52:54:00; }
shared-network "lab" {
  option domain-name "lab.test";
  subnet 198.18.0.0 netmask 255.255.255.0 {
    authoritative;
    option routers 198.18.0.1;
    option rfc3442-classless-static-routes 24, 198, 18, 5, 198, 18, 0, 1;
    option site-local "si";
    if exists user-class and option user-class = "iPXE" {
      filename "http://198.18.0.2/boot.ipxe";
    } elsif option arch = 00:07 or option arch = 00:09 {
      filename "ipxe.efi";
    } else {
      filename "undionly.kpxe";
    }
    range dynamic-bootp 198.18.0.10 198.18.0.20;
    pool {
      range 198.18.0.100 198.18.0.149;
      allow members of "pxe";
    }
    pool {
      range 198.18.0.150 198.18.0.199;
      deny unknown-clients;
    }
    host byid {
      option dhcp-client-identifier "\001RT\000\000\000\002";
      fixed-address 198.18.0.6;
    }
  }
  subnet 198.18.1.0 netmask 255.255.255.0 { range 198.18.1.10; }
}
group {
  filename "group.0";
  host printer { hardware ethernet 52:54:00:00:00:01; fixed-address 198.18.0.5; }
  host blocked { hardware ethernet 52:54:00:00:00:66; deny booting; }
}
if exists ipxe.bus-id { option domain-name "ipxe.test"; }
"#;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "dhcpd.conf", conf);
    let (ok, out) = run(&[
        "-4".as_ref(),
        "-t".as_ref(),
        "-cf".as_ref(),
        path.as_os_str(),
    ]);
    assert!(ok, "dhcpd refuses the test configuration:\n{out}");
    let files = MemFiles::new().with("dhcpd.conf", conf);
    let i = dhcpd::import(&files, Path::new("dhcpd.conf"), None, NOW).expect("imports");
    let text = i.config.to_toml();
    leasehold_engine::Config::from_toml(&text, Path::new("x.toml"))
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(i.config.subnets.len(), 2);
    assert_eq!(i.config.subnets[0].reservations.len(), 2);
    assert_eq!(i.config.classes.len(), 7, "{text}");
}
