//! [`SqliteStore`]: the default embedded backend.
//!
//! One file in WAL mode with `synchronous=FULL`: a commit returns only after its WAL frames are
//! fsynced, so an acknowledged lease survives power loss. Readers (the `leases` CLI, backups) do
//! not block the writer. A writer holds an advisory lock on `<db>.lock`, so two servers cannot
//! write one file and a restore cannot replace a file in use.

mod codec;
pub(crate) mod migrate;
pub mod schema;

use crate::error::StoreError;
use crate::store::{HistoryEntry, HistoryFilter, LeaseStore};
use leasehold_engine::{ClientKey, Lease, Timestamp};
use migrate::Inspection;
use rusqlite::{params, Connection, OpenFlags, TransactionBehavior};
use schema::LEASE_COLUMNS;
use std::fs::File;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

/// A lease store in one SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
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
        self.query_leases(
            &format!("SELECT {LEASE_COLUMNS} FROM leases ORDER BY addr"),
            [],
        )
    }

    fn get(&self, addr: Ipv4Addr) -> Result<Option<Lease>, StoreError> {
        let mut v = self.query_leases(
            &format!("SELECT {LEASE_COLUMNS} FROM leases WHERE addr = ?1"),
            [i64::from(u32::from(addr))],
        )?;
        Ok(v.pop())
    }

    fn by_client(&self, client: &ClientKey) -> Result<Vec<Lease>, StoreError> {
        self.query_leases(
            &format!("SELECT {LEASE_COLUMNS} FROM leases WHERE client = ?1 ORDER BY addr"),
            [client.to_text()],
        )
    }

    fn commit(&mut self, batch: &[Lease], now: Timestamp) -> Result<(), StoreError> {
        let now = i64::try_from(now).map_err(|_| StoreError::OutOfRange {
            what: "now",
            value: now,
        })?;
        let rows = batch
            .iter()
            .map(codec::encode)
            .collect::<Result<Vec<_>, _>>()?;
        let path = self.path.clone();
        let sql = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql)?;
        {
            let mut upsert = tx
                .prepare_cached(&format!(
                    "INSERT INTO leases ({LEASE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT (addr) DO UPDATE SET client = excluded.client, htype = excluded.htype,
                       hwaddr = excluded.hwaddr, state = excluded.state, starts = excluded.starts,
                       expires = excluded.expires, hostname = excluded.hostname"
                ))
                .map_err(sql)?;
            let mut hist = tx
                .prepare_cached(&format!(
                    "INSERT INTO history (recorded, {LEASE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                ))
                .map_err(sql)?;
            for r in &rows {
                upsert
                    .execute(params![
                        r.addr, r.client, r.htype, r.hwaddr, r.state, r.starts, r.expires,
                        r.hostname
                    ])
                    .map_err(sql)?;
                hist.execute(params![
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
        let base = format!("SELECT id, recorded, {LEASE_COLUMNS} FROM history");
        let sql = self.sql();
        let (text, arg): (String, Option<rusqlite::types::Value>) = match filter {
            HistoryFilter::All => (format!("{base} ORDER BY id DESC LIMIT ?1"), None),
            HistoryFilter::Addr(a) => (
                format!("{base} WHERE addr = ?2 ORDER BY id DESC LIMIT ?1"),
                Some(i64::from(u32::from(*a)).into()),
            ),
            HistoryFilter::Client(c) => (
                format!("{base} WHERE client = ?2 ORDER BY id DESC LIMIT ?1"),
                Some(c.to_text().into()),
            ),
        };
        let mut stmt = self.conn.prepare_cached(&text).map_err(&sql)?;
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

    fn prune_history(&mut self, older_than: Timestamp) -> Result<u64, StoreError> {
        let cutoff = i64::try_from(older_than).unwrap_or(i64::MAX);
        let n = self
            .conn
            .execute("DELETE FROM history WHERE recorded < ?1", [cutoff])
            .map_err(self.sql())?;
        Ok(n as u64)
    }
}
