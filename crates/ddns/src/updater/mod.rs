//! [`Updater`]: every DNS update decision, no sockets, no clock, no randomness of its own.
//!
//! The caller feeds it wishes ([`Updater::submit`], [`Updater::converge`]), datagrams
//! ([`Updater::handle_datagram`]) and the passing of time ([`Updater::handle_timeout`]), and
//! sends what [`Updater::poll_transmit`] returns. [`crate::run()`] is that caller over a tokio
//! UDP socket; tests and the fuzz target drive it directly with injected time.
//!
//! Per address the updater keeps what the DNS holds because of it (which name's A and DHCID
//! may be ours, whether the PTR may be ours, and the last wish fully carried out) and at most
//! one job: the list of RFC 4703 update messages that turns that state into the latest wish.
//! A job whose message is in flight finishes that message before a newer wish replaces it;
//! a queued or backing-off job is replaced at once.

mod message;

use crate::dhcid::Identity;
use crate::error::DdnsError;
use crate::key::parse_name;
use crate::settings::{ConflictResolution, LeaseDns, Settings, Want};
use crate::stats::DdnsStats;
use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::{Name, TSigVerifier, TSigner};
use message::{build, reverse_name, Op, OpKind};
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};
use tracing::{debug, warn};

/// The most messages in flight per server that [`Settings::max_in_flight`] may ask for.
const MAX_IN_FLIGHT_CAP: usize = 4096;

/// A datagram to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// The DNS server.
    pub to: SocketAddr,
    /// The DNS UPDATE message, TSIG-signed when the zone has a key.
    pub payload: Vec<u8>,
}

struct ZoneInfo {
    name: Name,
    server: usize,
    signer: Option<TSigner>,
}

struct ServerInfo {
    addr: SocketAddr,
    in_flight: usize,
    /// Jobs whose next message goes to this server: (address, job sequence number). Entries of
    /// jobs replaced since are skipped when popped.
    ready: VecDeque<(Ipv4Addr, u64)>,
    refusals: u32,
}

/// What the DNS may hold because of us for one address, plus its job.
struct Entry {
    /// Nothing is known (never updated since start): removals also try what may be left over.
    fresh: bool,
    /// The last wish carried out completely.
    achieved: Option<LeaseDns>,
    /// The latest wish, while a job runs.
    desired: Option<LeaseDns>,
    /// A and DHCID at this name with this identity may be ours (set when an add is sent,
    /// cleared when a removal or a conflict proves otherwise).
    fwd_held: Option<(Name, Identity)>,
    /// The PTR of this address may be ours.
    ptr_held: bool,
    /// While `fresh`: the client's earlier name for the address ([`LeaseDns::replaces`]).
    replaces: Option<String>,
    job: Option<Job>,
}

impl Entry {
    fn new() -> Entry {
        Entry {
            fresh: true,
            achieved: None,
            desired: None,
            fwd_held: None,
            ptr_held: false,
            replaces: None,
            job: None,
        }
    }
}

struct Job {
    seq: u64,
    target: LeaseDns,
    ops: VecDeque<Op>,
    state: JobState,
    /// Consecutive failures (for the back-off).
    failures: u32,
}

enum JobState {
    Queued,
    InFlight {
        server: usize,
        id: u16,
        token: u64,
        deadline: Instant,
        verifier: Option<TSigVerifier>,
    },
    Backoff {
        token: u64,
        until: Instant,
    },
}

impl JobState {
    /// The timer this state armed, if any.
    fn timer(&self) -> Option<(Instant, u64)> {
        match self {
            JobState::Queued => None,
            JobState::InFlight {
                deadline, token, ..
            } => Some((*deadline, *token)),
            JobState::Backoff { until, token } => Some((*until, *token)),
        }
    }
}

/// How an answer moves a job on.
enum Outcome {
    /// The step is done.
    Done,
    /// The step is replaced by another (RFC 4703 §5.3.1 YXDOMAIN → §5.3.2).
    Replace(OpKind),
    /// Another client's DHCID holds the name.
    Conflict,
    /// The name is not ours any more: skip the rest of its removal.
    NotOurs,
    /// Retry after back-off.
    Fail,
}

