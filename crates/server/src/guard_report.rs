//! The periodic `guard_drops` log line: how many packets admission control, the engine and the
//! kernel dropped since the last one.

use tracing::warn;

/// Logs a `guard_drops` summary at most every [`GuardReport::EVERY`] ticks when packets were
/// dropped since the last one: by the guard and engine (per reason) and by the kernel because the
/// socket's receive buffer was full. The server handles datagrams inline, so the kernel socket
/// buffer *is* the receive queue (bounded by `net.core.rmem_*`); its overflow count comes from the
/// `drops` column of `/proc/net/udp` for our port.
#[derive(Debug, Default)]
pub struct GuardReport {
    ticks: u32,
    last_dropped: u64,
    last_kernel: u64,
}

impl GuardReport {
    /// Ticks (of [`crate::serve::RECLAIM_INTERVAL`]) between summaries.
    pub const EVERY: u32 = 10;

    /// Called every reclaim tick; logs at most every [`GuardReport::EVERY`] ticks.
    pub fn tick(&mut self, guard: &leasehold_engine::Guard, port: u16) {
        self.ticks += 1;
        if self.ticks < Self::EVERY {
            return;
        }
        self.ticks = 0;
        let dropped = guard.dropped_total();
        let kernel = kernel_udp_drops(port).unwrap_or(0);
        if dropped == self.last_dropped && kernel == self.last_kernel {
            return;
        }
        let by_reason: Vec<String> = guard.drops().map(|(r, n)| format!("{r}={n}")).collect();
        let (keys, bytes) = guard.state_size();
        warn!(
            event = "guard_drops",
            dropped = dropped - self.last_dropped.min(dropped),
            dropped_total = dropped,
            kernel_queue_drops = kernel,
            admitted_total = guard.admitted(),
            by_reason = %by_reason.join(","),
            tracked_keys = keys,
            guard_state_bytes = bytes,
            evictions = guard.evictions(),
            "packets dropped by admission control"
        );
        self.last_dropped = dropped;
        self.last_kernel = kernel;
    }
}

/// Datagrams the kernel dropped for our UDP port because the receive buffer was full: the
/// `drops` column of `/proc/self/net/udp` (the socket of this process's network namespace).
fn kernel_udp_drops(port: u16) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/net/udp").ok()?;
    let want = format!(":{port:04X}");
    let mut total = 0u64;
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.get(1).is_some_and(|l| l.ends_with(&want)) {
            total += cols.last().and_then(|d| d.parse::<u64>().ok()).unwrap_or(0);
        }
    }
    Some(total)
}
