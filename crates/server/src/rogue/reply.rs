//! What one OFFER or ACK from some server says ([`ServerReply`]), and who sent it
//! ([`RogueServer`]: server id and MAC address, taken from the reply itself).

use leasehold_net::capture::parse_ipv4_udp;
use leasehold_net::{FrameInfo, MacAddr};
use leasehold_wire::{MessageType, Op, Packet};
use std::net::{Ipv4Addr, SocketAddrV4};

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

/// Who a rogue server is, for the log and the alerts: its server identifier and, when known, its
/// MAC address — both taken from the sighting itself (`From<&ServerReply>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RogueServer {
    /// Option 54, or the IP source address.
    pub server_id: Ipv4Addr,
    /// Its MAC address, when known.
    pub mac: Option<MacAddr>,
    /// Where the MAC came from.
    pub mac_source: MacSource,
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

impl RogueServer {
    /// A server known only by its identifier (MAC not looked up).
    pub fn without_mac(server_id: Ipv4Addr) -> Self {
        RogueServer {
            server_id,
            mac: None,
            mac_source: MacSource::NotLooked,
        }
    }

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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::rogue::probe::{probe_discover, ProbeToken};
    use leasehold_wire::EncodeParams;

    /// An OFFER from `server` (option 54) answering a fresh probe.
    pub(crate) fn offer_from(server: Ipv4Addr) -> Packet {
        let (_, bytes) = probe_discover(&ProbeToken::new(1)).expect("encodes");
        let req = Packet::parse(&bytes).expect("parses");
        let mut offer = Packet::reply_to(&req);
        offer.yiaddr = Ipv4Addr::new(198, 18, 0, 50);
        offer.options.insert(53, vec![2]);
        offer.options.insert(54, server.octets().to_vec());
        offer
    }

    #[test]
    fn reads_what_a_server_offered() {
        let (_, bytes) = probe_discover(&ProbeToken::new(1)).expect("encodes");
        let req = Packet::parse(&bytes).expect("parses");
        let mut offer = offer_from(Ipv4Addr::new(198, 18, 0, 2));
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
        let offer = offer_from(Ipv4Addr::new(198, 18, 0, 2));
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
    fn alerts_name_the_mac_of_the_sighting() {
        let bytes = offer_frame(68);
        let r = ServerReply::from_frame(&frame(bytes.len(), false), &bytes, 68, None)
            .expect("an offer");
        let who = RogueServer::from(&r);
        assert_eq!(
            who.describe(),
            "198.18.0.2 (MAC 02:00:5e:10:00:02, from the packet socket)"
        );
        let unseen = RogueServer::without_mac(Ipv4Addr::new(198, 18, 200, 8));
        assert_eq!(unseen.describe(), "198.18.200.8 (MAC unknown)");
        let absent = RogueServer {
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
        alerts.raise_rogue(&unseen, 1000);
        alerts.raise_rogue(&who, 1001);
        let active = alerts.snapshot().active;
        assert_eq!(active.len(), 2);
        let alert = active
            .iter()
            .find(|a| a.key == "rogue_server:198.18.0.2")
            .expect("raised");
        assert!(
            alert.message.contains("MAC 02:00:5e:10:00:02"),
            "{}",
            alert.message
        );
    }
}
