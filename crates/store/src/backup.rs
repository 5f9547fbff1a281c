//! Consistent online backups, verification and restore of SQLite lease databases.
//!
//! A backup is taken through SQLite's online backup API in a single step, i.e. under one read
//! transaction: a consistent snapshot even while the server commits (WAL readers never block the
//! writer). Every file written here is written to a temporary name in the destination directory,
//! verified, fsynced and then renamed into place, so a crash never leaves half a file under the
//! real name.

use crate::error::StoreError;
use crate::sqlite::migrate::{self, Inspection};
use crate::sqlite::schema::SCHEMA_VERSION;
use crate::sqlite::{take_lock, SqliteStore};
use rusqlite::backup::Backup;
use rusqlite::Connection;
use std::fs::File;
use std::path::{Path, PathBuf};

/// What a backup, restore or verification found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackupReport {
    /// Current lease records.
    pub leases: u64,
    /// History entries.
    pub history: u64,
    /// Size of the resulting file in bytes.
    pub bytes: u64,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn sql(path: &Path) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |source| StoreError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

/// Checks that `path` is a current Leasehold database that passes `PRAGMA integrity_check`,
/// without modifying it.
pub fn verify(path: &Path) -> Result<BackupReport, StoreError> {
    let store = SqliteStore::open_read_only(path)?;
    let detail: Vec<String> = {
        let mut stmt = store
            .connection()
            .prepare("PRAGMA integrity_check")
            .map_err(sql(path))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(sql(path))?;
        rows.collect::<Result<_, _>>().map_err(sql(path))?
    };
    if detail != ["ok"] {
        return Err(StoreError::Integrity {
            path: path.to_path_buf(),
            detail: detail.join("; "),
        });
    }
    let (leases, history) = store.counts()?;
    let bytes = std::fs::metadata(path).map_err(io(path))?.len();
    Ok(BackupReport {
        leases,
        history,
        bytes,
    })
}

fn temp_name(dest: &Path, tag: &str) -> Result<PathBuf, StoreError> {
    let name = dest.file_name().ok_or_else(|| StoreError::Io {
        path: dest.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"),
    })?;
    let mut tmp = name.to_owned();
    tmp.push(format!(".{tag}-{}.tmp", std::process::id()));
    Ok(dest.with_file_name(tmp))
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Copies the database open on `from` (file `src`) into a new file `tmp` in one backup step,
/// switches the copy to rollback journaling so it is one self-contained file, checks its
/// integrity and that it passes the same checks as any database we open.
fn copy(from: &Connection, src: &Path, tmp: &Path) -> Result<(), StoreError> {
    remove_quietly(tmp);
    let mut to = Connection::open(tmp).map_err(sql(tmp))?;
    {
        let backup = Backup::new(from, &mut to).map_err(sql(tmp))?;
        // -1: every page in one step, under one read transaction: a consistent snapshot.
        backup.step(-1).map_err(sql(tmp))?;
    }
    to.query_row("PRAGMA journal_mode = DELETE", [], |r| {
        r.get::<_, String>(0)
    })
    .map_err(sql(tmp))?;
    let detail: String = to
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(sql(tmp))?;
    if detail != "ok" {
        return Err(StoreError::Integrity {
            path: src.to_path_buf(),
            detail,
        });
    }
    to.close().map_err(|(_, e)| sql(tmp)(e))?;
    migrate::inspect(tmp).map(|_| ())
}

/// fsyncs `tmp`, renames it to `dest` and fsyncs the directory.
fn install(tmp: &Path, dest: &Path) -> Result<(), StoreError> {
    File::open(tmp)
        .and_then(|f| f.sync_all())
        .map_err(io(tmp))?;
    std::fs::rename(tmp, dest).map_err(io(dest))?;
    let dir = parent_dir(dest);
    File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(io(&dir))
}

fn remove_quietly(path: &Path) {
    let _ = std::fs::remove_file(path);
}

/// Writes a consistent copy of lease database `src` to `dest`, safe while a server is writing
/// `src`. The copy is verified before it takes `dest`'s name. An existing `dest` is replaced only
/// if it is itself a Leasehold database (so a typo cannot clobber an unrelated file).
pub fn backup(src: &Path, dest: &Path) -> Result<BackupReport, StoreError> {
    if dest.exists() && migrate::inspect(dest).is_err() {
        return Err(StoreError::DestinationExists {
            path: dest.to_path_buf(),
        });
    }
    let tmp = temp_name(dest, "backup")?;
    let from = SqliteStore::open_read_only(src)?;
    let result = copy(from.connection(), src, &tmp)
        .and_then(|()| verify(&tmp))
        .and_then(|report| {
            install(&tmp, dest)?;
            Ok(report)
        });
    if result.is_err() {
        remove_quietly(&tmp);
    }
    result
}

/// Replaces lease database `db` with the contents of `backup`.
///
/// Refuses while a server holds `db` (its writer lock), and refuses a `backup` that is not a
/// verified Leasehold database of a schema this build can open. The new file is written next to
/// `db` under a temporary name and renamed over it; `db`'s stale WAL and shared-memory files are
/// removed first so they cannot be replayed onto the restored data. A `backup` of an older schema
/// is migrated when the server next opens `db`.
pub fn restore(backup: &Path, db: &Path) -> Result<BackupReport, StoreError> {
    match migrate::inspect(backup)? {
        Inspection::Current => {
            verify(backup)?;
        }
        Inspection::Fresh => {
            return Err(StoreError::OlderSchema {
                path: backup.to_path_buf(),
                found: 0,
                supported: SCHEMA_VERSION,
            })
        }
        Inspection::Older(_) => {}
    }
    let _lock = take_lock(db)?;
    if db.exists()
        && matches!(
            migrate::inspect(db),
            Err(StoreError::ForeignApplication { .. } | StoreError::UnknownTables { .. })
        )
    {
        return Err(StoreError::DestinationExists {
            path: db.to_path_buf(),
        });
    }
    let tmp = temp_name(db, "restore")?;
    let from = migrate::open_read_only(backup)?;
    let result = copy(&from, backup, &tmp).and_then(|()| install_over_db(&tmp, db));
    if result.is_err() {
        remove_quietly(&tmp);
    }
    result?;
    let (leases, history) = match SqliteStore::open_read_only(db) {
        Ok(s) => s.counts()?,
        Err(StoreError::OlderSchema { .. }) => (0, 0),
        Err(e) => return Err(e),
    };
    let bytes = std::fs::metadata(db).map_err(io(db))?.len();
    Ok(BackupReport {
        leases,
        history,
        bytes,
    })
}

fn install_over_db(tmp: &Path, db: &Path) -> Result<(), StoreError> {
    File::open(tmp)
        .and_then(|f| f.sync_all())
        .map_err(io(tmp))?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let side = side_file(db, suffix);
        match std::fs::remove_file(&side) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&side)(e)),
        }
    }
    std::fs::rename(tmp, db).map_err(io(db))?;
    let dir = parent_dir(db);
    File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(io(&dir))
}

/// Name of a database's side file (for tests and tools): `<db><suffix>`.
pub fn side_file(db: &Path, suffix: &str) -> PathBuf {
    let mut side = db.as_os_str().to_owned();
    side.push(suffix);
    PathBuf::from(side)
}

/// The schema version this build writes, for `leases verify` output.
pub const fn schema_version() -> u32 {
    SCHEMA_VERSION
}
