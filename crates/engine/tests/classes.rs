//! Client classes (`[[class]]`): every match key, first match wins per field, precedence against
//! reservation, pool and subnet, options always sent, pool restriction, deny, BOOTP.

mod common;

use common::*;
use leasehold_engine::{ClientKey, DropReason, NakReason, Outcome};
use leasehold_wire::options::code;
use leasehold_wire::Packet;

/// A subnet on eth0 with boot fields, a pool with options and a reservation with a boot file;
/// a relayed subnet; classes go in front.
const LINKS: &str = r#"
[[subnet]]
subnet = "198.18.0.0/24"
interface = "eth0"
next_server = "198.18.0.1"
boot_file = "subnet.0"
server_name = "subnet-name"
[subnet.options]
router = "198.18.0.1"
domain-name = "subnet.test"
[[subnet.pool]]
range = "198.18.0.100-198.18.0.109"
[subnet.pool.options]
domain-name = "pool.test"
[[subnet.reservation]]
hw_address = "52:54:00:00:00:aa"
address = "198.18.0.10"
boot_file = "reserved.0"
[subnet.reservation.options]
domain-name = "reserved.test"

[[subnet]]
subnet = "198.18.1.0/24"
[[subnet.pool]]
range = "198.18.1.100-198.18.1.199"
"#;

fn harness(classes: &str) -> Harness {
    Harness::with(&format!("{classes}\n{LINKS}"))
}

fn file(p: &Packet) -> &str {
    std::str::from_utf8(&p.file).unwrap_or("<not utf-8>")
}

fn sname(p: &Packet) -> &str {
    std::str::from_utf8(&p.sname).unwrap_or("<not utf-8>")
}

/// The boot file the client gets for a DISCOVER built by `req`.
fn boot_file_for(h: &Harness, req: Req) -> String {
    file(reply(&h.peek(&req))).to_string()
}

const ARCH_CLASSES: &str = r#"
[[class]]
name = "bios"
arch = ["bios"]
boot_file = "undionly.kpxe"
[[class]]
name = "efi-x64"
arch = ["efi-x64"]
boot_file = "ipxe.efi"
[[class]]
name = "arm64"
arch = ["efi-arm64", 19]
boot_file = "arm64.efi"
"#;

#[test]
fn arch_matches_any_entry_of_the_client_list() {
    let h = harness(ARCH_CLASSES);
    let d = |arch: &[u8]| Req::discover(1).opt(code::CLIENT_ARCH, arch);
    assert_eq!(boot_file_for(&h, d(&[0, 0])), "undionly.kpxe");
    // RFC 4578 erratum 4624: x64 UEFI firmware sends 7.
    assert_eq!(boot_file_for(&h, d(&[0, 7])), "ipxe.efi");
    assert_eq!(boot_file_for(&h, d(&[0, 11])), "arm64.efi");
    assert_eq!(
        boot_file_for(&h, d(&[0, 19])),
        "arm64.efi",
        "number in the list"
    );
    // Several architectures: the first class (file order) matching any of them wins.
    assert_eq!(boot_file_for(&h, d(&[0, 11, 0, 7])), "ipxe.efi");
    // No class: the subnet's.
    assert_eq!(boot_file_for(&h, d(&[0, 9])), "subnet.0");
    assert_eq!(boot_file_for(&h, Req::discover(1)), "subnet.0");
    assert_eq!(
        boot_file_for(&h, d(&[0])),
        "subnet.0",
        "malformed option 93"
    );
}

#[test]
fn user_class_matches_bare_ipxe_and_rfc3004_lists() {
    let h =
        harness("[[class]]\nname = \"ipxe\"\nuser_class = \"iPXE\"\nboot_file = \"boot.ipxe\"\n");
    let d = |uc: &[u8]| Req::discover(1).opt(code::USER_CLASS, uc);
    assert_eq!(
        boot_file_for(&h, d(b"iPXE")),
        "boot.ipxe",
        "iPXE's bare string"
    );
    assert_eq!(
        boot_file_for(&h, d(b"\x04corp\x04iPXE")),
        "boot.ipxe",
        "RFC 3004 list"
    );
    assert_eq!(boot_file_for(&h, d(b"iPXE2")), "subnet.0");
    assert_eq!(boot_file_for(&h, d(b"\x04corp\x05iPXE2")), "subnet.0");
    assert_eq!(
        boot_file_for(&h, d(b"\x04corp\x09iPXE")),
        "subnet.0",
        "bad list"
    );
}

