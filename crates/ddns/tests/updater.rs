//! The updater against a fake DNS server, with injected time (no network).

mod support;

use leasehold_ddns::{ConflictResolution, Identity, LeaseDns, Settings, Updater, Want, Zone};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};
use support::{FakeDns, Mode, UNIX};

const FWD: &str = "example.test.";
const REV: &str = "0.18.198.in-addr.arpa.";

fn server() -> SocketAddr {
    "198.18.0.53:53".parse().expect("addr")
}

fn settings(conflict: ConflictResolution) -> Settings {
    let key = support::key("ddns-key.", b"0123456789abcdef0123456789abcdef");
    Settings {
        zones: vec![
            Zone {
                name: FWD.into(),
                server: server(),
                key: Some(key.clone()),
            },
            Zone {
                name: REV.into(),
                server: server(),
                key: Some(key),
            },
        ],
        conflict,
        ..Settings::default()
    }
}

fn setup(conflict: ConflictResolution) -> (Updater, FakeDns) {
    let s = settings(conflict);
    let key = s.zones[0].key.clone();
    let u = Updater::new(s, 42).expect("updater");
    (u, FakeDns::new(&[FWD, REV], key.as_ref()))
}

fn ip(last: u8) -> Ipv4Addr {
    Ipv4Addr::new(198, 18, 0, last)
}

fn client(n: u8) -> Identity {
    Identity::from_hwaddr(1, &[0x02, 0, 0, 0, 0, n])
}

fn present(addr: Ipv4Addr, who: &Identity, fqdn: &str) -> LeaseDns {
    LeaseDns {
        addr,
        identity: who.clone(),
        want: Want::Present {
            fqdn: fqdn.into(),
            forward: true,
            reverse: true,
            ttl: 300,
        },
        replaces: None,
    }
}

fn absent(addr: Ipv4Addr, who: &Identity, fqdn: Option<&str>) -> LeaseDns {
    LeaseDns {
        addr,
        identity: who.clone(),
        want: Want::Absent {
            fqdn: fqdn.map(Into::into),
        },
        replaces: None,
    }
}

/// Exchanges messages with the fake until nothing is left to send; returns how many were sent.
fn pump(u: &mut Updater, z: &mut FakeDns, now: Instant) -> usize {
    let mut n = 0;
    while let Some(t) = u.poll_transmit(now, UNIX) {
        n += 1;
        assert_eq!(t.to, server());
        if let Some(answer) = z.handle(&t.payload) {
            u.handle_datagram(t.to, &answer, now);
        }
    }
    assert!(u.stats().is_consistent(), "{:?}", u.stats());
    n
}

#[test]
fn add_puts_a_dhcid_and_ptr_and_every_message_is_signed() {
    let (mut u, mut z) = setup(ConflictResolution::CheckWithDhcid);
    let now = Instant::now();
    let c = client(1);
    u.submit(present(ip(10), &c, "host1.example.test."), now);
    assert_eq!(u.stats().pending, 1);
    let sent = pump(&mut u, &mut z, now);
    assert_eq!(sent, 2, "add forward + PTR");
    assert_eq!(z.a("host1.example.test."), vec![ip(10)]);
    assert_eq!(
        z.dhcid("host1.example.test."),
        vec![c.dhcid("host1.example.test.").expect("dhcid")]
    );
    assert_eq!(z.ptr(ip(10)), vec!["host1.example.test.".to_string()]);
    assert_eq!(z.signed_ok, z.requests, "every message TSIG-signed");
    assert_eq!(z.unsigned_or_bad, 0);
    let s = u.stats();
    assert_eq!((s.sent, s.succeeded, s.pending, s.in_flight), (2, 2, 0, 0));
    assert!(u.is_idle());
    assert_eq!(u.poll_timeout(), None, "no timer left");

    // The same wish again (a renewal): nothing is sent.
    u.submit(present(ip(10), &c, "host1.example.test."), now);
    assert!(u.poll_transmit(now, UNIX).is_none());
    assert_eq!(u.stats().sent, 2);
}

