//! `dnsmasq.leases`: one IPv4 lease per line, `EXPIRY MAC IP HOSTNAME CLIENT-ID`, as dnsmasq
//! writes it (src/lease.c, `lease_update_file`).
//!
//! - `EXPIRY`: Unix seconds; `0` is an infinite lease.
//! - `MAC`: colon hex; a hardware type other than Ethernet, or an empty address, is written
//!   `TT-` first (`20-` InfiniBand, `00-` none).
//! - `HOSTNAME` and `CLIENT-ID`: `*` for none; the client id is colon hex, type byte included.
//!
//! After a `duid` line come the DHCPv6 leases, and `vendorclass`/`agent-info` lines carry
//! extras of IPv4 leases: those are reported, not carried over. A line that is none of these is
//! a syntax error (a truncated or foreign file): nothing is imported.
//!
//! Leases whose expiry has passed become [`LeaseState::Expired`] (kept for stickiness), the
//! others [`LeaseState::Bound`]; dnsmasq records no start time, so a bound lease starts at the
//! import. An address outside every imported subnet is dropped with a finding. The last line of
//! an address wins.

use crate::{ConfigPlan, ImportError, Report, SourceFiles};
use leasehold_engine::{ClientKey, Lease, LeaseState, Timestamp, INFINITE};
use leasehold_wire::HwAddr;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;

/// Reads the lease file `path`.
pub fn read(
    files: &dyn SourceFiles,
    path: &Path,
    now: Timestamp,
    plan: &ConfigPlan,
    report: &mut Report,
) -> Result<Vec<Lease>, ImportError> {
    let text = files.read(path).map_err(|source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut out: Vec<Lease> = Vec::new();
    let mut counted = 0u32;
    let mut v6 = false;
    for (i, raw) in text.lines().enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let fields: Vec<&str> = raw.split_ascii_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        counted += 1;
        let syntax = |msg: String| ImportError::syntax(path, line, msg);
        match fields.as_slice() {
            ["duid", _] => {
                v6 = true;
                report.not_carried(
                    path,
                    line,
                    "the DHCPv6 server DUID is not carried over: Leasehold serves DHCPv4 only",
                );
            }
            ["vendorclass" | "agent-info", _, _] => report.not_carried(
                path,
                line,
                format!(
                    "`{}` (leasequery extra) not carried over: Leasehold does not store it",
                    fields[0]
                ),
            ),
            [expiry, mac, ip, host, clid] => {
                if ip.parse::<Ipv6Addr>().is_ok() || (v6 && ip.parse::<Ipv4Addr>().is_err()) {
                    report.not_carried(
                        path,
                        line,
                        "IPv6 lease not carried over: Leasehold serves DHCPv4 only",
                    );
                    continue;
                }
                let lease = lease(expiry, mac, ip, host, clid, now).map_err(syntax)?;
                if !plan.assigns(lease.addr) {
                    report.lease_outside_subnets(path, line, lease.addr);
                    continue;
                }
                out.retain(|l| l.addr != lease.addr);
                out.push(lease);
            }
            _ => {
                return Err(syntax(format!(
                    "expected `EXPIRY MAC IP HOSTNAME CLIENT-ID`, got {} field(s): not a dnsmasq \
                     lease line (truncated file?)",
                    fields.len()
                )))
            }
        }
    }
    report.count_lines(path, counted);
    Ok(out)
}

/// One IPv4 lease line.
fn lease(
    expiry: &str,
    mac: &str,
    ip: &str,
    host: &str,
    clid: &str,
    now: Timestamp,
) -> Result<Lease, String> {
    let expiry: u64 = expiry
        .parse()
        .map_err(|_| format!("expiry {expiry:?} is not a number of seconds"))?;
    let addr: Ipv4Addr = ip
        .parse()
        .map_err(|_| format!("{ip:?} is not an IPv4 address"))?;
    let hw = hw_addr(mac).ok_or_else(|| format!("{mac:?} is not a hardware address"))?;
    let client = if clid == "*" {
        None
    } else {
        Some(
            super::hex::bytes(clid)
                .ok_or_else(|| format!("client id {clid:?} is not colon hex"))?,
        )
    };
    let expires = if expiry == 0 { INFINITE } else { expiry };
    let client = match (client, hw) {
        (Some(id), _) => ClientKey::ClientId(id),
        (None, Some(hw)) => ClientKey::HwAddr(hw),
        (None, None) => return Err("a lease with neither hardware address nor client id".into()),
    };
    let bound = expires == INFINITE || expires > now;
    Ok(Lease {
        addr,
        client: Some(client),
        hwaddr: hw,
        state: if bound {
            LeaseState::Bound
        } else {
            LeaseState::Expired
        },
        starts: if bound { now } else { expires },
        expires,
        hostname: (host != "*").then(|| host.to_string()),
    })
}

