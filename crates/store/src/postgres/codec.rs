//! Conversions between [`Lease`] and PostgreSQL values: the same text encodings as SQLite
//! (`crate::sqlite::codec`), written as column arrays so one statement carries a whole batch.

use crate::error::StoreError;
use crate::sqlite::codec::{write_client, write_hwaddr, RawRecord};
use leasehold_engine::lease::INFINITE;
use leasehold_engine::{ClientKey, Lease, Timestamp};
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
    let pg = |error| StoreError::Postgres {
        target: target.to_string(),
        error,
    };
    RawRecord {
        addr: row.try_get(offset).map_err(pg)?,
        client: row.try_get(offset + 1).map_err(pg)?,
        htype: row
            .try_get::<_, Option<i32>>(offset + 2)
            .map_err(pg)?
            .map(i64::from),
        hwaddr: row.try_get(offset + 3).map_err(pg)?,
        state: row.try_get(offset + 4).map_err(pg)?,
        starts: row.try_get(offset + 5).map_err(pg)?,
        expires: row.try_get(offset + 6).map_err(pg)?,
        hostname: row.try_get(offset + 7).map_err(pg)?,
    }
    .into_lease()
}
