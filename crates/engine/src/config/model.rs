//! The validated configuration model the engine reads.
//!
//! Built only by [`Config::from_toml`](super::Config::from_toml) /
//! [`Config::load`](super::Config::load), so every value here has passed the checks in
//! `config::validate`: addresses parse, pools lie inside their subnet and overlap nothing,
//! reservations are unique, lease times are ordered and option values encode.

use crate::lease::ClientKey;
use ipnet::Ipv4Net;
use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;

/// Encoded option values by code (`code → value bytes`), as they go on the wire.
pub type OptionSet = BTreeMap<u8, Vec<u8>>;

/// A validated configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Server-wide settings (`[server]`).
    pub server: ServerConfig,
    /// Subnets (`[[subnet]]`), in file order. Indices into this vector are the subnet indices
    /// used across the engine.
    pub subnets: Vec<Subnet>,
    /// Client classes (`[[class]]`), in file order. Indices into this vector are the class
    /// indices of [`Pool::classes`] and of a request's class set.
    pub classes: Vec<super::class::ClientClass>,
    /// `[control]`: the control API listener; `None` when the file has no `[control]` table
    /// (the API is then off).
    pub control: Option<super::observe::ControlConfig>,
    /// `[alerts]`: alert thresholds (all off by default).
    pub alerts: super::observe::AlertsConfig,
    /// `[security]`: admission limits, pool reserve and rogue-server detection (limits on by
    /// default).
    pub security: crate::config::security::SecurityConfig,
    /// `[store]`: where leases are kept (SQLite by default).
    pub store: crate::config::store::StoreConfig,
    /// `[tftp]`: the TFTP boot file service; `None` (the service is off) without the table.
    pub tftp: Option<crate::config::boot::TftpConfig>,
    /// `[http_boot]`: the HTTP boot file service; `None` (off) without the table.
    pub http_boot: Option<crate::config::boot::HttpBootConfig>,
    /// `[ddns]`: dynamic DNS updates; `None` (no table) turns them off everywhere. The policy
    /// of one subnet is [`Config::ddns_policy`].
    pub ddns: Option<crate::config::ddns::DdnsConfig>,
    pub(crate) index: ConfigIndex,
}

