//! The relay runtime on 127.0.0.1, with a fake server on 127.0.0.2 and a fake client socket: no
//! root, no real interface. On loopback the relay delivers would-be broadcasts to
//! 127.0.0.1:client_port (see `run::adjust_for_loopback`).

use leasehold_relay::{DropReason, Relay, RelayConfig};
use leasehold_wire::options::code;
use leasehold_wire::{HwAddr, MessageType, Op, Options, Packet, BROADCAST_FLAG};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(5);
const FAKE_SERVER: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

fn discover() -> Packet {
    let mut options = Options::new();
    options.insert(code::MESSAGE_TYPE, vec![MessageType::Discover.code()]);
    Packet {
        flags: BROADCAST_FLAG,
        options,
        ..Packet::boot_request(HwAddr::ethernet([2, 0, 0, 0, 0, 7]), 0xfeed_f00d)
    }
}

async fn recv_packet(sock: &UdpSocket) -> (Packet, SocketAddr) {
    let mut buf = vec![0u8; 2048];
    let (n, from) = timeout(WAIT, sock.recv_from(&mut buf))
        .await
        .expect("datagram within 5 s")
        .expect("recv");
    (Packet::parse(&buf[..n]).expect("valid packet"), from)
}

#[tokio::test]
async fn discover_offer_through_the_relay() {
    let server = UdpSocket::bind((FAKE_SERVER, 0))
        .await
        .expect("bind fake server on 127.0.0.2");
    let port = server.local_addr().expect("addr").port();
    let client = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind client");
    let client_port = client.local_addr().expect("addr").port();

    let mut cfg = RelayConfig::new(vec!["lo".into()], vec![FAKE_SERVER]);
    cfg.server_port = port;
    cfg.client_port = client_port;
    cfg.bind_address = Some(Ipv4Addr::LOCALHOST);
    cfg.remote_id = Some("loop-test".into());
    let relay = Relay::bind(cfg).expect("relay binds 127.0.0.1:<port>");
    let relay_addr = relay.local_addr().expect("relay addr");
    let agent = relay.agent();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(relay.run(async {
        let _ = stopped.await;
    }));

    // Client → relay → server.
    let bytes = discover().encode(&Default::default()).expect("encode");
    client
        .send_to(&bytes, relay_addr)
        .await
        .expect("send discover");
    let (relayed, from) = recv_packet(&server).await;
    assert_eq!(
        from,
        SocketAddr::V4(relay_addr),
        "relayed from the relay port (RFC 8357)"
    );
    assert_eq!(relayed.giaddr, Ipv4Addr::LOCALHOST);
    assert_eq!(relayed.hops, 1);
    let info = relayed.options.relay_agent_info().expect("option 82");
    assert_eq!(info.circuit_id(), Some(&b"lo"[..]));
    assert_eq!(info.remote_id(), Some(&b"loop-test"[..]));
    assert!(info.wants_source_port());

    // A reply from an address that is not a configured server goes nowhere.
    let rogue = UdpSocket::bind((Ipv4Addr::new(127, 0, 0, 3), 0))
        .await
        .expect("bind rogue");
    let mut offer = Packet::reply_to(&relayed);
    offer.yiaddr = Ipv4Addr::new(198, 18, 10, 50);
    offer
        .options
        .insert(code::MESSAGE_TYPE, vec![MessageType::Offer.code()]);
    offer
        .options
        .insert(code::SERVER_ID, FAKE_SERVER.octets().to_vec());
    offer
        .options
        .insert(code::RELAY_AGENT_INFO, info.to_bytes());
    let offer_bytes = offer.encode(&Default::default()).expect("encode");
    rogue
        .send_to(&offer_bytes, from)
        .await
        .expect("send rogue offer");

    // Server → relay → client, option 82 removed.
    server
        .send_to(&offer_bytes, from)
        .await
        .expect("send offer");
    let (delivered, from) = recv_packet(&client).await;
    assert_eq!(from, SocketAddr::V4(relay_addr));
    assert_eq!(delivered.op, Op::BootReply);
    assert_eq!(delivered.xid, 0xfeed_f00d);
    assert_eq!(delivered.yiaddr, offer.yiaddr);
    assert!(!delivered.options.contains(code::RELAY_AGENT_INFO));

    let stats = agent.stats().snapshot();
    assert_eq!(stats.forwarded, 1);
    assert_eq!(stats.delivered, 1);
    assert_eq!(stats.dropped(DropReason::UnknownServer), 1, "{stats:?}");

    let _ = stop.send(());
    timeout(WAIT, task)
        .await
        .expect("relay stops")
        .expect("join")
        .expect("clean exit");
}