/// `aa:bb:..` (Ethernet) or `TT-aa:bb:..`; `None` inside for an empty address (`TT-`).
fn hw_addr(s: &str) -> Option<Option<HwAddr>> {
    let (htype, rest) = match s.split_once('-') {
        Some((t, rest)) if t.len() <= 2 && !t.contains(':') => {
            (u8::from_str_radix(t, 16).ok()?, rest)
        }
        _ => (1, s),
    };
    if rest.is_empty() {
        return Some(None);
    }
    let bytes = super::hex::bytes(rest)?;
    HwAddr::new(htype, &bytes).ok().map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MemFiles, Origin, SubnetPlan};

    fn plan() -> ConfigPlan {
        ConfigPlan {
            subnets: vec![SubnetPlan::new(
                "198.18.0.0/24".parse().expect("net"),
                Origin::default(),
            )],
            ..ConfigPlan::default()
        }
    }

    fn import(text: &str) -> Result<(Vec<Lease>, Report), ImportError> {
        let files = MemFiles::new().with("dnsmasq.leases", text);
        let mut report = Report::default();
        let l = read(
            &files,
            Path::new("dnsmasq.leases"),
            1_000,
            &plan(),
            &mut report,
        )?;
        Ok((l, report))
    }

    #[test]
    fn every_kind_of_line() {
        let text = "\
2000 52:54:00:00:00:01 198.18.0.10 printer 01:52:54:00:00:00:01
0 52:54:00:00:00:02 198.18.0.11 * *
500 52:54:00:00:00:03 198.18.0.12 old *
2000 20-01:02 198.18.0.13 ib ff:00:00:00:00
2000 52:54:00:00:00:05 10.9.9.9 elsewhere *
duid 00:01:00:01:2c:3d:4e:5f:52:54:00:00:00:01
2000 12345 fd00::5 * 00:01:00:01
vendorclass 198.18.0.10 50:58:45
";
        let (leases, report) = import(text).expect("imports");
        assert_eq!(leases.len(), 4);
        assert_eq!(
            leases[0].client,
            Some(ClientKey::ClientId(vec![1, 0x52, 0x54, 0, 0, 0, 1]))
        );
        assert_eq!(leases[0].hostname.as_deref(), Some("printer"));
        assert_eq!(leases[0].state, LeaseState::Bound);
        assert_eq!(leases[1].expires, INFINITE);
        assert_eq!(
            leases[1].client,
            Some(ClientKey::HwAddr(HwAddr::ethernet([
                0x52, 0x54, 0, 0, 0, 2
            ])))
        );
        assert_eq!(leases[2].state, LeaseState::Expired);
        assert_eq!(leases[3].hwaddr.map(|h| h.htype()), Some(0x20));
        assert_eq!(report.findings.len(), 4, "{:?}", report.findings);
        assert_eq!(report.findings[0].line, 5);
    }

    #[test]
    fn garbage_is_a_syntax_error_with_its_line() {
        let e = import("2000 52:54:00:00:00:01 198.18.0.10 printer *\n2000 52:54:00\n")
            .expect_err("truncated");
        assert!(e.to_string().starts_with("dnsmasq.leases:2: "), "{e}");
        assert!(import("soon 52:54:00:00:00:01 198.18.0.10 a *\n").is_err());
        assert!(import("1 zz 198.18.0.10 a *\n").is_err());
        assert!(import("1 52:54:00:00:00:01 198.18.0.300 a *\n").is_err());
        assert!(import("1 52:54:00:00:00:01 198.18.0.3 a 0x\n").is_err());
    }
}
