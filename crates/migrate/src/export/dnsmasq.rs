//! Leasehold's leases as dnsmasq's lease file (`dnsmasq.leases`), the format dnsmasq reads at
//! start (src/lease.c, `read_leases`).
//!
//! One line per lease: `EXPIRY MAC IP HOSTNAME CLIENT-ID`. Only bound leases that have not
//! expired at `now` are written: dnsmasq's file holds live leases only (it forgets expired and
//! released ones, and has no declined state). `EXPIRY` is Unix seconds, `0` for an infinite
//! lease. `MAC` is colon hex; a hardware type other than Ethernet (1), or an empty address, is
//! written `TT-` first, as dnsmasq does. A host name that is not one token (dnsmasq's names
//! never hold white space) is written `*`, as is a missing one; `CLIENT-ID` is colon hex, `*`
//! when the client is known by its hardware address.

use leasehold_engine::{ClientKey, Lease, LeaseState, INFINITE};
use leasehold_wire::hex;
use std::fmt::Write as _;

/// The dnsmasq lease file holding the bound, unexpired `leases` as of `now`.
pub fn dnsmasq(leases: &[Lease], now: u64) -> String {
    let mut out = String::new();
    for l in leases {
        if l.state != LeaseState::Bound || (l.expires != INFINITE && l.expires <= now) {
            continue;
        }
        let hw = l.hwaddr.or(match &l.client {
            Some(ClientKey::HwAddr(h)) => Some(*h),
            _ => None,
        });
        let mac = match hw {
            Some(h) if h.htype() == 1 && !h.as_bytes().is_empty() => {
                hex::encode(h.as_bytes(), Some(':'))
            }
            Some(h) => format!("{:02x}-{}", h.htype(), hex::encode(h.as_bytes(), Some(':'))),
            None => "00-".to_string(),
        };
        let clid = match &l.client {
            Some(ClientKey::ClientId(id)) if !id.is_empty() => hex::encode(id, Some(':')),
            _ => "*".to_string(),
        };
        if hw.is_none() && clid == "*" {
            // Neither identifier: dnsmasq could not match the lease to any client.
            continue;
        }
        let host = l
            .hostname
            .as_deref()
            .filter(|h| {
                !h.is_empty()
                    && *h != "*"
                    && !h.chars().any(|c| c.is_whitespace() || c.is_control())
            })
            .unwrap_or("*");
        let expiry = if l.expires == INFINITE { 0 } else { l.expires };
        let _ = writeln!(out, "{expiry} {mac} {} {host} {clid}", l.addr);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use leasehold_wire::HwAddr;
    use std::net::Ipv4Addr;

    fn lease(last: u8, state: LeaseState, expires: u64) -> Lease {
        let hw = HwAddr::ethernet([0x52, 0x54, 0, 0, 0, last]);
        Lease {
            addr: Ipv4Addr::new(198, 18, 0, last),
            client: Some(ClientKey::HwAddr(hw)),
            hwaddr: Some(hw),
            state,
            starts: 100,
            expires,
            hostname: None,
        }
    }

    #[test]
    fn writes_live_leases_as_dnsmasq_does() {
        let mut with_id = lease(1, LeaseState::Bound, 5000);
        with_id.client = Some(ClientKey::ClientId(vec![1, 0x52, 0x54, 0, 0, 0, 1]));
        with_id.hostname = Some("printer".into());
        let mut odd_name = lease(6, LeaseState::Bound, 5000);
        odd_name.hostname = Some("two words".into());
        let mut ib = lease(7, LeaseState::Bound, 5000);
        ib.hwaddr = HwAddr::new(32, &[]).ok();
        ib.client = Some(ClientKey::ClientId(vec![0xff, 0, 1]));
        let text = dnsmasq(
            &[
                with_id,
                lease(2, LeaseState::Bound, INFINITE),
                lease(3, LeaseState::Bound, 1000),
                lease(4, LeaseState::Expired, 5000),
                lease(5, LeaseState::Declined, 5000),
                odd_name,
                ib,
            ],
            1000,
        );
        assert_eq!(
            text,
            "5000 52:54:00:00:00:01 198.18.0.1 printer 01:52:54:00:00:00:01\n\
             0 52:54:00:00:00:02 198.18.0.2 * *\n\
             5000 52:54:00:00:00:06 198.18.0.6 * *\n\
             5000 20- 198.18.0.7 * ff:00:01\n"
        );
    }
}
