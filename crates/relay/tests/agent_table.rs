//! Table tests of the relay decisions, each quoting the rule it checks.

use leasehold_relay::{Action, DropReason, Option82Policy, RelayAgent, RelayConfig, RelayIface};
use leasehold_wire::addressing::Destination;
use leasehold_wire::options::code;
use leasehold_wire::relay::sub;
use leasehold_wire::{HwAddr, MessageType, Options, Packet, BROADCAST_FLAG};
use std::net::{Ipv4Addr, SocketAddrV4};

const SERVER: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
const SERVER2: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 2);
const ETH1: Ipv4Addr = Ipv4Addr::new(198, 18, 10, 1);
const ETH2: Ipv4Addr = Ipv4Addr::new(198, 18, 20, 1);
const MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x42];

fn iface(name: &str) -> RelayIface {
    match name {
        "eth1" => RelayIface {
            name: "eth1".into(),
            ifindex: 3,
            addr: ETH1,
        },
        "eth2" => RelayIface {
            name: "eth2".into(),
            ifindex: 4,
            addr: ETH2,
        },
        other => RelayIface {
            name: other.into(),
            ifindex: 9,
            addr: Ipv4Addr::new(198, 18, 99, 1),
        },
    }
}

fn config() -> RelayConfig {
    RelayConfig::new(vec!["eth1".into(), "eth2".into()], vec![SERVER])
}

fn agent(cfg: RelayConfig) -> RelayAgent {
    RelayAgent::new(cfg).with_interfaces(vec![iface("eth1"), iface("eth2")])
}

fn discover() -> Packet {
    let mut options = Options::new();
    options.insert(code::MESSAGE_TYPE, vec![MessageType::Discover.code()]);
    options.insert(code::PARAM_REQUEST_LIST, vec![1, 3, 6]);
    Packet {
        options,
        ..Packet::boot_request(HwAddr::ethernet(MAC), 0x1234_5678)
    }
}

/// The server's answer to what the relay forwarded: giaddr and option 82 echoed (RFC 3046 §2.2).
fn offer_for(relayed: &Packet) -> Packet {
    let mut reply = Packet::reply_to(relayed);
    reply.yiaddr = Ipv4Addr::new(198, 18, 10, 50);
    reply
        .options
        .insert(code::MESSAGE_TYPE, vec![MessageType::Offer.code()]);
    reply
        .options
        .insert(code::SERVER_ID, SERVER.octets().to_vec());
    if let Some(v) = relayed.options.get(code::RELAY_AGENT_INFO) {
        reply.options.insert(code::RELAY_AGENT_INFO, v.to_vec());
    }
    reply
}

fn from_server() -> SocketAddrV4 {
    SocketAddrV4::new(SERVER, 67)
}

#[test]
fn first_relay_sets_giaddr_hops_and_option82() {
    // RFC 1542 §4.1.1: giaddr 0 → the relay puts its address on the arrival interface;
    // hops is incremented. RFC 3046 §2.1: option 82 with circuit id is added, last.
    let a = agent(config());
    let out = a
        .from_client(&discover(), &iface("eth1"))
        .expect("forwarded");
    assert_eq!(out.len(), 1);
    let f = &out[0];
    assert_eq!(f.to, SocketAddrV4::new(SERVER, 67));
    assert_eq!(f.packet.giaddr, ETH1);
    assert_eq!(f.packet.hops, 1);
    let info = f.packet.options.relay_agent_info().expect("option 82");
    assert_eq!(info.circuit_id(), Some(&b"eth1"[..]));
    assert_eq!(info.remote_id(), None);
    assert_eq!(info.link_selection(), None);
    assert_eq!(info.server_id_override(), None);
    assert!(
        !info.wants_source_port(),
        "port 67 needs no RFC 8357 sub-option"
    );
    // The datagram is the packet, and option 82 is the last option on the wire.
    let parsed = Packet::parse(&f.bytes).expect("valid datagram");
    assert_eq!(parsed, f.packet);
    let last = parsed.options.iter().last().map(|(c, _)| c);
    assert_eq!(last, Some(code::RELAY_AGENT_INFO));
    // Everything else is untouched.
    assert_eq!(parsed.xid, 0x1234_5678);
    assert_eq!(
        parsed.options.get(code::PARAM_REQUEST_LIST),
        Some(&[1u8, 3, 6][..])
    );
    assert_eq!(a.stats().snapshot().forwarded, 1);
}

