//! Which OFFERs/ACKs from other servers are worth telling anyone about: trust, de-duplication and
//! rate limits, sans I/O and in fixed-size state.
//!
//! [`Sightings::observe`] is given every reply the monitor reads and the time (whole seconds on
//! any monotonic clock), and returns a [`Sighting`] only when something should happen:
//!
//! - A reply from a **trusted** server (our own addresses, the configured server id,
//!   `[security] allowed_servers`; see [`Sightings::set_trusted`]) is never a sighting.
//! - **Log**: a server is logged (`rogue_dhcp_server`) when first seen and again at most once per
//!   [`REALERT`] while it keeps answering ([`Sighting::log`]). Across all servers at most
//!   [`LOGS_PER_MINUTE`] lines a minute are logged, so forged server ids cannot flood the log;
//!   a log line refused by that budget is counted and the server is logged with its next reply
//!   after the budget renews. [`Sightings::take_unlogged`] reports the count for a summary line.
//! - **Alert refresh**: every returned sighting is meant for the alerts
//!   ([`crate::alerts::Alerts::raise_rogue`]), and one is returned at most once per [`REFRESH`]
//!   per server — not per packet. The alert of a server clears when it was not refreshed for the
//!   alerts' `window` (never less than [`crate::alerts::ROGUE_MIN_QUIET`], twice [`REFRESH`]),
//!   so a rogue server that keeps answering stays raised — each reply more than [`REFRESH`]
//!   after the last refresh refreshes it — and one that stops answering clears one quiet window
//!   after its last refresh.
//! - **Bounded**: at most [`CAPACITY`] servers are remembered. A new server when the table is
//!   full evicts the one heard from longest ago ([`Sightings::evicted`] counts them); a server
//!   that keeps answering is therefore never the one evicted unless [`CAPACITY`] other servers
//!   answered since its last reply. An evicted server that comes back is a new sighting.

use super::reply::{RogueServer, ServerReply};
use std::collections::{HashMap, HashSet};
use std::net::Ipv4Addr;
use std::time::Duration;

/// A server seen answering on a served link is logged again after this long.
pub const REALERT: Duration = Duration::from_secs(300);
/// A server that keeps answering refreshes its alert at most this often.
pub const REFRESH: Duration = Duration::from_secs(10);
/// Most distinct servers remembered.
pub const CAPACITY: usize = 256;
/// Most `rogue_dhcp_server` log lines a minute, over all servers.
pub const LOGS_PER_MINUTE: u32 = 20;

/// What to do about one reply from an untrusted server: refresh (or raise) its alert, and log it
/// when [`log`](Self::log) says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sighting {
    /// Who answered (server id and MAC from the reply itself).
    pub server: RogueServer,
    /// Log it: first sighting, or first after [`REALERT`] (within the log budget).
    pub log: bool,
}

/// What is remembered of one server (seconds on the caller's clock).
#[derive(Clone, Copy, Debug)]
struct Seen {
    /// Position of its last reply among all replies observed (least recently heard is evicted).
    order: u64,
    /// Last sighting returned (alert refresh).
    refreshed: u64,
    /// Last log line, `None` before the first.
    logged: Option<u64>,
}

/// The de-duplication and trust state of the rogue monitor; see the module documentation.
#[derive(Debug)]
pub struct Sightings {
    trusted: HashSet<Ipv4Addr>,
    servers: HashMap<Ipv4Addr, Seen>,
    /// Replies observed from untrusted servers (numbers `Seen::order`).
    observed: u64,
    evicted: u64,
    /// Minute (`now / 60`) the log budget is counted in, and lines logged in it.
    budget_minute: u64,
    budget_used: u32,
    /// Log lines refused by the budget since the last [`take_unlogged`](Self::take_unlogged).
    unlogged: u64,
    /// When `take_unlogged` last returned a count.
    summarised: Option<u64>,
}

