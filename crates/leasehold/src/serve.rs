//! The server loop: socket → parse → engine → lease table → group commit → socket.
//!
//! One task owns the [`LeaseTable`] and runs the engine for every datagram in arrival order, so
//! decisions never race. Durable lease changes go to the [`GroupCommitter`], which writes many
//! requests' changes in one transaction and one fsync; a reply that carries a durable change is
//! sent only after its commit has returned. Replies without durable changes (OFFER, INFORM ACK,
//! NAK) leave at once.

use anyhow::Context;
use leasehold_engine::{
    Arrival, Config, Decision, Destination, Engine, Lease, LeaseChange, LeaseTable, Outcome,
    Timestamp,
};
use leasehold_net::{BindOptions, DhcpSocket, Received};
use leasehold_store::{GroupCommitter, LeaseStore, SqliteStore};
use leasehold_wire::Packet;
use std::future::Future;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tracing::{debug, error, info, warn};

/// How often expired leases and probations are reclaimed.
const RECLAIM_INTERVAL: Duration = Duration::from_secs(1);

/// Runs the server until `shutdown` completes.
pub async fn run(
    config: Arc<Config>,
    db: PathBuf,
    shutdown: impl Future<Output = ()>,
    config_path: PathBuf,
) -> anyhow::Result<()> {
    let mut store = SqliteStore::open(&db)
        .with_context(|| format!("cannot open the lease database {}", db.display()))?;
    let leases = store
        .load_all()
        .with_context(|| format!("cannot read leases from {}", db.display()))?;
    let loaded = leases.len();
    let mut table = LeaseTable::from_leases(&config, leases);
    let committer =
        Arc::new(GroupCommitter::spawn(Box::new(store)).context("cannot start the lease writer")?);

    let bind = BindOptions {
        port: config.server.server_port,
        interfaces: config.server.interfaces.clone(),
        bind_addr: config.server.listen_address,
    };
    let socket = Arc::new(DhcpSocket::bind(&bind)?);
    info!(
        port = config.server.server_port,
        db = %db.display(),
        leases = loaded,
        "leasehold {} serving",
        env!("CARGO_PKG_VERSION")
    );

    let mut engine = Engine::new(config.clone());
    let metrics = Arc::new(crate::metrics::Metrics::new());
    let (control_tx, mut control_rx) = tokio::sync::mpsc::channel(crate::control::CONTROL_QUEUE);
    let _control = crate::control::start(
        &config,
        config_path,
        control_tx,
        Arc::downgrade(&committer),
        metrics.clone(),
    )
    .await?;
    let mut guard = leasehold_engine::Guard::new(config.security.clone());
    guard.set_own_probe_prefix(crate::rogue::own_probe_prefix());
    let clock = Instant::now();
    let mut guard_report = GuardReport::default();
    crate::rogue::spawn_monitor(config.clone());
    let mut buf = vec![0u8; 4096];
    let mut reclaim = tokio::time::interval(RECLAIM_INTERVAL);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            received = socket.recv(&mut buf) => {
                let received = match received {
                    Ok(r) => r,
                    Err(e) => {
                        warn!("receive failed: {e}");
                        continue;
                    }
                };
                let started = Instant::now();
                let Some(datagram) = buf.get(..received.len) else { continue };
                let admit = (&mut guard, clock);
                handle_datagram(&engine, &mut table, &committer, &socket, datagram, &received, started, admit, &metrics).await;
            }
            Some(request) = control_rx.recv() => {
                crate::control::handle(request, &mut engine, &mut table, &committer, unix_now());
            }
            _ = reclaim.tick() => {
                let now = unix_now();
                let changed = table.expire(now);
                changed.iter().for_each(|l| guard.forget(l.addr));
                guard_report.tick(&guard, config.server.server_port);
                if !changed.is_empty() {
                    debug!(count = changed.len(), "reclaimed expired leases");
                    let ticket = committer.submit(changed, now);
                    tokio::spawn(async move {
                        if let Err(e) = ticket.await {
                            error!("could not persist reclaimed leases: {e}");
                        }
                    });
                }
            }
            _ = &mut shutdown => {
                info!("shutting down");
                break;
            }
        }
    }
    if let Ok(committer) = Arc::try_unwrap(committer) {
        committer
            .close()
            .context("flushing the lease store at shutdown")?;
    }
    Ok(())
}

