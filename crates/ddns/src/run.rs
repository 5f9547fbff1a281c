//! The updater's I/O loop: one UDP socket to every DNS server, wishes in through a channel.

use crate::settings::LeaseDns;
use crate::stats::DdnsStats;
use crate::updater::Updater;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tokio::net::UdpSocket;
use tokio::sync::mpsc::Receiver;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

/// Receive buffer: any UDP datagram fits.
const RECV_BUF: usize = 65_536;

/// A wish for the updater.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// [`Updater::submit`]: one lease changed.
    Submit(LeaseDns),
    /// [`Updater::converge`]: every lease, after a start or a reload.
    Converge(Vec<LeaseDns>),
}

/// What [`run()`] publishes after every event, for metrics and alerts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// The updater's counters.
    pub stats: DdnsStats,
    /// Servers whose latest answers were refusals (REFUSED or NOTAUTH: a wrong TSIG key or an
    /// update policy that does not allow Leasehold), with how many in a row.
    pub refusing: Vec<(SocketAddr, u32)>,
}

/// Where [`run()`] publishes the updater's [`Status`].
pub type SharedStats = Arc<Mutex<Status>>;

/// Runs `updater` over `socket` (bound by the caller, e.g. to `0.0.0.0:0`) until `cancel` is
/// cancelled: wishes from `rx`, answers from the socket, timeouts from the updater's clock.
/// After each event every pending message is sent and `stats` is refreshed. When `rx` closes
/// the loop goes on finishing the work owed until cancelled. Returns the updater, for its
/// final state.
pub async fn run(
    mut updater: Updater,
    socket: UdpSocket,
    mut rx: Receiver<Input>,
    stats: SharedStats,
    cancel: CancellationToken,
) -> Updater {
    let mut buf = vec![0u8; RECV_BUF];
    let mut rx_open = true;
    let mut refusing: Vec<SocketAddr> = Vec::new();
    info!(local = ?socket.local_addr().ok(), "DNS updater running");
    loop {
        flush(&mut updater, &socket).await;
        publish(&updater, &stats, &mut refusing);
        let deadline = updater.poll_timeout();
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            biased;
            _ = cancel.cancelled() => break,
            input = rx.recv(), if rx_open => match input {
                Some(Input::Submit(lease)) => updater.submit(lease, Instant::now()),
                Some(Input::Converge(leases)) => updater.converge(leases, Instant::now()),
                None => {
                    debug!("DNS updater input closed; finishing the work owed");
                    rx_open = false;
                }
            },
            received = socket.recv_from(&mut buf) => match received {
                Ok((len, from)) => {
                    if let Some(datagram) = buf.get(..len) {
                        updater.handle_datagram(from, datagram, Instant::now());
                    }
                }
                Err(e) => debug!("DNS updater receive failed: {e}"),
            },
            _ = sleep => updater.handle_timeout(Instant::now()),
        }
    }
    publish(&updater, &stats, &mut refusing);
    let s = updater.stats();
    info!(
        sent = s.sent,
        succeeded = s.succeeded,
        pending = s.pending,
        "DNS updater stopped"
    );
    updater
}

async fn flush(updater: &mut Updater, socket: &UdpSocket) {
    while let Some(t) = updater.poll_transmit(Instant::now(), unix_secs()) {
        if let Err(e) = socket.send_to(&t.payload, t.to).await {
            // The message stays in flight and times out: the retry logic covers it.
            warn!(server = %t.to, "sending a DNS update failed: {e}");
        }
    }
}

/// Publishes the status, and logs each server that starts or stops refusing updates (once per
/// change, not per answer: a refusing server is retried with back-off for as long as it refuses).
fn publish(updater: &Updater, stats: &SharedStats, refusing: &mut Vec<SocketAddr>) {
    let status = Status {
        stats: updater.stats(),
        refusing: updater.refusing_servers(1),
    };
    let now: Vec<SocketAddr> = status.refusing.iter().map(|(a, _)| *a).collect();
    for server in now.iter().filter(|a| !refusing.contains(a)) {
        warn!(%server, "DNS server refused an update (REFUSED or NOTAUTH): check the TSIG key and the zone's update policy; retrying with back-off");
    }
    for server in refusing.iter().filter(|a| !now.contains(a)) {
        info!(%server, "DNS server accepts updates again");
    }
    *refusing = now;
    match stats.lock() {
        Ok(mut g) => *g = status,
        Err(poisoned) => *poisoned.into_inner() = status,
    }
}

fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
