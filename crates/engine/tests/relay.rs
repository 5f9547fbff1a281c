//! The server side of relaying, as tables: subnet selection (RFC 3527, RFC 3011, RFC 2131
//! §4.3.1), option 82 parsing and echo (RFC 3046 §2.2), server identifier override (RFC 5107),
//! relay source port (RFC 8357), reservations keyed on circuit id / remote id, and the
//! `allowed_relays` list.

mod common;

use common::*;
use leasehold_engine::{Destination, Outcome};
use leasehold_wire::options::code;
use leasehold_wire::{EncodeParams, MessageType, Packet, RelayAgentInfo};
use std::net::Ipv4Addr;

/// Link A (198.18.20.0/24) is reached through relays; link B (198.18.21.0/24) too; 198.18.0.0/24
/// is the server's own link (eth0).
const CONFIG: &str = r#"
[server]
lease_time = 3600
server_port = 1067
allowed_relays = ["198.18.20.1", "198.18.21.0/24", "198.18.22.1", "198.18.0.254"]
[server.options]
domain-name-servers = ["198.18.0.1"]

[[subnet]]
subnet = "198.18.0.0/24"
interface = "eth0"
[[subnet.pool]]
range = "198.18.0.100-198.18.0.109"

[[subnet]]
subnet = "198.18.20.0/24"
[subnet.options]
router = "198.18.20.1"
[[subnet.pool]]
range = "198.18.20.100-198.18.20.199"
[[subnet.reservation]]
circuit_id = "eth0/7"
address = "198.18.20.7"
hostname = "port7"
[[subnet.reservation]]
remote_id = "switch-x"
address = "198.18.20.8"
[[subnet.reservation]]
circuit_id = "eth0/7"
remote_id = "switch-y"
address = "198.18.20.9"
[[subnet.reservation]]
circuit_id = "0x00040007"
address = "198.18.20.10"
boot_file = "port10.efi"
[[subnet.reservation]]
hw_address = "52:54:00:00:00:aa"
address = "198.18.20.50"
[[subnet.circuit]]
remote_id = "switch-x"
[subnet.circuit.options]
domain-name-servers = "198.18.20.53"
ntp-servers = "198.18.20.123"
[[subnet.circuit]]
circuit_id = "eth0/3"
remote_id = "switch-x"
[subnet.circuit.options]
domain-name-servers = "198.18.20.54"

[[subnet]]
subnet = "198.18.21.0/24"
[subnet.options]
router = "198.18.21.1"
[[subnet.pool]]
range = "198.18.21.100-198.18.21.199"
[[subnet.reservation]]
circuit_id = "eth0/7"
address = "198.18.21.7"

[[subnet]]
subnet = "198.18.22.0/24"
[[subnet.pool]]
range = "198.18.22.100-198.18.22.199"
"#;

const RELAY_A: &str = "198.18.20.1";

/// Option 82 sub-options as (code, value).
type Subs = Vec<(u8, Vec<u8>)>;

fn harness() -> Harness {
    Harness::with(CONFIG)
}

fn circuit(c: &[u8]) -> Subs {
    vec![(1, c.to_vec())]
}

/// A request relayed by RELAY_A with the given option 82 sub-options.
fn via_a(r: Req, subs: &[(u8, Vec<u8>)]) -> Req {
    let subs: Vec<(u8, &[u8])> = subs.iter().map(|(c, v)| (*c, v.as_slice())).collect();
    let r = r.giaddr(ip(RELAY_A));
    if subs.is_empty() {
        r
    } else {
        r.relay_info(&subs)
    }
}

fn offered(h: &mut Harness, r: &Req) -> Ipv4Addr {
    let relay = if r.0.giaddr.is_unspecified() {
        h.arrival.clone()
    } else {
        relayed(r.0.giaddr, 1067)
    };
    let d = h.send_from(r, &relay);
    match d.outcome {
        Outcome::Offered(a) => a,
        other => panic!("no offer: {other:?}"),
    }
}