impl Sightings {
    /// Empty state trusting the servers in `trusted`.
    pub fn new(trusted: impl IntoIterator<Item = Ipv4Addr>) -> Sightings {
        Sightings {
            trusted: trusted.into_iter().collect(),
            servers: HashMap::with_capacity(CAPACITY),
            observed: 0,
            evicted: 0,
            budget_minute: 0,
            budget_used: 0,
            unlogged: 0,
            summarised: None,
        }
    }

    /// Replaces the trusted servers (our addresses may have changed); forgets every server now
    /// trusted.
    pub fn set_trusted(&mut self, trusted: impl IntoIterator<Item = Ipv4Addr>) {
        self.trusted = trusted.into_iter().collect();
        let trusted = &self.trusted;
        self.servers.retain(|id, _| !trusted.contains(id));
    }

    /// Whether replies from `server_id` are ignored.
    pub fn is_trusted(&self, server_id: Ipv4Addr) -> bool {
        self.trusted.contains(&server_id)
    }

    /// Handles one reply at `now` (seconds); `Some` when it should refresh the alerts (and
    /// maybe be logged).
    pub fn observe(&mut self, reply: &ServerReply, now: u64) -> Option<Sighting> {
        let id = reply.server_id;
        if self.trusted.contains(&id) {
            return None;
        }
        self.observed += 1;
        let seen = match self.servers.get(&id) {
            Some(s) => *s,
            None => {
                self.make_room();
                Seen {
                    order: 0,
                    refreshed: 0,
                    logged: None,
                }
            }
        };
        let is_new = !self.servers.contains_key(&id);
        let refresh_due = is_new || now.saturating_sub(seen.refreshed) >= REFRESH.as_secs();
        let log_due = seen
            .logged
            .is_none_or(|t| now.saturating_sub(t) >= REALERT.as_secs());
        let log = log_due && self.take_budget(now);
        if log_due && !log && refresh_due {
            self.unlogged += 1;
        }
        let emit = refresh_due || log;
        self.servers.insert(
            id,
            Seen {
                order: self.observed,
                refreshed: if emit { now } else { seen.refreshed },
                logged: if log { Some(now) } else { seen.logged },
            },
        );
        emit.then(|| Sighting {
            server: RogueServer::from(reply),
            log,
        })
    }

    /// Log lines refused by the budget since the last count returned, for one summary line:
    /// `Some` at most once a minute (`now` in seconds), and only when there were any.
    pub fn take_unlogged(&mut self, now: u64) -> Option<u64> {
        let due = self.summarised.is_none_or(|t| now.saturating_sub(t) >= 60);
        if self.unlogged == 0 || !due {
            return None;
        }
        self.summarised = Some(now);
        Some(std::mem::take(&mut self.unlogged))
    }

    /// Servers remembered now (never more than [`capacity`](Self::capacity)).
    pub fn len(&self) -> usize {
        self.servers.len()
    }

    /// Whether no server is remembered.
    pub fn is_empty(&self) -> bool {
        self.servers.is_empty()
    }

    /// Most servers remembered: [`CAPACITY`].
    pub fn capacity(&self) -> usize {
        CAPACITY
    }

    /// Servers forgotten to make room for new ones, since start.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Evicts the server heard from least recently when the table is full.
    fn make_room(&mut self) {
        if self.servers.len() < CAPACITY {
            return;
        }
        let oldest = self
            .servers
            .iter()
            .min_by_key(|(_, s)| s.order)
            .map(|(id, _)| *id);
        if let Some(id) = oldest {
            self.servers.remove(&id);
            self.evicted += 1;
        }
    }

