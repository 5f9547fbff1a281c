//! The tokio runtime over 127.0.0.1 with a tiny UDP responder playing the DNS server.

mod support;

use leasehold_ddns::{
    run, ConflictResolution, Identity, Input, LeaseDns, Settings, Status, Updater, Want, Zone,
};
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::FakeDns;
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn updates_reach_a_server_on_loopback_and_shutdown_is_clean() {
    let key = support::key("ddns-key.", b"0123456789abcdef0123456789abcdef");
    let dns_socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind dns");
    let dns_addr = dns_socket.local_addr().expect("addr");
    // The fake verifies the requests' TSIG and signs its answers with the same key.
    let fake = Arc::new(Mutex::new(FakeDns::new(
        &["example.test.", "0.18.198.in-addr.arpa."],
        Some(&key),
    )));
    let responder = {
        let fake = fake.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 65_536];
            // Bounded: at most 100 requests, then the task ends.
            for _ in 0..100 {
                let Ok((len, from)) = dns_socket.recv_from(&mut buf).await else {
                    break;
                };
                let answer = {
                    let mut f = fake.lock().expect("lock");
                    f.handle_realtime(&buf[..len])
                };
                if let Some(a) = answer {
                    let _ = dns_socket.send_to(&a, from).await;
                }
            }
        })
    };

    let settings = Settings {
        zones: vec![
            Zone {
                name: "example.test.".into(),
                server: dns_addr,
                key: Some(key.clone()),
            },
            Zone {
                name: "0.18.198.in-addr.arpa.".into(),
                server: dns_addr,
                key: Some(key),
            },
        ],
        conflict: ConflictResolution::CheckWithDhcid,
        ..Settings::default()
    };
    let updater = Updater::new(settings, 99).expect("updater");
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind updater");
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let stats = Arc::new(Mutex::new(Status::default()));
    let cancel = CancellationToken::new();
    let task = tokio::spawn(run(updater, socket, rx, stats.clone(), cancel.clone()));

    let addr = Ipv4Addr::new(198, 18, 0, 10);
    tx.send(Input::Submit(LeaseDns {
        addr,
        identity: Identity::from_client_id(&[1, 2, 0, 0, 0, 0, 1]),
        want: Want::Present {
            fqdn: "host1.example.test.".into(),
            forward: true,
            reverse: true,
            ttl: 300,
        },
        replaces: None,
    }))
    .await
    .expect("send");

    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let done = {
            let f = fake.lock().expect("lock");
            !f.a("host1.example.test.").is_empty() && !f.ptr(addr).is_empty()
        };
        let s = stats.lock().expect("lock").stats.clone();
        if done && s.pending == 0 {
            assert_eq!(s.succeeded, 2, "{s:?}");
            assert!(s.is_consistent());
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no update in 10 s: {s:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        fake.lock().expect("lock").a("host1.example.test."),
        vec![addr]
    );

    cancel.cancel();
    let updater = tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("stops on cancel")
        .expect("task");
    assert!(updater.is_idle());
    responder.abort();
}