/// DISCOVER + REQUEST through `subs` at RELAY_A; returns the bound address.
fn dora_via_a(h: &mut Harness, n: u8, subs: &[(u8, Vec<u8>)]) -> Ipv4Addr {
    let arr = relayed(ip(RELAY_A), 1067);
    let offer = h.send_from(&via_a(Req::discover(n), subs), &arr);
    let Outcome::Offered(a) = offer.outcome else {
        panic!("no offer: {:?}", offer.outcome)
    };
    let sid = server_id(&offer);
    let d = h.send_from(
        &via_a(Req::request(n).server_id(sid).requested(a), subs),
        &arr,
    );
    assert_eq!(d.outcome, Outcome::Acked(a));
    a
}

/// The code of the last option before END in an encoded packet (options from byte 240).
fn last_option(bytes: &[u8]) -> Option<u8> {
    let mut i = 240;
    let mut last = None;
    while let Some(&c) = bytes.get(i) {
        match c {
            0 => i += 1,
            255 => return last,
            _ => {
                last = Some(c);
                i += 2 + usize::from(*bytes.get(i + 1)?);
            }
        }
    }
    None
}

/// Subnet selection, first match wins (module docs of `select.rs`).
#[test]
fn subnet_selection_precedence_table() {
    let sel = |a: &str| ip(a).octets().to_vec();
    let rows: Vec<(&str, Req, Option<&str>)> = vec![
        (
            "RFC 3527 §3: link selection (82.5) beats option 118 and giaddr",
            via_a(Req::discover(1), &[(5, sel("198.18.21.0"))]).opt(118, &sel("198.18.22.0")),
            Some("198.18.21."),
        ),
        (
            "RFC 3527 §3: link selection names the subnet even though giaddr is elsewhere",
            via_a(Req::discover(1), &[(5, sel("198.18.22.33"))]),
            Some("198.18.22."),
        ),
        (
            "RFC 3011 §3: option 118 beats giaddr",
            via_a(Req::discover(1), &[]).opt(118, &sel("198.18.21.0")),
            Some("198.18.21."),
        ),
        (
            "RFC 3011 §3: option 118 from a directly attached client",
            Req::discover(1).opt(118, &sel("198.18.22.0")),
            Some("198.18.22."),
        ),
        (
            "RFC 2131 §4.3.1: giaddr names the client's subnet",
            via_a(Req::discover(1), &[]),
            Some("198.18.20."),
        ),
        (
            "RFC 2131 §4.3.1: giaddr beats ciaddr",
            via_a(Req::discover(1), &[]).ciaddr(ip("198.18.21.150")),
            Some("198.18.20."),
        ),
        (
            "RFC 2131 §4.3.1: no selector, no relay: the arrival interface's subnet",
            Req::discover(1),
            Some("198.18.0."),
        ),
        (
            "RFC 3527 §3: a link selection we do not serve selects nothing",
            via_a(Req::discover(1), &[(5, sel("10.1.2.0"))]),
            None,
        ),
        (
            "RFC 3011 §3: a subnet selection we do not serve selects nothing",
            via_a(Req::discover(1), &[]).opt(118, &sel("10.1.2.0")),
            None,
        ),
        (
            "RFC 3527 §3: a malformed (not 4-byte) link selection is ignored, giaddr used",
            via_a(Req::discover(1), &[(5, vec![198, 18, 21])]),
            Some("198.18.20."),
        ),
    ];
    for (name, r, want) in rows {
        let mut h = harness();
        let arr = if r.0.giaddr.is_unspecified() {
            arrival()
        } else {
            relayed(r.0.giaddr, 1067)
        };
        let d = h.send_from(&r, &arr);
        match (want, &d.outcome) {
            (Some(prefix), Outcome::Offered(a)) => {
                assert!(a.to_string().starts_with(prefix), "{name}: got {a}")
            }
            (None, Outcome::Dropped(DropReason::NoSubnet)) => {}
            (w, o) => panic!("{name}: want {w:?}, got {o:?}"),
        }
    }
}

