//! Link-layer capture of UDP datagrams (`AF_PACKET`), to learn *which machine* sent a datagram.
//!
//! A UDP socket never sees the Ethernet header, so a rogue DHCP server's MAC address cannot be
//! read from it. [`PacketSocket`] is an `AF_PACKET`/`SOCK_DGRAM` socket for IPv4 on one
//! interface (or all of them) with a classic BPF filter that lets through only unfragmented
//! UDP datagrams to one destination port, so the kernel queues nothing else for it. Each
//! [`recv_frame`](PacketSocket::recv_frame) reports the frame's source hardware address
//! (`sll_addr` of the `struct sockaddr_ll` that `recvfrom` fills in), the interface it arrived
//! on and whether it was one of our own outgoing frames; [`parse_ipv4_udp`] then reads the IPv4
//! and UDP headers (panic-free on any input) and returns the UDP payload.
//!
//! Opening the socket needs **`CAP_NET_RAW`** (kept by the privilege drop); without it the
//! caller falls back to the neighbour table ([`crate::neigh`]).
//!
//! [`AsyncPacketSocket`] is the same registered with the tokio reactor.
//!
//! (A *capture* of IP packets off the link; a DHCP message is `leasehold_wire::Packet`.)
//!
//! The only `unsafe` here: the `bind(2)` call with a `struct sockaddr_ll` (neither `socket2`
//! nor `nix` builds one safely) and tokio's `AsyncFd::register` (its safety contract is that the
//! descriptor stays open and the same while registered, which an owned [`PacketSocket`]
//! guarantees). Receiving uses `nix::sys::socket::recvfrom::<LinkAddr>`.
#![allow(unsafe_code)]

use crate::mac::MacAddr;
use nix::sys::socket::{recvfrom, LinkAddr};
use socket2::{Domain, SockFilter, Socket, Type};
use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::time::Duration;
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

/// EtherType of IPv4 (`ETH_P_IP`).
const ETH_P_IP: u16 = 0x0800;
/// `sll_pkttype` of a frame this host sent (`PACKET_OUTGOING`, `<linux/if_packet.h>`).
const PACKET_OUTGOING: u8 = 4;
/// `sll_hatype` of Ethernet (`ARPHRD_ETHER`, `<net/if_arp.h>`).
const ARPHRD_ETHER: u16 = 1;
/// IP protocol number of UDP.
const IPPROTO_UDP: u8 = 17;

// Classic BPF opcodes (`<linux/filter.h>`): class | size | mode, or class | op | source.
/// `BPF_LD | BPF_B | BPF_ABS` (0x00 | 0x10 | 0x20).
const BPF_LD_B_ABS: u16 = 0x30;
/// `BPF_LD | BPF_H | BPF_ABS` (0x00 | 0x08 | 0x20).
const BPF_LD_H_ABS: u16 = 0x28;
/// `BPF_LD | BPF_H | BPF_IND` (0x00 | 0x08 | 0x40).
const BPF_LD_H_IND: u16 = 0x48;
/// `BPF_LDX | BPF_B | BPF_MSH` (0x01 | 0x10 | 0xa0).
const BPF_LDX_B_MSH: u16 = 0xb1;
/// `BPF_ALU | BPF_AND | BPF_K` (0x04 | 0x50 | 0x00).
const BPF_ALU_AND_K: u16 = 0x54;
/// `BPF_JMP | BPF_JEQ | BPF_K` (0x05 | 0x10 | 0x00).
const BPF_JMP_JEQ_K: u16 = 0x15;
/// `BPF_JMP | BPF_JSET | BPF_K` (0x05 | 0x40 | 0x00).
const BPF_JMP_JSET_K: u16 = 0x45;
/// `BPF_RET | BPF_K` (0x06 | 0x00).
const BPF_RET_K: u16 = 0x06;

