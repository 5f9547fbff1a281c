//! Admission control ([`leasehold_engine::Guard`]) and the pool reserve, through the
//! [`leasehold_engine::Server`]: rate limits with an injected clock, bounded state under a million
//! forged identities, spoofing hygiene, lease caps (kept right by administrative deletes), the
//! reserve kept for known clients, `[security]` changed by reload, and the lease writer's backlog.

mod common;

use common::*;
use leasehold_engine::guard::{Guard, PROBE_CLIENT_ID_PREFIX};
use leasehold_engine::{Clock, Config, Outcome, SecurityConfig, StoreRoom};
use leasehold_wire::{MessageType, Op};
use std::net::Ipv4Addr;
use std::path::Path;

/// Runs `req` through the server at monotonic time `now_ms`: `Err(reason)` when it was dropped
/// (by the guard or the engine), else the outcome.
fn through(h: &mut Harness, req: &Req, now_ms: u64) -> Result<Outcome, DropReason> {
    h.mono_ms = now_ms;
    match h.send(req).outcome {
        Outcome::Dropped(reason) => Err(reason),
        outcome => Ok(outcome),
    }
}

/// How many requests the server dropped for `reason`.
fn dropped(h: &Harness, reason: DropReason) -> u64 {
    h.server
        .guard()
        .drops()
        .find(|(r, _)| *r == reason)
        .map_or(0, |(_, n)| n)
}

/// A harness whose rate-limit clock only moves when a test says so.
fn guarded(text: &str) -> Harness {
    let mut h = Harness::with(text);
    h.advance_ms = 0;
    h
}

#[test]
fn defaults_are_on() {
    let c = config(BASE);
    let s = &c.security;
    assert_eq!(s, &SecurityConfig::default());
    assert!(s.client_rate.is_limited() && s.circuit_rate.is_limited() && s.relay_rate.is_limited());
    assert_eq!(s.pool_reserve_threshold, 90);
    assert_eq!(s.max_hops, 16);
}

#[test]
fn client_rate_limit_with_injected_clock() {
    let mut h = guarded(&format!(
        "{BASE}\n[security]\nclient_rate = 1\nclient_burst = 3\n"
    ));
    let req = Req::discover(7);
    for _ in 0..3 {
        assert!(through(&mut h, &req, 0).is_ok());
    }
    assert_eq!(through(&mut h, &req, 0), Err(DropReason::RateClient));
    assert_eq!(through(&mut h, &req, 999), Err(DropReason::RateClient));
    assert!(through(&mut h, &req, 1000).is_ok(), "one token per second");
    assert!(
        through(&mut h, &Req::discover(8), 1000).is_ok(),
        "other clients unaffected"
    );
    assert_eq!(dropped(&h, DropReason::RateClient), 2);
}

#[test]
fn state_is_bounded_under_a_million_identities() {
    // The guard alone: a million engine decisions would only slow the test down.
    let h = guarded(&format!("{BASE}\n[security]\ntracked_keys = 4096\n"));
    let mut g = Guard::new(h.config().security.clone());
    let (_, bytes_before) = g.state_size();
    for i in 0..1_000_000u32 {
        let id = i.to_be_bytes();
        let r = Req::discover(0).client_id(&[0xff, id[0], id[1], id[2], id[3]]);
        // Every identity is new: all admitted (full bucket), none remembered beyond capacity.
        assert!(g
            .admit(
                r.packet(),
                &h.arrival,
                u64::from(i / 1000),
                h.now,
                h.table()
            )
            .is_ok());
    }
    let (keys, bytes_after) = g.state_size();
    assert!(keys <= 4096 + 4096 + 4096, "tracked {keys}");
    assert_eq!(bytes_before, bytes_after, "fixed memory");
    assert_eq!(g.admitted(), 1_000_000);
}

