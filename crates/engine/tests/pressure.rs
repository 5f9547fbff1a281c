//! Starvation defences (issue 13): offers never starve a pool, the pressure state of a link
//! (retransmission check, short leases, reclaiming, rationing of the last addresses), RFC 2131
//! §4.3.1's requested address over an older offer, and reservations that follow their host.
//! Every case runs on an injected clock (`h.now` lease seconds, `h.mono_ms` milliseconds).

mod common;

use common::*;
use leasehold_engine::pressure::LinkStatus;
use leasehold_engine::{ClientKey, Lease, LeaseState, Outcome, PressureChange, Server};
use leasehold_wire::options::code;
use leasehold_wire::{HwAddr, MessageType, Packet};
use std::net::Ipv4Addr;
use std::sync::Arc;

/// One flat link, a 100-address pool.
const LINK: &str = r#"
[server]
lease_time = 3600
offer_hold = 30
[[subnet]]
subnet = "198.18.0.0/24"
interface = "eth0"
[[subnet.pool]]
range = "198.18.0.100-198.18.0.199"
[[subnet.reservation]]
hw_address = "52:54:00:00:00:aa"
address = "198.18.0.10"
"#;

const SID: &str = "198.18.0.1";

/// A message of type `t` from client number `n` (a distinct MAC per number, up to 65,535).
fn msg(n: u16, t: MessageType) -> Req {
    let [hi, lo] = n.to_be_bytes();
    let mut p = Packet::boot_request(HwAddr::ethernet([2, 0, 0, 0, hi, lo]), u32::from(n));
    p.options.insert(code::MESSAGE_TYPE, vec![t.code()]);
    Req(p)
}

fn discover(n: u16) -> Req {
    msg(n, MessageType::Discover)
}

fn select(n: u16, a: Ipv4Addr) -> Req {
    msg(n, MessageType::Request).server_id(ip(SID)).requested(a)
}

/// A harness on `text` whose millisecond clock only moves when a test says so.
fn harness(text: &str) -> Harness {
    let mut h = Harness::with(text);
    h.advance_ms = 0;
    h
}

/// DISCOVER then REQUEST for client `n`; the outcome of the last step taken.
fn dora(h: &mut Harness, n: u16) -> Outcome {
    let o = h.send(&discover(n)).outcome;
    let Outcome::Offered(a) = o else { return o };
    h.send(&select(n, a)).outcome
}

fn status(h: &Harness) -> LinkStatus {
    h.server.pressure_status(h.now).remove(0)
}

fn lease_time(v: &leasehold_engine::Verdict) -> Option<u32> {
    opt_u32(v, code::LEASE_TIME)
}

fn entered(h: &mut Harness) -> Vec<bool> {
    h.server
        .take_pressure_changes()
        .into_iter()
        .map(|PressureChange { entered, .. }| entered)
        .collect()
}

/// A DISCOVER flood (random MACs, no REQUEST) fills the pool with offers, but an offer is not a
/// binding: the link does not come under pressure, and a brand-new client gets the oldest
/// offer's address and binds it with the normal lease.
#[test]
fn a_discover_flood_cannot_starve_a_new_client() {
    let mut h = harness(LINK);
    for n in 1..=300u16 {
        h.mono_ms += 5; // 200/s
        h.now = 1_000_000 + u64::from(n) / 200;
        assert!(matches!(h.send(&discover(n)).outcome, Outcome::Offered(_)));
    }
    let u = &h.server.pool_usage(h.now)[0];
    assert_eq!((u.offered, u.assigned), (100, 0));
    assert!(!status(&h).under_pressure, "offers are not bindings");
    let offer = h.send(&discover(1000));
    let Outcome::Offered(a) = offer.outcome else {
        panic!("{:?}", offer.outcome)
    };
    assert_eq!(lease_time(&offer), Some(3600));
    assert_eq!(h.send(&select(1000, a)).outcome, Outcome::Acked(a));
    // The flood client that was offered `a` before asks for it: NAKed, it starts again.
    assert!(matches!(
        h.send(&select(201, a)).outcome,
        Outcome::Nak(_) | Outcome::Acked(_)
    ));
}