/// The filter: on an `SOCK_DGRAM` packet socket, offset 0 is the IPv4 header.
///
/// ```text
/// 0  ldb  [0]              ; version/IHL
/// 1  and  #0xf0
/// 2  jeq  #0x40, 3, drop   ; IPv4
/// 3  ldb  [9]
/// 4  jeq  #17, 5, drop     ; UDP
/// 5  ldh  [6]
/// 6  jset #0x3fff, drop, 7 ; no fragments (MF or an offset)
/// 7  ldxb 4*([0]&0xf)      ; X = IP header length
/// 8  ldh  [x+2]            ; UDP destination port
/// 9  jeq  #port, 10, drop
/// 10 ret  #65535           ; accept the whole datagram
/// 11 ret  #0               ; drop
/// ```
fn udp_port_filter(port: u16) -> [SockFilter; 12] {
    [
        SockFilter::new(BPF_LD_B_ABS, 0, 0, 0),
        SockFilter::new(BPF_ALU_AND_K, 0, 0, 0xf0),
        SockFilter::new(BPF_JMP_JEQ_K, 0, 8, 0x40),
        SockFilter::new(BPF_LD_B_ABS, 0, 0, 9),
        SockFilter::new(BPF_JMP_JEQ_K, 0, 6, u32::from(IPPROTO_UDP)),
        SockFilter::new(BPF_LD_H_ABS, 0, 0, 6),
        SockFilter::new(BPF_JMP_JSET_K, 4, 0, 0x3fff),
        SockFilter::new(BPF_LDX_B_MSH, 0, 0, 0),
        SockFilter::new(BPF_LD_H_IND, 0, 0, 2),
        SockFilter::new(BPF_JMP_JEQ_K, 0, 1, u32::from(port)),
        SockFilter::new(BPF_RET_K, 0, 0, 65535),
        SockFilter::new(BPF_RET_K, 0, 0, 0),
    ]
}

/// What the kernel said about one captured frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameInfo {
    /// Bytes of the IPv4 packet written to the buffer.
    pub len: usize,
    /// Interface it arrived on (or left by).
    pub ifindex: u32,
    /// The frame's source hardware address, when the link is Ethernet.
    pub src_mac: Option<MacAddr>,
    /// True for a frame this host sent (a packet socket sees both directions).
    pub outgoing: bool,
}

/// The addresses and payload of one UDP datagram read out of an IPv4 packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UdpDatagram<'a> {
    /// IP source address and UDP source port.
    pub src: SocketAddrV4,
    /// IP destination address and UDP destination port.
    pub dst: SocketAddrV4,
    /// The UDP payload (as long as the UDP length field says).
    pub payload: &'a [u8],
}

/// Reads the IPv4 and UDP headers of `packet` (starting at the IP header). `None` unless it is
/// a well-formed, unfragmented IPv4/UDP packet that fits in `packet`; trailing bytes past the
/// IP total length (Ethernet padding) are ignored. Never panics.
pub fn parse_ipv4_udp(packet: &[u8]) -> Option<UdpDatagram<'_>> {
    let vihl = *packet.first()?;
    if vihl >> 4 != 4 {
        return None;
    }
    let ihl = usize::from(vihl & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([*packet.get(2)?, *packet.get(3)?]));
    if ihl < 20 || total < ihl + 8 {
        return None;
    }
    let ip = packet.get(..total)?;
    let frag = u16::from_be_bytes([*ip.get(6)?, *ip.get(7)?]);
    if frag & 0x3fff != 0 || *ip.get(9)? != IPPROTO_UDP {
        return None;
    }
    let addr = |at: usize| -> Option<Ipv4Addr> {
        let b = ip.get(at..at + 4)?;
        Some(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
    };
    let (src_ip, dst_ip) = (addr(12)?, addr(16)?);
    let udp = ip.get(ihl..)?;
    let word =
        |at: usize| -> Option<u16> { Some(u16::from_be_bytes([*udp.get(at)?, *udp.get(at + 1)?])) };
    let (sport, dport, ulen) = (word(0)?, word(2)?, usize::from(word(4)?));
    if ulen < 8 {
        return None;
    }
    Some(UdpDatagram {
        src: SocketAddrV4::new(src_ip, sport),
        dst: SocketAddrV4::new(dst_ip, dport),
        payload: udp.get(8..ulen)?,
    })
}

/// An `AF_PACKET` socket receiving the IPv4 UDP datagrams to one port on one interface (or on
/// every interface).
#[derive(Debug)]
pub struct PacketSocket {
    sock: Socket,
    port: u16,
}

