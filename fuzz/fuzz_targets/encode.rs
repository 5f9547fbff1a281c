//! Reply writing under size limits: the first 3 bytes choose `max_len` and padding, the next
//! byte the length of a parameter request list that follows, the rest is a datagram. A parsed
//! packet is written under those limits: the result must respect the limit and parse back with
//! every written option unchanged.
#![no_main]

use leasehold_wire::{EncodeError, EncodeParams, Packet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((head, rest)) = data.split_first_chunk::<4>() else {
        return;
    };
    let max_len = usize::from(u16::from_be_bytes([head[0], head[1]]));
    let pad = head[2] & 1 == 1;
    let prl_len = usize::from(head[3]).min(rest.len());
    let (order, datagram) = rest.split_at(prl_len);
    let Ok(p) = Packet::parse(datagram) else {
        return;
    };
    let params = EncodeParams {
        order: order.to_vec(),
        max_len,
        pad_to_bootp_min: pad,
    };
    match p.encode(&params) {
        Ok(bytes) => {
            assert!(bytes.len() <= max_len);
            let back = Packet::parse(&bytes).expect("our own output parses");
            for (c, v) in back.options.iter() {
                assert_eq!(p.options.get(c), Some(v), "option {c} changed");
            }
        }
        Err(EncodeError::TooLarge { needed, limit }) => {
            assert_eq!(limit, max_len);
            assert!(needed > limit);
        }
    }
});
