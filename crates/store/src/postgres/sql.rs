//! The PostgreSQL statements, as constants (prepared once per connection).
//!
//! A commit is one statement: the batch arrives as one array per column (`unnest`), the upsert
//! and the history append are data-modifying CTEs, and the same statement announces itself with
//! `pg_notify`. Run outside an explicit transaction it is its own transaction: one round trip
//! and one WAL flush for the whole batch.

use super::schema::pg_lease_columns;

/// The batch as rows, numbered in batch order (`ord`), and the last row per address (what the
/// upsert writes: a later entry for the same address wins). Parameters `$1..$8` are the column
/// arrays.
macro_rules! input_ctes {
    () => {
        "WITH input AS (
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::text[],
                                  $6::bigint[], $7::bigint[], $8::text[])
                 WITH ORDINALITY AS t(addr, client, htype, hwaddr, state, starts, expires,
                                      hostname, ord)
         ),
         latest AS (
             SELECT DISTINCT ON (addr) * FROM input ORDER BY addr, ord DESC
         ),"
    };
}

/// The upsert's head (`$9` server id); the claim rule's `WHERE` or nothing follows.
macro_rules! upsert_head {
    () => {
        "up AS (
             INSERT INTO leases AS cur (addr, client, htype, hwaddr, state, starts, expires,
                                        hostname, server)
             SELECT addr, client, htype, hwaddr, state, starts, expires, hostname, $9::text
             FROM latest
             ON CONFLICT (addr) DO UPDATE SET client = EXCLUDED.client, htype = EXCLUDED.htype,
                 hwaddr = EXCLUDED.hwaddr, state = EXCLUDED.state, starts = EXCLUDED.starts,
                 expires = EXCLUDED.expires, hostname = EXCLUDED.hostname,
                 server = EXCLUDED.server"
    };
}

/// The claim rule of [`crate::LeaseStore::commit_claims`] (`$10` is the commit's `now`).
macro_rules! claim_rule {
    () => {
        "
             WHERE NOT (cur.state IN ('bound', 'declined')
                        AND (cur.expires IS NULL OR cur.expires > $10::bigint))
                OR (cur.client = EXCLUDED.client AND EXCLUDED.state <> 'expired')
                OR (EXCLUDED.state IN ('bound', 'declined')
                    AND (EXCLUDED.state = 'bound' OR EXCLUDED.client IS NULL)
                    AND cur.htype = EXCLUDED.htype AND cur.hwaddr = EXCLUDED.hwaddr)
                OR (EXCLUDED.state = 'expired' AND EXCLUDED.client IS NULL)"
    };
}

/// The history append of the rows written (`$11` the first id minus one, `$10` the commit's
/// `now`), and the result: the addresses written, and one NOTIFY `server first last` when there
/// are any (`$12` the batch length).
macro_rules! tail {
    () => {
        "
             RETURNING cur.addr
         ),
         hist AS (
             INSERT INTO history (id, server, recorded, addr, client, htype, hwaddr, state,
                                  starts, expires, hostname)
             SELECT $11::bigint + ord, $9::text, $10::bigint, addr, client, htype, hwaddr, state,
                    starts, expires, hostname
             FROM input WHERE addr IN (SELECT addr FROM up)
         )
         SELECT coalesce(array_agg(addr), '{}'::bigint[]),
                CASE WHEN count(*) > 0
                     THEN pg_notify('leasehold_leases', $9::text || ' ' || ($11::bigint + 1)::text
                                    || ' ' || ($11::bigint + $12::bigint)::text)
                END
         FROM up"
    };
}

/// Writes the whole batch (`LeaseStore::commit`).
pub(super) const COMMIT_ALL: &str = concat!(input_ctes!(), upsert_head!(), tail!());

/// Writes what the claim rule allows (`LeaseStore::commit_claims`).
pub(super) const COMMIT_CLAIMS: &str =
    concat!(input_ctes!(), upsert_head!(), claim_rule!(), tail!());

/// Every current record.
pub(super) const LOAD_ALL: &str =
    concat!("SELECT ", pg_lease_columns!(), " FROM leases ORDER BY addr");
/// Every current record with the server that wrote it.
pub(super) const LOAD_ALL_WITH_SERVER: &str = concat!(
    "SELECT ",
    pg_lease_columns!(),
    ", server FROM leases ORDER BY addr"
);
/// The current record of `$1`.
pub(super) const GET: &str = concat!(
    "SELECT ",
    pg_lease_columns!(),
    " FROM leases WHERE addr = $1"
);
/// The current records of the addresses in `$1`.
pub(super) const GET_MANY: &str = concat!(
    "SELECT ",
    pg_lease_columns!(),
    " FROM leases WHERE addr = ANY($1::bigint[])"
);
/// Current records of client text `$1`.
pub(super) const BY_CLIENT: &str = concat!(
    "SELECT ",
    pg_lease_columns!(),
    " FROM leases WHERE client = $1 ORDER BY addr"
);
/// Removes the current record of `$1`.
pub(super) const DELETE: &str = "DELETE FROM leases WHERE addr = $1";
/// Newest `$1` history entries.
pub(super) const HISTORY_ALL: &str = concat!(
    "SELECT id, recorded, ",
    pg_lease_columns!(),
    " FROM history ORDER BY id DESC, server DESC LIMIT $1"
);
/// Newest `$1` history entries of address `$2`.
pub(super) const HISTORY_ADDR: &str = concat!(
    "SELECT id, recorded, ",
    pg_lease_columns!(),
    " FROM history WHERE addr = $2 ORDER BY id DESC, server DESC LIMIT $1"
);
/// Newest `$1` history entries of client text `$2`.
pub(super) const HISTORY_CLIENT: &str = concat!(
    "SELECT id, recorded, ",
    pg_lease_columns!(),
    " FROM history WHERE client = $2 ORDER BY id DESC, server DESC LIMIT $1"
);
/// The current records of the addresses one server (`$1`) wrote with history ids in `$2..=$3`
/// (what its NOTIFYs announced), in address order: whatever order commits of several servers
/// are read in, the records sent are the latest.
pub(super) const CURRENT_OF_RANGE: &str = concat!(
    "SELECT ",
    pg_lease_columns!(),
    " FROM leases WHERE addr IN (
         SELECT addr FROM history WHERE server = $1 AND id BETWEEN $2 AND $3)
     ORDER BY addr"
);
/// The highest id this server (`$1`) has written.
pub(super) const LAST_ID: &str = "SELECT max(id) FROM history WHERE server = $1";
/// The id of the oldest entry recorded at or after `$1`.
pub(super) const FIRST_KEPT: &str =
    "SELECT id FROM history WHERE recorded >= $1 ORDER BY id LIMIT 1";
/// Deletes the `$2` oldest entries with an id below `$1`.
pub(super) const PRUNE_BEFORE: &str = "DELETE FROM history WHERE (id, server) IN (
     SELECT id, server FROM history WHERE id < $1 ORDER BY id LIMIT $2)";
