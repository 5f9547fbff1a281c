//! [`SqliteStore`]: the default embedded backend.
//!
//! One file in WAL mode with `synchronous=FULL`: a commit returns only after its WAL frames are
//! fsynced, so an acknowledged lease survives power loss. Readers (the `leases` CLI, backups) do
//! not block the writer. A writer holds an advisory lock on `<db>.lock`, so two servers cannot
//! write one file and a restore cannot replace a file in use.

pub(crate) mod codec;
pub(crate) mod migrate;
pub mod schema;

use crate::error::StoreError;
use crate::store::{HistoryEntry, HistoryFilter, LeaseStore};
use leasehold_engine::{ClientKey, Lease, Timestamp};
use migrate::Inspection;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use schema::lease_columns;
use std::fs::File;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

/// Constant SQL (prepared once per connection through the statement cache).
mod sql {
    use super::lease_columns;

    /// Every current record.
    pub(super) const LOAD_ALL: &str =
        concat!("SELECT ", lease_columns!(), " FROM leases ORDER BY addr");
    /// The current record of `?1`.
    pub(super) const GET: &str =
        concat!("SELECT ", lease_columns!(), " FROM leases WHERE addr = ?1");
    /// Current records of client text `?1`: a scan of `leases` in address order (no index).
    pub(super) const BY_CLIENT: &str = concat!(
        "SELECT ",
        lease_columns!(),
        " FROM leases WHERE client = ?1 ORDER BY addr"
    );
    /// The commit's upsert of a current record.
    pub(super) const UPSERT: &str = concat!(
        "INSERT INTO leases (",
        lease_columns!(),
        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (addr) DO UPDATE SET client = excluded.client, htype = excluded.htype,
           hwaddr = excluded.hwaddr, state = excluded.state, starts = excluded.starts,
           expires = excluded.expires, hostname = excluded.hostname"
    );
    /// The commit's history append (`recorded`, then the lease columns).
    pub(super) const APPEND_HISTORY: &str = concat!(
        "INSERT INTO history (recorded, ",
        lease_columns!(),
        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
    );
    /// Newest `?1` history entries. This and the two below walk the `id` B-tree backwards and
    /// stop after `?1` matches (no sort).
    pub(super) const HISTORY_ALL: &str = concat!(
        "SELECT id, recorded, ",
        lease_columns!(),
        " FROM history ORDER BY id DESC LIMIT ?1"
    );
    /// Newest `?1` history entries of address `?2`.
    pub(super) const HISTORY_ADDR: &str = concat!(
        "SELECT id, recorded, ",
        lease_columns!(),
        " FROM history WHERE addr = ?2 ORDER BY id DESC LIMIT ?1"
    );
    /// Newest `?1` history entries of client text `?2`.
    pub(super) const HISTORY_CLIENT: &str = concat!(
        "SELECT id, recorded, ",
        lease_columns!(),
        " FROM history WHERE client = ?2 ORDER BY id DESC LIMIT ?1"
    );
    /// The oldest history entry recorded at or after `?1`: walks `id` upwards and stops at the
    /// first hit, so it reads about as many rows as pruning will delete.
    pub(super) const FIRST_KEPT: &str =
        "SELECT id FROM history WHERE recorded >= ?1 AND id < ?2 ORDER BY id LIMIT 1";
    /// The id of the history entry after the oldest `?1` (none when there are not that many).
    pub(super) const NTH_OLDEST: &str = "SELECT id FROM history ORDER BY id LIMIT 1 OFFSET ?1";
    /// Deletes the history entries before id `?1` (a rowid range).
    pub(super) const PRUNE_BEFORE: &str = "DELETE FROM history WHERE id < ?1";
    /// Deletes every history entry.
    pub(super) const PRUNE_ALL: &str = "DELETE FROM history";
}

/// A lease store in one SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    /// Text column buffers reused by every commit.
    text: codec::TextBuffers,
    /// Held for the life of a read-write store; `None` when read-only.
    _lock: Option<File>,
}

/// The writer lock file of database `path`: `<path>.lock`.
pub fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Takes the exclusive writer lock of database `path`, or says who holds it.
pub(crate) fn take_lock(path: &Path) -> Result<File, StoreError> {
    let lock = lock_path(path);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock)
        .map_err(|source| StoreError::Io {
            path: lock.clone(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Locked {
            path: path.to_path_buf(),
            lock,
        }),
        Err(std::fs::TryLockError::Error(source)) => Err(StoreError::Io { path: lock, source }),
    }
}

