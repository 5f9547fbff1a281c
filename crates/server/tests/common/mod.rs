//! Requests and arrivals shared by the in-process dispatcher tests.
#![allow(dead_code)]

use leasehold_engine::Arrival;
use leasehold_wire::options::code;
use leasehold_wire::{EncodeParams, HwAddr, MessageType, Packet};
use std::net::{Ipv4Addr, SocketAddrV4};

/// A direct arrival on eth0, where the server's address is 198.18.0.1.
pub fn arrival() -> Arrival {
    Arrival {
        iface: Some("eth0".into()),
        ifindex: 2,
        local_addr: Ipv4Addr::new(198, 18, 0, 1),
        source: SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 68),
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