#[test]
fn rename_removes_the_old_name_first() {
    let (mut u, mut z) = setup(ConflictResolution::CheckWithDhcid);
    let now = Instant::now();
    let c = client(1);
    u.submit(present(ip(10), &c, "old.example.test."), now);
    pump(&mut u, &mut z, now);
    u.submit(present(ip(10), &c, "new.example.test."), now);
    let sent = pump(&mut u, &mut z, now);
    assert_eq!(sent, 4, "remove A, remove DHCID, add forward, PTR");
    assert!(z.a("old.example.test.").is_empty());
    assert!(z.dhcid("old.example.test.").is_empty());
    assert_eq!(z.a("new.example.test."), vec![ip(10)]);
    assert_eq!(z.ptr(ip(10)), vec!["new.example.test.".to_string()]);
    assert_eq!(u.stats().conflicts, 0);
}

#[test]
fn second_client_same_name_is_a_conflict_in_check_mode() {
    let (mut u, mut z) = setup(ConflictResolution::CheckWithDhcid);
    let now = Instant::now();
    let (a, b) = (client(1), client(2));
    u.submit(present(ip(10), &a, "host.example.test."), now);
    pump(&mut u, &mut z, now);
    u.submit(present(ip(11), &b, "host.example.test."), now);
    let sent = pump(&mut u, &mut z, now);
    assert_eq!(
        sent, 2,
        "name not in use → YXDOMAIN; DHCID matches → NXRRSET; no PTR"
    );
    assert_eq!(u.stats().conflicts, 1);
    assert_eq!(z.a("host.example.test."), vec![ip(10)]);
    assert_eq!(
        z.dhcid("host.example.test."),
        vec![a.dhcid("host.example.test.").expect("dhcid")]
    );
    assert!(z.ptr(ip(11)).is_empty(), "no PTR for a conflicting name");
    assert!(u.is_idle(), "a conflict ends the work");
    // Not retried: the same wish sends nothing.
    u.submit(present(ip(11), &b, "host.example.test."), now);
    assert!(u.poll_transmit(now, UNIX).is_none());
    // B's release must not touch A's records.
    u.submit(absent(ip(11), &b, Some("host.example.test.")), now);
    pump(&mut u, &mut z, now);
    assert_eq!(z.a("host.example.test."), vec![ip(10)]);
    assert_eq!(z.ptr(ip(10)), vec!["host.example.test.".to_string()]);
}

#[test]
fn second_client_takes_the_name_over_in_no_check_mode() {
    let (mut u, mut z) = setup(ConflictResolution::NoCheckWithDhcid);
    let now = Instant::now();
    let (a, b) = (client(1), client(2));
    u.submit(present(ip(10), &a, "host.example.test."), now);
    pump(&mut u, &mut z, now);
    u.submit(present(ip(11), &b, "host.example.test."), now);
    pump(&mut u, &mut z, now);
    assert_eq!(u.stats().conflicts, 0);
    assert_eq!(z.a("host.example.test."), vec![ip(11)]);
    assert_eq!(
        z.dhcid("host.example.test."),
        vec![b.dhcid("host.example.test.").expect("dhcid")]
    );
    assert_eq!(z.ptr(ip(11)), vec!["host.example.test.".to_string()]);
    // Removal in no-check mode: A RR and DHCID without prerequisites, then the PTR.
    u.submit(absent(ip(11), &b, None), now);
    pump(&mut u, &mut z, now);
    assert!(z.a("host.example.test.").is_empty());
    assert!(z.dhcid("host.example.test.").is_empty());
    assert!(z.ptr(ip(11)).is_empty());
}

#[test]
fn remove_takes_everything_away() {
    let (mut u, mut z) = setup(ConflictResolution::CheckWithDhcid);
    let now = Instant::now();
    let c = client(1);
    u.submit(present(ip(10), &c, "host1.example.test."), now);
    pump(&mut u, &mut z, now);
    u.submit(absent(ip(10), &c, None), now);
    let sent = pump(&mut u, &mut z, now);
    assert_eq!(sent, 3, "remove A, remove DHCID, remove PTR");
    assert!(z.is_empty(), "{:?}", z.rrs);
    // Released again: nothing to do.
    u.submit(absent(ip(10), &c, Some("host1.example.test.")), now);
    assert!(u.poll_transmit(now, UNIX).is_none());
}

