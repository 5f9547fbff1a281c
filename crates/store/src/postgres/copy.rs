//! Copying a whole lease store into another (`leasehold leases copy`): SQLite to PostgreSQL (the
//! migration to a shared database), PostgreSQL to SQLite, or between two of a kind; and the
//! read-everything pass of `leasehold leases verify` on PostgreSQL.
//!
//! The source is read as one snapshot (one read transaction: a SQLite WAL reader, a PostgreSQL
//! `REPEATABLE READ READ ONLY` transaction), its history oldest first in pages, so a server still
//! writing it cannot tear the copy and memory holds one page plus the current records.
//!
//! The destination is written only through [`LeaseStore::commit`], in two steps:
//!
//! 1. The history, oldest first: consecutive entries recorded in the same second go in one
//!    commit (at most `chunk` of them) whose `now` is that `recorded`. A commit also writes the
//!    current record, so afterwards the destination holds the last entry of every address.
//! 2. The current records: a source record that differs from what step 1 left (the history was
//!    pruned, or the record was written without history) is committed again, stamped with the
//!    copy's time, so it appears once more at the end of the history; an address step 1 wrote
//!    that has no current record in the source (an administrator deleted it) is deleted.
//!
//! So the destination ends with the source's current records and every history entry with its
//! `recorded` time and record. History ids are renumbered by the destination (SQLite counts from
//! its last id, PostgreSQL takes ids of the destination store's server id); on PostgreSQL every
//! copied row names that server id, not the server that first wrote it. One commit per second
//! of history: a long history takes a while (see `leasehold leases copy --help`).

use super::codec::decode;
use super::schema::pg_lease_columns;
use super::{history_entry, PgStore};
use crate::error::StoreError;
use crate::sqlite::schema::lease_columns;
use crate::sqlite::{codec as sqlite_codec, SqliteStore};
use crate::store::{HistoryEntry, LeaseStore};
use leasehold_engine::{Lease, Timestamp};
use postgres::IsolationLevel;
use std::collections::{HashMap, HashSet};
use std::net::Ipv4Addr;

/// Every history entry, oldest first (PostgreSQL).
const PG_HISTORY_OLDEST: &str = concat!(
    "SELECT id, recorded, ",
    pg_lease_columns!(),
    " FROM history ORDER BY id, server"
);
/// Every current record (PostgreSQL).
const PG_LOAD_ALL: &str = concat!("SELECT ", pg_lease_columns!(), " FROM leases ORDER BY addr");
/// Every history entry, oldest first (SQLite).
const SQLITE_HISTORY_OLDEST: &str = concat!(
    "SELECT id, recorded, ",
    lease_columns!(),
    " FROM history ORDER BY id"
);
/// Every current record (SQLite).
const SQLITE_LOAD_ALL: &str = concat!("SELECT ", lease_columns!(), " FROM leases ORDER BY addr");
/// Both row counts, in one statement.
const COUNTS: &str = "SELECT (SELECT count(*) FROM leases), (SELECT count(*) FROM history)";

/// History entries read per round trip.
pub const PAGE: usize = 1000;

/// A lease store of either backend (what the `leases` commands open).
#[derive(Debug)]
pub enum AnyStore {
    /// A SQLite file.
    Sqlite(SqliteStore),
    /// A PostgreSQL database (boxed: it is several times the size of a SQLite store).
    Postgres(Box<PgStore>),
}

/// What [`AnyStore::snapshot`] read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Every current record, in address order.
    pub leases: Vec<Lease>,
    /// How many history entries were passed to the visitor.
    pub history: u64,
}

/// What [`copy`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CopyReport {
    /// Current records the source holds (and the destination now holds).
    pub leases: u64,
    /// History entries copied.
    pub history: u64,
    /// Current records that differed from their last history entry and were committed again
    /// (each added one history entry in the destination).
    pub recommitted: u64,
    /// Addresses the history wrote that have no current record in the source, deleted again.
    pub deleted: u64,
}

impl AnyStore {
    /// The store as a [`LeaseStore`].
    pub fn store(&mut self) -> &mut dyn LeaseStore {
        match self {
            AnyStore::Sqlite(s) => s,
            AnyStore::Postgres(s) => &mut **s,
        }
    }

    /// The store as a shared [`LeaseStore`].
    pub fn store_ref(&self) -> &dyn LeaseStore {
        match self {
            AnyStore::Sqlite(s) => s,
            AnyStore::Postgres(s) => &**s,
        }
    }

    /// The file, or the database as [`PgStore::target`] shows it (no password).
    pub fn describe(&self) -> String {
        match self {
            AnyStore::Sqlite(s) => s.path().display().to_string(),
            AnyStore::Postgres(s) => s.target().to_string(),
        }
    }

