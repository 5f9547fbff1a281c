//! Live reload on 127.0.0.1: under load (a client doing DORAs while the configuration is
//! reloaded through the API and by SIGHUP) no packet goes unanswered and no lease is lost; a
//! shrunk pool keeps its leases; an invalid file is refused with file:line and the old
//! configuration keeps serving.

mod observe_support;

use observe_support::{client, config_text, dora, get, post, start};
use std::collections::BTreeSet;
use std::process::Command;
use std::sync::mpsc;

const CLIENTS: u32 = 120;

#[test]
fn reload_under_load_loses_no_lease_and_drops_no_packet() {
    // Pools far larger than CLIENTS, so that the pool reserve never bites; and the pressure
    // defence off: CLIENTS new clients within a minute, each sending one DISCOVER, are what it
    // holds back (their first DISCOVERs would go unanswered).
    let security = "\n[security]\npressure = false\n";
    let server = start(&["127.0.1.0-127.0.1.255"], false, security);
    let port = server.port;
    let token = server.dir.path().join("token");
    let a = config_text(port, &["127.0.1.0-127.0.1.255"], Some(&token), security);
    let b = config_text(
        port,
        &["127.0.1.0-127.0.1.255", "127.0.2.0-127.0.2.255"],
        Some(&token),
        security,
    );

    // The client: CLIENTS full DORAs, counting replies; reports progress so reloads interleave.
    let (progress, rx) = mpsc::channel::<u32>();
    let load = std::thread::spawn(move || {
        let sock = client();
        let mut replies = 0u32;
        let mut acked = Vec::new();
        for i in 0..CLIENTS {
            let mac = [0x52, 0x54, 0, 0x10, (i >> 8) as u8, i as u8];
            let (n, addr) = dora(&sock, port, mac, 1000 + i * 2);
            replies += n;
            acked.extend(addr);
            let _ = progress.send(i);
        }
        (replies, acked)
    });

    // Reload every few DORAs, alternating configurations and mechanisms.
    let pid = server.process.pid().to_string();
    let mut reloads = 0;
    while let Ok(i) = rx.recv() {
        if i % 10 != 0 {
            continue;
        }
        let text = if reloads % 2 == 0 { &b } else { &a };
        std::fs::write(&server.config, text).expect("write config");
        if reloads % 3 == 2 {
            // Our own child, by PID.
            let st = Command::new("kill")
                .args(["-HUP", &pid])
                .status()
                .expect("kill -HUP");
            assert!(st.success());
        } else {
            let r = post(&format!("{}/api/config/reload", server.api), "", true);
            assert_eq!(r.status, 200, "{}", r.body);
        }
        reloads += 1;
    }
    let (replies, acked) = load.join().expect("load thread");
    assert!(reloads >= 10, "only {reloads} reloads");
    assert_eq!(replies, CLIENTS * 2, "every request got its reply");
    assert_eq!(acked.len() as u32, CLIENTS);

    // Every ACKed lease is in the table, bound, once.
    let page = get(&format!("{}/api/leases?state=bound&limit=1000", server.api)).json();
    let listed: BTreeSet<String> = page["leases"]
        .as_array()
        .expect("leases")
        .iter()
        .filter_map(|l| l["address"].as_str().map(str::to_string))
        .collect();
    let acked: BTreeSet<String> = acked.iter().map(|a| a.to_string()).collect();
    assert_eq!(acked.len() as u32, CLIENTS, "no address given twice");
    assert_eq!(listed, acked);
    let m = get(&format!("{}/metrics", server.api)).body;
    assert!(
        m.contains("leasehold_config_reloads_total{result=\"ok\"} "),
        "{m}"
    );
}

#[test]
fn shrunk_pool_keeps_leases_and_bad_config_is_refused() {
    let server = start(&["127.0.0.100-127.0.0.199"], false, "");
    let token = server.dir.path().join("token");
    let sock = client();
    let mut addrs = Vec::new();
    for i in 0..3u8 {
        let (_, a) = dora(
            &sock,
            server.port,
            [2, 0, 0, 0, 9, i],
            50 + u32::from(i) * 2,
        );
        addrs.push(a.expect("ack"));
    }
    // Shrink the pool to one address none of them holds... or does: either way leases stay.
    let small = config_text(server.port, &["127.0.0.190-127.0.0.199"], Some(&token), "");
    std::fs::write(&server.config, &small).expect("write");
    let r = post(&format!("{}/api/config/reload", server.api), "", true);
    assert_eq!(r.status, 200, "{}", r.body);
    for a in &addrs {
        let l = get(&format!("{}/api/leases/{a}", server.api)).json();
        assert_eq!(l["state"], "bound", "{a} lost on reload: {l}");
    }
    let pools = get(&format!("{}/api/pools", server.api)).json();
    assert_eq!(pools["pools"][0]["start"], "127.0.0.190");

    // A broken file is refused with its line; the old configuration keeps serving.
    std::fs::write(&server.config, format!("{small}\n[server2]\n")).expect("write");
    let r = post(&format!("{}/api/config/reload", server.api), "", true);
    assert_eq!(r.status, 422);
    let body = r.json();
    assert_eq!(body["reloaded"], false);
    assert!(body["error"]
        .as_str()
        .is_some_and(|e| e.contains("leasehold.toml:")));
    assert!(body["line"].as_u64().is_some());
    let (n, a) = dora(&sock, server.port, [2, 0, 0, 0, 9, 99], 90);
    assert_eq!(n, 2);
    let a = a.expect("still serving");
    assert!(a.octets()[3] >= 190, "served from the reloaded pool: {a}");
    let m = get(&format!("{}/metrics", server.api)).body;
    assert!(
        m.contains("leasehold_config_reloads_total{result=\"error\"} 1"),
        "{m}"
    );
}
