//! Table tests for the parser: each error case, RFC 3396 concatenation, option overload
//! (RFC 2132 §9.3) and plain BOOTP (RFC 951).

mod common;

use common::*;
use leasehold_wire::{HwAddr, MessageType, Op, Packet, WireError};
use std::net::Ipv4Addr;

#[test]
fn error_cases() {
    let mut bad_op = dhcp(&[255]);
    bad_op[0] = 3;
    let mut zero_op = dhcp(&[255]);
    zero_op[0] = 0;
    let mut hlen17 = dhcp(&[255]);
    hlen17[2] = 17;
    let mut hlen255 = dhcp(&[255]);
    hlen255[2] = 255;
    let mut file_overrun = dhcp(&[52, 1, 1, 255]);
    file_overrun[108..111].copy_from_slice(&[67, 200, b'x']);
    let cases: Vec<(&str, Vec<u8>, WireError)> = vec![
        ("empty", vec![], WireError::Truncated(0)),
        ("235 bytes", vec![1; 235], WireError::Truncated(235)),
        ("op 3", bad_op, WireError::BadOp(3)),
        ("op 0", zero_op, WireError::BadOp(0)),
        ("hlen 17", hlen17, WireError::HlenTooLong(17)),
        ("hlen 255", hlen255, WireError::HlenTooLong(255)),
        (
            "length overruns",
            dhcp(&[53, 5, 1]),
            WireError::OptionOverrun { code: 53 },
        ),
        (
            "length byte missing",
            dhcp(&[53]),
            WireError::OptionOverrun { code: 53 },
        ),
        (
            "overrun after good option",
            dhcp(&[53, 1, 1, 12, 3, b'a']),
            WireError::OptionOverrun { code: 12 },
        ),
        ("overload 0", dhcp(&[52, 1, 0, 255]), WireError::BadOverload),
        ("overload 4", dhcp(&[52, 1, 4, 255]), WireError::BadOverload),
        (
            "overload empty",
            dhcp(&[52, 0, 255]),
            WireError::BadOverload,
        ),
        (
            "overload two bytes",
            dhcp(&[52, 2, 1, 1, 255]),
            WireError::BadOverload,
        ),
        (
            "overload repeated (concatenated)",
            dhcp(&[52, 1, 1, 52, 1, 2, 255]),
            WireError::BadOverload,
        ),
        (
            "overrun inside overloaded file",
            file_overrun,
            WireError::OptionOverrun { code: 67 },
        ),
    ];
    for (name, bytes, want) in cases {
        assert_eq!(Packet::parse(&bytes), Err(want), "{name}");
    }
}

#[test]
fn header_fields_are_read_big_endian() {
    let mut b = dhcp(&[53, 1, 3, 255]);
    b[0] = 2;
    b[3] = 4;
    b[8..10].copy_from_slice(&[0x01, 0x02]);
    b[10..12].copy_from_slice(&[0x80, 0x00]);
    b[12..16].copy_from_slice(&[198, 18, 0, 1]);
    b[16..20].copy_from_slice(&[198, 18, 0, 2]);
    b[20..24].copy_from_slice(&[198, 18, 0, 3]);
    b[24..28].copy_from_slice(&[198, 18, 0, 4]);
    b[34..44].copy_from_slice(&[0xee; 10]); // chaddr bytes beyond hlen are ignored
    let p = Packet::parse(&b).unwrap();
    assert_eq!(p.op, Op::BootReply);
    assert_eq!(p.hops, 4);
    assert_eq!(p.xid, 0x0102_0304);
    assert_eq!(p.secs, 0x0102);
    assert!(p.broadcast());
    assert_eq!(p.ciaddr, Ipv4Addr::new(198, 18, 0, 1));
    assert_eq!(p.yiaddr, Ipv4Addr::new(198, 18, 0, 2));
    assert_eq!(p.siaddr, Ipv4Addr::new(198, 18, 0, 3));
    assert_eq!(p.giaddr, Ipv4Addr::new(198, 18, 0, 4));
    assert_eq!(
        p.chaddr,
        HwAddr::ethernet([0x52, 0x54, 0, 0x12, 0x34, 0x56])
    );
    assert_eq!(p.message_type(), Some(MessageType::Request));
    assert!(p.has_cookie);
}

#[test]
fn hlen_limits() {
    let mut b = dhcp(&[255]);
    b[2] = 16;
    assert_eq!(Packet::parse(&b).unwrap().chaddr.as_bytes().len(), 16);
    b[2] = 0;
    assert_eq!(Packet::parse(&b).unwrap().chaddr.as_bytes(), &[] as &[u8]);
}

