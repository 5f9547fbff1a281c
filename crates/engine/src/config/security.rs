//! The `[security]` table: admission limits, relay and server allow-lists, the pool reserve and
//! rogue-server probing. Every limit is on by default; `0` turns a rate limit off.

use std::net::Ipv4Addr;

/// A rate: `per_sec` tokens per second, at most `burst` stored. `per_sec == 0` disables the
/// limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    /// Sustained packets per second.
    pub per_sec: u32,
    /// Packets allowed at once after a quiet period.
    pub burst: u32,
}

impl Rate {
    /// No limit.
    pub const UNLIMITED: Rate = Rate {
        per_sec: 0,
        burst: 0,
    };

    /// True when this rate limits anything.
    pub fn is_limited(&self) -> bool {
        self.per_sec > 0
    }

    /// Bucket size in milli-tokens.
    pub(crate) fn cap_milli(&self) -> u64 {
        u64::from(self.burst.max(1)) * 1000
    }
}

/// Validated `[security]` settings. See `docs/security.md` for the defaults table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityConfig {
    /// Packets per client (option 61, else chaddr). Keys `client_rate` (default 2/s) and
    /// `client_burst` (default 10).
    pub client_rate: Rate,
    /// Packets per relay circuit (giaddr + option 82 circuit-id). Keys `circuit_rate`
    /// (default 10/s) and `circuit_burst` (default 30).
    pub circuit_rate: Rate,
    /// Packets per relay (giaddr). Keys `relay_rate` (default 10,000/s) and `relay_burst`
    /// (default 20,000). High on purpose: one relay may stand for a whole campus in a boot
    /// storm; the per-client and per-circuit limits are the fine-grained defence.
    pub relay_rate: Rate,
    /// Buckets kept per limiter; older keys are evicted beyond it. Key `tracked_keys`,
    /// default 16384 (about 384 KiB per limiter).
    pub tracked_keys: usize,
    /// Relayed packets (hops > 0 or giaddr set) with more hops are dropped. Key `max_hops`,
    /// default 16 (RFC 1542 §4.1.1).
    pub max_hops: u8,
    /// Other DHCP servers allowed on the served links (not reported as rogue). Key
    /// `allowed_servers`.
    pub allowed_servers: Vec<Ipv4Addr>,
    /// Percentage of a link's pool addresses bound (offers do not count) beyond which the link
    /// is under pressure and offers to new clients are rationed: the last free addresses go
    /// slower than the first. Key `pool_reserve_threshold`, default 90; 100 turns the reserve
    /// off.
    pub pool_reserve_threshold: u8,
    /// The pressure defence against starvation floods (see [`PressureConfig`]).
    pub pressure: PressureConfig,
    /// Most addresses bound at once per relay circuit-id. Key `max_leases_per_circuit`,
    /// default none.
    pub max_leases_per_circuit: Option<u32>,
    /// Most addresses bound at once per relay (giaddr). Key `max_leases_per_relay`, default
    /// none.
    pub max_leases_per_relay: Option<u32>,
    /// Most addresses bound at once per hardware-address prefix (OUI, first 3 bytes). Key
    /// `max_leases_per_oui`, default none.
    pub max_leases_per_oui: Option<u32>,
    /// Listen for other servers' OFFER/ACK broadcasts on the client port and report them.
    /// Key `detect_rogue_servers`, default true.
    pub detect_rogue_servers: bool,
    /// Seconds between active rogue probes (a DISCOVER with a throwaway client id on every
    /// served interface); `None` disables. Key `probe_interval`, default none.
    pub probe_interval: Option<u32>,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        SecurityConfig {
            client_rate: Rate {
                per_sec: 2,
                burst: 10,
            },
            circuit_rate: Rate {
                per_sec: 10,
                burst: 30,
            },
            relay_rate: Rate {
                per_sec: 10_000,
                burst: 20_000,
            },
            tracked_keys: 16_384,
            max_hops: 16,
            allowed_servers: Vec::new(),
            pool_reserve_threshold: 90,
            pressure: PressureConfig::default(),
            max_leases_per_circuit: None,
            max_leases_per_relay: None,
            max_leases_per_oui: None,
            detect_rogue_servers: true,
            probe_interval: None,
        }
    }
}

/// The pressure defence (`docs/security.md`, "Starvation"): a link is under pressure while new
/// clients bind faster than [`PressureConfig::new_bindings`] per minute or its bindings pass
/// `pool_reserve_threshold`. Under pressure a new client must retransmit its DISCOVER before it
/// is offered an address (forged one-shot identities never do), and its first lease is short
/// (forged clients never renew, so their addresses come back fast).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PressureConfig {
    /// The defence as a whole. Key `pressure`, default true.
    pub enabled: bool,
    /// New bindings per link within 60 s that put the link under pressure; `None` is 10 % of
    /// the link's pool addresses, at least 10. Key `pressure_new_bindings`.
    pub new_bindings: Option<u32>,
    /// Lease (seconds) granted to a new client while its link is under pressure; its first
    /// renewal gets the normal lease. Key `pressure_lease_time`, default 120.
    pub lease_time: u32,
    /// Under pressure, answer a new client's DISCOVER only when it is a retransmission (the same
    /// client seen at least 1 s and at most 300 s earlier). Key `pressure_retry`, default true.
    pub retry: bool,
    /// Slots of the table of first sightings (16 bytes each; fixed memory). Key
    /// `pressure_sightings`, default 65536 (1 MiB).
    pub sightings: usize,
    /// In the reserve (bindings past `pool_reserve_threshold`), at most one offer to a new client
    /// per `ration_seconds / free addresses`. Key `pressure_ration_seconds`, default 2 (a longer
    /// one makes real clients that were turned away back off for a minute or more).
    pub ration_seconds: u32,
}

