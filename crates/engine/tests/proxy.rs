//! Proxy DHCP on `proxy = true` subnets: PXE clients get boot information without an address;
//! everything else is left to the DHCP server that assigns addresses.

mod common;

use common::*;
use leasehold_engine::{ClientKey, Destination, DropReason, Outcome};
use leasehold_wire::options::code;
use leasehold_wire::MessageType;
use std::net::SocketAddrV4;

const PROXY: &str = r#"
[server]
[server.options]
domain-name-servers = ["198.18.0.53"]

[[class]]
name = "ipxe"
user_class = "iPXE"
boot_file = "http://198.18.0.1:8069/boot.ipxe"
[[class]]
name = "bios"
vendor_class = "PXEClient"
arch = ["bios"]
boot_file = "undionly.kpxe"
next_server = "198.18.0.1"
server_name = "boot1"
[[class]]
name = "efi-x64"
arch = ["efi-x64"]
boot_file = "ipxe.efi"
next_server = "198.18.0.1"

[[subnet]]
subnet = "198.18.0.0/24"
interface = "eth0"
proxy = true
[subnet.options]
router = "198.18.0.254"

[[subnet]]
subnet = "198.18.1.0/24"
[[subnet.pool]]
range = "198.18.1.100-198.18.1.199"
"#;

const UUID: [u8; 17] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];

/// A PXE firmware DISCOVER from a BIOS client.
fn pxe_discover(n: u8) -> Req {
    Req::discover(n)
        .opt(code::VENDOR_CLASS_ID, b"PXEClient:Arch:00000:UNDI:002001")
        .opt(code::CLIENT_ARCH, &[0, 0])
        .opt(code::CLIENT_UUID, &UUID)
        .prl(&[1, 3, 43, 60, 66, 67])
}

/// The arrival of a datagram sent to the PXE port by a client at 198.18.0.50:68.
fn at_pxe_port() -> leasehold_engine::Arrival {
    let mut a = arrival();
    a.local_port = 4011;
    a.source = SocketAddrV4::new(ip("198.18.0.50"), 68);
    a
}

#[test]
fn proxy_offer_gives_boot_information_without_an_address() {
    let mut h = Harness::with(PROXY);
    let v = h.send(&pxe_discover(1));
    assert_eq!(v.outcome, Outcome::Offered(ip("0.0.0.0")));
    assert!(v.changes.is_empty(), "no lease, no offer recorded");
    let r = v.reply.as_ref().unwrap_or_else(|| panic!("no reply"));
    let p = &r.packet;
    assert_eq!(p.yiaddr, ip("0.0.0.0"));
    assert_eq!(p.siaddr, ip("198.18.0.1"));
    assert_eq!(p.file, b"undionly.kpxe");
    assert_eq!(p.sname, b"boot1");
    assert_eq!(p.message_type(), Some(MessageType::Offer));
    assert_eq!(p.options.server_id(), Some(ip("198.18.0.1")));
    assert_eq!(
        p.options.get(code::VENDOR_CLASS_ID),
        Some(&b"PXEClient"[..])
    );
    assert_eq!(p.options.get(code::CLIENT_UUID), Some(&UUID[..]));
    // PXE_DISCOVERY_CONTROL = 8: take the boot file of this offer, no boot server discovery.
    assert_eq!(
        p.options.get(code::VENDOR_SPECIFIC),
        Some(&[6, 1, 8, 255][..])
    );
    for c in [
        code::LEASE_TIME,
        code::RENEWAL_TIME,
        code::REBINDING_TIME,
        code::ROUTER,
        code::DNS_SERVERS,
        code::SUBNET_MASK,
    ] {
        assert_eq!(p.options.get(c), None, "option {c} is the other server's");
    }
    assert!(
        matches!(r.destination, Destination::Broadcast { port: 68 }),
        "{:?}",
        r.destination
    );
    assert!(h.table().by_client(&ClientKey::HwAddr(mac(1))).is_none());
}

