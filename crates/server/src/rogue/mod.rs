//! Rogue DHCP server detection.
//!
//! **Passive**: while serving, a second UDP socket bound to the client port (68) with
//! `SO_REUSEADDR` receives the OFFER/ACK broadcasts of every server on the served links. A reply
//! whose server identifier (option 54, else its source address) is neither one of our own
//! addresses nor listed in `[security] allowed_servers` is reported once (again after
//! [`REALERT`]) as a structured `rogue_dhcp_server` warning with what it offered: yiaddr, routers,
//! DNS servers, lease time. Only *broadcast* replies reach us: a server that unicasts its OFFER
//! to a client's hardware address is seen only when a client asks for broadcast replies — which
//! the active probe does.
//!
//! **Active**: with `[security] probe_interval = N`, every N seconds the same socket broadcasts a
//! DISCOVER with a throwaway client id ([`leasehold_engine::guard::PROBE_CLIENT_ID_PREFIX`] plus
//! random bytes) and the broadcast flag on every served interface. It never sends a REQUEST, so
//! it takes no address; our own server drops its own probes (reason `own_probe`). Every server
//! that answers is then seen by the passive listener. `leasehold probe` ([`crate::probe_cmd`])
//! does the same once, from the command line.
//!
//! **Who**: every sighting carries the rogue's MAC address. When a packet socket can be opened
//! (`CAP_NET_RAW`, kept by the privilege drop) the replies are read from a
//! [`leasehold_net::PacketSocket`] on every interface, filtered in the kernel to UDP datagrams to
//! the client port, and the MAC is the Ethernet source of the frame (`mac_source=packet_socket`);
//! the UDP socket is then only used to send probes (what it receives is discarded). Otherwise
//! the UDP socket receives the replies and the MAC is looked up in the kernel neighbour table by
//! the reply's IP source (`mac_source=neighbour_table`), `unknown` when absent — usual for a
//! server that only broadcast to us.
//!
//! Alerts: [`set_alert_hook`] registers a callback called for every sighting (for the alerting
//! module, e.g. `Alerts::raise_rogue`); the log line is de-duplicated per server.

use leasehold_engine::guard::PROBE_CLIENT_ID_PREFIX;
use leasehold_engine::Config;
use leasehold_net::packet::{parse_ipv4_udp, FrameInfo};
use leasehold_net::{AsyncPacketSocket, MacAddr, PacketSocket};
use leasehold_wire::{EncodeParams, HwAddr, MessageType, Op, Options, Packet};
use nix::sys::socket::{
    recvmsg, sendmsg, setsockopt, sockopt, ControlMessage, ControlMessageOwned, MsgFlags,
    SockaddrIn,
};
use socket2::{Domain, Protocol, Socket, Type};
use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;
use std::io::{self, IoSlice, IoSliceMut};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tracing::{debug, info, warn};

/// A server seen answering on a served link again is reported again after this long.
pub const REALERT: Duration = Duration::from_secs(300);

/// Most distinct rogue servers remembered for de-duplication (bounded state).
const MAX_REMEMBERED: usize = 256;

/// Where a sighting's MAC address came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MacSource {
    /// The Ethernet source address of the frame, read from a packet socket.
    PacketSocket,
    /// The kernel neighbour table (`/proc/net/arp`), looked up by the reply's IP source.
    NeighbourTable,
    /// Not looked up (a reply built by [`ServerReply::from_packet`] alone).
    NotLooked,
}

impl MacSource {
    /// `packet_socket`, `neighbour_table` or `none` (log field and JSON value).
    pub fn as_str(self) -> &'static str {
        match self {
            MacSource::PacketSocket => "packet_socket",
            MacSource::NeighbourTable => "neighbour_table",
            MacSource::NotLooked => "none",
        }
    }
}

