//! Dynamic DNS updates as a service of the server (issue 17): the DNS updater of
//! [`leasehold_ddns`] on a task of its own, fed with the lease changes the store committed.
//!
//! ```text
//! packet loop ─ verdict (DnsIntent) ─► lease writer ─ commit ok ─► DnsFeed ─(bounded channel)─►
//!     updater task (leasehold_ddns::run) ─ UDP ─► the zones' primary servers
//! ```
//!
//! **Never on the ACK's path**: a lease's DNS work is handed to the updater only after its
//! commit, without waiting ([`DnsFeed::committed`] uses `try_send`; a full channel drops the
//! wish, counted in `leasehold_ddns_dropped_total`, and the next convergence or renewal brings it
//! back). The ACK itself was sent by the lease writer before: nothing here can delay it.
//!
//! **Convergence**: at start-up and after every reload, every lease of the table is turned into
//! a wish ([`wishes`]) and handed over at once ([`DnsFeed::converge`]): updates still owed when
//! the server stopped are recomputed from the lease table, not lost. The DHCID prerequisites
//! make repeating an update that was already applied harmless.
//!
//! The zones, servers and keys are read once at start-up (a change needs a restart; a reload
//! says so). A key file that cannot be read or used stops the start with the file and the reason;
//! secrets are never logged.

use crate::error::ServeError;
use leasehold_ddns::{
    Identity, Input, LeaseDns, Settings, SharedStats, Status, TsigKey, Updater, Want, Zone,
};
use leasehold_engine::config::ddns::DdnsConfig;
use leasehold_engine::ddns::{intent_for_lease, DnsIntent};
use leasehold_engine::{ClientKey, Config, Lease, LeaseState};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::info;

/// Wishes waiting for the updater task. Each is one lease; the updater coalesces per address.
const CHANNEL: usize = 16_384;

/// Hands committed lease changes to the updater task without ever waiting. Cloned into the
/// packet loop's commit callbacks.
#[derive(Clone)]
pub struct DnsFeed {
    tx: mpsc::Sender<Input>,
    dropped: Arc<AtomicU64>,
}