    /// Number of current records and of history entries.
    pub fn counts(&self) -> Result<(u64, u64), StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.counts(),
            AnyStore::Postgres(s) => s.counts(),
        }
    }

    /// Reads the store in one snapshot: the history oldest first, handed to `visit` in pages of
    /// at most `page` entries, then every current record (returned). Every row is decoded, so a
    /// record that cannot be read fails the call. An error of `visit` ends it.
    pub fn snapshot(
        &self,
        page: usize,
        visit: &mut dyn FnMut(&[HistoryEntry]) -> Result<(), StoreError>,
    ) -> Result<Snapshot, StoreError> {
        match self {
            AnyStore::Sqlite(s) => sqlite_snapshot(s, page, visit),
            AnyStore::Postgres(s) => s.snapshot(page, visit),
        }
    }
}

impl PgStore {
    /// Number of current records and of history entries.
    pub fn counts(&self) -> Result<(u64, u64), StoreError> {
        self.with(|client, target| {
            let row = client
                .query_one(COUNTS, &[])
                .map_err(|source| StoreError::Postgres {
                    target: target.to_string(),
                    error: source,
                })?;
            let (l, h): (i64, i64) = (row.get(0), row.get(1));
            Ok((l.max(0) as u64, h.max(0) as u64))
        })
    }

    /// [`AnyStore::snapshot`] of this database: one `REPEATABLE READ READ ONLY` transaction,
    /// the history through a portal `page` rows at a time.
    pub fn snapshot(
        &self,
        page: usize,
        visit: &mut dyn FnMut(&[HistoryEntry]) -> Result<(), StoreError>,
    ) -> Result<Snapshot, StoreError> {
        let page = i32::try_from(page.max(1)).unwrap_or(i32::MAX);
        self.with(|client, target| {
            let pg = |source| StoreError::Postgres {
                target: target.to_string(),
                error: source,
            };
            let mut tx = client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .map_err(pg)?;
            let portal = tx.bind(PG_HISTORY_OLDEST, &[]).map_err(pg)?;
            let mut history = 0u64;
            loop {
                let rows = tx.query_portal(&portal, page).map_err(pg)?;
                if rows.is_empty() {
                    break;
                }
                let entries = rows
                    .iter()
                    .map(|r| history_entry(r, target))
                    .collect::<Result<Vec<_>, _>>()?;
                history += entries.len() as u64;
                visit(&entries)?;
            }
            let leases = tx
                .query(PG_LOAD_ALL, &[])
                .map_err(pg)?
                .iter()
                .map(|r| decode(r, 0, target))
                .collect::<Result<Vec<_>, _>>()?;
            tx.commit().map_err(pg)?;
            Ok(Snapshot { leases, history })
        })
    }
}

/// [`AnyStore::snapshot`] of a SQLite file: one read transaction on its connection.
fn sqlite_snapshot(
    store: &SqliteStore,
    page: usize,
    visit: &mut dyn FnMut(&[HistoryEntry]) -> Result<(), StoreError>,
) -> Result<Snapshot, StoreError> {
    let path = store.path();
    let sql = |source| StoreError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    let page = page.max(1);
    // Rolled back when dropped: it only reads.
    let tx = store.connection().unchecked_transaction().map_err(sql)?;
    let mut history = 0u64;
    {
        let mut stmt = tx.prepare(SQLITE_HISTORY_OLDEST).map_err(sql)?;
        let mut rows = stmt.query([]).map_err(sql)?;
        let mut entries = Vec::with_capacity(page);
        while let Some(row) = rows.next().map_err(sql)? {
            let id: i64 = row.get(0).map_err(sql)?;
            let recorded: i64 = row.get(1).map_err(sql)?;
            entries.push(HistoryEntry {
                id: id.max(0) as u64,
                recorded: recorded.max(0) as u64,
                lease: sqlite_codec::decode(row, 2, path)?,
            });
            if entries.len() == page {
                history += entries.len() as u64;
                visit(&entries)?;
                entries.clear();
            }
        }
        if !entries.is_empty() {
            history += entries.len() as u64;
            visit(&entries)?;
        }
    }
    let mut leases = Vec::new();
    {
        let mut stmt = tx.prepare(SQLITE_LOAD_ALL).map_err(sql)?;
        let mut rows = stmt.query([]).map_err(sql)?;
        while let Some(row) = rows.next().map_err(sql)? {
            leases.push(sqlite_codec::decode(row, 0, path)?);
        }
    }
    Ok(Snapshot { leases, history })
}