/// One OFFER or ACK seen from some server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerReply {
    /// Option 54, or the IP source address when absent.
    pub server_id: Ipv4Addr,
    /// IP source address and port of the reply.
    pub source: SocketAddrV4,
    /// `DHCPOFFER` or `DHCPACK`.
    pub kind: &'static str,
    /// The address offered.
    pub yiaddr: Ipv4Addr,
    /// Option 3.
    pub routers: Vec<Ipv4Addr>,
    /// Option 6.
    pub dns: Vec<Ipv4Addr>,
    /// Option 51.
    pub lease_time: Option<u32>,
    /// The transaction id.
    pub xid: u32,
    /// Interface the reply arrived on, if known.
    pub iface: Option<String>,
    /// The sender's MAC address, when known.
    pub mac: Option<MacAddr>,
    /// Where [`mac`](Self::mac) came from (or would have).
    pub mac_source: MacSource,
}

impl ServerReply {
    /// Reads a server reply out of `pkt`; `None` unless it is a BOOTREPLY OFFER or ACK.
    pub fn from_packet(pkt: &Packet, source: SocketAddrV4, iface: Option<String>) -> Option<Self> {
        if pkt.op != Op::BootReply {
            return None;
        }
        let kind = match pkt.message_type()? {
            MessageType::Offer => "DHCPOFFER",
            MessageType::Ack => "DHCPACK",
            _ => return None,
        };
        let addrs = |code: u8| -> Vec<Ipv4Addr> {
            pkt.options
                .get(code)
                .map(|v| {
                    v.chunks_exact(4)
                        .map(|c| Ipv4Addr::new(c[0], c[1], c[2], c[3]))
                        .collect()
                })
                .unwrap_or_default()
        };
        Some(ServerReply {
            server_id: pkt.options.server_id().unwrap_or(*source.ip()),
            source,
            kind,
            yiaddr: pkt.yiaddr,
            routers: addrs(3),
            dns: addrs(6),
            lease_time: pkt.options.lease_time(),
            xid: pkt.xid,
            iface,
            mac: None,
            mac_source: MacSource::NotLooked,
        })
    }

    /// The same reply with its sender's MAC address and where it came from.
    pub fn with_mac(mut self, mac: Option<MacAddr>, source: MacSource) -> Self {
        self.mac = mac;
        self.mac_source = source;
        self
    }

    /// The MAC address as text, `unknown` when not known.
    pub fn mac_text(&self) -> String {
        self.mac
            .map(|m| m.to_string())
            .unwrap_or_else(|| "unknown".into())
    }

    /// Reads the reply out of one captured frame: `None` unless it is an incoming, well-formed
    /// IPv4/UDP datagram to `port` carrying an OFFER or ACK. The MAC is the frame's source.
    pub fn from_frame(
        frame: &FrameInfo,
        bytes: &[u8],
        port: u16,
        iface: Option<String>,
    ) -> Option<Self> {
        if frame.outgoing {
            return None; // our own server's replies, seen leaving
        }
        let udp = parse_ipv4_udp(bytes.get(..frame.len)?)?;
        if udp.dst.port() != port {
            return None;
        }
        let pkt = Packet::parse(udp.payload).ok()?;
        Some(
            ServerReply::from_packet(&pkt, udp.src, iface)?
                .with_mac(frame.src_mac, MacSource::PacketSocket),
        )
    }
}

/// Who a rogue server is, for the alerting module: its server identifier and, when known, its
/// MAC address. `From<&ServerReply>` takes both from the sighting; `From<Ipv4Addr>` finds the
/// MAC of that server's latest sighting in this process (a bounded table filled before the alert
/// hook is called), so a hook that only passes `reply.server_id` still gets the MAC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RogueServer {
    /// Option 54, or the IP source address.
    pub server_id: Ipv4Addr,
    /// Its MAC address, when known.
    pub mac: Option<MacAddr>,
    /// Where the MAC came from.
    pub mac_source: MacSource,
}

/// The MAC of each rogue server's latest sighting (at most [`MAX_REMEMBERED`] servers).
static LATEST_MAC: LazyLock<Mutex<HashMap<Ipv4Addr, RogueServer>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn remember_mac(r: &ServerReply) {
    let Ok(mut m) = LATEST_MAC.lock() else { return };
    if m.len() >= MAX_REMEMBERED && !m.contains_key(&r.server_id) {
        m.clear();
    }
    m.insert(r.server_id, RogueServer::from(r));
}