/// RFC 2131 §4.3.1 / §4.3.2: ciaddr selects the subnet of a direct RENEWING client (and an
/// INFORM) when there is no giaddr; the arrival interface only when ciaddr is unknown.
#[test]
fn rfc2131_4_3_2_ciaddr_over_arrival() {
    let h = harness();
    let d = h.peek(&Req::new(1, MessageType::Inform).ciaddr(ip("198.18.21.150")));
    assert_eq!(
        reply(&d).options.get(code::ROUTER),
        Some(&[198, 18, 21, 1][..])
    );
    let d = h.peek(&Req::new(1, MessageType::Inform).ciaddr(ip("10.0.0.9")));
    assert_eq!(
        reply(&d).options.get(code::ROUTER),
        None,
        "unknown ciaddr: arrival subnet 198.18.0.0/24 (no router configured)"
    );
}

/// RFC 3011 §3: the server returns an identical copy of option 118.
#[test]
fn rfc3011_3_subnet_selection_echoed() {
    let mut h = harness();
    let sel = ip("198.18.21.0").octets();
    let d = h.send_from(
        &via_a(Req::discover(1), &[]).opt(118, &sel),
        &relayed(ip(RELAY_A), 1067),
    );
    assert_eq!(reply(&d).options.get(118), Some(&sel[..]));
}

/// RFC 3046 §2.0: option 82 is parsed into its sub-options (circuit id, remote id, RFC 3993
/// subscriber id, RFC 3527 link selection, RFC 5107 server id override, RFC 8357 source port).
#[test]
fn rfc3046_2_0_sub_options_parsed() {
    let raw = [
        1, 6, b'e', b't', b'h', b'0', b'/', b'7', // circuit id
        2, 8, b's', b'w', b'i', b't', b'c', b'h', b'-', b'x', // remote id
        6, 3, b's', b'u', b'b', // subscriber id
        5, 4, 198, 18, 21, 0, // link selection
        11, 4, 198, 18, 20, 1, // server id override
        19, 2, 0x04, 0x2b, // relay source port
        151, 1, 0, // unknown: kept
    ];
    let info = RelayAgentInfo::parse(&raw).expect("valid");
    assert_eq!(info.circuit_id(), Some(&b"eth0/7"[..]));
    assert_eq!(info.remote_id(), Some(&b"switch-x"[..]));
    assert_eq!(info.subscriber_id(), Some(&b"sub"[..]));
    assert_eq!(info.link_selection(), Some(ip("198.18.21.0")));
    assert_eq!(info.server_id_override(), Some(ip("198.18.20.1")));
    assert!(info.wants_source_port());
    assert_eq!(
        info.to_bytes(),
        raw,
        "round trip keeps order and unknown sub-options"
    );
    assert!(RelayAgentInfo::parse(&[1, 9, 1]).is_err(), "overrun");
}

/// RFC 3046 §2.2: the server echoes the entire option 82, unchanged, in every reply (OFFER,
/// ACK, NAK, INFORM ACK), as the last option; and only when the request carried it.
#[test]
fn rfc3046_2_2_option82_echoed_unchanged() {
    let subs = vec![
        (1, b"eth0/3".to_vec()),
        (2, b"switch-z".to_vec()),
        (6, b"subscriber-9".to_vec()),
        (200, vec![0, 1, 2, 255]),
    ];
    let mut h = harness();
    let arr = relayed(ip(RELAY_A), 1067);
    let d = h.send_from(&via_a(Req::discover(1), &subs), &arr);
    let want = via_a(Req::discover(1), &subs)
        .0
        .options
        .get(code::RELAY_AGENT_INFO)
        .expect("82")
        .to_vec();
    let check = |what: &str, p: &Packet| {
        assert_eq!(
            p.options.get(code::RELAY_AGENT_INFO),
            Some(&want[..]),
            "{what}"
        );
        let bytes = p.encode(&EncodeParams::default()).expect("encodes");
        assert_eq!(
            last_option(&bytes),
            Some(82),
            "{what}: option 82 is the last option"
        );
    };
    check("OFFER", reply(&d));
    let Outcome::Offered(a) = d.outcome else {
        panic!()
    };
    let sid = server_id(&d);
    let d = h.send_from(
        &via_a(Req::request(1).server_id(sid).requested(a), &subs),
        &arr,
    );
    check("ACK", reply(&d));
    let d = h.send_from(
        &via_a(Req::request(1).requested(ip("198.18.21.5")), &subs),
        &arr,
    );
    assert_eq!(d.outcome, Outcome::Nak(NakReason::WrongNetwork));
    check("NAK", reply(&d));
    let d = h.send_from(
        &via_a(Req::new(1, MessageType::Inform).ciaddr(a), &subs),
        &arr,
    );
    check("INFORM ACK", reply(&d));
    let d = h.send_from(&via_a(Req::discover(2), &[]), &arr);
    assert_eq!(
        reply(&d).options.get(code::RELAY_AGENT_INFO),
        None,
        "not invented"
    );
}

