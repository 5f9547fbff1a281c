//! PostgreSQL-only behaviour: several servers on one database (the claim rule, races, the change
//! feed) and the refusal of databases that are not ours. Needs `LEASEHOLD_TEST_PG_URL` (see
//! `common::pg`); the shared battery runs in `battery.rs`.

mod common;

use common::lease;
use common::pg::{fresh_schema, fresh_store, second_store};
use leasehold_engine::{ClientKey, Lease, LeaseState};
use leasehold_store::{
    ChangeFeed, FeedEvent, HistoryFilter, LeaseStore, PgSettings, PgStore, StoreError,
};
use leasehold_wire::HwAddr;
use std::net::Ipv4Addr;
use std::time::Duration;

/// Lease `n` (10.0.0.n) bound to client number `client` from `starts` for an hour.
fn bound(n: u8, client: u8, starts: u64) -> Lease {
    let hw = HwAddr::ethernet([0x52, 0x54, 0, 0, 1, client]);
    Lease {
        client: Some(ClientKey::HwAddr(hw)),
        hwaddr: Some(hw),
        ..lease(n, starts)
    }
}

#[test]
fn a_bound_address_is_not_taken_by_another_server_for_another_client() {
    let (mut a, guard) = fresh_store("a");
    let mut b = second_store(&guard, "b");
    let mine = bound(5, 1, 100);
    assert!(a
        .commit_claims(std::slice::from_ref(&mine), 100)
        .expect("commit")
        .is_empty());
    let theirs = bound(5, 2, 110);
    let rejected = b
        .commit_claims(std::slice::from_ref(&theirs), 110)
        .expect("commit");
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].wanted, theirs);
    assert_eq!(rejected[0].current.as_ref(), Some(&mine));
    assert_eq!(b.get(mine.addr).expect("get"), Some(mine.clone()));
    // Nothing of the rejected record reached the history.
    assert_eq!(
        b.history(&HistoryFilter::Addr(mine.addr), 10)
            .expect("history")
            .len(),
        1
    );
    // Once the lease has expired (at 3700) the other client may have the address.
    let later = bound(5, 2, 3_800);
    assert!(b
        .commit_claims(std::slice::from_ref(&later), 3_800)
        .expect("commit")
        .is_empty());
    assert_eq!(a.get(mine.addr).expect("get"), Some(later));
}

#[test]
fn the_same_client_renews_anywhere_but_an_expiry_never_overwrites_a_renewal() {
    let (mut a, guard) = fresh_store("a");
    let mut b = second_store(&guard, "b");
    a.commit_claims(&[bound(7, 1, 100)], 100).expect("commit");
    // The client renews with server b.
    let renewed = bound(7, 1, 2_000);
    assert!(b
        .commit_claims(std::slice::from_ref(&renewed), 2_000)
        .expect("commit")
        .is_empty());
    // Server a, not yet aware, expires its view of the lease at 3,700.
    let expiry = Lease {
        state: LeaseState::Expired,
        starts: 3_700,
        expires: 3_700,
        ..bound(7, 1, 100)
    };
    let rejected = a.commit_claims(&[expiry], 3_700).expect("commit");
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].current.as_ref(), Some(&renewed));
    // A release by the client itself is taken from any server.
    let released = Lease {
        state: LeaseState::Released,
        starts: 3_800,
        ..renewed.clone()
    };
    assert!(a
        .commit_claims(std::slice::from_ref(&released), 3_800)
        .expect("commit")
        .is_empty());
    assert_eq!(b.get(renewed.addr).expect("get"), Some(released));
}

