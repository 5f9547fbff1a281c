//! The DHCID RR (RFC 4701): who a name belongs to, as a digest of the client's identity and the
//! name.

use crate::error::DdnsError;
use crate::key::parse_name;
use hickory_proto::dnssec::crypto::Digest;
use hickory_proto::dnssec::DigestType;
use hickory_proto::rr::Name;

/// The DHCID RR type code (RFC 4701 §2; hickory has no type of its own for it).
pub const DHCID_TYPE: u16 = 49;

/// The DHCID digest type for SHA-256 (RFC 4701 §3.3).
const DIGEST_SHA256: u8 = 1;

/// The client identity a DHCID is computed from (RFC 4701 §3.3).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Identity {
    /// Identifier type 0x0000: the `htype` octet followed by `chaddr` (for clients without a
    /// client identifier option).
    HwAddr {
        /// BOOTP/DHCP hardware type (1 = Ethernet).
        htype: u8,
        /// The client hardware address (`hlen` octets of `chaddr`).
        chaddr: Vec<u8>,
    },
    /// Identifier type 0x0001: the data of the client identifier option (61), type octet
    /// included.
    ClientId(Vec<u8>),
    /// Identifier type 0x0002: a DHCP Unique Identifier (RFC 3315 DUID), for DHCPv4 clients that
    /// send an RFC 4361 client identifier.
    Duid(Vec<u8>),
}

impl Identity {
    /// The identity for a client identifier option's data. An RFC 4361 identifier (first octet
    /// 255, then a 4-octet IAID, then a DUID) gives [`Identity::Duid`] with the DUID; anything
    /// else [`Identity::ClientId`] with the whole option data.
    pub fn from_client_id(client_id: &[u8]) -> Identity {
        match client_id {
            [255, _, _, _, _, duid @ ..] if !duid.is_empty() => Identity::Duid(duid.to_vec()),
            _ => Identity::ClientId(client_id.to_vec()),
        }
    }

    /// The identity of a client known only by its hardware address.
    pub fn from_hwaddr(htype: u8, chaddr: &[u8]) -> Identity {
        Identity::HwAddr {
            htype,
            chaddr: chaddr.to_vec(),
        }
    }

    /// The RFC 4701 identifier type code (0, 1 or 2).
    pub fn identifier_type(&self) -> u16 {
        match self {
            Identity::HwAddr { .. } => 0,
            Identity::ClientId(_) => 1,
            Identity::Duid(_) => 2,
        }
    }

    /// The DHCID RDATA for this identity and an FQDN (RFC 4701 §3.3–3.5): identifier type (2
    /// octets), digest type 1, SHA-256 over the identifier and the name in canonical (lowercase,
    /// uncompressed) wire format.
    pub fn dhcid(&self, fqdn: &str) -> Result<Vec<u8>, DdnsError> {
        self.dhcid_for(&parse_name(fqdn)?)
    }

    pub(crate) fn dhcid_for(&self, name: &Name) -> Result<Vec<u8>, DdnsError> {
        let mut wire = Vec::with_capacity(name.len() + 2);
        for label in name.to_lowercase().iter() {
            // Labels are at most 63 octets (hickory enforces it).
            wire.push(label.len() as u8);
            wire.extend_from_slice(label);
        }
        wire.push(0);
        let htype;
        let parts: [&[u8]; 3] = match self {
            Identity::HwAddr { htype: h, chaddr } => {
                htype = [*h];
                [&htype, chaddr, &wire]
            }
            Identity::ClientId(id) | Identity::Duid(id) => [id, &[], &wire],
        };
        let digest = Digest::from_iter(parts, DigestType::SHA256)
            .map_err(|e| DdnsError::Digest(e.to_string()))?;
        let mut out = Vec::with_capacity(3 + 32);
        out.extend_from_slice(&self.identifier_type().to_be_bytes());
        out.push(DIGEST_SHA256);
        out.extend_from_slice(digest.as_ref());
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::decode_base64;

    fn b64(s: &str) -> Vec<u8> {
        decode_base64(s).expect("base64")
    }

    /// RFC 4701 §3.6.1: client identifier option data 01:07:08:09:0a:0b:0c, "chi.example.com".
    #[test]
    fn rfc4701_vector_client_id() {
        let id = Identity::from_client_id(&[0x01, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c]);
        assert_eq!(id.identifier_type(), 1);
        assert_eq!(
            id.dhcid("chi.example.com.").expect("dhcid"),
            b64("AAEBOSD+XR3Os/0LozeXVqcNc7FwCfQdWL3b/NaiUDlW2No=")
        );
        // Canonical form: case does not matter.
        assert_eq!(
            id.dhcid("CHI.Example.COM").expect("dhcid"),
            b64("AAEBOSD+XR3Os/0LozeXVqcNc7FwCfQdWL3b/NaiUDlW2No=")
        );
    }

    /// RFC 4701 §3.6.2: Ethernet (htype 1) 01:02:03:04:05:06, "client.example.com".
    #[test]
    fn rfc4701_vector_hwaddr() {
        let id = Identity::from_hwaddr(1, &[1, 2, 3, 4, 5, 6]);
        assert_eq!(
            id.dhcid("client.example.com.").expect("dhcid"),
            b64("AAABxLmlskllE0MVjd57zHcWmEH3pCQ6VytcKD//7es/deY=")
        );
    }

    /// RFC 4701 §3.6.3: DUID 00:01:00:06:41:2d:f1:66:01:02:03:04:05:06, "chi6.example.com".
    /// In DHCPv4 it arrives as an RFC 4361 client identifier: 255, IAID, DUID.
    #[test]
    fn rfc4701_vector_duid() {
        let duid = [
            0x00, 0x01, 0x00, 0x06, 0x41, 0x2d, 0xf1, 0x66, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
        ];
        let mut client_id = vec![255, 0, 0, 0, 1];
        client_id.extend_from_slice(&duid);
        let id = Identity::from_client_id(&client_id);
        assert_eq!(id, Identity::Duid(duid.to_vec()));
        assert_eq!(
            id.dhcid("chi6.example.com.").expect("dhcid"),
            b64("AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=")
        );
    }

    #[test]
    fn short_rfc4361_identifier_stays_a_client_id() {
        assert_eq!(
            Identity::from_client_id(&[255, 1, 2, 3, 4]),
            Identity::ClientId(vec![255, 1, 2, 3, 4])
        );
        assert!(Identity::from_client_id(&[]).dhcid("a.b.").is_ok());
        assert!(Identity::from_client_id(&[1]).dhcid("").is_err());
    }
}
