//! `[security]` on a running server (127.0.0.1, a `leasehold serve` child): a lease deleted
//! through the control API frees its place under a lease cap at once, and `[security]` limits
//! changed by a reload apply without a restart.

mod observe_support;

use leasehold_wire::MessageType;
use observe_support::{
    client_socket, config_text, delete, dora, exchange, get, post, request, start,
};
use std::time::Duration;

/// The value of `leasehold_packets_dropped_total{reason="REASON"}` (0 when absent).
fn dropped(api: &str, reason: &str) -> u64 {
    let text = get(&format!("{api}/metrics")).body;
    let key = format!("leasehold_packets_dropped_total{{reason=\"{reason}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&key))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map_or(0, |v| v as u64)
}

/// DISCOVERs from `mac` sent back to back: how many were answered with an OFFER.
fn offers(port: u16, mac: [u8; 6], xid: u32, n: u32) -> u32 {
    // Short timeout: the server answers in microseconds; a missing reply is confirmed by the
    // drop counter each caller checks afterwards.
    let sock = client_socket(Duration::from_millis(300));
    (0..n)
        .filter(|i| {
            let bytes = request(MessageType::Discover, mac, xid + i, &[]);
            exchange(&sock, port, &bytes, xid + i)
                .is_some_and(|p| p.message_type() == Some(MessageType::Offer))
        })
        .count() as u32
}

#[test]
fn api_delete_frees_a_lease_cap_and_reloaded_limits_apply_at_once() {
    let security = "\n[security]\nmax_leases_per_oui = 1\npool_reserve_threshold = 100\n";
    let server = start(&["127.0.0.100-127.0.0.199"], false, security);
    let (port, api) = (server.port, server.api.clone());
    let sock = client_socket(Duration::from_secs(10));

    // One address per OUI 52:54:00: the first client binds, the second is refused.
    let (_, a) = dora(&sock, port, [0x52, 0x54, 0, 0, 0x20, 1], 100);
    let a = a.expect("the first client is bound");
    assert_eq!(offers(port, [0x52, 0x54, 0, 0, 0x20, 2], 200, 1), 0);
    assert_eq!(dropped(&api, "lease_cap_oui"), 1, "refused by the OUI cap");

    // The operator deletes the first lease through the API: the cap's count follows at once.
    assert_eq!(delete(&format!("{api}/api/leases/{a}"), true).status, 200);
    let (_, b) = dora(&sock, port, [0x52, 0x54, 0, 0, 0x20, 2], 300);
    assert!(
        b.is_some(),
        "the second client is bound once the first lease is gone"
    );
    assert_eq!(dropped(&api, "lease_cap_oui"), 1);

    // Before the reload, the default client limit (burst 10) lets 3 quick DISCOVERs through.
    let other_oui = [0x02, 0, 0, 0, 0x30, 1];
    assert_eq!(offers(port, other_oui, 400, 3), 3);
    assert_eq!(dropped(&api, "rate_client"), 0);

    // Reload with a burst of 1: a new client's 3 quick DISCOVERs get one OFFER, 2 are dropped.
    let token = server.dir.path().join("token");
    let tighter = config_text(
        port,
        &["127.0.0.100-127.0.0.199"],
        Some(&token),
        &format!("{security}client_rate = 1\nclient_burst = 1\n"),
    );
    std::fs::write(&server.config, tighter).expect("write config");
    let reload = post(&format!("{api}/api/config/reload"), "", true);
    assert_eq!(reload.status, 200, "{}", reload.body);
    let warnings = reload.json()["warnings"].to_string();
    assert!(
        !warnings.contains("[security]"),
        "no restart asked: {warnings}"
    );
    assert_eq!(offers(port, [0x02, 0, 0, 0, 0x30, 2], 500, 3), 1);
    assert_eq!(dropped(&api, "rate_client"), 2, "the new limit applies");
}