#[test]
fn server_messages_and_bootreplies_are_counted_and_ignored() {
    let mut h = guarded(BASE);
    let offer = Req::new(3, MessageType::Offer);
    assert_eq!(through(&mut h, &offer, 0), Err(DropReason::ServerMessage));
    let reply = Req::discover(3).op(Op::BootReply);
    assert_eq!(through(&mut h, &reply, 0), Err(DropReason::Bootreply));
    let counts: Vec<_> = h.server.guard().drops().collect();
    assert_eq!(
        counts,
        vec![(DropReason::Bootreply, 1), (DropReason::ServerMessage, 1)]
    );
    assert!(h.table().is_empty());
}

#[test]
fn hops_above_the_limit_are_dropped() {
    let mut h = guarded(&format!("{BASE}\n[security]\nmax_hops = 4\n"));
    let mut r = Req::discover(3).giaddr(ip("198.18.1.1"));
    r.0.hops = 5;
    assert_eq!(through(&mut h, &r, 0), Err(DropReason::HopsExceeded));
    r.0.hops = 4;
    assert_ne!(through(&mut h, &r, 0), Err(DropReason::HopsExceeded));
}

#[test]
fn own_probes_are_dropped() {
    let mut h = guarded(BASE);
    let mut own = PROBE_CLIENT_ID_PREFIX.to_vec();
    own.extend_from_slice(b"token1:");
    h.server.set_own_probe_prefix(own.clone());
    own.extend_from_slice(b"0123456789abcdef");
    let r = Req::discover(3).client_id(&own);
    assert_eq!(through(&mut h, &r, 0), Err(DropReason::OwnProbe));
    // Someone else's probe (another token) is answered like any client.
    let mut other = PROBE_CLIENT_ID_PREFIX.to_vec();
    other.extend_from_slice(b"token2:0123456789abcdef");
    let r = Req::discover(4).client_id(&other);
    assert!(matches!(through(&mut h, &r, 0), Ok(Outcome::Offered(_))));
}