/// Server-wide settings: `[server]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// Interface names to serve; empty means every non-loopback interface (the net layer
    /// decides). Key `interfaces`.
    pub interfaces: Vec<String>,
    /// Bind the server socket to this address only (e.g. `127.0.0.1` for a trial on loopback).
    /// Key `listen_address`; default: all addresses (`0.0.0.0`), needed to receive broadcasts.
    pub listen_address: Option<Ipv4Addr>,
    /// UDP port the server listens on. Key `server_port`, default 67 (use 1067 for an
    /// unprivileged trial).
    pub server_port: u16,
    /// UDP port replies are sent to. Key `client_port`, default 68.
    pub client_port: u16,
    /// UDP port on which PXE clients send proxy DHCP requests (key `pxe_port`, default 4011,
    /// PXE 2.1). The server listens on it only when a subnet has `proxy = true`.
    pub pxe_port: u16,
    /// Server identifier (option 54) override. Key `server_id`; default: the address of the
    /// interface the request arrived on.
    pub server_id: Option<Ipv4Addr>,
    /// Default lease times (keys `lease_time` default 3600, `renewal_time` default 50 %,
    /// `rebinding_time` default 87.5 %, `min_lease_time`, `max_lease_time`). Subnets may
    /// override each key.
    pub lease: LeasePolicy,
    /// Seconds an offered address is held for the client. Key `offer_hold`, default 30.
    pub offer_hold: u32,
    /// Seconds a declined address stays out of use. Key `probation_time`, default 3600.
    pub probation_time: u32,
    /// NAK requests for addresses we do not know on subnets we serve, instead of staying
    /// silent (RFC 2131 §4.3.2). Key `authoritative`, default true.
    pub authoritative: bool,
    /// Lease of BOOTP clients in seconds; `None` is infinite. Key `bootp_lease_time`: seconds or
    /// `"infinite"` (default).
    pub bootp_lease_time: Option<u32>,
    /// Give BOOTP clients without a reservation an address from the pools. Key
    /// `dynamic_bootp`, default false (BOOTP leases never end by default, so opt in).
    pub dynamic_bootp: bool,
    /// Options sent even when the client did not ask for them (option names or codes). Key
    /// `always_send`. Options 1, 3, 6, 15, 51, 53, 54, 58, 59, 61 and 82 are always sent.
    pub always_send: Vec<u8>,
    /// Relay agents allowed to forward requests, matched on giaddr: key `allowed_relays =
    /// ["198.18.1.1", "198.18.2.0/24"]`. `None` (key absent): every relay is accepted. When set,
    /// relayed requests (giaddr ≠ 0) from other relays are dropped with reason
    /// `relay_not_allowed`; `[]` refuses all relayed requests.
    pub allowed_relays: Option<Vec<Ipv4Net>>,
    /// Match `circuit_id`/`remote_id` reservations against option 82 of requests with giaddr 0
    /// too (inserted by a layer-2 relay agent such as a snooping switch). Key
    /// `trust_option82_without_giaddr`, default false: only relayed requests are matched, so a
    /// directly attached client cannot claim a port's address by sending its own option 82.
    pub trust_option82_without_giaddr: bool,
    /// When started as root, switch to this user after opening the sockets, keeping only the
    /// network capabilities (key `user`, e.g. `"leasehold"`). Default: none (a warning is
    /// logged when running as root).
    pub user: Option<String>,
    /// Microseconds the lease writer waits, after the first durable change of a transaction
    /// arrives, for more to share that transaction and its fsync (key `commit_delay_us`, default
    /// [`DEFAULT_COMMIT_DELAY_US`], at most [`MAX_COMMIT_DELAY_US`]; 0 commits at once) — but
    /// only under load: while the lease rate (measured over 10 ms or more) brings at least 8
    /// leases per such window. Under load an ACK that records a lease leaves up to this much
    /// later; in exchange many leases share one commit instead of a few each, which costs far
    /// less CPU and disk work. Below that rate a lease is committed at once. Takes effect at the
    /// next restart.
    pub commit_delay_us: u32,
    /// Microseconds the packet loop waits, once it has handled every queued datagram, before it
    /// looks at the socket again — but only under load: while the arrival rate (measured over
    /// 10 ms or more) brings at least 8 datagrams per such window (key `coalesce_us`, default
    /// [`DEFAULT_COALESCE_US`], at most [`MAX_COALESCE_US`]; 0 never waits). Under load one
    /// wake-up then handles many datagrams with one receive and one send system call instead of
    /// one wake-up and two calls each; at lower rates a request is answered at once. Adds at
    /// most this much to a reply's latency under load. Takes effect at the next restart.
    pub coalesce_us: u32,
    /// Seconds a lease's state changes are kept in the lease history (key `history_retention`,
    /// default [`DEFAULT_HISTORY_RETENTION`], 30 days; 0 keeps history forever). Current lease
    /// records are never pruned.
    pub history_retention: u32,
    /// Global options: `[server.options]`, key = option name or code, value = text, number,
    /// boolean or a list of them.
    pub options: OptionSet,
}

/// Default of [`ServerConfig::commit_delay_us`]: 2 ms, invisible next to DHCP clients'
/// retransmission timers (4 s and more, RFC 2131 §4.1).
pub const DEFAULT_COMMIT_DELAY_US: u32 = 2_000;

/// Default of [`ServerConfig::coalesce_us`]: 2 ms (it applies from 4,000 datagrams/s).
pub const DEFAULT_COALESCE_US: u32 = 2_000;

/// Largest accepted [`ServerConfig::coalesce_us`]: 10 ms.
pub const MAX_COALESCE_US: u32 = 10_000;

/// Default of [`ServerConfig::history_retention`]: 30 days.
pub const DEFAULT_HISTORY_RETENTION: u32 = 30 * 24 * 3600;

/// Largest accepted [`ServerConfig::commit_delay_us`]: 100 ms.
pub const MAX_COMMIT_DELAY_US: u32 = 100_000;

/// Lease durations in seconds, resolved for one subnet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeasePolicy {
    /// Lease granted when the client asks for none (key `lease_time`). `u32::MAX` is infinite.
    pub lease_time: u32,
    /// T1 (option 58); `None` = half the granted lease (key `renewal_time`).
    pub renewal_time: Option<u32>,
    /// T2 (option 59); `None` = 7/8 of the granted lease (key `rebinding_time`).
    pub rebinding_time: Option<u32>,
    /// Shortest lease a client may ask for with option 51 (key `min_lease_time`).
    pub min_lease_time: u32,
    /// Longest lease a client may ask for with option 51 (key `max_lease_time`).
    pub max_lease_time: u32,
}