#[test]
fn proxy_offer_without_uuid_sends_none_and_follows_the_classes() {
    let h = Harness::with(PROXY);
    let efi = Req::discover(2)
        .opt(code::VENDOR_CLASS_ID, b"PXEClient:Arch:00007:UNDI:003016")
        .opt(code::CLIENT_ARCH, &[0, 7]);
    let d = h.peek(&efi);
    let p = reply(&d);
    assert_eq!(p.file, b"ipxe.efi");
    assert_eq!(p.options.get(code::CLIENT_UUID), None);
    // No PXE vendor options for UEFI firmware on the server port: it then asks on port 4011,
    // where the ACK carries them.
    assert_eq!(p.options.get(code::VENDOR_SPECIFIC), None);
    let mut h4011 = Harness::with(PROXY);
    h4011.arrival = at_pxe_port();
    let ack = h4011.peek(
        &Req::request(2)
            .ciaddr(ip("198.18.0.50"))
            .opt(code::VENDOR_CLASS_ID, b"PXEClient:Arch:00007:UNDI:003016")
            .opt(code::CLIENT_ARCH, &[0, 7]),
    );
    assert_eq!(reply(&ack).file, b"ipxe.efi");
    assert_eq!(
        reply(&ack).options.get(code::VENDOR_SPECIFIC),
        Some(&[6, 1, 8, 255][..])
    );
    // iPXE (its vendor class still starts with PXEClient) gets the script over HTTP.
    let ipxe = pxe_discover(3)
        .opt(code::USER_CLASS, b"iPXE")
        .opt(175, &[0xb1, 1, 1]);
    assert_eq!(
        reply(&h.peek(&ipxe)).file,
        b"http://198.18.0.1:8069/boot.ipxe"
    );
}

#[test]
fn proxy_request_on_the_pxe_port_gets_an_ack_unicast_to_its_source() {
    let mut h = Harness::with(PROXY);
    h.arrival = at_pxe_port();
    let mut req = Req::request(1)
        .opt(code::VENDOR_CLASS_ID, b"PXEClient:Arch:00000:UNDI:002001")
        .opt(code::CLIENT_ARCH, &[0, 0])
        .opt(code::CLIENT_UUID, &UUID)
        .ciaddr(ip("198.18.0.50"));
    req.0
        .options
        .insert(code::SERVER_ID, ip("198.18.0.1").octets().to_vec());
    let v = h.send(&req);
    assert_eq!(v.outcome, Outcome::Informed);
    assert!(v.changes.is_empty());
    let r = v.reply.as_ref().unwrap_or_else(|| panic!("no reply"));
    assert_eq!(r.packet.message_type(), Some(MessageType::Ack));
    assert_eq!(
        (r.packet.yiaddr, r.packet.ciaddr),
        (ip("0.0.0.0"), ip("198.18.0.50"))
    );
    assert_eq!(r.packet.file, b"undionly.kpxe");
    assert_eq!(
        r.packet.options.get(code::VENDOR_SPECIFIC),
        Some(&[6, 1, 8, 255][..])
    );
    assert_eq!(r.packet.options.get(code::LEASE_TIME), None);
    assert_eq!(
        r.destination,
        Destination::Unicast {
            addr: ip("198.18.0.50"),
            port: 68
        }
    );
    // From a client without an address yet: broadcast to its port.
    let mut a = at_pxe_port();
    a.source = SocketAddrV4::new(ip("0.0.0.0"), 68);
    h.arrival = a;
    let no_ciaddr = Req::request(1)
        .opt(code::VENDOR_CLASS_ID, b"PXEClient")
        .opt(code::CLIENT_ARCH, &[0, 0]);
    let v = h.send(&no_ciaddr);
    assert_eq!(v.outcome, Outcome::Informed);
    let r = v.reply.as_ref().unwrap_or_else(|| panic!("no reply"));
    assert_eq!(r.destination, Destination::Broadcast { port: 68 });
    assert!(r.packet.broadcast());
}