#[test]
fn ipxe_key_tests_option_175_presence() {
    let h = harness(
        "[[class]]\nname = \"chained\"\nipxe = true\nboot_file = \"menu.ipxe\"\n\
         [[class]]\nname = \"firmware\"\nipxe = false\nvendor_class = \"PXEClient\"\nboot_file = \"undionly.kpxe\"\n",
    );
    let pxe = Req::discover(1).opt(code::VENDOR_CLASS_ID, b"PXEClient:Arch:00000:UNDI:002001");
    assert_eq!(boot_file_for(&h, pxe.clone()), "undionly.kpxe");
    assert_eq!(boot_file_for(&h, pxe.opt(175, &[0xb1, 1, 1])), "menu.ipxe");
    assert_eq!(
        boot_file_for(&h, Req::discover(1)),
        "subnet.0",
        "ipxe=false alone is not enough"
    );
}

#[test]
fn vendor_class_is_a_prefix_match() {
    let h =
        harness("[[class]]\nname = \"pxe\"\nvendor_class = \"PXEClient\"\nboot_file = \"pxe.0\"\n");
    let d = |vc: &[u8]| Req::discover(1).opt(code::VENDOR_CLASS_ID, vc);
    assert_eq!(
        boot_file_for(&h, d(b"PXEClient:Arch:00007:UNDI:003016")),
        "pxe.0"
    );
    assert_eq!(boot_file_for(&h, d(b"PXEClient")), "pxe.0");
    assert_eq!(boot_file_for(&h, d(b"PXEClien")), "subnet.0");
    assert_eq!(boot_file_for(&h, d(b"HTTPClient:Arch:00016")), "subnet.0");
}

#[test]
fn hw_address_prefix_matches_chaddr() {
    let h = harness(
        "[[class]]\nname = \"qemu\"\nhw_address_prefix = \"52:54:00:00:00\"\nboot_file = \"qemu.0\"\n\
         [[class]]\nname = \"other\"\nhw_address_prefix = \"02:00\"\nboot_file = \"other.0\"\n",
    );
    assert_eq!(boot_file_for(&h, Req::discover(1)), "qemu.0");
}

#[test]
fn relay_ids_and_subnet_match_relayed_requests() {
    let mut h = harness(
        "[[class]]\nname = \"port7\"\ncircuit_id = \"eth0/7\"\nremote_id = \"0x0102\"\nboot_file = \"port7.0\"\n\
         [[class]]\nname = \"far\"\nsubnet = \"198.18.0.0/23\"\nboot_file = \"far.0\"\nnext_server = \"198.18.1.5\"\n",
    );
    h.arrival = relayed(ip("198.18.1.1"), 67);
    let d = |circuit: &[u8], remote: &[u8]| {
        Req::discover(1)
            .giaddr(ip("198.18.1.1"))
            .relay_info(&[(1, circuit), (2, remote)])
    };
    let r = h.peek(&d(b"eth0/7", &[1, 2]));
    assert_eq!(file(reply(&r)), "port7.0");
    assert_eq!(
        reply(&r).siaddr,
        ip("198.18.1.5"),
        "next_server from the next class"
    );
    assert_eq!(
        boot_file_for(&h, d(b"eth0/7", &[1, 3])),
        "far.0",
        "remote id differs"
    );
    assert_eq!(
        boot_file_for(&h, d(b"eth0/8", &[1, 2])),
        "far.0",
        "circuit id differs"
    );
    // The subnet key matches the selected subnet (198.18.1.0/24 lies in 198.18.0.0/23).
    h.arrival = arrival();
    let local = h.peek(&Req::discover(1));
    assert_eq!(
        file(reply(&local)),
        "far.0",
        "198.18.0.0/24 lies in the /23 too"
    );
}

