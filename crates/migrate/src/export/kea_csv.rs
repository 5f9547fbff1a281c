//! Leasehold's leases as Kea's memfile lease file (`kea-leases4.csv`, the Kea 2.2 format that
//! `kea-dhcp4` loads at start).
//!
//! One line per lease under Kea 2.2's header. Kea 2.2 knows states 0 (default), 1 (declined)
//! and 2 (expired-reclaimed): a bound lease is written as 0, a declined one as 1, expired and
//! released ones as 2 (the address is free either way; Kea 2.2 has no released state). A
//! lease is skipped when `subnet_id` names no subnet for its address (Kea drops leases of
//! unknown subnets), or when it has neither a hardware address nor a client id and is not
//! declined (Kea refuses such lines).

use crate::kea::csv::{escape, KEA_2_2_COLUMNS};
use leasehold_engine::{ClientKey, Lease, LeaseState, INFINITE};
use std::fmt::Write as _;
use std::net::Ipv4Addr;

/// Kea's infinite valid lifetime.
const KEA_INFINITE: u64 = 0xffff_ffff;

/// The Kea 2.2 lease file holding `leases`; `subnet_id` gives the Kea subnet id of an address
/// (Leasehold's `[[subnet]] id`). `now` is accepted for symmetry with the other exporters: Kea
/// itself decides at load time which leases have expired.
pub fn kea_csv(leases: &[Lease], subnet_id: &dyn Fn(Ipv4Addr) -> Option<u32>, _now: u64) -> String {
    let mut out = KEA_2_2_COLUMNS.join(",");
    out.push('\n');
    for l in leases {
        let Some(sid) = subnet_id(l.addr) else {
            continue;
        };
        let hw = l.hwaddr.or(match &l.client {
            Some(ClientKey::HwAddr(h)) => Some(*h),
            _ => None,
        });
        let hwaddr = hw
            .filter(|h| !h.as_bytes().is_empty())
            .map(|h| leasehold_wire::hex::encode(h.as_bytes(), Some(':')))
            .unwrap_or_default();
        let client_id = match &l.client {
            Some(ClientKey::ClientId(id)) if !id.is_empty() => {
                leasehold_wire::hex::encode(id, Some(':'))
            }
            _ => String::new(),
        };
        if hwaddr.is_empty() && client_id.is_empty() && l.state != LeaseState::Declined {
            continue;
        }
        let (valid, expire) = if l.expires == INFINITE {
            (KEA_INFINITE, l.starts.saturating_add(KEA_INFINITE))
        } else {
            let valid = l
                .expires
                .saturating_sub(l.starts)
                .clamp(1, KEA_INFINITE - 1);
            (valid, l.starts.saturating_add(valid))
        };
        let state = match l.state {
            LeaseState::Bound => 0,
            LeaseState::Declined => 1,
            LeaseState::Expired | LeaseState::Released => 2,
        };
        let hostname = l.hostname.as_deref().map(escape).unwrap_or_default();
        let _ = writeln!(
            out,
            "{},{hwaddr},{client_id},{valid},{expire},{sid},0,0,{hostname},{state},",
            l.addr
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use leasehold_wire::HwAddr;

    #[test]
    fn writes_kea_2_2_lines() {
        let hw = HwAddr::ethernet([0x52, 0x54, 0, 0, 0, 1]);
        let leases = vec![
            Lease {
                addr: Ipv4Addr::new(198, 18, 0, 10),
                client: Some(ClientKey::ClientId(vec![1, 0x52, 0x54, 0, 0, 0, 1])),
                hwaddr: Some(hw),
                state: LeaseState::Bound,
                starts: 1_800_000_000,
                expires: 1_800_003_600,
                hostname: Some("a,b".into()),
            },
            Lease {
                addr: Ipv4Addr::new(198, 18, 0, 11),
                client: None,
                hwaddr: None,
                state: LeaseState::Declined,
                starts: 1_800_000_000,
                expires: 1_800_003_600,
                hostname: None,
            },
            Lease {
                addr: Ipv4Addr::new(203, 0, 113, 1),
                client: Some(ClientKey::HwAddr(hw)),
                hwaddr: Some(hw),
                state: LeaseState::Bound,
                starts: 1,
                expires: INFINITE,
                hostname: None,
            },
        ];
        let sid = |a: Ipv4Addr| (a.octets()[0] == 198).then_some(7);
        let text = kea_csv(&leases, &sid, 0);
        assert_eq!(
            text,
            "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context\n\
198.18.0.10,52:54:00:00:00:01,01:52:54:00:00:00:01,3600,1800003600,7,0,0,a&#x2cb,0,\n\
198.18.0.11,,,3600,1800003600,7,0,0,,1,\n"
        );
    }
}