#[test]
fn remove_after_restart_leaves_another_clients_name_alone() {
    let (mut u, mut z) = setup(ConflictResolution::CheckWithDhcid);
    let now = Instant::now();
    let (a, b) = (client(1), client(2));
    z.preload("host.example.test.", ip(10), &a);
    // A fresh updater is told ip(11) is released by B, which once had that name.
    u.converge([absent(ip(11), &b, Some("host.example.test."))], now);
    let sent = pump(&mut u, &mut z, now);
    assert_eq!(sent, 2, "remove A → NXRRSET (not ours): skip; remove PTR");
    assert_eq!(z.a("host.example.test."), vec![ip(10)]);
    assert_eq!(z.dhcid("host.example.test.").len(), 1);
    assert!(u.is_idle());
}

/// After a restart a client that renamed itself (the lease's earlier name in `replaces`) loses
/// its old A and DHCID records; another client's name given as `replaces` is left alone (the
/// DHCID guard); `replaces` is not part of the wish (the renewal without it sends nothing).
#[test]
fn a_rename_after_restart_removes_the_old_name() {
    let (mut u, mut z) = setup(ConflictResolution::CheckWithDhcid);
    let now = Instant::now();
    let (a, b) = (client(1), client(2));
    z.preload("old.example.test.", ip(10), &a);
    z.preload("other.example.test.", ip(11), &b);
    let mut renamed = present(ip(10), &a, "new.example.test.");
    renamed.replaces = Some("old.example.test.".into());
    u.submit(renamed, now);
    pump(&mut u, &mut z, now);
    assert!(z.a("old.example.test.").is_empty(), "old A removed");
    assert!(z.dhcid("old.example.test.").is_empty(), "old DHCID removed");
    assert_eq!(z.a("new.example.test."), vec![ip(10)]);
    assert_eq!(z.ptr(ip(10)), vec!["new.example.test.".to_string()]);
    assert!(u.is_idle());
    // The renewal carries no `replaces`: the same wish, nothing sent.
    u.submit(present(ip(10), &a, "new.example.test."), now);
    assert!(u.poll_transmit(now, UNIX).is_none());

    // Client A claims (wrongly) that B's name was its own: B's records stay.
    let (mut u2, _) = setup(ConflictResolution::CheckWithDhcid);
    let mut wrong = present(ip(12), &a, "third.example.test.");
    wrong.replaces = Some("other.example.test.".into());
    u2.submit(wrong, now);
    pump(&mut u2, &mut z, now);
    assert_eq!(z.a("other.example.test."), vec![ip(11)]);
    assert_eq!(z.dhcid("other.example.test.").len(), 1);
    assert_eq!(z.a("third.example.test."), vec![ip(12)]);
}

#[test]
fn converge_after_restart_is_idempotent() {
    let (mut u, mut z) = setup(ConflictResolution::CheckWithDhcid);
    let now = Instant::now();
    let c = client(1);
    u.submit(present(ip(10), &c, "host1.example.test."), now);
    pump(&mut u, &mut z, now);
    let before = z.rrs.clone();
    let (mut u2, _) = setup(ConflictResolution::CheckWithDhcid);
    u2.converge([present(ip(10), &c, "host1.example.test.")], now);
    let sent = pump(&mut u2, &mut z, now);
    assert_eq!(sent, 3, "YXDOMAIN → DHCID matches → replace A; PTR");
    assert_eq!(z.rrs, before);
    let s = u2.stats();
    assert_eq!(
        (s.conflicts, s.prerequisite_not_met, s.succeeded),
        (0, 1, 2)
    );
    // Converge again: known now, nothing sent.
    u2.converge([present(ip(10), &c, "host1.example.test.")], now);
    assert!(u2.poll_transmit(now, UNIX).is_none());
}