#[test]
fn subnet_key_needs_the_selected_subnet_inside_it() {
    let mut h =
        harness("[[class]]\nname = \"far\"\nsubnet = \"198.18.1.0/24\"\nboot_file = \"far.0\"\n");
    assert_eq!(boot_file_for(&h, Req::discover(1)), "subnet.0");
    h.arrival = relayed(ip("198.18.1.1"), 67);
    assert_eq!(
        boot_file_for(&h, Req::discover(1).giaddr(ip("198.18.1.1"))),
        "far.0"
    );
}

#[test]
fn option_82_of_a_direct_client_is_not_trusted() {
    let h =
        harness("[[class]]\nname = \"port7\"\ncircuit_id = \"eth0/7\"\nboot_file = \"port7.0\"\n");
    let forged = Req::discover(1).relay_info(&[(1, b"eth0/7")]);
    assert_eq!(boot_file_for(&h, forged), "subnet.0");
}

#[test]
fn first_matching_class_wins_per_field() {
    let h = harness(
        "[[class]]\nname = \"a\"\nvendor_class = \"PXE\"\nboot_file = \"a.0\"\n\
         [class.options]\ndomain-name = \"a.test\"\n\
         [[class]]\nname = \"b\"\narch = [7]\nboot_file = \"b.0\"\nnext_server = \"198.18.0.7\"\nserver_name = \"b-name\"\n\
         [class.options]\ndomain-name = \"b.test\"\nntp-servers = \"198.18.0.123\"\n",
    );
    let both = Req::discover(1)
        .opt(code::VENDOR_CLASS_ID, b"PXEClient")
        .opt(code::CLIENT_ARCH, &[0, 7]);
    let d = h.peek(&both);
    let p = reply(&d);
    assert_eq!(file(p), "a.0");
    assert_eq!(p.siaddr, ip("198.18.0.7"), "a sets no next_server, b does");
    assert_eq!(sname(p), "b-name");
    assert_eq!(p.options.get(code::DOMAIN_NAME), Some(&b"a.test"[..]));
    assert_eq!(p.options.get(42), Some(&[198, 18, 0, 123][..]));
    // Only b.
    let d = h.peek(&Req::discover(1).opt(code::CLIENT_ARCH, &[0, 7]));
    assert_eq!(file(reply(&d)), "b.0");
    assert_eq!(
        reply(&d).options.get(code::DOMAIN_NAME),
        Some(&b"b.test"[..])
    );
}

#[test]
fn precedence_reservation_over_class_over_pool_over_subnet() {
    let h = harness(
        "[[class]]\nname = \"x64\"\narch = [\"efi-x64\"]\nboot_file = \"class.efi\"\nnext_server = \"198.18.0.9\"\n\
         [class.options]\ndomain-name = \"class.test\"\n",
    );
    let x64 = |n: u8| {
        Req::discover(n)
            .opt(code::CLIENT_ARCH, &[0, 7])
            .prl(&[1, 3, 15, 66, 67])
    };
    // Class over pool and subnet.
    let d = h.peek(&x64(1));
    let p = reply(&d);
    assert_eq!(file(p), "class.efi");
    assert_eq!(p.siaddr, ip("198.18.0.9"));
    assert_eq!(sname(p), "subnet-name", "the class sets no server_name");
    assert_eq!(p.options.get(code::DOMAIN_NAME), Some(&b"class.test"[..]));
    assert_eq!(
        p.options.get(code::ROUTER),
        Some(&[198, 18, 0, 1][..]),
        "subnet option kept"
    );
    // Reservation over class: boot_file and its options; next_server is the class's since the
    // reservation sets none.
    let d = h.peek(&x64(0xaa));
    let p = reply(&d);
    assert_eq!(p.yiaddr, ip("198.18.0.10"));
    assert_eq!(file(p), "reserved.0");
    assert_eq!(p.siaddr, ip("198.18.0.9"));
    assert_eq!(
        p.options.get(code::DOMAIN_NAME),
        Some(&b"reserved.test"[..])
    );
    // Not a member: pool over subnet.
    let d = h.peek(&Req::discover(1).prl(&[1, 3, 15]));
    let p = reply(&d);
    assert_eq!(file(p), "subnet.0");
    assert_eq!(p.siaddr, ip("198.18.0.1"));
    assert_eq!(p.options.get(code::DOMAIN_NAME), Some(&b"pool.test"[..]));
}

