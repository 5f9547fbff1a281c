//! Proxy DHCP over real sockets (loopback, ephemeral ports): with a `proxy = true` subnet the
//! server also listens on `pxe_port`; a PXE client's DISCOVER on the server port gets a
//! ProxyDHCP OFFER (no address), and its REQUEST to the PXE port an ACK from that port.

use leasehold_engine::Config;
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

fn config(port: u16, pxe_port: u16) -> Config {
    let text = format!(
        "[server]\nlisten_address = \"127.0.0.1\"\nserver_port = {port}\nclient_port = {}\n\
         pxe_port = {pxe_port}\n\n\
         [[class]]\nname = \"pxe\"\nvendor_class = \"PXEClient\"\nboot_file = \"undionly.kpxe\"\n\
         next_server = \"127.0.0.1\"\n\n\
         [[subnet]]\nsubnet = \"127.0.0.0/8\"\nproxy = true\n",
        port + 1
    );
    Config::from_toml(&text, Path::new("pxe-port.toml")).expect("config")
}

/// Sends a PXE client's message of type `t` to `port` and returns the reply and its source port
/// (bounded wait).
fn exchange(sock: &UdpSocket, port: u16, t: MessageType, ciaddr: Ipv4Addr) -> (Packet, u16) {
    let mut p = Packet::boot_request(HwAddr::ethernet([0x52, 0x54, 0, 9, 9, 8]), 0x4011_0001);
    p.ciaddr = ciaddr;
    p.options.insert(code::MESSAGE_TYPE, vec![t.code()]);
    p.options.insert(
        code::VENDOR_CLASS_ID,
        b"PXEClient:Arch:00000:UNDI:002001".to_vec(),
    );
    p.options.insert(code::CLIENT_ARCH, vec![0, 0]);
    let bytes = p.encode(&EncodeParams::default()).expect("encode");
    sock.send_to(&bytes, ("127.0.0.1", port)).expect("send");
    let mut buf = [0u8; 1500];
    let (n, from) = sock
        .recv_from(&mut buf)
        .expect("a reply within the timeout");
    (Packet::parse(&buf[..n]).expect("reply parses"), from.port())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_offer_on_the_server_port_and_ack_from_the_pxe_port() {
    let (port, pxe_port) = (free_port(), free_port());
    let options = ServeOptions::new(
        Arc::new(config(port, pxe_port)),
        PathBuf::from("pxe-port.toml"),
        None,
    );
    let running = leasehold_server::start(options, Box::new(MemoryStore::new()))
        .await
        .expect("server starts");
    tokio::task::spawn_blocking(move || {
        let sock = UdpSocket::bind("127.0.0.1:0").expect("client socket");
        sock.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let (offer, from) = exchange(&sock, port, MessageType::Discover, Ipv4Addr::UNSPECIFIED);
        assert_eq!(offer.message_type(), Some(MessageType::Offer));
        assert_eq!(from, port);
        assert_eq!(offer.yiaddr, Ipv4Addr::UNSPECIFIED);
        assert_eq!(offer.file, b"undionly.kpxe");
        assert_eq!(
            offer.options.get(code::VENDOR_CLASS_ID),
            Some(&b"PXEClient"[..])
        );
        let (ack, from) = exchange(&sock, pxe_port, MessageType::Request, Ipv4Addr::LOCALHOST);
        assert_eq!(ack.message_type(), Some(MessageType::Ack));
        assert_eq!(from, pxe_port, "the ACK leaves from the PXE port");
        assert_eq!(ack.file, b"undionly.kpxe");
        assert_eq!(ack.siaddr, Ipv4Addr::LOCALHOST);
    })
    .await
    .expect("client");
    running.stop().await.expect("every service stops cleanly");
}
