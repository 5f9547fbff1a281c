//! Bad input over real UDP: traversal in every form, symlinks, malformed and oversized option
//! lists, unknown opcodes, an ERROR mid-transfer, a client that never ACKs, and 1,000
//! concurrent requests. After each, the service must still serve.

mod common;

use common::*;
use leasehold_bootfiles::tftp::packet::{encode_ack, encode_error, ErrorCode, Packet};
use leasehold_bootfiles::tftp::ErrorKind;
use std::net::SocketAddr;
use std::time::Duration;

/// Downloads `name` in lockstep with a raw client; returns the content.
async fn raw_download(server: SocketAddr, name: &str) -> Vec<u8> {
    let c = Raw::new(server).await;
    c.rrq(name.as_bytes(), &[]).await;
    let mut got = Vec::new();
    loop {
        let (bytes, from) = c.expect(name).await;
        let Ok(Packet::Data { block, data }) = Packet::parse(&bytes) else {
            panic!("{name}: expected DATA, got {bytes:?}");
        };
        got.extend_from_slice(data);
        c.socket.send_to(&encode_ack(block), from).await.unwrap();
        if data.len() < 512 {
            return got;
        }
    }
}

async fn still_serves(server: &Tftp, fx: &Fixture) {
    let got = raw_download(server.addr, "small.bin").await;
    assert_eq!(got, std::fs::read(fx.path("small.bin")).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traversal_and_outside_symlinks_are_refused() {
    let fx = Fixture::new();
    let server = Tftp::start(tftp_settings(fx.root.path())).await;
    let c = Raw::new(server.addr).await;
    let refused: &[&[u8]] = &[
        b"../x",
        b"../../../../etc/passwd",
        b"/etc/passwd",
        b"a/../../x",
        b"sub/../../x",
        b"..\\x",
        b"sub\\inner.bin",
        b"escape",
        b"up/etc/passwd",
        b"up/up/etc/passwd",
        b"\xff\xfe",
    ];
    for name in refused {
        c.rrq(name, &[]).await;
        let (bytes, _) = c.expect(&String::from_utf8_lossy(name)).await;
        assert_eq!(
            error_code(&bytes),
            Some(2),
            "{:?}: {bytes:?}",
            String::from_utf8_lossy(name)
        );
    }
    // Missing files and directories: "file not found".
    for name in [&b"nothing"[..], b"dir", b"sub/"] {
        c.rrq(name, &[]).await;
        let (bytes, _) = c.expect("missing").await;
        assert_eq!(error_code(&bytes), Some(1), "{name:?}: {bytes:?}");
    }
    // A NUL inside the name ends the name in TFTP; what follows becomes the mode, so this is
    // not a valid request at all: dropped and counted.
    c.send(b"\x00\x01small.bin\x00../../etc/passwd\x00octet\x00")
        .await;
    let stats = server.stats.clone();
    wait_for("malformed counted", Duration::from_secs(5), move || {
        stats.snapshot().error(ErrorKind::Malformed) == 1
    })
    .await;
    // A symlink pointing inside the root works.
    let got = raw_download(server.addr, "inside").await;
    assert_eq!(got, std::fs::read(fx.path("sub/inner.bin")).unwrap());
    let s = server.stats.snapshot();
    assert_eq!(
        s.error(ErrorKind::AccessViolation),
        refused.len() as u64,
        "{s:?}"
    );
    assert_eq!(s.error(ErrorKind::NotFound), 3, "{s:?}");
    assert_eq!(s.refused, refused.len() as u64 + 3, "{s:?}");
    assert_eq!(s.started, 1, "{s:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_oversized_option_lists() {
    let fx = Fixture::new();
    let server = Tftp::start(tftp_settings(fx.root.path())).await;
    let c = Raw::new(server.addr).await;
    // Dropped without an answer: counted as malformed.
    let mut many = rrq(b"small.bin", &[]);
    for i in 0..40 {
        many.extend_from_slice(format!("opt{i}\x001\x00").as_bytes());
    }
    let mut long = rrq(b"small.bin", &[]);
    long.extend_from_slice(b"blksize\x00");
    long.extend(std::iter::repeat_n(b'1', 600));
    long.push(0);
    let dropped: Vec<Vec<u8>> = vec![
        many,
        long,
        b"\x00\x01small.bin\x00octet\x00blksize\x00".to_vec(),
        b"\x00\x01small.bin\x00octet\x00blksize\x00512".to_vec(),
        b"\x00\x01small.bin\x00octet\x00blksize\x00512\x00BlkSize\x00512\x00".to_vec(),
        b"\x00\x01small.bin\x00octet\x00\x00512\x00".to_vec(),
        b"\x00\x01small.bin\x00mail\x00".to_vec(),
        b"\x00\x01small.bin".to_vec(),
    ];
    for d in &dropped {
        c.send(d).await;
    }
    let stats = server.stats.clone();
    let n = dropped.len() as u64;
    wait_for(
        "malformed requests counted",
        Duration::from_secs(5),
        move || stats.snapshot().error(ErrorKind::Malformed) == n,
    )
    .await;
    assert_eq!(server.stats.snapshot().started, 0);
    // Values out of range are ignored: plain RFC 1350 transfer, first DATA of 512 bytes.
    for opts in [
        vec![("blksize", "abc")],
        vec![("blksize", "4")],
        vec![("blksize", "100000")],
        vec![("timeout", "0")],
        vec![("windowsize", "0")],
        vec![("unknown", "1")],
    ] {
        let c = Raw::new(server.addr).await;
        c.rrq(b"small.bin", &opts).await;
        let (bytes, from) = c.expect("ignored options").await;
        match Packet::parse(&bytes) {
            Ok(Packet::Data { block: 1, data }) => assert_eq!(data.len(), 512, "{opts:?}"),
            other => panic!("{opts:?}: expected DATA 1, got {other:?}"),
        }
        c.socket
            .send_to(&encode_error(ErrorCode::NOT_DEFINED, b"enough"), from)
            .await
            .unwrap();
    }
    // Too large values are clamped to the server's limits in the OACK.
    let c = Raw::new(server.addr).await;
    c.rrq(
        b"small.bin",
        &[("windowsize", "1000"), ("blksize", "65464")],
    )
    .await;
    let (bytes, from) = c.expect("OACK").await;
    assert_eq!(
        Packet::parse(&bytes).unwrap(),
        Packet::Oack {
            options: vec![("windowsize", "16"), ("blksize", "1468")]
        }
    );
    c.socket.send_to(&encode_ack(0), from).await.unwrap();
    let (bytes, _) = c.expect("DATA after OACK").await;
    assert!(matches!(
        Packet::parse(&bytes),
        Ok(Packet::Data { block: 1, data }) if data.len() == 1468
    ));
    c.socket
        .send_to(&encode_error(ErrorCode::NOT_DEFINED, b"enough"), from)
        .await
        .unwrap();
    server.wait_idle().await;
    still_serves(&server, &fx).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_opcodes_and_stray_packets_are_dropped() {
    let fx = Fixture::new();
    let server = Tftp::start(tftp_settings(fx.root.path())).await;
    let c = Raw::new(server.addr).await;
    for junk in [
        &b""[..],
        b"\x00",
        b"\x00\x00",
        b"\x00\x07hello\x00",
        b"\xff\xff\xff\xff",
        b"\x00\x06",
    ] {
        c.send(junk).await;
    }
    // Valid packets that are not requests (no transfer has the listening port as its TID).
    c.send(&encode_ack(1)).await;
    c.send(b"\x00\x03\x00\x01data").await;
    c.send(&encode_error(ErrorCode::NOT_DEFINED, b"x")).await;
    let stats = server.stats.clone();
    wait_for("junk counted", Duration::from_secs(5), move || {
        let s = stats.snapshot();
        s.error(ErrorKind::Malformed) == 5 && s.error(ErrorKind::IllegalOperation) == 4
    })
    .await;
    assert!(
        c.recv(Duration::from_millis(1)).await.is_none(),
        "junk must not be answered"
    );
    still_serves(&server, &fx).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_from_client_mid_transfer_ends_it() {
    let fx = Fixture::new();
    let server = Tftp::start(tftp_settings(fx.root.path())).await;
    let c = Raw::new(server.addr).await;
    c.rrq(b"small.bin", &[]).await;
    let (bytes, tid) = c.expect("DATA 1").await;
    assert!(matches!(
        Packet::parse(&bytes),
        Ok(Packet::Data { block: 1, .. })
    ));
    assert_ne!(tid.port(), server.addr.port(), "a fresh TID per transfer");
    // A packet from another port to the transfer's TID does not disturb it.
    let stranger = Raw::new(tid).await;
    stranger
        .send(&encode_error(ErrorCode::NOT_DEFINED, b"spoof"))
        .await;
    c.socket.send_to(&encode_ack(1), tid).await.unwrap();
    let (bytes, _) = c.expect("DATA 2").await;
    assert!(matches!(
        Packet::parse(&bytes),
        Ok(Packet::Data { block: 2, .. })
    ));
    c.socket
        .send_to(&encode_error(ErrorCode::DISK_FULL, b"client gave up"), tid)
        .await
        .unwrap();
    server.wait_idle().await;
    let s = server.stats.snapshot();
    assert_eq!((s.started, s.completed, s.failed), (1, 0, 1), "{s:?}");
    assert_eq!(s.error(ErrorKind::PeerError), 1, "{s:?}");
    still_serves(&server, &fx).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_that_never_acks_is_given_up_after_retries() {
    let fx = Fixture::new();
    let settings = tftp_settings(fx.root.path()); // timeout 1 s, 2 retries
    let server = Tftp::start(settings).await;
    let c = Raw::new(server.addr).await;
    c.rrq(b"small.bin", &[]).await;
    let mut copies = 0;
    while let Some((bytes, _)) = c.recv(Duration::from_secs(3)).await {
        assert!(
            matches!(Packet::parse(&bytes), Ok(Packet::Data { block: 1, .. })),
            "{bytes:?}"
        );
        copies += 1;
        assert!(copies <= 3, "more than 1 + retries copies");
    }
    assert_eq!(copies, 3, "first DATA plus 2 retransmissions");
    server.wait_idle().await;
    let s = server.stats.snapshot();
    assert_eq!((s.started, s.failed, s.active), (1, 1, 0), "{s:?}");
    assert_eq!(s.error(ErrorKind::Timeout), 1, "{s:?}");
    still_serves(&server, &fx).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_client_limit() {
    let fx = Fixture::new();
    let mut settings = tftp_settings(fx.root.path());
    settings.max_transfers_per_client = 2;
    let server = Tftp::start(settings).await;
    let mut clients = Vec::new();
    for _ in 0..5 {
        let c = Raw::new(server.addr).await;
        c.rrq(b"small.bin", &[]).await;
        // Wait for this answer before the next request, so the order is known.
        let answer = c.expect("answer").await;
        clients.push((c, answer));
    }
    let kinds: Vec<Option<u16>> = clients.iter().map(|(_, (b, _))| error_code(b)).collect();
    assert_eq!(kinds, vec![None, None, Some(0), Some(0), Some(0)]);
    let s = server.stats.snapshot();
    assert_eq!(s.error(ErrorKind::Busy), 3, "{s:?}");
    assert_eq!(s.active, 2, "{s:?}");
    for (c, (_, from)) in &clients[..2] {
        c.socket
            .send_to(&encode_error(ErrorCode::NOT_DEFINED, b"done"), from)
            .await
            .unwrap();
    }
    server.wait_idle().await;
    still_serves(&server, &fx).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_requests_are_bounded() {
    const CLIENTS: usize = 1000;
    const MAX: usize = 32;
    // 1,000 client sockets plus the server's: raise the soft descriptor limit to the hard one.
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut limit = getrlimit(Resource::Nofile);
    limit.current = limit.maximum;
    setrlimit(Resource::Nofile, limit).expect("raise RLIMIT_NOFILE");
    let fx = Fixture::new();
    let mut settings = tftp_settings(fx.root.path());
    settings.max_transfers = MAX;
    settings.max_transfers_per_client = CLIENTS;
    let server = Tftp::start(settings).await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..CLIENTS {
        let addr = server.addr;
        tasks.spawn(async move {
            let c = Raw::new(addr).await;
            c.rrq(b"small.bin", &[]).await;
            let answer = c.recv(Duration::from_secs(10)).await;
            if let Some((bytes, from)) = &answer {
                if error_code(bytes).is_none() {
                    // Got DATA: end the transfer at once so the slot frees.
                    let bye = encode_error(ErrorCode::NOT_DEFINED, b"bye");
                    c.socket.send_to(&bye, from).await.unwrap();
                }
            }
            answer.map(|(bytes, _)| error_code(&bytes))
        });
    }
    let mut data = 0;
    let mut busy = 0;
    let mut silent = 0;
    let all = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(r) = tasks.join_next().await {
            match r.unwrap() {
                Some(None) => data += 1,
                Some(Some(0)) => busy += 1,
                Some(Some(code)) => panic!("unexpected ERROR {code}"),
                None => silent += 1,
            }
        }
    })
    .await;
    assert!(all.is_ok(), "clients did not finish within 60 s");
    eprintln!("{CLIENTS} requests: {data} served, {busy} busy, {silent} unanswered");
    server.wait_idle().await;
    let s = server.stats.snapshot();
    assert!(s.active_peak <= MAX as u64, "{s:?}");
    assert!(
        data >= 1,
        "some requests are served ({data} data, {busy} busy)"
    );
    // Every request is accounted for: started or refused (busy), none lost silently.
    assert_eq!(s.started + s.refused, CLIENTS as u64, "{s:?}");
    assert_eq!(s.started, data, "{s:?}");
    assert_eq!(s.error(ErrorKind::Busy), busy, "{s:?}");
    assert_eq!(silent, 0, "{data} data, {busy} busy, {silent} unanswered");
    assert_eq!(s.active, 0, "{s:?}");
    still_serves(&server, &fx).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_aborts_running_transfers() {
    let fx = Fixture::new();
    let server = Tftp::start(tftp_settings(fx.root.path())).await;
    let c = Raw::new(server.addr).await;
    c.rrq(b"small.bin", &[]).await;
    let (_, tid) = c.expect("DATA 1").await;
    let stats = server.stats.clone();
    server.stop().await;
    // A retransmitted DATA 1 may come first; then the ERROR.
    let (bytes, from) = loop {
        let (bytes, from) = c.expect("ERROR on shutdown").await;
        if error_code(&bytes).is_some() {
            break (bytes, from);
        }
    };
    assert_eq!(from, tid);
    assert_eq!(error_code(&bytes), Some(0));
    let s = stats.snapshot();
    assert_eq!((s.failed, s.active), (1, 0), "{s:?}");
    assert_eq!(s.error(ErrorKind::Aborted), 1, "{s:?}");
}
