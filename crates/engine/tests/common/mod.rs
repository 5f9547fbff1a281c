//! Shared test helpers: a standard configuration, a request builder and a harness that runs
//! every request through [`Server`], the same entry point the daemon calls.
#![allow(dead_code)]

use leasehold_engine::{
    Arrival, Clock, Config, Decision, Engine, LeaseTable, Outcome, Server, StoreRoom, Timestamp,
    Verdict,
};
#[allow(unused_imports)]
pub use leasehold_engine::{DropReason, NakReason};
use leasehold_wire::options::code;
use leasehold_wire::{HwAddr, MessageType, Op, Packet, BROADCAST_FLAG};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::Path;
use std::sync::Arc;

/// The standard test configuration.
///
/// - subnet 0 (198.18.0.0/24) on eth0, pool .100–.109 with .105 excluded, a reservation of
///   .10 for 52:54:00:00:00:aa, next_server/boot_file set;
/// - subnet 1 (198.18.1.0/24), reached through relays, pool .100–.199;
/// - subnets 2 and 3 share the link "lan2": 198.18.2.0/29 has a 2-address pool,
///   198.18.3.0/24 a larger one.
pub const BASE: &str = r#"
[server]
lease_time = 3600
offer_hold = 30
probation_time = 600
[server.options]
domain-name-servers = ["198.18.0.1"]
domain-name = "example.test"
ntp-servers = "198.18.0.123"

[[subnet]]
subnet = "198.18.0.0/24"
interface = "eth0"
next_server = "198.18.0.1"
boot_file = "pxelinux.0"
[subnet.options]
router = "198.18.0.1"
[[subnet.pool]]
range = "198.18.0.100-198.18.0.109"
exclude = ["198.18.0.105"]
[[subnet.reservation]]
hw_address = "52:54:00:00:00:aa"
address = "198.18.0.10"
hostname = "printer"

[[subnet]]
subnet = "198.18.1.0/24"
[subnet.options]
router = "198.18.1.1"
[[subnet.pool]]
range = "198.18.1.100-198.18.1.199"

[[subnet]]
subnet = "198.18.2.0/29"
shared_network = "lan2"
[[subnet.pool]]
range = "198.18.2.2-198.18.2.3"

[[subnet]]
subnet = "198.18.3.0/24"
shared_network = "lan2"
[[subnet.pool]]
range = "198.18.3.10-198.18.3.20"
"#;

/// Parses configuration text, panicking with the error (tests only).
pub fn config(text: &str) -> Config {
    match Config::from_toml(text, Path::new("test.toml")) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    }
}

/// Shorthand for an IPv4 address literal.
pub fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

/// The Ethernet address 52:54:00:00:00:<n>.
pub fn mac(n: u8) -> HwAddr {
    HwAddr::ethernet([0x52, 0x54, 0, 0, 0, n])
}

/// A request builder.
#[derive(Clone, Debug)]
pub struct Req(pub Packet);

impl Req {
    /// A DHCP message of type `t` from client 52:54:00:00:00:<n>.
    pub fn new(n: u8, t: MessageType) -> Req {
        let mut r = Req::bootp(n);
        r.0.options.insert(code::MESSAGE_TYPE, vec![t.code()]);
        r
    }

    /// A plain BOOTP request (no option 53) with the magic cookie.
    pub fn bootp(n: u8) -> Req {
        Req(Packet::boot_request(mac(n), 0x1000 + u32::from(n)))
    }

    pub fn discover(n: u8) -> Req {
        Req::new(n, MessageType::Discover)
    }
    pub fn request(n: u8) -> Req {
        Req::new(n, MessageType::Request)
    }
    pub fn opt(mut self, c: u8, v: &[u8]) -> Req {
        self.0.options.insert(c, v.to_vec());
        self
    }
    pub fn requested(self, a: Ipv4Addr) -> Req {
        self.opt(code::REQUESTED_IP, &a.octets())
    }
    pub fn server_id(self, a: Ipv4Addr) -> Req {
        self.opt(code::SERVER_ID, &a.octets())
    }
    pub fn client_id(self, id: &[u8]) -> Req {
        self.opt(code::CLIENT_ID, id)
    }
    pub fn prl(self, l: &[u8]) -> Req {
        self.opt(code::PARAM_REQUEST_LIST, l)
    }
    pub fn lease_time(self, s: u32) -> Req {
        self.opt(code::LEASE_TIME, &s.to_be_bytes())
    }
    pub fn ciaddr(mut self, a: Ipv4Addr) -> Req {
        self.0.ciaddr = a;
        self
    }
    pub fn giaddr(mut self, a: Ipv4Addr) -> Req {
        self.0.giaddr = a;
        self.0.hops = 1;
        self
    }
    pub fn broadcast(mut self) -> Req {
        self.0.flags |= BROADCAST_FLAG;
        self
    }
    /// Option 82 built from (sub-option, value) pairs.
    pub fn relay_info(self, subs: &[(u8, &[u8])]) -> Req {
        let mut v = Vec::new();
        for (c, d) in subs {
            v.push(*c);
            v.push(d.len() as u8);
            v.extend_from_slice(d);
        }
        self.opt(code::RELAY_AGENT_INFO, &v)
    }
    pub fn op(mut self, op: Op) -> Req {
        self.0.op = op;
        self
    }
    pub fn packet(&self) -> &Packet {
        &self.0
    }
}

