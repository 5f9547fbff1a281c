//! The server loop: socket → parse → engine → lease table → group commit → socket.
//!
//! One task owns the [`LeaseTable`] and runs the engine for every datagram in arrival order, so
//! decisions never race. Durable lease changes go to the [`GroupCommitter`], which writes many
//! requests' changes in one transaction and one fsync; a reply that carries a durable change is
//! sent only after its commit has returned. Replies without durable changes (OFFER, INFORM ACK,
//! NAK) leave at once.
//!
//! Threads, chosen to keep hand-offs per exchange few (each costs a context switch, which on
//! small VMs costs more than deciding the reply):
//!
//! - `leasehold-io` runs the packet loop on its own single-threaded tokio runtime, so the thread
//!   woken by the socket is the thread that handles the datagram (on the multi-threaded runtime
//!   a worker polls the socket and then has to wake the loop).
//! - `lease-writer` (the [`GroupCommitter`]) commits and then sends the ACKs of the batch itself
//!   ([`GroupCommitter::submit_then`]): a reply waiting for its lease costs no extra wake-up. A
//!   failed commit withholds its replies (logged).
//!
//! Each wake-up of the packet loop takes every queued datagram with batched receives
//! ([`RecvBatch`], up to 64 per system call). For each receive batch it decides the datagrams in
//! arrival order, sends the replies that need no disk write together
//! ([`DhcpSocket::try_send_batch`]) and hands the batch's durable changes to the writer as one
//! submission whose ACKs again leave together. Under load (see [`LoadGate`]) the loop waits
//! `[server] coalesce_us` between cycles so the next one finds many datagrams queued; at low
//! rates a request is handled at once.
//! - The caller's runtime keeps the control API, the SIGHUP handler, alerts and the rogue-server
//!   monitor, and waits for `shutdown`.

use anyhow::Context;
use leasehold_engine::{
    Arrival, Config, Decision, Destination, Engine, Lease, LeaseChange, LeaseTable, LoadGate,
    Outcome, Timestamp,
};
use leasehold_net::{BindOptions, DhcpSocket, NetError, Outgoing, Received, RecvBatch};
use leasehold_store::group_commit::DEFAULT_MAX_BATCH;
use leasehold_store::{CommitOptions, GroupCommitter, LeaseStore, SqliteStore};
use leasehold_wire::Packet;
use std::future::Future;
use std::path::PathBuf;
use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::oneshot;
use tracing::{debug, error, info, warn, Level};

