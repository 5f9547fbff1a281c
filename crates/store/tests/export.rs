//! Listings (table, JSON, CSV), lookups, and the `leasehold leases` command module itself.

mod common;

#[path = "../../leasehold/src/leases_cmd.rs"]
mod leases_cmd;

use common::{lease, varied};
use leasehold_store::export::{csv_field, format_time, write_leases, Format, Lookup};
use leasehold_store::{LeaseStore, SqliteStore};
use leases_cmd::OutputFormat;

fn render(f: impl FnOnce(&mut Vec<u8>) -> anyhow::Result<()>) -> String {
    let mut out = Vec::new();
    f(&mut out).expect("command");
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn times() {
    assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
    assert_eq!(format_time(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(format_time(1_700_000_000), "2023-11-14T22:13:20Z");
    assert_eq!(format_time(u64::MAX), "never");
}

#[test]
fn csv_escaping() {
    assert_eq!(csv_field("plain"), "plain");
    assert_eq!(csv_field("a,b"), "\"a,b\"");
    assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
    assert_eq!(csv_field("=cmd()"), "'=cmd()");
}

#[test]
fn json_round_trips_fields() {
    let mut out = Vec::new();
    write_leases(&varied(), Format::Json, &mut out).expect("write");
    let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
    let arr = v.as_array().expect("array");
    assert_eq!(arr.len(), varied().len());
    assert_eq!(arr[1]["addr"], "10.0.0.2");
    assert_eq!(arr[1]["client"], "id:ff00010203");
    assert_eq!(arr[1]["hwaddr"], "");
    assert_eq!(arr[1]["htype"], 32);
    assert_eq!(arr[1]["expires"], serde_json::Value::Null, "never is null");
    assert_eq!(arr[1]["hostname"], "naïve, \"quoted\"\nline");
    assert_eq!(arr[2]["client"], serde_json::Value::Null);
    assert_eq!(arr[0]["expires"], 4600);
}

#[test]
fn csv_has_header_and_one_record_per_lease() {
    let mut out = Vec::new();
    write_leases(&varied(), Format::Csv, &mut out).expect("write");
    let text = String::from_utf8(out).expect("utf-8");
    assert!(text.starts_with("addr,client,htype,hwaddr,state,starts,expires,hostname\n"));
    assert!(
        text.contains("10.0.0.2,id:ff00010203,32,,bound,2000,,\"naïve, \"\"quoted\"\"\nline\"\n"),
        "{text}"
    );
    assert!(text.contains("10.0.0.3,,,,declined,3000,3600,\n"), "{text}");
}

#[test]
fn lookup_parsing() {
    assert_eq!(
        "10.0.0.1".parse::<Lookup>(),
        Ok(Lookup::Addr("10.0.0.1".parse().expect("ip")))
    );
    assert!(matches!(
        "id:01aabb".parse::<Lookup>(),
        Ok(Lookup::Client(_))
    ));
    assert!(matches!(
        "hw:1:52:54:00:00:00:01".parse::<Lookup>(),
        Ok(Lookup::Client(_))
    ));
    assert!(matches!(
        "52:54:00:00:00:01".parse::<Lookup>(),
        Ok(Lookup::HwAddr(_))
    ));
    assert!("bogus".parse::<Lookup>().is_err());
}

#[test]
fn commands_against_a_live_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("leases.db");
    let mut w = SqliteStore::open(&db).expect("open");
    w.commit(&varied(), 10).expect("commit");
    w.commit(
        &[leasehold_engine::Lease {
            hostname: Some("renamed".into()),
            ..lease(1, 50)
        }],
        50,
    )
    .expect("commit");

    // Reads work while the writer holds the database.
    let table = render(|o| leases_cmd::run_list(&db, OutputFormat::Table, o));
    assert!(
        table.lines().next().expect("header").starts_with("ADDR"),
        "{table}"
    );
    assert_eq!(table.lines().count(), 1 + varied().len());
    assert!(
        table.contains("never") && table.contains("naïve, \"quoted\"?line"),
        "control chars replaced: {table}"
    );

    let json = render(|o| leases_cmd::run_list(&db, OutputFormat::Json, o));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&json)
            .expect("json")
            .as_array()
            .expect("arr")
            .len(),
        varied().len()
    );

    let show = render(|o| leases_cmd::run_show(&db, "10.0.0.1", 10, OutputFormat::Json, o));
    let v: serde_json::Value = serde_json::from_str(&show).expect("json");
    assert_eq!(v["leases"][0]["hostname"], "renamed");
    assert_eq!(v["history"].as_array().expect("history").len(), 2);
    assert_eq!(v["history"][0]["recorded"], 50);
    let by_mac =
        render(|o| leases_cmd::run_show(&db, "52:54:00:00:00:01", 10, OutputFormat::Table, o));
    assert!(
        by_mac.contains("10.0.0.1") && by_mac.contains("History"),
        "{by_mac}"
    );

    let exported = dir.path().join("out.csv");
    render(|o| leases_cmd::run_export(&db, OutputFormat::Csv, Some(&exported), o));
    assert_eq!(
        std::fs::read_to_string(&exported)
            .expect("csv")
            .lines()
            .count(),
        1 + varied().len() + 1,
        "one record spans two lines"
    );

    let copy = dir.path().join("backup.db");
    let msg = render(|o| leases_cmd::run_backup(&db, &copy, o));
    assert!(msg.contains(&format!("{} leases", varied().len())), "{msg}");
    let err = leases_cmd::run_restore(&copy, &db, &mut Vec::new()).expect_err("server running");
    assert!(format!("{err:#}").contains("in use"), "{err:#}");
    drop(w);
    let msg = render(|o| leases_cmd::run_restore(&copy, &db, o));
    assert!(msg.contains("restored"), "{msg}");
    let msg = render(|o| leases_cmd::run_verify(&db, o));
    assert!(msg.starts_with("ok "), "{msg}");

    let missing = dir.path().join("nope.db");
    let err =
        leases_cmd::run_list(&missing, OutputFormat::Table, &mut Vec::new()).expect_err("missing");
    assert!(format!("{err:#}").contains("nope.db"), "{err:#}");
}

