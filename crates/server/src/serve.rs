//! The packet loop: the thin I/O shell around the [`Dispatcher`].
//!
//! One thread (`leasehold-io`, a single-threaded tokio runtime of its own, so the thread woken by
//! the socket is the thread that handles the datagram) owns the [`Dispatcher`] and with it the
//! [`leasehold_engine::Server`], so decisions never race. It takes every queued datagram with
//! batched receives ([`RecvBatch`], up to 64 per system call) and hands each receive batch to the
//! dispatcher in one call; between batches it answers control requests and runs the reclaim
//! tick. Under load (see [`LoadGate`]) it waits `[server] coalesce_us` between wake-ups so the
//! next one finds many datagrams queued; at low rates a request is handled at once.
//!
//! With a store several servers share, the loop also applies the store's events between batches
//! (records other servers committed, records the store refused; see [`crate::store_sync`]).
//!
//! The `lease-writer` thread ([`leasehold_store::GroupCommitter`]) commits and then sends the
//! ACKs of the batch itself, through the same [`SocketSink`]: a reply waiting for its lease
//! costs no extra wake-up.

use crate::dispatch::{unix_now, Dispatcher, Replies, ReplySink};
use crate::handle::ControlRequest;
use crate::metrics::Metrics;
use crate::store_sync::StoreEvent;
use leasehold_engine::{Config, LoadGate};
use leasehold_net::{BindOptions, DhcpSocket, NetError, RecvBatch};
use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use tracing::warn;

/// How often expired leases and probations are reclaimed (and pool usage is published).
pub const RECLAIM_INTERVAL: Duration = Duration::from_secs(1);
/// Datagrams taken per `recvmmsg`.
const RECV_BATCH: usize = 64;
/// Most datagrams one cycle handles before the loop looks at control requests and timers again.
const MAX_PER_CYCLE: usize = 1024;
/// The packet loop waits `coalesce_us` between wake-ups only while at least this many datagrams
/// arrive per window (with the default 2 ms: from 4,000 datagrams/s).
const COALESCE_MIN_PER_WINDOW: u32 = 8;

/// Sends replies on the server socket from any thread: batched and without waiting first; what
/// would block (the send buffer is full) is handed to the packet loop's runtime. Replies to
/// requests that arrived on the PXE port leave from the PXE socket (see [`pxe_bind_options`]).
pub struct SocketSink {
    socket: Arc<DhcpSocket>,
    pxe: Option<Arc<DhcpSocket>>,
    metrics: Arc<Metrics>,
    runtime: tokio::runtime::Handle,
}