#[test]
fn declines_admin_frees_and_a_host_moving_identity_are_accepted() {
    let (mut a, guard) = fresh_store("a");
    let mut b = second_store(&guard, "b");
    let held = bound(9, 1, 100);
    a.commit_claims(std::slice::from_ref(&held), 100)
        .expect("commit");
    // The holder's hardware declines it through b (a decline carries no client).
    let declined = Lease {
        client: None,
        state: LeaseState::Declined,
        starts: 200,
        expires: 1_000,
        hostname: None,
        ..held.clone()
    };
    assert!(b
        .commit_claims(std::slice::from_ref(&declined), 200)
        .expect("commit")
        .is_empty());
    // Another host's decline of a held address is refused.
    let stranger = Lease {
        hwaddr: Some(HwAddr::ethernet([2, 0, 0, 0, 0, 9])),
        ..declined.clone()
    };
    a.commit_claims(&[bound(10, 3, 100)], 100).expect("commit");
    let other = Lease {
        addr: Ipv4Addr::new(10, 0, 0, 10),
        ..stranger
    };
    assert_eq!(b.commit_claims(&[other], 200).expect("commit").len(), 1);
    // An administrator's free (expired, no client) always goes through.
    let freed = Lease {
        client: None,
        state: LeaseState::Expired,
        starts: 300,
        expires: 300,
        hostname: None,
        ..bound(10, 3, 100)
    };
    assert!(a.commit_claims(&[freed], 300).expect("commit").is_empty());
    // A reserved host asking with a new client identifier from the same hardware takes its
    // address back.
    let hw = held.hwaddr.expect("hw");
    a.commit_claims(&[bound(11, 1, 100)], 100).expect("commit");
    let moved = Lease {
        client: Some(ClientKey::ClientId(vec![1, 2, 3])),
        hwaddr: Some(hw),
        ..bound(11, 1, 400)
    };
    assert!(b.commit_claims(&[moved], 400).expect("commit").is_empty());
}

#[test]
fn a_mixed_batch_writes_what_it_may_and_reports_the_rest() {
    let (mut a, guard) = fresh_store("a");
    let mut b = second_store(&guard, "b");
    a.commit_claims(&[bound(1, 1, 100), bound(3, 3, 100)], 100)
        .expect("commit");
    let batch = vec![
        bound(1, 9, 200),
        bound(2, 9, 200),
        bound(3, 8, 200),
        bound(4, 8, 200),
    ];
    let rejected = b.commit_claims(&batch, 200).expect("commit");
    let lost: Vec<Ipv4Addr> = rejected.iter().map(|r| r.wanted.addr).collect();
    assert_eq!(
        lost,
        vec![Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 3)]
    );
    let all = a.load_all().expect("load");
    assert_eq!(
        all,
        vec![
            bound(1, 1, 100),
            bound(2, 9, 200),
            bound(3, 3, 100),
            bound(4, 8, 200)
        ]
    );
    assert_eq!(
        a.history(&HistoryFilter::All, 100).expect("history").len(),
        4
    );
}

#[test]
fn racing_servers_never_bind_one_address_to_two_clients() {
    let guard = fresh_schema();
    let servers = 4u8;
    let addrs = 60u8;
    let handles: Vec<_> = (0..servers)
        .map(|s| {
            let url = guard.url.clone();
            std::thread::spawn(move || {
                let mut store = PgStore::open(PgSettings::new(url, format!("s{s}"))).expect("open");
                let mut won = Vec::new();
                // Each server tries every address for its own client, in small batches.
                for chunk in (1..=addrs).collect::<Vec<_>>().chunks(7) {
                    let batch: Vec<Lease> = chunk.iter().map(|&n| bound(n, s, 100)).collect();
                    let rejected = store.commit_claims(&batch, 100).expect("commit");
                    for l in batch {
                        if !rejected.iter().any(|r| r.wanted.addr == l.addr) {
                            won.push(l.addr);
                        }
                    }
                }
                won
            })
        })
        .collect();
    let mut winners: Vec<Ipv4Addr> = Vec::new();
    for h in handles {
        winners.extend(h.join().expect("thread"));
    }
    winners.sort();
    let total = winners.len();
    winners.dedup();
    assert_eq!(total, winners.len(), "an address was won twice");
    assert_eq!(winners.len(), usize::from(addrs), "every address won once");
    let store = PgStore::open_read_only(PgSettings::new(guard.url.clone(), "check")).expect("open");
    let history = store.history(&HistoryFilter::All, 10_000).expect("history");
    assert_eq!(
        history.len(),
        usize::from(addrs),
        "one history entry per win"
    );
}

