//! Requests, arrivals, a configuration and a collecting reply sink shared by the in-process
//! dispatcher tests.
#![allow(dead_code)]

use leasehold_engine::Arrival;
use leasehold_server::dispatch::{Replies, ReplySink};
use leasehold_wire::options::code;
use leasehold_wire::{EncodeParams, HwAddr, MessageType, Packet};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::Mutex;

/// One /24 with a 100-address pool and one-hour leases.
pub const CONFIG: &str = r#"
[server]
lease_time = 3600
[[subnet]]
subnet = "198.18.0.0/24"
[[subnet.pool]]
range = "198.18.0.100-198.18.0.199"
"#;

/// Collects every reply sent, in order: its message type and yiaddr.
#[derive(Default)]
pub struct Collect(pub Mutex<Vec<(&'static str, Ipv4Addr)>>);

impl ReplySink for Collect {
    fn send(&self, replies: Replies) {
        let mut sent = self.0.lock().expect("sink");
        for (out, (kind, _)) in replies.outgoing.iter().zip(&replies.meta) {
            let yiaddr = Packet::parse(&out.bytes)
                .map(|p| p.yiaddr)
                .unwrap_or(Ipv4Addr::UNSPECIFIED);
            sent.push((kind, yiaddr));
        }
    }
}

impl Collect {
    /// The message types sent so far.
    pub fn kinds(&self) -> Vec<&'static str> {
        self.sent().iter().map(|(k, _)| *k).collect()
    }

    /// Every reply sent so far.
    pub fn sent(&self) -> Vec<(&'static str, Ipv4Addr)> {
        self.0.lock().expect("sink").clone()
    }
}

/// A direct arrival on eth0, where the server's address is 198.18.0.1.
pub fn arrival() -> Arrival {
    Arrival {
        iface: Some("eth0".into()),
        ifindex: 2,
        local_addr: Ipv4Addr::new(198, 18, 0, 1),
        source: SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 68),
        local_port: 67,
    }
}

/// A DHCP message of type `t` from client 52:54:00:00:01:<n>, with `extra` options, encoded.
pub fn msg(n: u8, t: MessageType, extra: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mac = HwAddr::ethernet([0x52, 0x54, 0, 0, 1, n]);
    let mut p = Packet::boot_request(mac, 0x5000 + u32::from(n));
    p.options.insert(code::MESSAGE_TYPE, vec![t.code()]);
    for (c, v) in extra {
        p.options.insert(*c, v.clone());
    }
    p.encode(&EncodeParams::default()).expect("encode")
}

/// A DISCOVER from client `n`.
pub fn discover(n: u8) -> Vec<u8> {
    msg(n, MessageType::Discover, &[])
}

/// A REQUEST (SELECTING) from client `n` for `addr`, naming server 198.18.0.1.
pub fn request(n: u8, addr: Ipv4Addr) -> Vec<u8> {
    msg(
        n,
        MessageType::Request,
        &[
            (code::SERVER_ID, vec![198, 18, 0, 1]),
            (code::REQUESTED_IP, addr.octets().to_vec()),
        ],
    )
}
