//! `leasehold leases` on PostgreSQL, through the real binary, each test in a fresh schema of the
//! database `LEASEHOLD_TEST_PG_URL` names: `migrate`; `copy` of a SQLite database into
//! PostgreSQL and back; `list`, `show`, `history`, `export` and `verify` giving the same records
//! on both; `copy` refusing a destination that is not empty; a wrong password, a foreign
//! database and `backup`/`restore` refused with one clear line.
//!
//! Fails (it never skips) when `LEASEHOLD_TEST_PG_URL` is not set.

mod pg_support;
mod support;

use leasehold_engine::lease::INFINITE;
use leasehold_engine::{ClientKey, Lease, LeaseState};
use leasehold_store::{LeaseStore, SqliteStore};
use leasehold_wire::HwAddr;
use pg_support::{
    add_pg_store, base_url, fresh_schema, leasehold, password_of, psql, with_password,
};
use serde_json::Value;
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Output;

/// What a successful run printed; panics with its stderr otherwise.
fn ok(args: &[&str]) -> String {
    let out = leasehold(args);
    assert!(
        out.status.success(),
        "leasehold {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The error line of a failed run: exactly one line `Error: …`, non-zero exit.
fn refused(args: &[&str]) -> String {
    let out: Output = leasehold(args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !out.status.success(),
        "leasehold {args:?} succeeded: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "not one line: {stderr}");
    assert!(lines[0].starts_with("Error: "), "{stderr}");
    lines[0].to_string()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// `v` without the keys `drop` in every object, at any depth.
fn without(v: &Value, drop: &[&str]) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !drop.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), without(v, drop)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|v| without(v, drop)).collect()),
        other => other.clone(),
    }
}

fn mac(n: u8) -> HwAddr {
    HwAddr::ethernet([0x52, 0x54, 0, 0, 0xa0, n])
}

fn lease(last: u8, n: u8, state: LeaseState, starts: u64, expires: u64) -> Lease {
    Lease {
        addr: Ipv4Addr::new(10, 9, 0, last),
        client: Some(ClientKey::HwAddr(mac(n))),
        hwaddr: Some(mac(n)),
        state,
        starts,
        expires,
        hostname: Some(format!("host-{n}")),
    }
}

/// A SQLite database with some history: bindings, a renewal, a release, a client-id client
/// with a hostname that needs CSV quoting, a decline with no client, an infinite lease, and an
/// address deleted by an administrator after its history.
fn sqlite_with_history(db: &Path) {
    let mut s = SqliteStore::open(db).expect("open sqlite");
    let t = 1_700_000_000;
    s.commit(
        &[
            lease(10, 1, LeaseState::Bound, t, t + 3600),
            lease(11, 2, LeaseState::Bound, t, t + 3600),
        ],
        t,
    )
    .expect("commit");
    s.commit(&[lease(12, 3, LeaseState::Bound, t + 5, t + 3605)], t + 5)
        .expect("commit");
    s.commit(
        &[
            lease(10, 1, LeaseState::Bound, t + 1800, t + 5400),
            lease(11, 2, LeaseState::Released, t + 1800, t + 1800),
        ],
        t + 1800,
    )
    .expect("commit");
    let mut by_id = lease(13, 4, LeaseState::Bound, t + 1900, INFINITE);
    by_id.client = Some(ClientKey::from_text("id:01525400a00004").expect("client id"));
    by_id.hostname = Some("a,b \"quoted\"".to_string());
    let declined = Lease {
        addr: Ipv4Addr::new(10, 9, 0, 14),
        client: None,
        hwaddr: None,
        state: LeaseState::Declined,
        starts: t + 1900,
        expires: t + 5500,
        hostname: None,
    };
    s.commit(&[by_id, declined], t + 1900).expect("commit");
    s.delete(Ipv4Addr::new(10, 9, 0, 12)).expect("delete");
}

/// Every read command gives the same records on `a` and `b` (each a `--db FILE` or
/// `--store URL` pair); history ids (renumbered by a copy) and the PostgreSQL-only `server`
/// field are left out of the comparison.
fn same_records(a: [&str; 2], b: [&str; 2]) {
    let run = |s: [&str; 2], rest: &[&str]| {
        let mut args = vec!["leases", s[0], s[1]];
        args.extend(rest);
        ok(&args)
    };
    for rest in [
        &["list", "--format", "json"][..],
        &["export"][..],
        &["history", "--format", "json"][..],
        &["history", "--addr", "10.9.0.10", "--format", "json"][..],
        &[
            "history",
            "--client",
            "id:01525400a00004",
            "--format",
            "json",
        ][..],
        &["show", "10.9.0.11", "--format", "json"][..],
        &["show", "52:54:00:00:a0:01", "--format", "json"][..],
        &["show", "10.9.0.12", "--format", "json"][..],
    ] {
        let (x, y) = (json(&run(a, rest)), json(&run(b, rest)));
        assert_eq!(
            without(&x, &["id", "server"]),
            without(&y, &["id", "server"]),
            "{rest:?} differs"
        );
    }
    for rest in [
        &["list"][..],
        &["list", "--format", "csv"][..],
        &["export", "--format", "csv"][..],
    ] {
        assert_eq!(run(a, rest), run(b, rest), "{rest:?} differs");
    }
}

