//! Deciding whether a file is ours (without modifying it) and bringing its schema up to date.

use super::schema::{known_objects, APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION};
use crate::error::StoreError;
use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};
use std::io::Read;
use std::path::Path;

/// What [`inspect`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Inspection {
    /// Missing, empty, or an empty SQLite database: safe to initialise.
    Fresh,
    /// A Leasehold database at [`SCHEMA_VERSION`].
    Current,
    /// A Leasehold database at this older version.
    Older(u32),
}

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

fn sql_err(path: &Path) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |source| match source.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => StoreError::NotSqlite {
            path: path.to_path_buf(),
        },
        Some(ErrorCode::DatabaseCorrupt) => StoreError::Integrity {
            path: path.to_path_buf(),
            detail: source.to_string(),
        },
        _ => StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        },
    }
}

/// Opens `path` read-only (never creating or modifying it).
pub(crate) fn open_read_only(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    Connection::open_with_flags(path, flags).map_err(sql_err(path))
}

/// Examines `path` without modifying it and says whether Leasehold may use it.
///
/// Refuses (with an error naming the file) anything that is not SQLite, a SQLite database of
/// another application or with unknown tables, and a Leasehold database newer than this build.
pub(crate) fn inspect(path: &Path) -> Result<Inspection, StoreError> {
    let io = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Inspection::Fresh),
        Err(e) => return Err(io(e)),
    };
    let len = file.metadata().map_err(io)?.len();
    if len == 0 {
        return Ok(Inspection::Fresh);
    }
    let mut header = [0u8; 16];
    if len < 100 || file.read_exact(&mut header).is_err() || &header != SQLITE_MAGIC {
        return Err(StoreError::NotSqlite {
            path: path.to_path_buf(),
        });
    }
    drop(file);
    let conn = open_for_inspection(path)?;
    inspect_connection(&conn, path)
}

/// A read-only connection that creates no side files: when there is no `-wal` file the database
/// file alone is the whole truth, so it is opened `immutable` (no locks, no `-shm`/`-wal`);
/// otherwise (a running or crashed writer) a plain read-only open, which reads the WAL.
fn open_for_inspection(path: &Path) -> Result<Connection, StoreError> {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    if std::path::Path::new(&wal).exists() {
        return open_read_only(path);
    }
    let Some(text) = path.to_str() else {
        return open_read_only(path);
    };
    let mut uri = String::from("file:");
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?immutable=1");
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    Connection::open_with_flags(&uri, flags).map_err(sql_err(path))
}

/// [`inspect`] on an open connection.
pub(crate) fn inspect_connection(conn: &Connection, path: &Path) -> Result<Inspection, StoreError> {
    let sql = sql_err(path);
    let application_id: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(&sql)?;
    let user_version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(&sql)?;
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
        .map_err(&sql)?;
    let objects: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .map_err(&sql)?
        .collect::<Result<_, _>>()
        .map_err(&sql)?;
    if application_id == 0 && user_version == 0 && objects.is_empty() {
        return Ok(Inspection::Fresh);
    }
    if application_id != APPLICATION_ID {
        if application_id == 0 {
            return Err(StoreError::UnknownTables {
                path: path.to_path_buf(),
                tables: objects,
            });
        }
        return Err(StoreError::ForeignApplication {
            path: path.to_path_buf(),
            application_id,
        });
    }
    let version = u32::try_from(user_version).unwrap_or(u32::MAX);
    if version > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            path: path.to_path_buf(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    let known = known_objects(version);
    let unknown: Vec<String> = objects
        .into_iter()
        .filter(|o| !known.contains(&o.as_str()))
        .collect();
    if !unknown.is_empty() {
        return Err(StoreError::UnknownTables {
            path: path.to_path_buf(),
            tables: unknown,
        });
    }
    Ok(if version == SCHEMA_VERSION {
        Inspection::Current
    } else {
        Inspection::Older(version)
    })
}

/// Runs the missing migration steps on a read-write connection, in one transaction that also
/// stamps `application_id` and `user_version`. The version is re-read inside the transaction, so
/// two processes racing here cannot both migrate.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let target = SCHEMA_VERSION;
    let sql = sql_err(path);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(&sql)?;
    let inspection = inspect_connection(&tx, path)?;
    let from = match inspection {
        Inspection::Fresh => 0,
        Inspection::Older(v) => v,
        Inspection::Current => SCHEMA_VERSION,
    };
    if from >= target {
        return Ok(());
    }
    for step in MIGRATIONS.iter().take(target as usize).skip(from as usize) {
        tx.execute_batch(step).map_err(&sql)?;
    }
    tx.execute_batch(&format!(
        "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {target};
         INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', '{target}');"
    ))
    .map_err(&sql)?;
    tx.commit().map_err(&sql)
}
