//! The SQLite schema and its versions.
//!
//! Layout (kept portable to PostgreSQL: plain types, no SQLite-only features in the tables):
//!
//! - `meta(key TEXT PRIMARY KEY, value TEXT)`: `application = leasehold`, `schema_version`, for
//!   people inspecting the file. The authoritative stamps are `PRAGMA application_id`
//!   ([`APPLICATION_ID`]) and `PRAGMA user_version` ([`SCHEMA_VERSION`]).
//! - `leases`: the current record per address.
//!   - `addr INTEGER PRIMARY KEY`: the IPv4 address as an unsigned 32-bit number (`BIGINT` in
//!     PostgreSQL), so ranges sort and compare numerically. The `leases_readable` view shows it
//!     dotted.
//!   - `client TEXT`: [`leasehold_engine::ClientKey::to_text`] (`id:<hex>` or `hw:<htype>:<mac>`),
//!     NULL for none. Not indexed: [`crate::LeaseStore::by_client`] scans the table (it holds at
//!     most the pool sizes and only the CLI and the control API ask).
//!   - `htype INTEGER`, `hwaddr TEXT`: hardware type and colon-separated hex (empty string for a
//!     zero-length chaddr); both NULL when unknown.
//!   - `state TEXT`: `bound`, `released`, `expired` or `declined`.
//!   - `starts INTEGER`: Unix seconds.
//!   - `expires INTEGER`: Unix seconds; **NULL means never** ([`leasehold_engine::lease`]'s
//!     `INFINITE`). Finite values above `i64::MAX` are refused rather than wrapped.
//!   - `hostname TEXT`: option 12, NULL for none.
//! - `history`: every committed version, same columns plus `id` (sequence) and `recorded` (the
//!   commit's `now`). Pruned by age.
//!   - No secondary indexes (since version 3): each would cost a random B-tree insert per
//!     committed lease (client keys arrive in random order), which dominated the CPU of a commit.
//!     The queries walk the `id` B-tree instead: [`crate::LeaseStore::history`] scans newest first
//!     and stops after `limit` matches (cheap for recent entries, a full scan for a filter that
//!     matches fewer than `limit`), and [`crate::LeaseStore::prune_history`] deletes an `id` range
//!     (`recorded` grows with `id` because a single writer commits in order).
//! - `leases_readable`: a view of `leases` with dotted addresses and readable times.
//!
//! Versions: 1 created `meta` and `leases` (with index `leases_client`); 2 added `history` (with
//! indexes `history_addr`, `history_client`, `history_recorded`) and `leases_readable`; 3 dropped
//! those four indexes. Every database file is migrated in place when a writer opens it.

/// `PRAGMA application_id` of every Leasehold lease database: ASCII `LHLD`.
pub const APPLICATION_ID: i32 = 0x4C48_4C44;

/// The schema version this build writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: u32 = 3;

/// Migration steps: `MIGRATIONS[n]` takes a database from version `n` to `n + 1`. Released steps
/// are never edited (a fresh database runs them all), only appended to.
pub(crate) const MIGRATIONS: [&str; SCHEMA_VERSION as usize] = [
    // 0 -> 1: current records.
    "CREATE TABLE meta (
         key   TEXT PRIMARY KEY NOT NULL,
         value TEXT NOT NULL
     );
     INSERT INTO meta (key, value) VALUES ('application', 'leasehold');
     CREATE TABLE leases (
         addr     INTEGER PRIMARY KEY NOT NULL CHECK (addr BETWEEN 0 AND 4294967295),
         client   TEXT,
         htype    INTEGER CHECK (htype BETWEEN 0 AND 255),
         hwaddr   TEXT,
         state    TEXT NOT NULL CHECK (state IN ('bound', 'released', 'expired', 'declined')),
         starts   INTEGER NOT NULL,
         expires  INTEGER,
         hostname TEXT
     );
     CREATE INDEX leases_client ON leases (client);",
    // 1 -> 2: history of every committed version, and a human-readable view.
    "CREATE TABLE history (
         id       INTEGER PRIMARY KEY NOT NULL,
         recorded INTEGER NOT NULL,
         addr     INTEGER NOT NULL,
         client   TEXT,
         htype    INTEGER,
         hwaddr   TEXT,
         state    TEXT NOT NULL,
         starts   INTEGER NOT NULL,
         expires  INTEGER,
         hostname TEXT
     );
     CREATE INDEX history_addr ON history (addr, id);
     CREATE INDEX history_client ON history (client, id);
     CREATE INDEX history_recorded ON history (recorded);
     CREATE VIEW leases_readable AS
         SELECT ((addr >> 24) & 255) || '.' || ((addr >> 16) & 255) || '.' ||
                ((addr >> 8) & 255) || '.' || (addr & 255) AS address,
                client, htype, hwaddr, state,
                datetime(starts, 'unixepoch') AS starts,
                CASE WHEN expires IS NULL THEN 'never' ELSE datetime(expires, 'unixepoch') END AS expires,
                hostname
         FROM leases;",
    // 2 -> 3: no secondary indexes; each cost a random B-tree insert per committed lease.
    "DROP INDEX IF EXISTS leases_client;
     DROP INDEX IF EXISTS history_addr;
     DROP INDEX IF EXISTS history_client;
     DROP INDEX IF EXISTS history_recorded;",
];

/// Tables and views a database of schema `version` may hold (besides SQLite's own). Indexes are
/// not checked.
pub(crate) fn known_objects(version: u32) -> &'static [&'static str] {
    match version {
        0 => &[],
        1 => &["meta", "leases"],
        // 2 and 3 differ only in indexes.
        _ => &["meta", "leases", "history", "leases_readable"],
    }
}

/// The current-record columns as a string literal (for `concat!` into constant SQL), in the order
/// [`super::codec`] reads and writes them.
macro_rules! lease_columns {
    () => {
        "addr, client, htype, hwaddr, state, starts, expires, hostname"
    };
}
pub(crate) use lease_columns;