#[test]
fn pad_end_zero_length_and_missing_end() {
    let p = Packet::parse(&dhcp(&[0, 0, 53, 1, 1, 0, 80, 0, 255, 12, 1, b'x'])).unwrap();
    assert_eq!(p.options.get(80), Some(&[][..]), "zero-length option kept");
    assert!(!p.options.contains(12), "bytes after End ignored");
    assert_eq!(p.options.len(), 2);
    let q = Packet::parse(&dhcp(&[53, 1, 1])).unwrap();
    assert_eq!(
        q.message_type(),
        Some(MessageType::Discover),
        "missing End tolerated"
    );
}

#[test]
fn rfc3396_instances_are_concatenated_in_order() {
    let p = Packet::parse(&dhcp(&[
        43, 2, 1, 2, 3, 4, 9, 9, 9, 9, 43, 1, 3, 43, 0, 43, 2, 4, 5, 255,
    ]))
    .unwrap();
    assert_eq!(p.options.get(43), Some(&[1, 2, 3, 4, 5][..]));
    let order: Vec<u8> = p.options.iter().map(|(c, _)| c).collect();
    assert_eq!(order, vec![43, 3]);
}

/// Puts `opts` into the file (108..236) or sname (44..108) field of `b`.
fn put(b: &mut [u8], at: usize, opts: &[u8]) {
    b[at..at + opts.len()].copy_from_slice(opts);
}

#[test]
fn overload_file_only() {
    let mut b = dhcp(&[53, 1, 1, 52, 1, 1, 255]);
    put(&mut b, 44, b"server\0");
    put(&mut b, 108, &[12, 3, b'a', b'b', b'c', 255]);
    let p = Packet::parse(&b).unwrap();
    assert_eq!(p.options.get(12), Some(&b"abc"[..]));
    assert!(p.file.is_empty(), "overloaded file reads as empty");
    assert_eq!(p.sname, b"server".to_vec(), "sname not overloaded");
    assert!(!p.options.contains(52), "option 52 is framing, not kept");
}

#[test]
fn overload_sname_only() {
    let mut b = dhcp(&[52, 1, 2, 255]);
    put(&mut b, 44, &[15, 4, b't', b'e', b's', b't', 255]);
    put(&mut b, 108, b"pxelinux.0");
    let p = Packet::parse(&b).unwrap();
    assert_eq!(p.options.get(15), Some(&b"test"[..]));
    assert!(p.sname.is_empty());
    assert_eq!(p.file, b"pxelinux.0".to_vec());
}

#[test]
fn overload_both_concatenates_options_then_file_then_sname() {
    // RFC 3396 §5 / RFC 2131 §4.1: options field, then file, then sname.
    let mut b = dhcp(&[43, 1, 1, 52, 1, 3, 255]);
    put(&mut b, 44, &[43, 1, 3, 255]);
    put(&mut b, 108, &[43, 1, 2, 0, 0, 255]);
    let p = Packet::parse(&b).unwrap();
    assert_eq!(p.options.get(43), Some(&[1, 2, 3][..]));
    assert!(p.sname.is_empty() && p.file.is_empty());
}

#[test]
fn no_overload_means_fields_are_names() {
    let mut b = dhcp(&[255]);
    put(&mut b, 44, b"srv\0junk");
    put(&mut b, 108, &[43, 1, 2, 255]);
    let p = Packet::parse(&b).unwrap();
    assert_eq!(p.sname, b"srv".to_vec(), "cut at the first NUL");
    assert_eq!(p.file, vec![43, 1, 2, 255]);
    assert!(!p.options.contains(43));
}

#[test]
fn plain_bootp_keeps_vend() {
    let mut b = header();
    b.extend_from_slice(&[1, 4, 255, 255, 255, 0]);
    b.extend_from_slice(&[0; 70]);
    let p = Packet::parse(&b).unwrap();
    assert!(!p.has_cookie);
    assert!(p.options.is_empty());
    assert_eq!(p.vend.len(), 64, "vend is at most 64 bytes");
    assert_eq!(&p.vend[..6], &[1, 4, 255, 255, 255, 0]);
    assert_eq!(p.message_type(), None);

    let mut short = header();
    short.extend_from_slice(&[7, 7]);
    assert_eq!(Packet::parse(&short).unwrap().vend, vec![7, 7]);
    assert!(
        Packet::parse(&header()).unwrap().vend.is_empty(),
        "236 bytes is a valid BOOTP header"
    );
}

#[test]
fn partial_cookie_is_plain_bootp() {
    let mut b = header();
    b.extend_from_slice(&[99, 130, 83]);
    let p = Packet::parse(&b).unwrap();
    assert!(!p.has_cookie);
    assert_eq!(p.vend, vec![99, 130, 83]);
}
