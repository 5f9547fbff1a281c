//! Sequences of datagrams against one [`Server`], the entry point the daemon calls.
//!
//! Input: a series of records `[dt: u8][len: u16 BE][len bytes of datagram]`; `dt` advances the
//! clock (seconds; 255 also runs lease expiry; 254 also takes a record "another server
//! committed", built from the datagram's first bytes, through `Server::sync_lease`, as the change
//! feed of a shared store does; an odd `len` high byte marks the lease writer as backlogged for
//! that datagram). Invariants checked after every step: no panic; a backlogged
//! step changes nothing durable;
//! no address is offered/bound to two clients at once; every bound address lies in a pool or is
//! a reservation; guard state and the pressure sightings stay within their fixed capacity (the
//! configuration puts the link under pressure after 3 new bindings, so those paths are fuzzed);
//! client classes are exercised too: an address of the pool restricted to class `pxe` goes only
//! to a request with option 60 `PXEClient...`, a denied client is never answered, and the proxy
//! subnet (reached through giaddr 198.18.2.x) never has an address handed out or recorded.
#![no_main]

use leasehold_engine::{
    Arrival, ClientKey, Clock, Config, Lease, LeaseState, Outcome, Server, StoreRoom,
};
use leasehold_wire::HwAddr;
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
pressure_new_bindings = 3
pressure_sightings = 64
[[class]]
name = "ipxe"
user_class = "iPXE"
boot_file = "http://198.18.0.1/boot.ipxe"
[class.options]
vendor_class_identifier = "HTTPClient"
[[class]]
name = "pxe"
vendor_class = "PXEClient"
arch = ["bios", "efi-x64"]
boot_file = "undionly.kpxe"
next_server = "198.18.0.1"
[[class]]
name = "denied"
hw_address_prefix = "52:54:00:00:00:0d"
deny = true
[[class]]
name = "known"
known = true
[class.options]
domain-name = "known.test"
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
classes = ["pxe"]
[[subnet]]
subnet = "198.18.2.0/24"
proxy = true
"#;

/// A record another server might commit, from `b`: an address of the pools' networks, a client,
/// a state and an expiry around `now`.
fn remote_record(b: &[u8], now: u64) -> Option<Lease> {
    let [net, host, mac, state, ttl, ..] = *b else {
        return None;
    };
    let hw = HwAddr::ethernet([0x52, 0x54, 0, 0, 0, mac]);
    let state = match state % 4 {
        0 => LeaseState::Bound,
        1 => LeaseState::Released,
        2 => LeaseState::Expired,
        _ => LeaseState::Declined,
    };
    Some(Lease {
        addr: Ipv4Addr::new(198, 18, net % 2, host),
        client: (state != LeaseState::Declined).then_some(ClientKey::HwAddr(hw)),
        hwaddr: Some(hw),
        state,
        starts: now,
        expires: now + u64::from(ttl),
        hostname: None,
    })
}

fn config() -> &'static Arc<Config> {
    static C: OnceLock<Arc<Config>> = OnceLock::new();
    C.get_or_init(|| Arc::new(Config::from_toml(CONFIG, Path::new("fuzz.toml")).expect("config")))
}

fuzz_target!(|data: &[u8]| {
    let cfg = config();
    let mut server = Server::new(cfg.clone(), []);
    let capacity = server.guard().state_size().1;
    let arrival = Arrival {
        iface: Some("eth0".into()),
        ifindex: 2,
        local_addr: Ipv4Addr::new(198, 18, 0, 1),
        source: SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 68),
        local_port: 67,
    };
    let mut now: u64 = 1_000_000;
    let mut rest = data;
    let mut steps = 0;
    while let [dt, hi, lo, tail @ ..] = rest {
        steps += 1;
        if steps > 256 {
            break;
        }
        let n = usize::from(u16::from_be_bytes([*hi & 0x7f, *lo])).min(tail.len());
        let room = if *hi & 0x80 != 0 {
            StoreRoom::Backlogged
        } else {
            StoreRoom::Open
        };
        let (datagram, next) = tail.split_at(n);
        rest = next;
        now += u64::from(*dt);
        if *dt == 255 {
            server.tick(now);
        }
        if *dt == 254 {
            if let Some(lease) = remote_record(datagram, now) {
                server.sync_lease(lease, now);
            }
        }
        let clock = Clock {
            unix: now,
            mono_ms: now * 1000,
        };
        let v = server.handle(datagram, &arrival, clock, room);
        if let Some(reply) = &v.reply {
            let _ = reply.packet.encode(&reply.encode);
        }
        if room == StoreRoom::Backlogged {
            assert!(
                !v.waits_for_commit(),
                "durable work decided while backlogged"
            );
        }
        if let Outcome::Acked(a) | Outcome::Offered(a) | Outcome::Bootp(a) = v.outcome {
            let proxy_offer = a.is_unspecified() && matches!(v.outcome, Outcome::Offered(_));
            let ok = proxy_offer
                || cfg.pool_containing(a).is_some()
                || cfg.reservation_by_addr(a).is_some();
            assert!(ok, "{a} handed out but not in a pool or reservation");
            if a.octets()[..3] == [198, 18, 1] {
                let pxe = v.request.as_ref().is_some_and(|r| {
                    r.options
                        .get(60)
                        .is_some_and(|vc| vc.starts_with(b"PXEClient"))
                });
                assert!(pxe, "{a} of the pxe-only pool handed to a non-member");
            }
        }
        if let Some(r) = &v.request {
            if r.chaddr.as_bytes() == [0x52, 0x54, 0, 0, 0, 0x0d] {
                assert!(v.reply.is_none(), "a denied client was answered");
            }
        }
        // One live binding per address: the table is keyed by address; check the reverse.
        let mut holders: HashMap<Ipv4Addr, usize> = HashMap::new();
        for l in server.table().iter() {
            if l.state == LeaseState::Bound && l.holds_address(now) {
                *holders.entry(l.addr).or_default() += 1;
            }
        }
        assert!(holders.values().all(|n| *n == 1));
        assert!(
            server
                .table()
                .iter()
                .all(|l| l.addr.octets()[..3] != [198, 18, 2]),
            "a lease recorded on the proxy subnet"
        );
        assert!(
            server.guard().state_size().1 <= capacity + 64 * 64,
            "guard state grew"
        );
        assert!(
            server.pressure().memory_bytes() <= 64 * 16,
            "pressure sightings grew"
        );
    }
});
