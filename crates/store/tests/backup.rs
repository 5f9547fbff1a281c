//! Backup, verify and restore of SQLite lease databases.

mod common;

use common::{bytes, lease, varied};
use leasehold_store::backup::{backup, restore, side_file, verify};
use leasehold_store::{HistoryFilter, LeaseStore, SqliteStore, StoreError};

#[test]
fn online_backup_while_writer_open_then_restore() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("leases.db");
    let copy = dir.path().join("copy.db");
    let mut w = SqliteStore::open(&db).expect("open");
    w.commit(&varied(), 10).expect("commit");
    let r = backup(&db, &copy).expect("backup while the writer holds the db");
    assert_eq!(
        (r.leases, r.history),
        (varied().len() as u64, varied().len() as u64)
    );
    assert!(
        !side_file(&copy, "-wal").exists(),
        "backup is one self-contained file"
    );
    w.commit(&[lease(200, 20)], 20).expect("writer carries on");
    assert_eq!(
        verify(&copy).expect("verify").leases,
        varied().len() as u64,
        "snapshot, not later commits"
    );

    let err = restore(&copy, &db).expect_err("db in use");
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    drop(w);

    let r = restore(&copy, &db).expect("restore");
    assert_eq!(r.leases, varied().len() as u64);
    assert!(
        !side_file(&db, "-wal").exists()
            || std::fs::metadata(side_file(&db, "-wal"))
                .map(|m| m.len())
                .unwrap_or(0)
                == 0
    );
    let mut s = SqliteStore::open(&db).expect("open restored");
    let mut expected = varied();
    expected.sort_by_key(|l| l.addr);
    assert_eq!(
        s.load_all().expect("load"),
        expected,
        "the later commit is gone: restored to the snapshot"
    );
    assert_eq!(
        s.history(&HistoryFilter::All, 100).expect("history").len(),
        varied().len()
    );
}

#[test]
fn backup_replaces_an_old_backup_but_not_other_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("leases.db");
    let mut w = SqliteStore::open(&db).expect("open");
    w.commit(&[lease(1, 1)], 1).expect("commit");
    let dest = dir.path().join("nightly.db");
    backup(&db, &dest).expect("first");
    w.commit(&[lease(2, 2)], 2).expect("commit");
    assert_eq!(
        backup(&db, &dest)
            .expect("second replaces the first")
            .leases,
        2
    );

    let precious = dir.path().join("notes.txt");
    std::fs::write(&precious, b"do not clobber").expect("write");
    let err = backup(&db, &precious).expect_err("not a lease db");
    assert!(
        matches!(err, StoreError::DestinationExists { .. }),
        "{err:?}"
    );
    assert_eq!(bytes(&precious), b"do not clobber");
    let leftovers: Vec<_> = common::listing(dir.path())
        .into_iter()
        .filter(|f| f.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn restore_refuses_bad_backups_and_leaves_db_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("leases.db");
    SqliteStore::open(&db)
        .expect("open")
        .commit(&[lease(1, 1)], 1)
        .expect("commit");
    let before = bytes(&db);

    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, common::noise(4096, 7)).expect("write");
    let err = restore(&junk, &db).expect_err("junk");
    assert!(matches!(err, StoreError::NotSqlite { .. }), "{err:?}");

    let foreign = dir.path().join("foreign.db");
    rusqlite::Connection::open(&foreign)
        .expect("c")
        .execute_batch("CREATE TABLE t (x);")
        .expect("t");
    let err = restore(&foreign, &db).expect_err("foreign");
    assert!(matches!(err, StoreError::UnknownTables { .. }), "{err:?}");

    let missing = dir.path().join("missing.db");
    assert!(restore(&missing, &db).is_err());
    assert_eq!(bytes(&db), before);
    assert_eq!(
        SqliteStore::open(&db)
            .expect("open")
            .load_all()
            .expect("load"),
        vec![lease(1, 1)]
    );
}

#[test]
fn restore_into_a_new_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("leases.db");
    SqliteStore::open(&db)
        .expect("open")
        .commit(&varied(), 1)
        .expect("commit");
    let copy = dir.path().join("b.db");
    backup(&db, &copy).expect("backup");
    let fresh = dir.path().join("sub").join("new.db");
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    restore(&copy, &fresh).expect("restore to a new place");
    assert_eq!(
        SqliteStore::open(&fresh)
            .expect("open")
            .load_all()
            .expect("load")
            .len(),
        varied().len()
    );
}

#[test]
fn verify_reports_damage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("leases.db");
    {
        let mut s = SqliteStore::open(&db).expect("open");
        let many: Vec<_> = (0..3000u32)
            .map(|i| leasehold_engine::Lease {
                addr: std::net::Ipv4Addr::from(0x0a00_0000 + i),
                ..lease(1, 1)
            })
            .collect();
        s.commit(&many, 1).expect("commit");
    }
    // Overwrite a page in the middle (not the header) with noise.
    let mut data = bytes(&db);
    let page = 4096;
    let start = page * 5;
    data[start..start + page].copy_from_slice(&common::noise(page, 99));
    std::fs::write(&db, &data).expect("write");
    let err = verify(&db).expect_err("damage found");
    assert!(
        matches!(
            err,
            StoreError::Integrity { .. } | StoreError::Sqlite { .. }
        ),
        "{err:?}"
    );
}