#[test]
fn refused_backs_off_then_succeeds_and_the_server_is_flagged() {
    let (mut u, mut z) = setup(ConflictResolution::CheckWithDhcid);
    let t0 = Instant::now();
    let c = client(1);
    z.mode = Mode::Refuse;
    u.submit(present(ip(10), &c, "host1.example.test."), t0);
    assert_eq!(pump(&mut u, &mut z, t0), 1);
    assert_eq!(u.stats().failed_refused, 1);
    // Back-off: 1 s, 2 s, 4 s.
    let mut t = t0;
    for (n, delay) in [1u64, 2, 4].into_iter().enumerate() {
        let due = t + Duration::from_secs(delay);
        assert_eq!(u.poll_timeout(), Some(due), "retry {n}");
        u.handle_timeout(due - Duration::from_millis(1));
        assert!(
            u.poll_transmit(due, UNIX).is_none(),
            "not before the back-off"
        );
        u.handle_timeout(due);
        assert_eq!(pump(&mut u, &mut z, due), 1);
        t = due;
    }
    assert_eq!(u.stats().failed_refused, 4);
    assert_eq!(u.refusing_servers(3), vec![(server(), 4)]);
    assert!(u.refusing_servers(5).is_empty());
    // The server comes back.
    z.mode = Mode::Normal;
    let due = t + Duration::from_secs(8);
    u.handle_timeout(due);
    assert_eq!(pump(&mut u, &mut z, due), 2);
    assert_eq!(z.a("host1.example.test."), vec![ip(10)]);
    assert!(u.refusing_servers(1).is_empty());
    assert!(u.is_idle());
}

#[test]
fn backoff_is_capped() {
    let mut s = settings(ConflictResolution::CheckWithDhcid);
    s.max_backoff = Duration::from_secs(3);
    let key = s.zones[0].key.clone();
    let mut u = Updater::new(s, 1).expect("updater");
    let mut z = FakeDns::new(&[FWD, REV], key.as_ref());
    z.mode = Mode::Refuse;
    let mut t = Instant::now();
    u.submit(present(ip(10), &client(1), "h.example.test."), t);
    pump(&mut u, &mut z, t);
    let mut delays = Vec::new();
    for _ in 0..4 {
        let due = u.poll_timeout().expect("retry");
        delays.push((due - t).as_secs());
        u.handle_timeout(due);
        pump(&mut u, &mut z, due);
        t = due;
    }
    assert_eq!(delays, [1, 2, 3, 3]);
}

#[test]
fn timeout_then_retry() {
    let (mut u, mut z) = setup(ConflictResolution::CheckWithDhcid);
    let t0 = Instant::now();
    z.mode = Mode::Drop;
    u.submit(present(ip(10), &client(1), "host1.example.test."), t0);
    assert_eq!(pump(&mut u, &mut z, t0), 1);
    assert_eq!(u.stats().in_flight, 1);
    let timeout = t0 + Duration::from_secs(2);
    assert_eq!(u.poll_timeout(), Some(timeout));
    u.handle_timeout(timeout);
    let s = u.stats();
    assert_eq!((s.timeouts, s.in_flight, s.pending), (1, 0, 1));
    assert!(s.is_consistent());
    let retry = timeout + Duration::from_secs(1);
    assert_eq!(u.poll_timeout(), Some(retry));
    z.mode = Mode::Normal;
    u.handle_timeout(retry);
    assert_eq!(pump(&mut u, &mut z, retry), 2);
    assert_eq!(z.a("host1.example.test."), vec![ip(10)]);
    assert!(u.is_idle());
}

#[test]
fn a_late_answer_after_the_timeout_is_ignored() {
    let (mut u, mut z) = setup(ConflictResolution::CheckWithDhcid);
    let t0 = Instant::now();
    u.submit(present(ip(10), &client(1), "host1.example.test."), t0);
    let t = u.poll_transmit(t0, UNIX).expect("sent");
    let answer = z.handle(&t.payload).expect("answer");
    u.handle_timeout(t0 + Duration::from_secs(2));
    u.handle_datagram(server(), &answer, t0 + Duration::from_secs(2));
    assert_eq!(u.stats().ignored, 1);
    assert!(u.stats().is_consistent());
}

#[test]
fn queue_limit_drops_submits_but_not_converge() {
    let mut s = settings(ConflictResolution::CheckWithDhcid);
    s.queue_limit = 2;
    let mut u = Updater::new(s, 7).expect("updater");
    let now = Instant::now();
    for i in 0..3 {
        u.submit(
            present(ip(10 + i), &client(i), &format!("h{i}.example.test.")),
            now,
        );
    }
    let s = u.stats();
    assert_eq!((s.pending, s.dropped), (2, 1));
    // A newer wish for an address with work owed replaces it: not dropped.
    u.submit(present(ip(10), &client(0), "h0b.example.test."), now);
    assert_eq!(u.stats().dropped, 1);
    u.converge([present(ip(12), &client(2), "h2.example.test.")], now);
    let s = u.stats();
    assert_eq!((s.pending, s.dropped), (3, 1));
}