/// RFC 5107 §4: the server identifier override becomes option 54 of OFFER and ACK, REQUESTs
/// naming it are recognised as ours, and a RENEWING request the relay forwards (ciaddr set, no
/// option 54) is ACKed, still carrying the override.
#[test]
fn rfc5107_4_server_id_override() {
    let mut h = harness();
    let over = vec![(11, ip(RELAY_A).octets().to_vec()), (1, b"eth0/3".to_vec())];
    let arr = relayed(ip(RELAY_A), 1067);
    let d = h.send_from(&via_a(Req::discover(1), &over), &arr);
    assert_eq!(server_id(&d), ip(RELAY_A), "OFFER carries the override");
    let Outcome::Offered(a) = d.outcome else {
        panic!()
    };
    let d = h.send_from(
        &via_a(Req::request(1).server_id(ip(RELAY_A)).requested(a), &over),
        &arr,
    );
    assert_eq!(
        d.outcome,
        Outcome::Acked(a),
        "SELECTING with the override as 54 is ours"
    );
    assert_eq!(server_id(&d), ip(RELAY_A));
    h.now += 1800;
    let d = h.send_from(&via_a(Req::request(1).ciaddr(a), &over), &arr);
    assert_eq!(d.outcome, Outcome::Acked(a), "RENEWING through the relay");
    assert_eq!(server_id(&d), ip(RELAY_A));
    let lease = h.table().by_addr(a).expect("lease");
    assert_eq!(lease.expires, h.now + 3600, "renewal moved the expiry");
    // Without the override the server identifies itself (its address on the arrival link).
    let d = h.send_from(&via_a(Req::discover(2), &[]), &arr);
    assert_eq!(server_id(&d), ip("198.18.9.1"));
    // A REQUEST naming another server drops our offer.
    let d = h.send_from(
        &via_a(
            Req::request(2).server_id(ip("198.18.99.99")).requested(a),
            &[],
        ),
        &arr,
    );
    assert_eq!(d.outcome, Outcome::Dropped(DropReason::OtherServer));
}

/// RFC 2131 §4.1 / RFC 1542 §5.4: replies go to the relay at giaddr on the configured server
/// port; RFC 8357 §5: with sub-option 19, to the relay's source port instead.
#[test]
fn rfc8357_5_reply_port() {
    let rows: Vec<(&str, Subs, u16, u16)> = vec![
        (
            "RFC 2131 §4.1: server port (configured 1067)",
            vec![],
            2000,
            1067,
        ),
        (
            "RFC 8357 §5: sub-option 19 → source port",
            vec![(19, vec![])],
            2000,
            2000,
        ),
        (
            "RFC 8357 §5: sub-option 19 with a value → source port",
            vec![(19, vec![0x07, 0xd0])],
            3000,
            3000,
        ),
    ];
    for (name, subs, src_port, want) in rows {
        let mut h = harness();
        let d = h.send_from(
            &via_a(Req::discover(1), &subs),
            &relayed(ip(RELAY_A), src_port),
        );
        assert_eq!(
            d.reply.map(|r| r.destination),
            Some(Destination::Relay {
                addr: ip(RELAY_A),
                port: want
            }),
            "{name}"
        );
    }
}

