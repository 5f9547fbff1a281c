//! Reply destinations (RFC 2131 §4.1, RFC 8357) and subnet selection (RFC 3527, RFC 3011,
//! giaddr, ciaddr, arrival interface), as tables.

mod common;

use common::*;
use leasehold_engine::{Destination, Outcome};
use leasehold_wire::{MessageType, BROADCAST_FLAG};

/// RFC 2131 §4.1 destination table.
#[test]
fn rfc2131_4_1_destination_table() {
    let relay = ip("198.18.1.1");
    let rows: Vec<(&str, Req, Destination)> = vec![
        (
            "§4.1 giaddr≠0 → relay at giaddr, port 67",
            Req::discover(1).giaddr(relay),
            Destination::Relay {
                addr: relay,
                port: 67,
            },
        ),
        (
            "RFC 8357 §5: sub-option 19 → relay's source port",
            Req::discover(1).giaddr(relay).relay_info(&[(19, &[])]),
            Destination::Relay {
                addr: relay,
                port: 1067,
            },
        ),
        (
            "§4.1 giaddr=0, ciaddr≠0 → unicast to ciaddr",
            Req::new(1, MessageType::Inform).ciaddr(ip("198.18.0.77")),
            Destination::Unicast {
                addr: ip("198.18.0.77"),
                port: 68,
            },
        ),
        (
            "§4.1 broadcast bit → broadcast",
            Req::discover(1).broadcast(),
            Destination::Broadcast { port: 68 },
        ),
        (
            "§4.1 no broadcast bit → unicast to yiaddr at chaddr",
            Req::discover(1),
            Destination::UnicastToHw {
                addr: ip("198.18.0.100"),
                hw: mac(1),
                port: 68,
            },
        ),
    ];
    for (name, r, want) in rows {
        let mut h = Harness::new();
        let d = h.send_from(&r, &relayed(relay, 1067));
        let destination = if r.0.giaddr.is_unspecified() {
            h.peek(&r).reply.map(|x| x.destination)
        } else {
            d.reply.map(|x| x.destination)
        };
        assert_eq!(destination, Some(want), "{name}");
    }
}

/// RFC 2131 §4.1: NAK through a relay sets the broadcast bit; direct NAKs are broadcast.
#[test]
fn rfc2131_4_1_nak_destinations() {
    let mut h = Harness::new();
    let relay = ip("198.18.1.1");
    let r = Req::request(1).requested(ip("10.0.0.5")).giaddr(relay);
    let d = h.send_from(&r, &relayed(relay, 67));
    let rep = d.reply.expect("nak");
    assert_eq!(
        rep.destination,
        Destination::Relay {
            addr: relay,
            port: 67
        }
    );
    assert_ne!(
        rep.packet.flags & BROADCAST_FLAG,
        0,
        "relayed NAK has the broadcast bit"
    );
    let d = h.peek(&Req::request(1).ciaddr(ip("10.0.0.5")));
    assert_eq!(
        d.reply.map(|r| r.destination),
        Some(Destination::Broadcast { port: 68 }),
        "NAK even with ciaddr"
    );
}

/// Subnet selection precedence: 82.5 > 118 > giaddr > ciaddr > arrival.
#[test]
fn subnet_selection_precedence() {
    let link_sel = |a: &str| ip(a).octets();
    let rows: Vec<(&str, Req, &str)> = vec![
        (
            "RFC 3527 §3: link selection overrides giaddr and 118",
            Req::discover(1)
                .giaddr(ip("198.18.3.1"))
                .opt(118, &link_sel("198.18.0.0"))
                .relay_info(&[(5, &link_sel("198.18.1.0"))]),
            "198.18.1.",
        ),
        (
            "RFC 3011 §3: subnet selection overrides giaddr",
            Req::discover(1)
                .giaddr(ip("198.18.1.1"))
                .opt(118, &link_sel("198.18.0.0")),
            "198.18.0.",
        ),
        (
            "RFC 2131 §4.3.1: giaddr names the client's subnet",
            Req::discover(1).giaddr(ip("198.18.1.1")),
            "198.18.1.",
        ),
        (
            "RFC 2131 §4.3.1: arrival interface address",
            Req::discover(1),
            "198.18.0.",
        ),
    ];
    for (name, r, prefix) in rows {
        let h = Harness::new();
        let d = h.peek(&r);
        let Outcome::Offered(a) = d.outcome else {
            panic!("{name}: {:?}", d.outcome)
        };
        assert!(a.to_string().starts_with(prefix), "{name}: got {a}");
    }
    // ciaddr: an INFORM from 198.18.1.x arriving directly gets 198.18.1.0/24's router.
    let h = Harness::new();
    let d = h.peek(&Req::new(1, MessageType::Inform).ciaddr(ip("198.18.1.50")));
    assert_eq!(
        reply(&d).options.get(3),
        Some(&[198, 18, 1, 1][..]),
        "ciaddr selects the subnet"
    );
    // No subnet: relay from an unknown network; arrival on an unconfigured interface.
    let d = h.peek(&Req::discover(1).giaddr(ip("10.9.9.1")));
    assert_eq!(d.outcome, Outcome::Dropped(DropReason::NoSubnet));
    let mut h = Harness::new();
    h.arrival.local_addr = ip("10.0.0.1");
    h.arrival.iface = Some("eth9".into());
    assert_eq!(
        h.peek(&Req::discover(1)).outcome,
        Outcome::Dropped(DropReason::NoSubnet)
    );
}

/// RFC 5107 §4: the server identifier override sub-option becomes option 54, and REQUESTs naming
/// it are ours.
#[test]
fn rfc5107_server_id_override() {
    let mut h = Harness::new();
    let relay = ip("198.18.1.1");
    let over = ip("198.18.1.1").octets();
    let r = Req::discover(1).giaddr(relay).relay_info(&[(11, &over)]);
    let d = h.send_from(&r, &relayed(relay, 67));
    assert_eq!(server_id(&d), relay);
    let Outcome::Offered(a) = d.outcome else {
        panic!()
    };
    let req = Req::request(1)
        .giaddr(relay)
        .relay_info(&[(11, &over)])
        .server_id(relay)
        .requested(a);
    assert_eq!(
        h.send_from(&req, &relayed(relay, 67)).outcome,
        Outcome::Acked(a)
    );
}

/// Shared networks: subnets on one link pool their addresses.
#[test]
fn shared_network_spills_over() {
    let mut h = Harness::new();
    let relay = ip("198.18.2.1");
    let mut got = Vec::new();
    for n in 1..=4u8 {
        let r = Req::discover(n).giaddr(relay);
        let d = h.send_from(&r, &relayed(relay, 67));
        let Outcome::Offered(a) = d.outcome else {
            panic!("{:?}", d.outcome)
        };
        got.push(a.to_string());
    }
    assert_eq!(
        got,
        ["198.18.2.2", "198.18.2.3", "198.18.3.10", "198.18.3.11"]
    );
}
