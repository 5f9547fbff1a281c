//! Rogue DHCP server detection.
//!
//! **Passive**: while serving, a second UDP socket bound to the client port (68) with
//! `SO_REUSEADDR` ([`leasehold_net::client_port`]) receives the OFFER/ACK broadcasts of every
//! server on the served links. A reply whose server identifier (option 54, else its source
//! address) is neither one of our own addresses nor listed in `[security] allowed_servers` is a
//! sighting, logged as a structured `rogue_dhcp_server` warning with what it offered: yiaddr,
//! routers, DNS servers, lease time. Only *broadcast* replies reach us: a server that unicasts
//! its OFFER to a client's hardware address is seen only when a client asks for broadcast
//! replies — which the active probe does.
//!
//! **Active**: with `[security] probe_interval = N`, every N seconds the same socket broadcasts a
//! DISCOVER with a throwaway client id and the broadcast flag on every served interface
//! ([`probe`]). It never sends a REQUEST, so it takes no address. The client id starts with the
//! prefix of a [`ProbeToken`] that the caller makes once and gives both to the monitor and to
//! the server's guard, which drops our own probes (reason `own_probe`). Every server that
//! answers is then seen by the passive listener. `leasehold probe` does the same once, from the
//! command line, with a token of its own.
//!
//! **Who**: every sighting carries the rogue's MAC address ([`reply`]). When a packet socket can
//! be opened (`CAP_NET_RAW`, kept by the privilege drop) the replies are read from a
//! [`leasehold_net::PacketSocket`] on every interface, filtered in the kernel to UDP datagrams
//! to the client port, and the MAC is the Ethernet source of the frame
//! (`mac_source=packet_socket`); the UDP socket is then only used to send probes (what it
//! receives is discarded). Otherwise the UDP socket receives the replies and the MAC is looked
//! up in the kernel neighbour table by the reply's IP source (`mac_source=neighbour_table`),
//! `unknown` when absent — usual for a server that only broadcast to us.
//!
//! **How often** ([`sightings`], sans I/O, fixed-size state): a server is logged when first
//! seen and again after [`REALERT`] (at most [`sightings::LOGS_PER_MINUTE`] lines a minute in
//! all), and the alerts are fed de-duplicated sightings — one per server per [`REFRESH`] while it
//! keeps answering — not every packet. [`crate::alerts::Alerts::raise_rogue`] raises
//! `rogue_server:<address>` at the first one and each later one keeps it raised; it clears once
//! the server was quiet for the alerts' `window` (never less than
//! [`crate::alerts::ROGUE_MIN_QUIET`], twice [`REFRESH`], so it cannot flap). At most [`sightings::CAPACITY`] servers are
//! remembered and at most [`crate::alerts::MAX_ROGUE_ALERTS`] have an alert of their own, so
//! forged server ids cannot grow memory, the log or the alert list.
//!
//! **Where** ([`monitor`]): the task that reads, probes and reports; it is given everything it
//! uses ([`spawn_monitor`]: configuration, probe token, alerts, cancellation) and keeps no
//! process-wide state.
//!
//! Modules: [`reply`] (what a reply says, who sent it), [`probe`] (the probe DISCOVER and its
//! token), [`sightings`] (trust, de-duplication, bounds), [`monitor`] (the task).

pub mod monitor;
pub mod probe;
pub mod reply;
pub mod sightings;

pub use monitor::spawn_monitor;
pub use probe::{probe_discover, random_u64, ProbeToken};
pub use reply::{MacSource, RogueServer, ServerReply};
pub use sightings::{Sighting, Sightings, REALERT, REFRESH};

#[cfg(test)]
mod tests {
    use super::sightings::tests::reply;
    use super::*;
    use crate::alerts::{AlertEvent, Alerts, Inputs, MAX_ROGUE_ALERTS};
    use leasehold_engine::config::AlertsConfig;
    use std::net::Ipv4Addr;

