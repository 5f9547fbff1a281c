//! Conversions between [`Lease`] and PostgreSQL values: the same text encodings as SQLite
//! (`crate::sqlite::codec`), written as column arrays so one statement carries a whole batch.

use crate::error::StoreError;
use crate::sqlite::codec::{parse_hw, write_client, write_hwaddr};
use leasehold_engine::lease::INFINITE;
use leasehold_engine::{ClientKey, Lease, LeaseState, Timestamp};
use std::net::Ipv4Addr;
use tokio_postgres::Row;

/// A batch as one array per column (the parameters of the commit statement).
#[derive(Debug, Default)]
pub(crate) struct Columns {
    pub addr: Vec<i64>,
    pub client: Vec<Option<String>>,
    pub htype: Vec<Option<i32>>,
    pub hwaddr: Vec<Option<String>>,
    pub state: Vec<&'static str>,
    pub starts: Vec<i64>,
    pub expires: Vec<Option<i64>>,
    pub hostname: Vec<Option<String>>,
}

/// `value` as a SQL `BIGINT`, or [`StoreError::OutOfRange`].
pub(crate) fn ts(what: &'static str, value: Timestamp) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::OutOfRange { what, value })
}

impl Columns {
    /// Encodes `batch` (refusing timestamps that do not fit, as SQLite does), in order.
    pub fn of(batch: &[Lease]) -> Result<Columns, StoreError> {
        let mut c = Columns::default();
        let mut text = String::new();
        for l in batch {
            c.starts.push(ts("starts", l.starts)?);
            c.expires.push(if l.expires == INFINITE {
                None
            } else {
                Some(ts("expires", l.expires)?)
            });
            c.addr.push(i64::from(u32::from(l.addr)));
            c.client.push(l.client.as_ref().map(|k| {
                write_client(&mut text, k);
                text.clone()
            }));
            c.htype.push(l.hwaddr.map(|h| i32::from(h.htype())));
            c.hwaddr.push(l.hwaddr.map(|h| {
                write_hwaddr(&mut text, &h);
                text.clone()
            }));
            c.state.push(l.state.as_str());
            c.hostname.push(l.hostname.clone());
        }
        Ok(c)
    }
}

/// The `client` column text of `key`.
pub(crate) fn client_text(key: &ClientKey) -> String {
    let mut s = String::new();
    write_client(&mut s, key);
    s
}

/// Reads a lease from `row`, whose columns `offset..offset + 8` are `pg_lease_columns!()`.
pub(crate) fn decode(row: &Row, offset: usize, target: &str) -> Result<Lease, StoreError> {
    let pg = |source| StoreError::Postgres {
        target: target.to_string(),
        error: source,
    };
    let raw_addr: i64 = row.try_get(offset).map_err(pg)?;
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
    let client = match row.try_get::<_, Option<String>>(offset + 1).map_err(pg)? {
        None => None,
        Some(text) => Some(ClientKey::from_text(&text).ok_or_else(|| bad("bad client key"))?),
    };
    let hwaddr = match (
        row.try_get::<_, Option<i32>>(offset + 2).map_err(pg)?,
        row.try_get::<_, Option<String>>(offset + 3).map_err(pg)?,
    ) {
        (Some(htype), Some(text)) => {
            Some(parse_hw(i64::from(htype), &text).ok_or_else(|| bad("bad hardware address"))?)
        }
        (None, None) => None,
        _ => return Err(bad("htype and hwaddr must both be set or both be NULL")),
    };
    let state_text: String = row.try_get(offset + 4).map_err(pg)?;
    let state = LeaseState::parse(&state_text).ok_or_else(|| bad("unknown state"))?;
    let starts: i64 = row.try_get(offset + 5).map_err(pg)?;
    let starts = u64::try_from(starts).map_err(|_| bad("negative starts"))?;
    let expires = match row.try_get::<_, Option<i64>>(offset + 6).map_err(pg)? {
        None => INFINITE,
        Some(e) => u64::try_from(e).map_err(|_| bad("negative expires"))?,
    };
    let hostname = row.try_get(offset + 7).map_err(pg)?;
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
