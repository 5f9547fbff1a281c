//! Property: whatever lease the engine can hand the store comes back unchanged after a restart.
//!
//! Every field shape is generated: client identifiers of any bytes (empty included), hardware
//! addresses of any type and 0 to 16 bytes, every state, times up to `i64::MAX` and
//! [`INFINITE`], any host name text. The store is closed and reopened before reading, as after a
//! server restart; a lease it cannot read back would make the database refuse to load.

use leasehold_engine::lease::INFINITE;
use leasehold_engine::{ClientKey, Lease, LeaseState};
use leasehold_store::{HistoryFilter, LeaseStore, SqliteStore};
use leasehold_wire::HwAddr;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

fn hwaddr() -> impl Strategy<Value = HwAddr> {
    (any::<u8>(), prop::collection::vec(any::<u8>(), 0..=16))
        .prop_map(|(htype, bytes)| HwAddr::new(htype, &bytes).expect("at most 16 bytes"))
}

fn client() -> impl Strategy<Value = Option<ClientKey>> {
    prop_oneof![
        Just(None),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(|id| Some(ClientKey::ClientId(id))),
        hwaddr().prop_map(|hw| Some(ClientKey::HwAddr(hw))),
    ]
}

fn time() -> impl Strategy<Value = u64> {
    prop_oneof![0..=i64::MAX as u64, Just(i64::MAX as u64), Just(0u64)]
}

fn lease() -> impl Strategy<Value = Lease> {
    (
        any::<u32>(),
        client(),
        prop::option::of(hwaddr()),
        prop_oneof![
            Just(LeaseState::Bound),
            Just(LeaseState::Released),
            Just(LeaseState::Expired),
            Just(LeaseState::Declined),
        ],
        time(),
        prop_oneof![time(), Just(INFINITE)],
        prop::option::of(any::<String>()),
    )
        .prop_map(
            |(addr, client, hwaddr, state, starts, expires, hostname)| Lease {
                addr: Ipv4Addr::from(addr),
                client,
                hwaddr,
                state,
                starts,
                expires,
                hostname,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn leases_survive_a_restart(leases in prop::collection::vec(lease(), 1..24)) {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("leases.db");
        {
            let mut store = SqliteStore::open(&db).expect("open");
            store.commit(&leases, 1_000).expect("commit");
        }
        // The last version of each address wins, as documented for a batch.
        let expected: BTreeMap<Ipv4Addr, Lease> =
            leases.iter().map(|l| (l.addr, l.clone())).collect();
        let mut store = SqliteStore::open(&db).expect("reopen");
        let loaded = store.load_all().expect("load_all after reopen");
        prop_assert_eq!(loaded, expected.into_values().collect::<Vec<_>>());
        let history = store
            .history(&HistoryFilter::All, usize::MAX)
            .expect("history after reopen");
        let mut recorded: Vec<Lease> = history.into_iter().map(|e| e.lease).collect();
        recorded.reverse();
        prop_assert_eq!(recorded, leases);
    }
}
