//! BOOTP clients: RFC 951, RFC 1497, RFC 1542, RFC 2131 §4 (BOOTP interoperation).

mod common;

use common::*;
use leasehold_engine::{LeaseChange, LeaseState, Outcome, INFINITE};

/// RFC 951 §4 / RFC 2131 §4.3 (BOOTP): a reserved BOOTP client gets its address, next server and
/// boot file; the reply is padded to 300 bytes and carries RFC 1497 vendor extensions, with no
/// DHCP-only options.
#[test]
fn rfc951_reserved_client() {
    let mut h = Harness::new();
    let d = h.send(&Req::bootp(0xaa));
    assert_eq!(d.outcome, Outcome::Bootp(ip("198.18.0.10")));
    let r = d.reply.as_ref().expect("reply");
    assert!(r.encode.pad_to_bootp_min, "RFC 1542 §3.3: 300-byte minimum");
    assert_eq!(r.packet.yiaddr, ip("198.18.0.10"));
    assert_eq!(r.packet.siaddr, ip("198.18.0.1"));
    assert_eq!(r.packet.file, b"pxelinux.0");
    for c in [51u8, 53, 54, 58, 59] {
        assert!(
            !r.packet.options.contains(c),
            "no DHCP option {c} for BOOTP"
        );
    }
    assert_eq!(
        r.packet.options.get(1),
        Some(&[255, 255, 255, 0][..]),
        "RFC 1497 subnet mask"
    );
    match &d.changes[..] {
        [LeaseChange::Put(l)] => assert_eq!((l.state, l.expires), (LeaseState::Bound, INFINITE)),
        other => panic!("{other:?}"),
    }
}

/// RFC 1497: without the magic cookie the reply has no options.
#[test]
fn rfc1497_no_cookie_no_options() {
    let h = Harness::new();
    let mut r = Req::bootp(0xaa);
    r.0.has_cookie = false;
    r.0.vend = vec![0; 64];
    let d = h.peek(&r);
    assert!(reply(&d).options.is_empty());
}

/// RFC 1542 / RFC 2131 §4: dynamic BOOTP only when configured; the lease lasts
/// `bootp_lease_time`.
#[test]
fn rfc2131_dynamic_bootp() {
    let h = Harness::new();
    assert_eq!(
        h.peek(&Req::bootp(1)).outcome,
        Outcome::Dropped(DropReason::BootpNoReservation)
    );
    let mut h = Harness::with(&BASE.replace(
        "[server]\n",
        "[server]\ndynamic_bootp = true\nbootp_lease_time = 86400\n",
    ));
    let d = h.send(&Req::bootp(1));
    assert_eq!(d.outcome, Outcome::Bootp(ip("198.18.0.100")));
    assert_eq!(
        h.table().by_addr(ip("198.18.0.100")).map(|l| l.expires),
        Some(h.now + 86400)
    );
    assert_eq!(
        h.send(&Req::bootp(1)).outcome,
        Outcome::Bootp(ip("198.18.0.100")),
        "same client, same address"
    );
    assert_eq!(
        h.send(&Req::bootp(2)).outcome,
        Outcome::Bootp(ip("198.18.0.101"))
    );
}