impl SqliteStore {
    /// Opens (creating if missing) the lease database at `path` for reading and writing.
    ///
    /// The file is first examined read-only: a file that is not SQLite, a SQLite database of
    /// another application or with unknown tables, or a newer schema is refused with an error
    /// naming it, and is left byte-for-byte unchanged. Then the writer lock is taken, WAL and
    /// `synchronous=FULL` are set and older schemas are migrated.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref().to_path_buf();
        migrate::inspect(&path)?;
        let lock = take_lock(&path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let sql = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let mut conn = Connection::open_with_flags(&path, flags).map_err(sql)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(sql)?;
        // Re-check now that we hold the lock (the file may have changed since the first look).
        migrate::inspect_connection(&conn, &path)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(sql)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Io {
                path,
                source: std::io::Error::other(format!(
                    "cannot enable WAL journal mode (got {mode})"
                )),
            });
        }
        conn.execute_batch("PRAGMA synchronous = FULL;")
            .map_err(sql)?;
        migrate::migrate(&mut conn, &path)?;
        Ok(SqliteStore {
            conn,
            path,
            text: codec::TextBuffers::default(),
            _lock: Some(lock),
        })
    }

    /// Opens an existing lease database read-only, without the writer lock, for inspection and
    /// backups while a server runs. Refuses what [`SqliteStore::open`] refuses, a missing file,
    /// and a schema that still needs migrating.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref().to_path_buf();
        if !path.exists() {
            return Err(StoreError::Io {
                path,
                source: std::io::ErrorKind::NotFound.into(),
            });
        }
        match migrate::inspect(&path)? {
            Inspection::Current => {}
            Inspection::Fresh => {
                return Err(StoreError::OlderSchema {
                    path,
                    found: 0,
                    supported: schema::SCHEMA_VERSION,
                })
            }
            Inspection::Older(found) => {
                return Err(StoreError::OlderSchema {
                    path,
                    found,
                    supported: schema::SCHEMA_VERSION,
                })
            }
        }
        let conn = migrate::open_read_only(&path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|source| StoreError::Sqlite {
                path: path.clone(),
                source,
            })?;
        Ok(SqliteStore {
            conn,
            path,
            text: codec::TextBuffers::default(),
            _lock: None,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The underlying connection (for backups and diagnostics).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    fn sql(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn query_leases(
        &self,
        sql_text: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<Lease>, StoreError> {
        let sql = self.sql();
        let mut stmt = self.conn.prepare_cached(sql_text).map_err(&sql)?;
        let mut rows = stmt.query(params).map_err(&sql)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(&sql)? {
            out.push(codec::decode(row, 0, &self.path)?);
        }
        Ok(out)
    }

    /// Number of rows in `leases` and `history`.
    pub fn counts(&self) -> Result<(u64, u64), StoreError> {
        let sql = self.sql();
        self.conn
            .query_row(
                "SELECT (SELECT count(*) FROM leases), (SELECT count(*) FROM history)",
                [],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
            )
            .map(|(l, h)| (l.max(0) as u64, h.max(0) as u64))
            .map_err(sql)
    }
}

impl LeaseStore for SqliteStore {
    fn load_all(&mut self) -> Result<Vec<Lease>, StoreError> {
        self.query_leases(sql::LOAD_ALL, [])
    }

    fn get(&self, addr: Ipv4Addr) -> Result<Option<Lease>, StoreError> {
        let mut v = self.query_leases(sql::GET, [i64::from(u32::from(addr))])?;
        Ok(v.pop())
    }

    fn by_client(&self, client: &ClientKey) -> Result<Vec<Lease>, StoreError> {
        self.query_leases(sql::BY_CLIENT, [client.to_text()])
    }

    fn commit(&mut self, batch: &[Lease], now: Timestamp) -> Result<(), StoreError> {
        let now = i64::try_from(now).map_err(|_| StoreError::OutOfRange {
            what: "now",
            value: now,
        })?;
        // Disjoint borrows of the fields: the path is only copied into an error.
        let SqliteStore {
            conn, path, text, ..
        } = self;
        let sql = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql)?;
        {
            let mut upsert = tx.prepare_cached(sql::UPSERT).map_err(sql)?;
            let mut append = tx.prepare_cached(sql::APPEND_HISTORY).map_err(sql)?;
            for lease in batch {
                // On an encoding error `tx` is dropped, which rolls the whole batch back.
                let r = codec::encode(lease, text)?;
                upsert
                    .execute(params![
                        r.addr, r.client, r.htype, r.hwaddr, r.state, r.starts, r.expires,
                        r.hostname
                    ])
                    .map_err(sql)?;
                append
                    .execute(params![
                        now, r.addr, r.client, r.htype, r.hwaddr, r.state, r.starts, r.expires,
                        r.hostname
                    ])
                    .map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)
    }

    fn delete(&mut self, addr: Ipv4Addr) -> Result<bool, StoreError> {
        let n = self
            .conn
            .execute(
                "DELETE FROM leases WHERE addr = ?1",
                [i64::from(u32::from(addr))],
            )
            .map_err(self.sql())?;
        Ok(n > 0)
    }

    fn history(
        &self,
        filter: &HistoryFilter,
        limit: usize,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let sql = self.sql();
        let (text, arg): (&str, Option<rusqlite::types::Value>) = match filter {
            HistoryFilter::All => (sql::HISTORY_ALL, None),
            HistoryFilter::Addr(a) => (sql::HISTORY_ADDR, Some(i64::from(u32::from(*a)).into())),
            HistoryFilter::Client(c) => (sql::HISTORY_CLIENT, Some(c.to_text().into())),
        };
        let mut stmt = self.conn.prepare_cached(text).map_err(&sql)?;
        let mut rows = match arg {
            None => stmt.query(params![limit]),
            Some(v) => stmt.query(params![limit, v]),
        }
        .map_err(&sql)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(&sql)? {
            let id: i64 = row.get(0).map_err(&sql)?;
            let recorded: i64 = row.get(1).map_err(&sql)?;
            out.push(HistoryEntry {
                id: id.max(0) as u64,
                recorded: recorded.max(0) as u64,
                lease: codec::decode(row, 2, &self.path)?,
            });
        }
        Ok(out)
    }

    /// Among the oldest `limit` entries (ids below the `limit + 1`-th oldest), finds the first
    /// recorded at or after `older_than` and deletes the ids before it, or all of those `limit`
    /// when none is: a range, so no index on `recorded` is needed, and every step reads at most
    /// about `limit` rows. See [`LeaseStore::prune_history`] for what a wall-clock step backwards
    /// does.
    fn prune_history(&mut self, older_than: Timestamp, limit: usize) -> Result<u64, StoreError> {
        let sql = self.sql();
        if limit == 0 {
            return Ok(0);
        }
        // Only the oldest `limit` entries are looked at: ids below `window_end`.
        let offset = i64::try_from(limit).unwrap_or(i64::MAX);
        let window_end: Option<i64> = self
            .conn
            .prepare_cached(sql::NTH_OLDEST)
            .and_then(|mut s| s.query_row([offset], |r| r.get(0)).optional())
            .map_err(&sql)?;
        // Every `recorded` fits an i64, so a larger cutoff keeps none.
        let first_kept: Option<i64> = match i64::try_from(older_than) {
            Err(_) => None,
            Ok(cutoff) => self
                .conn
                .prepare_cached(sql::FIRST_KEPT)
                .and_then(|mut s| {
                    s.query_row([cutoff, window_end.unwrap_or(i64::MAX)], |r| r.get(0))
                        .optional()
                })
                .map_err(&sql)?,
        };
        let n = match first_kept.or(window_end) {
            Some(id) => self
                .conn
                .prepare_cached(sql::PRUNE_BEFORE)
                .and_then(|mut s| s.execute([id]))
                .map_err(&sql)?,
            // At most `limit` entries, none kept.
            None => self
                .conn
                .prepare_cached(sql::PRUNE_ALL)
                .and_then(|mut s| s.execute([]))
                .map_err(&sql)?,
        };
        Ok(n as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `detail` lines of `EXPLAIN QUERY PLAN text`.
    fn plan(conn: &Connection, text: &str) -> Vec<String> {
        let mut stmt = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {text}"))
            .expect("explain");
        // Parameters left unbound (NULL) do not change the plan.
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next().expect("row") {
            out.push(row.get::<_, String>(3).expect("detail"));
        }
        out
    }

    /// The opcodes of the bytecode of `text`.
    fn opcodes(conn: &Connection, text: &str) -> Vec<String> {
        let mut stmt = conn.prepare(&format!("EXPLAIN {text}")).expect("explain");
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next().expect("row") {
            out.push(row.get::<_, String>(1).expect("opcode"));
        }
        out
    }

    #[test]
    fn queries_walk_the_primary_key_without_sorting() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(dir.path().join("leases.db")).expect("open");
        let conn = store.connection();
        for text in [
            sql::LOAD_ALL,
            sql::BY_CLIENT,
            sql::HISTORY_ALL,
            sql::HISTORY_ADDR,
            sql::HISTORY_CLIENT,
            sql::FIRST_KEPT,
            sql::NTH_OLDEST,
        ] {
            let lines = plan(conn, text);
            println!("{text}\n  -> {lines:?}");
            // A walk of the table in rowid order, whole or from a rowid bound.
            assert!(
                lines.len() == 1
                    && (lines[0].starts_with("SCAN ")
                        || lines[0].starts_with("SEARCH history USING INTEGER PRIMARY KEY")),
                "{text}: {lines:?}"
            );
            assert!(
                !lines.iter().any(|l| l.contains("TEMP B-TREE")),
                "{text}: {lines:?}"
            );
        }
        // Newest first by walking the table backwards (`Last`/`Prev`), stopping at the limit
        // (`DecrJumpZero`), never a sorter.
        for text in [sql::HISTORY_ALL, sql::HISTORY_ADDR, sql::HISTORY_CLIENT] {
            let ops = opcodes(conn, text);
            for op in ["Last", "Prev", "DecrJumpZero"] {
                assert!(ops.iter().any(|o| o == op), "{text}: no {op} in {ops:?}");
            }
            assert!(
                !ops.iter().any(|o| o.starts_with("Sorter")),
                "{text}: {ops:?}"
            );
        }
        for text in [sql::GET, sql::PRUNE_BEFORE] {
            let lines = plan(conn, text);
            println!("{text}\n  -> {lines:?}");
            assert!(
                lines.len() == 1 && lines[0].contains("USING INTEGER PRIMARY KEY"),
                "{text}: {lines:?}"
            );
        }
    }
}
