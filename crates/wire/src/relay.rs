//! Relay agent information, option 82 (RFC 3046) and its sub-options.

use crate::error::WireError;
use std::net::Ipv4Addr;

/// Sub-option codes of option 82.
pub mod sub {
    #![allow(missing_docs)]
    /// RFC 3046
    pub const CIRCUIT_ID: u8 = 1;
    /// RFC 3046
    pub const REMOTE_ID: u8 = 2;
    /// RFC 3527
    pub const LINK_SELECTION: u8 = 5;
    /// RFC 3993
    pub const SUBSCRIBER_ID: u8 = 6;
    /// RFC 5107
    pub const SERVER_ID_OVERRIDE: u8 = 11;
    /// RFC 8357
    pub const RELAY_SOURCE_PORT: u8 = 19;
}

/// Option 82 split into its sub-options. `raw` keeps every sub-option in order, so the option can
/// be echoed back unchanged (RFC 3046 §2.2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RelayAgentInfo {
    /// All sub-options as (code, value), in wire order.
    pub raw: Vec<(u8, Vec<u8>)>,
}

impl RelayAgentInfo {
    /// Parses the value of option 82. Sub-options that overrun the value are an error.
    pub fn parse(value: &[u8]) -> Result<Self, WireError> {
        let mut raw = Vec::new();
        let mut rest = value;
        while let Some((&code, after_code)) = rest.split_first() {
            let (&len, after_len) = after_code
                .split_first()
                .ok_or(WireError::BadRelayAgentInfo)?;
            let (data, after_data) = after_len
                .split_at_checked(usize::from(len))
                .ok_or(WireError::BadRelayAgentInfo)?;
            raw.push((code, data.to_vec()));
            rest = after_data;
        }
        Ok(RelayAgentInfo { raw })
    }

    /// Serialises the sub-options back into an option 82 value.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (c, v) in &self.raw {
            out.push(*c);
            out.push(v.len().min(255) as u8);
            out.extend(v.iter().take(255));
        }
        out
    }

    /// The value of sub-option `code`.
    pub fn get(&self, code: u8) -> Option<&[u8]> {
        self.raw
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, v)| v.as_slice())
    }

    fn ip(&self, code: u8) -> Option<Ipv4Addr> {
        let b: [u8; 4] = self.get(code)?.try_into().ok()?;
        Some(Ipv4Addr::from(b))
    }

    /// Sub-option 1, agent circuit id.
    pub fn circuit_id(&self) -> Option<&[u8]> {
        self.get(sub::CIRCUIT_ID)
    }

    /// Sub-option 2, agent remote id.
    pub fn remote_id(&self) -> Option<&[u8]> {
        self.get(sub::REMOTE_ID)
    }

    /// Sub-option 5, link selection (RFC 3527).
    pub fn link_selection(&self) -> Option<Ipv4Addr> {
        self.ip(sub::LINK_SELECTION)
    }

    /// Sub-option 6, subscriber id (RFC 3993).
    pub fn subscriber_id(&self) -> Option<&[u8]> {
        self.get(sub::SUBSCRIBER_ID)
    }

    /// Sub-option 11, server identifier override (RFC 5107).
    pub fn server_id_override(&self) -> Option<Ipv4Addr> {
        self.ip(sub::SERVER_ID_OVERRIDE)
    }

    /// True when the relay included sub-option 19 (RFC 8357): reply to its source port.
    pub fn wants_source_port(&self) -> bool {
        self.get(sub::RELAY_SOURCE_PORT).is_some()
    }
}