/// The sans-I/O DNS updater. See the [module docs](self).
pub struct Updater {
    conflict: ConflictResolution,
    queue_limit: usize,
    timeout: Duration,
    max_backoff: Duration,
    max_in_flight: usize,
    zones: Vec<ZoneInfo>,
    servers: Vec<ServerInfo>,
    entries: HashMap<Ipv4Addr, Entry>,
    in_flight: HashMap<(usize, u16), Ipv4Addr>,
    /// (when, token, address): message timeouts and back-off ends; removed when the state that
    /// armed them ends, so the first one is always the next thing to do.
    timers: BTreeSet<(Instant, u64, Ipv4Addr)>,
    rng: u64,
    next_seq: u64,
    cursor: usize,
    jobs: usize,
    stats: DdnsStats,
}

impl fmt::Debug for Updater {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Updater")
            .field(
                "zones",
                &self
                    .zones
                    .iter()
                    .map(|z| {
                        (
                            z.name.to_ascii(),
                            self.servers[z.server].addr,
                            z.signer.is_some(),
                        )
                    })
                    .collect::<Vec<_>>(),
            )
            .field("addresses", &self.entries.len())
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl Updater {
    /// An updater for `settings`. `seed` seeds the message ids (pass something random in
    /// production, a constant in tests). Fails on an invalid zone name or key, a duplicate zone,
    /// or `max_in_flight` 0.
    pub fn new(settings: Settings, seed: u64) -> Result<Updater, DdnsError> {
        if settings.max_in_flight == 0 {
            return Err(DdnsError::Settings(
                "max_in_flight must be at least 1".into(),
            ));
        }
        if settings.timeout.is_zero() {
            return Err(DdnsError::Settings("timeout must be more than 0".into()));
        }
        let mut zones: Vec<ZoneInfo> = Vec::new();
        let mut servers: Vec<ServerInfo> = Vec::new();
        for z in &settings.zones {
            let name = parse_name(&z.name)?;
            if zones.iter().any(|o| o.name == name) {
                return Err(DdnsError::Settings(format!(
                    "zone {} is listed twice",
                    z.name
                )));
            }
            let server = match servers.iter().position(|s| s.addr == z.server) {
                Some(i) => i,
                None => {
                    servers.push(ServerInfo {
                        addr: z.server,
                        in_flight: 0,
                        ready: VecDeque::new(),
                        refusals: 0,
                    });
                    servers.len() - 1
                }
            };
            let signer = z.key.as_ref().map(|k| k.signer()).transpose()?;
            zones.push(ZoneInfo {
                name,
                server,
                signer,
            });
        }
        Ok(Updater {
            conflict: settings.conflict,
            queue_limit: settings.queue_limit,
            timeout: settings.timeout,
            max_backoff: settings.max_backoff.max(Duration::from_secs(1)),
            max_in_flight: settings.max_in_flight.min(MAX_IN_FLIGHT_CAP),
            zones,
            servers,
            entries: HashMap::new(),
            in_flight: HashMap::new(),
            timers: BTreeSet::new(),
            rng: seed,
            next_seq: 1,
            cursor: 0,
            jobs: 0,
            stats: DdnsStats::default(),
        })
    }

    /// Records the wish for `lease.addr`. Nothing is sent when it equals what was last carried
    /// out for the address; a wish replaces any queued work for the address (work in flight
    /// finishes first). When `queue_limit` addresses already have work owed, a wish that would
    /// add one more is dropped and counted ([`DdnsStats::dropped`]): [`Updater::converge`]
    /// catches up later.
    pub fn submit(&mut self, lease: LeaseDns, now: Instant) {
        self.wish(lease, now, true);
    }

    /// Records the wishes for every lease after a start or a reload, like [`Updater::submit`]
    /// but not bounded by `queue_limit`. Addresses the updater knows nothing about get their
    /// updates sent (the DHCID prerequisites make that safe to repeat); an `Absent` wish for
    /// such an address also removes a PTR and, when `fqdn` is given, A and DHCID left over by
    /// this client. Addresses not listed are not touched.
    pub fn converge(&mut self, leases: impl IntoIterator<Item = LeaseDns>, now: Instant) {
        for lease in leases {
            self.wish(lease, now, false);
        }
    }

    /// The next message to send, if any (call until `None` after every event).
    pub fn poll_transmit(&mut self, now: Instant, unix_secs: u64) -> Option<Transmit> {
        let n = self.servers.len();
        for k in 0..n {
            let s = (self.cursor + k) % n;
            while self.servers[s].in_flight < self.max_in_flight {
                let Some((addr, seq)) = self.servers[s].ready.pop_front() else {
                    break;
                };
                if !self.is_queued_for(addr, seq, s) {
                    continue;
                }
                if let Some(t) = self.send(addr, s, now, unix_secs) {
                    self.cursor = (s + 1) % n;
                    return Some(t);
                }
            }
        }
        None
    }

    /// Handles a datagram from `from`. Only an UPDATE response whose id and source match a
    /// message in flight is used; anything else is counted in [`DdnsStats::ignored`]. Never
    /// panics, whatever the bytes.
    pub fn handle_datagram(&mut self, from: SocketAddr, payload: &[u8], now: Instant) {
        let (Some(&hi), Some(&lo)) = (payload.first(), payload.get(1)) else {
            self.stats.ignored += 1;
            return;
        };
        let id = u16::from_be_bytes([hi, lo]);
        let Some(s) = self.servers.iter().position(|sv| sv.addr == from) else {
            self.stats.ignored += 1;
            return;
        };
        let Some(&addr) = self.in_flight.get(&(s, id)) else {
            self.stats.ignored += 1;
            return;
        };
        let Ok(msg) = Message::from_vec(payload) else {
            debug!(server = %from, id, "malformed answer ignored");
            self.stats.ignored += 1;
            return;
        };
        if msg.metadata.message_type != MessageType::Response
            || msg.metadata.op_code != OpCode::Update
        {
            self.stats.ignored += 1;
            return;
        }
        let rcode = msg.metadata.response_code;
        let Some(job) = self.entries.get_mut(&addr).and_then(|e| e.job.as_mut()) else {
            // Cannot happen: in_flight only names addresses with a job in flight.
            self.in_flight.remove(&(s, id));
            self.stats.ignored += 1;
            return;
        };
        let JobState::InFlight { verifier, .. } = &mut job.state else {
            self.in_flight.remove(&(s, id));
            self.stats.ignored += 1;
            return;
        };
        // The message parsed, so hickory's TSIG parser sees consistent section counts.
        let verified = verifier.as_mut().is_none_or(|v| v.verify(payload).is_ok());
        let decisive = matches!(
            rcode,
            ResponseCode::NoError
                | ResponseCode::YXDomain
                | ResponseCode::YXRRSet
                | ResponseCode::NXRRSet
        );
        if !verified && decisive {
            debug!(server = %from, id, %rcode, "answer with a bad or missing TSIG ignored");
            self.stats.bad_tsig += 1;
            return;
        }
        if let Some((when, token)) = job.state.timer() {
            self.timers.remove(&(when, token, addr));
        }
        job.state = JobState::Queued;
        self.in_flight.remove(&(s, id));
        let server = &mut self.servers[s];
        server.in_flight = server.in_flight.saturating_sub(1);
        if matches!(rcode, ResponseCode::Refused | ResponseCode::NotAuth) {
            server.refusals = server.refusals.saturating_add(1);
        } else {
            server.refusals = 0;
        }
        self.on_answer(addr, rcode, now);
    }

    /// When [`Updater::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.first().map(|t| t.0)
    }