impl PacketSocket {
    /// Opens the socket for UDP destination port `udp_port` on interface `ifindex` (0: every
    /// interface). Needs `CAP_NET_RAW` (`EPERM` otherwise). Blocking until
    /// [`set_nonblocking`](Self::set_nonblocking).
    pub fn bind(ifindex: u32, udp_port: u16) -> io::Result<PacketSocket> {
        // Protocol 0 receives nothing until bound, so no unfiltered frame is ever queued: the
        // filter is attached first, then `bind` names the protocol and the interface.
        let sock = Socket::new(Domain::PACKET, Type::DGRAM, None)?;
        sock.set_cloexec(true)?;
        sock.attach_filter(&udp_port_filter(udp_port))?;
        let sll = libc::sockaddr_ll {
            sll_family: libc::AF_PACKET as libc::c_ushort,
            sll_protocol: ETH_P_IP.to_be(),
            sll_ifindex: libc::c_int::try_from(ifindex).map_err(|_| {
                io::Error::new(io::ErrorKind::InvalidInput, "interface index out of range")
            })?,
            sll_hatype: 0,
            sll_pkttype: 0,
            sll_halen: 0,
            sll_addr: [0; 8],
        };
        let len = libc::socklen_t::try_from(std::mem::size_of::<libc::sockaddr_ll>())
            .map_err(|_| io::Error::other("sockaddr_ll size"))?;
        // SAFETY: the descriptor is open (owned by `sock`) for the duration of the call; the
        // pointer is to a fully initialised `sockaddr_ll` on our stack that outlives the call,
        // and `len` is exactly its size, so the kernel reads only that struct.
        let rc = unsafe {
            libc::bind(
                sock.as_raw_fd(),
                std::ptr::from_ref(&sll).cast::<libc::sockaddr>(),
                len,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(PacketSocket {
            sock,
            port: udp_port,
        })
    }

    /// The UDP destination port the filter lets through.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Non-blocking mode (for `tokio::io::unix::AsyncFd`).
    pub fn set_nonblocking(&self, on: bool) -> io::Result<()> {
        self.sock.set_nonblocking(on)
    }

    /// Timeout of a blocking [`recv_frame`](Self::recv_frame) (`WouldBlock` when it passes).
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.sock.set_read_timeout(timeout)
    }

    /// Receives one IPv4 packet into `buf` (parse it with [`parse_ipv4_udp`]). A packet longer
    /// than `buf` is cut short, and then fails to parse; 65535 bytes always suffice.
    pub fn recv_frame(&self, buf: &mut [u8]) -> io::Result<FrameInfo> {
        let (len, from) = recvfrom::<LinkAddr>(self.sock.as_raw_fd(), buf)?;
        let Some(from) = from else {
            return Ok(FrameInfo {
                len,
                ifindex: 0,
                src_mac: None,
                outgoing: false,
            });
        };
        let src_mac = (from.hatype() == ARPHRD_ETHER && from.halen() == 6)
            .then(|| from.addr().map(MacAddr))
            .flatten();
        Ok(FrameInfo {
            len,
            ifindex: u32::try_from(from.ifindex()).unwrap_or(0),
            src_mac,
            outgoing: from.pkttype() == PACKET_OUTGOING,
        })
    }
}

impl AsRawFd for PacketSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }
}

impl AsFd for PacketSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }
}

/// A [`PacketSocket`] registered with the tokio reactor.
#[derive(Debug)]
pub struct AsyncPacketSocket {
    inner: AsyncFd<PacketSocket>,
}

impl AsyncPacketSocket {
    /// Makes `sock` non-blocking and registers it with the current tokio runtime (an error,
    /// not a panic, outside one).
    pub fn new(sock: PacketSocket) -> io::Result<AsyncPacketSocket> {
        tokio::runtime::Handle::try_current().map_err(io::Error::other)?;
        sock.set_nonblocking(true)?;
        // SAFETY: `AsyncFd` owns the `PacketSocket`, which owns its descriptor (a `Socket`) and
        // never closes or replaces it, so `as_raw_fd()` returns the same open descriptor until
        // the `AsyncFd` is dropped.
        let inner = unsafe { AsyncFd::register_with_interest(sock, Interest::READABLE) }
            .map_err(io::Error::from)?;
        Ok(AsyncPacketSocket { inner })
    }

    /// Waits for and receives one IPv4 packet (see [`PacketSocket::recv_frame`]).
    pub async fn recv_frame(&self, buf: &mut [u8]) -> io::Result<FrameInfo> {
        self.inner
            .async_io(Interest::READABLE, |s| s.recv_frame(buf))
            .await
    }