/// Handles one datagram: parse, admit (guard), decide, apply, persist, reply.
#[allow(clippy::too_many_arguments)]
async fn handle_datagram(
    engine: &Engine,
    table: &mut LeaseTable,
    committer: &Arc<GroupCommitter>,
    socket: &Arc<DhcpSocket>,
    datagram: &[u8],
    received: &Received,
    started: Instant,
    (guard, clock): (&mut leasehold_engine::Guard, Instant),
    metrics: &Arc<crate::metrics::Metrics>,
) {
    let request = match Packet::parse(datagram) {
        Ok(p) => p,
        Err(e) => {
            guard.count_drop("malformed");
            metrics.on_parse_failure(unix_now());
            debug!(source = %received.source, "dropped malformed packet: {e}");
            return;
        }
    };
    let arrival = Arrival {
        iface: received.iface.clone(),
        ifindex: received.ifindex,
        local_addr: received.local_addr,
        source: received.source,
    };
    let now = unix_now();
    metrics.on_received(&request, now);
    let now_ms = u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
    if let Err(reason) = guard.admit(&request, &arrival, now_ms, now, table) {
        debug!(xid = format_args!("{:#010x}", request.xid), client = %request.chaddr,
            source = %arrival.source, reason, "dropped by guard");
        metrics.on_dropped(reason, now);
        return;
    }
    let decision = engine.handle(&request, &arrival, now, table);
    metrics.on_decision(&request, &arrival, &decision, engine.config(), now);
    table.apply(&decision.changes, now);
    guard.observe(&request, &decision.changes);
    guard.record_outcome(&decision.outcome);
    let durable: Vec<Lease> = decision
        .changes
        .iter()
        .filter_map(|c| match c {
            LeaseChange::Put(lease) => Some(lease.clone()),
            _ => None,
        })
        .collect();
    log_transaction(&request, &arrival, &decision, started);

    let Decision { reply, outcome, .. } = decision;
    let Some(reply) = reply else {
        if !durable.is_empty() {
            let ticket = committer.submit(durable, now);
            tokio::spawn(async move {
                if let Err(e) = ticket.await {
                    error!(?outcome, "lease change not persisted: {e}");
                }
            });
        }
        return;
    };
    let bytes = match reply.packet.encode(&reply.encode) {
        Ok(b) => b,
        Err(e) => {
            warn!(
                xid = format_args!("{:#010x}", request.xid),
                "reply not sent: {e}"
            );
            return;
        }
    };
    let destination = adjust_for_loopback(reply.destination, &arrival);
    let ifindex = arrival.ifindex;
    let source = arrival.local_addr;
    let kind = crate::metrics::Metrics::reply_kind(&reply.packet);
    if durable.is_empty() {
        if send(socket, &bytes, &destination, ifindex, source).await {
            metrics.on_sent(kind, started);
        }
        return;
    }
    let ticket = committer.submit(durable, now);
    let socket = socket.clone();
    let metrics = metrics.clone();
    tokio::spawn(async move {
        match ticket.await {
            Ok(_) => {
                if send(&socket, &bytes, &destination, ifindex, source).await {
                    metrics.on_sent(kind, started);
                }
            }
            Err(e) => error!(?outcome, "lease not persisted, reply withheld: {e}"),
        }
    });
}

/// Sends one reply; false (logged) when the socket refused it.
async fn send(
    socket: &DhcpSocket,
    bytes: &[u8],
    dest: &Destination,
    ifindex: u32,
    src: Ipv4Addr,
) -> bool {
    match socket.send(bytes, dest, ifindex, src).await {
        Ok(_) => true,
        Err(e) => {
            warn!(?dest, "send failed: {e}");
            false
        }
    }
}

/// On the loopback interface there is no link to broadcast on and no ARP: every reply that is not
/// for a relay goes back to the datagram's source address and port. This is what lets the quick
/// start and tests run without root on 127.0.0.1.
fn adjust_for_loopback(dest: Destination, arrival: &Arrival) -> Destination {
    if !arrival.local_addr.is_loopback() || matches!(dest, Destination::Relay { .. }) {
        return dest;
    }
    Destination::Unicast {
        addr: *arrival.source.ip(),
        port: arrival.source.port(),
    }
}

/// One info line per transaction: xid, client, address, relay, outcome, latency.
fn log_transaction(request: &Packet, arrival: &Arrival, decision: &Decision, started: Instant) {
    let kind = request.message_type().map(|m| m.name()).unwrap_or("BOOTP");
    let micros = started.elapsed().as_micros();
    let relay = (!request.giaddr.is_unspecified()).then_some(request.giaddr);
    let xid = format_args!("{:#010x}", request.xid);
    match &decision.outcome {
        Outcome::Dropped(reason) => debug!(
            %xid, kind, client = %request.chaddr, ?relay, source = %arrival.source, reason, "dropped"
        ),
        outcome => info!(
            %xid, kind, client = %request.chaddr, ?relay, ?outcome, latency_us = micros as u64, "transaction"
        ),
    }
}

/// The current time in Unix seconds.
fn unix_now() -> Timestamp {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// Logs a `guard_drops` summary at most every [`GuardReport::EVERY`] ticks when packets were
/// dropped since the last one: by the guard and engine (per reason) and by the kernel because the
/// socket's receive buffer was full. The server handles datagrams inline, so the kernel socket
/// buffer *is* the receive queue (bounded by `net.core.rmem_*`); its overflow count comes from the
/// `drops` column of `/proc/net/udp` for our port.
#[derive(Debug, Default)]
struct GuardReport {
    ticks: u32,
    last_dropped: u64,
    last_kernel: u64,
}

impl GuardReport {
    /// Ticks (of [`RECLAIM_INTERVAL`]) between summaries.
    const EVERY: u32 = 10;

    fn tick(&mut self, guard: &leasehold_engine::Guard, port: u16) {
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
