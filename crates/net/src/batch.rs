//! Batched receive (`recvmmsg`) and send (`sendmmsg`) on the [`DhcpSocket`].
//!
//! Under load, one wake-up of the packet loop should handle every datagram already queued and
//! send every reply it produced in as few system calls as possible: a DHCP exchange is cheap to
//! decide, so per-datagram system calls and thread wake-ups are most of a server's CPU cost.
//! [`DhcpSocket::try_recv_batch`] takes up to [`RecvBatch::capacity`] queued datagrams in one
//! `recvmmsg`; [`DhcpSocket::try_send_batch`] sends a slice of [`Outgoing`] replies with one
//! `sendmmsg` per run of replies that share their outgoing interface and source address. Both
//! are non-blocking: they never wait, and say how far they got.

use crate::error::NetError;
use crate::socket::{
    ipv4_from_in_addr, resolve_destination, send_pktinfo, DhcpSocket, RawRecv, Received,
};
use leasehold_wire::addressing::Destination;
use nix::errno::Errno;
use nix::sys::socket::{
    recvmmsg, sendmmsg, ControlMessage, ControlMessageOwned, MsgFlags, MultiHeaders, SockaddrIn,
};
use std::io::{self, IoSlice, IoSliceMut};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::AsRawFd;

/// Receive buffer per datagram: larger than any Ethernet-MTU DHCP message; a larger datagram is
/// dropped and counted ([`DhcpSocket::dropped_truncated`]), never handed on truncated.
const SLOT: usize = 4096;

/// Reusable buffers for [`DhcpSocket::try_recv_batch`]: room for `capacity` datagrams and their
/// arrival details. Allocate once per packet loop.
pub struct RecvBatch {
    data: Vec<u8>,
    headers: MultiHeaders<SockaddrIn>,
    raw: Vec<RawRecv>,
    received: Vec<(usize, Received)>,
}

impl std::fmt::Debug for RecvBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecvBatch")
            .field("capacity", &self.capacity())
            .field("len", &self.received.len())
            .finish()
    }
}

impl RecvBatch {
    /// Buffers for up to `capacity` datagrams (at least 1) of up to 4 KiB each.
    pub fn new(capacity: usize) -> RecvBatch {
        let capacity = capacity.max(1);
        RecvBatch {
            data: vec![0; capacity * SLOT],
            headers: MultiHeaders::preallocate(capacity, Some(nix::cmsg_space!(libc::in_pktinfo))),
            raw: Vec::with_capacity(capacity),
            received: Vec::with_capacity(capacity),
        }
    }

    /// How many datagrams one call can take.
    pub fn capacity(&self) -> usize {
        self.data.len() / SLOT
    }

    /// The datagrams of the last [`DhcpSocket::try_recv_batch`] that passed the interface and
    /// size checks, in arrival order, with where they came from.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &Received)> + '_ {
        self.received.iter().filter_map(|(slot, r)| {
            let start = slot * SLOT;
            self.data.get(start..start + r.len).map(|d| (d, r))
        })
    }

    /// Number of datagrams [`RecvBatch::iter`] yields.
    pub fn len(&self) -> usize {
        self.received.len()
    }

    /// True when the last call yielded no datagram.
    pub fn is_empty(&self) -> bool {
        self.received.is_empty()
    }
}

/// One reply to send: its bytes and where they go, as for [`DhcpSocket::send`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    /// The encoded DHCP message.
    pub bytes: Vec<u8>,
    /// Where the engine said it goes (RFC 2131 §4.1).
    pub dest: Destination,
    /// Arrival interface of the request.
    pub ifindex: u32,
    /// The server address to send from (the server identifier).
    pub src: Ipv4Addr,
    /// The UDP port the request arrived on ([`Received::local_port`](crate::Received)): a reply
    /// to a proxy DHCP request on the PXE port leaves from that port's socket. The server socket
    /// sends every reply it is given; choosing the socket is the caller's job.
    pub local_port: u16,
}

impl DhcpSocket {
    /// Waits until the socket has a datagram to read (or an error to report). Follow with
    /// [`DhcpSocket::try_recv_batch`] until it yields nothing.
    pub async fn readable(&self) -> Result<(), NetError> {
        self.sock.readable().await.map_err(NetError::Recv)
    }

