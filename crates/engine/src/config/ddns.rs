//! `[ddns]`, `[[ddns.key]]`, `[[ddns.zone]]` and `[subnet.ddns]`: dynamic DNS updates
//! (RFC 4702, RFC 4703), parsed and validated.
//!
//! ```toml
//! [ddns]
//! update = "client"                     # client | both | ptr-only | never
//! qualifying_suffix = "example.test."   # appended to partial names
//! generated_prefix = "dhcp"             # dhcp-198-18-0-100 for clients that send no name
//! replace_client_name = "when-absent"   # when-absent | always | never
//! conflict_resolution = "check-with-dhcid"   # or no-check-with-dhcid
//! ttl = 0                               # 0: a third of the lease (RFC 4702 §5)
//! queue_limit = 65536                   # addresses with DNS work owed
//!
//! [[ddns.key]]
//! name = "leasehold-key."
//! algorithm = "hmac-sha256"             # hmac-sha256 | hmac-sha384 | hmac-sha512
//! secret_file = "/etc/leasehold/ddns.key"
//!
//! [[ddns.zone]]
//! name = "example.test."
//! server = "198.18.0.53"                # optional :port, default 53
//! key = "leasehold-key."                # optional
//!
//! [[subnet]]
//! # ...
//! [subnet.ddns]                         # per-subnet overrides
//! update = "ptr-only"
//! ```
//!
//! The engine reads the update policy (the name decision, option 81 in replies, see
//! [`crate::ddns`]); the keys, zones, conflict mode and queue limit are for the runtime's DNS
//! updater. Nothing here touches the filesystem or the network: the secret files are read by the
//! runtime.

use super::error::SpanError;
use super::model::Config;
use serde::Deserialize;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::PathBuf;
use toml::Spanned;

type Result<T> = std::result::Result<T, SpanError>;

/// Default `generated_prefix`.
pub const DEFAULT_GENERATED_PREFIX: &str = "dhcp";
/// Default `queue_limit`.
pub const DEFAULT_QUEUE_LIMIT: usize = 65_536;
/// Largest accepted `queue_limit`.
pub const MAX_QUEUE_LIMIT: usize = 16_777_216;
/// Largest TTL (RFC 2181 §8: 2^31 − 1).
pub const MAX_TTL: u32 = 0x7fff_ffff;
/// TTL of the records of an infinite lease when `ttl = 0` (a third of forever is no TTL).
pub const INFINITE_LEASE_TTL: u32 = 86_400;
/// Default DNS port of a zone's `server`.
pub const DNS_PORT: u16 = 53;
/// Longest `generated_prefix`: a label of 63 less the 16 of `-255-255-255-255`.
pub const MAX_GENERATED_PREFIX: usize = 47;

/// `[ddns]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDdns {
    pub update: Option<Spanned<String>>,
    pub qualifying_suffix: Option<Spanned<String>>,
    pub generated_prefix: Option<Spanned<String>>,
    pub replace_client_name: Option<Spanned<String>>,
    pub conflict_resolution: Option<Spanned<String>>,
    pub ttl: Option<Spanned<i64>>,
    pub queue_limit: Option<Spanned<i64>>,
    #[serde(default)]
    pub key: Vec<RawDdnsKey>,
    #[serde(default)]
    pub zone: Vec<RawDdnsZone>,
}

/// `[[ddns.key]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDdnsKey {
    pub name: Spanned<String>,
    pub algorithm: Option<Spanned<String>>,
    pub secret_file: Spanned<String>,
}

/// `[[ddns.zone]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDdnsZone {
    pub name: Spanned<String>,
    pub server: Spanned<String>,
    pub key: Option<Spanned<String>>,
}

/// `[subnet.ddns]` as written: overrides of the `[ddns]` policy keys.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSubnetDdns {
    pub update: Option<Spanned<String>>,
    pub qualifying_suffix: Option<Spanned<String>>,
    pub generated_prefix: Option<Spanned<String>>,
    pub replace_client_name: Option<Spanned<String>>,
}