#[test]
fn proxy_ignores_everything_else_and_never_naks() {
    let mut h = Harness::with(PROXY);
    let pxe = |r: Req| r.opt(code::VENDOR_CLASS_ID, b"PXEClient:Arch:00000:UNDI:002001");
    // Not a PXE client.
    assert_eq!(
        h.send(&Req::discover(1)).outcome,
        Outcome::Dropped(DropReason::ProxyNotPxe)
    );
    let http = Req::discover(1).opt(code::VENDOR_CLASS_ID, b"HTTPClient:Arch:00016");
    assert_eq!(
        h.send(&http).outcome,
        Outcome::Dropped(DropReason::ProxyNotPxe)
    );
    // A PXE client's messages for the real server, on the server port.
    let ignored = [
        pxe(Req::request(1)
            .server_id(ip("198.18.0.2"))
            .requested(ip("198.18.0.50"))),
        pxe(Req::request(1).requested(ip("198.18.0.50"))),
        pxe(Req::request(1).ciaddr(ip("198.18.0.50"))),
        pxe(Req::new(1, MessageType::Release).ciaddr(ip("198.18.0.50"))),
        pxe(Req::new(1, MessageType::Decline).requested(ip("198.18.0.50"))),
        pxe(Req::new(1, MessageType::Inform).ciaddr(ip("198.18.0.50"))),
        pxe(Req::bootp(1)),
    ];
    for req in &ignored {
        let v = h.send(req);
        assert_eq!(
            v.outcome,
            Outcome::Dropped(DropReason::ProxyIgnored),
            "{:?}",
            req.0.message_type()
        );
        assert!(v.reply.is_none() && v.changes.is_empty());
    }
    // A DISCOVER sent to the PXE port is not a proxy offer's trigger.
    h.arrival = at_pxe_port();
    assert_eq!(
        h.send(&pxe_discover(1)).outcome,
        Outcome::Dropped(DropReason::ProxyIgnored)
    );
}

#[test]
fn proxy_needs_a_boot_file() {
    let h = Harness::with(PROXY);
    let arm = Req::discover(4)
        .opt(code::VENDOR_CLASS_ID, b"PXEClient:Arch:00011:UNDI:003000")
        .opt(code::CLIENT_ARCH, &[0, 11]);
    assert_eq!(
        h.peek(&arm).outcome,
        Outcome::Dropped(DropReason::ProxyNoBootFile)
    );
}

#[test]
fn the_pxe_port_serves_proxy_subnets_only() {
    let mut h = Harness::with(PROXY);
    let mut a = relayed(ip("198.18.1.1"), 67);
    a.local_port = 4011;
    h.arrival = a;
    let v = h.send(&Req::discover(1).giaddr(ip("198.18.1.1")));
    assert_eq!(v.outcome, Outcome::Dropped(DropReason::ProxyIgnored));
    // The same on the server port is served normally.
    h.arrival = relayed(ip("198.18.1.1"), 67);
    let v = h.send(&Req::discover(1).giaddr(ip("198.18.1.1")));
    assert!(
        matches!(v.outcome, Outcome::Offered(a) if a != ip("0.0.0.0")),
        "{:?}",
        v.outcome
    );
}

#[test]
fn proxy_through_a_relay_answers_the_relay() {
    let text = PROXY.replace(
        "[[subnet]]\nsubnet = \"198.18.1.0/24\"\n[[subnet.pool]]\nrange = \"198.18.1.100-198.18.1.199\"\n",
        "[[subnet]]\nsubnet = \"198.18.1.0/24\"\nproxy = true\n",
    );
    let mut h = Harness::with(&text);
    h.arrival = relayed(ip("198.18.1.1"), 67);
    let v = h.send(&pxe_discover(1).giaddr(ip("198.18.1.1")));
    assert_eq!(v.outcome, Outcome::Offered(ip("0.0.0.0")));
    let r = v.reply.as_ref().unwrap_or_else(|| panic!("no reply"));
    assert_eq!(
        r.destination,
        Destination::Relay {
            addr: ip("198.18.1.1"),
            port: 67
        }
    );
    assert_eq!(r.packet.file, b"undionly.kpxe");
}

#[test]
fn proxy_siaddr_defaults_to_this_server() {
    let h = Harness::with(
        "[[class]]\nname = \"any\"\nvendor_class = \"PXEClient\"\nboot_file = \"undionly.kpxe\"\n\
         [[subnet]]\nsubnet = \"198.18.0.0/24\"\nproxy = true\n",
    );
    let d = h.peek(&pxe_discover(1));
    assert_eq!(reply(&d).siaddr, ip("198.18.0.1"));
    assert_eq!(reply(&d).file, b"undionly.kpxe");
    assert!(
        reply(&d).broadcast(),
        "the OFFER asks relays and clients for broadcast"
    );
}
