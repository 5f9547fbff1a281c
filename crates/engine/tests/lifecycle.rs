//! Whole exchanges, each test naming the RFC section it checks.

mod common;

use common::*;
use leasehold_engine::{Destination, LeaseChange, LeaseState, Outcome};
use leasehold_wire::options::code;
use leasehold_wire::MessageType;

/// RFC 2131 §3.1: DISCOVER → OFFER → REQUEST → ACK binds one address, durably.
#[test]
fn rfc2131_3_1_dora() {
    let mut h = Harness::new();
    let offer = h.send(&Req::discover(1));
    let Outcome::Offered(addr) = offer.outcome else {
        panic!("{:?}", offer.outcome)
    };
    assert_eq!(addr, ip("198.18.0.100"));
    let p = reply(&offer);
    assert_eq!(p.message_type(), Some(MessageType::Offer));
    assert_eq!(p.yiaddr, addr);
    assert_eq!(p.options.server_id(), Some(ip("198.18.0.1")));
    assert_eq!(p.siaddr, ip("198.18.0.1"), "Table 3: siaddr = next server");
    assert_eq!(p.file, b"pxelinux.0");
    assert!(matches!(offer.changes[..], [LeaseChange::Offer { until, .. }] if until == h.now + 30));
    assert!(
        offer.changes.iter().all(|c| !c.is_durable()),
        "§4.3.1: offers need not be durable"
    );

    let ack = h.send(&Req::request(1).server_id(ip("198.18.0.1")).requested(addr));
    assert_eq!(ack.outcome, Outcome::Acked(addr));
    let p = reply(&ack);
    assert_eq!(p.message_type(), Some(MessageType::Ack));
    assert_eq!(p.yiaddr, addr);
    let put = ack.changes.iter().find_map(|c| match c {
        LeaseChange::Put(l) => Some(l.clone()),
        _ => None,
    });
    let lease = put.expect("ACK carries a durable Put");
    assert_eq!(
        (lease.state, lease.expires),
        (LeaseState::Bound, h.now + 3600)
    );
    assert_eq!(
        h.table().by_addr(addr).map(|l| l.state),
        Some(LeaseState::Bound)
    );
}

/// RFC 2131 §4.4.5 / §3.3: T1 defaults to 50 % and T2 to 87.5 % of the lease; option 51 within
/// [min, max] is honoured (§4.3.1 "lease time requested by the client").
#[test]
fn rfc2131_4_4_5_timers_and_lease_time() {
    let clamp = BASE.replace(
        "lease_time = 3600\n",
        "lease_time = 3600\nmin_lease_time = 600\nmax_lease_time = 7200\n",
    );
    let rows: &[(&str, Option<u32>, u32, u32, u32)] = &[
        ("default lease", None, 3600, 1800, 3150),
        ("requested within range", Some(1000), 1000, 500, 875),
        (
            "requested above max is clamped",
            Some(100_000),
            7200,
            3600,
            6300,
        ),
        ("requested below min is clamped", Some(10), 600, 300, 525),
    ];
    for (name, requested, lease, t1, t2) in rows {
        let h = Harness::with(&clamp);
        let mut r = Req::discover(1);
        if let Some(s) = requested {
            r = r.lease_time(*s);
        }
        let d = h.peek(&r);
        assert_eq!(opt_u32(&d, code::LEASE_TIME), Some(*lease), "{name}");
        assert_eq!(opt_u32(&d, code::RENEWAL_TIME), Some(*t1), "{name}");
        assert_eq!(opt_u32(&d, code::REBINDING_TIME), Some(*t2), "{name}");
    }
}

/// RFC 2131 §4.3.2 RENEWING: unicast REQUEST with ciaddr, no 50/54 → ACK extending the lease,
/// sent unicast to ciaddr (§4.1).
#[test]
fn rfc2131_4_3_2_renewing() {
    let mut h = Harness::new();
    let addr = h.dora(1);
    h.now += 1800;
    let d = h.send(&Req::request(1).ciaddr(addr));
    assert_eq!(d.outcome, Outcome::Acked(addr));
    assert_eq!(reply(&d).ciaddr, addr, "Table 3: ciaddr from REQUEST");
    assert_eq!(
        d.reply.as_ref().map(|r| r.destination.clone()),
        Some(Destination::Unicast { addr, port: 68 })
    );
    assert_eq!(
        h.table().by_addr(addr).map(|l| l.expires),
        Some(h.now + 3600)
    );
}