#[test]
fn clap_shape() {
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        leases: leases_cmd::LeasesArgs,
    }
    let cli =
        Cli::try_parse_from(["leases", "list", "--db", "x.db", "--format", "csv"]).expect("parse");
    assert_eq!(cli.leases.db, std::path::PathBuf::from("x.db"));
    assert!(matches!(
        cli.leases.command,
        leases_cmd::LeasesCommand::List {
            format: OutputFormat::Csv
        }
    ));
    let cli = Cli::try_parse_from(["leases", "history", "--client", "id:01"]).expect("parse");
    assert_eq!(
        cli.leases.db,
        std::path::PathBuf::from(leases_cmd::DEFAULT_DB)
    );
    assert!(
        Cli::try_parse_from(["leases", "history", "--addr", "1.2.3.4", "--client", "id:01"])
            .is_err()
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("leases.db");
    SqliteStore::open(&db)
        .expect("open")
        .commit(&varied(), 1)
        .expect("commit");
    let db_arg = db.to_str().expect("utf-8 path");
    let cli = Cli::try_parse_from([
        "leases", "--db", db_arg, "history", "--limit", "2", "--format", "json",
    ])
    .expect("parse");
    let json = render(|o| leases_cmd::run(&cli.leases, o));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&json)
            .expect("json")
            .as_array()
            .expect("arr")
            .len(),
        2
    );
    let cli = Cli::try_parse_from([
        "leases",
        "history",
        "--db",
        db_arg,
        "--client",
        "id:ff00010203",
    ])
    .expect("parse");
    let table = render(|o| leases_cmd::run(&cli.leases, o));
    assert_eq!(table.lines().count(), 2, "{table}");
}

#[test]
fn reads_see_uncheckpointed_commits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("leases.db");
    let mut w = SqliteStore::open(&db).expect("open");
    w.commit(&[lease(9, 1)], 1).expect("commit");
    let mut r = SqliteStore::open_read_only(&db).expect("ro");
    assert_eq!(r.load_all().expect("load"), vec![lease(9, 1)]);
}