impl From<&ServerReply> for RogueServer {
    fn from(r: &ServerReply) -> Self {
        RogueServer {
            server_id: r.server_id,
            mac: r.mac,
            mac_source: r.mac_source,
        }
    }
}

impl From<Ipv4Addr> for RogueServer {
    fn from(server_id: Ipv4Addr) -> Self {
        LATEST_MAC
            .lock()
            .ok()
            .and_then(|m| m.get(&server_id).copied())
            .unwrap_or(RogueServer {
                server_id,
                mac: None,
                mac_source: MacSource::NotLooked,
            })
    }
}

impl RogueServer {
    /// `198.18.0.2 (MAC 02:00:5e:10:00:02, from the packet socket)`, or `… (MAC unknown: not in
    /// the neighbour table)`.
    pub fn describe(&self) -> String {
        match (self.mac, self.mac_source) {
            (Some(m), MacSource::PacketSocket) => {
                format!("{} (MAC {m}, from the packet socket)", self.server_id)
            }
            (Some(m), _) => format!("{} (MAC {m}, from the neighbour table)", self.server_id),
            (None, MacSource::PacketSocket) => {
                format!("{} (MAC unknown: not an Ethernet link)", self.server_id)
            }
            (None, MacSource::NeighbourTable) => {
                format!(
                    "{} (MAC unknown: not in the neighbour table)",
                    self.server_id
                )
            }
            (None, MacSource::NotLooked) => format!("{} (MAC unknown)", self.server_id),
        }
    }
}

/// Called for every rogue-server sighting, e.g. by the alerting module.
pub type AlertHook = Box<dyn Fn(&ServerReply) + Send + Sync>;

static ALERT_HOOK: OnceLock<AlertHook> = OnceLock::new();

/// Registers the callback called for every rogue-server sighting (once per process; later
/// calls are ignored and return false).
pub fn set_alert_hook(hook: AlertHook) -> bool {
    ALERT_HOOK.set(hook).is_ok()
}

/// A random u64 (SipHash of the time under per-process random keys; no RNG crate needed for
/// transaction ids and throwaway identities).
pub fn random_u64() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    RandomState::new().hash_one((t, std::process::id()))
}

/// The client-id prefix of this process's own probes: [`PROBE_CLIENT_ID_PREFIX`], a random
/// per-process token and `:`. The server drops requests carrying it (and only those).
pub fn own_probe_prefix() -> Vec<u8> {
    static TOKEN: OnceLock<u64> = OnceLock::new();
    let token = TOKEN.get_or_init(random_u64);
    let mut p = PROBE_CLIENT_ID_PREFIX.to_vec();
    p.extend(format!("{:08x}:", token & 0xffff_ffff).bytes());
    p
}

/// A DISCOVER with a throwaway identity: random xid, a random locally administered MAC, client
/// id [`own_probe_prefix`] + 8 random bytes in hex, broadcast flag set.
pub fn probe_discover() -> Option<(u32, Vec<u8>)> {
    let r = random_u64();
    let xid = (r >> 32) as u32;
    let b = r.to_be_bytes();
    let mac = [0x02, b[2], b[3], b[4], b[5], b[6]];
    let mut client_id = own_probe_prefix();
    client_id.extend(format!("{:016x}", random_u64()).bytes());
    let mut options = Options::default();
    options.insert(53, vec![1]);
    options.insert(61, client_id);
    options.insert(55, vec![1, 3, 6, 15, 51, 54]);
    let pkt = Packet {
        flags: leasehold_wire::BROADCAST_FLAG,
        options,
        ..Packet::boot_request(HwAddr::new(1, &mac).ok()?, xid)
    };
    let params = EncodeParams {
        pad_to_bootp_min: true,
        ..EncodeParams::default()
    };
    Some((xid, pkt.encode(&params).ok()?))
}

/// A UDP socket on `0.0.0.0:port` with `SO_REUSEADDR` (so it coexists with a DHCP client on
/// the same host), `SO_BROADCAST`, `IP_PKTINFO`, bound to `device` when given (needs
/// `CAP_NET_RAW`).
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

