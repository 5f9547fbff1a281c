//! Interface index → name and IPv4 addresses, read with `if_nameindex(3)` and `getifaddrs(3)`.
//!
//! The kernel reports the arrival interface of each datagram as an index (IP_PKTINFO). The
//! server needs its name (for the interface filter, logs and ARP entries) and its primary IPv4
//! address (the server identifier for direct clients). The map is cached and refreshed on a miss,
//! at most once per [`REFRESH_INTERVAL`], so interfaces that appear or get an address after
//! start-up are picked up without a restart.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// Minimum time between two refreshes triggered by a cache miss.
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(1);

/// What is known about one interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceInfo {
    /// Kernel interface index.
    pub index: u32,
    /// Interface name, e.g. `eth0`.
    pub name: String,
    /// IPv4 addresses in the kernel's order; the first one is the primary address.
    pub addrs: Vec<Ipv4Addr>,
}

impl InterfaceInfo {
    /// The primary IPv4 address, if the interface has one.
    pub fn primary(&self) -> Option<Ipv4Addr> {
        self.addrs.first().copied()
    }
}

/// Reads every interface and its IPv4 addresses from the kernel.
pub fn list_interfaces() -> std::io::Result<Vec<InterfaceInfo>> {
    let mut out: Vec<InterfaceInfo> = nix::net::if_::if_nameindex()
        .map_err(std::io::Error::from)?
        .iter()
        .map(|i| InterfaceInfo {
            index: i.index(),
            name: i.name().to_string_lossy().into_owned(),
            addrs: Vec::new(),
        })
        .collect();
    for ifa in nix::ifaddrs::getifaddrs().map_err(std::io::Error::from)? {
        let Some(sin) = ifa.address.as_ref().and_then(|a| a.as_sockaddr_in()) else {
            continue;
        };
        if let Some(info) = out.iter_mut().find(|i| i.name == ifa.interface_name) {
            info.addrs.push(sin.ip());
        }
    }
    Ok(out)
}

/// A cached, refreshable map from interface index to [`InterfaceInfo`].
#[derive(Debug)]
pub struct InterfaceCache {
    inner: RwLock<Cache>,
}

#[derive(Debug)]
struct Cache {
    by_index: HashMap<u32, InterfaceInfo>,
    refreshed: Option<Instant>,
}

impl Default for InterfaceCache {
    fn default() -> Self {
        InterfaceCache::new()
    }
}

impl InterfaceCache {
    /// An empty cache; the first lookup fills it.
    pub fn new() -> InterfaceCache {
        InterfaceCache {
            inner: RwLock::new(Cache {
                by_index: HashMap::new(),
                refreshed: None,
            }),
        }
    }

    /// Re-reads all interfaces now.
    pub fn refresh(&self) -> std::io::Result<()> {
        let list = list_interfaces()?;
        let mut cache = self.inner.write().unwrap_or_else(|p| p.into_inner());
        cache.by_index = list.into_iter().map(|i| (i.index, i)).collect();
        cache.refreshed = Some(Instant::now());
        Ok(())
    }

    /// The interface with index `index`, refreshing once (rate limited) if it is unknown or has
    /// no IPv4 address yet.
    pub fn lookup(&self, index: u32) -> Option<InterfaceInfo> {
        let (found, stale) = {
            let cache = self.inner.read().unwrap_or_else(|p| p.into_inner());
            let found = cache.by_index.get(&index).cloned();
            let stale = cache
                .refreshed
                .is_none_or(|t| t.elapsed() >= REFRESH_INTERVAL);
            (found, stale)
        };
        match found {
            Some(info) if !info.addrs.is_empty() => Some(info),
            other if stale => {
                if let Err(e) = self.refresh() {
                    tracing::warn!(error = %e, "reading the interface list failed");
                    return other;
                }
                let cache = self.inner.read().unwrap_or_else(|p| p.into_inner());
                cache.by_index.get(&index).cloned()
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_listed_with_127_0_0_1() {
        let list = list_interfaces().expect("list interfaces");
        let lo = list.iter().find(|i| i.name == "lo").expect("lo exists");
        assert!(lo.addrs.contains(&Ipv4Addr::LOCALHOST));
        let cache = InterfaceCache::new();
        let got = cache.lookup(lo.index).expect("lo in cache");
        assert_eq!(got.name, "lo");
        assert_eq!(got.primary(), Some(Ipv4Addr::LOCALHOST));
        assert_eq!(cache.lookup(u32::MAX), None);
    }
}
