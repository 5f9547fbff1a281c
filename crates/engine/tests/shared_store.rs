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
    assert!(from_a.iter().all(|x| u32::from(*x) % 2 == 0), "{from_a:?}");
    assert!(from_b.iter().all(|x| u32::from(*x) % 2 == 1), "{from_b:?}");
    // Its share used up, a server takes the other addresses rather than refusing.
    let next = offered(&a.send(&Req::discover(50)));
    assert_eq!(u32::from(next) % 2, 1);
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

/// When addresses of the other server's share fragment the low end of the pool (this server
/// took its own share there while the other's took nothing it has heard of), the next offer
/// comes from the high end of its own share, never from the other server's share.
#[test]
fn affinity_holds_when_the_low_end_is_fragmented() {
    let text = r#"
[server]
lease_time = 3600
[[subnet]]
subnet = "198.18.0.0/22"
[[subnet.pool]]
range = "198.18.0.10-198.18.3.250"
[store]
affinity = "1/2"
"#;
    let mut a = Harness::with(text);
    for n in 0..100u8 {
        let x = offered(&a.send(&Req::discover(n)));
        assert_eq!(u32::from(x) % 2, 0, "offer {n}: {x}");
    }
    let x = offered(&a.send(&Req::discover(200)));
    assert_eq!(u32::from(x) % 2, 0, "{x}");
    assert!(x > Ipv4Addr::new(198, 18, 3, 0), "from the high end: {x}");
}
