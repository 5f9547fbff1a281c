//! Conversions between [`Lease`] and SQL values (see [`super::schema`] for the encoding).

use crate::error::StoreError;
use leasehold_engine::lease::INFINITE;
use leasehold_engine::{ClientKey, Lease, LeaseState, Timestamp};
use leasehold_wire::HwAddr;
use std::net::Ipv4Addr;
use std::path::Path;

/// A lease flattened into SQL values, in `lease_columns!()` (in [`super::schema`]) order. The text
/// columns borrow from the lease or from the [`TextBuffers`] they were written into, so encoding
/// allocates nothing once the buffers have grown.
pub(crate) struct Row<'a> {
    pub addr: i64,
    pub client: Option<&'a str>,
    pub htype: Option<i64>,
    pub hwaddr: Option<&'a str>,
    pub state: &'static str,
    pub starts: i64,
    pub expires: Option<i64>,
    pub hostname: Option<&'a str>,
}

/// Reusable text buffers for [`encode`]; one per store, kept across commits.
#[derive(Debug, Default)]
pub(crate) struct TextBuffers {
    client: String,
    hwaddr: String,
}

fn ts(what: &'static str, value: Timestamp) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::OutOfRange { what, value })
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `b` as two lower-case hex digits (`{b:02x}`).
fn push_hex(out: &mut String, b: u8) {
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 0x0f)]));
}

/// Appends `bytes` as colon-separated lower-case hex: [`HwAddr`]'s `Display` form.
fn push_colon_hex(out: &mut String, bytes: &[u8]) {
    for (i, &b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        push_hex(out, b);
    }
}

/// Appends `n` in decimal, without going through the formatting machinery.
fn push_u8(out: &mut String, n: u8) {
    if n >= 100 {
        out.push(char::from(b'0' + n / 100));
    }
    if n >= 10 {
        out.push(char::from(b'0' + n / 10 % 10));
    }
    out.push(char::from(b'0' + n % 10));
}

/// Writes [`ClientKey::to_text`] of `client` into `out` (cleared first).
pub(crate) fn write_client(out: &mut String, client: &ClientKey) {
    out.clear();
    match client {
        ClientKey::ClientId(id) => {
            out.push_str("id:");
            for &b in id {
                push_hex(out, b);
            }
        }
        ClientKey::HwAddr(hw) => {
            out.push_str("hw:");
            push_u8(out, hw.htype());
            out.push(':');
            push_colon_hex(out, hw.as_bytes());
        }
    }
}

/// Writes the `hwaddr` column text of `hw` (its `Display` form) into `out` (cleared first).
pub(crate) fn write_hwaddr(out: &mut String, hw: &HwAddr) {
    out.clear();
    push_colon_hex(out, hw.as_bytes());
}

/// Encodes `lease`, writing its text columns into `bufs`; refuses timestamps that do not fit in
/// `i64` (other than `expires = INFINITE`). The text is exactly what [`ClientKey::to_text`] and
/// [`HwAddr`]'s `Display` produce (the on-disk encoding, see [`super::schema`]).
pub(crate) fn encode<'a>(
    lease: &'a Lease,
    bufs: &'a mut TextBuffers,
) -> Result<Row<'a>, StoreError> {
    let starts = ts("starts", lease.starts)?;
    let expires = if lease.expires == INFINITE {
        None
    } else {
        Some(ts("expires", lease.expires)?)
    };
    if let Some(c) = &lease.client {
        write_client(&mut bufs.client, c);
    }
    if let Some(h) = &lease.hwaddr {
        write_hwaddr(&mut bufs.hwaddr, h);
    }
    Ok(Row {
        addr: i64::from(u32::from(lease.addr)),
        client: lease.client.as_ref().map(|_| bufs.client.as_str()),
        htype: lease.hwaddr.map(|h| i64::from(h.htype())),
        hwaddr: lease.hwaddr.map(|_| bufs.hwaddr.as_str()),
        state: lease.state.as_str(),
        starts,
        expires,
        hostname: lease.hostname.as_deref(),
    })
}

pub(crate) fn parse_hw(htype: i64, text: &str) -> Option<HwAddr> {
    let htype = u8::try_from(htype).ok()?;
    let mut bytes = Vec::new();
    if !text.is_empty() {
        for part in text.split(':') {
            if part.len() != 2 {
                return None;
            }
            bytes.push(u8::from_str_radix(part, 16).ok()?);
        }
    }
    HwAddr::new(htype, &bytes).ok()
}

/// A stored record's columns as read, before they are checked (both backends read into this).
pub(crate) struct RawRecord {
    pub addr: i64,
    pub client: Option<String>,
    pub htype: Option<i64>,
    pub hwaddr: Option<String>,
    pub state: String,
    pub starts: i64,
    pub expires: Option<i64>,
    pub hostname: Option<String>,
}