/// RFC 2131 §4.3.2 REBINDING: broadcast REQUEST with ciaddr → ACK if the lease is the client's.
#[test]
fn rfc2131_4_3_2_rebinding() {
    let mut h = Harness::new();
    let addr = h.dora(1);
    h.now += 3200;
    let d = h.send(&Req::request(1).ciaddr(addr).broadcast());
    assert_eq!(d.outcome, Outcome::Acked(addr));
}

/// RFC 2131 §4.3.4: RELEASE frees the address but the server keeps the binding, so the client
/// gets the same address again.
#[test]
fn rfc2131_4_3_4_release_then_rediscover_same_address() {
    let mut h = Harness::new();
    let a = h.dora(1);
    let _b = h.dora(2);
    let d = h.send(
        &Req::new(1, MessageType::Release)
            .ciaddr(a)
            .server_id(ip("198.18.0.1")),
    );
    assert_eq!(d.outcome, Outcome::Released(a));
    assert!(d.reply.is_none(), "no reply to RELEASE");
    assert_eq!(
        h.table().by_addr(a).map(|l| l.state),
        Some(LeaseState::Released)
    );
    h.now += 100;
    // Another new client must not take a's address while never-used ones remain (stickiness).
    let c = h.dora(3);
    assert_ne!(c, a);
    assert_eq!(h.dora(1), a);
}

/// RFC 2131 §4.3.4: a RELEASE for someone else's address is ignored.
#[test]
fn rfc2131_4_3_4_release_of_other_client_ignored() {
    let mut h = Harness::new();
    let a = h.dora(1);
    let d = h.send(&Req::new(2, MessageType::Release).ciaddr(a));
    assert_eq!(d.outcome, Outcome::Dropped(DropReason::ReleaseNotOwned));
    assert_eq!(
        h.table().by_addr(a).map(|l| l.state),
        Some(LeaseState::Bound)
    );
}

/// RFC 2131 §4.3.3: DECLINE marks the address unusable (probation); it is offered to nobody
/// until probation ends, then it is free again.
#[test]
fn rfc2131_4_3_3_decline_probation() {
    let mut h = Harness::new();
    let a = h.dora(1);
    let d = h.send(
        &Req::new(1, MessageType::Decline)
            .requested(a)
            .server_id(ip("198.18.0.1")),
    );
    assert_eq!(d.outcome, Outcome::Declined(a));
    assert!(d.reply.is_none());
    let lease = h.table().by_addr(a).cloned().expect("record");
    assert_eq!(
        (lease.state, lease.client, lease.expires),
        (LeaseState::Declined, None, h.now + 600)
    );
    // Not offered again to anyone, including the decliner, during probation.
    for n in 1..=9u8 {
        let d = h.send(&Req::discover(n));
        assert_ne!(d.outcome, Outcome::Offered(a), "client {n}");
    }
    h.now += 601;
    let expired = h.expire();
    assert!(expired
        .iter()
        .any(|l| l.addr == a && l.state == LeaseState::Expired && l.client.is_none()));
    assert!(h
        .table()
        .by_addr(a)
        .is_some_and(|l| !l.holds_address(h.now)));
}

/// RFC 2131 §4.3.3: a DECLINE naming another server, or an address the client was never given,
/// is ignored.
#[test]
fn rfc2131_4_3_3_decline_ignored() {
    let mut h = Harness::new();
    let a = h.dora(1);
    let rows = [
        (
            "other server id",
            Req::new(1, MessageType::Decline)
                .requested(a)
                .server_id(ip("198.18.0.2")),
            DropReason::OtherServer,
        ),
        (
            "not the client's address",
            Req::new(2, MessageType::Decline).requested(a),
            DropReason::DeclineNotOwned,
        ),
        (
            "no requested address",
            Req::new(1, MessageType::Decline),
            DropReason::MalformedDecline,
        ),
    ];
    for (name, r, why) in rows {
        assert_eq!(h.peek(&r).outcome, Outcome::Dropped(why), "{name}");
    }
}