/// Who updates which records (key `update`), with the client's option 81 flags where the mode
/// lets them count (RFC 4702 §3, §4.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DdnsUpdate {
    /// `"client"` (default): the client decides. Option 81 with S=1: the server updates A and
    /// PTR; S=0: the client updates A, the server PTR; N=1: the server updates nothing. A client
    /// that sends no option 81: the server updates both.
    #[default]
    Client,
    /// `"both"`: the server updates A and PTR whatever the client asks (S=0 and N=1 are
    /// overridden).
    Both,
    /// `"ptr-only"`: the server updates the PTR record only.
    PtrOnly,
    /// `"never"`: the server updates nothing (it still answers option 81, with N=1).
    Never,
}

impl DdnsUpdate {
    /// The configuration word.
    pub fn as_str(self) -> &'static str {
        match self {
            DdnsUpdate::Client => "client",
            DdnsUpdate::Both => "both",
            DdnsUpdate::PtrOnly => "ptr-only",
            DdnsUpdate::Never => "never",
        }
    }
}

/// When the server puts a name of its own making in place of the client's (key
/// `replace_client_name`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ReplaceClientName {
    /// `"when-absent"` (default): the generated name for a client that sends no name, or one
    /// that sanitises to nothing.
    #[default]
    WhenAbsent,
    /// `"always"`: every client gets the generated name.
    Always,
    /// `"never"`: a client without a name gets no DNS name at all.
    Never,
}

/// How the updater guards against overwriting another client's name (key
/// `conflict_resolution`, RFC 4703 §5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ConflictResolution {
    /// `"check-with-dhcid"` (default): RFC 4703 — a DHCID record names the client that owns a
    /// name; the updater adds a name only when it is free or already this client's.
    #[default]
    CheckWithDhcid,
    /// `"no-check-with-dhcid"`: the updater replaces whatever the name holds (still writes
    /// DHCID records). For zones where DHCP names are the only names.
    NoCheckWithDhcid,
}

/// A TSIG algorithm (key `algorithm` of `[[ddns.key]]`, RFC 8945 §6).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TsigAlgorithm {
    /// `"hmac-sha256"` (default).
    #[default]
    HmacSha256,
    /// `"hmac-sha384"`.
    HmacSha384,
    /// `"hmac-sha512"`.
    HmacSha512,
}

impl TsigAlgorithm {
    /// Every accepted algorithm.
    pub const ALL: [TsigAlgorithm; 3] = [
        TsigAlgorithm::HmacSha256,
        TsigAlgorithm::HmacSha384,
        TsigAlgorithm::HmacSha512,
    ];

    /// The configuration word, which is also the algorithm's DNS name without the trailing dot.
    pub fn as_str(self) -> &'static str {
        match self {
            TsigAlgorithm::HmacSha256 => "hmac-sha256",
            TsigAlgorithm::HmacSha384 => "hmac-sha384",
            TsigAlgorithm::HmacSha512 => "hmac-sha512",
        }
    }

    /// The algorithm named `name` as key files and DNS messages write it (`hmac-sha256`,
    /// any case, a trailing dot allowed); `None` for any other, MD5 and SHA-1 included.
    pub fn from_name(name: &str) -> Option<TsigAlgorithm> {
        let n = name.trim().trim_end_matches('.');
        Self::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(n))
    }
}

impl std::fmt::Display for TsigAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `[[ddns.key]]`: a TSIG key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DdnsKey {
    /// Key `name`: the key's DNS name, lower case, absolute (trailing dot).
    pub name: String,
    /// Key `algorithm` (default `hmac-sha256`).
    pub algorithm: TsigAlgorithm,
    /// Key `secret_file`: the file holding the base64 secret. The runtime reads it; the
    /// engine only keeps the path.
    pub secret_file: PathBuf,
}

/// One `[[ddns.zone]]`: where updates of names under `name` go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DdnsZone {
    /// Key `name`: the zone, lower case, absolute. Forward and reverse (`in-addr.arpa.`)
    /// zones alike; a name's zone is the longest that is a suffix of it
    /// ([`DdnsConfig::zone_for`]).
    pub name: String,
    /// Key `server`: the primary server's IPv4 address, port 53 unless given (`"a.b.c.d:port"`).
    pub server: SocketAddr,
    /// Key `key`: the name (absolute, lower case) of the `[[ddns.key]]` that signs updates;
    /// `None` sends them unsigned.
    pub key: Option<String>,
}