impl DnsFeed {
    /// Hands over the wishes of leases whose commit succeeded. A full channel drops (and
    /// counts) the rest.
    pub fn committed(&self, wishes: Vec<LeaseDns>) {
        for w in wishes {
            if self.tx.try_send(Input::Submit(w)).is_err() {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Hands over the wishes of every lease (after a start or a reload).
    pub fn converge(&self, wishes: Vec<LeaseDns>) {
        if wishes.is_empty() {
            return;
        }
        let n = wishes.len() as u64;
        if self.tx.try_send(Input::Converge(wishes)).is_err() {
            self.dropped.fetch_add(n, Ordering::Relaxed);
        }
    }
}

/// What `/metrics` and the alerts read of the updater.
#[derive(Clone, Debug)]
pub struct DnsStatus {
    shared: SharedStats,
    dropped: Arc<AtomicU64>,
}

impl DnsStatus {
    /// The updater's latest status.
    pub fn status(&self) -> Status {
        match self.shared.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Wishes dropped before they reached the updater (its channel was full).
    pub fn feed_dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// The running updater: its feed, its status and its task.
pub struct DnsService {
    /// Where the packet loop hands committed lease changes.
    pub feed: DnsFeed,
    /// For metrics and alerts.
    pub status: DnsStatus,
    /// The updater task (ends on the cancellation token).
    pub task: JoinHandle<()>,
}

/// Starts the updater when the configuration has `[ddns]` with at least one zone, and hands it
/// `initial`, the wishes of the lease table as loaded ([`wishes`]). Fails on a key file that
/// cannot be read or used, or when no UDP socket can be opened.
pub async fn start(
    config: &Config,
    initial: Vec<LeaseDns>,
    cancel: CancellationToken,
) -> Result<Option<DnsService>, ServeError> {
    let Some(ddns) = config.ddns.as_ref().filter(|d| !d.zones.is_empty()) else {
        return Ok(None);
    };
    let settings = settings(ddns)?;
    let zones = settings.zones.len();
    let updater = Updater::new(settings, crate::rogue::random_u64())
        .map_err(|e| ServeError::Ddns(format!("DNS updates: {e}")))?;
    let socket = tokio::net::UdpSocket::bind(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)))
        .await
        .map_err(|e| ServeError::Ddns(format!("DNS updates: cannot open a UDP socket: {e}")))?;
    let (tx, rx) = mpsc::channel(CHANNEL);
    let shared: SharedStats = Arc::new(Mutex::new(Status::default()));
    let dropped = Arc::new(AtomicU64::new(0));
    let feed = DnsFeed {
        tx,
        dropped: dropped.clone(),
    };
    info!(
        zones,
        leases = initial.len(),
        "DNS updates on; converging the zones with the lease table"
    );
    feed.converge(initial);
    let task = {
        let shared = shared.clone();
        tokio::spawn(async move {
            let _ = leasehold_ddns::run(updater, socket, rx, shared, cancel).await;
        })
    };
    Ok(Some(DnsService {
        feed,
        status: DnsStatus { shared, dropped },
        task,
    }))
}

/// The updater's settings from `[ddns]`: zones with their servers and keys (key files read
/// here).
pub fn settings(ddns: &DdnsConfig) -> Result<Settings, ServeError> {
    let mut zones = Vec::with_capacity(ddns.zones.len());
    for z in &ddns.zones {
        let key = match &z.key {
            None => None,
            Some(name) => {
                let k = ddns.key(name).ok_or_else(|| {
                    ServeError::Ddns(format!("DNS zone {}: no [[ddns.key]] named {name}", z.name))
                })?;
                let text = std::fs::read_to_string(&k.secret_file).map_err(|e| {
                    ServeError::Ddns(format!(
                        "DNS key {}: cannot read {}: {e}",
                        k.name,
                        k.secret_file.display()
                    ))
                })?;
                let key = TsigKey::from_file_text(&k.name, k.algorithm, &text).map_err(|e| {
                    ServeError::Ddns(format!(
                        "DNS key {} in {}: {e}",
                        k.name,
                        k.secret_file.display()
                    ))
                })?;
                Some(key)
            }
        };
        zones.push(Zone {
            name: z.name.clone(),
            server: z.server,
            key,
        });
    }
    Ok(Settings {
        zones,
        conflict: ddns.conflict_resolution,
        queue_limit: ddns.queue_limit,
        ..Settings::default()
    })
}

/// The DHCID identity of `client` (RFC 4701 §3.3).
pub fn identity(client: &ClientKey) -> Identity {
    match client {
        ClientKey::ClientId(id) => Identity::from_client_id(id),
        ClientKey::HwAddr(hw) => Identity::from_hwaddr(hw.htype(), hw.as_bytes()),
    }
}

/// The DNS wish of one committed lease record, with the engine's decision for it when the
/// record comes from an ACK (`intent`); `None` when DNS has nothing to do with it (no `[ddns]`
/// policy for its subnet, a bound lease without a name).
///
/// A bound lease holds its records; a record that ended (released, expired, declined, deleted)
/// wants them gone: the name the record carries is passed along, so a removal works also for
/// an address the updater has not seen since it started.
pub fn wish(config: &Config, lease: &Lease, intent: Option<&DnsIntent>) -> Option<LeaseDns> {
    let derived;
    let intent = match intent {
        Some(i) => Some(i),
        None => {
            derived = intent_for_lease(config, lease);
            derived.as_ref()
        }
    };
    if lease.state == LeaseState::Bound {
        let i = intent?;
        return Some(LeaseDns {
            addr: lease.addr,
            identity: identity(&i.client),
            want: Want::Present {
                fqdn: i.fqdn.clone(),
                forward: i.forward,
                reverse: i.reverse,
                ttl: i.ttl,
            },
            replaces: i.previous_fqdn.clone(),
        });
    }
    // Ended: only on subnets that update DNS.
    config.ddns_policy(config.subnet_for(lease.addr)?)?;
    let who = lease
        .client
        .clone()
        .or_else(|| lease.hwaddr.map(ClientKey::HwAddr))?;
    Some(LeaseDns {
        addr: lease.addr,
        identity: identity(intent.map_or(&who, |i| &i.client)),
        want: Want::Absent {
            fqdn: intent.map(|i| i.fqdn.clone()),
        },
        replaces: None,
    })
}

/// How long after a record ended convergence still asks for its records' removal: a record
/// that ended earlier was handled then (or by the restart after it).
pub const RECENTLY_ENDED_SECS: u64 = 86_400;

/// The wishes of every lease in `leases` at `now` (convergence): bound leases not yet run out,
/// and records that ended within [`RECENTLY_ENDED_SECS`].
pub fn wishes<'a>(
    config: &Config,
    leases: impl IntoIterator<Item = &'a Lease>,
    now: u64,
) -> Vec<LeaseDns> {
    leases
        .into_iter()
        .filter(|l| match l.state {
            LeaseState::Bound => l.expires > now,
            _ => l.starts.saturating_add(RECENTLY_ENDED_SECS) >= now,
        })
        .filter_map(|l| wish(config, l, None))
        .collect()
}

/// The `leasehold_ddns_*` metric families (see docs/metrics.md).
pub fn encode(
    status: &DnsStatus,
    enc: &mut prometheus_client::encoding::DescriptorEncoder<'_>,
) -> Result<(), std::fmt::Error> {
    use crate::metrics::{counter, counters, gauge1};
    let st = status.status();
    let s = &st.stats;
    counter(
        enc,
        "leasehold_ddns_updates_sent",
        "DNS UPDATE messages sent (RFC 2136), retries included",
        s.sent,
    )?;
    counter(
        enc,
        "leasehold_ddns_updates_ok",
        "DNS UPDATE messages the server applied (NOERROR, signed with the zone's key)",
        s.succeeded,
    )?;
    counters(
        enc,
        "leasehold_ddns_updates_failed",
        "DNS UPDATE messages that failed, by answer (retried with back-off)",
        &[
            (vec![("rcode", "refused")], s.failed_refused),
            (vec![("rcode", "notauth")], s.failed_notauth),
            (vec![("rcode", "notzone")], s.failed_notzone),
            (vec![("rcode", "formerr")], s.failed_formerr),
            (vec![("rcode", "servfail")], s.failed_servfail),
            (vec![("rcode", "other")], s.failed_other),
            (vec![("rcode", "timeout")], s.timeouts),
        ],
    )?;
    counter(
        enc,
        "leasehold_ddns_prerequisite_not_met",
        "Updates whose RFC 2136 prerequisite failed (a step of RFC 4703 conflict resolution)",
        s.prerequisite_not_met,
    )?;
    counter(
        enc,
        "leasehold_ddns_conflicts",
        "Names left alone because another client's DHCID holds them (RFC 4703)",
        s.conflicts,
    )?;
    counter(
        enc,
        "leasehold_ddns_dropped",
        "Lease changes whose DNS work was dropped (updater queue or channel full); convergence at the next reload or restart, or the next renewal, brings it back",
        s.dropped.saturating_add(status.feed_dropped()),
    )?;
    counter(
        enc,
        "leasehold_ddns_answers_ignored",
        "Datagrams on the updater's socket that answered nothing in flight, or whose TSIG did not verify",
        s.ignored.saturating_add(s.bad_tsig),
    )?;
    counter(
        enc,
        "leasehold_ddns_skipped_no_zone",
        "Forward or reverse halves skipped because no [[ddns.zone]] holds the name",
        s.skipped_no_zone,
    )?;
    gauge1(
        enc,
        "leasehold_ddns_pending",
        "Addresses with DNS work owed (queued, in flight or backing off)",
        s.pending as f64,
    )?;
    gauge1(
        enc,
        "leasehold_ddns_in_flight",
        "DNS UPDATE messages waiting for their answer",
        s.in_flight as f64,
    )?;
    gauge1(
        enc,
        "leasehold_ddns_refusing_servers",
        "DNS servers whose latest answers were refusals (REFUSED or NOTAUTH)",
        st.refusing.len() as f64,
    )?;
    Ok(())
}
