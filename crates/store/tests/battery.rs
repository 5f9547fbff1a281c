//! The shared battery: every `LeaseStore` backend must pass the same checks.
//!
//! Each check is a function over a fresh, empty store; the `battery!` macro instantiates all of
//! them as named tests per backend. Backend-specific behaviour (files, reopen, refusal of foreign
//! files) is in `sqlite.rs`.

mod common;

use common::{lease, varied};
use leasehold_engine::{ClientKey, Lease, LeaseState};
use leasehold_store::{HistoryFilter, LeaseStore, StoreError};
use std::net::Ipv4Addr;

fn sorted(mut v: Vec<Lease>) -> Vec<Lease> {
    v.sort_by_key(|l| l.addr);
    v
}

mod checks {
    use super::*;

    pub fn empty(s: &mut dyn LeaseStore) {
        assert_eq!(s.load_all().expect("load"), vec![]);
        assert_eq!(s.get(Ipv4Addr::new(10, 0, 0, 1)).expect("get"), None);
        assert_eq!(s.history(&HistoryFilter::All, 10).expect("history"), vec![]);
        s.commit(&[], 5).expect("empty commit");
        assert_eq!(s.load_all().expect("load"), vec![]);
    }

    pub fn round_trip(s: &mut dyn LeaseStore) {
        let leases = varied();
        s.commit(&leases, 10).expect("commit");
        assert_eq!(s.load_all().expect("load"), sorted(leases.clone()));
        for l in &leases {
            assert_eq!(s.get(l.addr).expect("get").as_ref(), Some(l));
        }
        assert_eq!(s.get(Ipv4Addr::new(10, 9, 9, 9)).expect("get"), None);
    }

    pub fn upsert_replaces(s: &mut dyn LeaseStore) {
        let first = lease(7, 100);
        s.commit(std::slice::from_ref(&first), 100).expect("commit");
        let other_client = lease(8, 0).client;
        let second = Lease {
            client: other_client.clone(),
            state: LeaseState::Released,
            starts: 200,
            ..first.clone()
        };
        s.commit(std::slice::from_ref(&second), 200)
            .expect("commit");
        assert_eq!(s.load_all().expect("load"), vec![second.clone()]);
        let old_client = first.client.clone().expect("client");
        assert_eq!(s.by_client(&old_client).expect("by_client"), vec![]);
        assert_eq!(
            s.by_client(&other_client.expect("client"))
                .expect("by_client"),
            vec![second]
        );
    }

    pub fn later_in_batch_wins(s: &mut dyn LeaseStore) {
        let a = lease(9, 100);
        let b = Lease {
            state: LeaseState::Expired,
            starts: 150,
            ..a.clone()
        };
        s.commit(&[a, b.clone()], 150).expect("commit");
        assert_eq!(s.load_all().expect("load"), vec![b]);
        assert_eq!(
            s.history(&HistoryFilter::Addr(Ipv4Addr::new(10, 0, 0, 9)), 10)
                .expect("history")
                .len(),
            2
        );
    }

    pub fn batch_is_atomic(s: &mut dyn LeaseStore) {
        s.commit(&[lease(1, 10)], 10).expect("commit");
        let unstorable = Lease {
            starts: u64::MAX - 1,
            ..lease(3, 0)
        };
        let batch = [
            Lease {
                state: LeaseState::Released,
                ..lease(1, 20)
            },
            lease(2, 20),
            unstorable,
        ];
        let err = s
            .commit(&batch, 20)
            .expect_err("an unstorable lease fails the batch");
        assert!(
            matches!(err, StoreError::OutOfRange { what: "starts", .. }),
            "{err:?}"
        );
        assert_eq!(
            s.load_all().expect("load"),
            vec![lease(1, 10)],
            "nothing of the failed batch applied"
        );
        assert_eq!(
            s.history(&HistoryFilter::All, 10).expect("history").len(),
            1
        );
        let err = s
            .commit(&[lease(4, 0)], u64::MAX)
            .expect_err("now must fit");
        assert!(
            matches!(err, StoreError::OutOfRange { what: "now", .. }),
            "{err:?}"
        );
        assert_eq!(s.load_all().expect("load").len(), 1);
    }

    pub fn by_client(s: &mut dyn LeaseStore) {
        let mut l2 = lease(2, 0);
        l2.client = lease(1, 0).client;
        s.commit(&[lease(1, 0), l2.clone(), lease(3, 0)], 1)
            .expect("commit");
        let c = lease(1, 0).client.expect("client");
        assert_eq!(s.by_client(&c).expect("by_client"), vec![lease(1, 0), l2]);
        let nobody = ClientKey::ClientId(vec![1, 2, 3]);
        assert_eq!(s.by_client(&nobody).expect("by_client"), vec![]);
    }