#[test]
fn the_feed_brings_other_servers_commits_and_a_snapshot_first() {
    let (mut a, guard) = fresh_store("a");
    let mut b = second_store(&guard, "b");
    a.commit(&[bound(1, 1, 100)], 100).expect("commit");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let feed = Box::new(
            leasehold_store::postgres::PgFeed::new(PgSettings::new(guard.url.clone(), "a"))
                .expect("feed"),
        );
        let task = tokio::spawn(feed.run(tx));
        assert_eq!(
            next(&mut rx).await,
            FeedEvent::Snapshot(vec![bound(1, 1, 100)])
        );
        // Its own server's commits are not echoed; b's are, in order.
        let (a, b) = tokio::task::spawn_blocking(move || {
            a.commit(&[bound(2, 1, 100)], 100).expect("commit");
            b.commit(&[bound(3, 2, 100), bound(4, 2, 100)], 100)
                .expect("commit");
            b.commit(&[bound(3, 5, 100)], 100).expect("commit");
            (a, b)
        })
        .await
        .expect("commits");
        // The announcements may arrive folded together; what counts is the latest record of
        // each address b wrote, and that a's own commit is not echoed.
        let mut seen = std::collections::BTreeMap::new();
        while seen.get(&Ipv4Addr::new(10, 0, 0, 3)) != Some(&bound(3, 5, 100))
            || !seen.contains_key(&Ipv4Addr::new(10, 0, 0, 4))
        {
            match next(&mut rx).await {
                FeedEvent::Changed(records) => {
                    for l in records {
                        seen.insert(l.addr, l);
                    }
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(
            seen.get(&Ipv4Addr::new(10, 0, 0, 4)),
            Some(&bound(4, 2, 100))
        );
        assert!(
            !seen.contains_key(&Ipv4Addr::new(10, 0, 0, 2)),
            "own commit echoed"
        );
        drop(rx);
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("the feed stops when its receiver goes")
            .expect("joined");
        tokio::task::spawn_blocking(move || drop((a, b)))
            .await
            .expect("closed");
    });
}

#[test]
fn a_database_of_another_program_is_refused_and_left_alone() {
    let guard = fresh_schema();
    let mut admin = postgres::Client::connect(&guard.url, postgres::NoTls).expect("connect");
    admin
        .batch_execute(
            "CREATE TABLE leases (id INTEGER PRIMARY KEY, owner TEXT);
                        INSERT INTO leases VALUES (1, 'payroll');",
        )
        .expect("foreign table");
    let err = PgStore::open(PgSettings::new(guard.url.clone(), "a")).expect_err("refused");
    assert!(matches!(err, StoreError::ForeignDatabase { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("not a Leasehold database"), "{msg}");
    assert!(!msg.contains("leasehold-secret"), "{msg}");
    let rows = admin
        .query("SELECT id, owner FROM leases", &[])
        .expect("still there");
    assert_eq!(rows.len(), 1);
    let tables = admin
        .query(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()",
            &[],
        )
        .expect("tables");
    assert_eq!(tables[0].get::<_, i64>(0), 1, "nothing created beside it");
}

#[test]
fn a_newer_schema_is_refused() {
    let (store, guard) = fresh_store("a");
    drop(store);
    let mut admin = postgres::Client::connect(&guard.url, postgres::NoTls).expect("connect");
    admin
        .batch_execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
        .expect("stamp");
    let err = PgStore::open(PgSettings::new(guard.url.clone(), "a")).expect_err("refused");
    assert!(
        matches!(err, StoreError::NewerSchema { found: 99, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade Leasehold"), "{err}");
}

#[test]
fn read_only_needs_a_schema_and_a_wrong_password_is_one_clear_error() {
    let guard = fresh_schema();
    let err = PgStore::open_read_only(PgSettings::new(guard.url.clone(), "a")).expect_err("fresh");
    assert!(matches!(err, StoreError::NoSchema { .. }), "{err}");
    let wrong = guard
        .url
        .replacen("leasehold-secret", "not-the-password", 1);
    assert_ne!(wrong, guard.url, "the test URL carries the password");
    let err = PgStore::open(PgSettings::new(wrong, "a")).expect_err("wrong password");
    let msg = err.to_string();
    assert!(msg.contains("password authentication failed"), "{msg}");
    assert!(!msg.contains("not-the-password"), "{msg}");
}

#[test]
fn history_ids_are_unique_across_servers_and_survive_a_restart() {
    let (mut a, guard) = fresh_store("a");
    let mut b = second_store(&guard, "b");
    for t in 0..5 {
        a.commit(&[bound(1, 1, t)], t).expect("commit");
        b.commit(&[bound(2, 2, t)], t).expect("commit");
    }
    drop(a);
    let mut a = second_store(&guard, "a");
    a.commit(&[bound(1, 1, 9)], 9)
        .expect("commit after a restart");
    let h = b.history(&HistoryFilter::All, 100).expect("history");
    assert_eq!(h.len(), 11);
    assert_eq!(h[0].lease, bound(1, 1, 9), "newest first");
}

async fn next(rx: &mut tokio::sync::mpsc::UnboundedReceiver<FeedEvent>) -> FeedEvent {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("an event within 10 s")
        .expect("feed running")
}

/// Ends every connection of application `leasehold/<server_id>` (what a database restart does
/// to them), through another connection.
fn terminate(guard: &common::pg::SchemaGuard, server_id: &str) -> i64 {
    let mut admin = postgres::Client::connect(&guard.url, postgres::NoTls).expect("connect");
    let rows = admin
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            &[&format!("leasehold/{server_id}")],
        )
        .expect("terminate");
    rows.len() as i64
}

#[test]
fn a_commit_on_a_connection_the_database_ended_reconnects_and_goes_through() {
    let (mut a, guard) = fresh_store("lost-a");
    a.commit(&[bound(1, 1, 100)], 100).expect("commit");
    assert_eq!(terminate(&guard, "lost-a"), 1);
    // The dead connection is noticed by the commit itself, which reconnects and retries once.
    assert!(a
        .commit_claims(&[bound(2, 2, 100)], 100)
        .expect("commit after the connection was ended")
        .is_empty());
    assert_eq!(a.load_all().expect("load").len(), 2);
    assert_eq!(terminate(&guard, "lost-a"), 1);
    assert!(a.ping().is_err(), "a ping on a dead connection reports it");
    a.ping().expect("and the next one reconnects");
}

#[test]
fn the_feed_reports_a_lost_connection_and_resynchronises() {
    let (mut b, guard) = fresh_store("feed-b");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let feed = Box::new(
            leasehold_store::postgres::PgFeed::new(PgSettings::new(guard.url.clone(), "feed-a"))
                .expect("feed"),
        );
        let task = tokio::spawn(feed.run(tx));
        assert_eq!(next(&mut rx).await, FeedEvent::Snapshot(vec![]));
        let g = guard.url.clone();
        tokio::task::spawn_blocking(move || {
            let guard = common::pg::SchemaGuard::borrowed(g);
            assert_eq!(terminate(&guard, "feed-a"), 1);
        })
        .await
        .expect("terminated");
        assert!(matches!(next(&mut rx).await, FeedEvent::Down(_)));
        // Written while the feed was away: it arrives in the snapshot after the reconnect.
        let b = tokio::task::spawn_blocking(move || {
            b.commit(&[bound(4, 4, 100)], 100).expect("commit");
            b
        })
        .await
        .expect("commit");
        let mut got = next(&mut rx).await;
        if let FeedEvent::Changed(_) = got {
            got = next(&mut rx).await;
        }
        match got {
            FeedEvent::Snapshot(all) => assert!(all.contains(&bound(4, 4, 100)), "{all:?}"),
            other => panic!("expected a snapshot, got {other:?}"),
        }
        drop(rx);
        let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        tokio::task::spawn_blocking(move || drop(b))
            .await
            .expect("closed");
    });
}

#[test]
fn tls_is_verified_against_the_ca_file() {
    let ca = std::env::var("LEASEHOLD_TEST_PG_CA").unwrap_or_else(|_| {
        panic!(
            "LEASEHOLD_TEST_PG_CA is not set: scripts/test.sh turns TLS on in its throw-away \
             cluster and names the certificate there"
        )
    });
    let guard = fresh_schema();
    let url = format!("{}&sslmode=require", guard.url);
    let mut settings = PgSettings::new(url, "tls");
    // Without the CA the self-signed certificate is refused: TLS was really negotiated.
    let err = PgStore::open(settings.clone()).expect_err("unknown issuer");
    assert!(err.to_string().contains("certificate"), "{err}");
    settings.ca_file = Some(ca.into());
    let store = PgStore::open(settings).expect("TLS with the CA file");
    assert_eq!(store.synchronous_commit().expect("query over TLS"), "on");
}
