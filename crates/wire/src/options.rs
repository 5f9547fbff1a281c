//! The option container of a packet, with typed accessors for the options the server reads.

use crate::message::MessageType;
use crate::relay::RelayAgentInfo;
use std::net::Ipv4Addr;

/// Well-known option codes (RFC 2132 and later), for readable code.
pub mod code {
    #![allow(missing_docs)]
    pub const PAD: u8 = 0;
    pub const SUBNET_MASK: u8 = 1;
    pub const ROUTER: u8 = 3;
    pub const DNS_SERVERS: u8 = 6;
    pub const HOSTNAME: u8 = 12;
    pub const DOMAIN_NAME: u8 = 15;
    pub const BROADCAST_ADDR: u8 = 28;
    pub const VENDOR_SPECIFIC: u8 = 43;
    pub const REQUESTED_IP: u8 = 50;
    pub const LEASE_TIME: u8 = 51;
    pub const OVERLOAD: u8 = 52;
    pub const MESSAGE_TYPE: u8 = 53;
    pub const SERVER_ID: u8 = 54;
    pub const PARAM_REQUEST_LIST: u8 = 55;
    pub const MESSAGE: u8 = 56;
    pub const MAX_MESSAGE_SIZE: u8 = 57;
    pub const RENEWAL_TIME: u8 = 58;
    pub const REBINDING_TIME: u8 = 59;
    pub const VENDOR_CLASS_ID: u8 = 60;
    pub const CLIENT_ID: u8 = 61;
    pub const TFTP_SERVER_NAME: u8 = 66;
    pub const BOOTFILE_NAME: u8 = 67;
    pub const USER_CLASS: u8 = 77;
    pub const CLIENT_FQDN: u8 = 81;
    pub const RELAY_AGENT_INFO: u8 = 82;
    pub const CLIENT_ARCH: u8 = 93;
    pub const CLIENT_NDI: u8 = 94;
    pub const CLIENT_UUID: u8 = 97;
    pub const IPV6_ONLY_PREFERRED: u8 = 108;
    pub const SUBNET_SELECTION: u8 = 118;
    pub const DOMAIN_SEARCH: u8 = 119;
    pub const CLASSLESS_STATIC_ROUTE: u8 = 121;
    pub const TFTP_SERVER_ADDRESS: u8 = 150;
    pub const END: u8 = 255;
}

/// The options of one packet: at most one value per code, in the order first seen.
///
/// Values are the full, concatenated bytes (RFC 3396: several instances of one code are joined
/// in order, including instances from an overloaded `file` then `sname`). Pad (0) and End (255)
/// are never stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    entries: Vec<(u8, Vec<u8>)>,
}

impl Options {
    /// An empty set.
    pub fn new() -> Self {
        Options::default()
    }

    /// The value of option `code`, if present.
    pub fn get(&self, code: u8) -> Option<&[u8]> {
        self.entries
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, v)| v.as_slice())
    }

    /// True when option `code` is present.
    pub fn contains(&self, code: u8) -> bool {
        self.get(code).is_some()
    }

    /// Sets option `code` to `value`, replacing an earlier value (position kept).
    /// Pad and End are ignored.
    pub fn insert(&mut self, code: u8, value: Vec<u8>) {
        if code == code::PAD || code == code::END {
            return;
        }
        match self.entries.iter_mut().find(|(c, _)| *c == code) {
            Some(e) => e.1 = value,
            None => self.entries.push((code, value)),
        }
    }

    /// Appends bytes to option `code` (RFC 3396 concatenation), creating it if absent.
    pub fn append(&mut self, code: u8, more: &[u8]) {
        if code == code::PAD || code == code::END {
            return;
        }
        match self.entries.iter_mut().find(|(c, _)| *c == code) {
            Some(e) => e.1.extend_from_slice(more),
            None => self.entries.push((code, more.to_vec())),
        }
    }

    /// Removes option `code`, returning its value.
    pub fn remove(&mut self, code: u8) -> Option<Vec<u8>> {
        let i = self.entries.iter().position(|(c, _)| *c == code)?;
        Some(self.entries.remove(i).1)
    }

    /// All options in order.
    pub fn iter(&self) -> impl Iterator<Item = (u8, &[u8])> {
        self.entries.iter().map(|(c, v)| (*c, v.as_slice()))
    }

    /// Number of distinct options.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no options.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn ip(&self, code: u8) -> Option<Ipv4Addr> {
        let v = self.get(code)?;
        let b: [u8; 4] = v.try_into().ok()?;
        Some(Ipv4Addr::from(b))
    }

    fn u32(&self, code: u8) -> Option<u32> {
        let v = self.get(code)?;
        let b: [u8; 4] = v.try_into().ok()?;
        Some(u32::from_be_bytes(b))
    }

    /// Option 53, when present and exactly one byte.
    pub fn message_type(&self) -> Option<MessageType> {
        match self.get(code::MESSAGE_TYPE)? {
            [v] => Some(MessageType::from_code(*v)),
            _ => None,
        }
    }

    /// Option 50, requested IP address.
    pub fn requested_ip(&self) -> Option<Ipv4Addr> {
        self.ip(code::REQUESTED_IP)
    }

    /// Option 54, server identifier.
    pub fn server_id(&self) -> Option<Ipv4Addr> {
        self.ip(code::SERVER_ID)
    }

    /// Option 51, lease time in seconds.
    pub fn lease_time(&self) -> Option<u32> {
        self.u32(code::LEASE_TIME)
    }

    /// Option 61, client identifier (type byte included); `None` when absent or empty.
    pub fn client_id(&self) -> Option<&[u8]> {
        self.get(code::CLIENT_ID).filter(|v| !v.is_empty())
    }

    /// Option 55, parameter request list.
    pub fn param_request_list(&self) -> Option<&[u8]> {
        self.get(code::PARAM_REQUEST_LIST)
    }

    /// Option 57, maximum DHCP message size the client accepts; values below 576 are ignored
    /// (RFC 2132 §9.10 sets 576 as the minimum legal value).
    pub fn max_message_size(&self) -> Option<u16> {
        let v = self.get(code::MAX_MESSAGE_SIZE)?;
        let b: [u8; 2] = v.try_into().ok()?;
        Some(u16::from_be_bytes(b)).filter(|s| *s >= 576)
    }

    /// Option 12, host name, when it is valid UTF-8 (trailing NULs dropped).
    pub fn hostname(&self) -> Option<&str> {
        let v = self.get(code::HOSTNAME)?;
        // Up to the first NUL (`split` always yields a first piece).
        let v = v.split(|b| *b == 0).next().unwrap_or(v);
        std::str::from_utf8(v).ok().filter(|s| !s.is_empty())
    }

    /// Option 81, client FQDN (RFC 4702), parsed; `None` when absent or malformed.
    pub fn client_fqdn(&self) -> Option<crate::fqdn::ClientFqdn> {
        crate::fqdn::ClientFqdn::parse(self.get(code::CLIENT_FQDN)?).ok()
    }

    /// Option 118, subnet selection (RFC 3011).
    pub fn subnet_selection(&self) -> Option<Ipv4Addr> {
        self.ip(code::SUBNET_SELECTION)
    }

    /// Option 82, relay agent information, parsed into sub-options; `None` when absent or
    /// malformed.
    pub fn relay_agent_info(&self) -> Option<RelayAgentInfo> {
        RelayAgentInfo::parse(self.get(code::RELAY_AGENT_INFO)?).ok()
    }
}
