//! Allocation: uniqueness under random traffic (property test), large pools, exhaustion,
//! stickiness, rebuilding from stored leases.

mod common;

use common::*;
use leasehold_engine::{ClientKey, LeaseState, LeaseTable, Outcome};
use leasehold_wire::MessageType;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::collections::HashMap;
use std::net::Ipv4Addr;

const SMALL: &str = r#"
[server]
lease_time = 100
offer_hold = 5
probation_time = 50
[[subnet]]
subnet = "198.18.0.0/24"
[[subnet.pool]]
range = "198.18.0.10-198.18.0.17"
exclude = ["198.18.0.12"]
[[subnet.reservation]]
hw_address = "52:54:00:00:00:01"
address = "198.18.0.15"
"#;

#[derive(Clone, Debug)]
enum Step {
    Discover(u8),
    Select(u8),
    InitReboot(u8, u8),
    Renew(u8),
    Release(u8),
    Decline(u8),
    Tick(u8),
    Expire,
}

fn step() -> impl Strategy<Value = Step> {
    let c = 1u8..12;
    prop_oneof![
        4 => c.clone().prop_map(Step::Discover),
        4 => c.clone().prop_map(Step::Select),
        1 => (c.clone(), 10u8..18).prop_map(|(n, a)| Step::InitReboot(n, a)),
        2 => c.clone().prop_map(Step::Renew),
        1 => c.clone().prop_map(Step::Release),
        1 => c.prop_map(Step::Decline),
        2 => (1u8..60).prop_map(Step::Tick),
        1 => Just(Step::Expire),
    ]
}

/// Handles `r` through the server, checking first (on the engine's pure decision) that an
/// offered or acknowledged address is not held by another client's lease, not excluded, and not
/// someone else's reservation; and that another client's live offer is taken over only by a
/// REQUEST (first REQUEST wins) or by an OFFER when no address of the pool is free.
fn checked(h: &mut Harness, r: &Req) -> Result<Outcome, TestCaseError> {
    let me = ClientKey::HwAddr(r.0.chaddr);
    let d = h.peek(r);
    if let Outcome::Offered(a) | Outcome::Acked(a) = d.outcome {
        let lease_other = h
            .table()
            .by_addr(a)
            .is_some_and(|l| l.holds_address(h.now) && l.client.as_ref() != Some(&me));
        let offer_other = h.table().offer_holder(a, h.now).is_some_and(|c| *c != me);
        prop_assert!(!lease_other, "{} given to {} while bound to another", a, me);
        if offer_other && matches!(d.outcome, Outcome::Offered(_)) {
            let held = [10u8, 11, 13, 14, 16, 17]
                .iter()
                .map(|n| Ipv4Addr::new(198, 18, 0, *n))
                .filter(|x| {
                    h.table().offer_holder(*x, h.now).is_some()
                        || h.table()
                            .by_addr(*x)
                            .is_some_and(|l| l.holds_address(h.now))
                })
                .count();
            prop_assert_eq!(
                held,
                6,
                "{} offered to {} while another address was free",
                a,
                me
            );
        }
        prop_assert_ne!(a, ip("198.18.0.12"), "excluded address handed out");
        if a == ip("198.18.0.15") {
            prop_assert_eq!(
                &me,
                &ClientKey::HwAddr(mac(1)),
                "reservation handed to another client"
            );
        }
    }
    let v = h.send(r);
    prop_assert_eq!(
        &v.outcome,
        &d.outcome,
        "the server decides as the engine does"
    );
    prop_assert_eq!(&v.changes, &d.changes);
    Ok(v.outcome)
}

/// Pool usage counted the slow way, from every address of the SMALL pool.
fn usage_by_scan(h: &Harness) -> (u64, u64, u64, u64) {
    let (mut assigned, mut declined, mut offered, mut reserved) = (0, 0, 0, 0);
    for last in 10u8..=17 {
        let a = Ipv4Addr::new(198, 18, 0, last);
        let lease = h.table().by_addr(a).filter(|l| l.holds_address(h.now));
        match lease.map(|l| l.state) {
            Some(LeaseState::Declined) => declined += 1,
            Some(_) => assigned += 1,
            None => {
                if h.table().offer_holder(a, h.now).is_some() {
                    offered += 1;
                }
                if last == 15 {
                    reserved += 1;
                }
            }
        }
    }
    (assigned, declined, offered, reserved)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// RFC 2131 §4.3.1/§4.3.2: at no time do two clients hold the same address (lease or live
    /// offer), and excluded addresses or other clients' reservations are never handed out.
    #[test]
    fn rfc2131_4_3_two_clients_never_share(steps in proptest::collection::vec(step(), 1..120)) {
        let mut h = Harness::with(SMALL);
        let mut offered: HashMap<u8, Ipv4Addr> = HashMap::new();
        let mut bound: HashMap<u8, Ipv4Addr> = HashMap::new();
        for s in steps {
            match s {
                Step::Discover(n) => {
                    if let Outcome::Offered(a) = checked(&mut h, &Req::discover(n))? {
                        offered.insert(n, a);
                    }
                }
                Step::Select(n) => {
                    if let Some(a) = offered.get(&n).copied() {
                        if let Outcome::Acked(a) = checked(&mut h, &Req::request(n).server_id(ip("198.18.0.1")).requested(a))? {
                            bound.insert(n, a);
                        }
                    }
                }
                Step::InitReboot(n, last) => {
                    let a = Ipv4Addr::new(198, 18, 0, last);
                    if let Outcome::Acked(a) = checked(&mut h, &Req::request(n).requested(a))? {
                        bound.insert(n, a);
                    }
                }
                Step::Renew(n) => {
                    if let Some(a) = bound.get(&n).copied() {
                        checked(&mut h, &Req::request(n).ciaddr(a))?;
                    }
                }
                Step::Release(n) => {
                    if let Some(a) = bound.remove(&n) {
                        checked(&mut h, &Req::new(n, MessageType::Release).ciaddr(a))?;
                    }
                }
                Step::Decline(n) => {
                    if let Some(a) = bound.remove(&n) {
                        checked(&mut h, &Req::new(n, MessageType::Decline).requested(a))?;
                    }
                }
                Step::Tick(t) => h.now += u64::from(t),
                Step::Expire => { h.expire(); }
            }
            // The incrementally kept pool usage agrees with a full scan.
            let u = h.server.pool_usage(h.now);
            prop_assert_eq!(
                (u[0].assigned, u[0].declined, u[0].offered, u[0].reserved),
                usage_by_scan(&h)
            );
            prop_assert_eq!(u[0].total, 7);
            // Index consistency: a client's binding names the client; no live lease sits on
            // an excluded address or on a reservation of someone else.
            for n in 1u8..12 {
                let key = ClientKey::HwAddr(mac(n));
                if let Some(l) = h.table().by_client(&key) {
                    prop_assert_eq!(l.client.as_ref(), Some(&key));
                }
            }
            for l in h.table().iter().filter(|l| l.holds_address(h.now)) {
                prop_assert_ne!(l.addr, ip("198.18.0.12"));
                if l.addr == ip("198.18.0.15") && l.state == LeaseState::Bound {
                    prop_assert_eq!(l.client.clone(), Some(ClientKey::HwAddr(mac(1))));
                }
            }
        }
    }
}