#[test]
fn migrate_copy_and_read_on_postgres() {
    let schema = fresh_schema();
    let url = schema.url.as_str();
    let password = password_of(url).expect("the test URL has a password");
    let dir = tempfile::tempdir().expect("tempdir");

    // Before migrate, reads say what to do.
    let line = refused(&["leases", "--store", url, "list"]);
    assert!(line.contains("leasehold leases migrate"), "{line}");
    let said = ok(&["leases", "--store", url, "migrate"]);
    assert!(said.contains("schema version 1 (created)"), "{said}");
    assert!(!said.contains(&password), "{said}");
    let said = ok(&["leases", "--store", url, "migrate"]);
    assert!(said.contains("(already current)"), "{said}");
    assert_eq!(
        ok(&["leases", "--store", url, "list", "--format", "json"]).trim(),
        "[]"
    );

    // SQLite -> PostgreSQL.
    let db = dir.path().join("leases.db");
    sqlite_with_history(&db);
    let db = db.to_str().expect("utf-8 path");
    let said = ok(&["leases", "copy", "--from", db, "--to", url]);
    let target = "postgresql://leasehold@";
    assert!(
        said.starts_with(&format!(
            "copied 4 leases and 7 history entries from {db} to {target}"
        )),
        "{said}"
    );
    assert!(!said.contains(&password), "{said}");
    // The current records equal their last history entries (nothing written twice); the
    // address deleted after its history is deleted again.
    let notes: Vec<&str> = said.lines().skip(1).collect();
    assert_eq!(
        notes,
        ["1 addresses whose record was deleted after its history were deleted again"],
        "{said}"
    );

    same_records(["--db", db], ["--store", url]);
    let sqlite_verify = ok(&["leases", "--db", db, "verify"]);
    assert!(
        sqlite_verify.contains(": 4 leases, 7 history entries"),
        "{sqlite_verify}"
    );
    let pg_verify = ok(&["leases", "--store", url, "verify"]);
    assert!(
        pg_verify.starts_with(&format!("ok {target}"))
            && pg_verify
                .trim_end()
                .ends_with(": 4 leases, 7 history entries"),
        "{pg_verify}"
    );
    // Recorded times survive the copy; the writer is the CLI.
    let listed = json(&ok(&["leases", "--store", url, "list", "--format", "json"]));
    for row in listed.as_array().expect("array") {
        assert_eq!(row["server"], "leasehold-cli", "{row}");
    }
    assert_eq!(
        psql(url, "SELECT count(DISTINCT recorded) FROM history"),
        "4"
    );

    // --config takes [store] from a server configuration (the CLI writes as leasehold-cli).
    let config = support::write_loopback_config(dir.path(), 1067, "", "", "127.0.0.10-127.0.0.20");
    add_pg_store(&config, url, "dhcp-a");
    let config = config.to_str().expect("utf-8 path");
    assert_eq!(
        ok(&["leases", "--config", config, "list", "--format", "csv"]),
        ok(&["leases", "--db", db, "list", "--format", "csv"])
    );

    // A destination that is not empty is refused without --force, and left as it was.
    let line = refused(&["leases", "copy", "--from", db, "--to", url]);
    assert!(
        line.contains("already holds 4 leases and 7 history entries") && line.contains("--force"),
        "{line}"
    );
    assert!(!line.contains(&password), "{line}");
    assert_eq!(psql(url, "SELECT count(*) FROM history"), "7");
    let said = ok(&["leases", "copy", "--force", "--from", db, "--to", url]);
    assert!(
        said.starts_with("copied 4 leases and 7 history entries"),
        "{said}"
    );
    assert_eq!(psql(url, "SELECT count(*) FROM history"), "14");
    assert_eq!(psql(url, "SELECT count(*) FROM leases"), "4");

    // PostgreSQL -> SQLite: the same current records, the whole history.
    let back = dir.path().join("back.db");
    let back = back.to_str().expect("utf-8 path");
    let said = ok(&["leases", "copy", "--from", url, "--to", back]);
    assert!(
        said.starts_with("copied 4 leases and 14 history entries from postgresql://"),
        "{said}"
    );
    assert_eq!(
        ok(&["leases", "--db", back, "list", "--format", "csv"]),
        ok(&["leases", "--db", db, "list", "--format", "csv"])
    );
    // SQLite's migrate opens read-write and says so.
    let said = ok(&["leases", "--db", back, "migrate"]);
    assert!(
        said.contains("schema version 3 (already current), opened read-write"),
        "{said}"
    );
}

