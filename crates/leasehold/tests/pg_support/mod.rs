//! PostgreSQL for the `leasehold` integration tests: a fresh, empty schema per test in the
//! database `LEASEHOLD_TEST_PG_URL` names (scripts/test.sh starts a throw-away cluster with
//! tests/lib/pg.sh and sets it), reached through the URL's `search_path` option; `psql` for what
//! the tests do behind Leasehold's back; and [`add_pg_store`], which points a configuration at a
//! schema (its server then starts with `support::ServerProcess::start_with_config_store`).
//!
//! The schemas are made and dropped with `psql` (installed with PostgreSQL) because this crate
//! has no PostgreSQL client of its own among its dependencies.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// The test database's URL. Panics with the way to get one when it is not set: a PostgreSQL
/// test never passes without PostgreSQL.
pub fn base_url() -> String {
    std::env::var("LEASEHOLD_TEST_PG_URL").unwrap_or_else(|_| {
        panic!(
            "LEASEHOLD_TEST_PG_URL is not set: run scripts/test.sh, or start a throw-away \
             cluster with tests/lib/pg.sh (pg_start DIR PORT) and export its URL"
        )
    })
}

/// Runs `sql` with `psql` on `url`, stopping at the first error; returns the unaligned,
/// tuples-only output. Panics (with psql's message) when it fails.
pub fn psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d"])
        .arg(url)
        .arg("-c")
        .arg(sql)
        .output()
        .unwrap_or_else(|e| panic!("cannot run psql (install PostgreSQL's client): {e}"));
    assert!(
        out.status.success(),
        "psql {sql:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Drops its schema when dropped.
pub struct SchemaGuard {
    /// The schema's name.
    pub schema: String,
    /// The test database's URL with `search_path` set to the schema.
    pub url: String,
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args(["-X", "-q", "-d"])
            .arg(base_url())
            .arg("-c")
            .arg(format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// A new empty schema; its URL (with `search_path` set to it) is in the guard.
pub fn fresh_schema() -> SchemaGuard {
    static N: AtomicU32 = AtomicU32::new(0);
    let schema = format!(
        "lh_cli_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let base = base_url();
    psql(&base, &format!("CREATE SCHEMA {schema}"));
    let url = schema_url(&base, &schema);
    SchemaGuard { schema, url }
}

/// `base` with `search_path` set to `schema`.
pub fn schema_url(base: &str, schema: &str) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-csearch_path%3D{schema}")
}

/// The password in `url` (`scheme://user:password@…`), if any.
pub fn password_of(url: &str) -> Option<String> {
    let rest = &url[url.find("://")? + 3..];
    let userinfo = &rest[..rest.find('@')?];
    userinfo.split_once(':').map(|(_, p)| p.to_string())
}

/// `url` with its password replaced by `password` (removed when `None`).
pub fn with_password(url: &str, password: Option<&str>) -> String {
    let start = url.find("://").expect("a URL") + 3;
    let at = start + url[start..].find('@').expect("a user in the URL");
    let user = url[start..at].split(':').next().unwrap_or("");
    let userinfo = match password {
        Some(p) => format!("{user}:{p}"),
        None => user.to_string(),
    };
    format!("{}{userinfo}{}", &url[..start], &url[at..])
}

/// Runs `leasehold ARGS…` and returns what it did.
pub fn leasehold(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leasehold"))
        .args(args)
        .output()
        .expect("run leasehold")
}

/// Appends a `[store]` table for PostgreSQL at `url` as `server_id` to the configuration `file`.
pub fn add_pg_store(file: &Path, url: &str, server_id: &str) {
    let mut text = std::fs::read_to_string(file).expect("read config");
    text.push_str(&format!(
        "\n[store]\nbackend = \"postgres\"\nurl = \"{url}\"\nserver_id = \"{server_id}\"\n"
    ));
    std::fs::write(file, text).expect("write config");
}