/// RFC 2131 §4.3.5: INFORM → ACK with configuration, yiaddr 0, no 51/58/59, unicast to ciaddr.
#[test]
fn rfc2131_4_3_5_inform() {
    let h = Harness::new();
    let ci = ip("198.18.0.50");
    let d = h.peek(
        &Req::new(7, MessageType::Inform)
            .ciaddr(ci)
            .prl(&[1, 3, 6, 15, 42]),
    );
    assert_eq!(d.outcome, Outcome::Informed);
    assert!(d.changes.is_empty(), "no lease for INFORM");
    let p = reply(&d);
    assert_eq!(p.message_type(), Some(MessageType::Ack));
    assert_eq!(p.yiaddr, ip("0.0.0.0"));
    for c in [code::LEASE_TIME, code::RENEWAL_TIME, code::REBINDING_TIME] {
        assert!(
            !p.options.contains(c),
            "option {c} must not be in an INFORM ACK"
        );
    }
    assert_eq!(p.options.get(code::ROUTER), Some(&[198, 18, 0, 1][..]));
    assert_eq!(p.options.get(42), Some(&[198, 18, 0, 123][..]));
    assert_eq!(
        d.reply.as_ref().map(|r| r.destination.clone()),
        Some(Destination::Unicast { addr: ci, port: 68 })
    );
}

/// RFC 2131 §4.3.1 / §4.4.1: an offer holds its address for `offer_hold` while another
/// address is free, and lapses afterwards. When nothing else is free, a new DISCOVER takes over
/// the oldest offer (holding it would refuse service: a DISCOVER flood would starve the pool);
/// the first REQUEST wins and the other client is NAKed.
#[test]
fn rfc2131_4_3_1_offer_hold_expiry() {
    let mut h = Harness::with(&BASE.replace(
        "range = \"198.18.0.100-198.18.0.109\"\nexclude = [\"198.18.0.105\"]",
        "range = \"198.18.0.100-198.18.0.101\"",
    ));
    let sid = ip("198.18.0.1");
    assert_eq!(
        h.send(&Req::discover(1)).outcome,
        Outcome::Offered(ip("198.18.0.100"))
    );
    assert_eq!(
        h.send(&Req::discover(2)).outcome,
        Outcome::Offered(ip("198.18.0.101")),
        ".100 is held for client 1 while .101 is free"
    );
    h.now += 1;
    assert_eq!(
        h.send(&Req::discover(1)).outcome,
        Outcome::Offered(ip("198.18.0.100")),
        "same client, same offer (renewed: client 2's is now the oldest)"
    );
    assert_eq!(
        h.send(&Req::discover(3)).outcome,
        Outcome::Offered(ip("198.18.0.101")),
        "nothing free: the oldest offer (client 2's) is taken over"
    );
    // First REQUEST wins: client 2 asks first and gets it; client 3 is NAKed.
    let req = |n: u8| Req::request(n).server_id(sid).requested(ip("198.18.0.101"));
    assert_eq!(h.send(&req(2)).outcome, Outcome::Acked(ip("198.18.0.101")));
    assert_eq!(
        h.send(&req(3)).outcome,
        Outcome::Nak(NakReason::AddressUnavailable)
    );
    h.now += 31;
    assert_eq!(
        h.send(&Req::discover(4)).outcome,
        Outcome::Offered(ip("198.18.0.100")),
        "client 1's hold lapsed"
    );
    assert_eq!(
        h.table()
            .offer_for(&leasehold_engine::ClientKey::HwAddr(mac(1)), h.now),
        None
    );
}

/// RFC 2131 §4.3.1: a REQUEST naming another server's id withdraws our offer silently.
#[test]
fn rfc2131_4_3_1_other_server_selected() {
    let mut h = Harness::new();
    let offer = h.send(&Req::discover(1));
    let Outcome::Offered(a) = offer.outcome else {
        panic!()
    };
    let d = h.send(&Req::request(1).server_id(ip("198.18.0.2")).requested(a));
    assert_eq!(d.outcome, Outcome::Dropped(DropReason::OtherServer));
    assert!(d.reply.is_none());
    assert!(d
        .changes
        .iter()
        .any(|c| matches!(c, LeaseChange::DropOffer { .. })));
    assert_eq!(
        h.table()
            .offer_for(&leasehold_engine::ClientKey::HwAddr(mac(1)), h.now),
        None
    );
}