/// One datagram: length, source, arrival interface index.
pub fn recv_with_ifindex(fd: RawFd, buf: &mut [u8]) -> io::Result<(usize, SocketAddrV4, u32)> {
    let mut iov = [IoSliceMut::new(buf)];
    let mut cmsg = nix::cmsg_space!(libc::in_pktinfo);
    let msg = recvmsg::<SockaddrIn>(fd, &mut iov, Some(&mut cmsg), MsgFlags::empty())?;
    let source = msg
        .address
        .map(|a| SocketAddrV4::new(a.ip(), a.port()))
        .unwrap_or_else(|| SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0));
    let mut ifindex = 0;
    for c in msg.cmsgs()? {
        if let ControlMessageOwned::Ipv4PacketInfo(pi) = c {
            ifindex = u32::try_from(pi.ipi_ifindex).unwrap_or(0);
        }
    }
    Ok((msg.bytes, source, ifindex))
}

/// Sends `bytes` to 255.255.255.255:`port` out of interface `ifindex` (IP_PKTINFO).
pub fn send_broadcast(fd: RawFd, bytes: &[u8], port: u16, ifindex: u32) -> io::Result<usize> {
    let iov = [IoSlice::new(bytes)];
    let dest = SockaddrIn::from(SocketAddrV4::new(Ipv4Addr::BROADCAST, port));
    let info = libc::in_pktinfo {
        ipi_ifindex: libc::c_int::try_from(ifindex).unwrap_or(0),
        ipi_spec_dst: libc::in_addr { s_addr: 0 },
        ipi_addr: libc::in_addr { s_addr: 0 },
    };
    let cmsgs = [ControlMessage::Ipv4PacketInfo(&info)];
    Ok(sendmsg(fd, &iov, &cmsgs, MsgFlags::empty(), Some(&dest))?)
}

/// Starts the passive monitor (and the periodic probe when `probe_interval` is set) unless
/// `detect_rogue_servers` is off or the server listens on loopback only. Never fails the
/// server: a socket that cannot be opened is logged and detection stays off (UDP socket) or
/// falls back to the neighbour table for MAC addresses (packet socket).
pub fn spawn_monitor(config: Arc<Config>) {
    let sec = &config.security;
    if !sec.detect_rogue_servers {
        return;
    }
    if config
        .server
        .listen_address
        .is_some_and(|a| a.is_loopback())
    {
        debug!("rogue-server detection off: listening on loopback only");
        return;
    }
    let port = config.server.client_port;
    let sock = match client_socket(port, None)
        .and_then(|s| {
            s.set_nonblocking(true)?;
            Ok(s)
        })
        .and_then(|s| UdpSocket::from_std(s.into()))
    {
        Ok(s) => s,
        Err(e) => {
            warn!(
                port,
                "rogue-server detection off: cannot listen on the client port: {e}"
            );
            return;
        }
    };
    let capture = match PacketSocket::bind(0, port).and_then(AsyncPacketSocket::new) {
        Ok(c) => Some(c),
        Err(e) => {
            warn!(
                port,
                "rogue-server MAC addresses from the neighbour table only (often unknown): cannot open a packet socket (needs CAP_NET_RAW): {e}"
            );
            None
        }
    };
    let mac_source = if capture.is_some() {
        MacSource::PacketSocket
    } else {
        MacSource::NeighbourTable
    };
    info!(
        port,
        probe_interval = sec.probe_interval,
        mac_source = mac_source.as_str(),
        "watching for other DHCP servers"
    );
    tokio::spawn(monitor(config, sock, capture));
}

/// Our own addresses, the configured server id and the allowed servers.
fn trusted(config: &Config) -> HashSet<Ipv4Addr> {
    let mut set: HashSet<Ipv4Addr> = config.security.allowed_servers.iter().copied().collect();
    set.extend(config.server.server_id);
    if let Ok(list) = leasehold_net::iface::list_interfaces() {
        for i in list {
            set.extend(i.addrs);
        }
    }
    set
}

