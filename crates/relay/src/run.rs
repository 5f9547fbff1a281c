//! The relay's I/O loop: one [`DhcpSocket`] on the relay port carries client broadcasts in, server
//! replies in, requests out to the servers and replies out to the clients.
//!
//! The socket listens on all interfaces (server replies arrive on the upstream one); the agent
//! drops requests that did not arrive on a `listen` interface.

use crate::agent::{Action, Deliver, RelayAgent, RelayIface};
use crate::config::RelayConfig;
use crate::error::RelayError;
use crate::stats::DropReason;
use leasehold_net::iface::list_interfaces;
use leasehold_net::{BindOptions, DhcpSocket, Received};
use leasehold_wire::addressing::Destination;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::Arc;
use tracing::{debug, info, warn};

/// Receive buffer size: any UDP datagram fits, so none is dropped as truncated.
const RECV_BUF: usize = 65_536;

/// A bound relay: socket open, interfaces resolved; [`Relay::run`] moves the packets.
#[derive(Debug)]
pub struct Relay {
    socket: DhcpSocket,
    agent: Arc<RelayAgent>,
}

/// Resolves every `listen` interface to its index and IPv4 address (the `bind_address` when the
/// interface has it, else its primary address).
pub fn resolve_interfaces(cfg: &RelayConfig) -> Result<Vec<RelayIface>, RelayError> {
    let all = list_interfaces().map_err(RelayError::Interfaces)?;
    cfg.listen
        .iter()
        .map(|name| {
            let info = all
                .iter()
                .find(|i| &i.name == name)
                .ok_or_else(|| RelayError::NoSuchInterface(name.clone()))?;
            let addr = cfg
                .bind_address
                .filter(|a| info.addrs.contains(a))
                .or_else(|| info.primary())
                .ok_or_else(|| RelayError::NoAddress(name.clone()))?;
            Ok(RelayIface {
                name: name.clone(),
                ifindex: info.index,
                addr,
            })
        })
        .collect()
}

impl Relay {
    /// Validates `cfg`, resolves the interfaces and opens the socket. Must run inside a tokio
    /// runtime.
    pub fn bind(cfg: RelayConfig) -> Result<Relay, RelayError> {
        cfg.validate().map_err(RelayError::Invalid)?;
        let ifaces = resolve_interfaces(&cfg)?;
        let opts = BindOptions {
            port: cfg.bind_port(),
            interfaces: Vec::new(),
            bind_addr: cfg.bind_address,
        };
        let socket = DhcpSocket::bind(&opts)?;
        let agent = Arc::new(RelayAgent::new(cfg).with_interfaces(ifaces));
        Ok(Relay { socket, agent })
    }

    /// The bound socket address.
    pub fn local_addr(&self) -> Result<SocketAddrV4, RelayError> {
        Ok(self.socket.local_addr()?)
    }

    /// The agent, for its counters.
    pub fn agent(&self) -> Arc<RelayAgent> {
        self.agent.clone()
    }

    /// Relays until `shutdown` completes. Receive errors are logged and the loop goes on.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), RelayError> {
        let cfg = self.agent.config();
        info!(
            port = cfg.bind_port(),
            listen = ?cfg.listen,
            servers = ?cfg.servers,
            "leasehold relay {} running",
            env!("CARGO_PKG_VERSION")
        );
        let mut buf = vec![0u8; RECV_BUF];
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                received = self.socket.recv(&mut buf) => match received {
                    Ok(r) => {
                        let Some(datagram) = buf.get(..r.len) else { continue };
                        self.handle(datagram, &r).await;
                    }
                    Err(e) => warn!("receive failed: {e}"),
                },
                _ = &mut shutdown => break,
            }
        }
        let stats = self.agent.stats().snapshot();
        info!(
            forwarded = stats.forwarded,
            delivered = stats.delivered,
            "relay stopped"
        );
        Ok(())
    }

    async fn handle(&self, datagram: &[u8], r: &Received) {
        let arrival = self
            .agent
            .interfaces()
            .iter()
            .find(|i| i.ifindex == r.ifindex);
        match self.agent.handle(datagram, arrival, r.source) {
            Ok(Action::Forward(forwards)) => {
                for f in forwards {
                    let dest = Destination::Unicast {
                        addr: *f.to.ip(),
                        port: f.to.port(),
                    };
                    let xid = Xid(f.packet.xid);
                    match self
                        .socket
                        .send(&f.bytes, &dest, 0, Ipv4Addr::UNSPECIFIED)
                        .await
                    {
                        Ok(()) => {
                            debug!(%xid, client = %f.packet.chaddr, server = %f.to, "forwarded")
                        }
                        Err(e) => {
                            self.agent.stats().record_drop(DropReason::SendFailed);
                            warn!(%xid, server = %f.to, "forwarding failed: {e}");
                        }
                    }
                }
            }
            Ok(Action::Deliver(d)) => self.deliver(*d).await,
            Err(reason) => debug!(
                source = %r.source, iface = ?r.iface, reason = reason.label(), "dropped: {reason}"
            ),
        }
    }

    async fn deliver(&self, d: Deliver) {
        let dest = adjust_for_loopback(d.destination, &d.iface);
        let xid = Xid(d.packet.xid);
        match self
            .socket
            .send(&d.bytes, &dest, d.iface.ifindex, d.iface.addr)
            .await
        {
            Ok(()) => {
                self.agent.stats().record_delivered();
                debug!(%xid, client = %d.packet.chaddr, iface = %d.iface.name, ?dest, "delivered");
            }
            Err(e) => {
                self.agent.stats().record_drop(DropReason::SendFailed);
                warn!(%xid, ?dest, "delivery failed: {e}");
            }
        }
    }
}

/// A transaction id, displayed as in the server's logs (`0x1234abcd`).
struct Xid(u32);

impl std::fmt::Display for Xid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#010x}", self.0)
    }
}

/// On loopback there is no link to broadcast on and no ARP: replies that would be broadcast or
/// sent to a hardware address go to the interface address and client port instead. This is what
/// lets the relay be tried and tested on 127.0.0.1 without root.
fn adjust_for_loopback(dest: Destination, iface: &RelayIface) -> Destination {
    if !iface.addr.is_loopback() {
        return dest;
    }
    match dest {
        Destination::Broadcast { port } | Destination::UnicastToHw { port, .. } => {
            Destination::Unicast {
                addr: iface.addr,
                port,
            }
        }
        other => other,
    }
}

/// Binds the relay for `cfg` and runs it until `shutdown` completes.
pub async fn run(cfg: RelayConfig, shutdown: impl Future<Output = ()>) -> Result<(), RelayError> {
    Relay::bind(cfg)?.run(shutdown).await
}
