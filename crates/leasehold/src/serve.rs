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

    let engine = Engine::new(config.clone());
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
                handle_datagram(&engine, &mut table, &committer, &socket, datagram, &received, started).await;
            }
            _ = reclaim.tick() => {
                let now = unix_now();
                let changed = table.expire(now);
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

/// Handles one datagram: parse, decide, apply, persist, reply.
async fn handle_datagram(
    engine: &Engine,
    table: &mut LeaseTable,
    committer: &Arc<GroupCommitter>,
    socket: &Arc<DhcpSocket>,
    datagram: &[u8],
    received: &Received,
    started: Instant,
) {
    let request = match Packet::parse(datagram) {
        Ok(p) => p,
        Err(e) => {
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
    let decision = engine.handle(&request, &arrival, now, table);
    table.apply(&decision.changes, now);
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
    if durable.is_empty() {
        send(socket, &bytes, &destination, ifindex, source).await;
        return;
    }
    let ticket = committer.submit(durable, now);
    let socket = socket.clone();
    tokio::spawn(async move {
        match ticket.await {
            Ok(_) => send(&socket, &bytes, &destination, ifindex, source).await,
            Err(e) => error!(?outcome, "lease not persisted, reply withheld: {e}"),
        }
    });
}

async fn send(socket: &DhcpSocket, bytes: &[u8], dest: &Destination, ifindex: u32, src: Ipv4Addr) {
    if let Err(e) = socket.send(bytes, dest, ifindex, src).await {
        warn!(?dest, "send failed: {e}");
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