#[test]
fn uefi_http_boot_gets_httpclient_echoed_and_a_url() {
    let h = harness(
        "[[class]]\nname = \"http\"\nvendor_class = \"HTTPClient\"\n\
         boot_file = \"http://198.18.0.1:8080/ipxe.efi\"\n\
         [class.options]\nvendor_class_identifier = \"HTTPClient\"\n",
    );
    // The client's parameter request list does not name option 60: it is sent anyway.
    let req = Req::discover(1)
        .opt(code::VENDOR_CLASS_ID, b"HTTPClient:Arch:00016:UNDI:003001")
        .opt(code::CLIENT_ARCH, &[0, 16])
        .prl(&[1, 3, 6, 67]);
    let d = h.peek(&req);
    let p = reply(&d);
    assert_eq!(file(p), "http://198.18.0.1:8080/ipxe.efi");
    assert_eq!(
        p.options.get(code::VENDOR_CLASS_ID),
        Some(&b"HTTPClient"[..])
    );
    // A PXE client does not get option 60.
    let d = h.peek(
        &Req::discover(2)
            .opt(code::VENDOR_CLASS_ID, b"PXEClient")
            .prl(&[1, 3, 60]),
    );
    assert_eq!(reply(&d).options.get(code::VENDOR_CLASS_ID), None);
}

const RESTRICTED: &str = r#"
[[class]]
name = "ipxe"
user_class = "iPXE"
[[class]]
name = "lab"
hw_address_prefix = "52:54:00:00:01"

[[subnet]]
subnet = "198.18.0.0/24"
interface = "eth0"
[[subnet.pool]]
range = "198.18.0.100-198.18.0.100"
classes = ["ipxe", "lab"]
[[subnet.pool]]
range = "198.18.0.200-198.18.0.200"

[[subnet]]
subnet = "198.18.1.0/24"
[[subnet.pool]]
range = "198.18.1.100-198.18.1.199"
classes = ["lab"]
"#;

#[test]
fn pool_classes_restrict_allocation_to_members() {
    let mut h = Harness::with(RESTRICTED);
    let ipxe = Req::discover(1).opt(code::USER_CLASS, b"iPXE");
    assert_eq!(h.peek(&ipxe).outcome, Outcome::Offered(ip("198.18.0.100")));
    // A client in no class skips the restricted pool and gets the open one.
    assert_eq!(
        h.peek(&Req::discover(2)).outcome,
        Outcome::Offered(ip("198.18.0.200"))
    );
    // The open pool taken, a non-member gets nothing, though the restricted pool is free.
    let addr = h.dora(3);
    assert_eq!(addr, ip("198.18.0.200"));
    assert_eq!(
        h.peek(&Req::discover(4)).outcome,
        Outcome::Dropped(DropReason::PoolExhausted)
    );
    // Asking for the restricted address does not help: NAK.
    let sid = ip("198.18.0.1");
    let v = h.send(&Req::request(4).server_id(sid).requested(ip("198.18.0.100")));
    assert_eq!(v.outcome, Outcome::Nak(NakReason::AddressUnavailable));
    // A member by hardware address (lab) still gets it.
    let lab = Req(leasehold_wire::Packet::boot_request(
        leasehold_wire::HwAddr::ethernet([0x52, 0x54, 0, 0, 1, 9]),
        77,
    ))
    .opt(code::MESSAGE_TYPE, &[1]);
    assert_eq!(h.peek(&lab).outcome, Outcome::Offered(ip("198.18.0.100")));
}

