//! [`DhcpSocket`]: the server's UDP socket with arrival-interface receive and per-interface send.

use crate::arp;
use crate::error::NetError;
use crate::iface::{InterfaceCache, InterfaceInfo};
use leasehold_wire::addressing::{Arrival, Destination};
use nix::sys::socket::{
    recvmsg, sendmsg, setsockopt, sockopt, ControlMessage, ControlMessageOwned, MsgFlags,
    SockaddrIn,
};
use socket2::{Domain, Protocol, Socket, Type};
use std::io::{self, IoSlice, IoSliceMut};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tokio::io::Interest;
use tokio::net::UdpSocket;

/// Where and how to open the server socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindOptions {
    /// UDP port to listen on: 67 in production, e.g. 1067 for an unprivileged trial, 0 for an
    /// ephemeral port in tests.
    pub port: u16,
    /// Interfaces to serve, by name; datagrams arriving on any other interface are dropped and
    /// counted. Empty means all interfaces.
    pub interfaces: Vec<String>,
    /// Local address to bind instead of 0.0.0.0, e.g. 127.0.0.1 for a loopback trial. A socket
    /// bound to a unicast address does not receive broadcasts, so leave this `None` in production.
    pub bind_addr: Option<Ipv4Addr>,
}

impl BindOptions {
    /// Listen on `port` on all interfaces and addresses.
    pub fn new(port: u16) -> BindOptions {
        BindOptions {
            port,
            interfaces: Vec::new(),
            bind_addr: None,
        }
    }
}

/// One received datagram: its length and where it came from and arrived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// Number of bytes written to the caller's buffer.
    pub len: usize,
    /// IP source address and UDP source port.
    pub source: SocketAddrV4,
    /// Kernel index of the arrival interface (from IP_PKTINFO), 0 if the kernel did not say.
    pub ifindex: u32,
    /// Name of the arrival interface, if known.
    pub iface: Option<String>,
    /// The server's own address on the arrival interface: the destination address when the
    /// datagram was unicast to one of the interface's addresses, otherwise the interface's primary
    /// IPv4 address — never 255.255.255.255.
    pub local_addr: Ipv4Addr,
    /// The IP destination address of the datagram as sent (255.255.255.255 for a broadcast).
    pub dst_addr: Ipv4Addr,
    /// The UDP port the datagram arrived on (the socket's bound port).
    pub local_port: u16,
}

impl Received {
    /// Where the datagram arrived, in the engine's terms.
    pub fn arrival(&self) -> Arrival {
        Arrival {
            iface: self.iface.clone(),
            ifindex: self.ifindex,
            local_addr: self.local_addr,
            source: self.source,
            local_port: self.local_port,
        }
    }
}

/// The raw result of one `recvmsg`.
pub(crate) struct RawRecv {
    pub(crate) len: usize,
    pub(crate) truncated: bool,
    pub(crate) source: Option<SocketAddrV4>,
    pub(crate) ifindex: u32,
    pub(crate) spec_dst: Ipv4Addr,
    pub(crate) dst_addr: Ipv4Addr,
}

/// The server's UDP socket.
///
/// One socket bound to `0.0.0.0:port` (or [`BindOptions::bind_addr`]) with `SO_BROADCAST` and
/// `IP_PKTINFO`; see the crate documentation for why it is one socket and not one per interface.
#[derive(Debug)]
pub struct DhcpSocket {
    pub(crate) sock: UdpSocket,
    port: u16,
    /// The port actually bound (differs from `port` when that is 0).
    bound_port: u16,
    interfaces: Vec<String>,
    cache: InterfaceCache,
    dropped_foreign: AtomicU64,
    dropped_truncated: AtomicU64,
    /// Set once SIOCSARP failed with EPERM: no point trying again in this process.
    arp_denied: AtomicBool,
    warned_arp: AtomicBool,
    warned_hw: AtomicBool,
}

/// Receive buffer the server asks for: room for a few thousand queued requests, so a burst (or
/// the packet loop waiting out its coalescing window) does not overflow the kernel queue.
const RECEIVE_BUFFER: usize = 4 << 20;