#[test]
fn wrong_password_is_one_line_without_the_password() {
    let schema = fresh_schema();
    let wrong = "not-the-Secret-42";
    let url = with_password(&schema.url, Some(wrong));
    let real = password_of(&schema.url).expect("the test URL has a password");
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("leases.db");
    sqlite_with_history(&db);
    let db = db.to_str().expect("utf-8 path");

    let pw_file = dir.path().join("pw");
    std::fs::write(&pw_file, format!("{wrong}\n")).expect("write password file");
    let pw_file = pw_file.to_str().expect("utf-8 path");
    let no_pw = with_password(&schema.url, None);
    let cases: Vec<Vec<&str>> = vec![
        vec!["leases", "--store", &url, "list"],
        vec!["leases", "--store", &url, "migrate"],
        vec![
            "leases",
            "--store",
            &no_pw,
            "--password-file",
            pw_file,
            "verify",
        ],
        vec!["leases", "copy", "--from", db, "--to", &url],
        vec!["leases", "copy", "--from", &url, "--to", db],
    ];
    for args in cases {
        let line = refused(&args);
        assert!(line.contains("password authentication failed"), "{line}");
        assert!(!line.contains(wrong) && !line.contains(&real), "{line}");
    }
    // Nothing was created behind the refusal.
    assert_eq!(
        psql(
            &base_url(),
            &format!(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = '{}'",
                schema.schema
            )
        ),
        "0"
    );

    // The right password from a file works.
    std::fs::write(dir.path().join("pw"), format!("{real}\n")).expect("write password file");
    let said = ok(&[
        "leases",
        "--store",
        &no_pw,
        "--password-file",
        pw_file,
        "migrate",
    ]);
    assert!(said.contains("schema version 1"), "{said}");
    let said = ok(&[
        "leases",
        "--password-file",
        pw_file,
        "copy",
        "--from",
        db,
        "--to",
        &no_pw,
    ]);
    assert!(
        said.starts_with("copied 4 leases and 7 history entries"),
        "{said}"
    );
}

#[test]
fn a_foreign_leases_table_is_refused_and_untouched() {
    let schema = fresh_schema();
    let url = schema.url.as_str();
    psql(
        url,
        "CREATE TABLE leases (id integer PRIMARY KEY, note text);
         INSERT INTO leases VALUES (1, 'not ours'), (2, 'keep me');",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("leases.db");
    sqlite_with_history(&db);
    let db = db.to_str().expect("utf-8 path");

    for args in [
        &["leases", "--store", url, "migrate"][..],
        &["leases", "--store", url, "list"][..],
        &["leases", "--store", url, "verify"][..],
        &["leases", "copy", "--from", db, "--to", url][..],
        &["leases", "copy", "--from", url, "--to", db][..],
    ] {
        let line = refused(args);
        assert!(
            line.contains("not a Leasehold database") && line.contains("leases"),
            "{args:?}: {line}"
        );
    }
    assert_eq!(
        psql(
            url,
            "SELECT string_agg(id || '=' || note, ',' ORDER BY id) FROM leases"
        ),
        "1=not ours,2=keep me"
    );
    assert_eq!(
        psql(
            &base_url(),
            &format!(
                "SELECT string_agg(table_name, ',' ORDER BY table_name) \
                 FROM information_schema.tables WHERE table_schema = '{}'",
                schema.schema
            )
        ),
        "leases"
    );
    // The SQLite source was only read.
    assert!(ok(&["leases", "--db", db, "verify"]).contains(": 4 leases, 7 history entries"));
}

#[test]
fn backup_and_restore_on_postgres_are_refused() {
    let schema = fresh_schema();
    let url = schema.url.as_str();
    ok(&["leases", "--store", url, "migrate"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("b.db");
    let file = file.to_str().expect("utf-8 path");
    for args in [
        &["leases", "--store", url, "backup", file][..],
        &["leases", "--store", url, "restore", file][..],
    ] {
        let line = refused(args);
        assert!(
            line.contains("pg_dump") && line.contains("leases copy"),
            "{line}"
        );
        assert!(!line.contains("leasehold-secret"), "{line}");
    }
    assert!(!dir.path().join("b.db").exists());
    // --store and --db name one store each: not both.
    let out = leasehold(&["leases", "--store", url, "--db", file, "list"]);
    assert!(!out.status.success());
}
