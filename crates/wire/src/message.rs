//! The BOOTP operation code and the DHCP message type.

/// BOOTP `op`: who sent the message (RFC 951).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// 1: client → server.
    BootRequest,
    /// 2: server → client.
    BootReply,
}

impl Op {
    /// The byte on the wire.
    pub fn code(self) -> u8 {
        match self {
            Op::BootRequest => 1,
            Op::BootReply => 2,
        }
    }
}

/// DHCP message type, option 53 (RFC 2132 §9.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// 1
    Discover,
    /// 2
    Offer,
    /// 3
    Request,
    /// 4
    Decline,
    /// 5
    Ack,
    /// 6
    Nak,
    /// 7
    Release,
    /// 8
    Inform,
    /// Any other value (e.g. leasequery, 10–18); kept so it can be counted and dropped.
    Other(u8),
}

impl MessageType {
    /// The option 53 value.
    pub fn code(self) -> u8 {
        match self {
            MessageType::Discover => 1,
            MessageType::Offer => 2,
            MessageType::Request => 3,
            MessageType::Decline => 4,
            MessageType::Ack => 5,
            MessageType::Nak => 6,
            MessageType::Release => 7,
            MessageType::Inform => 8,
            MessageType::Other(v) => v,
        }
    }

    /// Maps an option 53 value to a message type.
    pub fn from_code(v: u8) -> Self {
        match v {
            1 => MessageType::Discover,
            2 => MessageType::Offer,
            3 => MessageType::Request,
            4 => MessageType::Decline,
            5 => MessageType::Ack,
            6 => MessageType::Nak,
            7 => MessageType::Release,
            8 => MessageType::Inform,
            v => MessageType::Other(v),
        }
    }

    /// Upper-case name as used in logs and metrics labels (`DISCOVER`, `OTHER`).
    pub fn name(self) -> &'static str {
        match self {
            MessageType::Discover => "DISCOVER",
            MessageType::Offer => "OFFER",
            MessageType::Request => "REQUEST",
            MessageType::Decline => "DECLINE",
            MessageType::Ack => "ACK",
            MessageType::Nak => "NAK",
            MessageType::Release => "RELEASE",
            MessageType::Inform => "INFORM",
            MessageType::Other(_) => "OTHER",
        }
    }
}