/// Sets `SO_RCVBUF` to [`RECEIVE_BUFFER`]: with `SO_RCVBUFFORCE` when privileged (not capped by
/// `net.core.rmem_max`), else the plain option, which the kernel caps at `rmem_max`. Failure
/// leaves the default, which only lowers the burst a server absorbs.
fn enlarge_receive_buffer(sock: &Socket) {
    if setsockopt(sock, sockopt::RcvBufForce, &RECEIVE_BUFFER).is_err() {
        let _ = sock.set_recv_buffer_size(RECEIVE_BUFFER);
    }
}

fn bind_error(port: u16, e: io::Error) -> NetError {
    match e.raw_os_error() {
        Some(libc::EADDRINUSE) => NetError::PortInUse { port },
        Some(libc::EACCES) | Some(libc::EPERM) => NetError::PermissionDenied { port },
        _ => NetError::socket("binding the UDP socket", e),
    }
}

impl DhcpSocket {
    /// Opens the server socket. Must be called inside a tokio runtime with I/O enabled.
    ///
    /// Fails with a one-line message naming the fix when the port is taken
    /// ([`NetError::PortInUse`]), privileged ([`NetError::PermissionDenied`]) or a configured
    /// interface does not exist ([`NetError::NoSuchInterface`]).
    pub fn bind(opts: &BindOptions) -> Result<DhcpSocket, NetError> {
        for name in &opts.interfaces {
            if name.is_empty() || name.len() >= 16 || name.contains('\0') {
                return Err(NetError::BadInterfaceName { name: name.clone() });
            }
            if nix::net::if_::if_nametoindex(name.as_str()).is_err() {
                return Err(NetError::NoSuchInterface { name: name.clone() });
            }
        }
        let sock = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))
            .map_err(|e| NetError::socket("creating the UDP socket", e))?;
        sock.set_broadcast(true)
            .map_err(|e| NetError::socket("setting SO_BROADCAST", e))?;
        setsockopt(&sock, sockopt::Ipv4PacketInfo, &true)
            .map_err(|e| NetError::socket("setting IP_PKTINFO", e))?;
        enlarge_receive_buffer(&sock);
        sock.set_nonblocking(true)
            .map_err(|e| NetError::socket("setting O_NONBLOCK", e))?;
        let addr = SocketAddrV4::new(opts.bind_addr.unwrap_or(Ipv4Addr::UNSPECIFIED), opts.port);
        sock.bind(&SocketAddr::V4(addr).into())
            .map_err(|e| bind_error(opts.port, e))?;
        let bound_port = sock
            .local_addr()
            .ok()
            .and_then(|a| a.as_socket_ipv4())
            .map_or(opts.port, |a| a.port());
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(NetError::socket(
                "registering the socket (DhcpSocket::bind must run inside a tokio runtime)",
                io::Error::other("no tokio runtime"),
            ));
        }
        let sock = UdpSocket::from_std(sock.into())
            .map_err(|e| NetError::socket("registering the socket with tokio", e))?;
        let cache = InterfaceCache::new();
        if let Err(e) = cache.refresh() {
            tracing::warn!(error = %e, "reading the interface list failed; will retry on demand");
        }
        let this = DhcpSocket {
            sock,
            port: opts.port,
            bound_port,
            interfaces: opts.interfaces.clone(),
            cache,
            dropped_foreign: AtomicU64::new(0),
            dropped_truncated: AtomicU64::new(0),
            arp_denied: AtomicBool::new(false),
            warned_arp: AtomicBool::new(false),
            warned_hw: AtomicBool::new(false),
        };
        for name in &this.interfaces {
            let has_v4 = crate::iface::list_interfaces()
                .ok()
                .and_then(|l| l.into_iter().find(|i| &i.name == name))
                .is_some_and(|i| i.primary().is_some());
            if !has_v4 {
                tracing::warn!(
                    iface = %name,
                    "interface has no IPv4 address yet; replies on it will lack a server address"
                );
            }
        }
        Ok(this)
    }

    /// The address the socket is bound to (useful with port 0).
    pub fn local_addr(&self) -> Result<SocketAddrV4, NetError> {
        match self.sock.local_addr() {
            Ok(SocketAddr::V4(a)) => Ok(a),
            Ok(SocketAddr::V6(_)) => Err(NetError::socket(
                "reading the local address",
                io::Error::other("socket is not IPv4"),
            )),
            Err(e) => Err(NetError::socket("reading the local address", e)),
        }
    }

    /// The port given in [`BindOptions::port`].
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Datagrams dropped because they arrived on an interface not in [`BindOptions::interfaces`].
    pub fn dropped_foreign(&self) -> u64 {
        self.dropped_foreign.load(Ordering::Relaxed)
    }

    /// Datagrams dropped because they did not fit the caller's buffer.
    pub fn dropped_truncated(&self) -> u64 {
        self.dropped_truncated.load(Ordering::Relaxed)
    }

    /// Re-reads the interface list now (e.g. after a netlink notice or on SIGHUP). Lookups also
    /// refresh by themselves, at most once a second, when they meet an unknown interface.
    pub fn refresh_interfaces(&self) -> Result<(), NetError> {
        self.cache
            .refresh()
            .map_err(|e| NetError::socket("reading the interface list", e))
    }

    /// Receives the next datagram from a served interface into `buf` (give it 64 KiB, or at
    /// least 1500 bytes: larger datagrams are dropped and counted, never handed on truncated).
    pub async fn recv(&self, buf: &mut [u8]) -> Result<Received, NetError> {
        let fd = self.sock.as_raw_fd();
        loop {
            let raw = self
                .sock
                .async_io(Interest::READABLE, || recv_raw(fd, buf))
                .await
                .map_err(NetError::Recv)?;
            if let Some(r) = self.accept(raw) {
                return Ok(r);
            }
        }
    }

    /// Applies the truncation check and interface filter; fills in name and local address.
    pub(crate) fn accept(&self, raw: RawRecv) -> Option<Received> {
        if raw.truncated {
            self.dropped_truncated.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(
                len = raw.len,
                "dropped a datagram larger than the receive buffer"
            );
            return None;
        }
        let source = raw.source?;
        let info: Option<InterfaceInfo> = if raw.ifindex == 0 {
            None
        } else {
            self.cache.lookup(raw.ifindex)
        };
        if !self.interfaces.is_empty() {
            let served = info
                .as_ref()
                .is_some_and(|i| self.interfaces.contains(&i.name));
            if !served {
                self.dropped_foreign.fetch_add(1, Ordering::Relaxed);
                tracing::trace!(ifindex = raw.ifindex, %source, "dropped: interface not served");
                return None;
            }
        }
        let local_addr = match &info {
            Some(i) if i.addrs.contains(&raw.dst_addr) => raw.dst_addr,
            Some(i) => i.primary().unwrap_or(raw.spec_dst),
            None => raw.spec_dst,
        };
        Some(Received {
            len: raw.len,
            source,
            ifindex: raw.ifindex,
            iface: info.map(|i| i.name),
            local_addr,
            dst_addr: raw.dst_addr,
            local_port: self.bound_port,
        })
    }

    /// Sends one reply to `dest` (RFC 2131 §4.1).
    ///
    /// `ifindex` is the arrival interface of the request and `src` the server address to send
    /// from (the server identifier). Relay and unicast replies are routed by the kernel; broadcast
    /// replies go to 255.255.255.255 out of `ifindex`; replies to a client without an address get
    /// an ARP entry first and fall back to broadcast when that is impossible (logged once).
    pub async fn send(
        &self,
        bytes: &[u8],
        dest: &Destination,
        ifindex: u32,
        src: Ipv4Addr,
    ) -> Result<(), NetError> {
        let (to, oif) = resolve_destination(self, dest, ifindex);
        self.send_to(bytes, to, oif, src).await
    }

    /// Makes `addr` reachable at `hw` on interface `ifindex` via an ARP entry; `Err` means
    /// "broadcast instead" (already logged).
    fn prepare_hw(
        &self,
        addr: Ipv4Addr,
        hw: &leasehold_wire::HwAddr,
        ifindex: u32,
    ) -> Result<(), ()> {
        let Some(mac) = hw.mac() else {
            if !self.warned_hw.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    chaddr = %hw, htype = hw.htype(),
                    "unicast to a client without an address needs a 6-byte Ethernet chaddr; \
                     broadcasting replies to such clients instead (logged once)"
                );
            }
            return Err(());
        };
        if self.arp_denied.load(Ordering::Relaxed) {
            return Err(());
        }
        let name = match (ifindex, self.cache.lookup(ifindex)) {
            (0, _) | (_, None) => {
                tracing::debug!(ifindex, "arrival interface unknown; broadcasting the reply");
                return Err(());
            }
            (_, Some(info)) => info.name,
        };
        match arp::set_entry(&self.sock, addr, mac, &name) {
            Ok(()) => Ok(()),
            Err(e) => {
                let denied = e.raw_os_error() == Some(libc::EPERM);
                if denied {
                    self.arp_denied.store(true, Ordering::Relaxed);
                }
                if !self.warned_arp.swap(true, Ordering::Relaxed) {
                    if denied {
                        tracing::warn!(
                            "unicast to clients without an address is unavailable: adding an ARP \
                             entry needs CAP_NET_ADMIN; broadcasting those replies instead \
                             (logged once)"
                        );
                    } else {
                        tracing::warn!(
                            iface = %name, error = %e,
                            "unicast to clients without an address failed: adding an ARP entry \
                             was refused; broadcasting those replies instead (logged once)"
                        );
                    }
                }
                Err(())
            }
        }
    }

    /// `sendmsg` to `to`, with IP_PKTINFO naming the outgoing interface and source address when
    /// they are known.
    async fn send_to(
        &self,
        bytes: &[u8],
        to: SocketAddrV4,
        oif: u32,
        src: Ipv4Addr,
    ) -> Result<(), NetError> {
        let fd = self.sock.as_raw_fd();
        let sent = self
            .sock
            .async_io(Interest::WRITABLE, || send_raw(fd, bytes, to, oif, src))
            .await
            .map_err(|source| NetError::Send { dest: to, source })?;
        if sent != bytes.len() {
            return Err(NetError::Send {
                dest: to,
                source: io::Error::new(io::ErrorKind::WriteZero, "datagram sent short"),
            });
        }
        Ok(())
    }
}