/// Reservations keyed on option 82 (RFC 3046 §2.0 circuit id / remote id): matching, hex form,
/// specificity, precedence of client reservations, and the reservation's own options.
#[test]
fn rfc3046_keyed_reservations_table() {
    let rows: Vec<(&str, u8, Subs, &str)> = vec![
        ("circuit id text", 1, circuit(b"eth0/7"), "198.18.20.7"),
        (
            "remote id",
            1,
            vec![(2, b"switch-x".to_vec())],
            "198.18.20.8",
        ),
        (
            "circuit + remote beats circuit alone",
            1,
            vec![(1, b"eth0/7".to_vec()), (2, b"switch-y".to_vec())],
            "198.18.20.9",
        ),
        (
            "circuit alone beats remote alone",
            1,
            vec![(1, b"eth0/7".to_vec()), (2, b"switch-x".to_vec())],
            "198.18.20.7",
        ),
        (
            "circuit id given as hex 0x00040007",
            1,
            circuit(&[0, 4, 0, 7]),
            "198.18.20.10",
        ),
        (
            "unknown circuit: pool",
            1,
            circuit(b"eth0/8"),
            "198.18.20.100",
        ),
        ("no option 82: pool", 1, vec![], "198.18.20.100"),
        (
            "hw_address reservation beats circuit id",
            0xaa,
            circuit(b"eth0/7"),
            "198.18.20.50",
        ),
    ];
    for (name, n, subs, want) in rows {
        let mut h = harness();
        assert_eq!(
            offered(&mut h, &via_a(Req::discover(n), &subs)),
            ip(want),
            "{name}"
        );
    }
    // The reservation is per link: the same circuit id through link B's relay gets link B's.
    let mut h = harness();
    let r = Req::discover(1)
        .giaddr(ip("198.18.21.1"))
        .relay_info(&[(1, b"eth0/7")]);
    assert_eq!(offered(&mut h, &r), ip("198.18.21.7"));
    // The keyed reservation's own settings go out: hostname, boot file.
    let mut h = harness();
    let arr = relayed(ip(RELAY_A), 1067);
    let d = h.send_from(&via_a(Req::discover(1), &circuit(&[0, 4, 0, 7])), &arr);
    assert_eq!(reply(&d).file, b"port10.efi".to_vec());
    let d = h.send_from(&via_a(Req::discover(2), &circuit(b"eth0/7")), &arr);
    assert_eq!(reply(&d).options.get(code::HOSTNAME), Some(&b"port7"[..]));
}

/// A keyed reservation follows the port, not the device: the device that leaves port 7 is
/// NAKed on renewal (RFC 2131 §4.3.2: its address is not correct for where it now is); a new
/// device on port 7 gets the address once the old lease is gone.
#[test]
fn keyed_reservation_follows_the_port() {
    let mut h = harness();
    let arr = relayed(ip(RELAY_A), 1067);
    let a = dora_via_a(&mut h, 1, &circuit(b"eth0/7"));
    assert_eq!(a, ip("198.18.20.7"));
    // Same device renews from port 7: ACK.
    let d = h.send_from(&via_a(Req::request(1).ciaddr(a), &circuit(b"eth0/7")), &arr);
    assert_eq!(d.outcome, Outcome::Acked(a));
    // While its lease lasts, another device on port 7 gets a pool address.
    assert_eq!(
        offered(&mut h, &via_a(Req::discover(2), &circuit(b"eth0/7"))),
        ip("198.18.20.100")
    );
    // The device moved to port 8: its renewal is refused.
    let d = h.send_from(&via_a(Req::request(1).ciaddr(a), &circuit(b"eth0/8")), &arr);
    assert_eq!(d.outcome, Outcome::Nak(NakReason::AddressTaken));
    // It releases; the new device on port 7 now gets the port's address.
    let d = h.send_from(
        &via_a(
            Req::new(1, MessageType::Release).ciaddr(a),
            &circuit(b"eth0/8"),
        ),
        &arr,
    );
    assert_eq!(d.outcome, Outcome::Released(a));
    h.now += 60;
    assert_eq!(
        offered(&mut h, &via_a(Req::discover(2), &circuit(b"eth0/7"))),
        ip("198.18.20.7")
    );
}

