//! Leasehold's leases as ISC dhcpd's lease file (`dhcpd.leases`, as dhcpd 4.4 writes and
//! reads it).
//!
//! One `lease` block per record: `starts`, `ends` (`never` for an infinite lease), `cltt`
//! (the start), `binding state` (bound → `active` with `next binding state free`, expired →
//! `free`, released → `released`, declined → `abandoned`), `hardware` (from the record's
//! hardware address, or the client key when it is one), `uid` (the client identifier, as an
//! escaped string) and `client-hostname`. Times are UTC, as dhcpd's default `db-time-format`.

use crate::dhcpd::leases::days_from_civil;
use leasehold_engine::{ClientKey, Lease, LeaseState, INFINITE};
use std::fmt::Write as _;

/// The last second dhcpd's `W YYYY/MM/DD HH:MM:SS` can show (9999-12-31 23:59:59).
fn last_second() -> u64 {
    days_from_civil(10_000, 1, 1) * 86_400 - 1
}

/// The lease file holding `leases`. `now` is accepted for symmetry with the other exporters:
/// dhcpd itself decides at load time which leases have expired.
pub fn dhcpd(leases: &[Lease], _now: u64) -> String {
    let mut out = String::from(
        "# The format of this file is documented in the dhcpd.leases(5) manual page.\n\
         # Written by Leasehold (leasehold leases export --format dhcpd).\n\n\
         authoring-byte-order little-endian;\n\n",
    );
    for l in leases {
        let _ = writeln!(out, "lease {} {{", l.addr);
        let _ = writeln!(out, "  starts {};", time(l.starts));
        let ends = if l.expires == INFINITE || l.expires > last_second() {
            "never".to_string()
        } else {
            time(l.expires)
        };
        let _ = writeln!(out, "  ends {ends};");
        let _ = writeln!(out, "  cltt {};", time(l.starts));
        let state = match l.state {
            LeaseState::Bound => "active",
            LeaseState::Expired => "free",
            LeaseState::Released => "released",
            LeaseState::Declined => "abandoned",
        };
        let _ = writeln!(out, "  binding state {state};");
        if l.state == LeaseState::Bound {
            out.push_str("  next binding state free;\n  rewind binding state free;\n");
        }
        let hw = l.hwaddr.or(match &l.client {
            Some(ClientKey::HwAddr(h)) => Some(*h),
            _ => None,
        });
        if let Some(h) = hw.filter(|h| !h.as_bytes().is_empty()) {
            let kind = match h.htype() {
                1 => Some("ethernet"),
                6 => Some("token-ring"),
                8 => Some("fddi"),
                32 => Some("infiniband"),
                _ => None,
            };
            if let Some(kind) = kind {
                let _ = writeln!(
                    out,
                    "  hardware {kind} {};",
                    leasehold_wire::hex::encode(h.as_bytes(), Some(':'))
                );
            }
        }
        if let Some(ClientKey::ClientId(id)) = &l.client {
            if !id.is_empty() {
                let _ = writeln!(out, "  uid {};", quoted(id));
            }
        }
        if let Some(name) = &l.hostname {
            let _ = writeln!(out, "  client-hostname {};", quoted(name.as_bytes()));
        }
        out.push_str("}\n");
    }
    out
}

/// `W YYYY/MM/DD HH:MM:SS` (UTC; W = 0 for Sunday).
fn time(t: u64) -> String {
    let t = t.min(last_second());
    let days = t / 86_400;
    let secs = t % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{} {y:04}/{m:02}/{d:02} {:02}:{:02}:{:02}",
        (days + 4) % 7,
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// The date of a day number since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: u64) -> (u64, u64, u64) {
    let z = z + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A dhcpd string: printable ASCII as is, `"` and `\` escaped, anything else as `\ooo`.
fn quoted(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() + 2);
    s.push('"');
    for &c in b {
        match c {
            b'"' | b'\\' => {
                s.push('\\');
                s.push(char::from(c));
            }
            0x20..=0x7e => s.push(char::from(c)),
            _ => {
                let _ = write!(s, "\\{c:03o}");
            }
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use leasehold_wire::HwAddr;
    use std::net::Ipv4Addr;

    #[test]
    fn writes_dhcpd_lease_blocks() {
        let hw = HwAddr::ethernet([0x52, 0x54, 0, 0, 0, 1]);
        let leases = vec![
            Lease {
                addr: Ipv4Addr::new(198, 18, 0, 10),
                client: Some(ClientKey::ClientId(vec![1, 0x52, 0x54, 0, 0, 0, 1])),
                hwaddr: Some(hw),
                state: LeaseState::Bound,
                starts: 1_800_000_000,
                expires: 1_800_003_600,
                hostname: Some("a\"b".into()),
            },
            Lease {
                addr: Ipv4Addr::new(198, 18, 0, 11),
                client: None,
                hwaddr: None,
                state: LeaseState::Declined,
                starts: 1_800_000_000,
                expires: INFINITE,
                hostname: None,
            },
        ];
        assert_eq!(
            dhcpd(&leases, 0),
            "# The format of this file is documented in the dhcpd.leases(5) manual page.\n\
# Written by Leasehold (leasehold leases export --format dhcpd).\n\n\
authoring-byte-order little-endian;\n\n\
lease 198.18.0.10 {\n  starts 5 2027/01/15 08:00:00;\n  ends 5 2027/01/15 09:00:00;\n  cltt 5 2027/01/15 08:00:00;\n  binding state active;\n  next binding state free;\n  rewind binding state free;\n  hardware ethernet 52:54:00:00:00:01;\n  uid \"\\001RT\\000\\000\\000\\001\";\n  client-hostname \"a\\\"b\";\n}\n\
lease 198.18.0.11 {\n  starts 5 2027/01/15 08:00:00;\n  ends never;\n  cltt 5 2027/01/15 08:00:00;\n  binding state abandoned;\n}\n"
        );
    }

    #[test]
    fn dates_round_trip() {
        for days in [0u64, 59, 60, 365, 10_957, 11_016, 11_017, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(time(0), "4 1970/01/01 00:00:00");
    }
}