    /// Handles timeouts of messages in flight and ends of back-off due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(&(when, token, addr)) = self.timers.first() {
            if when > now {
                break;
            }
            self.timers.pop_first();
            let Some(job) = self.entries.get_mut(&addr).and_then(|e| e.job.as_mut()) else {
                continue;
            };
            match job.state {
                JobState::InFlight {
                    server,
                    id,
                    token: t,
                    ..
                } if t == token => {
                    job.state = JobState::Queued;
                    self.in_flight.remove(&(server, id));
                    let sv = &mut self.servers[server];
                    sv.in_flight = sv.in_flight.saturating_sub(1);
                    self.stats.timeouts += 1;
                    debug!(%addr, server = %sv.addr, id, "update timed out");
                    self.fail(addr, now);
                }
                JobState::Backoff { token: t, .. } if t == token => {
                    job.state = JobState::Queued;
                    let seq = job.seq;
                    if let Some(s) = job.ops.front().map(|op| self.zones[op.zone].server) {
                        self.servers[s].ready.push_back((addr, seq));
                    }
                }
                _ => {}
            }
        }
    }

    /// Servers whose last `at_least` or more answers in a row were REFUSED or NOTAUTH (a
    /// wrong key or a missing `update-policy`), with that count: worth an alert.
    pub fn refusing_servers(&self, at_least: u32) -> Vec<(SocketAddr, u32)> {
        self.servers
            .iter()
            .filter(|s| s.refusals >= at_least.max(1))
            .map(|s| (s.addr, s.refusals))
            .collect()
    }

    /// The counters, with the `pending` and `in_flight` gauges filled in.
    pub fn stats(&self) -> DdnsStats {
        let mut s = self.stats.clone();
        s.pending = self.jobs as u64;
        s.in_flight = self.in_flight.len() as u64;
        s
    }

    /// Whether no address has work owed.
    pub fn is_idle(&self) -> bool {
        self.jobs == 0
    }

    // ---- internals ----

    fn wish(&mut self, mut lease: LeaseDns, _now: Instant, bounded: bool) {
        let addr = lease.addr;
        // Not part of the wish: kept by the entry while it knows nothing.
        let replaces = lease.replaces.take();
        if let Some(e) = self.entries.get_mut(&addr) {
            if e.fresh && replaces.is_some() {
                e.replaces.clone_from(&replaces);
            }
            if let Some(job) = &e.job {
                let in_flight = matches!(job.state, JobState::InFlight { .. });
                e.desired = Some(lease);
                if !in_flight {
                    // Queued or backing off: replace it now (its queue entry goes stale).
                    if let Some((when, token)) = job.state.timer() {
                        self.timers.remove(&(when, token, addr));
                    }
                    self.restart(addr);
                }
                return;
            }
            if e.achieved.as_ref() == Some(&lease) {
                return;
            }
        }
        let held = match self.entries.get(&addr) {
            Some(e) => Held::of(e),
            None => Held {
                fresh: true,
                fwd: None,
                ptr: false,
                replaces: replaces.clone(),
            },
        };
        let ops = self.plan(&held, &lease);
        if !ops.is_empty() && bounded && self.jobs >= self.queue_limit {
            self.stats.dropped += 1;
            debug!(%addr, "DNS update queue full: wish dropped");
            return;
        }
        let e = self.entries.entry(addr).or_insert_with(Entry::new);
        if e.fresh && e.replaces.is_none() {
            e.replaces = replaces;
        }
        if ops.is_empty() {
            e.achieved = Some(lease);
            e.fresh = false;
            e.replaces = None;
            return;
        }
        e.desired = Some(lease);
        self.begin(addr, ops);
    }

    /// Plans and begins a job for the entry's `desired` wish (or records it as achieved when
    /// there is nothing to do).
    fn start(&mut self, addr: Ipv4Addr) {
        let Some(e) = self.entries.get(&addr) else {
            return;
        };
        let Some(lease) = e.desired.clone() else {
            return;
        };
        let held = Held::of(e);
        let ops = self.plan(&held, &lease);
        if ops.is_empty() {
            if let Some(e) = self.entries.get_mut(&addr) {
                e.achieved = Some(lease);
                e.desired = None;
                e.fresh = false;
                e.replaces = None;
            }
            return;
        }
        self.begin(addr, ops);
    }

    fn begin(&mut self, addr: Ipv4Addr, ops: VecDeque<Op>) {
        let seq = self.next_seq();
        let Some(e) = self.entries.get_mut(&addr) else {
            return;
        };
        let Some(target) = e.desired.clone() else {
            return;
        };
        let Some(server) = ops.front().map(|op| self.zones[op.zone].server) else {
            return;
        };
        e.achieved = None;
        e.job = Some(Job {
            seq,
            target,
            ops,
            state: JobState::Queued,
            failures: 0,
        });
        self.jobs += 1;
        self.servers[server].ready.push_back((addr, seq));
    }

    fn next_seq(&mut self) -> u64 {
        let s = self.next_seq;
        self.next_seq += 1;
        s
    }

    /// splitmix64.
    fn next_random(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn is_queued_for(&self, addr: Ipv4Addr, seq: u64, server: usize) -> bool {
        self.entries
            .get(&addr)
            .and_then(|e| e.job.as_ref())
            .is_some_and(|j| {
                j.seq == seq
                    && matches!(j.state, JobState::Queued)
                    && j.ops
                        .front()
                        .is_some_and(|op| self.zones[op.zone].server == server)
            })
    }

    fn send(&mut self, addr: Ipv4Addr, s: usize, now: Instant, unix_secs: u64) -> Option<Transmit> {
        let id = loop {
            let id = self.next_random() as u16;
            if !self.in_flight.contains_key(&(s, id)) {
                break id;
            }
        };
        let token = self.next_seq();
        let (op, identity) = {
            let job = self.entries.get(&addr)?.job.as_ref()?;
            (job.ops.front()?.clone(), job.target.identity.clone())
        };
        let zone = &self.zones[op.zone];
        let mut msg = build(&op, &zone.name, addr, id);
        let verifier = match &zone.signer {
            Some(signer) => match msg.finalize(signer, unix_secs) {
                Ok(v) => v,
                Err(e) => {
                    warn!(%addr, name = %op.name, "cannot sign the update: {e}");
                    self.stats.encode_errors += 1;
                    self.fail(addr, now);
                    return None;
                }
            },
            None => None,
        };
        let payload = match msg.to_vec() {
            Ok(p) => p,
            Err(e) => {
                warn!(%addr, name = %op.name, "cannot encode the update: {e}");
                self.stats.encode_errors += 1;
                self.fail(addr, now);
                return None;
            }
        };
        let e = self.entries.get_mut(&addr)?;
        let job = e.job.as_mut()?;
        let deadline = now + self.timeout;
        job.state = JobState::InFlight {
            server: s,
            id,
            token,
            deadline,
            verifier,
        };
        match op.kind {
            OpKind::AddFwdFirst | OpKind::AddFwdOurs | OpKind::AddFwdNoCheck => {
                e.fwd_held = Some((op.name.clone(), identity));
            }
            OpKind::AddPtr => e.ptr_held = true,
            _ => {}
        }
        self.timers.insert((deadline, token, addr));
        self.in_flight.insert((s, id), addr);
        let server = &mut self.servers[s];
        server.in_flight += 1;
        self.stats.sent += 1;
        debug!(%addr, name = %op.name, step = op.kind.label(), server = %server.addr, id, "DNS update sent");
        Some(Transmit {
            to: server.addr,
            payload,
        })
    }

    fn on_answer(&mut self, addr: Ipv4Addr, rcode: ResponseCode, now: Instant) {
        let Some(op) = self
            .entries
            .get(&addr)
            .and_then(|e| e.job.as_ref())
            .and_then(|j| j.ops.front().cloned())
        else {
            return;
        };
        use OpKind::*;
        use ResponseCode::*;
        let outcome = match (op.kind, rcode) {
            (_, NoError) => Outcome::Done,
            (AddFwdFirst, YXDomain) => Outcome::Replace(AddFwdOurs),
            (AddFwdOurs, NXRRSet) => Outcome::Conflict,
            (RemFwdA, NXRRSet) => Outcome::NotOurs,
            (RemFwdDhcid, NXRRSet | YXRRSet) => Outcome::Done,
            _ => Outcome::Fail,
        };
        match (&outcome, rcode) {
            (_, NoError) => self.stats.succeeded += 1,
            (Outcome::Fail, Refused) => self.stats.failed_refused += 1,
            (Outcome::Fail, NotAuth) => self.stats.failed_notauth += 1,
            (Outcome::Fail, NotZone) => self.stats.failed_notzone += 1,
            (Outcome::Fail, FormErr) => self.stats.failed_formerr += 1,
            (Outcome::Fail, ServFail) => self.stats.failed_servfail += 1,
            (Outcome::Fail, _) => self.stats.failed_other += 1,
            _ => self.stats.prerequisite_not_met += 1,
        }
        let Some(e) = self.entries.get_mut(&addr) else {
            return;
        };
        let Some(job) = e.job.as_mut() else {
            return;
        };
        let held_here = e.fwd_held.as_ref().is_some_and(|(n, _)| *n == op.name);
        match outcome {
            Outcome::Fail => {
                debug!(%addr, name = %op.name, step = op.kind.label(), %rcode, "DNS update failed");
                self.fail(addr, now);
                return;
            }
            Outcome::Done => {
                match op.kind {
                    RemFwdDhcid | RemFwdNoCheck if held_here => e.fwd_held = None,
                    RemPtr => e.ptr_held = false,
                    _ => {}
                }
                job.ops.pop_front();
            }
            Outcome::Replace(kind) => {
                if let Some(front) = job.ops.front_mut() {
                    front.kind = kind;
                }
            }
            Outcome::Conflict => {
                self.stats.conflicts += 1;
                warn!(name = %op.name, %addr, "DNS name conflict: another client's DHCID holds the name; left alone, no PTR");
                if held_here {
                    e.fwd_held = None;
                }
                job.ops.pop_front();
                job.ops.retain(|o| o.kind != AddPtr);
            }
            Outcome::NotOurs => {
                debug!(name = %op.name, %addr, "name no longer carries our DHCID: forward removal skipped");
                if held_here {
                    e.fwd_held = None;
                }
                job.ops.pop_front();
                job.ops
                    .retain(|o| !(o.kind == RemFwdDhcid && o.name == op.name));
            }
        }
        job.failures = 0;
        self.advance(addr);
    }

    /// Drops the job of `addr` and plans its latest wish.
    fn restart(&mut self, addr: Ipv4Addr) {
        if let Some(e) = self.entries.get_mut(&addr) {
            if e.job.take().is_some() {
                self.jobs -= 1;
            }
        }
        self.start(addr);
    }

    /// When a newer wish superseded the job of `addr`: [`Self::restart`]s it and says so.
    fn replan_if_superseded(&mut self, addr: Ipv4Addr) -> bool {
        let superseded = self.entries.get(&addr).is_some_and(|e| {
            e.job
                .as_ref()
                .is_some_and(|j| e.desired.as_ref() != Some(&j.target))
        });
        if superseded {
            self.restart(addr);
        }
        superseded
    }

    /// After a step: replan if the wish changed, finish if no step is left, else queue the next.
    fn advance(&mut self, addr: Ipv4Addr) {
        if self.replan_if_superseded(addr) {
            return;
        }
        let Some(e) = self.entries.get_mut(&addr) else {
            return;
        };
        let Some(job) = e.job.as_mut() else {
            return;
        };
        let Some(next) = job.ops.front() else {
            let target = job.target.clone();
            e.job = None;
            e.achieved = Some(target);
            e.desired = None;
            e.fresh = false;
            e.replaces = None;
            self.jobs -= 1;
            return;
        };
        job.state = JobState::Queued;
        let server = self.zones[next.zone].server;
        self.servers[server].ready.push_back((addr, job.seq));
    }

    /// A step failed (or timed out): back off, unless a newer wish replaces the job.
    fn fail(&mut self, addr: Ipv4Addr, now: Instant) {
        if self.replan_if_superseded(addr) {
            return;
        }
        let token = self.next_seq();
        let max_backoff = self.max_backoff;
        let Some(job) = self.entries.get_mut(&addr).and_then(|e| e.job.as_mut()) else {
            return;
        };
        job.failures = job.failures.saturating_add(1);
        let delay = backoff(job.failures, max_backoff);
        let until = now + delay;
        job.state = JobState::Backoff { token, until };
        self.timers.insert((until, token, addr));
    }

    /// The steps that turn `held` into `lease`'s wish. Halves without a zone are skipped and
    /// counted.
    fn plan(&mut self, held: &Held, lease: &LeaseDns) -> VecDeque<Op> {
        let mut ops = VecDeque::new();
        let rev = reverse_name(lease.addr);
        match &lease.want {
            Want::Present {
                fqdn,
                forward,
                reverse,
                ttl,
            } => {
                let name = parse_name(fqdn).ok();
                if name.is_none() {
                    self.stats.bad_names += 1;
                    debug!(addr = %lease.addr, fqdn, "not a valid DNS name: no records for it");
                }
                let fwd_target = name.clone().filter(|_| *forward);
                if let Some((old, old_id)) = &held.fwd {
                    if fwd_target.as_ref() != Some(old) || *old_id != lease.identity {
                        self.push_remove_fwd(&mut ops, old, old_id);
                    }
                } else if let Some(old) = held.replaces.as_deref().and_then(|o| parse_name(o).ok())
                {
                    // After a restart: the client's earlier name, if its records are still ours.
                    if fwd_target.as_ref() != Some(&old) {
                        self.push_remove_fwd(&mut ops, &old, &lease.identity);
                    }
                }
                if let Some(n) = &fwd_target {
                    let kind = match self.conflict {
                        ConflictResolution::CheckWithDhcid => OpKind::AddFwdFirst,
                        ConflictResolution::NoCheckWithDhcid => OpKind::AddFwdNoCheck,
                    };
                    self.push_fwd(&mut ops, &[kind], n, &lease.identity, *ttl);
                }
                match (&name, *reverse) {
                    (Some(n), true) => self.push_ptr(&mut ops, OpKind::AddPtr, rev, n, *ttl),
                    _ if held.ptr => {
                        let n = name.clone().unwrap_or_else(Name::root);
                        self.push_ptr(&mut ops, OpKind::RemPtr, rev, &n, 0);
                    }
                    _ => {}
                }
            }
            Want::Absent { fqdn } => {
                if let Some((old, old_id)) = &held.fwd {
                    self.push_remove_fwd(&mut ops, old, old_id);
                } else if held.fresh {
                    if let Some(f) = fqdn {
                        match parse_name(f) {
                            Ok(n) => self.push_remove_fwd(&mut ops, &n, &lease.identity),
                            Err(_) => self.stats.bad_names += 1,
                        }
                    }
                }
                if held.ptr || held.fresh {
                    self.push_ptr(&mut ops, OpKind::RemPtr, rev, &Name::root(), 0);
                }
            }
        }
        ops
    }

    fn push_remove_fwd(&mut self, ops: &mut VecDeque<Op>, name: &Name, identity: &Identity) {
        let kinds: &[OpKind] = match self.conflict {
            ConflictResolution::CheckWithDhcid => &[OpKind::RemFwdA, OpKind::RemFwdDhcid],
            ConflictResolution::NoCheckWithDhcid => &[OpKind::RemFwdNoCheck],
        };
        self.push_fwd(ops, kinds, name, identity, 0);
    }

    fn push_fwd(
        &mut self,
        ops: &mut VecDeque<Op>,
        kinds: &[OpKind],
        name: &Name,
        identity: &Identity,
        ttl: u32,
    ) {
        let Some(zone) = self.find_zone(name) else {
            self.stats.skipped_no_zone += 1;
            debug!(%name, "no zone configured for the name: forward update skipped");
            return;
        };
        let Ok(dhcid) = identity.dhcid_for(name) else {
            self.stats.bad_names += 1;
            return;
        };
        for &kind in kinds {
            ops.push_back(Op {
                kind,
                zone,
                name: name.clone(),
                fqdn: name.clone(),
                dhcid: dhcid.clone(),
                ttl,
            });
        }
    }

    fn push_ptr(
        &mut self,
        ops: &mut VecDeque<Op>,
        kind: OpKind,
        rev: Option<Name>,
        fqdn: &Name,
        ttl: u32,
    ) {
        let Some((rev, zone)) = rev.and_then(|r| self.find_zone(&r).map(|z| (r, z))) else {
            self.stats.skipped_no_zone += 1;
            debug!("no reverse zone configured for the address: PTR update skipped");
            return;
        };
        ops.push_back(Op {
            kind,
            zone,
            name: rev,
            fqdn: fqdn.clone(),
            dhcid: Vec::new(),
            ttl,
        });
    }

    /// The longest configured zone containing `name`.
    fn find_zone(&self, name: &Name) -> Option<usize> {
        self.zones
            .iter()
            .enumerate()
            .filter(|(_, z)| z.name.zone_of(name))
            .max_by_key(|(_, z)| z.name.num_labels())
            .map(|(i, _)| i)
    }
}

/// A snapshot of what an entry may hold, for planning.
struct Held {
    fresh: bool,
    fwd: Option<(Name, Identity)>,
    ptr: bool,
    /// The client's earlier name, while nothing is known ([`LeaseDns::replaces`]).
    replaces: Option<String>,
}

impl Held {
    fn of(e: &Entry) -> Held {
        Held {
            fresh: e.fresh,
            fwd: e.fwd_held.clone(),
            ptr: e.ptr_held,
            replaces: e.replaces.clone().filter(|_| e.fresh),
        }
    }
}

/// 1 s, 2 s, 4 s, ... capped at `max`.
fn backoff(failures: u32, max: Duration) -> Duration {
    let exp = failures.saturating_sub(1).min(20);
    Duration::from_secs(1u64 << exp).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let max = Duration::from_secs(30);
        let got: Vec<u64> = (1..=7).map(|n| backoff(n, max).as_secs()).collect();
        assert_eq!(got, [1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(backoff(u32::MAX, max), max);
    }

    #[test]
    fn reverse_names() {
        assert_eq!(
            reverse_name(Ipv4Addr::new(198, 18, 0, 10)).map(|n| n.to_ascii()),
            Some("10.0.18.198.in-addr.arpa.".to_string())
        );
    }
}
