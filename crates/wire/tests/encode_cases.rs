//! Table tests for the writer: option order (PRL, 82 last), RFC 3396 splitting, the size limit
//! (overload, then dropping), BOOTP padding, and the RFC 3397 / RFC 3442 option encodings.

mod common;

use common::*;
use leasehold_wire::registry::{by_name, encode_text};
use leasehold_wire::{EncodeError, EncodeParams, HwAddr, MessageType, Packet, BOOTP_MIN_LEN};

fn params(order: &[u8], max_len: usize, pad: bool) -> EncodeParams {
    EncodeParams {
        order: order.to_vec(),
        max_len,
        pad_to_bootp_min: pad,
    }
}

/// An OFFER answering `discover()` with the given extra options (inserted in this order).
fn offer(extra: &[(u8, Vec<u8>)]) -> Packet {
    let mut p = Packet::reply_to(&discover());
    for (c, v) in extra {
        p.options.insert(*c, v.clone());
    }
    p
}

#[test]
fn order_is_53_54_prl_rest_then_82() {
    let p = offer(&[
        (82, vec![1, 2, 0, 1]),
        (1, vec![255, 255, 255, 0]),
        (3, vec![198, 18, 0, 1]),
        (12, b"h".to_vec()),
        (51, vec![0, 0, 14, 16]),
        (54, vec![198, 18, 0, 1]),
        (53, vec![MessageType::Offer.code()]),
        (6, vec![198, 18, 0, 53]),
        (15, b"example.test".to_vec()),
    ]);
    // 82 in the PRL does not move it; 99 is absent; 3 twice counts once.
    let bytes = p
        .encode(&params(&[6, 82, 3, 99, 1, 3], 548, false))
        .unwrap();
    assert_eq!(wire_codes(&bytes), vec![53, 54, 6, 3, 1, 12, 51, 15, 82]);
    assert_eq!(*bytes.last().unwrap(), 255, "ends with End");
}

#[test]
fn long_options_are_split_into_consecutive_instances() {
    let long: Vec<u8> = (0..600u32).map(|i| i as u8).collect();
    let p = offer(&[(53, vec![2]), (43, long.clone()), (80, vec![])]);
    let bytes = p.encode(&params(&[], 2000, false)).unwrap();
    let inst = instances(&bytes[240..]);
    let lens: Vec<(u8, usize)> = inst.iter().map(|(c, v)| (*c, v.len())).collect();
    assert_eq!(lens, vec![(53, 1), (43, 255), (43, 255), (43, 90), (80, 0)]);
    assert_eq!(
        Packet::parse(&bytes).unwrap().options.get(43),
        Some(&long[..])
    );
}

#[test]
fn header_fields_are_written() {
    let mut p = offer(&[(53, vec![2])]);
    p.chaddr = HwAddr::new(32, &[0xaa; 16]).unwrap();
    p.sname = vec![b's'; 80];
    p.file = b"boot/pxelinux.0".to_vec();
    p.xid = 0xdead_beef;
    p.flags = 0x8000;
    let b = p.encode(&params(&[], 548, false)).unwrap();
    assert_eq!(&b[..4], &[2, 32, 16, 0]);
    assert_eq!(&b[4..8], &[0xde, 0xad, 0xbe, 0xef]);
    assert_eq!(&b[10..12], &[0x80, 0]);
    assert_eq!(&b[28..44], &[0xaa; 16]);
    assert_eq!(&b[44..108], &[b's'; 64][..], "sname truncated to 64");
    assert_eq!(&b[108..123], b"boot/pxelinux.0");
    assert!(b[123..236].iter().all(|x| *x == 0), "file zero padded");
    assert_eq!(&b[236..240], &[99, 130, 83, 99]);
}

#[test]
fn bootp_padding() {
    let small = offer(&[(53, vec![2])]);
    assert_eq!(
        small.encode(&params(&[], 548, true)).unwrap().len(),
        BOOTP_MIN_LEN
    );
    let unpadded = small.encode(&params(&[], 548, false)).unwrap();
    assert_eq!(unpadded.len(), 240 + 3 + 1);
    // Padding never crosses the size limit.
    assert_eq!(small.encode(&params(&[], 280, true)).unwrap().len(), 280);
    // Plain BOOTP: vend written as 64 bytes, options not written.
    let mut bootp = Packet::reply_to(&Packet::parse(&header()).unwrap());
    bootp.has_cookie = false;
    bootp.vend = vec![1, 4, 255, 255, 255, 0];
    let b = bootp.encode(&params(&[], 548, false)).unwrap();
    assert_eq!(b.len(), 300);
    assert_eq!(&b[236..242], &[1, 4, 255, 255, 255, 0]);
    assert!(b[242..].iter().all(|x| *x == 0));
}

