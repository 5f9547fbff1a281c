//! Helpers shared by the integration tests: raw packet builders, proptest strategies and the
//! normal form used to compare packets after a round trip.
#![allow(dead_code)]

use leasehold_wire::options::Options;
use leasehold_wire::{HwAddr, Op, Packet, MAGIC_COOKIE};
use proptest::prelude::*;
use std::net::Ipv4Addr;

/// A 236-byte header: BOOTREQUEST, Ethernet, chaddr 52:54:00:12:34:56, xid 0x01020304.
pub fn header() -> Vec<u8> {
    let mut h = vec![0u8; 236];
    h[0] = 1;
    h[1] = 1;
    h[2] = 6;
    h[4..8].copy_from_slice(&[1, 2, 3, 4]);
    h[28..34].copy_from_slice(&[0x52, 0x54, 0, 0x12, 0x34, 0x56]);
    h
}

/// A DHCP datagram: `header()`, the cookie, then `area` as the options field.
pub fn dhcp(area: &[u8]) -> Vec<u8> {
    let mut b = header();
    b.extend_from_slice(&MAGIC_COOKIE);
    b.extend_from_slice(area);
    b
}

/// The option codes in an encoded DHCP message's options field, in wire order (one entry per
/// instance; Pad skipped, stops at End).
pub fn wire_codes(msg: &[u8]) -> Vec<u8> {
    instances(&msg[240..]).into_iter().map(|(c, _)| c).collect()
}

/// The (code, value) instances of one options area, in order; stops at End.
pub fn instances(area: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < area.len() {
        match area[i] {
            0 => i += 1,
            255 => break,
            c => {
                let len = area[i + 1] as usize;
                out.push((c, area[i + 2..i + 2 + len].to_vec()));
                i += 2 + len;
            }
        }
    }
    out
}

/// Options as a list sorted by code, for order-insensitive comparison.
pub fn sorted(o: &Options) -> Vec<(u8, Vec<u8>)> {
    let mut v: Vec<(u8, Vec<u8>)> = o.iter().map(|(c, v)| (c, v.to_vec())).collect();
    v.sort();
    v
}

/// What a packet reads as after encode → parse, options order aside:
/// - `sname`/`file`: truncated to 64/128 bytes, then cut at the first NUL;
/// - with the cookie: `vend` empty and option 52 gone (the writer owns overload);
/// - without it: options empty and `vend` truncated/zero padded to 64 bytes.
pub fn normalize(p: &Packet) -> Packet {
    let mut q = p.clone();
    q.sname = cut(&p.sname, 64);
    q.file = cut(&p.file, 128);
    if p.has_cookie {
        q.vend = Vec::new();
        q.options.remove(52);
    } else {
        q.options = Options::new();
        let mut v = p.vend.clone();
        v.resize(64, 0);
        q.vend = v;
    }
    q
}

fn cut(field: &[u8], max: usize) -> Vec<u8> {
    let field = &field[..field.len().min(max)];
    let end = field.iter().position(|b| *b == 0).unwrap_or(field.len());
    field[..end].to_vec()
}

/// `a` and `b` are the same packet, options compared as sets.
pub fn same_modulo_order(a: &Packet, b: &Packet) -> bool {
    let mut a2 = a.clone();
    let mut b2 = b.clone();
    a2.options = Options::new();
    b2.options = Options::new();
    a2 == b2 && sorted(&a.options) == sorted(&b.options)
}

/// Any option code except Pad and End.
pub fn arb_code() -> impl Strategy<Value = u8> {
    1u8..=254
}

/// Options with values of 0 to `max_len` bytes (so some exceed 255).
pub fn arb_options(max_len: usize, max_count: usize) -> impl Strategy<Value = Options> {
    prop::collection::vec(
        (arb_code(), prop::collection::vec(any::<u8>(), 0..=max_len)),
        0..=max_count,
    )
    .prop_map(|v| {
        let mut o = Options::new();
        for (c, val) in v {
            o.insert(c, val);
        }
        o
    })
}

/// Any header with any `hlen` 0..=16, sname/file of any length (beyond the fields too),
/// with or without the cookie.
pub fn arb_packet(options: impl Strategy<Value = Options>) -> impl Strategy<Value = Packet> {
    (
        (
            any::<bool>(),
            any::<u8>(),
            prop::collection::vec(any::<u8>(), 0..=16),
            any::<u8>(),
        ),
        (any::<u32>(), any::<u16>(), any::<u16>()),
        (any::<u32>(), any::<u32>(), any::<u32>(), any::<u32>()),
        (
            prop::collection::vec(any::<u8>(), 0..70),
            prop::collection::vec(any::<u8>(), 0..140),
        ),
        (
            any::<bool>(),
            options,
            prop::collection::vec(any::<u8>(), 0..70),
        ),
    )
        .prop_filter_map(
            "no-cookie packet whose vend starts with the cookie",
            |(
                (req, htype, hw, hops),
                (xid, secs, flags),
                (ci, yi, si, gi),
                (sname, file),
                (cookie, options, vend),
            )| {
                let chaddr = HwAddr::new(htype, &hw).ok()?;
                if !cookie && vend.len() >= 4 && vend[..4] == MAGIC_COOKIE {
                    return None;
                }
                Some(Packet {
                    op: if req { Op::BootRequest } else { Op::BootReply },
                    chaddr,
                    hops,
                    xid,
                    secs,
                    flags,
                    ciaddr: Ipv4Addr::from(ci),
                    yiaddr: Ipv4Addr::from(yi),
                    siaddr: Ipv4Addr::from(si),
                    giaddr: Ipv4Addr::from(gi),
                    sname,
                    file,
                    has_cookie: cookie,
                    options: if cookie { options } else { Options::new() },
                    vend: if cookie { Vec::new() } else { vend },
                })
            },
        )
}

/// A typical DISCOVER from 52:54:00:12:34:56 with a parameter request list.
pub fn discover() -> Packet {
    let mut p = Packet::parse(&dhcp(&[255])).expect("valid");
    p.options.insert(53, vec![1]);
    p.options
        .insert(61, vec![1, 0x52, 0x54, 0, 0x12, 0x34, 0x56]);
    p.options.insert(55, vec![1, 3, 6, 15, 51, 54]);
    p.options.insert(57, vec![0x05, 0xdc]);
    p.options.insert(12, b"client".to_vec());
    p
}
