//! The PostgreSQL schema, its versions, and the check that a database is ours.
//!
//! The tables mirror the SQLite ones ([`crate::sqlite::schema`]) with one more column, `server`
//! (the server that wrote the record), and live in the connection's current schema:
//!
//! - `meta(key, value)`: `application = leasehold`, `schema_version`.
//! - `leases`: the current record per address; `addr BIGINT PRIMARY KEY` (the IPv4 address as an
//!   unsigned 32-bit number), so two servers can never both hold a row for one address.
//! - `history`: every committed version, keyed by `(id, server)`. Each server numbers its own
//!   entries (`id` grows with the wall clock, see [`super::PgStore`]), so no sequence is shared
//!   between servers.
//! - `leases_readable`: a view with dotted addresses and readable times.
//!
//! Plain SQL only (no PL/pgSQL, no triggers, no sequences), so PostgreSQL-compatible distributed
//! engines accept it; see docs/postgres.md for the statements that need care there.

/// The schema version this build writes (`meta.schema_version`).
pub const SCHEMA_VERSION: u32 = 1;

/// The `meta.application` value of every Leasehold database.
pub const APPLICATION: &str = "leasehold";

/// Key of the advisory lock held while the schema is created or migrated, so servers starting
/// together do not migrate twice (ASCII `LHLD`).
pub(crate) const MIGRATION_LOCK: i64 = 0x4C48_4C44;

/// Migration steps: `MIGRATIONS[n]` takes a database from version `n` to `n + 1`. Released steps
/// are never edited, only appended to.
pub(crate) const MIGRATIONS: [&str; SCHEMA_VERSION as usize] = [
    // 0 -> 1
    "CREATE TABLE meta (
         key   TEXT PRIMARY KEY,
         value TEXT NOT NULL
     );
     INSERT INTO meta (key, value) VALUES ('application', 'leasehold'), ('schema_version', '0');
     CREATE TABLE leases (
         addr     BIGINT PRIMARY KEY CHECK (addr BETWEEN 0 AND 4294967295),
         client   TEXT,
         htype    INTEGER CHECK (htype BETWEEN 0 AND 255),
         hwaddr   TEXT,
         state    TEXT NOT NULL CHECK (state IN ('bound', 'released', 'expired', 'declined')),
         starts   BIGINT NOT NULL,
         expires  BIGINT,
         hostname TEXT,
         server   TEXT NOT NULL
     );
     CREATE TABLE history (
         id       BIGINT NOT NULL,
         server   TEXT NOT NULL,
         recorded BIGINT NOT NULL,
         addr     BIGINT NOT NULL,
         client   TEXT,
         htype    INTEGER,
         hwaddr   TEXT,
         state    TEXT NOT NULL,
         starts   BIGINT NOT NULL,
         expires  BIGINT,
         hostname TEXT,
         PRIMARY KEY (id, server)
     );
     CREATE VIEW leases_readable AS
         SELECT ((addr >> 24) & 255)::text || '.' || ((addr >> 16) & 255)::text || '.' ||
                ((addr >> 8) & 255)::text || '.' || (addr & 255)::text AS address,
                client, htype, hwaddr, state,
                to_timestamp(starts) AS starts,
                CASE WHEN expires IS NULL THEN 'never'
                     ELSE to_timestamp(expires)::text END AS expires,
                hostname, server
         FROM leases;",
];

/// Tables and views a database of schema `version` holds.
pub(crate) fn known_objects(version: u32) -> &'static [&'static str] {
    match version {
        0 => &[],
        _ => &["meta", "leases", "history", "leases_readable"],
    }
}

/// The current-record columns, in the order [`super::codec`] reads them.
macro_rules! pg_lease_columns {
    () => {
        "addr, client, htype, hwaddr, state, starts, expires, hostname"
    };
}
pub(crate) use pg_lease_columns;
