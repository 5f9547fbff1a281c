//! The rogue monitor task: reads other servers' replies off the served links, hands them to
//! [`Sightings`], logs and alerts what it returns, and sends the periodic probe.
//!
//! Everything it needs is passed in ([`spawn_monitor`]): the configuration, the [`ProbeToken`]
//! its probes carry (the same one the server's guard drops), the [`Alerts`] it feeds and the
//! token that stops it. It keeps no process-wide state.

use super::probe::{probe_discover, ProbeToken};
use super::reply::{MacSource, ServerReply};
use super::sightings::{Sightings, LOGS_PER_MINUTE};
use crate::alerts::Alerts;
use leasehold_engine::Config;
use leasehold_net::client_port::{client_socket, recv_with_ifindex, send_broadcast};
use leasehold_net::{AsyncPacketSocket, FrameInfo, PacketSocket};
use leasehold_wire::Packet;
use std::collections::HashSet;
use std::io;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

/// Starts the passive monitor (and the periodic probe when `probe_interval` is set), feeding
/// `alerts`, until `cancel` is cancelled. `None` when `detect_rogue_servers` is off, the server
/// listens on loopback only, or the client port cannot be opened (logged; detection stays off
/// and the server runs on). Without a packet socket (`CAP_NET_RAW`) MAC addresses come from the
/// neighbour table. Probes carry `token`, which the server's guard must drop as its own.
pub fn spawn_monitor(
    config: Arc<Config>,
    token: ProbeToken,
    alerts: Arc<Alerts>,
    cancel: CancellationToken,
) -> Option<JoinHandle<()>> {
    let sec = &config.security;
    if !sec.detect_rogue_servers {
        return None;
    }
    if config
        .server
        .listen_address
        .is_some_and(|a| a.is_loopback())
    {
        debug!("rogue-server detection off: listening on loopback only");
        return None;
    }
    let port = config.server.client_port;
    let sock = match client_socket(port, None)
        .and_then(|s| {
            s.set_nonblocking(true)?;
            Ok(s)
        })
        .and_then(|s| UdpSocket::from_std(s.into()))
    {
        Ok(s) => s,
        Err(e) => {
            warn!(
                port,
                "rogue-server detection off: cannot listen on the client port: {e}"
            );
            return None;
        }
    };
    let capture = match PacketSocket::bind(0, port).and_then(AsyncPacketSocket::new) {
        Ok(c) => Some(c),
        Err(e) => {
            warn!(
                port,
                "rogue-server MAC addresses from the neighbour table only (often unknown): cannot open a packet socket (needs CAP_NET_RAW): {e}"
            );
            None
        }
    };
    let mac_source = if capture.is_some() {
        MacSource::PacketSocket
    } else {
        MacSource::NeighbourTable
    };
    info!(
        port,
        probe_interval = sec.probe_interval,
        mac_source = mac_source.as_str(),
        "watching for other DHCP servers"
    );
    let state = Monitor {
        sightings: Sightings::new(trusted(&config)),
        trust_read: None,
        clock: Instant::now(),
        config,
        alerts,
    };
    Some(tokio::spawn(state.run(sock, capture, token, cancel)))
}

/// The monitor's state between replies.
struct Monitor {
    config: Arc<Config>,
    sightings: Sightings,
    /// Second (on `clock`) the trusted addresses were last re-read.
    trust_read: Option<u64>,
    clock: Instant,
    /// Fed every de-duplicated sighting.
    alerts: Arc<Alerts>,
}

impl Monitor {
    async fn run(
        mut self,
        sock: UdpSocket,
        capture: Option<AsyncPacketSocket>,
        token: ProbeToken,
        cancel: CancellationToken,
    ) {
        let port = self.config.server.client_port;
        let server_port = self.config.server.server_port;
        let mut buf = vec![0u8; 65535];
        let mut frame = vec![0u8; 65535];
        let interval = self
            .config
            .security
            .probe_interval
            .map(|s| Duration::from_secs(u64::from(s)));
        let mut probe = tokio::time::interval(interval.unwrap_or(Duration::from_secs(3600)));
        loop {
            let reply = tokio::select! {
                _ = cancel.cancelled() => return,
                r = next_frame(capture.as_ref(), &mut frame) => {
                    let info = match r {
                        Ok(x) => x,
                        Err(e) => { debug!("rogue monitor capture failed: {e}"); continue; }
                    };
                    let Ok(iface) = served_iface(&self.config, info.ifindex) else { continue };
                    let Some(reply) = ServerReply::from_frame(&info, &frame, port, iface) else { continue };
                    reply
                }
                r = sock.async_io(Interest::READABLE, || recv_with_ifindex(&sock, &mut buf)) => {
                    let d = match r {
                        Ok(x) => x,
                        Err(e) => { debug!("rogue monitor receive failed: {e}"); continue; }
                    };
                    if capture.is_some() || d.truncated {
                        continue; // the packet socket saw it too, with the sender's MAC
                    }
                    let Ok(iface) = served_iface(&self.config, d.ifindex) else { continue };
                    let Some(pkt) = buf.get(..d.len).and_then(|b| Packet::parse(b).ok()) else { continue };
                    let Some(reply) = ServerReply::from_packet(&pkt, d.source, iface) else { continue };
                    let mac = leasehold_net::neigh::lookup(*d.source.ip(), reply.iface.as_deref());
                    reply.with_mac(mac, MacSource::NeighbourTable)
                }
                _ = probe.tick(), if interval.is_some() => {
                    let Some((_, bytes)) = probe_discover(&token) else { continue };
                    for (idx, name) in probe_targets(&self.config) {
                        let sent = sock.async_io(Interest::WRITABLE, || {
                            send_broadcast(&sock, &bytes, server_port, idx)
                        }).await;
                        match sent {
                            Ok(_) => debug!(iface = %name, "sent rogue-server probe"),
                            Err(e) => debug!(iface = %name, "rogue-server probe not sent: {e}"),
                        }
                    }
                    continue;
                }
            };
            self.handle(&reply);
        }
    }

