//! The kill -9 crash test of crash.rs on the PostgreSQL backend: `leasehold serve` with
//! `[store] backend = "postgres"` (a fresh schema of the database `LEASEHOLD_TEST_PG_URL`
//! names), under load from client threads doing full DORA exchanges, killed with SIGKILL after a
//! random number of ACKs and restarted, again and again.
//!
//! After every restart, read from PostgreSQL while the restarted server runs: every ACK any
//! client ever received is there, bound, with the same address and client; no address was
//! acknowledged to two clients and no client holds two bound leases; the restarted server offers
//! earlier clients their address again. At the end every acknowledged record names the server
//! that wrote it, and the operator's `leases --store URL export` and `verify` agree.
//!
//! Fails (it never skips) when `LEASEHOLD_TEST_PG_URL` is not set.

mod crash_support;
mod pg_support;
mod support;

use crash_support::Plan;
use leasehold_store::{LeaseStore, PgSettings, PgStore};
use pg_support::{add_pg_store, fresh_schema, leasehold};
use std::path::Path;
use support::ServerProcess as Server;

/// Kill/restart cycles (crash.rs runs as many on SQLite).
const ROUNDS: usize = 24;
/// The server's id in the database.
const SERVER_ID: &str = "crash-a";

/// Starts the server (logging only warnings and leasehold's info lines) and waits for it to
/// serve.
fn start(config: &Path) -> Server {
    let env = [("RUST_LOG", "warn,leasehold=info")];
    Server::start_with_config_store(config, &env, |l| l.contains("serving")).0
}

/// A read-only view of the store, as the operator's tools have it.
fn reader(url: &str) -> PgStore {
    PgStore::open_read_only(PgSettings::new(url, "crash-check")).expect("open the store read-only")
}

#[test]
fn no_acknowledged_lease_is_lost_across_kill_9_on_postgres() {
    let schema = fresh_schema();
    let dir = tempfile::tempdir().expect("tempdir");
    let port = support::free_udp_port();
    let config = crash_support::write_config(dir.path(), port);
    add_pg_store(&config, &schema.url, SERVER_ID);

    let outcome = crash_support::run(
        &Plan::with_rounds(ROUNDS),
        port,
        || start(&config),
        Server::kill9,
        || reader(&schema.url).load_all().expect("read leases"),
    );
    let acked = &outcome.acked;

    // Every acknowledged record names this server.
    let with_server = reader(&schema.url)
        .load_all_with_server()
        .expect("read leases with their server");
    for (l, server) in &with_server {
        if acked.values().any(|a| *a == l.addr) {
            assert_eq!(server, SERVER_ID, "{} was written by {server}", l.addr);
        }
    }
    drop(outcome.server);

    let out = leasehold(&[
        "leases",
        "--store",
        &schema.url,
        "export",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "export failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    crash_support::verify_export_json(&out.stdout, acked);
    let out = leasehold(&["leases", "--store", &schema.url, "verify"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.starts_with("ok "),
        "verify failed: {said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "{} kills, {} ACKed leases all present, {} re-offers matched, {} NAKs, {:?}",
        outcome.kills,
        acked.len(),
        outcome.reoffers,
        outcome.naks,
        outcome.elapsed
    );
    assert!(outcome.kills >= 20);
}