/// A /8 pool allocates as easily as a /24: 100,000 distinct addresses, none excluded.
#[test]
fn slash8_pool_allocates_100k() {
    let cfg = r#"
[[subnet]]
subnet = "10.0.0.0/8"
[[subnet.pool]]
range = "10.0.0.1-10.255.255.254"
exclude = ["10.0.0.3"]
"#;
    let mut h = Harness::with(cfg);
    h.arrival.local_addr = ip("10.0.0.1");
    h.arrival.iface = None;
    let mut seen = std::collections::HashSet::new();
    for i in 0..100_000u32 {
        let id = i.to_be_bytes();
        let r = Req::discover(0).client_id(&[0, id[0], id[1], id[2], id[3]]);
        let d = h.send(&r);
        let Outcome::Offered(a) = d.outcome else {
            panic!("{i}: {:?}", d.outcome)
        };
        assert_ne!(a, ip("10.0.0.3"));
        assert!(seen.insert(a), "{a} offered twice");
    }
    assert_eq!(h.table().fresh_count(0), (1u64 << 24) - 2 - 1 - 100_000);
}

/// Exhaustion: when every address is held, DISCOVER is dropped with `pool_exhausted`.
#[test]
fn exhaustion() {
    let mut h = Harness::with(SMALL);
    // Pool .10-.17 minus .12 (excluded) and .15 (reserved) = 6 dynamic addresses.
    let got: Vec<Ipv4Addr> = (2..8u8).map(|n| h.dora(n)).collect();
    assert_eq!(got.len(), 6);
    assert_eq!(
        h.send(&Req::discover(9)).outcome,
        Outcome::Dropped(DropReason::PoolExhausted)
    );
    // The reserved client still gets its address.
    assert_eq!(
        h.send(&Req::discover(1)).outcome,
        Outcome::Offered(ip("198.18.0.15"))
    );
    // After expiry the longest-free address is reused.
    h.now += 101;
    h.expire();
    assert!(matches!(
        h.send(&Req::discover(9)).outcome,
        Outcome::Offered(_)
    ));
}

/// Rebuilding the table from stored leases (start-up) gives the same decisions.
#[test]
fn from_leases_rebuilds_index() {
    let mut h = Harness::with(SMALL);
    let a = h.dora(3);
    let b = h.dora(4);
    let cfg = h.config().clone();
    let rebuilt = LeaseTable::from_leases(&cfg, h.table().iter().cloned());
    assert_eq!(rebuilt.by_addr(a), h.table().by_addr(a));
    assert_eq!(
        rebuilt
            .by_client(&ClientKey::HwAddr(mac(4)))
            .map(|l| l.addr),
        Some(b)
    );
    // A restart: a new server from the stored leases.
    h.server = leasehold_engine::Server::new(cfg, h.table().iter().cloned().collect::<Vec<_>>());
    let Outcome::Offered(c) = h.send(&Req::discover(5)).outcome else {
        panic!()
    };
    assert!(c != a && c != b);
}

/// Configuration reload: `rebuild_pools` applies new exclusions and pools while keeping leases.
#[test]
fn rebuild_pools_after_reload() {
    let mut h = Harness::with(SMALL);
    let a = h.dora(2);
    assert_eq!(a, ip("198.18.0.10"));
    let newer = config(&SMALL.replace(
        "exclude = [\"198.18.0.12\"]",
        "exclude = [\"198.18.0.11\", \"198.18.0.12\", \"198.18.0.13\"]",
    ));
    h.server.reload(std::sync::Arc::new(newer));
    assert_eq!(
        h.table().by_addr(a).map(|l| l.state),
        Some(LeaseState::Bound)
    );
    assert_eq!(
        h.send(&Req::discover(3)).outcome,
        Outcome::Offered(ip("198.18.0.14"))
    );
}