#[test]
fn circuit_rate_limits_many_clients_behind_one_port() {
    let mut h = guarded(&format!(
        "{BASE}\n[security]\ncircuit_rate = 1\ncircuit_burst = 5\n"
    ));
    h.arrival = relayed(ip("198.18.1.1"), 67);
    let mut admitted = 0;
    for n in 0..50u8 {
        let r = Req::discover(n)
            .giaddr(ip("198.18.1.1"))
            .relay_info(&[(1, b"port-7")]);
        if through(&mut h, &r, 0).is_ok() {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 5);
    let other = Req::discover(60)
        .giaddr(ip("198.18.1.1"))
        .relay_info(&[(1, b"port-8")]);
    assert!(through(&mut h, &other, 0).is_ok());
}

const TEN: &str = r#"
[server]
lease_time = 100
offer_hold = 5
[[subnet]]
subnet = "198.18.0.0/24"
[[subnet.pool]]
range = "198.18.0.10-198.18.0.19"
[[subnet.reservation]]
hw_address = "52:54:00:00:00:c8"
address = "198.18.0.200"
"#;

#[test]
fn pool_reserve_keeps_the_last_addresses_for_known_clients() {
    let mut h = Harness::with(TEN);
    h.advance_ms = 0;
    // 10 addresses, threshold 90 %: 9 bindings put the link under pressure.
    for n in 1..=9u8 {
        h.dora(n);
    }
    // A new client's first DISCOVER is held back (a retransmission would be answered).
    assert_eq!(
        h.send(&Req::discover(10)).outcome,
        Outcome::Dropped(DropReason::PressureUnseen)
    );
    // A REQUEST naming a free address without an offer is refused.
    let sneaky = Req::request(11)
        .server_id(ip("198.18.0.1"))
        .requested(ip("198.18.0.19"));
    assert_eq!(
        h.send(&sneaky).outcome,
        Outcome::Nak(NakReason::PressureUnoffered)
    );
    // Known clients: a bound client gets its address again, the reserved one its reservation.
    assert_eq!(
        h.send(&Req::discover(1)).outcome,
        Outcome::Offered(ip("198.18.0.10"))
    );
    assert_eq!(
        h.send(&Req::discover(0xc8)).outcome,
        Outcome::Offered(ip("198.18.0.200"))
    );
    // Renewal of a bound client still works.
    let renew = Req::request(2).ciaddr(ip("198.18.0.11"));
    assert_eq!(h.send(&renew).outcome, Outcome::Acked(ip("198.18.0.11")));
}

#[test]
fn pool_reserve_can_be_turned_off() {
    let mut h = Harness::with(&format!(
        "{TEN}\n[security]\npool_reserve_threshold = 100\n"
    ));
    for n in 1..=10u8 {
        h.dora(n);
    }
    assert_eq!(
        h.send(&Req::discover(11)).outcome,
        Outcome::Dropped(DropReason::PoolExhausted)
    );
}

#[test]
fn lease_cap_per_oui_counts_bound_addresses() {
    let mut h = guarded(&format!(
        "{TEN}\n[security]\nmax_leases_per_oui = 2\npool_reserve_threshold = 100\n"
    ));
    let mut bound = Vec::new();
    for n in 1..=2u8 {
        assert!(matches!(
            through(&mut h, &Req::discover(n), 0),
            Ok(Outcome::Offered(_))
        ));
        let sid = ip("198.18.0.1");
        let a = ip(&format!("198.18.0.{}", 9 + n));
        let ack = through(&mut h, &Req::request(n).server_id(sid).requested(a), 0);
        assert_eq!(ack, Ok(Outcome::Acked(a)));
        bound.push(a);
    }
    // Same OUI 52:54:00: the third client is refused; the bound ones are not.
    assert_eq!(
        through(&mut h, &Req::discover(3), 0),
        Err(DropReason::LeaseCapOui)
    );
    assert!(through(&mut h, &Req::discover(1), 0).is_ok());
    // A release frees a slot.
    let rel = Req::new(2, MessageType::Release)
        .ciaddr(bound[1])
        .server_id(ip("198.18.0.1"));
    assert!(matches!(through(&mut h, &rel, 0), Ok(Outcome::Released(_))));
    assert!(through(&mut h, &Req::discover(3), 0).is_ok());
}

#[test]
fn security_table_is_validated_with_line_numbers() {
    let bad = format!("{BASE}\n[security]\npool_reserve_threshold = 150\n");
    let e = Config::from_toml(&bad, Path::new("t.toml"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("pool_reserve_threshold"), "{e}");
    assert!(e.starts_with("t.toml:"), "{e}");
    let typo = format!("{BASE}\n[security]\nclient_rat = 5\n");
    assert!(Config::from_toml(&typo, Path::new("t.toml")).is_err());
    let ok =
        format!("{BASE}\n[security]\nallowed_servers = [\"198.18.0.2\"]\nprobe_interval = 60\n");
    let c = Config::from_toml(&ok, Path::new("t.toml")).expect("valid");
    assert_eq!(
        c.security.allowed_servers,
        vec![Ipv4Addr::new(198, 18, 0, 2)]
    );
    assert_eq!(c.security.probe_interval, Some(60));
}

#[test]
fn security_changed_by_reload_applies_without_restart() {
    let mut h = guarded(&format!(
        "{BASE}\n[security]\nclient_rate = 1\nclient_burst = 2\n"
    ));
    let req = Req::discover(7);
    assert!(through(&mut h, &req, 0).is_ok());
    assert!(through(&mut h, &req, 0).is_ok());
    assert_eq!(through(&mut h, &req, 0), Err(DropReason::RateClient));
    // A looser limit by reload: the same client at the same instant is served again.
    let looser = config(&format!(
        "{BASE}\n[security]\nclient_rate = 1\nclient_burst = 5\n"
    ));
    h.server.reload(std::sync::Arc::new(looser));
    assert_eq!(h.server.guard().config().client_rate.burst, 5);
    for _ in 0..5 {
        assert!(through(&mut h, &req, 0).is_ok());
    }
    assert_eq!(through(&mut h, &req, 0), Err(DropReason::RateClient));
    // Drop counts survive the reload.
    assert_eq!(dropped(&h, DropReason::RateClient), 2);
    // And a cap added by reload is enforced at once.
    let capped = config(&format!(
        "{BASE}\n[security]\nmax_leases_per_oui = 1\npool_reserve_threshold = 100\n"
    ));
    h.server.reload(std::sync::Arc::new(capped));
    h.mono_ms = 10_000;
    h.dora(1);
    assert_eq!(
        through(&mut h, &Req::discover(2), 20_000),
        Err(DropReason::LeaseCapOui)
    );
}

#[test]
fn admin_delete_and_add_keep_the_caps_right() {
    let mut h = guarded(&format!(
        "{TEN}\n[security]\nmax_leases_per_oui = 1\npool_reserve_threshold = 100\n"
    ));
    let a = h.dora(1);
    assert_eq!(h.server.guard().capped_addresses(), 1);
    assert_eq!(
        through(&mut h, &Req::discover(2), 0),
        Err(DropReason::LeaseCapOui)
    );
    // The operator deletes the lease: the OUI's slot is free again.
    let freed = h.server.delete_lease(a, h.now).expect("deleted");
    assert_eq!(freed.state, leasehold_engine::LeaseState::Expired);
    assert_eq!(h.server.guard().capped_addresses(), 0);
    assert!(matches!(
        through(&mut h, &Req::discover(2), 1000),
        Ok(Outcome::Offered(_))
    ));
    // An administrator's lease counts against its OUI like a DHCP one.
    let added = h
        .server
        .add_lease(
            leasehold_engine::AdminLease {
                addr: ip("198.18.0.15"),
                client: leasehold_engine::ClientKey::HwAddr(mac(9)),
                hwaddr: Some(mac(9)),
                hostname: None,
                lease_time: None,
            },
            h.now,
        )
        .expect("added");
    assert_eq!(added.expires, h.now + 100);
    assert_eq!(h.server.guard().capped_addresses(), 1);
    assert_eq!(
        through(&mut h, &Req::discover(3), 2000),
        Err(DropReason::LeaseCapOui)
    );
    assert_eq!(
        h.server.delete_lease(ip("198.18.0.99"), h.now),
        Err(leasehold_engine::AdminError::NotFound(ip("198.18.0.99")))
    );
}

#[test]
fn a_backlogged_store_drops_durable_work_and_changes_nothing() {
    let mut h = guarded(BASE);
    let clock = |h: &Harness| Clock {
        unix: h.now,
        mono_ms: 0,
    };
    // DISCOVER needs no write: offered even while the writer is backlogged.
    let offer = h.server.handle_packet(
        Req::discover(1).packet().clone(),
        &h.arrival.clone(),
        clock(&h),
        StoreRoom::Backlogged,
    );
    let Outcome::Offered(addr) = offer.outcome else {
        panic!("no offer: {:?}", offer.outcome)
    };
    assert!(!offer.waits_for_commit());
    // The REQUEST would bind: dropped, and the table is unchanged.
    let req = Req::request(1).server_id(server_id(&offer)).requested(addr);
    let v = h.server.handle_packet(
        req.packet().clone(),
        &h.arrival.clone(),
        clock(&h),
        StoreRoom::Backlogged,
    );
    assert_eq!(v.outcome, Outcome::Dropped(DropReason::StoreBacklog));
    assert!(v.reply.is_none() && v.changes.is_empty());
    assert!(h.table().by_addr(addr).is_none(), "nothing bound");
    assert_eq!(dropped(&h, DropReason::StoreBacklog), 1);
    // Once the writer keeps up, the same REQUEST is ACKed and waits for its commit.
    let v = h.server.handle_packet(
        req.packet().clone(),
        &h.arrival.clone(),
        clock(&h),
        StoreRoom::Open,
    );
    assert_eq!(v.outcome, Outcome::Acked(addr));
    assert!(v.waits_for_commit());
    assert_eq!(v.durable().count(), 1);
}