/// RFC 3046 §5 (security): option 82 from a directly attached client (giaddr 0) is not
/// trusted for keyed reservations unless `trust_option82_without_giaddr` is set.
#[test]
fn rfc3046_5_unrelayed_option82_untrusted() {
    let direct = CONFIG.replace(
        "[[subnet]]\nsubnet = \"198.18.20.0/24\"",
        "[[subnet]]\nsubnet = \"198.18.20.0/24\"\ninterface = \"eth2\"",
    );
    let mut h = Harness::with(&direct);
    h.arrival.iface = Some("eth2".into());
    h.arrival.local_addr = ip("198.18.20.2");
    let r = Req::discover(1).relay_info(&[(1, b"eth0/7")]);
    assert_eq!(offered(&mut h, &r), ip("198.18.20.100"), "ignored");
    let trusted = direct.replace(
        "server_port = 1067",
        "server_port = 1067\ntrust_option82_without_giaddr = true",
    );
    let mut h = Harness::with(&trusted);
    h.arrival.iface = Some("eth2".into());
    h.arrival.local_addr = ip("198.18.20.2");
    assert_eq!(
        offered(&mut h, &r),
        ip("198.18.20.7"),
        "trusted layer-2 agent"
    );
}

/// `allowed_relays`: relayed requests from giaddrs outside the list are dropped with
/// `relay_not_allowed` (every message type); listed addresses and prefixes are served; direct
/// clients are unaffected; without the key every relay is served; `[]` refuses every relay.
#[test]
fn allowed_relays_table() {
    let rows: Vec<(&str, Req, Option<DropReason>)> = vec![
        (
            "listed address",
            Req::discover(1).giaddr(ip("198.18.20.1")),
            None,
        ),
        (
            "inside a listed prefix",
            Req::discover(1).giaddr(ip("198.18.21.77")),
            None,
        ),
        (
            "not listed (same subnet as a listed one)",
            Req::discover(1).giaddr(ip("198.18.20.2")),
            Some(DropReason::RelayNotAllowed),
        ),
        (
            "not listed, REQUEST",
            Req::request(1)
                .giaddr(ip("198.18.22.2"))
                .requested(ip("198.18.22.100")),
            Some(DropReason::RelayNotAllowed),
        ),
        (
            "not listed, link selection cannot launder it",
            Req::discover(1)
                .giaddr(ip("198.18.23.1"))
                .relay_info(&[(5, &[198, 18, 20, 0])]),
            Some(DropReason::RelayNotAllowed),
        ),
        (
            "not listed, RELEASE",
            Req::new(1, MessageType::Release)
                .giaddr(ip("198.18.23.1"))
                .ciaddr(ip("198.18.20.100")),
            Some(DropReason::RelayNotAllowed),
        ),
        ("direct client", Req::discover(1), None),
    ];
    for (name, r, want) in rows {
        let mut h = harness();
        let arr = if r.0.giaddr.is_unspecified() {
            arrival()
        } else {
            relayed(r.0.giaddr, 1067)
        };
        let d = h.send_from(&r, &arr);
        match want {
            Some(reason) => assert_eq!(d.outcome, Outcome::Dropped(reason), "{name}"),
            None => assert!(
                matches!(d.outcome, Outcome::Offered(_)),
                "{name}: {:?}",
                d.outcome
            ),
        }
    }
    let open = CONFIG.replace(
        "allowed_relays = [\"198.18.20.1\", \"198.18.21.0/24\", \"198.18.22.1\", \"198.18.0.254\"]",
        "",
    );
    assert!(!open.contains("allowed_relays"));
    let mut h = Harness::with(&open);
    let r = Req::discover(1).giaddr(ip("198.18.20.2"));
    assert!(matches!(
        h.send_from(&r, &relayed(ip("198.18.20.2"), 67)).outcome,
        Outcome::Offered(_)
    ));
    let closed = CONFIG.replace(
        "\"198.18.20.1\", \"198.18.21.0/24\", \"198.18.22.1\", \"198.18.0.254\"",
        "",
    );
    let mut h = Harness::with(&closed);
    let r = Req::discover(1).giaddr(ip("198.18.20.1"));
    assert_eq!(
        h.send_from(&r, &relayed(ip("198.18.20.1"), 67)).outcome,
        Outcome::Dropped(DropReason::RelayNotAllowed)
    );
    assert!(matches!(
        h.peek(&Req::discover(1)).outcome,
        Outcome::Offered(_)
    ));
}

