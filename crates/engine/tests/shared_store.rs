//! Several servers on one store: `[store] affinity` keeps their first offers apart, and a record
//! another server committed (`Server::sync_lease`) takes effect in this server's table.

mod common;

use common::{Harness, Req};
use leasehold_engine::Outcome;
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

const POOL: &str = r#"
[server]
lease_time = 3600
[[subnet]]
subnet = "198.18.0.0/24"
[[subnet.pool]]
range = "198.18.0.100-198.18.0.139"
"#;

fn with_affinity(k: u32) -> Harness {
    Harness::with(&format!("{POOL}\n[store]\naffinity = \"{k}/2\"\n"))
}

fn offered(v: &leasehold_engine::Verdict) -> Ipv4Addr {
    match v.outcome {
        Outcome::Offered(a) => a,
        ref o => panic!("no offer: {o:?}"),
    }
}

#[test]
fn affinity_keeps_two_servers_offers_apart_until_a_share_runs_out() {
    let mut a = with_affinity(1);
    let mut b = with_affinity(2);
    let mut from_a = BTreeSet::new();
    let mut from_b = BTreeSet::new();
    for n in 0..20u8 {
        from_a.insert(offered(&a.send(&Req::discover(n))));
        from_b.insert(offered(&b.send(&Req::discover(100 + n))));
    }
    assert_eq!(from_a.len(), 20);
    let block_a = Ipv4Addr::new(198, 18, 0, 100)..=Ipv4Addr::new(198, 18, 0, 119);
    let block_b = Ipv4Addr::new(198, 18, 0, 120)..=Ipv4Addr::new(198, 18, 0, 139);
    assert!(from_a.iter().all(|x| block_a.contains(x)), "{from_a:?}");
    assert!(from_b.iter().all(|x| block_b.contains(x)), "{from_b:?}");
    // Its block used up, a server takes the other addresses rather than refusing.
    let next = offered(&a.send(&Req::discover(50)));
    assert!(block_b.contains(&next), "{next}");
}

#[test]
fn a_record_from_another_server_withdraws_an_offer_and_is_not_handed_out() {
    let mut a = Harness::with(POOL);
    let mut b = Harness::with(POOL);
    let x = offered(&b.send(&Req::discover(2)));
    // Server a binds x to client 1; b takes a's record.
    assert_eq!(a.dora(1), x);
    let record = a.table().by_addr(x).cloned().expect("record");
    let now = b.now;
    b.server.sync_lease(record.clone(), now);
    assert_eq!(b.table().by_addr(x), Some(&record));
    assert_eq!(
        b.table().offer_holder(x, now),
        None,
        "b's offer is withdrawn"
    );
    let y = offered(&b.send(&Req::discover(3)));
    assert_ne!(y, x);
    // A full snapshot with nothing new changes nothing.
    assert_eq!(b.server.sync_all(vec![record], now), 0);
}

/// Two servers that hear nothing of each other's leases (the change feed lagging behind under
/// load) still never offer the same address while their blocks last, however many offers they
/// make: each server's block stays one unfragmented range in its own table. (Interleaved shares
/// fragmented the free set with every offer, and after a bounded search fell back to the other
/// server's addresses.)
#[test]
fn affinity_holds_however_far_the_other_server_is_ahead() {
    let text = |k: u32| {
        format!(
            r#"
[server]
lease_time = 3600
[[subnet]]
subnet = "198.18.0.0/22"
[[subnet.pool]]
range = "198.18.0.10-198.18.3.250"
[store]
affinity = "{k}/2"
"#
        )
    };
    let mut a = Harness::with(&text(1));
    let mut b = Harness::with(&text(2));
    let mut from_a = BTreeSet::new();
    let mut from_b = BTreeSet::new();
    for n in 0..250u8 {
        assert!(from_a.insert(offered(&a.send(&Req::discover(n)))));
    }
    for n in 0..250u8 {
        assert!(from_b.insert(offered(&b.send(&Req::discover(n)))));
    }
    assert!(
        from_a.is_disjoint(&from_b),
        "{:?}",
        from_a.intersection(&from_b).collect::<Vec<_>>()
    );
    // a's block: the first 504 of the pool's 1,009 addresses.
    assert!(from_a.iter().all(|x| *x <= Ipv4Addr::new(198, 18, 2, 1)));
    assert!(from_b.iter().all(|x| *x > Ipv4Addr::new(198, 18, 2, 1)));
}