/// A full-DORA flood of one-shot identities: once `trigger` new clients bound within a minute,
/// the link is under pressure and the flood's first DISCOVERs go unanswered, so it holds no more
/// addresses. A brand-new real client gets in on its retransmission (≥ 1 s later, not a
/// duplicate) with a short lease; its renewal gets the normal lease. A known client is never
/// held back. When the flood stops, the link leaves pressure.
#[test]
fn a_dora_flood_is_held_back_and_a_newcomer_gets_in_on_its_retransmission() {
    let mut h = harness(LINK);
    assert_eq!(dora(&mut h, 9999), Outcome::Acked(ip("198.18.0.100")));
    assert_eq!(
        status(&h).trigger_per_minute,
        10,
        "10 % of 100, at least 10"
    );
    let mut n = 1u16;
    while !status(&h).under_pressure {
        h.mono_ms += 5;
        assert!(matches!(dora(&mut h, n), Outcome::Acked(_)));
        n += 1;
    }
    assert_eq!(
        n - 1,
        9,
        "client 9999 and 9 more: the tenth new binding in a minute"
    );
    assert_eq!(entered(&mut h), vec![true]);
    for m in n..n + 2000 {
        h.mono_ms += 5;
        h.now = 1_000_000 + u64::from(m - n) / 200;
        assert_eq!(
            h.send(&discover(m)).outcome,
            Outcome::Dropped(DropReason::PressureUnseen)
        );
    }
    let s = status(&h);
    assert_eq!(
        s.bound, 10,
        "the flood holds only what it got before pressure"
    );
    assert_eq!(s.unseen_total, 2000);
    assert!(s.under_pressure);

    // A newcomer: first DISCOVER held back, a duplicate 0.5 s later too, the retry answered.
    let newcomer = 50_000;
    h.mono_ms += 1;
    assert_eq!(
        h.send(&discover(newcomer)).outcome,
        Outcome::Dropped(DropReason::PressureUnseen)
    );
    h.mono_ms += 500;
    assert_eq!(
        h.send(&discover(newcomer)).outcome,
        Outcome::Dropped(DropReason::PressureUnseen)
    );
    h.mono_ms += 3500;
    let offer = h.send(&discover(newcomer));
    let Outcome::Offered(a) = offer.outcome else {
        panic!("{:?}", offer.outcome)
    };
    assert_eq!(lease_time(&offer), Some(120), "short lease under pressure");
    let ack = h.send(&select(newcomer, a));
    assert_eq!(ack.outcome, Outcome::Acked(a));
    assert_eq!(lease_time(&ack), Some(120));
    assert_eq!(opt_u32(&ack, code::RENEWAL_TIME), Some(60));
    assert_eq!(status(&h).short_leases_total, 1);

    // A client known before the flood is served at once, with the normal lease.
    let known = h.send(&discover(9999));
    assert_eq!(known.outcome, Outcome::Offered(ip("198.18.0.100")));
    assert_eq!(lease_time(&known), Some(3600));

    // The newcomer renews at T1: the normal lease now.
    h.now += 60;
    let renew = h.send(&msg(newcomer, MessageType::Request).ciaddr(a));
    assert_eq!(renew.outcome, Outcome::Acked(a));
    assert_eq!(lease_time(&renew), Some(3600));
    assert_eq!(status(&h).renewed_total, 1);

    // The flood stopped: a minute later the link leaves pressure.
    h.now += 70;
    h.expire();
    assert!(!status(&h).under_pressure);
    assert_eq!(entered(&mut h), vec![false]);
    h.mono_ms += 10;
    assert!(matches!(
        h.send(&discover(60_000)).outcome,
        Outcome::Offered(_)
    ));
}