/// Interfaces to probe: (index, name) of the served interfaces, or of every interface with an
/// IPv4 address except loopback when none are configured.
fn probe_targets(config: &Config) -> Vec<(u32, String)> {
    let Ok(list) = leasehold_net::iface::list_interfaces() else {
        return Vec::new();
    };
    list.into_iter()
        .filter(|i| {
            if config.server.interfaces.is_empty() {
                i.primary().is_some_and(|a| !a.is_loopback())
            } else {
                config.server.interfaces.contains(&i.name)
            }
        })
        .filter_map(|i| {
            let idx = nix::net::if_::if_nametoindex(i.name.as_str()).ok()?;
            Some((idx, i.name))
        })
        .collect()
}

/// The name of interface `ifindex` when it is one we serve (any interface when none are
/// configured); `Err(())` for an interface we do not serve.
fn served_iface(config: &Config, ifindex: u32) -> Result<Option<String>, ()> {
    let iface = nix::net::if_::if_indextoname(ifindex)
        .ok()
        .and_then(|n| n.into_string().ok());
    if !config.server.interfaces.is_empty()
        && !iface
            .as_ref()
            .is_some_and(|n| config.server.interfaces.contains(n))
    {
        return Err(());
    }
    Ok(iface)
}

/// De-duplication and trust state of the passive monitor.
struct Sightings {
    own: HashSet<Ipv4Addr>,
    seen: HashMap<Ipv4Addr, Instant>,
}

impl Sightings {
    /// Handles one OFFER/ACK: ignored when it is ours or allowed; otherwise handed to the alert
    /// hook and logged (once per server per [`REALERT`]).
    fn handle(&mut self, config: &Config, reply: ServerReply) {
        if self.own.contains(&reply.server_id) {
            return;
        }
        self.own = trusted(config); // an address may have been added since
        if self.own.contains(&reply.server_id) {
            return;
        }
        remember_mac(&reply);
        if let Some(hook) = ALERT_HOOK.get() {
            hook(&reply); // every sighting: the alert clears after a quiet window
        }
        let now = Instant::now();
        if self
            .seen
            .get(&reply.server_id)
            .is_some_and(|t| now.duration_since(*t) < REALERT)
        {
            return;
        }
        if self.seen.len() >= MAX_REMEMBERED {
            self.seen.retain(|_, t| now.duration_since(*t) < REALERT);
            if self.seen.len() >= MAX_REMEMBERED {
                self.seen.clear();
            }
        }
        self.seen.insert(reply.server_id, now);
        report(&reply);
    }
}

/// Waits for the next frame on `capture`, or forever when there is none.
async fn next_frame(capture: Option<&AsyncPacketSocket>, buf: &mut [u8]) -> io::Result<FrameInfo> {
    match capture {
        Some(c) => c.recv_frame(buf).await,
        None => std::future::pending().await,
    }
}