#[test]
fn too_large_drops_lowest_priority_first() {
    // sname and file are in use, so no overload: only dropping helps.
    let mut p = offer(&[
        (53, vec![2]),
        (54, vec![198, 18, 0, 1]),
        (51, vec![0, 0, 14, 16]),
        (3, vec![3; 100]),
        (6, vec![6; 100]),
        (200, vec![200; 100]),
        (201, vec![201; 100]),
        (82, vec![1, 100].into_iter().chain([82; 100]).collect()),
    ]);
    p.sname = b"server".to_vec();
    p.file = b"file".to_vec();
    let bytes = p.encode(&params(&[3, 6], 548, true)).unwrap();
    assert!(bytes.len() <= 548);
    let back = Packet::parse(&bytes).unwrap();
    // 240 + 53(3) + 54(6) + 51(6) + 82(104) + End = 360 bytes; 188 left: only option 3 (102) fits
    // after dropping 201, 200 and then 6, the tail of the request list.
    let codes: Vec<u8> = back.options.iter().map(|(c, _)| c).collect();
    assert_eq!(codes, vec![53, 54, 3, 51, 82]);
    assert_eq!(back.sname, b"server".to_vec());
}

#[test]
fn overload_is_used_before_dropping() {
    let p = offer(&[
        (53, vec![2]),
        (54, vec![198, 18, 0, 1]),
        (43, vec![43; 250]),
        (200, vec![200; 100]),
        (201, vec![201; 40]),
        (82, vec![1, 2, 0, 7]),
    ]);
    let bytes = p.encode(&params(&[], 548, false)).unwrap();
    assert!(bytes.len() <= 548);
    let back = Packet::parse(&bytes).unwrap();
    assert_eq!(
        sorted(&back.options),
        sorted(&normalize(&p).options),
        "nothing dropped"
    );
    let main = instances(&bytes[240..]);
    assert_eq!(
        main.last().map(|(c, _)| *c),
        Some(82),
        "82 stays last in the options field"
    );
    let overload = main.iter().find(|(c, _)| *c == 52).map(|(_, v)| v.clone());
    assert!(
        matches!(overload.as_deref(), Some([1]) | Some([3])),
        "{overload:?}"
    );
    assert_eq!(
        instances(&bytes[108..236])[0].0,
        200,
        "file carries the next option"
    );
}

#[test]
fn mandatory_options_that_do_not_fit_are_an_error() {
    let mut p = offer(&[(53, vec![2]), (61, vec![1; 255]), (82, vec![1; 200])]);
    p.sname = b"x".to_vec();
    p.file = b"y".to_vec();
    let err = p.encode(&params(&[], 400, false)).unwrap_err();
    assert_eq!(
        err,
        EncodeError::TooLarge {
            needed: 240 + 3 + 257 + 202 + 1,
            limit: 400
        }
    );
    assert!(matches!(
        p.encode(&params(&[], 100, false)),
        Err(EncodeError::TooLarge { limit: 100, .. })
    ));
}

#[test]
fn option_52_in_the_packet_is_ignored() {
    let p = offer(&[(53, vec![2]), (52, vec![3])]);
    let bytes = p.encode(&params(&[], 548, false)).unwrap();
    assert!(!wire_codes(&bytes).contains(&52));
}

/// RFC 3397 §3 example: "eng.apple.com." and "marketing.apple.com.".
#[test]
fn rfc3397_domain_search_example() {
    let v = encode_text(
        by_name("domain-search").unwrap(),
        &["eng.apple.com.", "marketing.apple.com."],
    )
    .unwrap();
    assert_eq!(
        v,
        b"\x03eng\x05apple\x03com\x00\x09marketing\xc0\x04".to_vec()
    );
    let p = offer(&[(53, vec![2]), (119, v.clone())]);
    let back = Packet::parse(&p.encode(&params(&[], 548, false)).unwrap()).unwrap();
    assert_eq!(back.options.get(119), Some(&v[..]));
}

/// RFC 3442 §2 descriptors, as one option value.
#[test]
fn rfc3442_classless_routes_example() {
    let v = encode_text(
        by_name("classless_static_route").unwrap(),
        &[
            "10.17.0.0/16 10.0.0.1",
            "10.229.0.128/25 10.0.0.2",
            "0.0.0.0/0 10.0.0.3",
        ],
    )
    .unwrap();
    assert_eq!(
        v,
        vec![16, 10, 17, 10, 0, 0, 1, 25, 10, 229, 0, 128, 10, 0, 0, 2, 0, 10, 0, 0, 3]
    );
}