    /// The UDP destination port the filter lets through.
    pub fn port(&self) -> u16 {
        self.inner.get_ref().port()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// An IPv4/UDP packet from 198.18.0.2:67 to 255.255.255.255:68 carrying `payload`.
    fn packet(payload: &[u8]) -> Vec<u8> {
        let total = u16::try_from(28 + payload.len()).expect("small");
        let ulen = u16::try_from(8 + payload.len()).expect("small");
        let mut p = vec![0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0];
        p[2..4].copy_from_slice(&total.to_be_bytes());
        p.extend([198, 18, 0, 2, 255, 255, 255, 255]);
        p.extend(67u16.to_be_bytes());
        p.extend(68u16.to_be_bytes());
        p.extend(ulen.to_be_bytes());
        p.extend([0, 0]);
        p.extend(payload);
        p
    }

    #[test]
    fn reads_addresses_and_payload() {
        let mut p = packet(b"dhcp");
        p.extend([0; 6]); // Ethernet padding past the IP total length
        let d = parse_ipv4_udp(&p).expect("valid");
        assert_eq!(d.src, "198.18.0.2:67".parse().expect("addr"));
        assert_eq!(d.dst, "255.255.255.255:68".parse().expect("addr"));
        assert_eq!(d.payload, b"dhcp");
    }

    #[test]
    fn honours_ip_options() {
        let mut p = packet(b"x");
        p[0] = 0x46; // 24-byte header
        p.splice(20..20, [1, 1, 1, 0]);
        p[3] += 4;
        assert_eq!(parse_ipv4_udp(&p).map(|d| d.payload), Some(&b"x"[..]));
    }

    #[test]
    fn rejects_what_is_not_a_whole_unfragmented_udp_datagram() {
        let good = packet(b"abcdef");
        // Every truncation fails cleanly.
        for n in 0..good.len() {
            assert_eq!(parse_ipv4_udp(&good[..n]), None, "truncated to {n}");
        }
        type Mutation = (&'static str, fn(&mut Vec<u8>));
        let table: [Mutation; 8] = [
            ("IPv6 version", |p| p[0] = 0x65),
            ("IHL below 5", |p| p[0] = 0x44),
            ("IHL past the end", |p| p[0] = 0x4f),
            ("TCP", |p| p[9] = 6),
            ("more fragments", |p| p[6] = 0x20),
            ("fragment offset", |p| p[7] = 1),
            ("UDP length below 8", |p| p[25] = 7),
            ("UDP length past the IP packet", |p| p[25] = 200),
        ];
        for (what, mutate) in table {
            let mut p = good.clone();
            mutate(&mut p);
            assert_eq!(parse_ipv4_udp(&p), None, "{what}");
        }
        let mut short_total = good.clone();
        short_total[3] = 27; // total length below header + UDP header
        assert_eq!(parse_ipv4_udp(&short_total), None);
    }

    #[test]
    fn filter_jumps_land_on_the_drop_instruction() {
        // Instruction i jumping by k lands on i + 1 + k; every failed check must reach 11.
        let f = udp_port_filter(68);
        assert_eq!(f.len(), 12);
        for (i, jf) in [(2usize, 8usize), (4, 6), (9, 1)] {
            assert_eq!(i + 1 + jf, 11);
        }
        assert_eq!(6 + 1 + 4, 11); // jset's true branch
    }

    /// Binds on loopback when the test runs with `CAP_NET_RAW` (skips otherwise) and checks
    /// the filter against real traffic: another port is not captured, ours is.
    #[test]
    fn captures_udp_to_the_port_on_loopback() {
        let Ok(lo) = nix::net::if_::if_nametoindex("lo") else {
            return;
        };
        let port = 30_000 + u16::try_from(std::process::id() % 20_000).unwrap_or(0);
        let sock = match PacketSocket::bind(lo, port) {
            Ok(s) => s,
            Err(e) if e.raw_os_error() == Some(libc::EPERM) => return, // no CAP_NET_RAW
            Err(e) => panic!("bind: {e}"),
        };
        sock.set_read_timeout(Some(Duration::from_secs(2)))
            .expect("timeout");
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").expect("udp");
        tx.send_to(b"other", ("127.0.0.1", port.wrapping_add(1)))
            .expect("send");
        tx.send_to(b"ours", ("127.0.0.1", port)).expect("send");
        let mut buf = vec![0u8; 65535];
        // Bounded: loopback shows each datagram twice (outgoing and incoming).
        for _ in 0..4 {
            let info = sock.recv_frame(&mut buf).expect("a frame within 2 s");
            let d = parse_ipv4_udp(buf.get(..info.len).expect("len")).expect("udp");
            assert_eq!(d.dst.port(), port, "the filter let another port through");
            assert_eq!(d.payload, b"ours");
            assert_eq!(info.ifindex, lo);
            if !info.outgoing {
                return;
            }
        }
        panic!("no incoming frame seen");
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
            let _ = parse_ipv4_udp(&bytes);
        }

        #[test]
        fn never_panics_on_mutated_headers(payload in proptest::collection::vec(any::<u8>(), 0..32),
                                           at in 0usize..28, value in any::<u8>(), cut in 0usize..64) {
            let mut p = packet(&payload);
            if let Some(b) = p.get_mut(at) {
                *b = value;
            }
            p.truncate(p.len().saturating_sub(cut));
            if let Some(d) = parse_ipv4_udp(&p) {
                prop_assert!(d.payload.len() + 28 <= p.len());
            }
        }
    }
}