    /// Takes the datagrams already queued on the socket, up to `batch`'s capacity, in one
    /// `recvmmsg`, without waiting. Returns how many datagrams the kernel handed over (0 when
    /// none was queued; then [`DhcpSocket::readable`] waits for the next). The ones from served
    /// interfaces and within the size limit are in [`RecvBatch::iter`]; the others are counted
    /// as for [`DhcpSocket::recv`].
    pub fn try_recv_batch(&self, batch: &mut RecvBatch) -> Result<usize, NetError> {
        batch.raw.clear();
        batch.received.clear();
        let fd = self.sock.as_raw_fd();
        let RecvBatch {
            data, headers, raw, ..
        } = batch;
        let outcome = self.sock.try_io(tokio::io::Interest::READABLE, || {
            let mut slices: Vec<[IoSliceMut<'_>; 1]> = data
                .chunks_exact_mut(SLOT)
                .map(|c| [IoSliceMut::new(c)])
                .collect();
            let results = recvmmsg(fd, headers, slices.iter_mut(), MsgFlags::MSG_DONTWAIT, None)?;
            for msg in results {
                let mut r = RawRecv {
                    len: msg.bytes,
                    truncated: msg.flags.contains(MsgFlags::MSG_TRUNC),
                    source: msg.address.map(|a| SocketAddrV4::new(a.ip(), a.port())),
                    ifindex: 0,
                    spec_dst: Ipv4Addr::UNSPECIFIED,
                    dst_addr: Ipv4Addr::UNSPECIFIED,
                };
                if let Ok(cmsgs) = msg.cmsgs() {
                    for c in cmsgs {
                        if let ControlMessageOwned::Ipv4PacketInfo(pi) = c {
                            r.ifindex = u32::try_from(pi.ipi_ifindex).unwrap_or(0);
                            r.spec_dst = ipv4_from_in_addr(pi.ipi_spec_dst);
                            r.dst_addr = ipv4_from_in_addr(pi.ipi_addr);
                        }
                    }
                }
                raw.push(r);
            }
            Ok(())
        });
        match outcome {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(0),
            Err(e) => return Err(NetError::Recv(e)),
        }
        let taken = batch.raw.len();
        for (slot, r) in batch.raw.drain(..).enumerate() {
            if let Some(accepted) = self.accept(r) {
                batch.received.push((slot, accepted));
            }
        }
        Ok(taken)
    }

    /// Sends `replies` without waiting: one `sendmmsg` per run of consecutive replies with the
    /// same outgoing interface and source address. `done(i, result)` is called for every reply
    /// the kernel took or refused for good. Returns how many replies (from the front) were
    /// handled that way; the rest would block (the socket's send buffer is full) and should be
    /// sent with [`DhcpSocket::send`].
    pub fn try_send_batch(
        &self,
        replies: &[Outgoing],
        mut done: impl FnMut(usize, Result<(), NetError>),
    ) -> usize {
        let fd = self.sock.as_raw_fd();
        let targets: Vec<(SocketAddrV4, u32, Ipv4Addr)> = replies
            .iter()
            .map(|r| {
                let (to, oif) = resolve_destination(self, &r.dest, r.ifindex);
                (to, oif, r.src)
            })
            .collect();
        let mut next = 0;
        while next < replies.len() {
            let (_, oif, src) = targets[next];
            let run_end = targets[next..]
                .iter()
                .position(|t| (t.1, t.2) != (oif, src))
                .map_or(replies.len(), |p| next + p);
            let slices: Vec<[IoSlice<'_>; 1]> = replies[next..run_end]
                .iter()
                .map(|r| [IoSlice::new(&r.bytes)])
                .collect();
            let addrs: Vec<Option<SockaddrIn>> = targets[next..run_end]
                .iter()
                .map(|t| Some(SockaddrIn::from(t.0)))
                .collect();
            let info = send_pktinfo(oif, src);
            let cmsg = info.as_ref().map(ControlMessage::Ipv4PacketInfo);
            let cmsgs = cmsg.as_slice();
            // Control buffers only when there is a control message: an empty (zeroed) one would
            // be read by the kernel as a malformed header.
            let cmsg_space = (!cmsgs.is_empty()).then(|| nix::cmsg_space!(libc::in_pktinfo));
            let mut headers: MultiHeaders<SockaddrIn> =
                MultiHeaders::preallocate(run_end - next, cmsg_space);
            let sent = sendmmsg(
                fd,
                &mut headers,
                slices.iter(),
                &addrs,
                cmsgs,
                MsgFlags::MSG_DONTWAIT,
            )
            .map(|results| results.map(|m| m.bytes).collect::<Vec<usize>>());
            match sent {
                Ok(lens) if !lens.is_empty() => {
                    for (k, len) in lens.iter().enumerate() {
                        let i = next + k;
                        let result = if *len == replies[i].bytes.len() {
                            Ok(())
                        } else {
                            Err(NetError::Send {
                                dest: targets[i].0,
                                source: io::Error::new(
                                    io::ErrorKind::WriteZero,
                                    "datagram sent short",
                                ),
                            })
                        };
                        done(i, result);
                    }
                    next += lens.len();
                }
                Ok(_) | Err(Errno::EAGAIN) => return next,
                Err(e) => {
                    // The first message of the run was refused; the others may still go.
                    done(
                        next,
                        Err(NetError::Send {
                            dest: targets[next].0,
                            source: e.into(),
                        }),
                    );
                    next += 1;
                }
            }
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BindOptions;
    use std::net::UdpSocket;
    use std::time::Duration;

    fn loopback() -> DhcpSocket {
        DhcpSocket::bind(&BindOptions {
            port: 0,
            interfaces: Vec::new(),
            bind_addr: Some(Ipv4Addr::LOCALHOST),
        })
        .expect("bind on 127.0.0.1")
    }

    #[tokio::test]
    async fn batch_receives_every_queued_datagram_in_order() {
        let server = loopback();
        let port = server.local_addr().expect("local addr").port();
        let client = UdpSocket::bind("127.0.0.1:0").expect("client");
        let mut batch = RecvBatch::new(4);
        assert_eq!(server.try_recv_batch(&mut batch).expect("empty"), 0);
        for i in 0u8..6 {
            client
                .send_to(&[i; 300], ("127.0.0.1", port))
                .expect("send");
        }
        tokio::time::timeout(Duration::from_secs(5), server.readable())
            .await
            .expect("readable in time")
            .expect("readable");
        let mut seen = Vec::new();
        for _ in 0..10 {
            if seen.len() == 6 {
                break;
            }
            let n = server.try_recv_batch(&mut batch).expect("recv");
            assert!(n <= 4, "took {n} into a batch of 4");
            seen.extend(batch.iter().map(|(d, r)| {
                assert_eq!(r.len, 300);
                assert_eq!(
                    r.source,
                    client
                        .local_addr()
                        .map(|a| match a {
                            std::net::SocketAddr::V4(v4) => v4,
                            std::net::SocketAddr::V6(_) => unreachable!("bound to IPv4"),
                        })
                        .expect("client addr")
                );
                assert_eq!(r.local_addr, Ipv4Addr::LOCALHOST);
                d[0]
            }));
            if n == 0 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        assert_eq!(seen, vec![0, 1, 2, 3, 4, 5]);
    }

    #[tokio::test]
    async fn batch_send_delivers_each_reply_to_its_destination() {
        let server = loopback();
        let a = UdpSocket::bind("127.0.0.1:0").expect("a");
        let b = UdpSocket::bind("127.0.0.1:0").expect("b");
        for s in [&a, &b] {
            s.set_read_timeout(Some(Duration::from_secs(5)))
                .expect("timeout");
        }
        let to = |s: &UdpSocket, fill: u8| Outgoing {
            bytes: vec![fill; 240],
            dest: Destination::Unicast {
                addr: Ipv4Addr::LOCALHOST,
                port: s.local_addr().expect("addr").port(),
            },
            ifindex: 0,
            src: Ipv4Addr::UNSPECIFIED,
            local_port: 0,
        };
        // The last one names its source address: a second run, sent with IP_PKTINFO.
        let from_lo = Outgoing {
            src: Ipv4Addr::LOCALHOST,
            ..to(&b, 4)
        };
        let replies = vec![to(&a, 1), to(&b, 2), to(&a, 3), from_lo];
        let mut results = Vec::new();
        let handled = server.try_send_batch(&replies, |i, r| results.push((i, r.is_ok())));
        assert_eq!(handled, 4);
        assert_eq!(results, vec![(0, true), (1, true), (2, true), (3, true)]);
        let mut buf = [0u8; 512];
        let got = |s: &UdpSocket, buf: &mut [u8]| {
            let (n, _) = s.recv_from(buf).expect("datagram");
            (n, buf[0])
        };
        assert_eq!(got(&a, &mut buf), (240, 1));
        assert_eq!(got(&a, &mut buf), (240, 3));
        assert_eq!(got(&b, &mut buf), (240, 2));
        assert_eq!(got(&b, &mut buf), (240, 4));
    }
}