impl LeasePolicy {
    /// The lease to grant when the client asked for `requested` seconds (option 51): the request
    /// clamped to `[min_lease_time, max_lease_time]`, or `lease_time` when absent.
    pub fn grant(&self, requested: Option<u32>) -> u32 {
        match requested {
            Some(r) => r.clamp(self.min_lease_time, self.max_lease_time),
            None => self.lease_time,
        }
    }

    /// T1 and T2 for a granted lease of `lease` seconds: the configured values when they fit
    /// below the lease, else 50 % and 87.5 % (RFC 2131 §4.4.5). `None` for infinite leases.
    pub fn timers(&self, lease: u32) -> Option<(u32, u32)> {
        if lease == u32::MAX {
            return None;
        }
        let t1 = self
            .renewal_time
            .filter(|t| *t < lease)
            .unwrap_or(lease / 2);
        let default_t2 = ((u64::from(lease) * 7) / 8) as u32;
        let t2 = self
            .rebinding_time
            .filter(|t| *t > t1 && *t < lease)
            .unwrap_or(default_t2);
        Some((t1, t2.max(t1)))
    }
}

/// One `[[subnet]]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subnet {
    /// Stable id (key `id`; default: the subnet's 1-based position in the file).
    pub id: u32,
    /// The network (key `subnet`, e.g. `"198.18.0.0/24"`).
    pub net: Ipv4Net,
    /// Subnets with the same name share one link; allocation may use any of them (key
    /// `shared_network`).
    pub shared_network: Option<String>,
    /// The interface this subnet is directly attached to, if any (key `interface`).
    pub interface: Option<String>,
    /// Proxy DHCP on this link (key `proxy`, default false): another server assigns the
    /// addresses; this one answers only PXE clients (option 60 `PXEClient...`) with boot
    /// information, never assigns an address, records no lease and never NAKs. Such a subnet
    /// has no pools or reservations.
    pub proxy: bool,
    /// `siaddr` of replies: the next (TFTP) server (key `next_server`).
    pub next_server: Option<Ipv4Addr>,
    /// `file` of replies (key `boot_file`).
    pub boot_file: Option<String>,
    /// `sname` of replies (key `server_name`).
    pub server_name: Option<String>,
    /// Lease times after applying this subnet's overrides to the server defaults.
    pub lease: LeasePolicy,
    /// `[subnet.options]`.
    pub options: OptionSet,
    /// `[[subnet.pool]]`: dynamic ranges.
    pub pools: Vec<Pool>,
    /// `[[subnet.reservation]]`: fixed addresses.
    pub reservations: Vec<Reservation>,
    /// `[[subnet.circuit]]`: options for clients behind a relay circuit.
    pub circuits: Vec<CircuitOptions>,
    /// `[subnet.ddns]`: this subnet's overrides of the `[ddns]` policy (see
    /// [`Config::ddns_policy`]).
    pub ddns: Option<crate::config::ddns::SubnetDdns>,
}

/// One `[[subnet.circuit]]`: options for every client whose relay agent information matches
/// (keys `circuit_id` and/or `remote_id`, text or `0x` hex, all given must match). They apply
/// above the subnet and pool options and below a reservation's; when several match, the more
/// specific (circuit + remote, then circuit, then remote) wins per option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CircuitOptions {
    /// What to match in option 82.
    pub id: RelayId,
    /// `[subnet.circuit.options]`.
    pub options: OptionSet,
}

/// One `[[subnet.pool]]`: a dynamic range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pool {
    /// Index of this pool across all subnets (the table's pool id).
    pub id: usize,
    /// First address (key `range = "a-b"`, or `start`).
    pub start: Ipv4Addr,
    /// Last address, inclusive (key `range`, or `end`).
    pub end: Ipv4Addr,
    /// Addresses in the range never handed out (key `exclude`), sorted.
    pub exclude: Vec<Ipv4Addr>,
    /// Key `classes = ["name", ...]`: only clients in one of these classes (indices into
    /// [`Config::classes`]) get addresses from this pool; `None` admits everyone.
    pub classes: Option<Vec<usize>>,
    /// `[subnet.pool.options]`.
    pub options: OptionSet,
}

impl Pool {
    /// True when `addr` lies in `start..=end` (exclusions included).
    pub fn contains(&self, addr: Ipv4Addr) -> bool {
        self.start <= addr && addr <= self.end
    }

    /// True when a client in the classes `member_of` (sorted class indices) may get addresses
    /// from this pool.
    pub fn admits(&self, member_of: &[usize]) -> bool {
        self.classes
            .as_ref()
            .is_none_or(|want| want.iter().any(|c| member_of.binary_search(c).is_ok()))
    }