/// Copies every current record and the whole history of `from` into `to` (see the module
/// documentation), committing at most `chunk` records at a time; `now` stamps records committed
/// again in step 2. Does not look at what `to` held before: the caller refuses a destination
/// that is not empty unless told to merge.
pub fn copy(
    from: &AnyStore,
    to: &mut dyn LeaseStore,
    chunk: usize,
    now: Timestamp,
) -> Result<CopyReport, StoreError> {
    let chunk = chunk.max(1);
    let mut batch: Vec<Lease> = Vec::with_capacity(chunk);
    let mut batch_now: Timestamp = 0;
    let mut touched: HashSet<Ipv4Addr> = HashSet::new();
    let snapshot = {
        let mut visit = |entries: &[HistoryEntry]| -> Result<(), StoreError> {
            for e in entries {
                if !batch.is_empty() && (batch_now != e.recorded || batch.len() >= chunk) {
                    to.commit(&batch, batch_now)?;
                    batch.clear();
                }
                batch_now = e.recorded;
                touched.insert(e.lease.addr);
                batch.push(e.lease.clone());
            }
            Ok(())
        };
        from.snapshot(PAGE, &mut visit)?
    };
    if !batch.is_empty() {
        to.commit(&batch, batch_now)?;
    }

    let after: HashMap<Ipv4Addr, Lease> = to.load_all()?.into_iter().map(|l| (l.addr, l)).collect();
    let differing: Vec<Lease> = snapshot
        .leases
        .iter()
        .filter(|l| after.get(&l.addr) != Some(*l))
        .cloned()
        .collect();
    for part in differing.chunks(chunk) {
        to.commit(part, now)?;
    }
    let current: HashSet<Ipv4Addr> = snapshot.leases.iter().map(|l| l.addr).collect();
    let mut gone: Vec<Ipv4Addr> = touched
        .into_iter()
        .filter(|a| !current.contains(a) && after.contains_key(a))
        .collect();
    gone.sort_unstable();
    for addr in &gone {
        to.delete(*addr)?;
    }
    Ok(CopyReport {
        leases: snapshot.leases.len() as u64,
        history: snapshot.history,
        recommitted: differing.len() as u64,
        deleted: gone.len() as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::HistoryFilter;
    use leasehold_engine::{ClientKey, LeaseState};
    use leasehold_wire::HwAddr;

    fn lease(last: u8, mac: u8, state: LeaseState, starts: u64) -> Lease {
        let hw = HwAddr::ethernet([2, 0, 0, 0, 0, mac]);
        Lease {
            addr: Ipv4Addr::new(10, 0, 0, last),
            client: Some(ClientKey::HwAddr(hw)),
            hwaddr: Some(hw),
            state,
            starts,
            expires: starts + 3600,
            hostname: Some(format!("host-{mac}")),
        }
    }

    /// SQLite to SQLite (the PostgreSQL directions are exercised by the `leasehold` tests):
    /// history in order with its times, current records equal, a deleted record stays deleted,
    /// a record written after its last history entry is committed again.
    #[test]
    fn sqlite_to_sqlite_keeps_records_and_history() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut src = SqliteStore::open(dir.path().join("a.db")).expect("open a");
        src.commit(&[lease(1, 1, LeaseState::Bound, 100)], 100)
            .expect("c1");
        src.commit(
            &[
                lease(2, 2, LeaseState::Bound, 100),
                lease(3, 3, LeaseState::Bound, 100),
            ],
            100,
        )
        .expect("c2");
        src.commit(&[lease(1, 1, LeaseState::Released, 200)], 200)
            .expect("c3");
        src.commit(&[lease(2, 2, LeaseState::Released, 300)], 300)
            .expect("c4");
        src.delete(Ipv4Addr::new(10, 0, 0, 3)).expect("delete");
        // Drop the newest history entries of .2, so its current record is newer than its
        // history.
        src.connection()
            .execute("DELETE FROM history WHERE recorded = 300", [])
            .expect("prune");
        let want_history = src.history(&HistoryFilter::All, usize::MAX).expect("h");
        let want_leases = src.load_all().expect("all");
        drop(src);
        let from =
            AnyStore::Sqlite(SqliteStore::open_read_only(dir.path().join("a.db")).expect("ro"));
        let mut to = SqliteStore::open(dir.path().join("b.db")).expect("open b");
        let r = copy(&from, &mut to, 2, 999).expect("copy");
        assert_eq!(
            r,
            CopyReport {
                leases: 2,
                history: 4,
                recommitted: 1,
                deleted: 1
            }
        );
        assert_eq!(to.load_all().expect("all"), want_leases);
        let got = to.history(&HistoryFilter::All, usize::MAX).expect("h");
        // The re-committed record is the newest entry; the rest is the source's history.
        assert_eq!(got.len(), want_history.len() + 1);
        assert_eq!(got[0].recorded, 999);
        assert_eq!(got[0].lease, want_leases[1]);
        let strip = |h: &[HistoryEntry]| -> Vec<(Timestamp, Lease)> {
            h.iter().map(|e| (e.recorded, e.lease.clone())).collect()
        };
        assert_eq!(strip(&got[1..]), strip(&want_history));
        let snap = AnyStore::Sqlite(to)
            .snapshot(3, &mut |_| Ok(()))
            .expect("snapshot");
        assert_eq!(snap.history, 5);
        assert_eq!(snap.leases, want_leases);
    }
}
