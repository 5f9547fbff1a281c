//! Parsing a datagram into a [`Packet`] (RFC 951, RFC 2131 §2, RFC 3396).
//!
//! The parser never panics: every index is checked and every malformed datagram becomes a
//! [`WireError`]. Option 52 (overload) is framing, not data: it is consumed here (the overloaded
//! `file`/`sname` areas are parsed as further options, in that order) and not kept in
//! [`Packet::options`].

use crate::error::WireError;
use crate::hwaddr::HwAddr;
use crate::message::Op;
use crate::options::{code, Options};
use crate::packet::Packet;
use crate::{HEADER_LEN, MAGIC_COOKIE};
use std::net::Ipv4Addr;

/// Offsets of the fixed header fields (RFC 2131 §2, figure 1).
pub(crate) mod offset {
    pub const OP: usize = 0;
    pub const HTYPE: usize = 1;
    pub const HLEN: usize = 2;
    pub const HOPS: usize = 3;
    pub const XID: usize = 4;
    pub const SECS: usize = 8;
    pub const FLAGS: usize = 10;
    pub const CIADDR: usize = 12;
    pub const YIADDR: usize = 16;
    pub const SIADDR: usize = 20;
    pub const GIADDR: usize = 24;
    pub const CHADDR: usize = 28;
    pub const SNAME: usize = 44;
    pub const FILE: usize = 108;
    /// Length of `sname`.
    pub const SNAME_LEN: usize = 64;
    /// Length of `file`.
    pub const FILE_LEN: usize = 128;
    /// Length of the RFC 951 `vend` area.
    pub const VEND_LEN: usize = 64;
}

/// Which of `file`/`sname` carry options (option 52, RFC 2132 §9.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Overload {
    file: bool,
    sname: bool,
}

impl Overload {
    fn from_value(v: &[u8]) -> Result<Self, WireError> {
        match v {
            [1] => Ok(Overload {
                file: true,
                sname: false,
            }),
            [2] => Ok(Overload {
                file: false,
                sname: true,
            }),
            [3] => Ok(Overload {
                file: true,
                sname: true,
            }),
            _ => Err(WireError::BadOverload),
        }
    }
}

impl Packet {
    /// Parses one BOOTP/DHCP message.
    ///
    /// Never panics. Errors: shorter than the 236-byte header, `op` not 1 or 2, `hlen` above 16,
    /// an option whose length runs past its area, an invalid option 52. Without the magic cookie
    /// the packet is plain BOOTP: options stay empty and `vend` holds up to 64 bytes after the
    /// header. Repeated options are concatenated (RFC 3396), including instances in an overloaded
    /// `file` then `sname`; an overloaded field reads as empty.
    pub fn parse(buf: &[u8]) -> Result<Packet, WireError> {
        let (header, rest) = buf
            .split_first_chunk::<HEADER_LEN>()
            .ok_or(WireError::Truncated(buf.len()))?;
        let op = match header[offset::OP] {
            1 => Op::BootRequest,
            2 => Op::BootReply,
            other => return Err(WireError::BadOp(other)),
        };
        let hlen = usize::from(header[offset::HLEN]);
        let hw = header[offset::CHADDR..offset::SNAME]
            .get(..hlen)
            .ok_or(WireError::HlenTooLong(hlen))?;
        let chaddr = HwAddr::new(header[offset::HTYPE], hw)?;
        let sname_field = &header[offset::SNAME..offset::FILE];
        let file_field = &header[offset::FILE..HEADER_LEN];

        // The options area: what follows the magic cookie, if there is one.
        let area = rest
            .split_first_chunk::<4>()
            .filter(|(cookie, _)| **cookie == MAGIC_COOKIE)
            .map(|(_, area)| area);
        let has_cookie = area.is_some();
        let mut options = Options::new();
        let mut vend = Vec::new();
        let mut overload = Overload {
            file: false,
            sname: false,
        };
        if let Some(area) = area {
            parse_area(area, &mut options)?;
            if let Some(v) = options.remove(code::OVERLOAD) {
                overload = Overload::from_value(&v)?;
            }
            if overload.file {
                parse_area(file_field, &mut options)?;
            }
            if overload.sname {
                parse_area(sname_field, &mut options)?;
            }
            // An option 52 inside an overloaded area has no meaning: drop it.
            options.remove(code::OVERLOAD);
        } else {
            vend = rest.iter().take(offset::VEND_LEN).copied().collect();
        }

        let sname = if overload.sname {
            Vec::new()
        } else {
            trim_nul(sname_field)
        };
        let file = if overload.file {
            Vec::new()
        } else {
            trim_nul(file_field)
        };

        Ok(Packet {
            op,
            chaddr,
            hops: header[offset::HOPS],
            xid: be_u32(&header[offset::XID..offset::SECS]),
            secs: be_u16(&header[offset::SECS..offset::FLAGS]),
            flags: be_u16(&header[offset::FLAGS..offset::CIADDR]),
            ciaddr: ip(&header[offset::CIADDR..offset::YIADDR]),
            yiaddr: ip(&header[offset::YIADDR..offset::SIADDR]),
            siaddr: ip(&header[offset::SIADDR..offset::GIADDR]),
            giaddr: ip(&header[offset::GIADDR..offset::CHADDR]),
            sname,
            file,
            has_cookie,
            options,
            vend,
        })
    }
}

/// Parses one options area into `out`: Pad skipped, End stops, repeated codes concatenated.
fn parse_area(area: &[u8], out: &mut Options) -> Result<(), WireError> {
    let mut i = 0;
    while let Some(&c) = area.get(i) {
        match c {
            code::PAD => i += 1,
            code::END => return Ok(()),
            _ => {
                let len = usize::from(
                    *area
                        .get(i + 1)
                        .ok_or(WireError::OptionOverrun { code: c })?,
                );
                let start = i + 2;
                let value = area
                    .get(start..start + len)
                    .ok_or(WireError::OptionOverrun { code: c })?;
                out.append(c, value);
                i = start + len;
            }
        }
    }
    Ok(())
}

/// The bytes of a NUL-terminated field up to its first NUL.
fn trim_nul(field: &[u8]) -> Vec<u8> {
    field.iter().take_while(|b| **b != 0).copied().collect()
}

/// A big-endian u32 from a 4-byte header field.
fn be_u32(field: &[u8]) -> u32 {
    field.iter().fold(0, |n, b| n << 8 | u32::from(*b))
}

/// A big-endian u16 from a 2-byte header field.
fn be_u16(field: &[u8]) -> u16 {
    field.iter().fold(0, |n, b| n << 8 | u16::from(*b))
}

/// An IPv4 address from a 4-byte header field.
fn ip(field: &[u8]) -> Ipv4Addr {
    Ipv4Addr::from(be_u32(field))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_nul_stops_at_first_nul() {
        assert_eq!(trim_nul(b"ab\0cd"), b"ab".to_vec());
        assert_eq!(trim_nul(b"abc"), b"abc".to_vec());
        assert_eq!(trim_nul(b"\0abc"), Vec::<u8>::new());
    }

    #[test]
    fn area_rejects_missing_length_byte() {
        let mut o = Options::new();
        assert_eq!(
            parse_area(&[1], &mut o),
            Err(WireError::OptionOverrun { code: 1 })
        );
    }

    #[test]
    fn area_stops_at_end_and_ignores_trailing_garbage() {
        let mut o = Options::new();
        assert_eq!(parse_area(&[0, 3, 1, 9, 255, 7, 200], &mut o), Ok(()));
        assert_eq!(o.get(3), Some(&[9][..]));
        assert_eq!(o.len(), 1);
    }
}
