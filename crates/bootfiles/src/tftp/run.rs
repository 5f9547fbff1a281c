//! The TFTP runtime: sockets, timers and limits around the [`transfer`](super::transfer) state
//! machines.
//!
//! - One listening socket per configured interface (SO_BINDTODEVICE), or one for `listen` when
//!   no interface is named. On `0.0.0.0`, IP_PKTINFO tells which local address a request came to.
//! - Each transfer gets a fresh socket on an ephemeral port (its TID), bound to that local
//!   address (and interface) and connected to the client, so the kernel drops datagrams from any
//!   other address or port.
//! - Limits: `max_transfers` in total and `max_transfers_per_client` per client IP; a request
//!   over a limit gets one short ERROR and is counted as refused.
//! - Cancellation aborts every transfer with an ERROR to its client; [`TftpServer::serve`]
//!   returns when all of them have ended.

use super::netascii;
use super::options::{negotiate, Direction, Limits};
use super::packet::{encode_error, ErrorCode, Mode, Packet};
use super::stats::{ErrorKind, TftpStats};
use super::transfer::{Action, Outcome, ReadTransfer, Transfer, WriteTransfer};
use crate::error::BootFilesError;
use crate::root::{BootRoot, Discard, PathError};
use crate::settings::{TftpSettings, WINDOWSIZE_LIMIT};
use socket2::{Domain, Protocol, Socket, Type};
use std::collections::HashMap;
use std::io::{self, BufReader, BufWriter, IoSliceMut, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

/// Receive buffer: the largest UDP payload.
const RECV_BUF: usize = 65_536;
/// Requested kernel receive buffer of a listener, so a burst of requests is not lost.
const LISTEN_RCVBUF: usize = 1 << 20;

/// Binds the TFTP service and serves until `shutdown` is cancelled.
///
/// Start-up errors (root, bind) are returned before anything is served; use
/// [`TftpServer::bind`] and [`TftpServer::serve`] to see them before starting other services.
pub async fn serve(
    settings: TftpSettings,
    stats: Arc<TftpStats>,
    shutdown: CancellationToken,
) -> Result<(), BootFilesError> {
    TftpServer::bind(settings, stats)
        .await?
        .serve(shutdown)
        .await
}

/// A bound TFTP service: root opened, listening sockets bound.
#[derive(Debug)]
pub struct TftpServer {
    shared: Arc<Shared>,
    listeners: Vec<Listener>,
}

#[derive(Debug)]
struct Shared {
    settings: TftpSettings,
    stats: Arc<TftpStats>,
    root: BootRoot,
    upload: Option<BootRoot>,
    slots: Arc<Slots>,
}

impl TftpServer {
    /// Validates the settings, opens the root (and upload directory) and binds the listening
    /// sockets. Must be awaited inside a Tokio runtime.
    pub async fn bind(
        settings: TftpSettings,
        stats: Arc<TftpStats>,
    ) -> Result<TftpServer, BootFilesError> {
        settings.validate()?;
        let root = BootRoot::open(&settings.root)?;
        let upload = settings
            .upload_dir
            .as_deref()
            .map(BootRoot::open)
            .transpose()?;
        let devices: Vec<Option<String>> = if settings.interfaces.is_empty() {
            vec![None]
        } else {
            settings.interfaces.iter().cloned().map(Some).collect()
        };
        let listeners = devices
            .into_iter()
            .map(|device| Listener::bind(settings.listen, device))
            .collect::<Result<Vec<_>, _>>()?;
        let slots = Arc::new(Slots {
            total: Arc::new(Semaphore::new(settings.max_transfers)),
            per_client: Mutex::new(HashMap::new()),
            max_per_client: settings.max_transfers_per_client,
            stats: stats.clone(),
        });
        Ok(TftpServer {
            shared: Arc::new(Shared {
                settings,
                stats,
                root,
                upload,
                slots,
            }),
            listeners,
        })
    }

    /// The addresses the listening sockets are bound to (with the port the OS chose for port 0).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners.iter().map(|l| l.addr).collect()
    }

    /// Serves requests until `shutdown` is cancelled, then aborts the running transfers and
    /// returns when they have ended. A listening socket that fails ends the service with an
    /// error (after the transfers end).
    pub async fn serve(self, shutdown: CancellationToken) -> Result<(), BootFilesError> {
        let stop = shutdown.child_token();
        let tracker = TaskTracker::new();
        let mut loops = JoinSet::new();
        info!(
            listen = ?self.local_addrs(),
            root = %self.shared.root.path().display(),
            uploads = self.shared.upload.is_some(),
            "tftp service started"
        );
        for listener in self.listeners {
            loops.spawn(listen(
                listener,
                self.shared.clone(),
                tracker.clone(),
                stop.clone(),
            ));
        }
        let mut result = Ok(());
        while let Some(joined) = loops.join_next().await {
            let failed = match joined {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(e),
                Err(join) => Some(BootFilesError::Listener {
                    addr: self.shared.settings.listen,
                    source: io::Error::other(join.to_string()),
                }),
            };
            if let Some(e) = failed {
                stop.cancel();
                if result.is_ok() {
                    result = Err(e);
                }
            }
        }
        tracker.close();
        tracker.wait().await;
        info!("tftp service stopped");
        result
    }
}