#[test]
fn deny_drops_members_silently() {
    let mut h = harness(
        "[[class]]\nname = \"blocked\"\nhw_address_prefix = \"52:54:00:00:00:0b\"\ndeny = true\n",
    );
    for req in [
        Req::discover(0x0b),
        Req::request(0x0b).requested(ip("198.18.0.100")),
        Req::bootp(0x0b),
    ] {
        let v = h.send(&req);
        assert_eq!(v.outcome, Outcome::Dropped(DropReason::ClassDenied));
        assert!(v.reply.is_none());
    }
    assert!(h.table().by_client(&ClientKey::HwAddr(mac(0x0b))).is_none());
    let counted = h
        .server
        .guard()
        .drops()
        .find(|(r, _)| *r == DropReason::ClassDenied)
        .map_or(0, |(_, n)| n);
    assert_eq!(counted, 3, "counted like every other drop");
    assert!(matches!(
        h.send(&Req::discover(1)).outcome,
        Outcome::Offered(_)
    ));
    assert_eq!(DropReason::ClassDenied.as_str(), "class_denied");
}

#[test]
fn bootp_clients_are_classified_too() {
    let h = Harness::with(&format!(
        "[server]\ndynamic_bootp = true\n\
         [[class]]\nname = \"old\"\nhw_address_prefix = \"52:54:00\"\nboot_file = \"bootp.0\"\nserver_name = \"old-boot\"\n\
         [class.options]\nntp-servers = \"198.18.0.123\"\n{LINKS}"
    ));
    let d = h.peek(&Req::bootp(1));
    assert!(matches!(d.outcome, Outcome::Bootp(_)), "{:?}", d.outcome);
    let p = reply(&d);
    assert_eq!(file(p), "bootp.0");
    assert_eq!(sname(p), "old-boot");
    assert_eq!(p.options.get(42), Some(&[198, 18, 0, 123][..]));
}

/// examples/boot.toml as documented: every firmware gets its file, booting machines their pool.
#[test]
fn the_boot_example_serves_each_firmware() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/boot.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    let mut h = Harness::with(&text);
    h.arrival.local_addr = ip("127.0.0.1");
    h.arrival.iface = Some("lo".into());
    let offer = |h: &Harness, req: Req| {
        let d = h.peek(&req);
        let p = reply(&d).clone();
        (p.yiaddr, file(&p).to_string(), p)
    };
    let pxe = |arch: u8| {
        Req::discover(1)
            .opt(
                code::VENDOR_CLASS_ID,
                format!("PXEClient:Arch:000{arch:02}:UNDI:002001").as_bytes(),
            )
            .opt(code::CLIENT_ARCH, &[0, arch])
    };
    let booting = |a: std::net::Ipv4Addr| (ip("127.0.0.100")..=ip("127.0.0.149")).contains(&a);
    let (a, f, p) = offer(&h, pxe(0));
    assert!(booting(a), "{a}");
    assert_eq!((f.as_str(), p.siaddr), ("undionly.kpxe", ip("127.0.0.1")));
    let (_, f, _) = offer(
        &h,
        pxe(0)
            .opt(code::USER_CLASS, b"iPXE")
            .opt(175, &[0xb1, 1, 1]),
    );
    assert_eq!(f, "http://127.0.0.1:8069/boot.ipxe");
    assert_eq!(offer(&h, pxe(7)).1, "ipxe.efi");
    assert_eq!(offer(&h, pxe(11)).1, "arm64/ipxe.efi");
    let http = Req::discover(1)
        .opt(code::VENDOR_CLASS_ID, b"HTTPClient:Arch:00016:UNDI:003001")
        .opt(code::CLIENT_ARCH, &[0, 16]);
    let (_, f, p) = offer(&h, http);
    assert_eq!(f, "http://127.0.0.1:8069/ipxe.efi");
    assert_eq!(
        p.options.get(code::VENDOR_CLASS_ID),
        Some(&b"HTTPClient"[..])
    );
    let (a, f, _) = offer(&h, Req::discover(2));
    assert!(!booting(a) && f.is_empty(), "{a} {f:?}");
    h.dora(2);
    let c = h.config();
    assert!(c.tftp.is_some() && c.http_boot.is_some());
    let proxy =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/boot-proxy.toml");
    let proxy = leasehold_engine::Config::load(&proxy).unwrap_or_else(|e| panic!("{e}"));
    assert!(proxy.has_proxy());
}

