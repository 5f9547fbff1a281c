//! SQLite backend: durability across reopen, schema stamps and migration, and refusal of files
//! that are not ours (which must be left untouched).

mod common;

use common::{bytes, lease, listing, noise, varied};
use leasehold_store::sqlite::schema::{APPLICATION_ID, SCHEMA_VERSION};
use leasehold_store::{HistoryFilter, LeaseStore, SqliteStore, StoreError};
use rusqlite::Connection;
use std::path::Path;

fn assert_refused_untouched(path: &Path, check: impl Fn(&StoreError) -> bool) {
    let dir = path.parent().expect("parent");
    let before = bytes(path);
    let files_before = listing(dir);
    let err = SqliteStore::open(path).expect_err("must be refused");
    assert!(check(&err), "unexpected error: {err:?}");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "error names the file: {err}"
    );
    let err = SqliteStore::open_read_only(path).expect_err("read-only open refused too");
    assert!(check(&err), "unexpected error: {err:?}");
    assert_eq!(bytes(path), before, "file unchanged");
    assert_eq!(
        listing(dir),
        files_before,
        "no side files (lock, WAL) created"
    );
}

#[test]
fn reopen_keeps_everything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("leases.db");
    {
        let mut s = SqliteStore::open(&path).expect("open");
        s.commit(&varied(), 10).expect("commit");
        s.commit(&[lease(1, 20)], 20).expect("commit");
    }
    let mut s = SqliteStore::open(&path).expect("reopen");
    let mut expected = varied();
    expected[0] = lease(1, 20);
    expected.sort_by_key(|l| l.addr);
    assert_eq!(s.load_all().expect("load"), expected);
    assert_eq!(
        s.history(&HistoryFilter::All, 100).expect("history").len(),
        varied().len() + 1
    );
}

#[test]
fn stamps_wal_full_and_versions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("leases.db");
    let s = SqliteStore::open(&path).expect("open");
    let c = s.connection();
    let q = |sql: &str| {
        c.query_row(sql, [], |r| r.get::<_, rusqlite::types::Value>(0))
            .expect(sql)
    };
    assert_eq!(
        q("PRAGMA journal_mode"),
        rusqlite::types::Value::Text("wal".into())
    );
    assert_eq!(
        q("PRAGMA synchronous"),
        rusqlite::types::Value::Integer(2),
        "FULL"
    );
    assert_eq!(
        q("PRAGMA application_id"),
        rusqlite::types::Value::Integer(i64::from(APPLICATION_ID))
    );
    assert_eq!(
        q("PRAGMA user_version"),
        rusqlite::types::Value::Integer(i64::from(SCHEMA_VERSION))
    );
    assert_eq!(
        q("SELECT value FROM meta WHERE key = 'schema_version'"),
        rusqlite::types::Value::Text(SCHEMA_VERSION.to_string())
    );
}

#[test]
fn readable_view_shows_dotted_addresses() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = SqliteStore::open(dir.path().join("leases.db")).expect("open");
    s.commit(&varied(), 1).expect("commit");
    let rows: Vec<(String, Option<String>)> = {
        let mut st = s
            .connection()
            .prepare("SELECT address, expires FROM leases_readable ORDER BY address")
            .expect("prep");
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    assert!(
        rows.contains(&("10.0.0.2".to_string(), Some("never".to_string()))),
        "{rows:?}"
    );
    assert!(rows.iter().any(|(a, _)| a == "255.255.255.254"), "{rows:?}");
}

#[test]
fn random_bytes_refused_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (i, len) in [1usize, 99, 100, 4096, 65536].into_iter().enumerate() {
        let path = dir.path().join(format!("noise-{i}.db"));
        std::fs::write(&path, noise(len, 0x9e37_79b9 + i as u64)).expect("write");
        assert_refused_untouched(&path, |e| matches!(e, StoreError::NotSqlite { .. }));
    }
}