async fn monitor(config: Arc<Config>, sock: UdpSocket, capture: Option<AsyncPacketSocket>) {
    let fd = sock.as_raw_fd();
    let port = config.server.client_port;
    let mut state = Sightings {
        own: trusted(&config),
        seen: HashMap::new(),
    };
    let mut buf = vec![0u8; 4096];
    let mut frame = vec![0u8; 65535];
    let interval = config
        .security
        .probe_interval
        .map(|s| Duration::from_secs(u64::from(s)));
    let mut probe = tokio::time::interval(interval.unwrap_or(Duration::from_secs(3600)));
    loop {
        tokio::select! {
            r = next_frame(capture.as_ref(), &mut frame) => {
                let info = match r {
                    Ok(x) => x,
                    Err(e) => { debug!("rogue monitor capture failed: {e}"); continue; }
                };
                let Ok(iface) = served_iface(&config, info.ifindex) else { continue };
                let Some(reply) = ServerReply::from_frame(&info, &frame, port, iface) else { continue };
                state.handle(&config, reply);
            }
            r = sock.async_io(Interest::READABLE, || recv_with_ifindex(fd, &mut buf)) => {
                let (len, source, ifindex) = match r {
                    Ok(x) => x,
                    Err(e) => { debug!("rogue monitor receive failed: {e}"); continue; }
                };
                if capture.is_some() {
                    continue; // the packet socket saw it too, with the sender's MAC
                }
                let Ok(iface) = served_iface(&config, ifindex) else { continue };
                let Some(pkt) = buf.get(..len).and_then(|d| Packet::parse(d).ok()) else { continue };
                let Some(reply) = ServerReply::from_packet(&pkt, source, iface) else { continue };
                let mac = leasehold_net::neigh::lookup(*source.ip(), reply.iface.as_deref());
                state.handle(&config, reply.with_mac(mac, MacSource::NeighbourTable));
            }
            _ = probe.tick(), if interval.is_some() => {
                let Some((_, bytes)) = probe_discover() else { continue };
                for (idx, name) in probe_targets(&config) {
                    let sent = sock.async_io(Interest::WRITABLE, || {
                        send_broadcast(fd, &bytes, config.server.server_port, idx)
                    }).await;
                    match sent {
                        Ok(_) => debug!(iface = %name, "sent rogue-server probe"),
                        Err(e) => debug!(iface = %name, "rogue-server probe not sent: {e}"),
                    }
                }
            }
        }
    }
}

