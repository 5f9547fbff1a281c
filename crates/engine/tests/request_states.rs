//! RFC 2131 §4.3.2: every DHCPREQUEST case — ACK, NAK, or silence — as one table.

mod common;

use common::*;
use leasehold_engine::{Destination, Outcome};
use leasehold_wire::MessageType;

/// Expected result of a row.
#[derive(Debug, PartialEq)]
enum Want {
    Ack(String),
    Nak(&'static str),
    Silent(&'static str),
}

struct Row {
    rfc: &'static str,
    /// Configuration tweak: `authoritative = false` when true.
    non_authoritative: bool,
    /// Client 1 holds 198.18.0.100 (DORA), client 2 holds 198.18.0.101, before the request.
    setup: bool,
    req: Req,
    want: Want,
}

fn rows() -> Vec<Row> {
    let sid = ip("198.18.0.1");
    let a1 = ip("198.18.0.100");
    let a2 = ip("198.18.0.101");
    vec![
        Row {
            rfc: "§4.3.2 SELECTING, our server id, the offered/bound address → ACK",
            non_authoritative: false,
            setup: true,
            req: Req::request(1).server_id(sid).requested(a1),
            want: Want::Ack("198.18.0.100".into()),
        },
        Row {
            rfc: "§4.3.2 SELECTING, our server id, a free pool address → ACK",
            non_authoritative: false,
            setup: false,
            req: Req::request(1).server_id(sid).requested(ip("198.18.0.103")),
            want: Want::Ack("198.18.0.103".into()),
        },
        Row {
            rfc: "§4.3.2 SELECTING, address taken by another client → NAK",
            non_authoritative: false,
            setup: true,
            req: Req::request(1).server_id(sid).requested(a2),
            want: Want::Nak("address_unavailable"),
        },
        Row {
            rfc: "§4.3.2 SELECTING, another server's id → silent",
            non_authoritative: false,
            setup: true,
            req: Req::request(1).server_id(ip("198.18.0.2")).requested(a1),
            want: Want::Silent("other_server"),
        },
        Row {
            rfc: "§4.3.2 SELECTING, excluded address → NAK",
            non_authoritative: false,
            setup: false,
            req: Req::request(1).server_id(sid).requested(ip("198.18.0.105")),
            want: Want::Nak("address_unavailable"),
        },
        Row {
            rfc: "§4.3.2 INIT-REBOOT, own address → ACK",
            non_authoritative: false,
            setup: true,
            req: Req::request(1).requested(a1),
            want: Want::Ack("198.18.0.100".into()),
        },
        Row {
            rfc: "§4.3.2 INIT-REBOOT, wrong network → NAK",
            non_authoritative: false,
            setup: true,
            req: Req::request(1).requested(ip("10.1.2.3")),
            want: Want::Nak("wrong_network"),
        },
        Row {
            rfc: "§4.3.2 INIT-REBOOT, wrong network, not authoritative → silent",
            non_authoritative: true,
            setup: true,
            req: Req::request(1).requested(ip("10.1.2.3")),
            want: Want::Silent("wrong_network"),
        },
        Row {
            rfc: "§4.3.2 INIT-REBOOT, address belongs to another client → NAK",
            non_authoritative: false,
            setup: true,
            req: Req::request(1).requested(a2),
            want: Want::Nak("address_taken"),
        },
        Row {
            rfc: "§4.3.2 INIT-REBOOT, known client, other address → NAK",
            non_authoritative: false,
            setup: true,
            req: Req::request(1).requested(ip("198.18.0.107")),
            want: Want::Nak("wrong_address"),
        },
        Row {
            rfc: "§4.3.2 INIT-REBOOT, no record of client, authoritative → NAK",
            non_authoritative: false,
            setup: true,
            req: Req::request(9).requested(ip("198.18.0.107")),
            want: Want::Nak("unknown_client"),
        },
        Row {
            rfc: "§4.3.2 INIT-REBOOT, no record of client → MUST remain silent (not authoritative)",
            non_authoritative: true,
            setup: true,
            req: Req::request(9).requested(ip("198.18.0.107")),
            want: Want::Silent("unknown_client"),
        },
        Row {
            rfc: "§4.3.2 RENEWING, own lease → ACK",
            non_authoritative: false,
            setup: true,
            req: Req::request(1).ciaddr(a1),
            want: Want::Ack("198.18.0.100".into()),
        },
        Row {
            rfc: "§4.3.2 REBINDING, own lease → ACK",
            non_authoritative: false,
            setup: true,
            req: Req::request(1).ciaddr(a1).broadcast(),
            want: Want::Ack("198.18.0.100".into()),
        },
        Row {
            rfc: "§4.3.2 RENEWING, another client's lease → NAK",
            non_authoritative: false,
            setup: true,
            req: Req::request(1).ciaddr(a2),
            want: Want::Nak("address_taken"),
        },
        Row {
            rfc: "§4.3.2 RENEWING, unknown lease, authoritative → NAK",
            non_authoritative: false,
            setup: true,
            req: Req::request(9).ciaddr(ip("198.18.0.108")),
            want: Want::Nak("unknown_lease"),
        },
        Row {
            rfc: "§4.3.2 REBINDING, unknown lease, not authoritative → silent",
            non_authoritative: true,
            setup: true,
            req: Req::request(9).ciaddr(ip("198.18.0.108")).broadcast(),
            want: Want::Silent("unknown_lease"),
        },
        Row {
            rfc: "§4.3.2 REQUEST without 50, 54 or ciaddr → silent (malformed)",
            non_authoritative: false,
            setup: false,
            req: Req::request(1),
            want: Want::Silent("malformed_request"),
        },
        Row {
            rfc: "§4.3.2 INIT-REBOOT, reserved client, its reservation → ACK",
            non_authoritative: false,
            setup: false,
            req: Req::request(0xaa).requested(ip("198.18.0.10")),
            want: Want::Ack("198.18.0.10".into()),
        },
        Row {
            rfc: "§4.3.2 INIT-REBOOT, someone else's reservation → NAK",
            non_authoritative: false,
            setup: false,
            req: Req::request(1).requested(ip("198.18.0.10")),
            want: Want::Nak("address_taken"),
        },
    ]
}

#[test]
fn rfc2131_4_3_2_request_table() {
    for row in rows() {
        let text = if row.non_authoritative {
            BASE.replace("[server]\n", "[server]\nauthoritative = false\n")
        } else {
            BASE.to_string()
        };
        let mut h = Harness::with(&text);
        if row.setup {
            assert_eq!(h.dora(1), ip("198.18.0.100"));
            assert_eq!(h.dora(2), ip("198.18.0.101"));
            h.now += 60;
        }
        let d = h.peek(&row.req);
        let got = match (&d.outcome, &d.reply) {
            (Outcome::Acked(a), Some(r)) => {
                assert_eq!(
                    r.packet.message_type(),
                    Some(MessageType::Ack),
                    "{}",
                    row.rfc
                );
                Want::Ack(a.to_string())
            }
            (Outcome::Nak(why), Some(r)) => {
                assert_eq!(
                    r.packet.message_type(),
                    Some(MessageType::Nak),
                    "{}",
                    row.rfc
                );
                assert_eq!(
                    r.packet.yiaddr,
                    ip("0.0.0.0"),
                    "{}: Table 3 NAK yiaddr 0",
                    row.rfc
                );
                assert_eq!(
                    r.packet.siaddr,
                    ip("0.0.0.0"),
                    "{}: Table 3 NAK siaddr 0",
                    row.rfc
                );
                assert_eq!(
                    r.destination,
                    Destination::Broadcast { port: 68 },
                    "{}: §4.1 NAK broadcast",
                    row.rfc
                );
                Want::Nak(why.as_str())
            }
            (Outcome::Dropped(why), None) => Want::Silent(why.as_str()),
            other => panic!("{}: unexpected {other:?}", row.rfc),
        };
        assert_eq!(got, row.want, "{}", row.rfc);
    }
}