#[test]
fn in_flight_per_server_is_limited() {
    let mut s = settings(ConflictResolution::CheckWithDhcid);
    s.max_in_flight = 2;
    let mut u = Updater::new(s, 7).expect("updater");
    let now = Instant::now();
    for i in 0..5 {
        u.submit(
            present(ip(10 + i), &client(i), &format!("h{i}.example.test.")),
            now,
        );
    }
    assert!(u.poll_transmit(now, UNIX).is_some());
    assert!(u.poll_transmit(now, UNIX).is_some());
    assert!(u.poll_transmit(now, UNIX).is_none());
    assert_eq!(u.stats().in_flight, 2);
}

#[test]
fn many_leases_all_land() {
    let mut s = settings(ConflictResolution::CheckWithDhcid);
    s.max_in_flight = 3;
    let key = s.zones[0].key.clone();
    let mut u = Updater::new(s, 9).expect("updater");
    let mut z = FakeDns::new(&[FWD, REV], key.as_ref());
    let now = Instant::now();
    let leases: Vec<_> = (0..50u8)
        .map(|i| present(ip(100 + i), &client(i), &format!("n{i}.example.test.")))
        .collect();
    u.converge(leases, now);
    pump(&mut u, &mut z, now);
    for i in 0..50u8 {
        assert_eq!(z.a(&format!("n{i}.example.test.")), vec![ip(100 + i)]);
        assert_eq!(z.ptr(ip(100 + i)).len(), 1);
    }
    assert_eq!(u.stats().sent, 100);
}

#[test]
fn malformed_and_foreign_datagrams_are_ignored() {
    let (mut u, mut z) = setup(ConflictResolution::CheckWithDhcid);
    let now = Instant::now();
    u.submit(present(ip(10), &client(1), "host1.example.test."), now);
    let t = u.poll_transmit(now, UNIX).expect("sent");
    let answer = z.handle(&t.payload).expect("answer");
    let other: SocketAddr = "198.18.0.54:53".parse().expect("addr");
    u.handle_datagram(other, &answer, now); // right id, wrong server
    let mut wrong_id = answer.clone();
    wrong_id[0] ^= 0xff;
    u.handle_datagram(server(), &wrong_id, now);
    u.handle_datagram(server(), &[], now);
    u.handle_datagram(server(), &answer[..1], now);
    u.handle_datagram(server(), &answer[..12], now); // header only, counts say more
    let mut query = answer.clone();
    query[2] &= 0x7f; // QR = 0: a query, not a response
    u.handle_datagram(server(), &query, now);
    let mut garbage = answer[..2].to_vec();
    garbage.extend_from_slice(&[0xff; 40]);
    u.handle_datagram(server(), &garbage, now);
    let s = u.stats();
    assert_eq!((s.ignored, s.in_flight), (7, 1), "{s:?}");
    // The real answer still works.
    u.handle_datagram(server(), &answer, now);
    pump(&mut u, &mut z, now);
    assert_eq!(z.a("host1.example.test."), vec![ip(10)]);
}

#[test]
fn an_answer_signed_with_another_key_is_not_believed() {
    let (mut u, mut z) = setup(ConflictResolution::CheckWithDhcid);
    let now = Instant::now();
    z.answer_key = Some(support::signer(&support::key(
        "ddns-key.",
        b"another secret, not the zone's!!",
    )));
    u.submit(present(ip(10), &client(1), "host1.example.test."), now);
    pump(&mut u, &mut z, now);
    let s = u.stats();
    assert_eq!((s.bad_tsig, s.succeeded, s.in_flight), (1, 0, 1));
}

