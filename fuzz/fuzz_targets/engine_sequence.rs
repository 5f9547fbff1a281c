//! Sequences of packets against one engine state: guard → engine → table, like `serve.rs`.
//!
//! Input: a series of records `[dt: u8][len: u16 BE][len bytes of datagram]`; `dt` advances the
//! clock (seconds; 255 also runs lease expiry). Invariants checked after every step: no panic;
//! no address is offered/bound to two clients at once; every bound address lies in a pool or is
//! a reservation; guard state stays within its fixed capacity.
#![no_main]

use leasehold_engine::{Arrival, Config, Engine, Guard, LeaseState, LeaseTable, Outcome};
use leasehold_wire::Packet;
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::Path;
use std::sync::{Arc, OnceLock};

const CONFIG: &str = r#"
[server]
lease_time = 60
offer_hold = 5
probation_time = 30
[security]
tracked_keys = 64
client_rate = 5
client_burst = 5
pool_reserve_threshold = 75
max_leases_per_oui = 6
[[subnet]]
subnet = "198.18.0.0/24"
[subnet.options]
routers = "198.18.0.1"
[[subnet.pool]]
range = "198.18.0.10-198.18.0.17"
exclude = ["198.18.0.12"]
[[subnet.reservation]]
hw_address = "52:54:00:00:00:01"
address = "198.18.0.15"
[[subnet]]
subnet = "198.18.1.0/24"
[[subnet.pool]]
range = "198.18.1.10-198.18.1.13"
"#;

fn config() -> &'static Arc<Config> {
    static C: OnceLock<Arc<Config>> = OnceLock::new();
    C.get_or_init(|| Arc::new(Config::from_toml(CONFIG, Path::new("fuzz.toml")).expect("config")))
}

fuzz_target!(|data: &[u8]| {
    let cfg = config();
    let engine = Engine::new(cfg.clone());
    let mut table = LeaseTable::new(cfg);
    let mut guard = Guard::new(cfg.security.clone());
    let capacity = guard.state_size().1;
    let arrival = Arrival {
        iface: Some("eth0".into()),
        ifindex: 2,
        local_addr: Ipv4Addr::new(198, 18, 0, 1),
        source: SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 68),
    };
    let mut now: u64 = 1_000_000;
    let mut rest = data;
    let mut steps = 0;
    while let [dt, hi, lo, tail @ ..] = rest {
        steps += 1;
        if steps > 256 {
            break;
        }
        let n = usize::from(u16::from_be_bytes([*hi, *lo])).min(tail.len());
        let (datagram, next) = tail.split_at(n);
        rest = next;
        now += u64::from(*dt);
        if *dt == 255 {
            for l in table.expire(now) {
                guard.forget(l.addr);
            }
        }
        let Ok(req) = Packet::parse(datagram) else {
            continue;
        };
        if guard.admit(&req, &arrival, now * 1000, now, &table).is_err() {
            continue;
        }
        let d = engine.handle(&req, &arrival, now, &table);
        if let Some(reply) = &d.reply {
            let _ = reply.packet.encode(&reply.encode);
        }
        table.apply(&d.changes, now);
        guard.observe(&req, &d.changes);
        if let Outcome::Acked(a) | Outcome::Offered(a) = d.outcome {
            let ok = cfg.pool_containing(a).is_some() || cfg.reservation_by_addr(a).is_some();
            assert!(ok, "{a} handed out but not in a pool or reservation");
        }
        // One live binding per address: the table is keyed by address; check the reverse.
        let mut holders: HashMap<Ipv4Addr, usize> = HashMap::new();
        for l in table.iter() {
            if l.state == LeaseState::Bound && l.holds_address(now) {
                *holders.entry(l.addr).or_default() += 1;
            }
        }
        assert!(holders.values().all(|n| *n == 1));
        assert!(guard.state_size().1 <= capacity + 64 * 64, "guard state grew");
    }
});
