//! Helpers shared by the store's integration tests.
#![allow(dead_code)]

use leasehold_engine::lease::INFINITE;
use leasehold_engine::{ClientKey, Lease, LeaseState};
use leasehold_wire::HwAddr;
use std::net::Ipv4Addr;
use std::path::Path;

pub mod pg;

/// A bound lease of 10.0.0.`n` for an Ethernet client.
pub fn lease(n: u8, starts: u64) -> Lease {
    let hw = HwAddr::ethernet([0x52, 0x54, 0, 0, 0, n]);
    Lease {
        addr: Ipv4Addr::new(10, 0, 0, n),
        client: Some(ClientKey::HwAddr(hw)),
        hwaddr: Some(hw),
        state: LeaseState::Bound,
        starts,
        expires: starts + 3600,
        hostname: Some(format!("host-{n}")),
    }
}

/// Leases exercising every field shape: client ids, odd hardware types, a zero-length chaddr,
/// infinite expiry, no client, awkward host names.
pub fn varied() -> Vec<Lease> {
    vec![
        lease(1, 1_000),
        Lease {
            addr: Ipv4Addr::new(10, 0, 0, 2),
            client: Some(ClientKey::ClientId(vec![0xff, 0, 1, 2, 3])),
            hwaddr: Some(HwAddr::new(32, &[]).expect("zero-length chaddr")),
            state: LeaseState::Bound,
            starts: 2_000,
            expires: INFINITE,
            hostname: Some("naïve, \"quoted\"\nline".into()),
        },
        Lease {
            addr: Ipv4Addr::new(10, 0, 0, 3),
            client: None,
            hwaddr: None,
            state: LeaseState::Declined,
            starts: 3_000,
            expires: 3_600,
            hostname: None,
        },
        Lease {
            addr: Ipv4Addr::new(255, 255, 255, 254),
            client: Some(ClientKey::HwAddr(
                HwAddr::new(6, &[1; 16]).expect("16-byte chaddr"),
            )),
            hwaddr: Some(HwAddr::new(6, &[1; 16]).expect("16-byte chaddr")),
            state: LeaseState::Released,
            starts: i64::MAX as u64,
            expires: i64::MAX as u64,
            hostname: Some(String::new()),
        },
        Lease {
            state: LeaseState::Expired,
            ..lease(0, 0)
        },
        // Keyed by an empty hardware address (`hlen` 0, no client id): text `hw:1:`.
        Lease {
            addr: Ipv4Addr::new(10, 0, 0, 4),
            client: Some(ClientKey::HwAddr(
                HwAddr::new(1, &[]).expect("zero-length chaddr"),
            )),
            hwaddr: Some(HwAddr::new(1, &[]).expect("zero-length chaddr")),
            ..lease(4, 4_000)
        },
        // Keyed by an empty client identifier: text `id:`.
        Lease {
            addr: Ipv4Addr::new(10, 0, 0, 5),
            client: Some(ClientKey::ClientId(Vec::new())),
            ..lease(5, 5_000)
        },
    ]
}

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
pub fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

/// The file's bytes, or empty when missing.
pub fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

/// Files in `dir`, sorted by name.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}
