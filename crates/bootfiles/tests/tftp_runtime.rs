//! The runtime's socket handling: answers come from the local address a request was sent to
//! (IP_PKTINFO on 0.0.0.0), `interfaces` binds to devices, and start-up errors are typed.

mod common;

use common::*;
use leasehold_bootfiles::tftp::packet::{encode_ack, Packet};
use leasehold_bootfiles::tftp::{TftpServer, TftpStats};
use leasehold_bootfiles::BootFilesError;
use std::net::SocketAddr;
use std::sync::Arc;

/// Sends an RRQ for `exact512` to `to` and returns the address the DATA came from.
async fn first_data_source(to: SocketAddr) -> SocketAddr {
    let c = Raw::new(to).await;
    c.rrq(b"exact512", &[]).await;
    let (bytes, from) = c.expect("DATA 1").await;
    assert!(
        matches!(Packet::parse(&bytes), Ok(Packet::Data { block: 1, .. })),
        "{bytes:?}"
    );
    c.socket.send_to(&encode_ack(1), from).await.unwrap();
    let (bytes, _) = c.expect("DATA 2").await;
    assert!(matches!(
        Packet::parse(&bytes),
        Ok(Packet::Data { block: 2, data }) if data.is_empty()
    ));
    c.socket.send_to(&encode_ack(2), from).await.unwrap();
    from
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_any_address_answers_from_the_address_asked() {
    let fx = Fixture::new();
    let mut settings = tftp_settings(fx.root.path());
    settings.listen = "0.0.0.0:0".parse().unwrap();
    let server = Tftp::start(settings).await;
    let port = server.addr.port();
    for ip in ["127.0.0.1", "127.0.0.2"] {
        let to: SocketAddr = format!("{ip}:{port}").parse().unwrap();
        let from = first_data_source(to).await;
        assert_eq!(from.ip().to_string(), ip, "answer from the address asked");
        assert_ne!(from.port(), port, "answer from a fresh TID");
    }
    server.wait_idle().await;
    assert_eq!(server.stats.snapshot().completed, 2);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interfaces_bind_to_devices() {
    let fx = Fixture::new();
    let mut settings = tftp_settings(fx.root.path());
    settings.listen = "0.0.0.0:0".parse().unwrap();
    settings.interfaces = vec!["lo".into()];
    let server = Tftp::start(settings).await;
    let to: SocketAddr = format!("127.0.0.1:{}", server.addr.port()).parse().unwrap();
    first_data_source(to).await;
    server.wait_idle().await;
    assert_eq!(server.stats.snapshot().completed, 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_errors_are_typed() {
    let fx = Fixture::new();
    let stats = Arc::new(TftpStats::default());

    let mut s = tftp_settings(fx.root.path());
    s.interfaces = vec!["nosuchif0".into()];
    match TftpServer::bind(s, stats.clone()).await {
        Err(BootFilesError::Socket { interface, .. }) => {
            assert_eq!(interface.as_deref(), Some("nosuchif0"))
        }
        other => panic!("expected a socket error, got {other:?}"),
    }

    let taken = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut s = tftp_settings(fx.root.path());
    s.listen = taken.local_addr().unwrap();
    match TftpServer::bind(s, stats.clone()).await {
        Err(e @ BootFilesError::Bind { .. }) => {
            assert!(e.to_string().contains("cannot bind 127.0.0.1:"), "{e}")
        }
        other => panic!("expected a bind error, got {other:?}"),
    }

    let s = tftp_settings(&fx.path("no-such-dir"));
    assert!(matches!(
        TftpServer::bind(s, stats.clone()).await,
        Err(BootFilesError::Root { .. })
    ));
    let s = tftp_settings(&fx.path("small.bin"));
    assert!(matches!(
        TftpServer::bind(s, stats.clone()).await,
        Err(BootFilesError::Root { .. })
    ));
    let mut s = tftp_settings(fx.root.path());
    s.upload_dir = Some(fx.path("no-such-upload-dir"));
    assert!(matches!(
        TftpServer::bind(s, stats).await,
        Err(BootFilesError::Root { .. })
    ));
}
