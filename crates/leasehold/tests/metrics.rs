//! `GET /metrics` after real traffic on 127.0.0.1: per-type packet counters, parse failures,
//! drops, NAKs, reply latency, pool usage computed at scrape time, store commit statistics.

mod observe_support;

use leasehold_wire::options::code;
use leasehold_wire::MessageType;
use observe_support::{client, dora, exchange, get, request, start};

fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l[series.len()..].trim().parse().ok())
}

#[test]
fn metrics_follow_traffic() {
    let server = start(&["127.0.0.100-127.0.0.109"], false, "");
    let sock = client();
    assert_eq!(dora(&sock, server.port, [2, 0, 0, 0, 0, 1], 10).0, 2);
    // INIT-REBOOT for an address of no subnet of ours: NAK (we are authoritative).
    let nak = exchange(
        &sock,
        server.port,
        &request(
            MessageType::Request,
            [2, 0, 0, 0, 0, 2],
            20,
            &[(code::REQUESTED_IP, vec![10, 9, 9, 9])],
        ),
        20,
    )
    .expect("NAK");
    assert_eq!(nak.message_type(), Some(MessageType::Nak));
    sock.send_to(&[0xffu8; 50], ("127.0.0.1", server.port))
        .expect("send junk");
    // A reply does not count as a request: the next DORA proves the junk was handled first.
    assert_eq!(dora(&sock, server.port, [2, 0, 0, 0, 0, 3], 30).0, 2);

    let m = get(&format!("{}/metrics", server.api));
    assert_eq!(m.status, 200);
    let t = m.body;
    let v = |s: &str| value(&t, s).unwrap_or_else(|| panic!("no {s} in\n{t}"));
    assert_eq!(
        v("leasehold_packets_received_total{type=\"DISCOVER\"}"),
        2.0
    );
    assert_eq!(v("leasehold_packets_received_total{type=\"REQUEST\"}"), 3.0);
    assert_eq!(v("leasehold_packets_sent_total{type=\"OFFER\"}"), 2.0);
    assert_eq!(v("leasehold_packets_sent_total{type=\"ACK\"}"), 2.0);
    assert_eq!(v("leasehold_packets_sent_total{type=\"NAK\"}"), 1.0);
    assert_eq!(v("leasehold_parse_failures_total"), 1.0);
    assert_eq!(
        v("leasehold_packets_dropped_total{reason=\"parse_error\"}"),
        1.0
    );
    assert!(t.contains("leasehold_naks_total{reason="), "{t}");
    assert_eq!(v("leasehold_reply_latency_seconds_count"), 5.0);
    let pool = "subnet_id=\"1\",pool=\"0\",range=\"127.0.0.100-127.0.0.109\"";
    assert_eq!(
        v(&format!(
            "leasehold_pool_addresses{{{pool},state=\"assigned\"}}"
        )),
        2.0
    );
    assert_eq!(
        v(&format!(
            "leasehold_pool_addresses{{{pool},state=\"free\"}}"
        )),
        8.0
    );
    assert_eq!(
        v(&format!("leasehold_pool_capacity_addresses{{{pool}}}")),
        10.0
    );
    assert_eq!(
        v(&format!("leasehold_pool_utilization_ratio{{{pool}}}")),
        0.2
    );
    assert_eq!(
        v("leasehold_subnet_utilization_ratio{subnet_id=\"1\",subnet=\"127.0.0.0/8\"}"),
        0.2
    );
    assert!(v("leasehold_store_commits_total") >= 1.0);
    assert_eq!(v("leasehold_store_committed_leases_total"), 2.0);
    assert!(v("leasehold_store_commit_duration_seconds_count") >= 1.0);
    assert!(v("leasehold_store_last_batch_leases") >= 1.0);
    assert!(v("leasehold_store_max_batch_leases") >= 1.0);
    assert!(t.trim_end().ends_with("# EOF"));

    // A DECLINE (RFC 2131 §4.3.3) of a bound address: counted, and the address shows as declined.
    let mac = [2, 0, 0, 0, 0, 4];
    let (_, bound) = dora(&sock, server.port, mac, 40);
    let bound = bound.expect("ACKed address");
    let decline = request(
        MessageType::Decline,
        mac,
        42,
        &[
            (code::REQUESTED_IP, bound.octets().to_vec()),
            (code::SERVER_ID, vec![127, 0, 0, 1]),
        ],
    );
    sock.send_to(&decline, ("127.0.0.1", server.port))
        .expect("send DECLINE");
    // DECLINE has no reply; the next exchange is handled after it (one packet loop, in order).
    assert_eq!(dora(&sock, server.port, [2, 0, 0, 0, 0, 5], 50).0, 2);
    let m = get(&format!("{}/metrics", server.api));
    let t = m.body;
    let v = |s: &str| value(&t, s).unwrap_or_else(|| panic!("no {s} in\n{t}"));
    assert_eq!(v("leasehold_declines_total"), 1.0);
    assert_eq!(
        v(&format!(
            "leasehold_pool_addresses{{{pool},state=\"declined\"}}"
        )),
        1.0
    );
}