    pub fn history_recorded(s: &mut dyn LeaseStore) {
        let a1 = lease(1, 100);
        let b1 = lease(2, 100);
        s.commit(&[a1.clone(), b1.clone()], 100).expect("commit");
        let a2 = Lease {
            state: LeaseState::Released,
            starts: 200,
            ..a1.clone()
        };
        s.commit(std::slice::from_ref(&a2), 200).expect("commit");

        let all = s.history(&HistoryFilter::All, 100).expect("history");
        assert_eq!(
            all.iter()
                .map(|e| (&e.lease, e.recorded))
                .collect::<Vec<_>>(),
            vec![(&a2, 200), (&b1, 100), (&a1, 100)]
        );
        assert!(
            all.windows(2).all(|w| w[0].id > w[1].id),
            "newest first, increasing ids"
        );

        let by_addr = s
            .history(&HistoryFilter::Addr(a1.addr), 100)
            .expect("history");
        assert_eq!(
            by_addr.iter().map(|e| e.lease.clone()).collect::<Vec<_>>(),
            vec![a2.clone(), a1.clone()]
        );
        let by_client = s
            .history(
                &HistoryFilter::Client(b1.client.clone().expect("client")),
                100,
            )
            .expect("history");
        assert_eq!(by_client.len(), 1);
        assert_eq!(by_client[0].lease, b1);
        assert_eq!(
            s.history(&HistoryFilter::All, 1).expect("history").len(),
            1,
            "limit honoured"
        );
        assert_eq!(s.history(&HistoryFilter::All, 0).expect("history").len(), 0);
    }

    pub fn prune_history(s: &mut dyn LeaseStore) {
        s.commit(&[lease(1, 100)], 100).expect("commit");
        s.commit(&[lease(1, 200)], 200).expect("commit");
        s.commit(&[lease(2, 300)], 300).expect("commit");
        assert_eq!(
            s.prune_history(200, usize::MAX).expect("prune"),
            1,
            "only entries before the cutoff"
        );
        let left: Vec<u64> = s
            .history(&HistoryFilter::All, 10)
            .expect("history")
            .iter()
            .map(|e| e.recorded)
            .collect();
        assert_eq!(left, vec![300, 200]);
        assert_eq!(s.prune_history(u64::MAX, usize::MAX).expect("prune"), 2);
        assert_eq!(
            s.load_all().expect("load"),
            vec![lease(1, 200), lease(2, 300)],
            "current records are kept"
        );
    }

    pub fn prune_history_everything(s: &mut dyn LeaseStore) {
        assert_eq!(
            s.prune_history(1_000, usize::MAX).expect("prune"),
            0,
            "empty history"
        );
        s.commit(&[lease(1, 100), lease(2, 100)], 100)
            .expect("commit");
        s.commit(&[lease(1, 200)], 200).expect("commit");
        assert_eq!(
            s.prune_history(100, usize::MAX).expect("prune"),
            0,
            "none before 100"
        );
        assert_eq!(
            s.prune_history(201, usize::MAX).expect("prune"),
            3,
            "a finite cutoff after every entry removes them all"
        );
        assert_eq!(s.history(&HistoryFilter::All, 10).expect("history"), vec![]);
        s.commit(&[lease(3, 300)], 300).expect("commit");
        assert_eq!(
            s.history(&HistoryFilter::All, 10).expect("history").len(),
            1,
            "history continues after a full prune"
        );
    }

    /// The `recorded` stamps of the history, newest first (at most 10).
    fn recorded(s: &mut dyn LeaseStore) -> Vec<u64> {
        s.history(&HistoryFilter::All, 10)
            .expect("history")
            .iter()
            .map(|e| e.recorded)
            .collect()
    }

    /// The documented rule after the wall clock stepped backwards: everything before the first
    /// entry (by id) recorded at or after the cutoff goes; later entries wait for it.
    pub fn prune_history_clock_step_back(s: &mut dyn LeaseStore) {
        s.commit(&[lease(1, 100)], 100).expect("commit");
        s.commit(&[lease(2, 500)], 500).expect("commit");
        // The clock stepped back from 500 to 150.
        s.commit(&[lease(3, 150)], 150).expect("commit");
        s.commit(&[lease(4, 600)], 600).expect("commit");
        assert_eq!(s.prune_history(200, usize::MAX).expect("prune"), 1);
        assert_eq!(
            recorded(s),
            vec![600, 150, 500],
            "the entry of 150 waits for the one of 500"
        );
        assert_eq!(s.prune_history(501, usize::MAX).expect("prune"), 2);
        assert_eq!(recorded(s), vec![600]);
    }