#[test]
fn one_forward_per_server_on_configured_port() {
    let mut cfg = config();
    cfg.servers.push(SERVER2);
    cfg.server_port = 1067;
    let out = agent(cfg)
        .from_client(&discover(), &iface("eth2"))
        .expect("forwarded");
    let to: Vec<_> = out.iter().map(|f| f.to).collect();
    assert_eq!(
        to,
        vec![
            SocketAddrV4::new(SERVER, 1067),
            SocketAddrV4::new(SERVER2, 1067)
        ]
    );
    assert!(out.iter().all(|f| f.packet.giaddr == ETH2));
    // Relay port 1067 ≠ 67: RFC 8357 sub-option 19 asks the server to reply to that port.
    let info = out[0].packet.options.relay_agent_info().expect("option 82");
    assert!(info.wants_source_port());
}

#[test]
fn configured_suboptions() {
    let mut cfg = config();
    cfg.remote_id = Some("relay-7".into());
    cfg.circuit_ids.insert("eth1".into(), "vlan10".into());
    cfg.link_selection = true;
    cfg.server_id_override = true;
    let out = agent(cfg)
        .from_client(&discover(), &iface("eth1"))
        .expect("forwarded");
    let info = out[0].packet.options.relay_agent_info().expect("option 82");
    assert_eq!(info.circuit_id(), Some(&b"vlan10"[..]));
    assert_eq!(info.remote_id(), Some(&b"relay-7"[..]));
    assert_eq!(info.link_selection(), Some(ETH1), "RFC 3527 sub-option 5");
    assert_eq!(
        info.server_id_override(),
        Some(ETH1),
        "RFC 5107 sub-option 11"
    );
    let codes: Vec<u8> = info.raw.iter().map(|(c, _)| *c).collect();
    assert_eq!(
        codes,
        vec![
            sub::CIRCUIT_ID,
            sub::REMOTE_ID,
            sub::LINK_SELECTION,
            sub::SERVER_ID_OVERRIDE
        ]
    );
}

#[test]
fn giaddr_override_with_link_selection_round_trip() {
    // RFC 3527: giaddr is an address the server can reach; sub-option 5 names the client link.
    let upstream = Ipv4Addr::new(198, 18, 0, 254);
    let mut cfg = config();
    cfg.giaddr = Some(upstream);
    cfg.link_selection = true;
    let a = agent(cfg);
    let out = a
        .from_client(&discover(), &iface("eth2"))
        .expect("forwarded");
    assert_eq!(out[0].packet.giaddr, upstream);
    assert_eq!(
        out[0]
            .packet
            .options
            .relay_agent_info()
            .and_then(|i| i.link_selection()),
        Some(ETH2)
    );
    let d = a
        .from_server(&offer_for(&out[0].packet), from_server())
        .expect("delivered");
    assert_eq!(
        d.iface.name, "eth2",
        "the echoed option 82 names the interface"
    );
}

#[test]
fn hop_limit() {
    // RFC 1542 §4.1.1: discard when hops exceeds the configured maximum (default 4, ≤ 16).
    let a = agent(config());
    let table = [
        (0u8, Ok(1u8)),
        (3, Ok(4)),
        (4, Ok(5)),
        (5, Err(DropReason::HopLimit)),
        (16, Err(DropReason::HopLimit)),
    ];
    for (hops, want) in table {
        let mut p = discover();
        p.hops = hops;
        let got = a.from_client(&p, &iface("eth1")).map(|f| f[0].packet.hops);
        assert_eq!(got, want, "hops {hops}");
    }
    let mut cfg = config();
    cfg.max_hops = 16;
    let mut p = discover();
    p.hops = 16;
    assert_eq!(
        agent(cfg)
            .from_client(&p, &iface("eth1"))
            .map(|f| f[0].packet.hops),
        Ok(17)
    );
    assert_eq!(a.stats().snapshot().dropped(DropReason::HopLimit), 2);
}