/// The UDP destination and outgoing interface (0: let the kernel route) of a reply to `dest` for
/// a request that arrived on `ifindex`; inserts the ARP entry a [`Destination::UnicastToHw`]
/// needs, or falls back to broadcast.
pub(crate) fn resolve_destination(
    socket: &DhcpSocket,
    dest: &Destination,
    ifindex: u32,
) -> (SocketAddrV4, u32) {
    match dest {
        Destination::Relay { addr, port } | Destination::Unicast { addr, port } => {
            (SocketAddrV4::new(*addr, *port), 0)
        }
        Destination::Broadcast { port } => (SocketAddrV4::new(Ipv4Addr::BROADCAST, *port), ifindex),
        Destination::UnicastToHw { addr, hw, port } => {
            match socket.prepare_hw(*addr, hw, ifindex) {
                Ok(()) => (SocketAddrV4::new(*addr, *port), ifindex),
                Err(()) => (SocketAddrV4::new(Ipv4Addr::BROADCAST, *port), ifindex),
            }
        }
    }
}

pub(crate) fn ipv4_from_in_addr(a: libc::in_addr) -> Ipv4Addr {
    Ipv4Addr::from(u32::from_be(a.s_addr))
}

/// One `recvmsg` with its IP_PKTINFO (arrival interface, addresses) read out.
pub(crate) fn recv_raw(fd: RawFd, buf: &mut [u8]) -> io::Result<RawRecv> {
    let mut iov = [IoSliceMut::new(buf)];
    let mut cmsg = nix::cmsg_space!(libc::in_pktinfo);
    let msg = recvmsg::<SockaddrIn>(fd, &mut iov, Some(&mut cmsg), MsgFlags::empty())?;
    let mut raw = RawRecv {
        len: msg.bytes,
        truncated: msg.flags.contains(MsgFlags::MSG_TRUNC),
        source: msg.address.map(|a| SocketAddrV4::new(a.ip(), a.port())),
        ifindex: 0,
        spec_dst: Ipv4Addr::UNSPECIFIED,
        dst_addr: Ipv4Addr::UNSPECIFIED,
    };
    for c in msg.cmsgs()? {
        if let ControlMessageOwned::Ipv4PacketInfo(pi) = c {
            raw.ifindex = u32::try_from(pi.ipi_ifindex).unwrap_or(0);
            raw.spec_dst = ipv4_from_in_addr(pi.ipi_spec_dst);
            raw.dst_addr = ipv4_from_in_addr(pi.ipi_addr);
        }
    }
    Ok(raw)
}

