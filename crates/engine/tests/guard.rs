//! Admission control ([`leasehold_engine::Guard`]) and the pool reserve: rate limits with an
//! injected clock, bounded state under a million forged identities, spoofing hygiene, lease
//! caps, and the reserve kept for known clients.

mod common;

use common::*;
use leasehold_engine::guard::{reason, Guard, PROBE_CLIENT_ID_PREFIX};
use leasehold_engine::{Config, Outcome, SecurityConfig};
use leasehold_wire::{MessageType, Op};
use std::net::Ipv4Addr;
use std::path::Path;

/// Runs `req` through the guard and, when admitted, the engine (like `serve.rs`).
fn through(
    h: &mut Harness,
    g: &mut Guard,
    req: &Req,
    now_ms: u64,
) -> Result<Outcome, &'static str> {
    g.admit(req.packet(), &h.arrival.clone(), now_ms, h.now, &h.table)?;
    let d = h.send(req);
    g.observe(req.packet(), &d.changes);
    g.record_outcome(&d.outcome);
    Ok(d.outcome)
}

fn guard_of(text: &str) -> (Harness, Guard) {
    let h = Harness::with(text);
    let g = Guard::new(h.engine.config().security.clone());
    (h, g)
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
    let (mut h, mut g) = guard_of(&format!(
        "{BASE}\n[security]\nclient_rate = 1\nclient_burst = 3\n"
    ));
    let req = Req::discover(7);
    for _ in 0..3 {
        assert!(through(&mut h, &mut g, &req, 0).is_ok());
    }
    assert_eq!(through(&mut h, &mut g, &req, 0), Err(reason::RATE_CLIENT));
    assert_eq!(through(&mut h, &mut g, &req, 999), Err(reason::RATE_CLIENT));
    assert!(
        through(&mut h, &mut g, &req, 1000).is_ok(),
        "one token per second"
    );
    assert!(
        through(&mut h, &mut g, &Req::discover(8), 1000).is_ok(),
        "other clients unaffected"
    );
    assert_eq!(
        g.drops().find(|(r, _)| *r == reason::RATE_CLIENT),
        Some((reason::RATE_CLIENT, 2))
    );
}

#[test]
fn state_is_bounded_under_a_million_identities() {
    let (h, mut g) = guard_of(&format!("{BASE}\n[security]\ntracked_keys = 4096\n"));
    let (_, bytes_before) = g.state_size();
    for i in 0..1_000_000u32 {
        let id = i.to_be_bytes();
        let r = Req::discover(0).client_id(&[0xff, id[0], id[1], id[2], id[3]]);
        // Every identity is new: all admitted (full bucket), none remembered beyond capacity.
        assert!(g
            .admit(r.packet(), &h.arrival, u64::from(i / 1000), h.now, &h.table)
            .is_ok());
    }
    let (keys, bytes_after) = g.state_size();
    assert!(keys <= 4096 + 4096 + 4096, "tracked {keys}");
    assert_eq!(bytes_before, bytes_after, "fixed memory");
    assert_eq!(g.admitted(), 1_000_000);
}

#[test]
fn server_messages_and_bootreplies_are_counted_and_ignored() {
    let (mut h, mut g) = guard_of(BASE);
    let offer = Req::new(3, MessageType::Offer);
    assert_eq!(
        through(&mut h, &mut g, &offer, 0),
        Err(reason::SERVER_MESSAGE)
    );
    let reply = Req::discover(3).op(Op::BootReply);
    assert_eq!(through(&mut h, &mut g, &reply, 0), Err(reason::BOOTREPLY));
    let counts: Vec<_> = g.drops().collect();
    assert_eq!(counts, vec![("bootreply", 1), ("server_message", 1)]);
    assert!(h.table.is_empty());
}

#[test]
fn hops_above_the_limit_are_dropped() {
    let (mut h, mut g) = guard_of(&format!("{BASE}\n[security]\nmax_hops = 4\n"));
    let mut r = Req::discover(3).giaddr(ip("198.18.1.1"));
    r.0.hops = 5;
    assert_eq!(through(&mut h, &mut g, &r, 0), Err(reason::HOPS));
    r.0.hops = 4;
    assert_ne!(through(&mut h, &mut g, &r, 0), Err(reason::HOPS));
}