    const REAL: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 66);
    const REAL_KEY: &str = "rogue_server:198.18.0.66";

    fn alerts(window: u32) -> Alerts {
        Alerts::new(AlertsConfig {
            rogue_servers: true,
            window,
            ..AlertsConfig::default()
        })
    }

    /// What the monitor does with one reply: observe, and feed the alerts what comes out.
    fn feed(s: &mut Sightings, a: &Alerts, r: &ServerReply, now: u64) {
        if let Some(x) = s.observe(r, now) {
            a.raise_rogue(&x.server, now);
        }
    }

    fn raised(events: &[AlertEvent], key: &str) -> usize {
        events
            .iter()
            .filter(|e| e.key == key && e.event == "raised")
            .count()
    }

    /// 100,000 forged server ids, each answering once, with one real rogue answering every
    /// tenth reply throughout (1,000 replies a second): the sightings table and the alerts'
    /// rogue map never pass their capacity, the active alert list stays bounded, and the real
    /// rogue raised its alert exactly once and kept it.
    #[test]
    fn forged_server_ids_cannot_grow_memory_or_the_alert_list() {
        let mut s = Sightings::new([Ipv4Addr::new(198, 18, 0, 1)]);
        // A webhook URL, so that every raise and clear is kept in the outbox (nothing posts).
        let a = Alerts::new(AlertsConfig {
            rogue_servers: true,
            window: 60,
            webhook: Some("http://127.0.0.1:9/".into()),
            ..AlertsConfig::default()
        });
        let mut events = Vec::new();
        let start = 1_000_000;
        let mut now = start;
        feed(&mut s, &a, &reply(REAL), now);
        let mut max_active = 0;
        for i in 0..100_000u32 {
            if i % 1000 == 999 {
                now += 1;
                events.extend(a.evaluate(now, &Inputs::default()));
                events.extend(a.take_outbox().1);
                let active = a.snapshot().active;
                max_active = max_active.max(active.len());
                let real = active.iter().find(|x| x.key == REAL_KEY).expect("raised");
                assert_eq!(real.since, start, "never cleared and raised again");
            }
            feed(&mut s, &a, &reply(Ipv4Addr::from(0x0a00_0000u32 + i)), now);
            if i % 10 == 0 {
                feed(&mut s, &a, &reply(REAL), now);
            }
            assert!(s.len() <= s.capacity());
            assert!(a.rogue_alerts() <= MAX_ROGUE_ALERTS);
        }
        events.extend(a.take_outbox().1);
        assert_eq!(s.len(), sightings::CAPACITY);
        assert!(s.evicted() >= 100_000 - sightings::CAPACITY as u64);
        assert!(max_active <= MAX_ROGUE_ALERTS + 1, "{max_active}");
        assert_eq!(a.outbox_dropped(), 0, "the test saw every event");
        assert_eq!(raised(&events, REAL_KEY), 1);
        assert!(events
            .iter()
            .all(|e| e.key != REAL_KEY || e.event == "raised"));
        assert!(raised(&events, crate::alerts::ROGUE_MORE_KEY) >= 1);
        // Forged ids that stopped answering cleared, freeing their slots for later ones.
        assert!(events.iter().any(|e| e.event == "cleared"));
    }

    /// A rogue that keeps answering stays raised across many windows; once it stops, its alert
    /// clears one quiet window after its last refresh.
    #[test]
    fn an_answering_rogue_stays_raised_and_a_quiet_one_clears() {
        let window = 30u32;
        let mut s = Sightings::new([]);
        let a = alerts(window);
        let start = 5_000u64;
        let mut events = Vec::new();
        for now in start..start + 600 {
            feed(&mut s, &a, &reply(REAL), now); // one reply a second for ten minutes
            if now % 5 == 0 {
                events.extend(a.evaluate(now, &Inputs::default()));
                assert!(
                    a.snapshot().active.iter().any(|x| x.key == REAL_KEY),
                    "cleared while answering at {now}"
                );
            }
        }
        assert!(events.iter().all(|e| e.key != REAL_KEY), "{events:?}");
        assert_eq!(raised(&a.snapshot().recent, REAL_KEY), 1);
        // Silent from here on: the last refresh was at most REFRESH ago.
        let last = start + 599;
        let mut cleared_at = None;
        for now in (last..last + 120).filter(|t| t % 5 == 0) {
            let ev = a.evaluate(now, &Inputs::default());
            if ev.iter().any(|e| e.key == REAL_KEY && e.event == "cleared") {
                cleared_at = Some(now);
                break;
            }
        }
        let cleared_at = cleared_at.expect("cleared");
        let quiet = u64::from(window).max(crate::alerts::ROGUE_MIN_QUIET);
        assert!(
            cleared_at >= last + quiet - REFRESH.as_secs(),
            "{cleared_at}"
        );
        assert!(cleared_at <= last + quiet + 5, "{cleared_at}");
        assert!(a.snapshot().active.is_empty());
    }
}