/// The policy keys `[subnet.ddns]` may override; `None` inherits `[ddns]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubnetDdns {
    /// Key `update`.
    pub update: Option<DdnsUpdate>,
    /// Key `qualifying_suffix` (absolute, lower case).
    pub qualifying_suffix: Option<String>,
    /// Key `generated_prefix` (lower case).
    pub generated_prefix: Option<String>,
    /// Key `replace_client_name`.
    pub replace_client_name: Option<ReplaceClientName>,
}

/// `[ddns]`: dynamic DNS updates. `None` in [`Config::ddns`] (no table) turns them off
/// everywhere: no option 81 in replies, lease host names as the client sent them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DdnsConfig {
    /// Key `update` (default `client`); subnets may override it.
    pub update: DdnsUpdate,
    /// Key `qualifying_suffix`: appended to partial names (absolute, lower case). Required
    /// when a subnet updates DNS and does not set its own.
    pub qualifying_suffix: Option<String>,
    /// Key `generated_prefix` (default `dhcp`): a client the server names is called
    /// `<prefix>-<a>-<b>-<c>-<d>.<suffix>` after its address.
    pub generated_prefix: String,
    /// Key `replace_client_name` (default `when-absent`).
    pub replace_client_name: ReplaceClientName,
    /// Key `conflict_resolution` (default `check-with-dhcid`).
    pub conflict_resolution: ConflictResolution,
    /// Key `ttl`: TTL of the records in seconds; 0 (default) is a third of the lease
    /// (RFC 4702 §5), at least 1. See [`DdnsConfig::ttl_for`].
    pub ttl: u32,
    /// Key `queue_limit` (default 65536): how many addresses may have DNS work owed at once,
    /// the bound of the updater's memory.
    pub queue_limit: usize,
    /// `[[ddns.key]]`, in file order; names are unique.
    pub keys: Vec<DdnsKey>,
    /// `[[ddns.zone]]`, in file order; names are unique.
    pub zones: Vec<DdnsZone>,
}

/// The DNS update policy in force on one subnet: `[ddns]` with the subnet's overrides applied
/// ([`Config::ddns_policy`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DdnsPolicy<'a> {
    /// Who updates what.
    pub update: DdnsUpdate,
    /// Appended to partial names (absolute, lower case); `None` only when `update` is
    /// [`DdnsUpdate::Never`] (the configuration requires it otherwise).
    pub qualifying_suffix: Option<&'a str>,
    /// Prefix of generated names.
    pub generated_prefix: &'a str,
    /// When the generated name replaces the client's.
    pub replace_client_name: ReplaceClientName,
    /// The `ttl` key (0: a third of the lease).
    pub ttl: u32,
}

/// The TTL for a lease of `lease_secs` seconds under setting `ttl` (0: a third of the lease,
/// at least 1; an infinite lease, `u32::MAX`, gets [`INFINITE_LEASE_TTL`]).
pub fn ttl_for(ttl: u32, lease_secs: u32) -> u32 {
    if ttl != 0 {
        return ttl.min(MAX_TTL);
    }
    if lease_secs == u32::MAX {
        return INFINITE_LEASE_TTL;
    }
    (lease_secs / 3).clamp(1, MAX_TTL)
}

impl DdnsPolicy<'_> {
    /// The TTL of the records of a lease of `lease_secs` seconds (see [`ttl_for`]).
    pub fn ttl_for(&self, lease_secs: u32) -> u32 {
        ttl_for(self.ttl, lease_secs)
    }
}

impl DdnsConfig {
    /// The zone `name` (absolute, any case) belongs to: the longest configured zone that is
    /// `name` or a suffix of it on a label boundary.
    pub fn zone_for(&self, name: &str) -> Option<&DdnsZone> {
        let name = name.to_ascii_lowercase();
        let name = if name.ends_with('.') {
            name
        } else {
            format!("{name}.")
        };
        self.zones
            .iter()
            .filter(|z| {
                name == z.name
                    || name
                        .strip_suffix(z.name.as_str())
                        .is_some_and(|head| head.ends_with('.'))
            })
            .max_by_key(|z| z.name.len())
    }

    /// The key named `name` (absolute, lower case, as in [`DdnsZone::key`]).
    pub fn key(&self, name: &str) -> Option<&DdnsKey> {
        self.keys.iter().find(|k| k.name == name)
    }