#[test]
fn already_relayed_is_forwarded_unchanged_except_hops() {
    // RFC 1542 §4.1.1: a non-zero giaddr was set by a relay closer to the client; keep it.
    let a = agent(config());
    let mut p = discover();
    p.giaddr = Ipv4Addr::new(198, 18, 30, 1);
    p.hops = 1;
    p.options.insert(
        code::RELAY_AGENT_INFO,
        vec![sub::CIRCUIT_ID, 3, b'x', b'y', b'z'],
    );
    let out = a.from_client(&p, &iface("eth1")).expect("forwarded");
    let mut want = p.clone();
    want.hops = 2;
    assert_eq!(out[0].packet, want);
    // ... without an option 82 of its own, too.
    let mut p = discover();
    p.giaddr = Ipv4Addr::new(198, 18, 30, 1);
    let out = a.from_client(&p, &iface("eth1")).expect("forwarded");
    assert!(!out[0].packet.options.contains(code::RELAY_AGENT_INFO));
}

#[test]
fn own_giaddr_is_a_loop() {
    let a = agent(config());
    let mut p = discover();
    p.giaddr = ETH2;
    assert_eq!(
        a.from_client(&p, &iface("eth1")),
        Err(DropReason::OwnGiaddr)
    );
}

#[test]
fn existing_option82_policies() {
    // RFC 3046 §2.1: option 82 on a packet with giaddr 0 came from the client side (e.g. a
    // snooping switch): trust it (keep), replace it, or discard it.
    let theirs = vec![sub::CIRCUIT_ID, 4, b'p', b'o', b'r', b't'];
    let mut p = discover();
    p.options.insert(code::RELAY_AGENT_INFO, theirs.clone());
    for (policy, want) in [
        (Option82Policy::Keep, Ok(theirs.clone())),
        (
            Option82Policy::Replace,
            Ok(vec![sub::CIRCUIT_ID, 4, b'e', b't', b'h', b'1']),
        ),
        (Option82Policy::Drop, Err(DropReason::Option82Present)),
    ] {
        let mut cfg = config();
        cfg.existing_option82 = policy;
        let got = agent(cfg).from_client(&p, &iface("eth1")).map(|f| {
            assert_eq!(f[0].packet.giaddr, ETH1);
            f[0].packet
                .options
                .get(code::RELAY_AGENT_INFO)
                .map(<[u8]>::to_vec)
                .unwrap_or_default()
        });
        assert_eq!(got, want, "{policy:?}");
    }
}

#[test]
fn wrong_direction_and_unknown_interface() {
    let a = agent(config());
    let reply = offer_for(&discover());
    assert_eq!(
        a.from_client(&reply, &iface("eth1")).map(|_| ()),
        Err(DropReason::WrongOp)
    );
    assert_eq!(
        a.from_client(&discover(), &iface("eth9")).map(|_| ()),
        Err(DropReason::UnknownInterface)
    );
    assert_eq!(
        a.from_server(&discover(), from_server()).map(|_| ()),
        Err(DropReason::WrongOp)
    );
}

#[test]
fn plain_bootp_is_relayed_without_option82() {
    // No magic cookie, no options area: giaddr and hops only.
    let mut p = discover();
    p.has_cookie = false;
    p.options = Options::new();
    p.vend = vec![0; 64];
    let out = agent(config())
        .from_client(&p, &iface("eth1"))
        .expect("forwarded");
    assert_eq!(out[0].packet.giaddr, ETH1);
    assert!(out[0].packet.options.is_empty());
    assert_eq!(out[0].bytes.len(), 300);
}