/// RFC 2131 §4.3.1: DISCOVER with option 50 gets that address when it is free.
#[test]
fn rfc2131_4_3_1_requested_address_honoured() {
    let h = Harness::new();
    let d = h.peek(&Req::discover(1).requested(ip("198.18.0.107")));
    assert_eq!(d.outcome, Outcome::Offered(ip("198.18.0.107")));
    let excluded = h.peek(&Req::discover(1).requested(ip("198.18.0.105")));
    assert_eq!(
        excluded.outcome,
        Outcome::Offered(ip("198.18.0.100")),
        "excluded addresses never offered"
    );
    let reserved = h.peek(&Req::discover(1).requested(ip("198.18.0.10")));
    assert_eq!(
        reserved.outcome,
        Outcome::Offered(ip("198.18.0.100")),
        "another client's reservation"
    );
}

/// RFC 2131 §4.3.1: a reserved client always gets its reserved address, with its options
/// (host name from the reservation).
#[test]
fn rfc2131_4_3_1_reservation() {
    let mut h = Harness::new();
    let d = h.send(&Req::discover(0xaa).prl(&[12, 1, 3]));
    assert_eq!(d.outcome, Outcome::Offered(ip("198.18.0.10")));
    assert_eq!(reply(&d).options.get(code::HOSTNAME), Some(&b"printer"[..]));
    assert_eq!(h.dora(0xaa), ip("198.18.0.10"));
}

/// RFC 6842 §3: option 61 is echoed in OFFER, ACK and NAK; the lease is keyed by it.
#[test]
fn rfc6842_client_id_echo() {
    let mut h = Harness::new();
    let id = [0xff, 1, 2, 3, 4];
    let offer = h.send(&Req::discover(1).client_id(&id));
    assert_eq!(reply(&offer).options.get(code::CLIENT_ID), Some(&id[..]));
    let Outcome::Offered(a) = offer.outcome else {
        panic!()
    };
    let ack = h.send(
        &Req::request(1)
            .client_id(&id)
            .server_id(ip("198.18.0.1"))
            .requested(a),
    );
    assert_eq!(reply(&ack).options.get(code::CLIENT_ID), Some(&id[..]));
    assert_eq!(
        h.table().by_addr(a).and_then(|l| l.client.clone()),
        Some(leasehold_engine::ClientKey::ClientId(id.to_vec()))
    );
    let nak = h.send(&Req::request(1).client_id(&id).requested(ip("198.18.7.7")));
    assert!(matches!(nak.outcome, Outcome::Nak(_)));
    assert_eq!(reply(&nak).options.get(code::CLIENT_ID), Some(&id[..]));
}

/// RFC 3046 §2.2: option 82 comes back unchanged in replies to relays.
#[test]
fn rfc3046_2_2_relay_info_echo() {
    let mut h = Harness::new();
    let r = Req::discover(1)
        .giaddr(ip("198.18.1.1"))
        .relay_info(&[(1, b"port7"), (2, b"sw1")]);
    let d = h.send_from(&r, &relayed(ip("198.18.1.1"), 67));
    let Outcome::Offered(a) = d.outcome else {
        panic!("{:?}", d.outcome)
    };
    assert!(a.to_string().starts_with("198.18.1."));
    assert_eq!(
        reply(&d).options.get(code::RELAY_AGENT_INFO),
        r.0.options.get(code::RELAY_AGENT_INFO)
    );
}

/// RFC 2132 §9.8: the reply's options follow the parameter request list order; options the
/// client did not ask for are not sent unless mandatory; option 57 sets the size limit.
#[test]
fn rfc2132_9_8_prl_order_and_filter() {
    let h = Harness::new();
    let d = h.peek(
        &Req::discover(1)
            .prl(&[15, 6, 3, 1])
            .opt(code::MAX_MESSAGE_SIZE, &1500u16.to_be_bytes()),
    );
    let r = d.reply.as_ref().expect("reply");
    assert_eq!(r.encode.order, vec![15, 6, 3, 1]);
    assert_eq!(r.encode.max_len, 1500 - 28);
    assert!(!r.encode.pad_to_bootp_min);
    assert!(!r.packet.options.contains(42), "ntp-servers not requested");
    for c in [1, 3, 6, 15, 51, 53, 54, 58, 59] {
        assert!(r.packet.options.contains(c), "mandatory option {c}");
    }
    let no57 = h.peek(&Req::discover(1));
    assert_eq!(no57.reply.map(|r| r.encode.max_len), Some(548));
}