fn join(v: &[Ipv4Addr]) -> String {
    v.iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Logs one rogue-server sighting.
fn report(r: &ServerReply) {
    warn!(
        event = "rogue_dhcp_server",
        server_id = %r.server_id,
        source = %r.source,
        mac = %r.mac_text(),
        mac_source = r.mac_source.as_str(),
        iface = r.iface.as_deref().unwrap_or("?"),
        kind = r.kind,
        yiaddr = %r.yiaddr,
        routers = %join(&r.routers),
        dns = %join(&r.dns),
        lease_time = r.lease_time,
        "another DHCP server is answering on a served link (list it in [security] allowed_servers if it is legitimate)"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_is_a_broadcast_discover_with_a_throwaway_id() {
        let (xid, bytes) = probe_discover().expect("encodes");
        let p = Packet::parse(&bytes).expect("parses");
        assert_eq!(p.xid, xid);
        assert_eq!(p.message_type(), Some(MessageType::Discover));
        assert!(p.broadcast());
        let id = p.options.client_id().expect("client id");
        assert!(id.starts_with(PROBE_CLIENT_ID_PREFIX));
        let (_, other) = probe_discover().expect("encodes");
        assert_ne!(bytes, other, "each probe has a new identity");
    }

    #[test]
    fn reads_what_a_server_offered() {
        let (_, bytes) = probe_discover().expect("encodes");
        let req = Packet::parse(&bytes).expect("parses");
        let mut offer = Packet::reply_to(&req);
        offer.yiaddr = Ipv4Addr::new(198, 18, 0, 50);
        offer.options.insert(53, vec![2]);
        offer.options.insert(54, vec![198, 18, 0, 2]);
        offer.options.insert(3, vec![198, 18, 0, 254]);
        offer.options.insert(6, vec![8, 8, 8, 8, 1, 1, 1, 1]);
        let src = SocketAddrV4::new(Ipv4Addr::new(198, 18, 0, 2), 67);
        let r = ServerReply::from_packet(&offer, src, None).expect("an offer");
        assert_eq!(r.server_id, Ipv4Addr::new(198, 18, 0, 2));
        assert_eq!(r.kind, "DHCPOFFER");
        assert_eq!(r.routers, vec![Ipv4Addr::new(198, 18, 0, 254)]);
        assert_eq!(r.dns.len(), 2);
        assert!(ServerReply::from_packet(&req, src, None).is_none());
    }

    /// An OFFER from 198.18.0.2 wrapped in IPv4/UDP headers to `dport`, as a packet socket
    /// delivers it.
    fn offer_frame(dport: u16) -> Vec<u8> {
        let (_, bytes) = probe_discover().expect("encodes");
        let req = Packet::parse(&bytes).expect("parses");
        let mut offer = Packet::reply_to(&req);
        offer.yiaddr = Ipv4Addr::new(198, 18, 0, 50);
        offer.options.insert(53, vec![2]);
        offer.options.insert(54, vec![198, 18, 0, 2]);
        let payload = offer.encode(&EncodeParams::default()).expect("encodes");
        let total = u16::try_from(28 + payload.len()).expect("small");
        let mut p = vec![0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0];
        p[2..4].copy_from_slice(&total.to_be_bytes());
        p.extend([198, 18, 0, 2, 255, 255, 255, 255]);
        p.extend(67u16.to_be_bytes());
        p.extend(dport.to_be_bytes());
        p.extend((total - 20).to_be_bytes());
        p.extend([0, 0]);
        p.extend(payload);
        p
    }

    const MAC: MacAddr = MacAddr([0x02, 0x00, 0x5e, 0x10, 0x00, 0x02]);

    fn frame(len: usize, outgoing: bool) -> FrameInfo {
        FrameInfo {
            len,
            ifindex: 1,
            src_mac: Some(MAC),
            outgoing,
        }
    }

    #[test]
    fn a_captured_offer_carries_the_senders_mac() {
        let bytes = offer_frame(68);
        let r = ServerReply::from_frame(&frame(bytes.len(), false), &bytes, 68, None)
            .expect("an offer");
        assert_eq!(r.server_id, Ipv4Addr::new(198, 18, 0, 2));
        assert_eq!(
            r.source,
            SocketAddrV4::new(Ipv4Addr::new(198, 18, 0, 2), 67)
        );
        assert_eq!(r.mac, Some(MAC));
        assert_eq!(r.mac_source, MacSource::PacketSocket);
        assert_eq!(r.mac_text(), "02:00:5e:10:00:02");
        // Our own outgoing frames, other ports and every truncation are ignored, never a panic.
        assert!(ServerReply::from_frame(&frame(bytes.len(), true), &bytes, 68, None).is_none());
        assert!(ServerReply::from_frame(&frame(bytes.len(), false), &bytes, 1068, None).is_none());
        for n in 0..bytes.len() {
            assert!(ServerReply::from_frame(&frame(n, false), &bytes, 68, None).is_none());
            let cut = bytes.get(..n).expect("in range");
            assert!(ServerReply::from_frame(&frame(bytes.len(), false), cut, 68, None).is_none());
        }
    }

    #[test]
    fn alerts_name_the_mac() {
        let bytes = offer_frame(68);
        // A server id no other test uses: the latest-MAC table is process-wide.
        let mut r = ServerReply::from_frame(&frame(bytes.len(), false), &bytes, 68, None)
            .expect("an offer");
        r.server_id = Ipv4Addr::new(198, 18, 200, 7);
        remember_mac(&r);
        let by_id = RogueServer::from(Ipv4Addr::new(198, 18, 200, 7));
        assert_eq!(by_id, RogueServer::from(&r));
        assert_eq!(
            by_id.describe(),
            "198.18.200.7 (MAC 02:00:5e:10:00:02, from the packet socket)"
        );
        let unseen = RogueServer::from(Ipv4Addr::new(198, 18, 200, 8));
        assert_eq!(unseen.describe(), "198.18.200.8 (MAC unknown)");
        let absent = RogueServer {
            mac: None,
            mac_source: MacSource::NeighbourTable,
            ..unseen
        };
        assert!(absent
            .describe()
            .ends_with("(MAC unknown: not in the neighbour table)"));

        let alerts = crate::alerts::Alerts::new(leasehold_engine::config::AlertsConfig {
            rogue_servers: true,
            ..Default::default()
        });
        alerts.raise_rogue(Ipv4Addr::new(198, 18, 200, 7), 1000);
        alerts.raise_rogue(&r, 1001);
        let active = alerts.snapshot().active;
        assert_eq!(active.len(), 1);
        assert_eq!(active[0].key, "rogue_server:198.18.200.7");
        assert!(
            active[0].message.contains("MAC 02:00:5e:10:00:02"),
            "{}",
            active[0].message
        );
    }
}
