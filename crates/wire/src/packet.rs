//! A parsed BOOTP/DHCP message.

use crate::hwaddr::HwAddr;
use crate::message::{MessageType, Op};
use crate::options::Options;
use std::net::Ipv4Addr;

/// One BOOTP/DHCP message: the fixed header (RFC 951 / RFC 2131 §2) and its options.
///
/// Parsed packets are validated (`hlen` ≤ 16, known `op`, well-formed options) and options from
/// an overloaded `sname`/`file` (option 52) are already merged into [`Packet::options`]; in that
/// case the overloaded field reads as empty here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// Request or reply.
    pub op: Op,
    /// Hardware address of the client (`htype`, `hlen`, `chaddr`).
    pub chaddr: HwAddr,
    /// Relay hop count.
    pub hops: u8,
    /// Transaction id chosen by the client.
    pub xid: u32,
    /// Seconds since the client began acquiring or renewing.
    pub secs: u16,
    /// Flags; bit 15 is the broadcast bit ([`crate::BROADCAST_FLAG`]).
    pub flags: u16,
    /// Client IP address (only when the client is BOUND, RENEWING or REBINDING, or for INFORM).
    pub ciaddr: Ipv4Addr,
    /// "Your" address: what the server assigns.
    pub yiaddr: Ipv4Addr,
    /// Next server to use in bootstrap (TFTP server).
    pub siaddr: Ipv4Addr,
    /// Relay agent address, 0.0.0.0 when not relayed.
    pub giaddr: Ipv4Addr,
    /// Server host name, up to 64 bytes (zero-terminated on the wire).
    pub sname: Vec<u8>,
    /// Boot file name, up to 128 bytes (zero-terminated on the wire).
    pub file: Vec<u8>,
    /// True when the options area started with the DHCP magic cookie.
    pub has_cookie: bool,
    /// Options (empty when there was no cookie).
    pub options: Options,
    /// The raw 64-byte vendor area of a BOOTP packet without the magic cookie (RFC 951 `vend`).
    pub vend: Vec<u8>,
}

impl Packet {
    /// The DHCP message type (option 53); `None` for plain BOOTP.
    pub fn message_type(&self) -> Option<MessageType> {
        self.options.message_type()
    }

    /// True when the client asked for broadcast replies.
    pub fn broadcast(&self) -> bool {
        self.flags & crate::BROADCAST_FLAG != 0
    }

    /// A blank BOOTREQUEST from `chaddr` with transaction id `xid`: every address 0.0.0.0, no
    /// flags, hops 0, the magic cookie set and no options. Clients, probes, load generators and
    /// tests start from this and fill in what their message needs.
    pub fn boot_request(chaddr: HwAddr, xid: u32) -> Packet {
        Packet {
            op: Op::BootRequest,
            chaddr,
            hops: 0,
            xid,
            secs: 0,
            flags: 0,
            ciaddr: Ipv4Addr::UNSPECIFIED,
            yiaddr: Ipv4Addr::UNSPECIFIED,
            siaddr: Ipv4Addr::UNSPECIFIED,
            giaddr: Ipv4Addr::UNSPECIFIED,
            sname: Vec::new(),
            file: Vec::new(),
            has_cookie: true,
            options: Options::default(),
            vend: Vec::new(),
        }
    }

    /// A blank BOOTREPLY answering `req`: same xid, htype/chaddr, flags, giaddr and hops 0,
    /// magic cookie set when the request had it; options empty.
    pub fn reply_to(req: &Packet) -> Packet {
        Packet {
            op: Op::BootReply,
            chaddr: req.chaddr,
            hops: 0,
            xid: req.xid,
            secs: 0,
            flags: req.flags,
            ciaddr: Ipv4Addr::UNSPECIFIED,
            yiaddr: Ipv4Addr::UNSPECIFIED,
            siaddr: Ipv4Addr::UNSPECIFIED,
            giaddr: req.giaddr,
            sname: Vec::new(),
            file: Vec::new(),
            has_cookie: req.has_cookie || req.vend.is_empty(),
            options: Options::default(),
            vend: Vec::new(),
        }
    }
}