/// RFC 2131 §4.1: replies and server messages are not requests.
#[test]
fn rfc2131_4_1_ignore_server_messages() {
    let h = Harness::new();
    let rows = [
        (
            "BOOTREPLY op",
            Req::discover(1).op(leasehold_wire::Op::BootReply),
            DropReason::Bootreply,
        ),
        (
            "OFFER",
            Req::new(1, MessageType::Offer),
            DropReason::ServerMessage,
        ),
        (
            "ACK",
            Req::new(1, MessageType::Ack),
            DropReason::ServerMessage,
        ),
        (
            "NAK",
            Req::new(1, MessageType::Nak),
            DropReason::ServerMessage,
        ),
    ];
    for (name, r, why) in rows {
        assert_eq!(h.peek(&r).outcome, Outcome::Dropped(why), "{name}");
    }
}

/// RFC 2131 §4.4.6 / expiry: a Bound lease past its end becomes Expired, keeping its client.
#[test]
fn rfc2131_expiry_keeps_binding() {
    let mut h = Harness::new();
    let a = h.dora(1);
    h.now += 3601;
    let out = h.expire();
    assert_eq!(out.len(), 1);
    assert_eq!((out[0].addr, out[0].state), (a, LeaseState::Expired));
    assert!(h.expire().is_empty(), "applied once");
    assert_eq!(h.dora(1), a, "the expired binding is reused for its client");
}

/// RFC 2131 §4.2: a client is identified by option 61 or by chaddr. A request with neither (hlen
/// 0 and no, or an empty, option 61) is dropped: all such clients would share one key, and so
/// one lease. With a client identifier, hlen 0 is fine (RFC 4390, DHCP over InfiniBand), and an
/// INFORM, which binds nothing, is answered either way.
#[test]
fn rfc2131_4_2_a_client_needs_an_identity() {
    use leasehold_wire::HwAddr;
    let no_hw = |mut r: Req| {
        r.0.chaddr = HwAddr::new(1, &[]).expect("empty chaddr");
        r
    };
    let mut h = Harness::new();
    for req in [
        no_hw(Req::discover(1)),
        no_hw(Req::discover(1).client_id(&[])),
        no_hw(Req::request(1).requested(ip("198.18.0.100"))),
        no_hw(Req::bootp(1)),
    ] {
        let d = h.send(&req);
        assert_eq!(
            d.outcome,
            Outcome::Dropped(DropReason::NoClientIdentity),
            "{req:?}"
        );
        assert!(d.reply.is_none() && d.changes.is_empty());
    }

    let id = [0xff, 0, 0, 0, 1, 0, 1, 0x2c, 0x9e];
    let offer = h.send(&no_hw(Req::discover(2).client_id(&id)));
    let Outcome::Offered(a) = offer.outcome else {
        panic!("{:?}", offer.outcome)
    };
    let ack = h.send(&no_hw(
        Req::request(2)
            .client_id(&id)
            .server_id(ip("198.18.0.1"))
            .requested(a),
    ));
    assert_eq!(ack.outcome, Outcome::Acked(a));
    assert_eq!(
        h.table().by_addr(a).and_then(|l| l.client.clone()),
        Some(leasehold_engine::ClientKey::ClientId(id.to_vec()))
    );

    // An empty option 61 next to a real chaddr: the chaddr is the key.
    let offer = h.send(&Req::discover(3).client_id(&[]));
    let Outcome::Offered(b) = offer.outcome else {
        panic!("{:?}", offer.outcome)
    };
    let ack = h.send(
        &Req::request(3)
            .client_id(&[])
            .server_id(ip("198.18.0.1"))
            .requested(b),
    );
    assert_eq!(ack.outcome, Outcome::Acked(b));
    assert_eq!(
        h.table().by_addr(b).and_then(|l| l.client.clone()),
        Some(leasehold_engine::ClientKey::HwAddr(mac(3)))
    );

    let inform = h.peek(&no_hw(
        Req::new(4, MessageType::Inform).ciaddr(ip("198.18.0.50")),
    ));
    assert_eq!(inform.outcome, Outcome::Informed);
}
