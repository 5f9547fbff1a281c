//! A fresh, empty PostgreSQL schema per test, in the database `LEASEHOLD_TEST_PG_URL` names
//! (scripts/test.sh starts a throw-away cluster with tests/lib/pg.sh and sets it). Every test
//! gets its own schema (through the URL's `search_path` option), dropped when the guard goes.

use leasehold_store::{PgSettings, PgStore};
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

/// Drops its schema when dropped.
pub struct SchemaGuard {
    pub schema: String,
    pub url: String,
    owned: bool,
}

impl SchemaGuard {
    /// A guard for `url` that drops nothing (to hand a URL to another thread).
    pub fn borrowed(url: String) -> SchemaGuard {
        SchemaGuard {
            schema: String::new(),
            url,
            owned: false,
        }
    }
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        if !self.owned {
            return;
        }
        if let Ok(mut c) = postgres::Client::connect(&base_url(), postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

/// A new empty schema; its URL (with `search_path` set to it) is in the guard.
pub fn fresh_schema() -> SchemaGuard {
    static N: AtomicU32 = AtomicU32::new(0);
    let schema = format!(
        "lh_test_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let base = base_url();
    let mut c =
        postgres::Client::connect(&base, postgres::NoTls).expect("connect to the test database");
    c.batch_execute(&format!("CREATE SCHEMA {schema}"))
        .expect("create the test schema");
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-csearch_path%3D{schema}");
    SchemaGuard {
        schema,
        url,
        owned: true,
    }
}

/// A store on a fresh schema, as server `server_id`.
pub fn fresh_store(server_id: &str) -> (PgStore, SchemaGuard) {
    let guard = fresh_schema();
    let store =
        PgStore::open(PgSettings::new(guard.url.clone(), server_id)).expect("open the store");
    (store, guard)
}

/// Another server's store on the schema of `guard`.
pub fn second_store(guard: &SchemaGuard, server_id: &str) -> PgStore {
    PgStore::open(PgSettings::new(guard.url.clone(), server_id)).expect("open the store")
}