#[test]
fn sqlite_header_with_garbage_refused_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("garbage.db");
    let mut data = b"SQLite format 3\0".to_vec();
    data.extend(noise(8192, 42));
    std::fs::write(&path, &data).expect("write");
    assert_refused_untouched(&path, |e| {
        matches!(
            e,
            StoreError::NotSqlite { .. } | StoreError::Integrity { .. } | StoreError::Sqlite { .. }
        )
    });
}

#[test]
fn foreign_sqlite_refused_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("other.db");
    {
        let c = Connection::open(&path).expect("create");
        c.execute_batch("CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('alice');")
            .expect("fill");
    }
    assert_refused_untouched(
        &path,
        |e| matches!(e, StoreError::UnknownTables { tables, .. } if tables == &["users"]),
    );

    let path = dir.path().join("app.db");
    {
        let c = Connection::open(&path).expect("create");
        c.execute_batch("PRAGMA application_id = 1234; CREATE TABLE leases (x);")
            .expect("fill");
    }
    assert_refused_untouched(&path, |e| {
        matches!(
            e,
            StoreError::ForeignApplication {
                application_id: 1234,
                ..
            }
        )
    });
}

#[test]
fn leasehold_db_with_extra_table_refused_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("leases.db");
    drop(SqliteStore::open(&path).expect("create"));
    Connection::open(&path)
        .expect("open")
        .execute_batch("CREATE TABLE intruder (x);")
        .expect("add");
    assert_refused_untouched(
        &path,
        |e| matches!(e, StoreError::UnknownTables { tables, .. } if tables == &["intruder"]),
    );
}

#[test]
fn newer_schema_refused_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("leases.db");
    {
        let mut s = SqliteStore::open(&path).expect("create");
        s.commit(&[lease(1, 1)], 1).expect("commit");
    }
    Connection::open(&path)
        .expect("open")
        .execute_batch(&format!("PRAGMA user_version = {};", SCHEMA_VERSION + 1))
        .expect("bump");
    assert_refused_untouched(
        &path,
        |e| matches!(e, StoreError::NewerSchema { found, supported, .. } if *found == SCHEMA_VERSION + 1 && *supported == SCHEMA_VERSION),
    );
}

/// A version-1 database exactly as schema version 1 wrote it (leases, no history).
fn write_v1(path: &Path) {
    let c = Connection::open(path).expect("create");
    c.execute_batch(&format!(
        "PRAGMA journal_mode = WAL;
         CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
         INSERT INTO meta (key, value) VALUES ('application', 'leasehold'), ('schema_version', '1');
         CREATE TABLE leases (
             addr INTEGER PRIMARY KEY NOT NULL CHECK (addr BETWEEN 0 AND 4294967295),
             client TEXT, htype INTEGER CHECK (htype BETWEEN 0 AND 255), hwaddr TEXT,
             state TEXT NOT NULL CHECK (state IN ('bound', 'released', 'expired', 'declined')),
             starts INTEGER NOT NULL, expires INTEGER, hostname TEXT);
         CREATE INDEX leases_client ON leases (client);
         INSERT INTO leases VALUES (167772161, 'hw:1:52:54:00:00:00:01', 1, '52:54:00:00:00:01', 'bound', 7, NULL, 'h');
         PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = 1;"
    ))
    .expect("v1 schema");
}

#[test]
fn older_schema_migrated_on_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("leases.db");
    write_v1(&path);
    let err = SqliteStore::open_read_only(&path).expect_err("read-only cannot migrate");
    assert!(
        matches!(err, StoreError::OlderSchema { found: 1, .. }),
        "{err:?}"
    );

    let mut s = SqliteStore::open(&path).expect("migrates");
    let expected = leasehold_engine::Lease {
        expires: leasehold_engine::lease::INFINITE,
        starts: 7,
        hostname: Some("h".into()),
        ..lease(1, 0)
    };
    assert_eq!(s.load_all().expect("load"), vec![expected]);
    s.commit(&[lease(2, 9)], 9)
        .expect("history table exists now");
    assert_eq!(
        s.history(&HistoryFilter::All, 10).expect("history").len(),
        1
    );
    let v: i64 = s
        .connection()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    assert_eq!(v, i64::from(SCHEMA_VERSION));
}

