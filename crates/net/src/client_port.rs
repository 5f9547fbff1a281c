//! A socket on the DHCP client port for watching and probing other servers.
//!
//! The rogue-server monitor and `leasehold probe` listen where clients listen (UDP port 68) to
//! see the OFFERs and ACKs other servers broadcast, and send DISCOVERs to the server port out of
//! one chosen interface:
//!
//! - [`client_socket`]: the UDP socket, with `SO_REUSEADDR` so it coexists with a DHCP client on
//!   the same host (unlike the server's own [`crate::DhcpSocket`], which refuses to share).
//! - [`recv_with_ifindex`]: one datagram with its source and arrival interface (IP_PKTINFO).
//! - [`send_broadcast`]: one datagram to 255.255.255.255 out of one interface (IP_PKTINFO).
//!
//! Receiving and sending go through the same `recvmsg`/`sendmsg` code as the server socket
//! ([`crate::socket`]), so there is one IP_PKTINFO builder in the crate.

use crate::socket::{recv_raw, send_raw};
use nix::sys::socket::{setsockopt, sockopt};
use socket2::{Domain, Protocol, Socket, Type};
use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::fd::{AsFd, AsRawFd};

/// A UDP socket on `0.0.0.0:port` with `SO_REUSEADDR` (so it coexists with a DHCP client on
/// the same host), `SO_BROADCAST` and `IP_PKTINFO`, bound to `device` when given (that needs
/// `CAP_NET_RAW`). Blocking; make it non-blocking for tokio.
pub fn client_socket(port: u16, device: Option<&str>) -> io::Result<Socket> {
    let sock = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    sock.set_reuse_address(true)?;
    sock.set_broadcast(true)?;
    setsockopt(&sock, sockopt::Ipv4PacketInfo, &true).map_err(io::Error::from)?;
    if let Some(dev) = device {
        sock.bind_device(Some(dev.as_bytes()))?;
    }
    sock.bind(&SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port)).into())?;
    Ok(sock)
}

/// One datagram received on the client port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientDatagram {
    /// Bytes written to the caller's buffer.
    pub len: usize,
    /// IP source address and UDP source port (`0.0.0.0:0` if the kernel did not say).
    pub source: SocketAddrV4,
    /// Kernel index of the arrival interface, 0 if the kernel did not say.
    pub ifindex: u32,
    /// The datagram was longer than the buffer and was cut short: do not parse it.
    pub truncated: bool,
}

/// Receives one datagram on `sock` (a [`client_socket`], or any UDP socket with `IP_PKTINFO`)
/// into `buf`, with its source and arrival interface. Give it 64 KiB; a longer datagram is
/// reported [`truncated`](ClientDatagram::truncated).
pub fn recv_with_ifindex(sock: &impl AsFd, buf: &mut [u8]) -> io::Result<ClientDatagram> {
    let raw = recv_raw(sock.as_fd().as_raw_fd(), buf)?;
    Ok(ClientDatagram {
        len: raw.len,
        source: raw
            .source
            .unwrap_or_else(|| SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)),
        ifindex: raw.ifindex,
        truncated: raw.truncated,
    })
}

/// Sends `bytes` to 255.255.255.255:`port` out of interface `ifindex` (IP_PKTINFO), e.g. a
/// probe DISCOVER to the server port. Returns the bytes sent.
pub fn send_broadcast(
    sock: &impl AsFd,
    bytes: &[u8],
    port: u16,
    ifindex: u32,
) -> io::Result<usize> {
    send_out_of(
        sock,
        bytes,
        SocketAddrV4::new(Ipv4Addr::BROADCAST, port),
        ifindex,
    )
}

/// Sends `bytes` to `to` out of interface `ifindex`, the source address left to the kernel.
fn send_out_of(
    sock: &impl AsFd,
    bytes: &[u8],
    to: SocketAddrV4,
    ifindex: u32,
) -> io::Result<usize> {
    send_raw(
        sock.as_fd().as_raw_fd(),
        bytes,
        to,
        ifindex,
        Ipv4Addr::UNSPECIFIED,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Loopback only: a datagram sent out of `lo` to the socket's port arrives with `lo`'s
    /// index and the sender's address; one longer than the buffer is flagged, not handed on.
    #[test]
    fn receives_with_the_arrival_interface_on_loopback() {
        let lo = nix::net::if_::if_nametoindex("lo").expect("lo");
        let rx = client_socket(0, None).expect("bind an ephemeral port");
        rx.set_read_timeout(Some(Duration::from_secs(2)))
            .expect("timeout");
        let port = rx
            .local_addr()
            .ok()
            .and_then(|a| a.as_socket_ipv4())
            .map(|a| a.port())
            .expect("an IPv4 port");
        let tx = client_socket(0, None).expect("bind the sender");
        let tx_port = tx
            .local_addr()
            .ok()
            .and_then(|a| a.as_socket_ipv4())
            .map(|a| a.port())
            .expect("an IPv4 port");
        let to = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port);

        assert_eq!(send_out_of(&tx, b"offer", to, lo).expect("send"), 5);
        let mut buf = [0u8; 64];
        let d = recv_with_ifindex(&rx, &mut buf).expect("a datagram within 2 s");
        assert_eq!(buf.get(..d.len), Some(&b"offer"[..]));
        assert_eq!(d.ifindex, lo);
        assert_eq!(d.source, SocketAddrV4::new(Ipv4Addr::LOCALHOST, tx_port));
        assert!(!d.truncated);

        send_out_of(&tx, &[7u8; 100], to, lo).expect("send");
        let mut small = [0u8; 16];
        let d = recv_with_ifindex(&rx, &mut small).expect("a datagram within 2 s");
        assert!(d.truncated, "a datagram longer than the buffer is flagged");
    }
}