/// `known`: a client with a reservation (anywhere) is known; `known = false` with `deny` refuses
/// every other client (ISC dhcpd's `deny unknown-clients`), and a pool for class `known` serves
/// reserved clients only.
#[test]
fn known_key_tells_reserved_clients_from_the_rest() {
    let mut h = harness("[[class]]\nname = \"unknown\"\nknown = false\ndeny = true\n");
    assert_eq!(
        h.send(&Req::discover(1)).outcome,
        Outcome::Dropped(DropReason::ClassDenied),
        "a client without a reservation"
    );
    // The reservation of LINKS is by hardware address 52:54:00:00:00:aa.
    assert_eq!(
        h.send(&Req::discover(0xaa)).outcome,
        Outcome::Offered(ip("198.18.0.10"))
    );
    // Known by a client-id reservation too, and `known = true` matches it.
    let mut h = Harness::with(
        r#"
[[class]]
name = "known"
known = true
[class.options]
domain-name = "known.test"

[[subnet]]
subnet = "198.18.0.0/24"
interface = "eth0"
[[subnet.pool]]
range = "198.18.0.100-198.18.0.109"
classes = ["known"]
[[subnet.reservation]]
client_id = "01:52:54:00:00:00:cc"
address = "198.18.0.20"
"#,
    );
    let by_id = Req::discover(7).client_id(&[1, 0x52, 0x54, 0, 0, 0, 0xcc]);
    let v = h.send(&by_id);
    assert_eq!(v.outcome, Outcome::Offered(ip("198.18.0.20")));
    assert_eq!(
        reply(&v).options.get(code::DOMAIN_NAME),
        Some(&b"known.test"[..]),
        "the class's option reaches the known client"
    );
    // The pool is for known clients only: an unknown one gets nothing from it.
    assert_eq!(
        h.send(&Req::discover(2)).outcome,
        Outcome::Dropped(DropReason::PoolExhausted)
    );
}

/// Every architecture the configuration names (the IANA registry values, RFC 4578 erratum 4624)
/// selects its own class, by name and by number, and a client listing two architectures gets the
/// class written first.
#[test]
fn every_named_architecture_selects_its_class() {
    use leasehold_engine::config::class::{arch_by_name, ARCH_NAMES};
    // The codes the issue names, checked against the table rather than taken from it.
    for (name, code) in [
        ("bios", 0),
        ("efi-ia32", 6),
        ("efi-x64", 7),
        ("efi-bc", 9),
        ("efi-arm32", 10),
        ("efi-arm64", 11),
        ("efi-x64-http", 16),
        ("efi-arm64-http", 19),
        ("efi-riscv32", 25),
        ("efi-riscv64", 27),
    ] {
        assert_eq!(arch_by_name(name), Some(code), "{name}");
    }
    let mut classes = String::new();
    for (name, _) in ARCH_NAMES {
        classes.push_str(&format!(
            "[[class]]\nname = \"{name}\"\narch = [\"{name}\"]\nboot_file = \"{name}.efi\"\n"
        ));
    }
    let h = harness(&classes);
    for (name, code) in ARCH_NAMES {
        let want = format!("{name}.efi");
        let got = boot_file_for(
            &h,
            Req::discover(1).opt(code::CLIENT_ARCH, &code.to_be_bytes()),
        );
        assert_eq!(got, want, "architecture {code}");
    }
    // By number in the configuration, too: 7 is x64 UEFI, not EFI BC (erratum 4624).
    let h = harness("[[class]]\nname = \"x64\"\narch = [7]\nboot_file = \"x64.efi\"\n");
    let x64 = Req::discover(1).opt(code::CLIENT_ARCH, &[0, 7]);
    assert_eq!(boot_file_for(&h, x64), "x64.efi");
    let bc = Req::discover(1).opt(code::CLIENT_ARCH, &[0, 9]);
    assert_eq!(boot_file_for(&h, bc), "subnet.0");
}
