//! Issue 4, "no acknowledged lease is ever lost": `leasehold serve` on 127.0.0.1 under load from
//! client threads doing full DORA exchanges, killed with SIGKILL at random moments and restarted
//! on the same database, again and again. No root needed.
//!
//! The kill moments are chosen by a seeded generator (`LEASEHOLD_CRASH_SEED` overrides the seed)
//! and measured in ACKs seen, not in time: each round kills the server after a random number
//! (5..200) of ACKs, while the client threads keep requests in flight, so the kill lands anywhere
//! in the receive → decide → group commit → reply pipeline.
//!
//! After every restart the test checks, through the lease database (read-only, while the restarted
//! server runs), that every ACK any client ever received is there, bound, with the same address
//! and the same client; that no address was acknowledged to two clients and no client holds two
//! bound leases; and that the restarted server offers a previously acknowledged client its
//! address again. At the end the operator's `leases export --format json` is cross-checked too.
//! The rounds and checks are `crash_support`'s, shared with the PostgreSQL run (crash_pg.rs).

mod crash_support;
mod support;

use crash_support::Plan;
use leasehold_store::{LeaseStore, SqliteStore};
use std::path::Path;
use std::process::Command;
use support::ServerProcess as Server;

/// Kill/restart cycles.
const ROUNDS: usize = 24;

/// Starts the server (logging only warnings and leasehold's info lines) and waits for it to serve.
fn start(config: &Path, db: &Path) -> Server {
    let env = [("RUST_LOG", "warn,leasehold=info")];
    Server::start(config, db, &[], &env, |l| l.contains("serving")).0
}

#[test]
fn no_acknowledged_lease_is_lost_across_kill_9() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = support::free_udp_port();
    let config = crash_support::write_config(dir.path(), port);
    let db = dir.path().join("leases.db");

    let outcome = crash_support::run(
        &Plan::with_rounds(ROUNDS),
        port,
        || start(&config, &db),
        Server::kill9,
        || {
            SqliteStore::open_read_only(&db)
                .expect("open the lease database read-only")
                .load_all()
                .expect("read leases")
        },
    );
    drop(outcome.server);

    let out = Command::new(env!("CARGO_BIN_EXE_leasehold"))
        .args(["leases", "export", "--format", "json", "--db"])
        .arg(&db)
        .output()
        .expect("run leases export");
    assert!(
        out.status.success(),
        "export failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    crash_support::verify_export_json(&out.stdout, &outcome.acked);
    eprintln!(
        "{} kills, {} ACKed leases all present, {} re-offers matched, {} NAKs, {:?}",
        outcome.kills,
        outcome.acked.len(),
        outcome.reoffers,
        outcome.naks,
        outcome.elapsed
    );
    assert!(outcome.kills >= 20);
}