impl RawRecord {
    /// The lease these columns encode (see [`super::schema`]), or [`StoreError::BadRecord`].
    pub(crate) fn into_lease(self) -> Result<Lease, StoreError> {
        let addr =
            u32::try_from(self.addr)
                .map(Ipv4Addr::from)
                .map_err(|_| StoreError::BadRecord {
                    addr: self.addr.to_string(),
                    reason: "address out of range".into(),
                })?;
        let bad = |reason: &str| StoreError::BadRecord {
            addr: addr.to_string(),
            reason: reason.to_string(),
        };
        let client = match self.client {
            None => None,
            Some(text) => Some(ClientKey::from_text(&text).ok_or_else(|| bad("bad client key"))?),
        };
        let hwaddr = match (self.htype, self.hwaddr) {
            (Some(htype), Some(text)) => {
                Some(parse_hw(htype, &text).ok_or_else(|| bad("bad hardware address"))?)
            }
            (None, None) => None,
            _ => return Err(bad("htype and hwaddr must both be set or both be NULL")),
        };
        let state = LeaseState::parse(&self.state).ok_or_else(|| bad("unknown state"))?;
        let starts = u64::try_from(self.starts).map_err(|_| bad("negative starts"))?;
        let expires = match self.expires {
            None => INFINITE,
            Some(e) => u64::try_from(e).map_err(|_| bad("negative expires"))?,
        };
        Ok(Lease {
            addr,
            client,
            hwaddr,
            state,
            starts,
            expires,
            hostname: self.hostname,
        })
    }
}

/// Reads a lease from `row`, whose first eight columns are `lease_columns!()` (in [`super::schema`])
/// starting at `offset`.
pub(crate) fn decode(
    row: &rusqlite::Row<'_>,
    offset: usize,
    path: &Path,
) -> Result<Lease, StoreError> {
    let sql = |source| StoreError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    RawRecord {
        addr: row.get(offset).map_err(sql)?,
        client: row.get(offset + 1).map_err(sql)?,
        htype: row.get(offset + 2).map_err(sql)?,
        hwaddr: row.get(offset + 3).map_err(sql)?,
        state: row.get(offset + 4).map_err(sql)?,
        starts: row.get(offset + 5).map_err(sql)?,
        expires: row.get(offset + 6).map_err(sql)?,
        hostname: row.get(offset + 7).map_err(sql)?,
    }
    .into_lease()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hw_samples() -> Vec<HwAddr> {
        let mut v = vec![
            HwAddr::ethernet([0x52, 0x54, 0x00, 0xab, 0xcd, 0xef]),
            HwAddr::ethernet([0; 6]),
            HwAddr::ethernet([0xff; 6]),
        ];
        for htype in [0u8, 1, 6, 9, 10, 32, 99, 100, 199, 255] {
            for len in [0usize, 1, 6, 8, 16] {
                let bytes: Vec<u8> = (0..len)
                    .map(|i| (i as u8).wrapping_mul(37) ^ htype)
                    .collect();
                v.push(HwAddr::new(htype, &bytes).expect("at most 16 bytes"));
            }
        }
        v
    }

    #[test]
    fn text_matches_display_forms() {
        let mut buf = String::new();
        for hw in hw_samples() {
            write_hwaddr(&mut buf, &hw);
            assert_eq!(buf, hw.to_string());
            let key = ClientKey::HwAddr(hw);
            write_client(&mut buf, &key);
            assert_eq!(buf, key.to_text());
            assert_eq!(ClientKey::from_text(&buf), Some(key));
        }
        for id in [
            vec![0u8],
            vec![0xff, 0, 1, 2, 3],
            (0..=255).collect::<Vec<u8>>(),
        ] {
            let key = ClientKey::ClientId(id);
            write_client(&mut buf, &key);
            assert_eq!(buf, key.to_text());
            assert_eq!(ClientKey::from_text(&buf), Some(key));
        }
        let empty = ClientKey::ClientId(Vec::new());
        write_client(&mut buf, &empty);
        assert_eq!(buf, empty.to_text());
        assert_eq!(ClientKey::from_text(&buf), Some(empty));
    }

    #[test]
    fn buffers_are_reused_not_appended() {
        let mut bufs = TextBuffers::default();
        let long = HwAddr::new(1, &[0xaa; 16]).expect("16 bytes");
        let short = HwAddr::new(1, &[0xbb]).expect("1 byte");
        for hw in [long, short, long] {
            let lease = Lease {
                addr: Ipv4Addr::new(10, 0, 0, 1),
                client: Some(ClientKey::HwAddr(hw)),
                hwaddr: Some(hw),
                state: leasehold_engine::LeaseState::Bound,
                starts: 1,
                expires: INFINITE,
                hostname: None,
            };
            let row = encode(&lease, &mut bufs).expect("encodes");
            assert_eq!(row.client, Some(ClientKey::HwAddr(hw).to_text().as_str()));
            assert_eq!(row.hwaddr, Some(hw.to_string().as_str()));
            assert_eq!(row.expires, None);
        }
    }
}