/// How often expired leases and probations are reclaimed.
const RECLAIM_INTERVAL: Duration = Duration::from_secs(1);
/// How often lease history older than `history_retention` is pruned (first at start-up).
const PRUNE_INTERVAL: Duration = Duration::from_secs(3600);
/// History entries pruned per lease-writer job: a median 7.6 ms of SQLite work per chunk on a
/// 2-vCPU VM (one 300,000-entry delete took 180 ms), so a prune never holds the ACKs waiting for
/// the next commit much longer.
const PRUNE_CHUNK: usize = 10_000;
/// Datagrams taken per `recvmmsg`.
const RECV_BATCH: usize = 64;
/// Most datagrams one cycle handles before the loop looks at control requests and timers again.
const MAX_PER_CYCLE: usize = 1024;
/// The packet loop waits `coalesce_us` between wake-ups only while at least this many datagrams
/// arrive per window (with the default 2 ms: from 4,000 datagrams/s).
const COALESCE_MIN_PER_WINDOW: u32 = 8;
/// The lease writer lingers `commit_delay_us` before a commit only while at least this many
/// leases are committed per window (with the default 2 ms: from 4,000 leases/s).
const COMMIT_DELAY_MIN_PER_WINDOW: u32 = 8;

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
    let table = LeaseTable::from_leases(&config, leases);
    let options = CommitOptions {
        max_batch: DEFAULT_MAX_BATCH,
        delay: Duration::from_micros(u64::from(config.server.commit_delay_us)),
        delay_min_per_window: COMMIT_DELAY_MIN_PER_WINDOW,
    };
    let committer = Arc::new(
        GroupCommitter::with_options(Box::new(store), options)
            .context("cannot start the lease writer")?,
    );

    let metrics = Arc::new(crate::metrics::Metrics::new());
    let (control_tx, control_rx) = tokio::sync::mpsc::channel(crate::control::CONTROL_QUEUE);
    let (bound_tx, bound_rx) = oneshot::channel();
    let (stop_tx, stop_rx) = oneshot::channel();
    let (finished_tx, finished_rx) = oneshot::channel::<()>();
    let packet_loop = PacketLoop {
        config: config.clone(),
        table,
        committer: committer.clone(),
        metrics: metrics.clone(),
        control_rx,
    };
    let io_thread = std::thread::Builder::new()
        .name("leasehold-io".into())
        .spawn(move || {
            // Dropped when the thread ends, however it ends: tells `run` the loop is gone.
            let _finished = finished_tx;
            packet_loop.run_on_own_runtime(bound_tx, stop_rx)
        })
        .context("cannot start the packet thread")?;
    let stop_io = move |stop_tx: oneshot::Sender<()>| {
        let _ = stop_tx.send(());
        io_thread.join()
    };
    match bound_rx.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            let _ = stop_io(stop_tx);
            return Err(e.into());
        }
        Err(_) => {
            // The thread ended before binding: report why if it said so.
            if let Ok(Err(e)) = stop_io(stop_tx) {
                return Err(e);
            }
            anyhow::bail!("the packet thread stopped before binding its socket");
        }
    }
    info!(
        port = config.server.server_port,
        db = %db.display(),
        leases = loaded,
        "leasehold {} serving",
        env!("CARGO_PKG_VERSION")
    );

    let control = crate::control::start(
        &config,
        config_path,
        db.clone(),
        control_tx,
        Arc::downgrade(&committer),
        metrics.clone(),
    )
    .await;
    if let Err(e) = control {
        let _ = stop_io(stop_tx);
        return Err(e);
    }
    crate::rogue::spawn_monitor(config.clone());
    tokio::pin!(shutdown);
    tokio::select! {
        _ = &mut shutdown => info!("shutting down"),
        _ = finished_rx => error!("the packet loop stopped unexpectedly"),
    }
    let loop_result = tokio::task::spawn_blocking(move || stop_io(stop_tx))
        .await
        .ok()
        .and_then(|joined| joined.ok());
    if let Ok(committer) = Arc::try_unwrap(committer) {
        committer
            .close()
            .context("flushing the lease store at shutdown")?;
    }
    match loop_result {
        Some(result) => result,
        None => anyhow::bail!("the packet loop panicked"),
    }
}

/// Everything the packet loop owns or shares, moved onto the `leasehold-io` thread.
struct PacketLoop {
    config: Arc<Config>,
    table: LeaseTable,
    committer: Arc<GroupCommitter>,
    metrics: Arc<crate::metrics::Metrics>,
    control_rx: tokio::sync::mpsc::Receiver<crate::control::ControlRequest>,
}