#[test]
fn oversized_request_is_forwarded_without_option82() {
    // RFC 3046 §2.1: if adding the option would exceed the MTU, forward without it, and count.
    let mut p = discover();
    for c in 200..205u8 {
        p.options.insert(c, vec![7; 240]);
    }
    let mut cfg = config();
    cfg.remote_id = Some("r".repeat(200));
    let a = agent(cfg);
    let out = a.from_client(&p, &iface("eth1")).expect("forwarded");
    assert!(!out[0].packet.options.contains(code::RELAY_AGENT_INFO));
    assert_eq!(out[0].packet.giaddr, ETH1);
    assert!(out[0].bytes.len() <= leasehold_relay::agent::RELAYED_MAX_LEN);
    assert!(
        out[0].packet.options.contains(204),
        "the client's options all stay"
    );
    assert_eq!(a.stats().snapshot().option82_too_large, 1);
}

#[test]
fn reply_strips_our_option82() {
    // RFC 3046 §2.2: the relay MUST remove the option before forwarding the reply to the client.
    let a = agent(config());
    let relayed = a
        .from_client(&discover(), &iface("eth1"))
        .expect("forwarded");
    let reply = offer_for(&relayed[0].packet);
    assert!(reply.options.contains(code::RELAY_AGENT_INFO));
    let d = a.from_server(&reply, from_server()).expect("delivered");
    assert!(!d.packet.options.contains(code::RELAY_AGENT_INFO));
    let parsed = Packet::parse(&d.bytes).expect("valid datagram");
    assert!(!parsed.options.contains(code::RELAY_AGENT_INFO));
    assert_eq!(parsed.yiaddr, reply.yiaddr);
    assert_eq!(d.iface, iface("eth1"));
    // The datagram path gives the same answer.
    let bytes = reply.encode(&Default::default()).expect("encode");
    match a.handle(&bytes, None, from_server()) {
        Ok(Action::Deliver(d2)) => assert_eq!(d2.packet, d.packet),
        other => panic!("expected delivery, got {other:?}"),
    }
}

#[test]
fn reply_keeps_a_downstream_agents_option82() {
    // With policy keep the option belongs to the switch that added it; it removes it itself.
    let a = agent(config());
    let mut p = discover();
    p.options
        .insert(code::RELAY_AGENT_INFO, vec![sub::CIRCUIT_ID, 2, b'p', b'1']);
    let relayed = a.from_client(&p, &iface("eth1")).expect("forwarded");
    let reply = offer_for(&relayed[0].packet);
    let bytes = reply.encode(&Default::default()).expect("encode");
    match a.handle(&bytes, None, from_server()) {
        Ok(Action::Deliver(d)) => {
            assert!(d.packet.options.contains(code::RELAY_AGENT_INFO));
            assert_eq!(
                d.bytes, bytes,
                "nothing to change: the server's bytes go out as they are"
            );
        }
        other => panic!("expected delivery, got {other:?}"),
    }
}

#[test]
fn reply_from_unknown_server_or_foreign_giaddr_is_dropped() {
    let a = agent(config());
    let relayed = a
        .from_client(&discover(), &iface("eth1"))
        .expect("forwarded");
    let reply = offer_for(&relayed[0].packet);
    let rogue = SocketAddrV4::new(Ipv4Addr::new(198, 18, 0, 66), 67);
    assert_eq!(
        a.from_server(&reply, rogue).map(|_| ()),
        Err(DropReason::UnknownServer)
    );
    let mut foreign = reply.clone();
    foreign.giaddr = Ipv4Addr::new(198, 18, 77, 1);
    assert_eq!(
        a.from_server(&foreign, from_server()).map(|_| ()),
        Err(DropReason::UnknownGiaddr)
    );
    let snap = a.stats().snapshot();
    assert_eq!(snap.dropped(DropReason::UnknownServer), 1);
    assert_eq!(snap.dropped(DropReason::UnknownGiaddr), 1);
    assert_eq!(
        a.handle(&[1, 2, 3], None, from_server()).map(|_| ()),
        Err(DropReason::Malformed)
    );
    assert_eq!(a.stats().snapshot().dropped(DropReason::Malformed), 1);
}

