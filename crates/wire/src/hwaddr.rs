//! Hardware addresses as carried in `htype`/`hlen`/`chaddr`.

use crate::error::WireError;
use std::fmt;
use std::str::FromStr;

/// A client hardware address: its type (`htype`, 1 = Ethernet) and up to 16 bytes.
///
/// chaddr is not always 6 bytes (InfiniBand sends 0 with a client id; some hardware sends more),
/// so the length is kept.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HwAddr {
    htype: u8,
    len: u8,
    bytes: [u8; 16],
}

impl HwAddr {
    /// Builds an address of type `htype` from `bytes`; more than 16 bytes is an error.
    pub fn new(htype: u8, bytes: &[u8]) -> Result<Self, WireError> {
        if bytes.len() > 16 {
            return Err(WireError::HlenTooLong(bytes.len()));
        }
        let mut b = [0u8; 16];
        for (dst, src) in b.iter_mut().zip(bytes) {
            *dst = *src;
        }
        Ok(HwAddr {
            htype,
            len: bytes.len() as u8,
            bytes: b,
        })
    }

    /// An Ethernet (htype 1) MAC address.
    pub fn ethernet(mac: [u8; 6]) -> Self {
        let mut b = [0u8; 16];
        b[..6].copy_from_slice(&mac);
        HwAddr {
            htype: 1,
            len: 6,
            bytes: b,
        }
    }

    /// The hardware type (`htype`), 1 for Ethernet.
    pub fn htype(&self) -> u8 {
        self.htype
    }

    /// The address bytes (`hlen` of them).
    pub fn as_bytes(&self) -> &[u8] {
        // `len` is at most 16 (checked in `new`), so the fallback is never taken.
        self.bytes
            .get(..usize::from(self.len))
            .unwrap_or(&self.bytes)
    }

    /// The 16-byte `chaddr` field for this address (zero padded).
    pub fn chaddr(&self) -> [u8; 16] {
        self.bytes
    }

    /// The six bytes of an Ethernet address, if this is one.
    pub fn mac(&self) -> Option<[u8; 6]> {
        if self.htype == 1 && self.len == 6 {
            let mut m = [0u8; 6];
            m.copy_from_slice(&self.bytes[..6]);
            Some(m)
        } else {
            None
        }
    }
}

impl fmt::Display for HwAddr {
    /// Colon-separated lower-case hex, e.g. `52:54:00:12:34:56`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.as_bytes().iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for HwAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HwAddr({}/{self})", self.htype)
    }
}

impl FromStr for HwAddr {
    type Err = WireError;
    /// Parses `aa:bb:cc:dd:ee:ff` (or `-` separated) as an Ethernet-type address of that many bytes.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = Vec::with_capacity(16);
        for part in s.split([':', '-']) {
            if part.len() != 2 {
                return Err(WireError::BadHwAddr(s.to_string()));
            }
            let b =
                u8::from_str_radix(part, 16).map_err(|_| WireError::BadHwAddr(s.to_string()))?;
            out.push(b);
        }
        if out.is_empty() {
            return Err(WireError::BadHwAddr(s.to_string()));
        }
        HwAddr::new(1, &out)
    }
}
