//! The kernel's IPv4 neighbour (ARP) table, read from `/proc/net/arp`.
//!
//! The fallback for learning a host's MAC address when no packet socket can be opened (no
//! `CAP_NET_RAW`, or a sandbox that forbids `AF_PACKET`): a host this one has talked to
//! recently has a complete entry there. A host that only broadcast to us usually has none, so
//! callers must be ready for `None`. `/proc/net` shows the table of the reader's network
//! namespace.

use crate::mac::MacAddr;
use std::net::Ipv4Addr;

/// Complete entry flag (`ATF_COM`, `<net/if_arp.h>`).
const ATF_COM: u32 = 0x02;
/// Most lines read (the kernel table is bounded by `gc_thresh3`, 1024 by default).
const MAX_LINES: usize = 65_536;

/// The MAC address of `ip` in the neighbour table, on interface `iface` when given; `None`
/// when there is no complete entry or the table cannot be read.
pub fn lookup(ip: Ipv4Addr, iface: Option<&str>) -> Option<MacAddr> {
    let text = std::fs::read_to_string("/proc/net/arp").ok()?;
    find(&text, ip, iface)
}

/// Finds `ip` (on `iface` when given) in the text of `/proc/net/arp`:
///
/// ```text
/// IP address       HW type     Flags       HW address            Mask     Device
/// 198.18.0.2       0x1         0x2         02:00:5e:10:00:02     *        eth0
/// ```
///
/// Incomplete entries (flags without `ATF_COM`, all-zero address) are skipped. Never panics.
pub fn find(text: &str, ip: Ipv4Addr, iface: Option<&str>) -> Option<MacAddr> {
    text.lines().skip(1).take(MAX_LINES).find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        let [addr, _hwtype, flags, hw, _mask, dev] = f.as_slice() else {
            return None;
        };
        if addr.parse::<Ipv4Addr>().ok()? != ip || iface.is_some_and(|i| i != *dev) {
            return None;
        }
        let flags = u32::from_str_radix(flags.trim_start_matches("0x"), 16).ok()?;
        let mac: MacAddr = hw.parse().ok()?;
        (flags & ATF_COM != 0 && mac.0 != [0; 6]).then_some(mac)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TABLE: &str = "\
IP address       HW type     Flags       HW address            Mask     Device
198.18.0.2       0x1         0x2         02:00:5e:10:00:02     *        eth0
198.18.0.3       0x1         0x0         00:00:00:00:00:00     *        eth0
198.18.1.2       0x1         0x6         02:00:5e:10:01:02     *        eth1
garbage
198.18.0.4       0x1         0x2         not-a-mac             *        eth0
";

    #[test]
    fn finds_complete_entries_only() {
        let ip = |s: &str| s.parse::<Ipv4Addr>().expect("ip");
        assert_eq!(
            find(TABLE, ip("198.18.0.2"), None).map(|m| m.to_string()),
            Some("02:00:5e:10:00:02".into())
        );
        assert!(find(TABLE, ip("198.18.0.2"), Some("eth0")).is_some());
        assert_eq!(find(TABLE, ip("198.18.0.2"), Some("eth1")), None);
        assert_eq!(find(TABLE, ip("198.18.0.3"), None), None, "incomplete");
        assert!(find(TABLE, ip("198.18.1.2"), Some("eth1")).is_some());
        assert_eq!(find(TABLE, ip("198.18.0.4"), None), None, "bad address");
        assert_eq!(find(TABLE, ip("198.18.0.9"), None), None, "absent");
        assert_eq!(find("", ip("198.18.0.2"), None), None);
    }

    proptest! {
        #[test]
        fn never_panics(text in ".{0,300}") {
            let _ = find(&text, Ipv4Addr::new(198, 18, 0, 2), Some("eth0"));
        }
    }
}