    /// The TTL of the records of a lease of `lease_secs` seconds (see [`ttl_for`]).
    pub fn ttl_for(&self, lease_secs: u32) -> u32 {
        ttl_for(self.ttl, lease_secs)
    }
}

impl Config {
    /// The DNS update policy of subnet `subnet` (an index into [`Config::subnets`]): `None`
    /// when the file has no `[ddns]` table (or no such subnet), else `[ddns]` with the
    /// subnet's `[subnet.ddns]` overrides. A policy with [`DdnsUpdate::Never`] still answers
    /// option 81 (N=1) but updates nothing.
    pub fn ddns_policy(&self, subnet: usize) -> Option<DdnsPolicy<'_>> {
        let d = self.ddns.as_ref()?;
        let o = self.subnets.get(subnet)?.ddns.as_ref();
        Some(DdnsPolicy {
            update: o.and_then(|o| o.update).unwrap_or(d.update),
            qualifying_suffix: o
                .and_then(|o| o.qualifying_suffix.as_deref())
                .or(d.qualifying_suffix.as_deref()),
            generated_prefix: o
                .and_then(|o| o.generated_prefix.as_deref())
                .unwrap_or(&d.generated_prefix),
            replace_client_name: o
                .and_then(|o| o.replace_client_name)
                .unwrap_or(d.replace_client_name),
            ttl: d.ttl,
        })
    }
}

/// Checks a DNS name written in the configuration and returns it lower case and absolute.
/// Labels are 1–63 of letters, digits and `-` (not first or last); with `relaxed` also `_`
/// (service names, key names) and `/` (RFC 2317 classless reverse zones). At most 253
/// characters without the trailing dot; the root alone is refused.
pub(crate) fn dns_name(v: &Spanned<String>, what: &str, relaxed: bool) -> Result<String> {
    let at = v.span().start;
    let text = v.get_ref().trim();
    let bad = |why: &str| SpanError::new(at, format!("{what} {text:?} is not a DNS name: {why}"));
    let body = text.strip_suffix('.').unwrap_or(text);
    if body.is_empty() {
        return Err(bad("it is empty (or the root)"));
    }
    if body.len() > 253 {
        return Err(bad("longer than 253 characters"));
    }
    for label in body.split('.') {
        if label.is_empty() {
            return Err(bad("empty label"));
        }
        if label.len() > 63 {
            return Err(bad("a label is longer than 63 characters"));
        }
        let ok =
            |c: char| c.is_ascii_alphanumeric() || c == '-' || (relaxed && (c == '_' || c == '/'));
        if let Some(c) = label.chars().find(|c| !ok(*c)) {
            return Err(bad(&format!("{c:?} is not allowed in a label")));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(bad("a label starts or ends with '-'"));
        }
    }
    Ok(format!("{}.", body.to_ascii_lowercase()))
}

/// A keyword from `allowed`, or an error naming them.
fn word<T: Copy>(v: &Spanned<String>, key: &str, allowed: &[(&str, T)]) -> Result<T> {
    let got = v.get_ref().trim();
    allowed
        .iter()
        .find(|(w, _)| *w == got)
        .map(|(_, t)| *t)
        .ok_or_else(|| {
            let list: Vec<String> = allowed.iter().map(|(w, _)| format!("{w:?}")).collect();
            SpanError::new(
                v.span().start,
                format!("{key} {got:?}: use one of {}", list.join(", ")),
            )
        })
}

const UPDATE_WORDS: &[(&str, DdnsUpdate)] = &[
    ("client", DdnsUpdate::Client),
    ("both", DdnsUpdate::Both),
    ("ptr-only", DdnsUpdate::PtrOnly),
    ("never", DdnsUpdate::Never),
];

const REPLACE_WORDS: &[(&str, ReplaceClientName)] = &[
    ("when-absent", ReplaceClientName::WhenAbsent),
    ("always", ReplaceClientName::Always),
    ("never", ReplaceClientName::Never),
];

fn update(v: &Spanned<String>) -> Result<DdnsUpdate> {
    word(v, "update", UPDATE_WORDS)
}

fn replace(v: &Spanned<String>) -> Result<ReplaceClientName> {
    word(v, "replace_client_name", REPLACE_WORDS)
}