impl PacketLoop {
    /// Builds a single-threaded runtime on this thread, binds the server socket (reporting the
    /// outcome on `bound`) and serves until `stop` fires or its sender is dropped.
    fn run_on_own_runtime(
        self,
        bound: oneshot::Sender<Result<(), NetError>>,
        stop: oneshot::Receiver<()>,
    ) -> anyhow::Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the packet loop's runtime")?;
        runtime.block_on(async move {
            let bind = BindOptions {
                port: self.config.server.server_port,
                interfaces: self.config.server.interfaces.clone(),
                bind_addr: self.config.server.listen_address,
            };
            let socket = match DhcpSocket::bind(&bind) {
                Ok(s) => Arc::new(s),
                Err(e) => {
                    let _ = bound.send(Err(e));
                    return Ok(());
                }
            };
            let _ = bound.send(Ok(()));
            self.serve(socket, stop).await;
            Ok(())
        })
    }

    /// The loop: datagrams, control requests and reclaim ticks until `stop`.
    async fn serve(self, socket: Arc<DhcpSocket>, stop: oneshot::Receiver<()>) {
        let PacketLoop {
            config,
            mut table,
            committer,
            metrics,
            mut control_rx,
        } = self;
        let mut engine = Engine::new(config.clone());
        let mut guard = leasehold_engine::Guard::new(config.security.clone());
        guard.set_own_probe_prefix(crate::rogue::own_probe_prefix());
        let clock = Instant::now();
        let mut guard_report = GuardReport::default();
        let runtime = tokio::runtime::Handle::current();
        let mut batch = RecvBatch::new(RECV_BATCH);
        let window = Duration::from_micros(u64::from(config.server.coalesce_us));
        let mut coalescer = LoadGate::new(window, COALESCE_MIN_PER_WINDOW, Instant::now());
        let mut reclaim = tokio::time::interval(RECLAIM_INTERVAL);
        let mut prune = tokio::time::interval(PRUNE_INTERVAL);
        let mut stop = pin!(stop);
        loop {
            tokio::select! {
                ready = socket.readable() => {
                    if let Err(e) = ready {
                        warn!("waiting for datagrams failed: {e}");
                        continue;
                    }
                    let woke = Instant::now();
                    let mut taken = 0;
                    while taken < MAX_PER_CYCLE {
                        match socket.try_recv_batch(&mut batch) {
                            Ok(0) => break,
                            Ok(n) => taken += n,
                            Err(e) => {
                                warn!("receive failed: {e}");
                                break;
                            }
                        }
                        // Replies leave per receive batch, so a burst of requests is answered in
                        // bursts no larger than the one that came in.
                        let mut cycle = Cycle::default();
                        for (datagram, received) in batch.iter() {
                            let admit = (&mut guard, clock);
                            handle_datagram(&engine, &mut table, &metrics, &mut cycle, datagram, received, admit);
                        }
                        cycle.finish(Out { committer: &committer, socket: &socket, runtime: &runtime, metrics: &metrics });
                    }
                    // Under load, let datagrams gather: the next cycle then takes many at once.
                    coalescer.record(woke, taken);
                    let wait = coalescer.wait();
                    if !wait.is_zero() {
                        std::thread::sleep(wait);
                    }
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
                        committer.submit_then(changed, now, |result| {
                            if let Err(e) = result {
                                error!("could not persist reclaimed leases: {e}");
                            }
                        });
                    }
                }
                _ = prune.tick() => prune_history(&committer, &runtime, config.server.history_retention),
                _ = &mut stop => break,
            }
        }
        // Every reply decided so far goes out (or is reported) before this runtime, which owns
        // the socket's registration, goes away: a query runs after all earlier submissions.
        let _ = committer.query(|_| Ok(())).await;
    }
}

/// Where a cycle's effects go: the lease writer, the socket, the runtime for sends that cannot
/// complete at once, and the metrics.
#[derive(Clone, Copy)]
struct Out<'a> {
    committer: &'a Arc<GroupCommitter>,
    socket: &'a Arc<DhcpSocket>,
    runtime: &'a tokio::runtime::Handle,
    metrics: &'a Arc<crate::metrics::Metrics>,
}

/// What the packet loop decided for one receive batch: replies to send now, and durable lease
/// changes with the replies that wait for their commit.
#[derive(Default)]
struct Cycle {
    /// OFFERs, NAKs, INFORM ACKs: nothing to persist, sent when the cycle ends.
    immediate: Replies,
    /// Lease changes to commit, in decision order.
    durable: Vec<Lease>,
    /// Replies sent by the lease writer once `durable` is on disk, never before.
    after_commit: Replies,
}

impl Cycle {
    /// Sends the immediate replies and submits the durable changes (with their replies) as one
    /// group-commit submission.
    fn finish(self, out: Out<'_>) {
        let Cycle {
            immediate,
            durable,
            after_commit,
        } = self;
        immediate.send(out.socket, out.metrics, out.runtime);
        if durable.is_empty() {
            return;
        }
        let socket = out.socket.clone();
        let metrics = out.metrics.clone();
        let runtime = out.runtime.clone();
        let leases = durable.len();
        out.committer
            .submit_then(durable, unix_now(), move |result| match result {
                Ok(_) => after_commit.send(&socket, &metrics, &runtime),
                Err(e) => error!(
                    leases,
                    withheld_replies = after_commit.len(),
                    "lease changes not persisted, their replies withheld: {e}"
                ),
            });
    }
}

/// Encoded replies with where they go, and for the metrics their kind and when their request
/// arrived.
#[derive(Default)]
struct Replies {
    outgoing: Vec<Outgoing>,
    meta: Vec<(&'static str, Instant)>,
}

impl Replies {
    fn push(&mut self, reply: Outgoing, kind: &'static str, started: Instant) {
        self.outgoing.push(reply);
        self.meta.push((kind, started));
    }