    /// At most `limit` entries go per call, the oldest first; a short count means done.
    pub fn prune_history_in_chunks(s: &mut dyn LeaseStore) {
        for t in 1..=5 {
            s.commit(&[lease(1, 100 * t)], 100 * t).expect("commit");
        }
        s.commit(&[lease(2, 900)], 900).expect("commit");
        assert_eq!(s.prune_history(600, 2).expect("prune"), 2, "first chunk");
        assert_eq!(recorded(s), vec![900, 500, 400, 300]);
        assert_eq!(s.prune_history(600, 2).expect("prune"), 2, "second chunk");
        assert_eq!(recorded(s), vec![900, 500]);
        assert_eq!(s.prune_history(600, 2).expect("prune"), 1, "short: done");
        assert_eq!(recorded(s), vec![900]);
        assert_eq!(
            s.prune_history(600, 2).expect("prune"),
            0,
            "nothing left to prune"
        );
        assert_eq!(s.prune_history(u64::MAX, 0).expect("prune"), 0, "limit 0");
        assert_eq!(recorded(s), vec![900]);
        // A cutoff after everything, in chunks of exactly the remaining size.
        s.commit(&[lease(3, 950)], 950).expect("commit");
        assert_eq!(s.prune_history(u64::MAX, 2).expect("prune"), 2);
        assert_eq!(s.prune_history(u64::MAX, 2).expect("prune"), 0);
        assert_eq!(
            s.load_all().expect("load").len(),
            3,
            "current records are kept"
        );
    }

    pub fn delete(s: &mut dyn LeaseStore) {
        s.commit(&[lease(1, 0), lease(2, 0)], 1).expect("commit");
        assert!(s.delete(Ipv4Addr::new(10, 0, 0, 1)).expect("delete"));
        assert!(!s.delete(Ipv4Addr::new(10, 0, 0, 1)).expect("delete"));
        assert_eq!(s.load_all().expect("load"), vec![lease(2, 0)]);
        assert_eq!(
            s.history(&HistoryFilter::Addr(Ipv4Addr::new(10, 0, 0, 1)), 10)
                .expect("history")
                .len(),
            1
        );
    }

    pub fn many(s: &mut dyn LeaseStore) {
        let leases: Vec<Lease> = (0..2000u32)
            .map(|i| Lease {
                addr: Ipv4Addr::from(0x0a01_0000 + i),
                ..lease((i % 250) as u8, u64::from(i))
            })
            .collect();
        for chunk in leases.chunks(300) {
            s.commit(chunk, 5).expect("commit");
        }
        assert_eq!(s.load_all().expect("load"), leases);
    }
}

macro_rules! battery {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;
            fn run(check: fn(&mut dyn LeaseStore)) {
                #[allow(clippy::redundant_closure_call)]
                let (mut store, _guard) = ($make)();
                check(&mut store);
            }
            #[test]
            fn empty() {
                run(checks::empty)
            }
            #[test]
            fn round_trip() {
                run(checks::round_trip)
            }
            #[test]
            fn upsert_replaces() {
                run(checks::upsert_replaces)
            }
            #[test]
            fn later_in_batch_wins() {
                run(checks::later_in_batch_wins)
            }
            #[test]
            fn batch_is_atomic() {
                run(checks::batch_is_atomic)
            }
            #[test]
            fn by_client() {
                run(checks::by_client)
            }
            #[test]
            fn history_recorded() {
                run(checks::history_recorded)
            }
            #[test]
            fn prune_history() {
                run(checks::prune_history)
            }
            #[test]
            fn prune_history_everything() {
                run(checks::prune_history_everything)
            }
            #[test]
            fn prune_history_clock_step_back() {
                run(checks::prune_history_clock_step_back)
            }
            #[test]
            fn prune_history_in_chunks() {
                run(checks::prune_history_in_chunks)
            }
            #[test]
            fn delete() {
                run(checks::delete)
            }
            #[test]
            fn many() {
                run(checks::many)
            }
        }
    };
}

battery!(memory, || (
    Box::new(leasehold_store::MemoryStore::new()) as Box<dyn LeaseStore>,
    ()
));

battery!(sqlite, || {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = leasehold_store::SqliteStore::open(dir.path().join("leases.db")).expect("open");
    (Box::new(store) as Box<dyn LeaseStore>, dir)
});

// A store reopened after creation (schema already present).
battery!(sqlite_reopened, || {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("leases.db");
    drop(leasehold_store::SqliteStore::open(&path).expect("create"));
    let store = leasehold_store::SqliteStore::open(&path).expect("reopen");
    (Box::new(store) as Box<dyn LeaseStore>, dir)
});

// The same battery on PostgreSQL, one fresh schema per test.
battery!(postgres, || {
    let (store, guard) = common::pg::fresh_store("battery");
    (Box::new(store) as Box<dyn LeaseStore>, guard)
});