fn prefix(v: &Spanned<String>) -> Result<String> {
    let text = v.get_ref().trim();
    let ok = !text.is_empty()
        && text.len() <= MAX_GENERATED_PREFIX
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !text.starts_with('-');
    if ok {
        Ok(text.to_ascii_lowercase())
    } else {
        Err(SpanError::new(
            v.span().start,
            format!(
                "generated_prefix {text:?} must be 1–{MAX_GENERATED_PREFIX} letters, digits \
                 and '-' (not first): it starts a DNS label"
            ),
        ))
    }
}

fn server(v: &Spanned<String>) -> Result<SocketAddr> {
    let text = v.get_ref().trim();
    if let Ok(a) = text.parse::<SocketAddrV4>() {
        if a.port() != 0 {
            return Ok(SocketAddr::V4(a));
        }
    } else if let Ok(a) = text.parse::<Ipv4Addr>() {
        return Ok(SocketAddr::V4(SocketAddrV4::new(a, DNS_PORT)));
    }
    Err(SpanError::new(
        v.span().start,
        format!("server {text:?} is not an IPv4 address with an optional port, like \"198.18.0.53\" or \"198.18.0.53:5353\""),
    ))
}

fn ranged(v: &Option<Spanned<i64>>, key: &str, min: i64, max: i64, default: i64) -> Result<i64> {
    match v {
        None => Ok(default),
        Some(s) if (min..=max).contains(s.get_ref()) => Ok(*s.get_ref()),
        Some(s) => Err(SpanError::new(
            s.span().start,
            format!("{key} must be between {min} and {max}"),
        )),
    }
}

/// Validates `[ddns]`.
pub(crate) fn build(raw: &RawDdns) -> Result<DdnsConfig> {
    let mut keys: Vec<DdnsKey> = Vec::with_capacity(raw.key.len());
    for k in &raw.key {
        let name = dns_name(&k.name, "key name", true)?;
        if keys.iter().any(|o| o.name == name) {
            return Err(SpanError::new(
                k.name.span().start,
                format!("key {name:?} is given twice"),
            ));
        }
        let algorithm =
            match &k.algorithm {
                None => TsigAlgorithm::default(),
                Some(a) => word(a, "algorithm", &TsigAlgorithm::ALL.map(|a| (a.as_str(), a)))
                    .map_err(|e| SpanError {
                        reason: format!(
                    "{} (HMAC-MD5 and HMAC-SHA1 are not accepted: RFC 8945 §6 deprecates MD5 \
                     and does not recommend SHA-1)",
                    e.reason
                ),
                        ..e
                    })?,
            };
        let file = k.secret_file.get_ref().trim();
        if file.is_empty() || file.contains('\0') {
            return Err(SpanError::new(
                k.secret_file.span().start,
                "secret_file must name a file (the base64 TSIG secret)",
            ));
        }
        keys.push(DdnsKey {
            name,
            algorithm,
            secret_file: PathBuf::from(file),
        });
    }
    let mut zones: Vec<DdnsZone> = Vec::with_capacity(raw.zone.len());
    for z in &raw.zone {
        let name = dns_name(&z.name, "zone name", true)?;
        if zones.iter().any(|o| o.name == name) {
            return Err(SpanError::new(
                z.name.span().start,
                format!("zone {name:?} is given twice"),
            ));
        }
        let key = match &z.key {
            None => None,
            Some(k) => {
                let n = dns_name(k, "key", true)?;
                if !keys.iter().any(|o| o.name == n) {
                    return Err(SpanError::new(
                        k.span().start,
                        format!("key {n:?} names no [[ddns.key]]"),
                    ));
                }
                Some(n)
            }
        };
        zones.push(DdnsZone {
            name,
            server: server(&z.server)?,
            key,
        });
    }
    Ok(DdnsConfig {
        update: raw
            .update
            .as_ref()
            .map(update)
            .transpose()?
            .unwrap_or_default(),
        qualifying_suffix: raw
            .qualifying_suffix
            .as_ref()
            .map(|s| dns_name(s, "qualifying_suffix", false))
            .transpose()?,
        generated_prefix: raw
            .generated_prefix
            .as_ref()
            .map(prefix)
            .transpose()?
            .unwrap_or_else(|| DEFAULT_GENERATED_PREFIX.to_string()),
        replace_client_name: raw
            .replace_client_name
            .as_ref()
            .map(replace)
            .transpose()?
            .unwrap_or_default(),
        conflict_resolution: match &raw.conflict_resolution {
            None => ConflictResolution::default(),
            Some(c) => word(
                c,
                "conflict_resolution",
                &[
                    ("check-with-dhcid", ConflictResolution::CheckWithDhcid),
                    ("no-check-with-dhcid", ConflictResolution::NoCheckWithDhcid),
                ],
            )?,
        },
        // Both within u32 / usize by the ranges.
        ttl: ranged(&raw.ttl, "ttl", 0, i64::from(MAX_TTL), 0)? as u32,
        queue_limit: ranged(
            &raw.queue_limit,
            "queue_limit",
            1,
            MAX_QUEUE_LIMIT as i64,
            DEFAULT_QUEUE_LIMIT as i64,
        )? as usize,
        keys,
        zones,
    })
}