/// Short pressure leases that are never renewed expire and count as reclaimed; their
/// addresses are free again.
#[test]
fn short_leases_never_renewed_come_back() {
    let mut h = harness(&format!("{LINK}\n[security]\npressure_new_bindings = 2\n"));
    for n in 1..=2 {
        assert!(matches!(dora(&mut h, n), Outcome::Acked(_)));
    }
    assert!(status(&h).under_pressure);
    let mut short = Vec::new();
    for n in 3..=5u16 {
        assert_eq!(
            h.send(&discover(n)).outcome,
            Outcome::Dropped(DropReason::PressureUnseen)
        );
        h.mono_ms += 2000;
        let Outcome::Acked(a) = dora(&mut h, n) else {
            panic!()
        };
        short.push(a);
    }
    assert_eq!(status(&h).short_leases_total, 3);
    assert_eq!(status(&h).bound, 5);
    // One of them releases its address: not a reclaim.
    let released = short.remove(0);
    let release = msg(3, MessageType::Release)
        .ciaddr(released)
        .server_id(ip(SID));
    assert_eq!(h.send(&release).outcome, Outcome::Released(released));
    h.now += 121;
    let expired = h.expire();
    assert_eq!(expired.len(), 2, "only the short leases ran out");
    let s = status(&h);
    assert_eq!((s.reclaimed_total, s.bound), (2, 2));
    for a in short {
        assert!(!h.table().by_addr(a).is_some_and(|l| l.holds_address(h.now)));
    }
}

/// Past `pool_reserve_threshold` (bindings only), the link is under pressure and offers to new
/// clients are rationed: one per `ration_seconds / free`, so the last addresses go slower.
#[test]
fn the_last_addresses_are_rationed() {
    let ten = LINK.replace("198.18.0.100-198.18.0.199", "198.18.0.100-198.18.0.109");
    let mut h = harness(&format!(
        "{ten}\n[security]\npool_reserve_threshold = 50\npressure_retry = false\npressure_new_bindings = 1000\npressure_ration_seconds = 10\n"
    ));
    for n in 1..=5 {
        assert!(matches!(dora(&mut h, n), Outcome::Acked(_)));
    }
    assert!(status(&h).under_pressure, "50 % bound");
    // The first offer goes at once; with 4 free left, the next one 10 s / 4 = 2.5 s later.
    h.mono_ms = 100_000;
    assert!(matches!(dora(&mut h, 6), Outcome::Acked(_)));
    h.mono_ms += 2499;
    assert_eq!(
        h.send(&discover(7)).outcome,
        Outcome::Dropped(DropReason::PressureRationed)
    );
    h.mono_ms += 1;
    assert!(matches!(dora(&mut h, 7), Outcome::Acked(_)));
    // 3 free now: 3.333 s between offers.
    h.mono_ms += 3000;
    assert_eq!(
        h.send(&discover(8)).outcome,
        Outcome::Dropped(DropReason::PressureRationed)
    );
    h.mono_ms += 334;
    assert!(matches!(dora(&mut h, 8), Outcome::Acked(_)));
    assert_eq!(status(&h).rationed_total, 2);
    // Known clients are not rationed.
    assert!(matches!(h.send(&discover(1)).outcome, Outcome::Offered(_)));
}

/// Under pressure, a known client is never held back: one with a binding, one whose lease
/// expired (a laptop coming back), one with a reservation. A new client's REQUEST for an address
/// it was never offered is NAKed.
#[test]
fn known_clients_are_never_held_back() {
    let mut h = harness(&format!("{LINK}\n[security]\npressure_new_bindings = 3\n"));
    let Outcome::Acked(old) = dora(&mut h, 1) else {
        panic!()
    };
    h.now += 4000; // client 1's lease ran out
    h.expire();
    for n in 2..=4 {
        assert!(matches!(dora(&mut h, n), Outcome::Acked(_)));
    }
    assert!(status(&h).under_pressure);
    let back = h.send(&discover(1));
    assert_eq!(back.outcome, Outcome::Offered(old), "its old address");
    assert_eq!(lease_time(&back), Some(3600));
    assert!(matches!(h.send(&discover(2)).outcome, Outcome::Offered(_)));
    let reserved = h.send(&Req::discover(0xaa));
    assert_eq!(reserved.outcome, Outcome::Offered(ip("198.18.0.10")));
    assert_eq!(lease_time(&reserved), Some(3600));
    assert_eq!(
        h.send(&select(77, ip("198.18.0.150"))).outcome,
        Outcome::Nak(NakReason::PressureUnoffered)
    );
}