    /// One reply: trust (re-read at most once a second for an unknown server: an address may
    /// have been added since), de-duplication, log, alert.
    fn handle(&mut self, reply: &ServerReply) {
        let now = self.clock.elapsed().as_secs();
        if !self.sightings.is_trusted(reply.server_id) && self.trust_read != Some(now) {
            self.sightings.set_trusted(trusted(&self.config));
            self.trust_read = Some(now);
        }
        let Some(sighting) = self.sightings.observe(reply, now) else {
            return;
        };
        if sighting.log {
            report(reply);
        }
        if let Some(n) = self.sightings.take_unlogged(now) {
            warn!(
                event = "rogue_dhcp_server_unlogged",
                count = n,
                "{n} sightings of other DHCP servers not logged (at most {LOGS_PER_MINUTE} lines a minute); see the alerts"
            );
        }
        self.alerts.raise_rogue(&sighting.server, unix_now());
    }
}

/// Seconds since the Unix epoch (0 if the clock is before it).
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Our own addresses, the configured server id and the allowed servers.
fn trusted(config: &Config) -> HashSet<Ipv4Addr> {
    let mut set: HashSet<Ipv4Addr> = config.security.allowed_servers.iter().copied().collect();
    set.extend(config.server.server_id);
    if let Ok(list) = leasehold_net::iface::list_interfaces() {
        for i in list {
            set.extend(i.addrs);
        }
    }
    set
}

/// Interfaces to probe: (index, name) of the served interfaces, or of every interface with an
/// IPv4 address except loopback when none are configured.
fn probe_targets(config: &Config) -> Vec<(u32, String)> {
    let Ok(list) = leasehold_net::iface::list_interfaces() else {
        return Vec::new();
    };
    list.into_iter()
        .filter(|i| {
            if config.server.interfaces.is_empty() {
                i.primary().is_some_and(|a| !a.is_loopback())
            } else {
                config.server.interfaces.contains(&i.name)
            }
        })
        .filter_map(|i| {
            let idx = nix::net::if_::if_nametoindex(i.name.as_str()).ok()?;
            Some((idx, i.name))
        })
        .collect()
}

/// The name of interface `ifindex` when it is one we serve (any interface when none are
/// configured); `Err(())` for an interface we do not serve.
fn served_iface(config: &Config, ifindex: u32) -> Result<Option<String>, ()> {
    let iface = nix::net::if_::if_indextoname(ifindex)
        .ok()
        .and_then(|n| n.into_string().ok());
    if !config.server.interfaces.is_empty()
        && !iface
            .as_ref()
            .is_some_and(|n| config.server.interfaces.contains(n))
    {
        return Err(());
    }
    Ok(iface)
}

/// Waits for the next frame on `capture`, or forever when there is none.
async fn next_frame(capture: Option<&AsyncPacketSocket>, buf: &mut [u8]) -> io::Result<FrameInfo> {
    match capture {
        Some(c) => c.recv_frame(buf).await,
        None => std::future::pending().await,
    }
}

fn join(v: &[Ipv4Addr]) -> String {
    v.iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Logs one rogue-server sighting.
fn report(r: &ServerReply) {
    warn!(
        event = "rogue_dhcp_server",
        server_id = %r.server_id,
        source = %r.source,
        mac = %r.mac_text(),
        mac_source = r.mac_source.as_str(),
        iface = r.iface.as_deref().unwrap_or("?"),
        kind = r.kind,
        yiaddr = %r.yiaddr,
        routers = %join(&r.routers),
        dns = %join(&r.dns),
        lease_time = r.lease_time,
        "another DHCP server is answering on a served link (list it in [security] allowed_servers if it is legitimate)"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(toml: &str) -> Arc<Config> {
        Arc::new(Config::from_toml(toml, std::path::Path::new("monitor-test.toml")).expect("valid"))
    }

    /// Detection off, or loopback only: no task, no socket opened.
    #[tokio::test]
    async fn nothing_starts_when_detection_is_off_or_on_loopback() {
        let alerts = Arc::new(Alerts::new(Default::default()));
        let cancel = CancellationToken::new();
        let off = config(
            "[server]\nserver_port = 1067\nclient_port = 1068\n\
             [security]\ndetect_rogue_servers = false\n\
             [[subnet]]\nsubnet = \"198.18.0.0/24\"\n",
        );
        assert!(spawn_monitor(off, ProbeToken::new(1), alerts.clone(), cancel.clone()).is_none());
        let lo = config(
            "[server]\nlisten_address = \"127.0.0.1\"\nserver_port = 1067\nclient_port = 1068\n\
             [[subnet]]\nsubnet = \"127.0.0.0/8\"\n",
        );
        assert!(lo.security.detect_rogue_servers, "on by default");
        assert!(spawn_monitor(lo, ProbeToken::new(1), alerts, cancel).is_none());
    }
}