    /// Takes one log line from this minute's budget; false when it is spent.
    fn take_budget(&mut self, now: u64) -> bool {
        if now / 60 != self.budget_minute {
            self.budget_minute = now / 60;
            self.budget_used = 0;
        }
        if self.budget_used >= LOGS_PER_MINUTE {
            return false;
        }
        self.budget_used += 1;
        true
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::rogue::reply::MacSource;
    use leasehold_net::MacAddr;
    use std::net::SocketAddrV4;

    /// An OFFER from `server`, built in memory.
    pub(crate) fn reply(server: Ipv4Addr) -> ServerReply {
        ServerReply {
            server_id: server,
            source: SocketAddrV4::new(server, 67),
            kind: "DHCPOFFER",
            yiaddr: Ipv4Addr::new(198, 18, 0, 50),
            routers: Vec::new(),
            dns: Vec::new(),
            lease_time: Some(600),
            xid: 1,
            iface: None,
            mac: Some(MacAddr([2, 0, 0, 0, 0, 9])),
            mac_source: MacSource::PacketSocket,
        }
    }

    const ROGUE: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 66);

    #[test]
    fn trusted_servers_are_never_sightings() {
        let ours = Ipv4Addr::new(198, 18, 0, 1);
        let mut s = Sightings::new([ours]);
        assert_eq!(s.observe(&reply(ours), 0), None);
        assert!(s.observe(&reply(ROGUE), 0).is_some());
        s.set_trusted([ours, ROGUE]);
        assert!(s.is_empty(), "a server trusted now is forgotten");
        assert_eq!(s.observe(&reply(ROGUE), 100), None);
    }

    #[test]
    fn logged_once_per_realert_and_refreshed_once_per_refresh() {
        let mut s = Sightings::new([]);
        let first = s.observe(&reply(ROGUE), 1000).expect("first sighting");
        assert!(first.log);
        assert_eq!(first.server.mac, Some(MacAddr([2, 0, 0, 0, 0, 9])));
        // Every second for ten minutes: one sighting per REFRESH, logged again after REALERT.
        let (mut sightings, mut logs) = (0, 0);
        for t in 1001..1600 {
            if let Some(x) = s.observe(&reply(ROGUE), t) {
                sightings += 1;
                logs += u32::from(x.log);
            }
        }
        assert_eq!(sightings, 599 / 10);
        assert_eq!(logs, 1, "logged again once, at 1300");
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn the_log_budget_holds_under_many_servers_and_catches_up() {
        let mut s = Sightings::new([]);
        let mut logged = 0;
        for i in 0..100u32 {
            let x = s
                .observe(&reply(Ipv4Addr::from(0x0a00_0000 + i)), 60)
                .expect("new");
            logged += u32::from(x.log);
        }
        assert_eq!(logged, LOGS_PER_MINUTE);
        assert_eq!(s.take_unlogged(60), Some(u64::from(100 - LOGS_PER_MINUTE)));
        assert_eq!(s.take_unlogged(60), None);
        s.observe(&reply(Ipv4Addr::new(10, 1, 0, 0)), 61);
        assert_eq!(s.take_unlogged(61), None, "one summary a minute");
        assert_eq!(s.take_unlogged(120), Some(1));
        // A minute later an unlogged server that still answers is logged.
        let late = s.observe(&reply(Ipv4Addr::from(0x0a00_0000 + 99)), 121);
        assert_eq!(late.map(|x| x.log), Some(true));
    }

    #[test]
    fn the_table_is_bounded_and_evicts_the_quietest() {
        let mut s = Sightings::new([]);
        for i in 0..10_000u32 {
            s.observe(&reply(Ipv4Addr::from(0x0a00_0000 + i)), u64::from(i));
            // The real rogue answers every 50 forged replies: it is never the quietest.
            if i % 50 == 0 {
                s.observe(&reply(ROGUE), u64::from(i));
            }
            assert!(s.len() <= s.capacity());
        }
        assert_eq!(s.len(), CAPACITY);
        assert!(s.evicted() >= 10_000 - CAPACITY as u64);
        assert!(s.servers.contains_key(&ROGUE));
    }
}