    fn len(&self) -> usize {
        self.outgoing.len()
    }

    /// Sends every reply, from any thread: batched and without waiting first; what would block
    /// (the socket's send buffer is full) is handed to `runtime` to await writability.
    fn send(
        self,
        socket: &Arc<DhcpSocket>,
        metrics: &Arc<crate::metrics::Metrics>,
        runtime: &tokio::runtime::Handle,
    ) {
        if self.outgoing.is_empty() {
            return;
        }
        let handled = socket.try_send_batch(&self.outgoing, |i, result| match result {
            Ok(()) => {
                if let Some((kind, started)) = self.meta.get(i) {
                    metrics.on_sent(kind, *started);
                }
            }
            Err(e) => warn!("send failed: {e}"),
        });
        if handled == self.outgoing.len() {
            return;
        }
        let socket = socket.clone();
        let metrics = metrics.clone();
        runtime.spawn(async move {
            let rest = self.outgoing.iter().zip(&self.meta).skip(handled);
            for (reply, (kind, started)) in rest {
                match socket
                    .send(&reply.bytes, &reply.dest, reply.ifindex, reply.src)
                    .await
                {
                    Ok(()) => metrics.on_sent(kind, *started),
                    Err(e) => warn!(dest = ?reply.dest, "send failed: {e}"),
                }
            }
        });
    }
}

/// Handles one datagram: parse, admit (guard), decide, apply; its reply and durable changes go
/// into `cycle`.
fn handle_datagram(
    engine: &Engine,
    table: &mut LeaseTable,
    metrics: &crate::metrics::Metrics,
    cycle: &mut Cycle,
    datagram: &[u8],
    received: &Received,
    (guard, clock): (&mut leasehold_engine::Guard, Instant),
) {
    let started = Instant::now();
    let request = match Packet::parse(datagram) {
        Ok(p) => p,
        Err(e) => {
            guard.count_drop("malformed");
            metrics.on_parse_failure(unix_now());
            debug!(source = %received.source, "dropped malformed packet: {e}");
            return;
        }
    };
    let arrival = received.arrival();
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
    log_transaction(&request, &arrival, &decision, started);
    let Decision { reply, changes, .. } = decision;
    let durable_before = cycle.durable.len();
    cycle
        .durable
        .extend(changes.into_iter().filter_map(|c| match c {
            LeaseChange::Put(lease) => Some(lease),
            _ => None,
        }));
    let Some(reply) = reply else { return };
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
    let kind = crate::metrics::Metrics::reply_kind(&reply.packet);
    let outgoing = Outgoing {
        bytes,
        dest: adjust_for_loopback(reply.destination, &arrival),
        ifindex: arrival.ifindex,
        src: arrival.local_addr,
    };
    if cycle.durable.len() == durable_before {
        cycle.immediate.push(outgoing, kind, started);
    } else {
        cycle.after_commit.push(outgoing, kind, started);
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

/// One info line per transaction: xid, client, address, relay, outcome, latency. Costs one
/// level check when INFO is off (nothing below is computed then).
fn log_transaction(request: &Packet, arrival: &Arrival, decision: &Decision, started: Instant) {
    if !tracing::enabled!(Level::INFO) {
        return;
    }
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

/// Removes lease history older than `retention` seconds on the lease writer's thread (after
/// everything already queued), [`PRUNE_CHUNK`] entries per writer job, logging how much went.
/// `0` keeps history forever.
fn prune_history(
    committer: &Arc<GroupCommitter>,
    runtime: &tokio::runtime::Handle,
    retention: u32,
) {
    if retention == 0 {
        return;
    }
    let older_than = unix_now().saturating_sub(u64::from(retention));
    let committer = Arc::clone(committer);
    runtime.spawn(async move {
        // One chunk per writer job: commits (and the ACKs waiting for them) run in between.
        let mut pruned = 0u64;
        loop {
            let chunk = committer.query(move |store| store.prune_history(older_than, PRUNE_CHUNK));
            match chunk.await {
                Ok(n) => {
                    pruned += n;
                    if n < PRUNE_CHUNK as u64 {
                        break;
                    }
                }
                Err(e) => {
                    warn!("could not prune lease history: {e}");
                    break;
                }
            }
        }
        if pruned > 0 {
            info!(pruned, retention_s = retention, "pruned lease history");
        }
    });
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
