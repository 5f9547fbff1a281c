//! Durable lease storage for Leasehold.
//!
//! The store is the durable truth about leases; the engine's in-memory index is rebuilt from it at
//! start-up ([`LeaseStore::load_all`]). Every durable lease change goes through
//! [`LeaseStore::commit`], which returns only once the batch is on stable storage.
//!
//! Modules:
//! - [`store`]: the [`LeaseStore`] trait every backend implements, history types.
//! - [`memory`]: [`MemoryStore`], a non-durable backend for tests.
//! - [`sqlite`]: [`SqliteStore`], the default embedded backend (WAL, `synchronous=FULL`), its
//!   schema, migrations and the checks that refuse files that are not ours.
//! - [`postgres`]: [`PgStore`], the backend for several servers on one PostgreSQL database
//!   (conditional upserts, group commit as one statement), its change feed and async reader.
//! - [`feed`]: [`ChangeFeed`], how a server hears of other servers' commits.
//! - [`group_commit`]: [`GroupCommitter`], one writer thread that folds many submissions into one
//!   transaction and one fsync; tickets can be awaited from tokio.
//! - [`backup`]: consistent online backups, verification and restore.
//! - [`export`]: lease and history listings as a table, JSON or CSV.
//! - [`error`]: [`StoreError`], the crate's single error type.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod backup;
pub mod error;
pub mod export;
pub mod feed;
pub mod group_commit;
pub mod memory;
pub mod postgres;
pub mod sqlite;
pub mod store;

pub use error::StoreError;
pub use feed::{ChangeFeed, FeedEvent};
pub use group_commit::{
    CommitOptions, CommitReport, CommitTicket, GroupCommitStats, GroupCommitter, Ticket,
};
pub use memory::MemoryStore;
pub use postgres::settings::PgSettings;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub use store::{HistoryEntry, HistoryFilter, LeaseStore, Rejected};