/// A version-2 database exactly as schema version 2 wrote it (history with its three indexes,
/// `leases_client`), holding one current record and two history entries.
fn write_v2(path: &Path) {
    let c = Connection::open(path).expect("create");
    c.execute_batch(&format!(
        "PRAGMA journal_mode = WAL;
         CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
         INSERT INTO meta (key, value) VALUES ('application', 'leasehold'), ('schema_version', '2');
         CREATE TABLE leases (
             addr INTEGER PRIMARY KEY NOT NULL CHECK (addr BETWEEN 0 AND 4294967295),
             client TEXT, htype INTEGER CHECK (htype BETWEEN 0 AND 255), hwaddr TEXT,
             state TEXT NOT NULL CHECK (state IN ('bound', 'released', 'expired', 'declined')),
             starts INTEGER NOT NULL, expires INTEGER, hostname TEXT);
         CREATE INDEX leases_client ON leases (client);
         CREATE TABLE history (
             id INTEGER PRIMARY KEY NOT NULL, recorded INTEGER NOT NULL, addr INTEGER NOT NULL,
             client TEXT, htype INTEGER, hwaddr TEXT, state TEXT NOT NULL,
             starts INTEGER NOT NULL, expires INTEGER, hostname TEXT);
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
             FROM leases;
         INSERT INTO leases VALUES (167772161, 'hw:1:52:54:00:00:00:01', 1, '52:54:00:00:00:01', 'released', 20, 3620, 'host-1');
         INSERT INTO history VALUES
             (1, 10, 167772161, 'hw:1:52:54:00:00:00:01', 1, '52:54:00:00:00:01', 'bound', 10, 3610, 'host-1'),
             (2, 20, 167772161, 'hw:1:52:54:00:00:00:01', 1, '52:54:00:00:00:01', 'released', 20, 3620, 'host-1');
         PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = 2;"
    ))
    .expect("v2 schema");
}

/// Names of the indexes in the database, SQLite's automatic ones excluded.
fn indexes(c: &Connection) -> Vec<String> {
    let mut st = c
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name",
        )
        .expect("prep");
    st.query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

#[test]
fn version_2_migrated_keeps_data_drops_indexes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("leases.db");
    write_v2(&path);
    assert_eq!(indexes(&Connection::open(&path).expect("open")).len(), 4);
    let err = SqliteStore::open_read_only(&path).expect_err("read-only cannot migrate");
    assert!(
        matches!(err, StoreError::OlderSchema { found: 2, .. }),
        "{err:?}"
    );

    let mut s = SqliteStore::open(&path).expect("migrates");
    let released = leasehold_engine::Lease {
        state: leasehold_engine::LeaseState::Released,
        ..lease(1, 20)
    };
    assert_eq!(s.load_all().expect("load"), vec![released.clone()]);
    let history = s.history(&HistoryFilter::All, 10).expect("history");
    assert_eq!(
        history
            .iter()
            .map(|e| (e.id, e.recorded, e.lease.clone()))
            .collect::<Vec<_>>(),
        vec![(2, 20, released), (1, 10, lease(1, 10))]
    );
    let c = lease(1, 0).client.expect("client");
    assert_eq!(s.by_client(&c).expect("by_client").len(), 1);
    assert_eq!(
        s.history(&HistoryFilter::Client(c), 10)
            .expect("history")
            .len(),
        2
    );
    assert_eq!(indexes(s.connection()), Vec::<String>::new());
    let q = |sql: &str| {
        s.connection()
            .query_row(sql, [], |r| r.get::<_, rusqlite::types::Value>(0))
            .expect(sql)
    };
    assert_eq!(
        q("PRAGMA user_version"),
        rusqlite::types::Value::Integer(i64::from(SCHEMA_VERSION))
    );
    assert_eq!(
        q("SELECT value FROM meta WHERE key = 'schema_version'"),
        rusqlite::types::Value::Text(SCHEMA_VERSION.to_string())
    );
    assert_eq!(
        q("SELECT address FROM leases_readable"),
        rusqlite::types::Value::Text("10.0.0.1".into())
    );
    assert_eq!(
        q("PRAGMA integrity_check"),
        rusqlite::types::Value::Text("ok".into())
    );

    s.commit(&[lease(2, 30)], 30)
        .expect("commit after migration");
    assert_eq!(s.prune_history(20, usize::MAX).expect("prune"), 1);
    assert_eq!(
        s.history(&HistoryFilter::All, 10)
            .expect("history")
            .iter()
            .map(|e| e.id)
            .collect::<Vec<_>>(),
        vec![3, 2],
        "ids continue after the migrated ones"
    );
    drop(s);
    SqliteStore::open_read_only(&path).expect("current now");
}

