//! A whole server started in-process on an in-memory store (loopback, an ephemeral port): a
//! DORA over UDP, the lease seen through the control handle, a lease deleted through it, and a
//! clean stop that joins every service.

use leasehold_engine::Config;
use leasehold_server::handle::ControlRequest;
use leasehold_server::ServeOptions;
use leasehold_store::MemoryStore;
use leasehold_wire::options::code;
use leasehold_wire::{EncodeParams, HwAddr, MessageType, Packet};
use std::net::{Ipv4Addr, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

fn free_port() -> u16 {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
    s.local_addr().expect("addr").port()
}

fn config(port: u16) -> Config {
    let text = format!(
        "[server]\nlisten_address = \"127.0.0.1\"\nserver_port = {port}\nclient_port = {}\n\n\
         [[subnet]]\nsubnet = \"127.0.0.0/8\"\n[[subnet.pool]]\nrange = \"127.0.0.100-127.0.0.199\"\n",
        port + 1
    );
    Config::from_toml(&text, Path::new("in-process.toml")).expect("config")
}

/// Sends a message of type `t` and returns the reply (bounded wait).
fn exchange(sock: &UdpSocket, port: u16, t: MessageType, extra: &[(u8, Vec<u8>)]) -> Packet {
    let mut p = Packet::boot_request(HwAddr::ethernet([0x52, 0x54, 0, 9, 9, 9]), 0x1234_5678);
    p.options.insert(code::MESSAGE_TYPE, vec![t.code()]);
    for (c, v) in extra {
        p.options.insert(*c, v.clone());
    }
    let bytes = p.encode(&EncodeParams::default()).expect("encode");
    sock.send_to(&bytes, ("127.0.0.1", port)).expect("send");
    let mut buf = [0u8; 1500];
    let (n, _) = sock
        .recv_from(&mut buf)
        .expect("a reply within the timeout");
    Packet::parse(&buf[..n]).expect("reply parses")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dora_lookup_delete_and_clean_stop() {
    let port = free_port();
    let options = ServeOptions::new(
        Arc::new(config(port)),
        PathBuf::from("in-process.toml"),
        None,
    );
    let running = leasehold_server::start(options, Box::new(MemoryStore::new()))
        .await
        .expect("server starts");
    let handle = running.handle.clone();

    let addr = tokio::task::spawn_blocking(move || {
        let sock = UdpSocket::bind("127.0.0.1:0").expect("client socket");
        sock.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let offer = exchange(&sock, port, MessageType::Discover, &[]);
        assert_eq!(offer.message_type(), Some(MessageType::Offer));
        let sid = offer.options.server_id().expect("server id");
        let ack = exchange(
            &sock,
            port,
            MessageType::Request,
            &[
                (code::SERVER_ID, sid.octets().to_vec()),
                (code::REQUESTED_IP, offer.yiaddr.octets().to_vec()),
            ],
        );
        assert_eq!(ack.message_type(), Some(MessageType::Ack));
        assert_eq!(ack.yiaddr, offer.yiaddr);
        ack.yiaddr
    })
    .await
    .expect("client");
    assert!(addr >= Ipv4Addr::new(127, 0, 0, 100) && addr <= Ipv4Addr::new(127, 0, 0, 199));

    let view = handle
        .ask(|reply| ControlRequest::GetLease { addr, reply })
        .await
        .expect("answer")
        .expect("the lease is in the table");
    assert_eq!(view.state, "bound");
    let ticket = handle
        .ask(|reply| ControlRequest::DeleteLease { addr, reply })
        .await
        .expect("answer")
        .expect("deleted");
    ticket.await.expect("the delete is durable");
    let pools = handle
        .ask(|reply| ControlRequest::Pools { reply })
        .await
        .expect("answer");
    assert_eq!(
        pools.pools[0].assigned, 0,
        "the pool shows the address free"
    );

    running.stop().await.expect("every service stops cleanly");
    // After the stop, nothing answers on the control handle.
    assert!(handle
        .ask(|reply| ControlRequest::Health { reply })
        .await
        .is_err());
}