#[test]
fn own_probes_are_dropped() {
    let (mut h, mut g) = guard_of(BASE);
    let mut own = PROBE_CLIENT_ID_PREFIX.to_vec();
    own.extend_from_slice(b"token1:");
    g.set_own_probe_prefix(own.clone());
    own.extend_from_slice(b"0123456789abcdef");
    let r = Req::discover(3).client_id(&own);
    assert_eq!(through(&mut h, &mut g, &r, 0), Err(reason::OWN_PROBE));
    // Someone else's probe (another token) is answered like any client.
    let mut other = PROBE_CLIENT_ID_PREFIX.to_vec();
    other.extend_from_slice(b"token2:0123456789abcdef");
    let r = Req::discover(4).client_id(&other);
    assert!(matches!(
        through(&mut h, &mut g, &r, 0),
        Ok(Outcome::Offered(_))
    ));
}

#[test]
fn circuit_rate_limits_many_clients_behind_one_port() {
    let (mut h, mut g) = guard_of(&format!(
        "{BASE}\n[security]\ncircuit_rate = 1\ncircuit_burst = 5\n"
    ));
    h.arrival = relayed(ip("198.18.1.1"), 67);
    let mut admitted = 0;
    for n in 0..50u8 {
        let r = Req::discover(n)
            .giaddr(ip("198.18.1.1"))
            .relay_info(&[(1, b"port-7")]);
        if g.admit(r.packet(), &h.arrival, 0, h.now, &h.table).is_ok() {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 5);
    let other = Req::discover(60)
        .giaddr(ip("198.18.1.1"))
        .relay_info(&[(1, b"port-8")]);
    assert!(g
        .admit(other.packet(), &h.arrival, 0, h.now, &h.table)
        .is_ok());
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
    // 10 addresses, threshold 90 %: 9 new clients are served, the 10th is refused.
    for n in 1..=9u8 {
        h.dora(n);
    }
    assert_eq!(
        h.send(&Req::discover(10)).outcome,
        Outcome::Dropped("pool_reserve")
    );
    // A REQUEST naming a free address without an offer is refused too.
    let sneaky = Req::request(11)
        .server_id(ip("198.18.0.1"))
        .requested(ip("198.18.0.19"));
    assert_eq!(h.send(&sneaky).outcome, Outcome::Nak("pool_reserve"));
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
        Outcome::Dropped("pool_exhausted")
    );
}

#[test]
fn lease_cap_per_oui_counts_bound_addresses() {
    let (mut h, mut g) = guard_of(&format!(
        "{TEN}\n[security]\nmax_leases_per_oui = 2\npool_reserve_threshold = 100\n"
    ));
    let mut bound = Vec::new();
    for n in 1..=2u8 {
        assert!(matches!(
            through(&mut h, &mut g, &Req::discover(n), 0),
            Ok(Outcome::Offered(_))
        ));
        let sid = ip("198.18.0.1");
        let a = ip(&format!("198.18.0.{}", 9 + n));
        let ack = through(
            &mut h,
            &mut g,
            &Req::request(n).server_id(sid).requested(a),
            0,
        );
        assert_eq!(ack, Ok(Outcome::Acked(a)));
        bound.push(a);
    }
    // Same OUI 52:54:00: the third client is refused; the bound ones are not.
    assert_eq!(
        through(&mut h, &mut g, &Req::discover(3), 0),
        Err(reason::CAP_OUI)
    );
    assert!(through(&mut h, &mut g, &Req::discover(1), 0).is_ok());
    // A release frees a slot.
    let rel = Req::new(2, MessageType::Release)
        .ciaddr(bound[1])
        .server_id(ip("198.18.0.1"));
    assert!(matches!(
        through(&mut h, &mut g, &rel, 0),
        Ok(Outcome::Released(_))
    ));
    assert!(through(&mut h, &mut g, &Req::discover(3), 0).is_ok());
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