#[test]
fn wrong_key_gets_notauth_and_flags_the_server() {
    let mut s = settings(ConflictResolution::CheckWithDhcid);
    for z in &mut s.zones {
        z.key = Some(support::key(
            "ddns-key.",
            b"a key the server does not have!!",
        ));
    }
    let mut u = Updater::new(s, 3).expect("updater");
    let mut z = FakeDns::new(
        &[FWD, REV],
        Some(&support::key(
            "ddns-key.",
            b"0123456789abcdef0123456789abcdef",
        )),
    );
    let t0 = Instant::now();
    u.submit(present(ip(10), &client(1), "host1.example.test."), t0);
    pump(&mut u, &mut z, t0);
    let t1 = t0 + Duration::from_secs(1);
    u.handle_timeout(t1);
    pump(&mut u, &mut z, t1);
    let s = u.stats();
    assert_eq!(s.failed_notauth, 2, "{s:?}");
    assert_eq!(u.refusing_servers(2), vec![(server(), 2)]);
}

#[test]
fn a_new_wish_during_flight_waits_then_replaces() {
    let (mut u, mut z) = setup(ConflictResolution::CheckWithDhcid);
    let now = Instant::now();
    let c = client(1);
    u.submit(present(ip(10), &c, "host1.example.test."), now);
    let t = u.poll_transmit(now, UNIX).expect("sent");
    // Released while the add is in flight.
    u.submit(absent(ip(10), &c, None), now);
    assert!(
        u.poll_transmit(now, UNIX).is_none(),
        "waits for the message in flight"
    );
    let answer = z.handle(&t.payload).expect("answer");
    u.handle_datagram(t.to, &answer, now);
    pump(&mut u, &mut z, now);
    assert!(z.is_empty(), "{:?}", z.rrs);
    assert!(u.is_idle());
}

#[test]
fn a_new_wish_replaces_a_backing_off_job() {
    let (mut u, mut z) = setup(ConflictResolution::CheckWithDhcid);
    let now = Instant::now();
    let c = client(1);
    z.mode = Mode::Refuse;
    u.submit(present(ip(10), &c, "a.example.test."), now);
    pump(&mut u, &mut z, now);
    z.mode = Mode::Normal;
    u.submit(present(ip(10), &c, "b.example.test."), now);
    // At once, no back-off wait: remove A at the old name → NXRRSET (never added: not ours,
    // DHCID step skipped); add forward; PTR.
    assert_eq!(pump(&mut u, &mut z, now), 3);
    assert_eq!(z.a("b.example.test."), vec![ip(10)]);
    assert!(z.a("a.example.test.").is_empty());
}

#[test]
fn names_outside_every_zone_are_skipped() {
    let (mut u, mut z) = setup(ConflictResolution::CheckWithDhcid);
    let now = Instant::now();
    u.submit(present(ip(10), &client(1), "host.elsewhere.test."), now);
    assert_eq!(pump(&mut u, &mut z, now), 1, "PTR only");
    assert_eq!(u.stats().skipped_no_zone, 1);
    u.submit(
        present(Ipv4Addr::new(198, 19, 0, 1), &client(2), "h2.example.test."),
        now,
    );
    assert_eq!(
        pump(&mut u, &mut z, now),
        1,
        "forward only: no reverse zone"
    );
    assert_eq!(u.stats().skipped_no_zone, 2);
}

#[test]
fn longest_zone_wins() {
    let mut s = settings(ConflictResolution::CheckWithDhcid);
    let sub: SocketAddr = "198.18.0.54:53".parse().expect("addr");
    s.zones.push(Zone {
        name: "sub.example.test.".into(),
        server: sub,
        key: None,
    });
    let mut u = Updater::new(s, 5).expect("updater");
    let now = Instant::now();
    let mut w = present(ip(10), &client(1), "h.sub.example.test.");
    if let Want::Present { reverse, .. } = &mut w.want {
        *reverse = false;
    }
    u.submit(w, now);
    assert_eq!(u.poll_transmit(now, UNIX).map(|t| t.to), Some(sub));
}

#[test]
fn settings_are_checked() {
    let mut s = settings(ConflictResolution::CheckWithDhcid);
    s.max_in_flight = 0;
    assert!(Updater::new(s, 0).is_err());
    let mut s = settings(ConflictResolution::CheckWithDhcid);
    s.zones[1].name = FWD.into();
    assert!(Updater::new(s, 0).is_err());
    let mut s = settings(ConflictResolution::CheckWithDhcid);
    s.zones[0].name = "bad..name".into();
    assert!(Updater::new(s, 0).is_err());
}