    /// True when `addr` is listed in `exclude`.
    pub fn excludes(&self, addr: Ipv4Addr) -> bool {
        self.exclude.binary_search(&addr).is_ok()
    }
}

/// One `[[subnet.reservation]]`: a fixed address for one client, or for whatever client sits
/// behind one relay circuit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reservation {
    /// Who: key `hw_address = "52:54:00:00:00:01"` (Ethernet), `client_id = "01:52:54:..."`
    /// (option 61 bytes, type byte first), or `circuit_id` and/or `remote_id` (option 82).
    pub key: ReservationKey,
    /// The address (key `address`); must lie in the subnet.
    pub address: Ipv4Addr,
    /// Host name sent as option 12 (key `hostname`).
    pub hostname: Option<String>,
    /// `siaddr` override (key `next_server`).
    pub next_server: Option<Ipv4Addr>,
    /// `file` override (key `boot_file`).
    pub boot_file: Option<String>,
    /// `[subnet.reservation.options]`, highest precedence.
    pub options: OptionSet,
}

/// What a reservation is keyed on.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ReservationKey {
    /// One client, by option 61 or hardware address.
    Client(ClientKey),
    /// Whoever the relay agent information (option 82) puts on this circuit.
    Relay(RelayId),
}

impl ReservationKey {
    /// The client of a client-keyed reservation.
    pub fn client(&self) -> Option<&ClientKey> {
        match self {
            ReservationKey::Client(c) => Some(c),
            ReservationKey::Relay(_) => None,
        }
    }
}

impl std::fmt::Display for ReservationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReservationKey::Client(c) => write!(f, "{c}"),
            ReservationKey::Relay(r) => write!(f, "{r}"),
        }
    }
}

/// Option 82 identifiers of a relay-keyed reservation (RFC 3046 §2.0): the agent circuit id
/// (sub-option 1, e.g. the switch port) and/or the agent remote id (sub-option 2, e.g. the
/// switch). At least one is set; every one set must match.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RelayId {
    /// Key `circuit_id`: text (`"eth0/7"`) or hex (`"0x00040007"`).
    pub circuit_id: Option<Vec<u8>>,
    /// Key `remote_id`: text (`"switch-x"`) or hex.
    pub remote_id: Option<Vec<u8>>,
}

impl RelayId {
    /// True when every identifier set here equals the request's.
    pub fn matches(&self, circuit_id: Option<&[u8]>, remote_id: Option<&[u8]>) -> bool {
        let ok = |want: &Option<Vec<u8>>, got: Option<&[u8]>| {
            want.as_deref().is_none_or(|w| Some(w) == got)
        };
        (self.circuit_id.is_some() || self.remote_id.is_some())
            && ok(&self.circuit_id, circuit_id)
            && ok(&self.remote_id, remote_id)
    }

    /// How specific the key is: 2 for circuit and remote id, 1 for circuit id alone, 0 for
    /// remote id alone. The most specific matching reservation wins.
    pub fn specificity(&self) -> u8 {
        match (&self.circuit_id, &self.remote_id) {
            (Some(_), Some(_)) => 2,
            (Some(_), None) => 1,
            _ => 0,
        }
    }
}

impl std::fmt::Display for RelayId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |b: &[u8]| match std::str::from_utf8(b) {
            Ok(t) if t.chars().all(|c| c.is_ascii_graphic() || c == ' ') => format!("{t:?}"),
            _ => format!("0x{}", leasehold_wire::hex::encode(b, None)),
        };
        let mut parts = Vec::new();
        if let Some(c) = &self.circuit_id {
            parts.push(format!("circuit_id {}", show(c)));
        }
        if let Some(r) = &self.remote_id {
            parts.push(format!("remote_id {}", show(r)));
        }
        write!(f, "{}", parts.join(" + "))
    }
}

/// Lookup structures derived from the model.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ConfigIndex {
    /// (first, last, subnet index) sorted by first address; subnets never overlap.
    pub subnets_by_addr: Vec<(u32, u32, usize)>,
    /// Per subnet: every subnet index on its link (itself included), in file order.
    pub links: Vec<Vec<usize>>,
    /// Pool id → (subnet index, pool index in subnet).
    pub pools: Vec<(usize, usize)>,
    /// Reserved address → (subnet index, reservation index).
    pub res_by_addr: HashMap<Ipv4Addr, (usize, usize)>,
    /// Client → its reservations (subnet index, reservation index).
    pub res_by_client: HashMap<ClientKey, Vec<(usize, usize)>>,
    /// Circuit id → relay-keyed reservations with that circuit id.
    pub res_by_circuit: HashMap<Vec<u8>, Vec<(usize, usize)>>,
    /// Remote id → relay-keyed reservations with that remote id and no circuit id.
    pub res_by_remote: HashMap<Vec<u8>, Vec<(usize, usize)>>,
}

