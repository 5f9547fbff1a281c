//! Measures durable commit cost on a real file system.
//!
//! ```text
//! cargo run --release -p leasehold-store --example commit_bench -- [LEASES] [DIR] [MACS]
//! ```
//!
//! Commits `LEASES` (default 4096) leases to a fresh `SqliteStore` in a temporary directory under
//! `DIR` (default: the current directory; use a real disk, not tmpfs) in batches of 1 to 1024,
//! and prints the cost per lease and per commit, in wall-clock time and in CPU time of the
//! process (utime + stime from `/proc/self/stat`, 10 ms ticks; Linux only, else 0; the last two
//! columns split it per lease into user and system time). Then it
//! drives a `GroupCommitter` from 64 threads that each wait for every single-lease submission
//! (like clients waiting for their ACK) and reports the batch sizes group commit formed by itself.
//!
//! `MACS` chooses the client hardware addresses: `seq` (consecutive, so client keys arrive in
//! sorted order), `random` (pseudo-random, as on a real network: the index times 2654435761,
//! which is a bijection on `u32`) or `both` (the default: every measurement once per order).
//! A measurement, not a test.

use leasehold_engine::{ClientKey, Lease, LeaseState};
use leasehold_store::{GroupCommitter, LeaseStore, SqliteStore};
use leasehold_wire::HwAddr;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// How client MACs are derived from the lease index.
#[derive(Clone, Copy, Debug)]
enum Macs {
    /// `52:54:` followed by the index, big-endian.
    Sequential,
    /// `52:54:` followed by the index times 2654435761 (Knuth's multiplicative hash), big-endian.
    Random,
}

impl Macs {
    fn name(self) -> &'static str {
        match self {
            Macs::Sequential => "sequential",
            Macs::Random => "pseudo-random",
        }
    }
}

fn lease(i: u32, macs: Macs) -> Lease {
    let key = match macs {
        Macs::Sequential => i,
        Macs::Random => i.wrapping_mul(2_654_435_761),
    };
    let b = key.to_be_bytes();
    let hw = HwAddr::ethernet([0x52, 0x54, b[0], b[1], b[2], b[3]]);
    Lease {
        addr: Ipv4Addr::from(0x0a00_0000 + i),
        client: Some(ClientKey::HwAddr(hw)),
        hwaddr: Some(hw),
        state: LeaseState::Bound,
        starts: 1_800_000_000,
        expires: 1_800_003_600,
        hostname: Some(format!("host-{i}")),
    }
}

/// CPU seconds (user, system; all threads) used by this process so far; 0 where unknown.
fn cpu_seconds() -> (f64, f64) {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return (0.0, 0.0);
    };
    // Fields after the command name (which may contain spaces) start at field 3.
    let Some(rest) = stat.rfind(')').and_then(|i| stat.get(i + 2..)) else {
        return (0.0, 0.0);
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 (1-based), i.e. 11 and 12 here; 100 ticks/s on Linux.
    (tick(11) as f64 / 100.0, tick(12) as f64 / 100.0)
}

/// One database per batch size, `n` leases committed in chunks of that size.
fn batches(dir: &Path, n: u32, macs: Macs) -> Result<(), Box<dyn std::error::Error>> {
    println!("{} client MACs", macs.name());
    println!(
        "{:>6}  {:>8}  {:>10}  {:>10}  {:>9}  {:>12}  {:>13}  {:>8}  {:>8}",
        "batch",
        "commits",
        "µs/lease",
        "µs/commit",
        "leases/s",
        "cpu µs/lease",
        "cpu µs/commit",
        "user µs",
        "sys µs"
    );
    for (run, batch) in [1usize, 2, 4, 8, 16, 64, 256, 1024].into_iter().enumerate() {
        let mut store = SqliteStore::open(dir.join(format!("{macs:?}-run-{run}.db")))?;
        let leases: Vec<Lease> = (0..n).map(|i| lease(i, macs)).collect();
        let started = Instant::now();
        let cpu_started = cpu_seconds();
        let mut commits = 0u64;
        for chunk in leases.chunks(batch) {
            store.commit(chunk, 1_800_000_000)?;
            commits += 1;
        }
        let secs = started.elapsed().as_secs_f64();
        let (user, sys) = cpu_seconds();
        let (user, sys) = (user - cpu_started.0, sys - cpu_started.1);
        let cpu = user + sys;
        assert_eq!(store.load_all()?.len(), n as usize);
        println!(
            "{batch:>6}  {commits:>8}  {:>10.1}  {:>10.1}  {:>9.0}  {:>12.1}  {:>13.1}  {:>8.1}  {:>8.1}",
            secs * 1e6 / f64::from(n),
            secs * 1e6 / commits as f64,
            f64::from(n) / secs,
            cpu * 1e6 / f64::from(n),
            cpu * 1e6 / commits as f64,
            user * 1e6 / f64::from(n),
            sys * 1e6 / f64::from(n),
        );
    }
    Ok(())
}

/// `n` single-lease submissions from 64 threads that each wait for their commit.
fn group(dir: &Path, n: u32, macs: Macs) -> Result<(), Box<dyn std::error::Error>> {
    let threads = 64u32;
    let store = SqliteStore::open(dir.join(format!("{macs:?}-group.db")))?;
    let committer = std::sync::Arc::new(GroupCommitter::spawn(Box::new(store))?);
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let c = std::sync::Arc::clone(&committer);
            std::thread::spawn(move || -> Result<(), leasehold_store::StoreError> {
                for i in (t..n).step_by(threads as usize) {
                    c.submit(vec![lease(i, macs)], 1_800_000_000).wait()?;
                }
                Ok(())
            })
        })
        .collect();
    for w in workers {
        w.join().map_err(|_| "worker panicked")??;
    }
    let secs = started.elapsed().as_secs_f64();
    let stats = committer.stats();
    println!(
        "group commit ({} MACs), {threads} waiting submitters, 1 lease each: {:.1} µs/lease, {:.0} leases/s, {} commits, mean batch {:.1}, max batch {}, mean commit {:.0} µs",
        macs.name(),
        secs * 1e6 / f64::from(n),
        f64::from(n) / secs,
        stats.batches,
        stats.leases as f64 / stats.batches as f64,
        stats.max_batch_leases,
        stats.commit_micros_sum as f64 / stats.batches as f64,
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: u32 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(4096);
    let dir: PathBuf = match args.next() {
        Some(d) => d.into(),
        None => std::env::current_dir()?,
    };
    let orders: &[Macs] = match args.next().as_deref() {
        None | Some("both") => &[Macs::Sequential, Macs::Random],
        Some("seq") => &[Macs::Sequential],
        Some("random") => &[Macs::Random],
        Some(other) => {
            return Err(format!("MACS must be seq, random or both, not {other:?}").into())
        }
    };
    let tmp = tempfile::Builder::new()
        .prefix("commit-bench-")
        .tempdir_in(&dir)?;
    println!("{n} leases per run, database in {}", tmp.path().display());
    for &macs in orders {
        batches(tmp.path(), n, macs)?;
    }
    for &macs in orders {
        group(tmp.path(), n, macs)?;
    }
    Ok(())
}