/// One listening socket.
#[derive(Debug)]
struct Listener {
    socket: UdpSocket,
    addr: SocketAddr,
    device: Option<String>,
    pktinfo: bool,
}

impl Listener {
    fn bind(addr: SocketAddr, device: Option<String>) -> Result<Listener, BootFilesError> {
        let setup = |source: io::Error| BootFilesError::Socket {
            addr,
            interface: device.clone(),
            source,
        };
        let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))
            .map_err(setup)?;
        socket.set_nonblocking(true).map_err(setup)?;
        // Best effort: a small buffer only means bursts are dropped sooner.
        let _ = socket.set_recv_buffer_size(LISTEN_RCVBUF);
        if let Some(dev) = &device {
            // Several sockets on one address, one per interface.
            socket.set_reuse_address(true).map_err(setup)?;
            socket.bind_device(Some(dev.as_bytes())).map_err(setup)?;
        }
        let pktinfo = matches!(addr, SocketAddr::V4(v4) if v4.ip().is_unspecified());
        if pktinfo {
            nix::sys::socket::setsockopt(&socket, nix::sys::socket::sockopt::Ipv4PacketInfo, &true)
                .map_err(|e| setup(e.into()))?;
        }
        socket
            .bind(&addr.into())
            .map_err(|source| BootFilesError::Bind { addr, source })?;
        let std_socket: std::net::UdpSocket = socket.into();
        let bound = std_socket.local_addr().map_err(setup)?;
        let socket = UdpSocket::from_std(std_socket).map_err(setup)?;
        Ok(Listener {
            socket,
            addr: bound,
            device,
            pktinfo,
        })
    }

    /// Receives a datagram: its length, the sender and the local address it was sent to.
    async fn recv(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr, IpAddr)> {
        if !self.pktinfo {
            let (n, from) = self.socket.recv_from(buf).await?;
            return Ok((n, from, self.addr.ip()));
        }
        self.socket
            .async_io(Interest::READABLE, || recv_pktinfo(&self.socket, buf))
            .await
    }
}

fn recv_pktinfo(socket: &UdpSocket, buf: &mut [u8]) -> io::Result<(usize, SocketAddr, IpAddr)> {
    use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags, SockaddrIn};
    let mut iov = [IoSliceMut::new(buf)];
    let mut cmsg = nix::cmsg_space!(nix::libc::in_pktinfo);
    let msg = recvmsg::<SockaddrIn>(
        socket.as_raw_fd(),
        &mut iov,
        Some(&mut cmsg),
        MsgFlags::empty(),
    )
    .map_err(io::Error::from)?;
    let mut local = Ipv4Addr::UNSPECIFIED;
    for c in msg.cmsgs().map_err(io::Error::from)? {
        if let ControlMessageOwned::Ipv4PacketInfo(info) = c {
            // ipi_spec_dst: our address on the interface (also for broadcast requests).
            local = Ipv4Addr::from(u32::from_be(info.ipi_spec_dst.s_addr));
        }
    }
    let from = msg
        .address
        .map(|a| SocketAddr::V4(SocketAddrV4::new(a.ip(), a.port())))
        .ok_or_else(|| io::Error::other("datagram without a source address"))?;
    Ok((msg.bytes, from, IpAddr::V4(local)))
}

