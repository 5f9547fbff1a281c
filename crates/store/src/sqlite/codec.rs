//! Conversions between [`Lease`] and SQL values (see [`super::schema`] for the encoding).

use crate::error::StoreError;
use leasehold_engine::lease::INFINITE;
use leasehold_engine::{ClientKey, Lease, LeaseState, Timestamp};
use leasehold_wire::HwAddr;
use std::net::Ipv4Addr;
use std::path::Path;

/// A lease flattened into SQL values, in [`super::schema::LEASE_COLUMNS`] order.
pub(crate) struct Row {
    pub addr: i64,
    pub client: Option<String>,
    pub htype: Option<i64>,
    pub hwaddr: Option<String>,
    pub state: &'static str,
    pub starts: i64,
    pub expires: Option<i64>,
    pub hostname: Option<String>,
}

fn ts(what: &'static str, value: Timestamp) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::OutOfRange { what, value })
}

/// Encodes `lease`; refuses timestamps that do not fit in `i64` (other than `expires = INFINITE`).
pub(crate) fn encode(lease: &Lease) -> Result<Row, StoreError> {
    Ok(Row {
        addr: i64::from(u32::from(lease.addr)),
        client: lease.client.as_ref().map(ClientKey::to_text),
        htype: lease.hwaddr.map(|h| i64::from(h.htype())),
        hwaddr: lease.hwaddr.map(|h| h.to_string()),
        state: lease.state.as_str(),
        starts: ts("starts", lease.starts)?,
        expires: if lease.expires == INFINITE {
            None
        } else {
            Some(ts("expires", lease.expires)?)
        },
        hostname: lease.hostname.clone(),
    })
}

fn parse_hw(htype: i64, text: &str) -> Option<HwAddr> {
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

/// Reads a lease from `row`, whose first eight columns are [`super::schema::LEASE_COLUMNS`]
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
    let raw_addr: i64 = row.get(offset).map_err(sql)?;
    let addr = u32::try_from(raw_addr)
        .map(Ipv4Addr::from)
        .map_err(|_| StoreError::BadRecord {
            addr: raw_addr.to_string(),
            reason: "address out of range".into(),
        })?;
    let bad = |reason: &str| StoreError::BadRecord {
        addr: addr.to_string(),
        reason: reason.to_string(),
    };
    let client = match row.get::<_, Option<String>>(offset + 1).map_err(sql)? {
        None => None,
        Some(text) => Some(ClientKey::from_text(&text).ok_or_else(|| bad("bad client key"))?),
    };
    let hwaddr = match (
        row.get::<_, Option<i64>>(offset + 2).map_err(sql)?,
        row.get::<_, Option<String>>(offset + 3).map_err(sql)?,
    ) {
        (Some(htype), Some(text)) => {
            Some(parse_hw(htype, &text).ok_or_else(|| bad("bad hardware address"))?)
        }
        (None, None) => None,
        _ => return Err(bad("htype and hwaddr must both be set or both be NULL")),
    };
    let state_text: String = row.get(offset + 4).map_err(sql)?;
    let state = LeaseState::parse(&state_text).ok_or_else(|| bad("unknown state"))?;
    let starts: i64 = row.get(offset + 5).map_err(sql)?;
    let starts = u64::try_from(starts).map_err(|_| bad("negative starts"))?;
    let expires = match row.get::<_, Option<i64>>(offset + 6).map_err(sql)? {
        None => INFINITE,
        Some(e) => u64::try_from(e).map_err(|_| bad("negative expires"))?,
    };
    let hostname = row.get(offset + 7).map_err(sql)?;
    Ok(Lease {
        addr,
        client,
        hwaddr,
        state,
        starts,
        expires,
        hostname,
    })
}