#[test]
fn delivery_destination() {
    // RFC 1542 §5.4 / RFC 2131 §4.1: broadcast bit → broadcast; else ciaddr; else yiaddr at
    // chaddr; with neither address (e.g. a NAK) or a non-Ethernet chaddr → broadcast.
    let a = agent(config());
    let relayed = a
        .from_client(&discover(), &iface("eth1"))
        .expect("forwarded");
    let base = offer_for(&relayed[0].packet);
    let yi = base.yiaddr;
    let ci = Ipv4Addr::new(198, 18, 10, 60);
    let hw = HwAddr::ethernet(MAC);
    let ib = HwAddr::new(32, &[]).expect("empty chaddr");
    let cases: [(u16, Ipv4Addr, Ipv4Addr, HwAddr, Destination); 6] = [
        (
            BROADCAST_FLAG,
            ci,
            yi,
            hw,
            Destination::Broadcast { port: 68 },
        ),
        (0, ci, yi, hw, Destination::Unicast { addr: ci, port: 68 }),
        (
            0,
            Ipv4Addr::UNSPECIFIED,
            yi,
            hw,
            Destination::UnicastToHw {
                addr: yi,
                hw,
                port: 68,
            },
        ),
        (
            BROADCAST_FLAG,
            Ipv4Addr::UNSPECIFIED,
            yi,
            hw,
            Destination::Broadcast { port: 68 },
        ),
        (
            0,
            Ipv4Addr::UNSPECIFIED,
            Ipv4Addr::UNSPECIFIED,
            hw,
            Destination::Broadcast { port: 68 },
        ),
        (
            0,
            Ipv4Addr::UNSPECIFIED,
            yi,
            ib,
            Destination::Broadcast { port: 68 },
        ),
    ];
    for (flags, ciaddr, yiaddr, chaddr, want) in cases {
        let mut r = base.clone();
        r.flags = flags;
        r.ciaddr = ciaddr;
        r.yiaddr = yiaddr;
        r.chaddr = chaddr;
        let d = a.from_server(&r, from_server()).expect("delivered");
        assert_eq!(
            d.destination, want,
            "flags {flags:#x} ciaddr {ciaddr} yiaddr {yiaddr}"
        );
    }
    let mut cfg = config();
    cfg.client_port = 1068;
    let d = agent(cfg)
        .from_server(&base, from_server())
        .expect("delivered");
    assert_eq!(
        d.destination,
        Destination::UnicastToHw {
            addr: yi,
            hw,
            port: 1068
        }
    );
}

#[test]
fn renewal_unicast_to_the_relay_is_forwarded() {
    // RFC 5107 §4: with server-id-override the client renews by unicast to the relay, which
    // forwards it like any request (giaddr, option 82 with sub-option 11).
    let mut cfg = config();
    cfg.server_id_override = true;
    let a = agent(cfg);
    let mut p = discover();
    p.options
        .insert(code::MESSAGE_TYPE, vec![MessageType::Request.code()]);
    p.ciaddr = Ipv4Addr::new(198, 18, 10, 50);
    let out = a.from_client(&p, &iface("eth1")).expect("forwarded");
    assert_eq!(out[0].packet.giaddr, ETH1);
    assert_eq!(out[0].packet.ciaddr, p.ciaddr);
    assert_eq!(
        out[0]
            .packet
            .options
            .relay_agent_info()
            .and_then(|i| i.server_id_override()),
        Some(ETH1)
    );
    let mut ack = offer_for(&out[0].packet);
    ack.ciaddr = p.ciaddr;
    let d = a.from_server(&ack, from_server()).expect("delivered");
    assert_eq!(
        d.destination,
        Destination::Unicast {
            addr: p.ciaddr,
            port: 68
        }
    );
}
