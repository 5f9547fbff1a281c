//! Differential tests against the `dhcproto` crate (0.15), restricted to what it handles:
//! cookie present, `sname`/`file` shorter than their fields without NUL bytes, and option codes
//! dhcproto treats as opaque (`OptionCode::Unknown`) plus option 53, so both sides compare raw
//! option bytes. Known dhcproto limitations kept out of the inputs: it writes nothing for a
//! zero-length option, and it reads a 64-byte `sname` (128-byte `file`) with no NUL as absent.

mod common;

use common::*;
use dhcproto::v4::{self, DhcpOption, OptionCode, UnknownOption};
use dhcproto::{Decodable, Encodable};
use leasehold_wire::options::Options;
use leasehold_wire::{EncodeParams, Packet};
use proptest::prelude::*;
use std::net::Ipv4Addr;

/// Codes dhcproto stores as raw bytes.
fn opaque_codes() -> Vec<u8> {
    (1u8..=254)
        .filter(|c| matches!(OptionCode::from(*c), OptionCode::Unknown(_)))
        .collect()
}

/// Options with opaque codes (values up to 300 bytes, so some are split) and a message type.
fn arb_opaque_options() -> impl Strategy<Value = Options> {
    let codes = opaque_codes();
    (
        1u8..=8,
        prop::collection::vec(
            (
                prop::sample::select(codes),
                prop::collection::vec(any::<u8>(), 0..300),
            ),
            0..8,
        ),
    )
        .prop_map(|(mt, v)| {
            let mut o = Options::new();
            o.insert(53, vec![mt]);
            for (c, val) in v {
                o.insert(c, val);
            }
            o
        })
}

/// A name field dhcproto reads back exactly: 0..max bytes, no NUL.
fn arb_name(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(1u8..=255, 0..max)
}

/// dhcproto's options as sorted (code, raw value) pairs.
fn theirs_sorted(m: &v4::Message) -> Vec<(u8, Vec<u8>)> {
    let mut v: Vec<(u8, Vec<u8>)> = m
        .opts()
        .iter()
        .map(|(code, opt)| {
            let value = match opt {
                DhcpOption::Unknown(u) => u.data().to_vec(),
                DhcpOption::MessageType(t) => vec![u8::from(*t)],
                other => panic!("unexpected typed option {other:?}"),
            };
            (u8::from(*code), value)
        })
        .collect();
    v.sort();
    v
}

/// dhcproto's name field without its trailing NUL.
fn their_name(field: Option<&[u8]>) -> Vec<u8> {
    field
        .map(|f| f.strip_suffix(&[0]).unwrap_or(f).to_vec())
        .unwrap_or_default()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn ours_encoded_dhcproto_decoded(
        p in arb_packet(arb_opaque_options()),
        sname in arb_name(64),
        file in arb_name(128),
    ) {
        let mut p = p;
        p.has_cookie = true;
        p.vend.clear();
        if p.options.is_empty() { p.options.insert(53, vec![1]); }
        p.sname = sname;
        p.file = file;
        let bytes = p.encode(&EncodeParams { order: vec![], max_len: 65_535, pad_to_bootp_min: true }).unwrap();
        let m = v4::Message::from_bytes(&bytes).expect("dhcproto decodes our output");
        prop_assert_eq!(u8::from(m.opcode()), p.op.code());
        prop_assert_eq!(u8::from(m.htype()), p.chaddr.htype());
        prop_assert_eq!(m.chaddr(), p.chaddr.as_bytes());
        prop_assert_eq!((m.hops(), m.xid(), m.secs(), u16::from(m.flags())), (p.hops, p.xid, p.secs, p.flags));
        prop_assert_eq!((m.ciaddr(), m.yiaddr(), m.siaddr(), m.giaddr()), (p.ciaddr, p.yiaddr, p.siaddr, p.giaddr));
        prop_assert_eq!(their_name(m.sname()), p.sname.clone());
        prop_assert_eq!(their_name(m.fname()), p.file.clone());
        prop_assert_eq!(theirs_sorted(&m), sorted(&p.options));
    }

    #[test]
    fn dhcproto_encoded_ours_decoded(
        p in arb_packet(arb_opaque_options()),
        sname in arb_name(64),
        file in arb_name(128),
    ) {
        let mut m = v4::Message::new_with_id(p.xid, p.ciaddr, p.yiaddr, p.siaddr, p.giaddr, p.chaddr.as_bytes());
        m.set_opcode(if p.op.code() == 1 { v4::Opcode::BootRequest } else { v4::Opcode::BootReply })
            .set_htype(v4::HType::from(p.chaddr.htype()))
            .set_hops(p.hops)
            .set_secs(p.secs)
            .set_flags(v4::Flags::from(p.flags))
            .set_sname(&sname)
            .set_fname(&file);
        let mut want = Options::new();
        want.insert(53, vec![2]);
        m.opts_mut().insert(DhcpOption::MessageType(v4::MessageType::Offer));
        // dhcproto silently drops zero-length options when encoding: give it none.
        for (c, v) in p.options.iter().filter(|(c, v)| *c != 53 && !v.is_empty()) {
            m.opts_mut().insert(DhcpOption::Unknown(UnknownOption::new(OptionCode::from(c), v.to_vec())));
            want.insert(c, v.to_vec());
        }
        let bytes = m.to_vec().expect("dhcproto encodes");
        let ours = Packet::parse(&bytes).expect("we parse dhcproto output");
        prop_assert_eq!(ours.op, p.op);
        prop_assert_eq!(ours.chaddr, p.chaddr);
        prop_assert_eq!((ours.hops, ours.xid, ours.secs, ours.flags), (p.hops, p.xid, p.secs, p.flags));
        prop_assert_eq!((ours.ciaddr, ours.yiaddr, ours.siaddr, ours.giaddr), (p.ciaddr, p.yiaddr, p.siaddr, p.giaddr));
        prop_assert_eq!(ours.sname, sname);
        prop_assert_eq!(ours.file, file);
        prop_assert!(ours.has_cookie);
        prop_assert_eq!(sorted(&ours.options), sorted(&want));
    }
}

/// A fixed DISCOVER with typed options, checked field by field against dhcproto's typed view.
#[test]
fn typed_discover_agrees() {
    let mut p = discover();
    p.options.insert(50, vec![198, 18, 0, 10]);
    let bytes = p.encode(&EncodeParams::default()).unwrap();
    let m = v4::Message::from_bytes(&bytes).unwrap();
    assert_eq!(m.opts().msg_type(), Some(v4::MessageType::Discover));
    assert_eq!(
        m.opts().get(OptionCode::RequestedIpAddress),
        Some(&DhcpOption::RequestedIpAddress(Ipv4Addr::new(
            198, 18, 0, 10
        )))
    );
    assert_eq!(
        m.opts().get(OptionCode::Hostname),
        Some(&DhcpOption::Hostname("client".into()))
    );
    assert_eq!(
        m.opts().get(OptionCode::MaxMessageSize),
        Some(&DhcpOption::MaxMessageSize(1500))
    );
    assert_eq!(m.chaddr(), &[0x52, 0x54, 0, 0x12, 0x34, 0x56]);
}
