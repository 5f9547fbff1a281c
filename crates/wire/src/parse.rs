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
        let header = buf
            .get(..HEADER_LEN)
            .ok_or(WireError::Truncated(buf.len()))?;
        let op = match header[offset::OP] {
            1 => Op::BootRequest,
            2 => Op::BootReply,
            other => return Err(WireError::BadOp(other)),
        };
        let hlen = usize::from(header[offset::HLEN]);
        let chaddr_field = &header[offset::CHADDR..offset::SNAME];
        let hw = chaddr_field
            .get(..hlen)
            .ok_or(WireError::HlenTooLong(hlen))?;
        let chaddr = HwAddr::new(header[offset::HTYPE], hw)?;

        let rest = &buf[HEADER_LEN..];
        let has_cookie = rest.get(..4) == Some(&MAGIC_COOKIE[..]);
        let mut options = Options::new();
        let mut vend = Vec::new();
        let mut overload = Overload {
            file: false,
            sname: false,
        };
        if has_cookie {
            parse_area(&rest[4..], &mut options)?;
            if let Some(v) = options.remove(code::OVERLOAD) {
                overload = Overload::from_value(&v)?;
            }
            if overload.file {
                parse_area(&header[offset::FILE..HEADER_LEN], &mut options)?;
            }
            if overload.sname {
                parse_area(&header[offset::SNAME..offset::FILE], &mut options)?;
            }
            // An option 52 inside an overloaded area has no meaning: drop it.
            options.remove(code::OVERLOAD);
        } else {
            vend = rest[..rest.len().min(offset::VEND_LEN)].to_vec();
        }

        let sname = if overload.sname {
            Vec::new()
        } else {
            trim_nul(&header[offset::SNAME..offset::FILE])
        };
        let file = if overload.file {
            Vec::new()
        } else {
            trim_nul(&header[offset::FILE..HEADER_LEN])
        };

        Ok(Packet {
            op,
            chaddr,
            hops: header[offset::HOPS],
            xid: be_u32(header, offset::XID),
            secs: be_u16(header, offset::SECS),
            flags: be_u16(header, offset::FLAGS),
            ciaddr: ip(header, offset::CIADDR),
            yiaddr: ip(header, offset::YIADDR),
            siaddr: ip(header, offset::SIADDR),
            giaddr: ip(header, offset::GIADDR),
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
    let end = field.iter().position(|b| *b == 0).unwrap_or(field.len());
    field[..end].to_vec()
}

/// Big-endian u32 at `at` of the (length-checked) header.
fn be_u32(h: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&h[at..at + 4]);
    u32::from_be_bytes(b)
}

/// Big-endian u16 at `at` of the (length-checked) header.
fn be_u16(h: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([h[at], h[at + 1]])
}

/// IPv4 address at `at` of the (length-checked) header.
fn ip(h: &[u8], at: usize) -> Ipv4Addr {
    Ipv4Addr::from(be_u32(h, at))
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
