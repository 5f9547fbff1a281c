//! Any datagram: parse must not panic; a parsed packet must encode, and the encoding must parse
//! back to the same packet (options compared as a set, `vend` zero padded to 64 bytes).
#![no_main]

use leasehold_wire::{EncodeParams, Packet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(p) = Packet::parse(data) else { return };
    let params = EncodeParams {
        order: Vec::new(),
        max_len: 65_535,
        pad_to_bootp_min: false,
    };
    let bytes = p
        .encode(&params)
        .expect("a parsed packet always fits in 64 KiB");
    let back = Packet::parse(&bytes).expect("our own output parses");
    assert_eq!(back.xid, p.xid);
    assert_eq!(back.chaddr, p.chaddr);
    assert_eq!(back.sname, p.sname);
    assert_eq!(back.file, p.file);
    assert_eq!(back.has_cookie, p.has_cookie);
    let mut a: Vec<(u8, Vec<u8>)> = p.options.iter().map(|(c, v)| (c, v.to_vec())).collect();
    let mut b: Vec<(u8, Vec<u8>)> = back.options.iter().map(|(c, v)| (c, v.to_vec())).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    let mut vend = p.vend.clone();
    if !p.has_cookie {
        vend.resize(64, 0);
    }
    assert_eq!(back.vend, vend);
});