/// One `sendmsg` to `to`, leaving through `oif` with source `src` when given (IP_PKTINFO,
/// see [`send_pktinfo`]).
pub(crate) fn send_raw(
    fd: RawFd,
    bytes: &[u8],
    to: SocketAddrV4,
    oif: u32,
    src: Ipv4Addr,
) -> io::Result<usize> {
    let iov = [IoSlice::new(bytes)];
    let dest = SockaddrIn::from(to);
    let info = send_pktinfo(oif, src);
    let cmsg = info.as_ref().map(ControlMessage::Ipv4PacketInfo);
    Ok(sendmsg(
        fd,
        &iov,
        cmsg.as_slice(),
        MsgFlags::empty(),
        Some(&dest),
    )?)
}

/// The IP_PKTINFO that makes a datagram leave through interface `oif` with source `src`, or
/// `None` when both are left to the routing table (`oif` 0 and `src` unspecified).
pub(crate) fn send_pktinfo(oif: u32, src: Ipv4Addr) -> Option<libc::in_pktinfo> {
    (oif != 0 || !src.is_unspecified()).then(|| libc::in_pktinfo {
        ipi_ifindex: libc::c_int::try_from(oif).unwrap_or(0),
        ipi_spec_dst: libc::in_addr {
            s_addr: u32::from(src).to_be(),
        },
        ipi_addr: libc::in_addr { s_addr: 0 },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_denied_names_the_fix() {
        let e = bind_error(67, io::Error::from_raw_os_error(libc::EACCES));
        assert_eq!(
            e.to_string(),
            "binding UDP port 67 needs root or CAP_NET_BIND_SERVICE; or use server_port = 1067 for a trial"
        );
        let e = bind_error(67, io::Error::from_raw_os_error(libc::EADDRINUSE));
        assert!(matches!(e, NetError::PortInUse { port: 67 }));
    }

    #[tokio::test]
    async fn foreign_interface_is_dropped_and_counted() {
        let opts = BindOptions {
            port: 0,
            interfaces: Vec::new(),
            bind_addr: Some(Ipv4Addr::LOCALHOST),
        };
        let mut sock = DhcpSocket::bind(&opts).expect("bind");
        sock.interfaces = vec!["served0".into()];
        let lo = nix::net::if_::if_nametoindex("lo").expect("lo");
        let raw = || RawRecv {
            len: 300,
            truncated: false,
            source: Some(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 68)),
            ifindex: lo,
            spec_dst: Ipv4Addr::LOCALHOST,
            dst_addr: Ipv4Addr::BROADCAST,
        };
        assert!(sock.accept(raw()).is_none());
        assert_eq!(sock.dropped_foreign(), 1);
        sock.interfaces = vec!["lo".into()];
        let got = sock.accept(raw()).expect("lo is served");
        // Broadcast destination: local_addr is the interface's address, not 255.255.255.255.
        assert_eq!(got.local_addr, Ipv4Addr::LOCALHOST);
        assert_eq!(got.dst_addr, Ipv4Addr::BROADCAST);
        assert!(sock
            .accept(RawRecv {
                truncated: true,
                ..raw()
            })
            .is_none());
        assert_eq!(sock.dropped_truncated(), 1);
    }
}