/// Options keyed on option 82 (`[[subnet.circuit]]`, RFC 3046 §2.0 sub-options 1 and 2): the
/// most specific match wins per option, over subnet options; unmatched circuits get the
/// subnet's.
#[test]
fn rfc3046_circuit_options_table() {
    // (case, option 82, DNS servers, NTP servers)
    type Row = (&'static str, Subs, &'static [u8], Option<&'static [u8]>);
    let rows: Vec<Row> = vec![
        (
            "circuit + remote: its DNS, NTP from the remote-only table",
            vec![(1, b"eth0/3".to_vec()), (2, b"switch-x".to_vec())],
            &[198, 18, 20, 54],
            Some(&[198, 18, 20, 123]),
        ),
        (
            "remote only",
            vec![(1, b"eth0/4".to_vec()), (2, b"switch-x".to_vec())],
            &[198, 18, 20, 53],
            Some(&[198, 18, 20, 123]),
        ),
        (
            "circuit without the remote id: no table matches",
            circuit(b"eth0/3"),
            &[198, 18, 0, 1],
            None,
        ),
        ("no option 82", vec![], &[198, 18, 0, 1], None),
    ];
    for (name, subs, dns, ntp) in rows {
        let mut h = harness();
        let d = h.send_from(&via_a(Req::discover(1), &subs), &relayed(ip(RELAY_A), 1067));
        assert_eq!(
            reply(&d).options.get(code::DNS_SERVERS),
            Some(dns),
            "{name}"
        );
        assert_eq!(reply(&d).options.get(42), ntp, "{name}");
    }
}

/// Configuration errors for the relay keys name the line and the reason.
#[test]
fn relay_config_errors() {
    let base = "[[subnet]]\nsubnet = \"198.18.20.0/24\"\n[[subnet.reservation]]\naddress = \"198.18.20.7\"\n";
    let rows: Vec<(&str, String, &str)> = vec![
        (
            "mixing keys",
            format!("{base}circuit_id = \"eth0/7\"\nhw_address = \"52:54:00:00:00:01\"\n"),
            "not a mix",
        ),
        (
            "odd hex",
            format!("{base}circuit_id = \"0x123\"\n"),
            "hex digits",
        ),
        (
            "empty circuit id",
            format!("{base}circuit_id = \"\"\n"),
            "1–255 bytes",
        ),
        (
            "same key twice",
            format!("{base}circuit_id = \"a\"\n[[subnet.reservation]]\naddress = \"198.18.20.8\"\ncircuit_id = \"a\"\n"),
            "two reservations",
        ),
        (
            "no key",
            base.to_string(),
            "circuit_id or remote_id",
        ),
        (
            "circuit table without a key",
            "[[subnet]]\nsubnet = \"198.18.20.0/24\"\n[[subnet.circuit]]\n[subnet.circuit.options]\nrouter = \"198.18.20.1\"\n".to_string(),
            "needs circuit_id or remote_id",
        ),
        (
            "allowed_relays not an address",
            "[server]\nallowed_relays = [\"198.18.1\"]\n".to_string(),
            "not an IPv4 address or prefix",
        ),
        (
            "allowed_relays host bits",
            "[server]\nallowed_relays = [\"198.18.1.1/24\"]\n".to_string(),
            "host bits",
        ),
    ];
    for (name, text, want) in rows {
        let err = leasehold_engine::Config::from_toml(&text, std::path::Path::new("r.toml"))
            .expect_err(name);
        let msg = err.to_string();
        assert!(msg.starts_with("r.toml:"), "{name}: {msg}");
        assert!(msg.contains(want), "{name}: {msg}");
    }
    // Text, hex and both keys parse; hex is bytes.
    let c = config(&format!(
        "{base}circuit_id = \"0xAB01\"\nremote_id = \"sw\"\n"
    ));
    let key = &c.subnets[0].reservations[0].key;
    assert_eq!(key.to_string(), "circuit_id 0xab01 + remote_id \"sw\"");
}
