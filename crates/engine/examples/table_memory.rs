//! Measures the memory the in-memory [`LeaseTable`] needs per bound lease.
//!
//! ```text
//! cargo run --release -p leasehold-engine --example table_memory -- [LEASES] [--hostname]
//! ```
//!
//! Builds a table over one /8 pool (10.0.0.0/8), then binds `LEASES` (default 1,000,000) leases
//! to distinct Ethernet clients through [`LeaseTable::apply`], the path the server takes for every
//! ACK, and prints the bytes per lease two ways:
//!
//! - **heap**: live bytes counted by a global allocator wrapper (exact, excludes allocator
//!   overhead and fragmentation);
//! - **RSS**: the growth of the resident set (`/proc/self/statm`), what the operating system
//!   actually charges, allocator overhead included.
//!
//! With `--hostname` every lease also carries a 12-character host name (option 12), as many
//! clients send one. A measurement, not a test.

// The workspace denies `unsafe_code`; the counting allocator below must implement the unsafe
// `GlobalAlloc` trait (forwarding to `System`), so this measurement example opts out.
#![allow(unsafe_code)]

use leasehold_engine::{ClientKey, Config, Lease, LeaseChange, LeaseState, LeaseTable};
use leasehold_wire::HwAddr;
use std::alloc::{GlobalAlloc, Layout, System};
use std::net::Ipv4Addr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, counting live bytes.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged and only adds
// bookkeeping on an atomic counter, so `System`'s guarantees carry over.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds `GlobalAlloc::alloc`'s contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` through this wrapper with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr`/`layout` come from this allocator; the caller upholds `realloc`'s contract.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            LIVE.fetch_add(new_size, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Resident set size in bytes, from `/proc/self/statm` (0 where unavailable).
fn rss_bytes() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0);
    // The page size is 4 KiB on every platform this server targets (x86-64, aarch64 Linux
    // defaults); good enough for a per-lease average over a million leases.
    pages * 4096
}

const CONFIG: &str = r#"
[server]
lease_time = 3600

[[subnet]]
subnet = "10.0.0.0/8"

[[subnet.pool]]
range = "10.0.0.1-10.255.255.254"
"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut leases: u32 = 1_000_000;
    let mut hostname = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--hostname" => hostname = true,
            n => {
                leases = n
                    .parse()
                    .map_err(|e| format!("bad lease count {n:?}: {e}"))?
            }
        }
    }
    if leases == 0 || leases > 16_000_000 {
        return Err("lease count must be 1..=16000000 (the /8 pool)".into());
    }

    let config = Config::from_toml(CONFIG, Path::new("table_memory.toml"))?;
    let mut table = LeaseTable::new(&config);
    let now = 1_800_000_000;

    let heap_before = LIVE.load(Ordering::Relaxed);
    let rss_before = rss_bytes();
    let mut change = Vec::with_capacity(1);
    for i in 0..leases {
        let b = i.to_be_bytes();
        let hw = HwAddr::ethernet([0x52, 0x54, b[0], b[1], b[2], b[3]]);
        let addr = Ipv4Addr::from(0x0a00_0001 + i);
        change.clear();
        change.push(LeaseChange::Put(Lease {
            addr,
            client: Some(ClientKey::HwAddr(hw)),
            hwaddr: Some(hw),
            state: LeaseState::Bound,
            starts: now,
            // Spread expiries like a steady state of renewals, not one instant.
            expires: now + 1800 + u64::from(i % 1800),
            hostname: hostname.then(|| format!("host-{:07}", i % 10_000_000)),
        }));
        table.apply(&change, now);
    }
    drop(change);
    let heap_after = LIVE.load(Ordering::Relaxed);
    let rss_after = rss_bytes();
    if table.len() != leases as usize {
        return Err(format!("table holds {} leases, expected {leases}", table.len()).into());
    }

    let n = f64::from(leases);
    let heap = heap_after.saturating_sub(heap_before) as f64;
    let rss = rss_after.saturating_sub(rss_before) as f64;
    println!(
        "leases={leases} pool=/8 hostname={hostname} size_of::<Lease>={}",
        std::mem::size_of::<Lease>()
    );
    println!(
        "heap: {:.1} MiB live, {:.1} bytes/lease",
        heap / 1048576.0,
        heap / n
    );
    println!(
        "rss:  {:.1} MiB grown, {:.1} bytes/lease",
        rss / 1048576.0,
        rss / n
    );
    Ok(())
}
