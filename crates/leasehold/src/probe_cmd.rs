//! `leasehold probe`: find every DHCP server answering on one interface.
//!
//! Broadcasts one DISCOVER with a throwaway identity and the broadcast flag
//! ([`leasehold_server::rogue::probe_discover`], marked with a [`ProbeToken`] of its own, so a
//! server running on this host answers it like any client) out of `--interface`, then lists
//! every OFFER with the same transaction id that arrives within `--timeout` seconds: server
//! identifier, source, the server's MAC address, the address offered, routers, DNS servers and
//! lease time. It never sends a REQUEST, so no server commits an address to it (offers lapse by
//! themselves). Exit status: 0 when at least one server answered, 1 when none did, 2 on error.
//!
//! The socket on the client port comes from [`leasehold_net::client_port`].
//!
//! Binding the client port (68) needs root or `CAP_NET_BIND_SERVICE`; pinning the socket to the
//! interface (`SO_BINDTODEVICE`) needs `CAP_NET_RAW`.
//!
//! The offers are read from a packet socket on the interface ([`leasehold_net::PacketSocket`],
//! also `CAP_NET_RAW`), so each server's MAC address is the Ethernet source of its OFFER. When
//! one cannot be opened they are read from the UDP socket and the MAC comes from the kernel
//! neighbour table (`unknown` when absent); the summary line says which.

use anyhow::{bail, Context};
use leasehold_net::client_port::{client_socket, recv_with_ifindex, send_broadcast};
use leasehold_net::PacketSocket;
use leasehold_server::rogue::{probe_discover, MacSource, ProbeToken, ServerReply};
use leasehold_wire::Packet;
use std::io::Write;
use std::time::{Duration, Instant};

/// Arguments of `probe`.
#[derive(Debug, clap::Args)]
pub struct ProbeArgs {
    /// Interface to probe (the DISCOVER is broadcast there only).
    #[arg(short, long)]
    pub interface: String,
    /// Seconds to collect offers.
    #[arg(long, default_value_t = 3)]
    pub timeout: u64,
    /// UDP port to listen on for offers (the client port).
    #[arg(long, default_value_t = leasehold_wire::CLIENT_PORT)]
    pub client_port: u16,
    /// UDP port servers listen on.
    #[arg(long, default_value_t = leasehold_wire::SERVER_PORT)]
    pub server_port: u16,
    /// One JSON object per server instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs `probe`; returns the number of servers that answered.
pub fn run(args: &ProbeArgs, out: &mut impl Write) -> anyhow::Result<usize> {
    if args.timeout == 0 || args.timeout > 600 {
        bail!("--timeout must be between 1 and 600 seconds");
    }
    let ifindex = nix::net::if_::if_nametoindex(args.interface.as_str())
        .with_context(|| format!("no interface named {:?}", args.interface))?;
    let sock = client_socket(args.client_port, Some(&args.interface)).with_context(|| {
        format!(
            "cannot listen on UDP port {} on {} (needs root, or CAP_NET_BIND_SERVICE and CAP_NET_RAW)",
            args.client_port, args.interface
        )
    })?;
    // Opened before the DISCOVER leaves, so no answer is missed.
    let capture = PacketSocket::bind(ifindex, args.client_port);
    let Some((xid, bytes)) = probe_discover(&ProbeToken::random()) else {
        bail!("could not build the probe DISCOVER");
    };
    send_broadcast(&sock, &bytes, args.server_port, ifindex)
        .with_context(|| format!("sending the DISCOVER on {}", args.interface))?;
    let deadline = Instant::now() + Duration::from_secs(args.timeout);
    let mut found: Vec<ServerReply> = Vec::new();
    let mut buf = vec![0u8; 65535];
    let iface = Some(args.interface.clone());
    // Bounded: at most 10,000 datagrams or until the deadline.
    for _ in 0..10_000 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let received = match &capture {
            Ok(cap) => cap.set_read_timeout(Some(left)).and_then(|()| {
                let info = cap.recv_frame(&mut buf)?;
                Ok(ServerReply::from_frame(
                    &info,
                    &buf,
                    args.client_port,
                    iface.clone(),
                ))
            }),
            Err(_) => sock.set_read_timeout(Some(left)).and_then(|()| {
                let d = recv_with_ifindex(&sock, &mut buf)?;
                Ok(buf
                    .get(..d.len)
                    .filter(|_| !d.truncated)
                    .and_then(|b| Packet::parse(b).ok())
                    .and_then(|p| ServerReply::from_packet(&p, d.source, iface.clone())))
            }),
        };
        let reply = match received {
            Ok(r) => r,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                break
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).context("receiving offers"),
        };
        let Some(r) = reply.filter(|r| r.xid == xid) else {
            continue;
        };
        if !found.iter().any(|f| f.server_id == r.server_id) {
            found.push(r);
        }
    }
    let mac_note = match &capture {
        Ok(_) => "MACs from the packet socket".to_string(),
        Err(e) => {
            // After the deadline, so the neighbour table had the whole wait to fill in.
            for r in &mut found {
                r.mac = leasehold_net::neigh::lookup(*r.source.ip(), Some(&args.interface));
                r.mac_source = MacSource::NeighbourTable;
            }
            format!("MACs from the neighbour table: no packet socket ({e})")
        }
    };
    print(&found, args, &mac_note, out)?;
    Ok(found.len())
}

fn join(v: &[std::net::Ipv4Addr]) -> String {
    v.iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn print(
    found: &[ServerReply],
    args: &ProbeArgs,
    mac_note: &str,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    if args.json {
        for r in found {
            let v = serde_json::json!({
                "server_id": r.server_id.to_string(),
                "source": r.source.to_string(),
                "mac": r.mac.map(|m| m.to_string()),
                "mac_source": r.mac_source.as_str(),
                "offered": r.yiaddr.to_string(),
                "routers": r.routers.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
                "dns": r.dns.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
                "lease_time": r.lease_time,
                "interface": args.interface,
            });
            writeln!(out, "{v}")?;
        }
        return Ok(());
    }
    writeln!(
        out,
        "{:<16} {:<22} {:<18} {:<16} {:<20} {:<24} LEASE",
        "SERVER", "SOURCE", "MAC", "OFFERED", "ROUTERS", "DNS"
    )?;
    for r in found {
        writeln!(
            out,
            "{:<16} {:<22} {:<18} {:<16} {:<20} {:<24} {}",
            r.server_id.to_string(),
            r.source.to_string(),
            r.mac_text(),
            r.yiaddr.to_string(),
            join(&r.routers),
            join(&r.dns),
            r.lease_time
                .map(|t| t.to_string())
                .unwrap_or_else(|| "-".into())
        )?;
    }
    writeln!(
        out,
        "{} server(s) answered on {} within {}s ({mac_note})",
        found.len(),
        args.interface,
        args.timeout
    )?;
    Ok(())
}