impl Config {
    /// Index of the subnet containing `addr`.
    pub fn subnet_for(&self, addr: Ipv4Addr) -> Option<usize> {
        let a = u32::from(addr);
        let v = &self.index.subnets_by_addr;
        let i = v.partition_point(|(first, _, _)| *first <= a);
        let (first, last, idx) = *v.get(i.checked_sub(1)?)?;
        (first <= a && a <= last).then_some(idx)
    }

    /// Every subnet on the same link as `subnet` (same `shared_network`), itself included.
    pub fn link(&self, subnet: usize) -> &[usize] {
        self.index
            .links
            .get(subnet)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The pool with id `pool_id` and its subnet index.
    pub fn pool(&self, pool_id: usize) -> Option<(usize, &Pool)> {
        let (s, p) = *self.index.pools.get(pool_id)?;
        Some((s, self.subnets.get(s)?.pools.get(p)?))
    }

    /// True when some subnet does proxy DHCP (the server must then listen on `pxe_port` too).
    pub fn has_proxy(&self) -> bool {
        self.subnets.iter().any(|s| s.proxy)
    }

    /// Number of pools across all subnets.
    pub fn pool_count(&self) -> usize {
        self.index.pools.len()
    }

    /// The pool (of any subnet) whose range contains `addr`.
    pub fn pool_containing(&self, addr: Ipv4Addr) -> Option<(usize, &Pool)> {
        let s = self.subnet_for(addr)?;
        let pool = self
            .subnets
            .get(s)?
            .pools
            .iter()
            .find(|p| p.contains(addr))?;
        Some((s, pool))
    }

    /// The reservation of `addr`, with its subnet index.
    pub fn reservation_by_addr(&self, addr: Ipv4Addr) -> Option<(usize, &Reservation)> {
        let (s, r) = *self.index.res_by_addr.get(&addr)?;
        Some((s, self.subnets.get(s)?.reservations.get(r)?))
    }

    /// The reservations of `client`, with their subnet indices.
    pub fn reservations_of(
        &self,
        client: &ClientKey,
    ) -> impl Iterator<Item = (usize, &Reservation)> {
        self.index
            .res_by_client
            .get(client)
            .into_iter()
            .flatten()
            .filter_map(|(s, r)| Some((*s, self.subnets.get(*s)?.reservations.get(*r)?)))
    }
}

impl Config {
    /// Relay-keyed reservations whose identifiers all match `circuit_id`/`remote_id` (option 82
    /// sub-options 1 and 2), with their subnet indices, most specific first.
    pub fn reservations_by_relay(
        &self,
        circuit_id: Option<&[u8]>,
        remote_id: Option<&[u8]>,
    ) -> Vec<(usize, &Reservation)> {
        let by_circuit = circuit_id.and_then(|k| self.index.res_by_circuit.get(k));
        let by_remote = remote_id.and_then(|k| self.index.res_by_remote.get(k));
        let mut out: Vec<(usize, &Reservation)> = by_circuit
            .into_iter()
            .chain(by_remote)
            .flatten()
            .copied()
            .filter_map(|(s, r)| Some((s, self.subnets.get(s)?.reservations.get(r)?)))
            .filter(|(_, r)| match &r.key {
                ReservationKey::Relay(id) => id.matches(circuit_id, remote_id),
                ReservationKey::Client(_) => false,
            })
            .collect();
        out.sort_by_key(|(_, r)| match &r.key {
            ReservationKey::Relay(id) => std::cmp::Reverse(id.specificity()),
            ReservationKey::Client(_) => std::cmp::Reverse(0),
        });
        out
    }
}

impl ServerConfig {
    /// True when a request relayed through `giaddr` may be served: no `allowed_relays` list, or
    /// `giaddr` lies in one of its entries.
    pub fn relay_allowed(&self, giaddr: Ipv4Addr) -> bool {
        self.allowed_relays
            .as_ref()
            .is_none_or(|l| l.iter().any(|n| n.contains(&giaddr)))
    }
}