#[test]
fn fresh_database_has_no_secondary_indexes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = SqliteStore::open(dir.path().join("leases.db")).expect("open");
    assert_eq!(indexes(s.connection()), Vec::<String>::new());
}

#[test]
fn empty_file_is_initialised() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("leases.db");
    std::fs::write(&path, b"").expect("touch");
    let mut s = SqliteStore::open(&path).expect("an empty file is an empty database");
    assert_eq!(s.load_all().expect("load"), vec![]);
}

#[test]
fn missing_directory_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("no/such/dir/leases.db");
    let err = SqliteStore::open(&path).expect_err("no directory");
    assert!(err.to_string().contains("no/such/dir"), "{err}");
}

#[test]
fn second_writer_is_locked_out_readers_are_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("leases.db");
    let mut w = SqliteStore::open(&path).expect("open");
    w.commit(&[lease(1, 1)], 1).expect("commit");
    let err = SqliteStore::open(&path).expect_err("second writer");
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    let mut r = SqliteStore::open_read_only(&path).expect("reader alongside the writer");
    assert_eq!(r.load_all().expect("load"), vec![lease(1, 1)]);
    w.commit(&[lease(2, 2)], 2)
        .expect("writer not blocked by the reader");
    assert_eq!(
        r.load_all().expect("load").len(),
        2,
        "reader sees new commits"
    );
    assert!(
        r.commit(&[lease(3, 3)], 3).is_err(),
        "read-only store cannot write"
    );
    drop(w);
    SqliteStore::open(&path).expect("lock released on drop");
}

#[test]
fn corrupt_record_is_reported_not_panicked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("leases.db");
    let mut s = SqliteStore::open(&path).expect("open");
    s.connection()
        .execute_batch(
            "INSERT INTO leases (addr, client, state, starts) VALUES (5, 'nonsense', 'bound', 1);",
        )
        .expect("insert");
    let err = s.load_all().expect_err("bad client key");
    assert!(
        matches!(&err, StoreError::BadRecord { addr, .. } if addr == "0.0.0.5"),
        "{err:?}"
    );
}

#[test]
fn awkward_file_names_work() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("we ird%3F?#name.db");
    {
        let mut s = SqliteStore::open(&path).expect("create");
        s.commit(&[lease(1, 1)], 1).expect("commit");
    }
    let mut s = SqliteStore::open(&path).expect("reopen (inspected through a file: URI)");
    assert_eq!(s.load_all().expect("load"), vec![lease(1, 1)]);
    assert_eq!(
        common::listing(dir.path())
            .iter()
            .filter(|f| f.starts_with("we ird%3F?#name.db"))
            .count(),
        4
    );
}