/// `pressure = false`: floods of new clients are served as they come, with the normal lease.
#[test]
fn pressure_can_be_turned_off_and_reloaded() {
    let off = format!("{LINK}\n[security]\npressure = false\n");
    let mut h = harness(&off);
    for n in 1..=30 {
        assert!(matches!(dora(&mut h, n), Outcome::Acked(_)));
    }
    assert!(!status(&h).under_pressure);
    let o = h.send(&discover(31));
    assert_eq!(lease_time(&o), Some(3600));
    // Turned on by a reload: the counts are kept, so the link is under pressure at once.
    h.server
        .reload(Arc::new(config(&format!("{LINK}\n[security]\n"))));
    h.expire(); // the periodic re-evaluation
    assert!(status(&h).under_pressure);
    assert_eq!(entered(&mut h), vec![true]);
    assert_eq!(
        h.send(&discover(32)).outcome,
        Outcome::Dropped(DropReason::PressureUnseen)
    );
    h.server.reload(Arc::new(config(&off)));
    assert_eq!(
        entered(&mut h),
        vec![false],
        "a reload that turns it off is a transition"
    );
    assert!(matches!(h.send(&discover(32)).outcome, Outcome::Offered(_)));
}

/// RFC 2131 §4.3.1: the requested address ranks above a new allocation, and an earlier
/// un-accepted offer is not a binding: a client asking for an address its previous holder just
/// released gets it, and its older offer lapses.
#[test]
fn rfc2131_4_3_1_requested_address_over_an_older_offer() {
    let mut h = harness(LINK);
    let Outcome::Acked(x) = dora(&mut h, 1) else {
        panic!()
    };
    let Outcome::Offered(y) = h.send(&discover(2)).outcome else {
        panic!()
    };
    assert_ne!(x, y);
    let release = msg(1, MessageType::Release).ciaddr(x).server_id(ip(SID));
    assert_eq!(h.send(&release).outcome, Outcome::Released(x));
    assert_eq!(
        h.send(&discover(2).requested(x)).outcome,
        Outcome::Offered(x)
    );
    assert_eq!(
        h.table().offer_holder(y, h.now),
        None,
        "the older offer lapsed"
    );
    assert_eq!(h.send(&select(2, x)).outcome, Outcome::Acked(x));
}

/// A reservation by hardware address belongs to the host: DHCP with option 61, BOOTP and DHCP
/// without 61 all get the reserved address, each superseding the binding of the other identity.
#[test]
fn a_hardware_reservation_follows_the_host_across_identities() {
    let mut h = harness(LINK);
    let r = ip("198.18.0.10");
    let with_id = |t| Req::new(0xaa, t).client_id(b"\x00host-aa");
    assert_eq!(
        h.send(&with_id(MessageType::Discover)).outcome,
        Outcome::Offered(r)
    );
    let req = with_id(MessageType::Request)
        .server_id(ip(SID))
        .requested(r);
    assert_eq!(h.send(&req).outcome, Outcome::Acked(r));
    // Now BOOTP (no option 53, no option 61) from the same host.
    assert_eq!(h.send(&Req::bootp(0xaa)).outcome, Outcome::Bootp(r));
    assert_eq!(
        h.table().by_addr(r).and_then(|l| l.client.clone()),
        Some(ClientKey::HwAddr(mac(0xaa)))
    );
    // And back to DHCP with option 61.
    assert_eq!(
        h.send(&with_id(MessageType::Discover)).outcome,
        Outcome::Offered(r)
    );
    assert_eq!(h.send(&req).outcome, Outcome::Acked(r));
    // DHCP without option 61 (INIT-REBOOT) is the same host as well.
    let reboot = Req::request(0xaa).requested(r);
    assert_eq!(h.send(&reboot).outcome, Outcome::Acked(r));
}

/// A reservation by client id also follows its host: the host that got the address with its
/// client id and later asks by BOOTP (no option 61) from the same hardware address gets it.
#[test]
fn a_client_id_reservation_follows_the_host_to_bootp() {
    let text = LINK.replace(
        "hw_address = \"52:54:00:00:00:aa\"",
        "client_id = \"00:68:6f:73:74\"",
    );
    let mut h = harness(&text);
    let r = ip("198.18.0.10");
    let id = b"\x00host";
    assert_eq!(
        h.send(&Req::discover(0xbb).client_id(id)).outcome,
        Outcome::Offered(r)
    );
    let req = Req::request(0xbb)
        .client_id(id)
        .server_id(ip(SID))
        .requested(r);
    assert_eq!(h.send(&req).outcome, Outcome::Acked(r));
    assert_eq!(h.send(&Req::bootp(0xbb)).outcome, Outcome::Bootp(r));
    // Another host's BOOTP gets nothing (dynamic BOOTP is off).
    assert_eq!(
        h.send(&Req::bootp(0xbc)).outcome,
        Outcome::Dropped(DropReason::BootpNoReservation)
    );
}

