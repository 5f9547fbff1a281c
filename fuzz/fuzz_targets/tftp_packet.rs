//! Any datagram: `Packet::parse` must not panic; a parsed packet must encode, the encoding must
//! parse back to the same packet, and encoding that again gives the same bytes.
#![no_main]

use leasehold_bootfiles::tftp::packet::Packet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(p) = Packet::parse(data) else { return };
    let bytes = p.encode();
    let back = Packet::parse(&bytes).expect("our own encoding parses");
    assert_eq!(back, p);
    assert_eq!(back.encode(), bytes, "encoding is stable");
    assert!(
        bytes.len() <= data.len() + 1,
        "encoding never grows beyond the input (+ a NUL)"
    );
});