/// A direct arrival on eth0 where the server's address is 198.18.0.1.
pub fn arrival() -> Arrival {
    Arrival {
        iface: Some("eth0".into()),
        ifindex: 2,
        local_addr: ip("198.18.0.1"),
        source: SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 68),
        local_port: 67,
    }
}

/// An arrival from a relay at `relay` (source port 67) on eth1 (server address 198.18.9.1).
pub fn relayed(relay: Ipv4Addr, port: u16) -> Arrival {
    Arrival {
        iface: Some("eth1".into()),
        ifindex: 3,
        local_addr: ip("198.18.9.1"),
        source: SocketAddrV4::new(relay, port),
        local_port: 67,
    }
}

/// A [`Server`] and a clock. Every request goes through [`Server::handle_packet`]; the monotonic
/// clock of the rate limits advances `advance_ms` per request (1 s by default, so the default
/// per-client limits never interfere with protocol tests; guard tests set 0 and drive it).
pub struct Harness {
    pub server: Server,
    pub now: Timestamp,
    pub mono_ms: u64,
    pub advance_ms: u64,
    pub arrival: Arrival,
}

impl Harness {
    /// A harness on the standard configuration.
    pub fn new() -> Harness {
        Harness::with(BASE)
    }

    /// A harness on configuration `text`.
    pub fn with(text: &str) -> Harness {
        Harness {
            server: Server::new(Arc::new(config(text)), []),
            now: 1_000_000,
            mono_ms: 0,
            advance_ms: 1000,
            arrival: arrival(),
        }
    }

    /// The server's lease table.
    pub fn table(&self) -> &LeaseTable {
        self.server.table()
    }

    /// The configuration in force.
    pub fn config(&self) -> &Arc<Config> {
        self.server.config()
    }

    /// Handles `req` arriving as `self.arrival`; returns the verdict.
    pub fn send(&mut self, req: &Req) -> Verdict {
        let a = self.arrival.clone();
        self.send_from(req, &a)
    }

    /// Handles `req` arriving as `arrival`; returns the verdict.
    pub fn send_from(&mut self, req: &Req, arrival: &Arrival) -> Verdict {
        self.mono_ms += self.advance_ms;
        let clock = Clock {
            unix: self.now,
            mono_ms: self.mono_ms,
        };
        self.server
            .handle_packet(req.packet().clone(), arrival, clock, StoreRoom::Open)
    }

    /// The engine's decision for `req`, without changing anything (no guard, nothing applied).
    pub fn peek(&self, req: &Req) -> Decision {
        Engine::new(self.server.config().clone())
            .handle(
                req.packet(),
                &self.arrival,
                Clock {
                    unix: self.now,
                    mono_ms: self.mono_ms + self.advance_ms, // the clock `send` would use
                },
                self.server.table(),
                self.server.pressure(),
            )
            .0
    }

    /// Runs lease expiry at `self.now`; returns the records changed.
    pub fn expire(&mut self) -> Vec<leasehold_engine::Lease> {
        self.server.tick(self.now)
    }

    /// DISCOVER/OFFER/REQUEST/ACK for client `n`; returns the bound address.
    pub fn dora(&mut self, n: u8) -> Ipv4Addr {
        let offer = self.send(&Req::discover(n));
        let Outcome::Offered(addr) = offer.outcome else {
            panic!("no offer: {:?}", offer.outcome)
        };
        let sid = server_id(&offer);
        let ack = self.send(&Req::request(n).server_id(sid).requested(addr));
        assert_eq!(ack.outcome, Outcome::Acked(addr));
        addr
    }
}

impl Default for Harness {
    fn default() -> Self {
        Harness::new()
    }
}

/// A decision or a verdict: what the reply helpers read.
pub trait Answer {
    /// The reply packet, if any.
    fn reply_packet(&self) -> Option<&Packet>;
    /// What happened.
    fn outcome(&self) -> &Outcome;
}

impl Answer for Decision {
    fn reply_packet(&self) -> Option<&Packet> {
        self.reply.as_ref().map(|r| &r.packet)
    }
    fn outcome(&self) -> &Outcome {
        &self.outcome
    }
}

impl Answer for Verdict {
    fn reply_packet(&self) -> Option<&Packet> {
        self.reply.as_ref().map(|r| &r.packet)
    }
    fn outcome(&self) -> &Outcome {
        &self.outcome
    }
}

/// Option 54 of a decision's reply.
pub fn server_id(d: &impl Answer) -> Ipv4Addr {
    reply(d).options.server_id().expect("server id")
}

/// The reply packet of a decision (panics when silent).
pub fn reply(d: &impl Answer) -> &Packet {
    d.reply_packet()
        .unwrap_or_else(|| panic!("no reply: {:?}", d.outcome()))
}

/// The 4-byte big-endian value of option `c` in the reply.
pub fn opt_u32(d: &impl Answer, c: u8) -> Option<u32> {
    let v = reply(d).options.get(c)?;
    Some(u32::from_be_bytes(v.try_into().ok()?))
}