/// A binding of the reserved address by a different host (the reservation was added later) is
/// not superseded: the reserved client gets a pool address until it ends.
#[test]
fn a_reserved_address_bound_to_another_host_is_not_taken() {
    let other = Lease {
        addr: ip("198.18.0.10"),
        client: Some(ClientKey::HwAddr(mac(0x01))),
        hwaddr: Some(mac(0x01)),
        state: LeaseState::Bound,
        starts: 999_000,
        expires: 1_003_600,
        hostname: None,
    };
    let mut h = harness(LINK);
    h.server = Server::new(Arc::new(config(LINK)), [other]);
    let d = h.send(&Req::discover(0xaa));
    let Outcome::Offered(a) = d.outcome else {
        panic!("{:?}", d.outcome)
    };
    assert_ne!(a, ip("198.18.0.10"));
    assert!(Ipv4Addr::from(u32::from(a)) >= ip("198.18.0.100"));
}

/// A surge after a power cut: 500 brand-new clients start within 30 s on a /23 (509 addresses)
/// and retransmit with RFC 2131 §4.1 back-off (4, 8, 16, 32, 64 s, ±1 s). With the defaults every
/// one is bound within 2 minutes, although the link is under pressure and in its reserve.
#[test]
fn a_surge_of_real_clients_is_served_within_two_minutes() {
    let text = r#"
[server]
lease_time = 600
[[subnet]]
subnet = "198.18.2.0/23"
interface = "eth0"
[[subnet.pool]]
range = "198.18.2.2-198.18.3.254"
"#;
    let mut h = harness(text);
    let t0 = 1_000_000_000u64; // ms
                               // (next send time in ms, attempt number) per client; clients 1..=500 start 60 ms apart.
    let mut next: Vec<(u64, u32)> = (0..500u64).map(|i| (t0 + i * 60, 0)).collect();
    let mut bound_at: Vec<Option<u64>> = vec![None; 500];
    let backoff = [4_000u64, 8_000, 16_000, 32_000, 64_000];
    let mut now = t0;
    while now < t0 + 120_000 && bound_at.iter().any(Option::is_none) {
        for i in 0..500usize {
            let (at, attempt) = next[i];
            if bound_at[i].is_some() || at != now {
                continue;
            }
            h.mono_ms = now;
            h.now = now / 1000;
            let n = u16::try_from(i + 1).unwrap();
            match h.send(&discover(n)).outcome {
                Outcome::Offered(a) => {
                    assert_eq!(h.send(&select(n, a)).outcome, Outcome::Acked(a));
                    bound_at[i] = Some(now - t0);
                }
                Outcome::Dropped(_) => {
                    // RFC 2131 §4.1: the back-off is randomised by ±1 s (here a fixed spread in
                    // 10 ms steps, so the run is reproducible).
                    let jitter = (i as u64 * 37 + u64::from(attempt) * 101) % 200 * 10;
                    let wait = backoff[(attempt as usize).min(backoff.len() - 1)] + jitter - 1000;
                    next[i] = (now + wait, attempt + 1);
                }
                o => panic!("{o:?}"),
            }
        }
        now += 10;
        if now.is_multiple_of(1000) {
            h.now = now / 1000;
            h.expire();
        }
    }
    let missing = bound_at.iter().filter(|b| b.is_none()).count();
    let last = bound_at.iter().flatten().max().copied().unwrap_or(0);
    let s = status(&h);
    assert_eq!(
        missing, 0,
        "all bound within 120 s; last at {last} ms; {s:?}"
    );
    assert!(s.under_pressure && s.unseen_total >= 400 && s.short_leases_total >= 400);
}