impl ReplySink for SocketSink {
    fn send(&self, replies: Replies) {
        let replies = self.send_pxe(replies);
        let Replies { outgoing, meta } = replies;
        let handled = self
            .socket
            .try_send_batch(&outgoing, |i, result| match result {
                Ok(()) => {
                    if let Some((kind, started)) = meta.get(i) {
                        self.metrics.on_sent(kind, *started);
                    }
                }
                Err(e) => warn!("send failed: {e}"),
            });
        if handled == outgoing.len() {
            return;
        }
        let socket = self.socket.clone();
        let metrics = self.metrics.clone();
        self.runtime.spawn(async move {
            for (reply, (kind, started)) in outgoing.iter().zip(&meta).skip(handled) {
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

impl SocketSink {
    /// Sends the replies to PXE-port requests from the PXE socket (a few, on the runtime: proxy
    /// DHCP clients expect the answer from the port they asked); returns the others.
    fn send_pxe(&self, replies: Replies) -> Replies {
        let Some(pxe) = &self.pxe else {
            return replies;
        };
        let port = pxe.port();
        if !replies.outgoing.iter().any(|o| o.local_port == port) {
            return replies;
        }
        let mut rest = Replies::default();
        let mut proxy = Vec::new();
        for (o, m) in replies.outgoing.into_iter().zip(replies.meta) {
            if o.local_port == port {
                proxy.push((o, m));
            } else {
                rest.outgoing.push(o);
                rest.meta.push(m);
            }
        }
        let pxe = pxe.clone();
        let metrics = self.metrics.clone();
        self.runtime.spawn(async move {
            for (reply, (kind, started)) in proxy {
                match pxe
                    .send(&reply.bytes, &reply.dest, reply.ifindex, reply.src)
                    .await
                {
                    Ok(()) => metrics.on_sent(kind, started),
                    Err(e) => warn!(dest = ?reply.dest, "send failed: {e}"),
                }
            }
        });
        rest
    }
}

/// Where to bind the proxy DHCP socket: UDP `[server] pxe_port` (4011) with the server
/// socket's interfaces and address, when a subnet has `proxy = true` (PXE clients that already
/// have an address ask there for their boot file); `None` otherwise.
pub fn pxe_bind_options(config: &Config) -> Option<BindOptions> {
    config.has_proxy().then(|| BindOptions {
        port: config.server.pxe_port,
        interfaces: config.server.interfaces.clone(),
        bind_addr: config.server.listen_address,
    })
}

/// Why the packet thread did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The server socket could not be bound.
    #[error(transparent)]
    Bind(#[from] NetError),
    /// The thread or its runtime could not be created.
    #[error("cannot start the packet thread: {0}")]
    Thread(#[from] std::io::Error),
    /// The thread ended before it bound its socket.
    #[error("the packet thread stopped before binding its socket")]
    Stopped,
}

/// Builds the dispatcher once the socket exists (the sink needs it).
pub type MakeDispatcher = Box<dyn FnOnce(Arc<dyn ReplySink>) -> Dispatcher + Send>;

/// The running packet thread.
pub struct PacketThread {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Completes when the thread ends, however it ends.
    pub finished: oneshot::Receiver<()>,
}

impl PacketThread {
    /// Starts `leasehold-io`: binds the server socket for `config`, builds the dispatcher with
    /// `make`, and serves datagrams and `control` requests until [`PacketThread::stop`]. Returns
    /// once the socket is bound (or could not be).
    pub async fn start(
        config: &Config,
        metrics: Arc<Metrics>,
        make: MakeDispatcher,
        control: mpsc::Receiver<ControlRequest>,
        store_events: Option<mpsc::UnboundedReceiver<StoreEvent>>,
    ) -> Result<PacketThread, StartError> {
        let bind = BindOptions {
            port: config.server.server_port,
            interfaces: config.server.interfaces.clone(),
            bind_addr: config.server.listen_address,
        };
        let window = Duration::from_micros(u64::from(config.server.coalesce_us));
        let pxe_bind = pxe_bind_options(config);
        let (bound_tx, bound_rx) = oneshot::channel();
        let (stop_tx, stop_rx) = oneshot::channel();
        let (finished_tx, finished) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("leasehold-io".into())
            .spawn(move || {
                // Dropped when the thread ends, however it ends.
                let _finished = finished_tx;
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = bound_tx.send(Err(StartError::Thread(e)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let socket = match DhcpSocket::bind(&bind) {
                        Ok(s) => Arc::new(s),
                        Err(e) => {
                            let _ = bound_tx.send(Err(StartError::Bind(e)));
                            return;
                        }
                    };
                    let pxe = match pxe_bind.as_ref().map(DhcpSocket::bind).transpose() {
                        Ok(p) => p.map(Arc::new),
                        Err(e) => {
                            let _ = bound_tx.send(Err(StartError::Bind(e)));
                            return;
                        }
                    };
                    let sink = Arc::new(SocketSink {
                        socket: socket.clone(),
                        pxe: pxe.clone(),
                        metrics,
                        runtime: tokio::runtime::Handle::current(),
                    });
                    let dispatcher = make(sink);
                    let _ = bound_tx.send(Ok(()));
                    let sockets = Sockets {
                        server: socket,
                        pxe,
                    };
                    serve(dispatcher, sockets, window, control, store_events, stop_rx).await;
                });
            })?;
        match bound_rx.await {
            Ok(Ok(())) => Ok(PacketThread {
                stop: Some(stop_tx),
                thread: Some(thread),
                finished,
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => {
                let _ = thread.join();
                Err(StartError::Stopped)
            }
        }
    }

    /// Stops the loop, waits for the replies it decided to be sent or reported, and joins the
    /// thread (blocking: call it from `spawn_blocking`). False when the thread panicked.
    pub fn stop(mut self) -> bool {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.thread.take().is_none_or(|t| t.join().is_ok())
    }
}

/// The sockets the loop reads: the server port, and the PXE port when proxy DHCP is on.
struct Sockets {
    server: Arc<DhcpSocket>,
    pxe: Option<Arc<DhcpSocket>>,
}

/// Waits until the PXE socket, if any, has a datagram; never completes without one.
async fn pxe_readable(pxe: &Option<Arc<DhcpSocket>>) -> Result<(), NetError> {
    match pxe {
        Some(s) => s.readable().await,
        None => std::future::pending().await,
    }
}

/// Takes what is queued on the PXE socket (proxy DHCP requests: few, no coalescing).
fn drain_pxe(dispatcher: &mut Dispatcher, pxe: &DhcpSocket, batch: &mut RecvBatch) {
    let mut taken = 0;
    while taken < MAX_PER_CYCLE {
        match pxe.try_recv_batch(batch) {
            Ok(0) => break,
            Ok(n) => taken += n,
            Err(e) => {
                warn!("receive on the PXE port failed: {e}");
                break;
            }
        }
        dispatcher.handle_batch(
            batch
                .iter()
                .map(|(datagram, received)| (datagram, received.arrival())),
        );
    }
}

/// The loop: datagrams, control requests and reclaim ticks until `stop`.
async fn serve(
    mut dispatcher: Dispatcher,
    sockets: Sockets,
    window: Duration,
    mut control: mpsc::Receiver<ControlRequest>,
    mut store_events: Option<mpsc::UnboundedReceiver<StoreEvent>>,
    stop: oneshot::Receiver<()>,
) {
    let Sockets {
        server: socket,
        pxe,
    } = sockets;
    let mut batch = RecvBatch::new(RECV_BATCH);
    let mut coalescer = LoadGate::new(window, COALESCE_MIN_PER_WINDOW, Instant::now());
    let mut reclaim = tokio::time::interval(RECLAIM_INTERVAL);
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
                    dispatcher.handle_batch(
                        batch.iter().map(|(datagram, received)| (datagram, received.arrival())),
                    );
                }
                // Under load, let datagrams gather: the next cycle then takes many at once.
                coalescer.record(woke, taken);
                let wait = coalescer.wait();
                if !wait.is_zero() {
                    std::thread::sleep(wait);
                }
            }
            ready = pxe_readable(&pxe) => {
                match (ready, &pxe) {
                    (Ok(()), Some(p)) => drain_pxe(&mut dispatcher, p, &mut batch),
                    (Err(e), _) => warn!("waiting for PXE datagrams failed: {e}"),
                    (Ok(()), None) => {}
                }
            }
            Some(request) = control.recv() => dispatcher.control(request, unix_now()),
            Some(event) = next_event(&mut store_events) => dispatcher.store_event(event, unix_now()),
            _ = reclaim.tick() => dispatcher.tick(unix_now()),
            _ = &mut stop => break,
        }
    }
    // Every reply decided so far goes out (or is reported) before this runtime, which owns the
    // socket's registration, goes away: a query runs after all earlier submissions.
    dispatcher.flush().await;
}

/// The next store event, or never when there is no shared store.
async fn next_event(
    events: &mut Option<mpsc::UnboundedReceiver<StoreEvent>>,
) -> Option<StoreEvent> {
    match events {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let ctrl_c = tokio::signal::ctrl_c();
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