impl Default for PressureConfig {
    fn default() -> Self {
        PressureConfig {
            enabled: true,
            new_bindings: None,
            lease_time: 120,
            retry: true,
            sightings: 65_536,
            ration_seconds: 2,
        }
    }
}

/// `[security]` as written.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSecurity {
    pub client_rate: Option<u32>,
    pub client_burst: Option<u32>,
    pub circuit_rate: Option<u32>,
    pub circuit_burst: Option<u32>,
    pub relay_rate: Option<u32>,
    pub relay_burst: Option<u32>,
    pub tracked_keys: Option<toml::Spanned<u32>>,
    pub max_hops: Option<u8>,
    #[serde(default)]
    pub allowed_servers: Vec<toml::Spanned<String>>,
    pub pool_reserve_threshold: Option<toml::Spanned<u8>>,
    pub pressure: Option<bool>,
    pub pressure_new_bindings: Option<toml::Spanned<u32>>,
    pub pressure_lease_time: Option<toml::Spanned<u32>>,
    pub pressure_retry: Option<bool>,
    pub pressure_sightings: Option<toml::Spanned<u32>>,
    pub pressure_ration_seconds: Option<u32>,
    pub max_leases_per_circuit: Option<u32>,
    pub max_leases_per_relay: Option<u32>,
    pub max_leases_per_oui: Option<u32>,
    pub detect_rogue_servers: Option<bool>,
    pub probe_interval: Option<toml::Spanned<u32>>,
}

/// Validates `[security]`.
pub(crate) fn build(raw: &RawSecurity) -> Result<SecurityConfig, super::error::SpanError> {
    use super::error::SpanError;
    let d = SecurityConfig::default();
    let rate = |r: Option<u32>, b: Option<u32>, def: Rate| {
        let per_sec = r.unwrap_or(def.per_sec);
        Rate {
            per_sec,
            burst: b.unwrap_or(def.burst.max(per_sec)).max(1),
        }
    };
    let mut allowed_servers = Vec::with_capacity(raw.allowed_servers.len());
    for s in &raw.allowed_servers {
        let a: std::net::Ipv4Addr = s.get_ref().trim().parse().map_err(|_| {
            SpanError::new(
                s.span().start,
                format!("allowed_servers: {:?} is not an IPv4 address", s.get_ref()),
            )
        })?;
        allowed_servers.push(a);
    }
    if let Some(t) = &raw.pool_reserve_threshold {
        if *t.get_ref() > 100 {
            return Err(SpanError::new(
                t.span().start,
                "pool_reserve_threshold is a percentage (0-100; 100 turns the reserve off)",
            ));
        }
    }
    let positive = |v: &Option<toml::Spanned<u32>>, what: &str| match v {
        Some(x) if *x.get_ref() == 0 => Err(SpanError::new(
            x.span().start,
            format!("{what} must be positive"),
        )),
        _ => Ok(v.as_ref().map(|x| *x.get_ref())),
    };
    let pressure_new_bindings = positive(&raw.pressure_new_bindings, "pressure_new_bindings")?;
    let pressure_lease_time = positive(&raw.pressure_lease_time, "pressure_lease_time")?;
    if let Some(k) = &raw.pressure_sightings {
        if !(64..=16_777_216).contains(k.get_ref()) {
            return Err(SpanError::new(
                k.span().start,
                "pressure_sightings must be between 64 and 16777216",
            ));
        }
    }
    if let Some(k) = &raw.tracked_keys {
        if !(64..=16_777_216).contains(k.get_ref()) {
            return Err(SpanError::new(
                k.span().start,
                "tracked_keys must be between 64 and 16777216",
            ));
        }
    }
    if let Some(p) = &raw.probe_interval {
        if *p.get_ref() == 0 {
            return Err(SpanError::new(
                p.span().start,
                "probe_interval must be positive (leave it out to turn probing off)",
            ));
        }
    }
    Ok(SecurityConfig {
        client_rate: rate(raw.client_rate, raw.client_burst, d.client_rate),
        circuit_rate: rate(raw.circuit_rate, raw.circuit_burst, d.circuit_rate),
        relay_rate: rate(raw.relay_rate, raw.relay_burst, d.relay_rate),
        tracked_keys: raw
            .tracked_keys
            .as_ref()
            .map(|k| *k.get_ref() as usize)
            .unwrap_or(d.tracked_keys),
        max_hops: raw.max_hops.unwrap_or(d.max_hops),
        allowed_servers,
        pool_reserve_threshold: raw
            .pool_reserve_threshold
            .as_ref()
            .map(|t| *t.get_ref())
            .unwrap_or(d.pool_reserve_threshold),
        pressure: PressureConfig {
            enabled: raw.pressure.unwrap_or(d.pressure.enabled),
            new_bindings: pressure_new_bindings,
            lease_time: pressure_lease_time.unwrap_or(d.pressure.lease_time),
            retry: raw.pressure_retry.unwrap_or(d.pressure.retry),
            sightings: raw
                .pressure_sightings
                .as_ref()
                .map(|k| *k.get_ref() as usize)
                .unwrap_or(d.pressure.sightings),
            ration_seconds: raw
                .pressure_ration_seconds
                .unwrap_or(d.pressure.ration_seconds),
        },
        max_leases_per_circuit: raw.max_leases_per_circuit,
        max_leases_per_relay: raw.max_leases_per_relay,
        max_leases_per_oui: raw.max_leases_per_oui,
        detect_rogue_servers: raw.detect_rogue_servers.unwrap_or(d.detect_rogue_servers),
        probe_interval: raw.probe_interval.as_ref().map(|p| *p.get_ref()),
    })
}
