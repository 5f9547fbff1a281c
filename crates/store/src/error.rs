//! The crate's single error type.

use std::path::PathBuf;
use std::sync::Arc;

/// Everything that can go wrong storing or loading leases.
///
/// Errors about a file always name it, so an operator knows which file was refused.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file exists but is not a SQLite database. It was not modified.
    #[error("{path}: not a SQLite database; refusing to use or modify it")]
    NotSqlite {
        /// The refused file.
        path: PathBuf,
    },
    /// A SQLite database stamped with another application's `application_id`. It was not modified.
    #[error(
        "{path}: SQLite database of another application (application_id {application_id:#010x}); refusing to use or modify it"
    )]
    ForeignApplication {
        /// The refused file.
        path: PathBuf,
        /// The `application_id` found in the header.
        application_id: i32,
    },
    /// A SQLite database holding tables Leasehold does not know. It was not modified.
    #[error("{path}: not a Leasehold database (unexpected tables: {}); refusing to use or modify it", tables.join(", "))]
    UnknownTables {
        /// The refused file.
        path: PathBuf,
        /// The unexpected table and view names.
        tables: Vec<String>,
    },
    /// A Leasehold database written by a newer Leasehold. It was not modified.
    #[error(
        "{path}: lease database schema version {found} is newer than this Leasehold supports ({supported}); upgrade Leasehold"
    )]
    NewerSchema {
        /// The refused file.
        path: PathBuf,
        /// Schema version in the file.
        found: u32,
        /// Newest schema version this build knows.
        supported: u32,
    },
    /// A read-only open of a PostgreSQL database found no Leasehold schema in it.
    #[error(
        "{target}: no Leasehold schema yet; start a server on it or run `leasehold leases migrate`"
    )]
    NoSchema {
        /// Where (password removed).
        target: String,
    },
    /// A read-only open found an older schema that needs migrating first.
    #[error(
        "{path}: lease database schema version {found} is older than {supported}; open it read-write once (start the server) to migrate it"
    )]
    OlderSchema {
        /// The file.
        path: PathBuf,
        /// Schema version in the file.
        found: u32,
        /// Schema version this build writes.
        supported: u32,
    },
    /// Another process holds the database's writer lock.
    #[error("{path}: in use by another Leasehold process (lock file {lock} is held)")]
    Locked {
        /// The database.
        path: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },
    /// `PRAGMA integrity_check` reported damage.
    #[error("{path}: integrity check failed: {detail}")]
    Integrity {
        /// The damaged file.
        path: PathBuf,
        /// What SQLite reported.
        detail: String,
    },
    /// A backup destination exists and is not a Leasehold database, so it is not overwritten.
    #[error("{path}: exists and is not a Leasehold lease database; refusing to overwrite it")]
    DestinationExists {
        /// The destination.
        path: PathBuf,
    },
    /// A file system operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// SQLite reported an error.
    #[error("{path}: SQLite: {source}")]
    Sqlite {
        /// The database involved.
        path: PathBuf,
        /// The cause.
        #[source]
        source: rusqlite::Error,
    },
    /// A stored record could not be decoded.
    #[error("lease record for {addr}: {reason}")]
    BadRecord {
        /// The record's address (as stored).
        addr: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A value does not fit the storage format (timestamps above `i64::MAX`, other than `INFINITE`).
    #[error("{what} {value} is out of the storable range (at most {max})", max = i64::MAX)]
    OutOfRange {
        /// Which field.
        what: &'static str,
        /// The value.
        value: u64,
    },
    /// Writing a listing failed.
    #[error("writing output: {0}")]
    Output(#[source] std::io::Error),
    /// A PostgreSQL operation failed (connection, authentication or statement). `target` is the
    /// connection URL without its password.
    #[error("{target}: PostgreSQL: {}", pg_detail(error))]
    Postgres {
        /// Where (password removed).
        target: String,
        /// What PostgreSQL or the connection said (in the message already, so not a `source`:
        /// an error chain would print it twice).
        error: tokio_postgres::Error,
    },
    /// The PostgreSQL database belongs to another program (its `meta` table does not name
    /// Leasehold). It was not modified.
    #[error("{target}: not a Leasehold database ({detail}); refusing to use or modify it")]
    ForeignDatabase {
        /// Where (password removed).
        target: String,
        /// What was found.
        detail: String,
    },
    /// The connection to the database ended.
    #[error("{target}: the connection to PostgreSQL was lost")]
    ConnectionLost {
        /// Where (password removed).
        target: String,
    },
    /// The store settings are unusable (a bad URL, an unreadable password file or CA file).
    #[error("lease store settings: {0}")]
    Settings(String),
    /// The batch this submission was part of failed; nothing of it is durable.
    #[error("lease commit failed: {0}")]
    BatchFailed(#[source] Arc<StoreError>),
    /// The group-commit writer thread is gone (closed, or it panicked); nothing was committed.
    #[error("the lease store writer has stopped; the change was not committed")]
    WriterGone,
}

/// What a PostgreSQL error says: the server's message (and detail) for a database error, else
/// the client error with its cause (tokio-postgres' own `Display` says only "db error").
fn pg_detail(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return match db.detail() {
            Some(d) => format!("{}: {} ({d})", db.severity(), db.message()),
            None => format!("{}: {}", db.severity(), db.message()),
        };
    }
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}
