//! Property tests: encode → parse gives back the packet, and parse never panics.
//!
//! "Equal" after a round trip means [`common::normalize`]: sname/file cut at the first NUL (and to
//! their field sizes), `vend` only for cookie-less packets (zero padded to 64 bytes), option 52
//! never kept, and options compared by (code, value) — RFC 3396 splitting on the way out and
//! concatenation on the way in give back the same value. The option *order* is checked
//! separately against the writer's rule: 53, 54, the request list, the rest, 82.

mod common;

use common::*;
use leasehold_wire::encode::MANDATORY;
use leasehold_wire::{EncodeParams, Packet};
use proptest::prelude::*;

/// The order the writer promises.
fn expected_order(p: &Packet, prl: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let add = |out: &mut Vec<u8>, c: u8| {
        if p.options.contains(c) && c != 52 && !out.contains(&c) {
            out.push(c);
        }
    };
    add(&mut out, 53);
    add(&mut out, 54);
    for &c in prl.iter().filter(|c| **c != 82) {
        add(&mut out, c);
    }
    for (c, _) in p.options.iter().filter(|(c, _)| *c != 82) {
        add(&mut out, c);
    }
    add(&mut out, 82);
    out
}

fn big(order: Vec<u8>, pad: bool) -> EncodeParams {
    EncodeParams {
        order,
        max_len: 65_535,
        pad_to_bootp_min: pad,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn encode_then_parse_is_identity(
        p in arb_packet(arb_options(600, 12)),
        prl in prop::collection::vec(any::<u8>(), 0..20),
        pad in any::<bool>(),
    ) {
        let bytes = p.encode(&big(prl.clone(), pad)).expect("fits in 64 KiB");
        if pad || !p.has_cookie {
            prop_assert!(bytes.len() >= 300);
        }
        let back = Packet::parse(&bytes).expect("own output parses");
        let want = normalize(&p);
        prop_assert!(same_modulo_order(&back, &want), "\n got {back:?}\nwant {want:?}");
        let order: Vec<u8> = back.options.iter().map(|(c, _)| c).collect();
        prop_assert_eq!(order, expected_order(&p, &prl));
    }

    #[test]
    fn size_limit_is_respected_and_drops_lowest_priority_first(
        p in arb_packet(arb_options(300, 16)),
        prl in prop::collection::vec(any::<u8>(), 0..20),
        max_len in 240usize..1500,
        pad in any::<bool>(),
    ) {
        let mut p = p;
        p.has_cookie = true;
        p.vend.clear();
        let params = EncodeParams { order: prl.clone(), max_len, pad_to_bootp_min: pad };
        match p.encode(&params) {
            Ok(bytes) => {
                prop_assert!(bytes.len() <= max_len, "{} > {max_len}", bytes.len());
                let back = Packet::parse(&bytes).expect("own output parses");
                let want = normalize(&p);
                // Header fields survive; an overloaded field was empty to begin with.
                prop_assert_eq!((back.xid, back.chaddr, back.flags, back.giaddr), (want.xid, want.chaddr, want.flags, want.giaddr));
                prop_assert!(back.sname == want.sname || want.sname.is_empty());
                prop_assert!(back.file == want.file || want.file.is_empty());
                // Every written option is exact; every mandatory one is written.
                for (c, v) in back.options.iter() {
                    prop_assert_eq!(want.options.get(c), Some(v), "option {}", c);
                }
                for c in MANDATORY {
                    prop_assert_eq!(back.options.contains(c), want.options.contains(c), "mandatory {}", c);
                }
                // Optional options kept are a prefix of the priority order.
                let optional: Vec<u8> = expected_order(&p, &prl).into_iter().filter(|c| !MANDATORY.contains(c)).collect();
                let kept: Vec<u8> = optional.iter().copied().filter(|c| back.options.contains(*c)).collect();
                prop_assert_eq!(&kept[..], &optional[..kept.len()]);
            }
            Err(leasehold_wire::EncodeError::TooLarge { needed, limit }) => {
                prop_assert_eq!(limit, max_len);
                prop_assert!(needed > limit);
            }
        }
    }

    #[test]
    fn parse_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..700)) {
        check_reencode(&bytes)?;
    }

    #[test]
    fn parse_never_panics_on_dhcp_shaped_bytes(area in prop::collection::vec(any::<u8>(), 0..400), hlen in any::<u8>(), ov in 0u8..5) {
        let mut b = dhcp(&[52, 1, ov]);
        b[2] = hlen;
        b.extend_from_slice(&area);
        check_reencode(&b)?;
    }

    #[test]
    fn parse_never_panics_on_mutated_packets(
        p in arb_packet(arb_options(300, 8)),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = p.encode(&big(Vec::new(), true)).expect("fits");
        for (i, b) in edits {
            let at = i.index(bytes.len());
            bytes[at] = b;
        }
        if truncate {
            let n = cut.index(bytes.len() + 1);
            bytes.truncate(n);
        }
        check_reencode(&bytes)?;
    }
}

/// Parses `bytes`; when valid, re-encoding and parsing again gives the same packet.
fn check_reencode(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(p) = Packet::parse(bytes) {
        let again = p.encode(&big(Vec::new(), false)).expect("fits");
        let back = Packet::parse(&again).expect("own output parses");
        prop_assert!(
            same_modulo_order(&back, &normalize(&p)),
            "\n got {back:?}\nwant {p:?}"
        );
    }
    Ok(())
}