async fn listen(
    listener: Listener,
    shared: Arc<Shared>,
    tracker: TaskTracker,
    stop: CancellationToken,
) -> Result<(), BootFilesError> {
    let mut buf = vec![0u8; RECV_BUF];
    loop {
        let received = tokio::select! {
            () = stop.cancelled() => return Ok(()),
            r = listener.recv(&mut buf) => r,
        };
        match received {
            Ok((n, from, local)) => {
                let datagram = buf.get(..n).unwrap_or(&[]);
                accept(&shared, datagram, from, local, &listener, &tracker, &stop);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionRefused
                        | io::ErrorKind::ConnectionReset
                        | io::ErrorKind::Interrupted
                        | io::ErrorKind::WouldBlock
                ) =>
            {
                debug!(error = %e, "tftp listener: transient receive error");
            }
            Err(source) => {
                return Err(BootFilesError::Listener {
                    addr: listener.addr,
                    source,
                })
            }
        }
    }
}

/// A request, owned, for the transfer task.
#[derive(Debug)]
struct Request {
    write: bool,
    filename: Vec<u8>,
    mode: Mode,
    options: Vec<(String, String)>,
}

impl Request {
    fn display_name(&self) -> String {
        String::from_utf8_lossy(&self.filename)
            .escape_debug()
            .to_string()
    }
}

/// Handles one datagram on a listening port: parse, apply limits, start a transfer task.
fn accept(
    shared: &Arc<Shared>,
    datagram: &[u8],
    from: SocketAddr,
    local: IpAddr,
    listener: &Listener,
    tracker: &TaskTracker,
    stop: &CancellationToken,
) {
    let stats = &shared.stats;
    let (req, write) = match Packet::parse(datagram) {
        Ok(Packet::Rrq(req)) => (req, false),
        Ok(Packet::Wrq(req)) => (req, true),
        Ok(other) => {
            // DATA/ACK/ERROR/OACK on the request port: no transfer has this TID. Not answered
            // (an answer would let spoofed datagrams reflect off us).
            debug!(client = %from, packet = ?std::mem::discriminant(&other), "tftp: not a request");
            stats.error(ErrorKind::IllegalOperation);
            return;
        }
        Err(e) => {
            debug!(client = %from, error = %e, "tftp: malformed datagram");
            stats.error(ErrorKind::Malformed);
            return;
        }
    };
    let request = Request {
        write,
        filename: req.filename.to_vec(),
        mode: req.mode,
        options: req
            .options
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
    };
    let Some(slot) = shared.slots.try_acquire(from.ip()) else {
        debug!(client = %from, file = %request.display_name(), "tftp: refused, too many transfers");
        stats.refused(ErrorKind::Busy);
        // One ERROR no longer than the smallest request: no amplification.
        let err = encode_error(ErrorCode::NOT_DEFINED, b"busy");
        match send_once(local, listener.device.as_deref(), from, &err) {
            Ok(()) => stats.sent(err.len()),
            Err(e) => debug!(client = %from, error = %e, "tftp: cannot send busy error"),
        }
        return;
    };
    let shared = shared.clone();
    let device = listener.device.clone();
    let stop = stop.clone();
    tracker.spawn(async move {
        run_transfer(&shared, request, from, local, device.as_deref(), &stop).await;
        drop(slot);
    });
}

