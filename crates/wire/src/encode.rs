//! The reply writer.
//!
//! Layout of a written message: the 236-byte header, then either the magic cookie and options
//! (DHCP) or the 64-byte `vend` area (plain BOOTP). Options are ordered 53, 54, the client's
//! parameter request list, the rest in stored order, and 82 last (RFC 3046 §2.1); values longer
//! than 255 bytes are split into several instances (RFC 3396). When the options do not fit in
//! [`EncodeParams::max_len`], empty `file` and `sname` fields are used as further option areas
//! (option 52, RFC 2132 §9.3); when that is not enough either, optional options are dropped
//! starting from the lowest priority (see `layout`).

mod layout;

use crate::error::EncodeError;
use crate::packet::Packet;
use crate::parse::offset;
use crate::{BOOTP_MIN_LEN, HEADER_LEN, MAGIC_COOKIE};

pub use layout::MANDATORY;

/// How to write one reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodeParams {
    /// The client's parameter request list (option 55): options listed here are written first,
    /// in this order, after 53 and 54.
    pub order: Vec<u8>,
    /// Largest DHCP message (BOOTP header + options, no IP/UDP) the client accepts: option 57
    /// minus 28, or 548 (576 - 28) when absent.
    pub max_len: usize,
    /// Pad the message to 300 bytes (BOOTP clients, RFC 951 / RFC 1542 §3.3).
    pub pad_to_bootp_min: bool,
}

impl Default for EncodeParams {
    fn default() -> Self {
        EncodeParams {
            order: Vec::new(),
            max_len: crate::MIN_MAX_MESSAGE,
            pad_to_bootp_min: true,
        }
    }
}

impl Packet {
    /// Writes this packet as a datagram payload (BOOTP message, no IP/UDP header).
    ///
    /// `sname`/`file` are truncated to 64/128 bytes and zero padded; `chaddr`, `htype` and `hlen`
    /// come from [`Packet::chaddr`]. With the magic cookie, options are written as described in
    /// the module documentation and option 52 in [`Packet::options`] is ignored (the writer owns
    /// overload). Without the cookie, `vend` is written truncated or zero padded to 64 bytes and
    /// options are not written. The result never exceeds `params.max_len`; padding to 300 bytes
    /// (`pad_to_bootp_min`) stops at that limit too.
    ///
    /// Errors with [`EncodeError::TooLarge`] when even the mandatory options ([`MANDATORY`]) do
    /// not fit.
    pub fn encode(&self, params: &EncodeParams) -> Result<Vec<u8>, EncodeError> {
        let limit = params.max_len;
        let mut sname = [0u8; offset::SNAME_LEN];
        let mut file = [0u8; offset::FILE_LEN];
        copy_truncated(&mut sname, &self.sname);
        copy_truncated(&mut file, &self.file);

        if !self.has_cookie {
            let needed = HEADER_LEN + offset::VEND_LEN;
            if needed > limit {
                return Err(EncodeError::TooLarge { needed, limit });
            }
            let mut out = self.header(&sname, &file);
            let mut vend = [0u8; offset::VEND_LEN];
            copy_truncated(&mut vend, &self.vend);
            out.extend_from_slice(&vend);
            return Ok(out);
        }

        let plan = layout::plan(&self.options, &params.order);
        let areas = layout::Areas {
            limit,
            main: limit.saturating_sub(HEADER_LEN + MAGIC_COOKIE.len()),
            file: self.file.is_empty(),
            sname: self.sname.is_empty(),
        };
        let laid = layout::fit(plan, &areas)?;
        if let Some(bytes) = &laid.file {
            file = *bytes;
        }
        if let Some(bytes) = &laid.sname {
            sname = *bytes;
        }
        let mut out = self.header(&sname, &file);
        out.extend_from_slice(&MAGIC_COOKIE);
        out.extend_from_slice(&laid.main);
        if params.pad_to_bootp_min && out.len() < BOOTP_MIN_LEN {
            out.resize(BOOTP_MIN_LEN.min(limit).max(out.len()), 0);
        }
        Ok(out)
    }

    /// The 236-byte fixed header with the given `sname` and `file` fields.
    fn header(&self, sname: &[u8; offset::SNAME_LEN], file: &[u8; offset::FILE_LEN]) -> Vec<u8> {
        let mut h = Vec::with_capacity(crate::MIN_MAX_MESSAGE);
        h.push(self.op.code());
        h.push(self.chaddr.htype());
        h.push(self.chaddr.as_bytes().len() as u8);
        h.push(self.hops);
        h.extend_from_slice(&self.xid.to_be_bytes());
        h.extend_from_slice(&self.secs.to_be_bytes());
        h.extend_from_slice(&self.flags.to_be_bytes());
        for a in [self.ciaddr, self.yiaddr, self.siaddr, self.giaddr] {
            h.extend_from_slice(&a.octets());
        }
        h.extend_from_slice(&self.chaddr.chaddr());
        h.extend_from_slice(sname);
        h.extend_from_slice(file);
        debug_assert_eq!(h.len(), HEADER_LEN);
        h
    }
}

/// Copies as much of `src` as fits into the zeroed `dst`.
fn copy_truncated(dst: &mut [u8], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
    }
}