/// Validates one `[subnet.ddns]`.
pub(crate) fn subnet(raw: &RawSubnetDdns) -> Result<SubnetDdns> {
    Ok(SubnetDdns {
        update: raw.update.as_ref().map(update).transpose()?,
        qualifying_suffix: raw
            .qualifying_suffix
            .as_ref()
            .map(|s| dns_name(s, "qualifying_suffix", false))
            .transpose()?,
        generated_prefix: raw.generated_prefix.as_ref().map(prefix).transpose()?,
        replace_client_name: raw.replace_client_name.as_ref().map(replace).transpose()?,
    })
}

/// Cross-checks after every subnet is built: `[subnet.ddns]` needs `[ddns]`, and every subnet
/// that updates DNS has a qualifying suffix. `at_ddns` locates `[ddns]`; `at_subnet(i)` the
/// `[subnet.ddns]` table of subnet `i`, if it has one.
pub(crate) fn check(
    config: &Config,
    at_ddns: Option<usize>,
    at_subnet: impl Fn(usize) -> Option<usize>,
) -> Result<()> {
    for (i, s) in config.subnets.iter().enumerate() {
        let Some(here) = at_subnet(i) else { continue };
        if config.ddns.is_none() {
            return Err(SpanError::new(
                here,
                format!(
                    "[subnet.ddns] of {} needs a [ddns] table (DNS updates are off without one)",
                    s.net
                ),
            ));
        }
    }
    for (i, s) in config.subnets.iter().enumerate() {
        let Some(p) = config.ddns_policy(i) else {
            continue;
        };
        if p.update != DdnsUpdate::Never && p.qualifying_suffix.is_none() && !s.proxy {
            let at = at_subnet(i).or(at_ddns).unwrap_or(0);
            return Err(SpanError::new(
                at,
                format!(
                    "qualifying_suffix is needed: subnet {} updates DNS (update = {:?}); set it \
                     in [ddns] or [subnet.ddns]",
                    s.net,
                    p.update.as_str()
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sp(s: &str) -> Spanned<String> {
        // A span is only reachable through deserialisation.
        #[derive(Deserialize)]
        struct W {
            v: Spanned<String>,
        }
        let w: W = toml::from_str(&format!("v = {s:?}")).unwrap();
        w.v
    }

    #[test]
    fn dns_names() {
        assert_eq!(
            dns_name(&sp("Example.TEST"), "x", false).unwrap(),
            "example.test."
        );
        assert_eq!(
            dns_name(&sp("0/25.0.18.198.in-addr.arpa."), "x", true).unwrap(),
            "0/25.0.18.198.in-addr.arpa."
        );
        for bad in [
            "",
            ".",
            "a..b",
            "-a.test",
            "a-.test",
            "a_b.test",
            &"a".repeat(64),
        ] {
            assert!(dns_name(&sp(bad), "x", false).is_err(), "{bad:?}");
        }
        assert!(dns_name(&sp(&["a"; 128].join(".")), "x", false).is_err());
    }

    #[test]
    fn ttl_rule() {
        assert_eq!(ttl_for(0, 3600), 1200);
        assert_eq!(ttl_for(0, 2), 1);
        assert_eq!(ttl_for(0, u32::MAX), INFINITE_LEASE_TTL);
        assert_eq!(ttl_for(300, 3600), 300);
    }
}