/// A socket for one transfer: ephemeral port on `local` (and `device`), connected to `peer`.
fn transfer_socket(local: IpAddr, device: Option<&str>, peer: SocketAddr) -> io::Result<Socket> {
    let socket = Socket::new(Domain::for_address(peer), Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_nonblocking(true)?;
    if let Some(dev) = device {
        socket.bind_device(Some(dev.as_bytes()))?;
    }
    let local = match (local, peer) {
        (IpAddr::V4(_), SocketAddr::V6(_)) => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
        (IpAddr::V6(_), SocketAddr::V4(_)) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        (ip, _) => ip,
    };
    socket.bind(&SocketAddr::new(local, 0).into())?;
    socket.connect(&peer.into())?;
    Ok(socket)
}

/// Sends one datagram from a fresh socket (a refusal before any transfer exists).
fn send_once(
    local: IpAddr,
    device: Option<&str>,
    peer: SocketAddr,
    bytes: &[u8],
) -> io::Result<()> {
    transfer_socket(local, device, peer)?
        .send(bytes)
        .map(|_| ())
}

/// The refusal for a name that cannot be opened: stats kind, TFTP code, message.
fn refusal(e: &PathError) -> (ErrorKind, ErrorCode, &'static [u8]) {
    match e {
        PathError::Empty | PathError::NotFound | PathError::NotRegular => (
            ErrorKind::NotFound,
            ErrorCode::FILE_NOT_FOUND,
            b"file not found",
        ),
        PathError::Exists => (
            ErrorKind::FileExists,
            ErrorCode::FILE_EXISTS,
            b"file exists",
        ),
        PathError::Io(_) => (ErrorKind::Io, ErrorCode::NOT_DEFINED, b"cannot open file"),
        _ => (
            ErrorKind::AccessViolation,
            ErrorCode::ACCESS_VIOLATION,
            b"access violation",
        ),
    }
}

type Refusal = (ErrorKind, ErrorCode, &'static [u8], String);

/// A transfer ready to start, and for uploads how to remove the file if it fails.
struct Prepared {
    transfer: Box<dyn Transfer + Send>,
    discard: Option<Discard>,
}

fn limits(settings: &TftpSettings) -> Limits {
    Limits {
        max_blksize: settings.max_blksize,
        max_windowsize: settings.max_windowsize.clamp(1, WINDOWSIZE_LIMIT),
        default_timeout: settings.timeout,
    }
}

fn option_refs(options: &[(String, String)]) -> Vec<(&str, &str)> {
    options
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

fn prepare_read(shared: &Shared, req: &Request) -> Result<Prepared, Refusal> {
    let opened = shared.root.open_file(&req.filename).map_err(|e| {
        let (kind, code, msg) = refusal(&e);
        (kind, code, msg, e.to_string())
    })?;
    let negotiated = negotiate(
        Direction::Read {
            file_size: opened.len,
        },
        req.mode,
        &option_refs(&req.options),
        limits(&shared.settings),
    );
    let file = BufReader::with_capacity(64 * 1024, opened.file);
    let source: Box<dyn Read + Send> = match req.mode {
        Mode::Octet => Box::new(file),
        Mode::Netascii => Box::new(netascii::Encoder::new(file)),
    };
    Ok(Prepared {
        transfer: Box::new(ReadTransfer::new(
            source,
            &negotiated,
            shared.settings.retries,
        )),
        discard: None,
    })
}

fn prepare_write(shared: &Shared, req: &Request) -> Result<Prepared, Refusal> {
    let Some(upload) = &shared.upload else {
        return Err((
            ErrorKind::WriteRefused,
            ErrorCode::ACCESS_VIOLATION,
            b"write not allowed",
            "uploads are off (no upload_dir)".into(),
        ));
    };
    let negotiated = negotiate(
        Direction::Write,
        req.mode,
        &option_refs(&req.options),
        limits(&shared.settings),
    );
    let cap = shared.settings.max_upload_size;
    if negotiated.announced_size.is_some_and(|n| n > cap) {
        return Err((
            ErrorKind::TooLarge,
            ErrorCode::DISK_FULL,
            b"file too large",
            format!("announced size above the {cap}-byte cap"),
        ));
    }
    let created = upload.create_new(&req.filename).map_err(|e| {
        let (kind, code, msg) = refusal(&e);
        (kind, code, msg, e.to_string())
    })?;
    let file = BufWriter::new(created.file);
    let sink: Box<dyn Write + Send> = match req.mode {
        Mode::Octet => Box::new(file),
        Mode::Netascii => Box::new(netascii::Decoder::new(file)),
    };
    Ok(Prepared {
        transfer: Box::new(WriteTransfer::new(
            sink,
            &negotiated,
            shared.settings.retries,
            cap,
        )),
        discard: Some(created.discard),
    })
}

fn failure_kind(outcome: &Outcome) -> Option<ErrorKind> {
    match outcome {
        Outcome::Completed => None,
        Outcome::TimedOut => Some(ErrorKind::Timeout),
        Outcome::PeerError { .. } => Some(ErrorKind::PeerError),
        Outcome::ProtocolError => Some(ErrorKind::IllegalOperation),
        Outcome::Io(_) => Some(ErrorKind::Io),
        Outcome::TooLarge => Some(ErrorKind::TooLarge),
        Outcome::Aborted => Some(ErrorKind::Aborted),
    }
}

async fn run_transfer(
    shared: &Shared,
    req: Request,
    peer: SocketAddr,
    local: IpAddr,
    device: Option<&str>,
    stop: &CancellationToken,
) {
    let stats = &shared.stats;
    let op = if req.write { "write" } else { "read" };
    let name = req.display_name();
    let socket = match transfer_socket(local, device, peer)
        .and_then(|s| UdpSocket::from_std(s.into()))
    {
        Ok(s) => s,
        Err(e) => {
            warn!(client = %peer, file = %name, error = %e, "tftp: cannot open a transfer socket");
            stats.refused(ErrorKind::Io);
            return;
        }
    };
    let prepared = if req.write {
        prepare_write(shared, &req)
    } else {
        prepare_read(shared, &req)
    };
    let Prepared {
        mut transfer,
        discard,
    } = match prepared {
        Ok(p) => p,
        Err((kind, code, msg, why)) => {
            info!(client = %peer, file = %name, op, reason = %why, "tftp request refused");
            stats.refused(kind);
            if let Ok(n) = socket.send(&encode_error(code, msg)).await {
                stats.sent(n);
            }
            return;
        }
    };
    stats.started();
    let started = Instant::now();
    let outcome = drive(transfer.as_mut(), &socket, stop, stats).await;
    let took = started.elapsed();
    let progress = transfer.progress();
    drop(transfer); // closes the file before a failed upload is removed
    let failure = failure_kind(&outcome);
    if let (Some(_), Some(discard)) = (failure, discard) {
        if let Err(e) = discard.remove() {
            warn!(client = %peer, file = %name, error = %e, "tftp: cannot remove a failed upload");
        }
    }
    stats.finished(failure, took, if req.write { progress.bytes } else { 0 });
    let detail = match &outcome {
        Outcome::PeerError { code, message } => format!("peer error {code}: {message}"),
        Outcome::Io(e) => e.clone(),
        _ => String::new(),
    };
    info!(
        client = %peer,
        file = %name,
        op,
        mode = req.mode.as_str(),
        bytes = progress.bytes,
        blocks = progress.blocks,
        retransmissions = progress.retransmissions,
        duration_ms = took.as_millis() as u64,
        outcome = outcome.label(),
        detail = %detail,
        "tftp transfer"
    );
}

/// Runs a transfer's state machine against its socket until it finishes.
async fn drive(
    transfer: &mut (dyn Transfer + Send),
    socket: &UdpSocket,
    stop: &CancellationToken,
    stats: &TftpStats,
) -> Outcome {
    let mut buf = vec![0u8; RECV_BUF];
    let mut actions = transfer.start(Instant::now());
    let mut deadline = None;
    loop {
        for action in actions.drain(..) {
            match action {
                Action::Send(bytes) => match socket.send(&bytes).await {
                    Ok(n) => stats.sent(n),
                    Err(e) => {
                        transfer.abort();
                        return Outcome::Io(format!("send: {e}"));
                    }
                },
                Action::ArmTimer(at) => deadline = Some(tokio::time::Instant::from_std(at)),
                Action::Finished(outcome) => return outcome,
            }
        }
        let Some(at) = deadline else {
            // Every state that expects an answer arms a timer; without one nothing can happen.
            return Outcome::Io("transfer stalled without a timer".into());
        };
        tokio::select! {
            () = stop.cancelled() => actions = transfer.abort(),
            r = socket.recv(&mut buf) => match r {
                Ok(n) => actions = transfer.on_packet(buf.get(..n).unwrap_or(&[]), Instant::now()),
                Err(e) => {
                    // Typically ICMP port unreachable: the client is gone.
                    transfer.abort();
                    return Outcome::Io(format!("receive: {e}"));
                }
            },
            () = tokio::time::sleep_until(at) => actions = transfer.on_timeout(Instant::now()),
        }
    }
}

/// Concurrency limits: a semaphore for the total, a map for each client IP.
#[derive(Debug)]
struct Slots {
    total: Arc<Semaphore>,
    per_client: Mutex<HashMap<IpAddr, usize>>,
    max_per_client: usize,
    stats: Arc<TftpStats>,
}

/// A transfer's place within the limits; released on drop.
#[derive(Debug)]
struct Slot {
    _permit: OwnedSemaphorePermit,
    slots: Arc<Slots>,
    ip: IpAddr,
}

impl Slots {
    fn try_acquire(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
        let permit = self.total.clone().try_acquire_owned().ok()?;
        let mut map = self.per_client.lock().unwrap_or_else(|p| p.into_inner());
        let count = map.entry(ip).or_insert(0);
        if *count >= self.max_per_client {
            return None;
        }
        *count += 1;
        self.stats.enter();
        Some(Slot {
            _permit: permit,
            slots: self.clone(),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut map = self
            .slots
            .per_client
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(count) = map.get_mut(&self.ip) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                map.remove(&self.ip);
            }
        }
        self.slots.stats.leave();
    }
}
