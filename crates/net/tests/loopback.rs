//! Loopback tests of the server socket: nothing leaves the host, no privileged port is used.

use leasehold_net::{BindOptions, DhcpSocket, NetError};
use leasehold_wire::addressing::Destination;
use leasehold_wire::HwAddr;
use std::net::{Ipv4Addr, UdpSocket};
use std::time::Duration;

fn lo_index() -> u32 {
    nix::net::if_::if_nametoindex("lo").expect("lo exists")
}

fn loopback_opts() -> BindOptions {
    BindOptions {
        port: 0,
        interfaces: Vec::new(),
        bind_addr: Some(Ipv4Addr::LOCALHOST),
    }
}

async fn recv_with_timeout(sock: &DhcpSocket) -> leasehold_net::Received {
    let mut buf = vec![0u8; 65536];
    tokio::time::timeout(Duration::from_secs(5), sock.recv(&mut buf))
        .await
        .expect("datagram within 5 s")
        .expect("recv ok")
}

fn client() -> UdpSocket {
    let c = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).expect("client bind");
    c.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    c.set_broadcast(true).expect("broadcast");
    c
}

#[tokio::test]
async fn receive_reports_lo_and_local_address() {
    let server = DhcpSocket::bind(&loopback_opts()).expect("bind");
    let addr = server.local_addr().expect("local addr");
    assert_eq!(*addr.ip(), Ipv4Addr::LOCALHOST);
    let c = client();
    c.send_to(b"hello dhcp", addr).expect("send");
    let r = recv_with_timeout(&server).await;
    assert_eq!(r.len, 10);
    assert_eq!(*r.source.ip(), Ipv4Addr::LOCALHOST);
    assert_eq!(r.source.port(), c.local_addr().expect("addr").port());
    assert_eq!(r.ifindex, lo_index());
    assert_eq!(r.iface.as_deref(), Some("lo"));
    assert_eq!(r.local_addr, Ipv4Addr::LOCALHOST);
    assert_eq!(r.dst_addr, Ipv4Addr::LOCALHOST);
    let a = r.arrival();
    assert_eq!(
        (a.ifindex, a.local_addr, a.source),
        (r.ifindex, r.local_addr, r.source)
    );
}

#[tokio::test]
async fn interface_filter_accepts_listed_interface() {
    let opts = BindOptions {
        interfaces: vec!["lo".into()],
        ..loopback_opts()
    };
    let server = DhcpSocket::bind(&opts).expect("bind");
    let c = client();
    c.send_to(b"x", server.local_addr().expect("addr"))
        .expect("send");
    let r = recv_with_timeout(&server).await;
    assert_eq!(r.iface.as_deref(), Some("lo"));
    assert_eq!(server.dropped_foreign(), 0);
}

#[tokio::test]
async fn unicast_reply_comes_from_the_server_port() {
    let server = DhcpSocket::bind(&loopback_opts()).expect("bind");
    let saddr = server.local_addr().expect("addr");
    let c = client();
    let caddr = c.local_addr().expect("addr");
    let dest = Destination::Unicast {
        addr: Ipv4Addr::LOCALHOST,
        port: caddr.port(),
    };
    server
        .send(b"reply", &dest, lo_index(), Ipv4Addr::LOCALHOST)
        .await
        .expect("send");
    let mut buf = [0u8; 64];
    let (n, from) = c.recv_from(&mut buf).expect("reply within 5 s");
    assert_eq!(&buf[..n], b"reply");
    assert_eq!(from, std::net::SocketAddr::V4(saddr));
    let relay = Destination::Relay {
        addr: Ipv4Addr::LOCALHOST,
        port: caddr.port(),
    };
    server
        .send(b"relay", &relay, 0, Ipv4Addr::UNSPECIFIED)
        .await
        .expect("send");
    let (n, _) = c.recv_from(&mut buf).expect("relay reply within 5 s");
    assert_eq!(&buf[..n], b"relay");
}

#[tokio::test]
async fn port_in_use_names_the_fix() {
    let first = DhcpSocket::bind(&loopback_opts()).expect("bind");
    let port = first.local_addr().expect("addr").port();
    let err = DhcpSocket::bind(&BindOptions {
        port,
        ..loopback_opts()
    })
    .expect_err("in use");
    assert!(
        matches!(err, NetError::PortInUse { port: p } if p == port),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("UDP port {port} is already in use")),
        "{msg}"
    );
    assert!(
        msg.contains(&format!("ss -ulpn 'sport = :{port}'")),
        "{msg}"
    );
    assert!(!msg.contains('\n'));
}

#[tokio::test]
async fn missing_interface_names_the_fix() {
    let opts = BindOptions {
        interfaces: vec!["eth9nope".into()],
        ..loopback_opts()
    };
    let err = DhcpSocket::bind(&opts).expect_err("no such interface");
    assert_eq!(
        err.to_string(),
        "interface eth9nope does not exist: `ip link` lists them"
    );
    let opts = BindOptions {
        interfaces: vec!["x".repeat(20)],
        ..loopback_opts()
    };
    assert!(matches!(
        DhcpSocket::bind(&opts),
        Err(NetError::BadInterfaceName { .. })
    ));
}

#[test]
fn bind_outside_a_runtime_is_an_error_not_a_panic() {
    let err = DhcpSocket::bind(&loopback_opts()).expect_err("no runtime");
    assert!(err.to_string().contains("tokio runtime"), "{err}");
}

/// A broadcast reply leaves through the arrival interface (here `lo`, where the kernel loops it
/// back to a socket bound to the wildcard address).
#[tokio::test]
async fn broadcast_and_hw_fallback_reach_a_wildcard_client_on_lo() {
    let server = DhcpSocket::bind(&BindOptions::new(0)).expect("bind");
    let c = client();
    let cport = c.local_addr().expect("addr").port();
    let mut buf = [0u8; 64];
    let bcast = Destination::Broadcast { port: cport };
    server
        .send(b"bcast", &bcast, lo_index(), Ipv4Addr::LOCALHOST)
        .await
        .expect("send");
    let (n, _) = c.recv_from(&mut buf).expect("broadcast within 5 s");
    assert_eq!(&buf[..n], b"bcast");
    // lo has no ARP, and a 20-octet InfiniBand-style chaddr is not Ethernet: both fall back
    // to broadcast on the arrival interface.
    for hw in [
        HwAddr::ethernet([2, 0, 0, 0, 0, 1]),
        HwAddr::new(32, &[7; 16]).expect("hw"),
    ] {
        let dest = Destination::UnicastToHw {
            addr: Ipv4Addr::new(127, 0, 0, 77),
            hw,
            port: cport,
        };
        server
            .send(b"hw", &dest, lo_index(), Ipv4Addr::LOCALHOST)
            .await
            .expect("send");
        let (n, _) = c.recv_from(&mut buf).expect("fallback within 5 s");
        assert_eq!(&buf[..n], b"hw");
    }
}
