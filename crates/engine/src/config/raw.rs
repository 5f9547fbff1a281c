//! The configuration file as written: TOML tables deserialized with their source spans, before
//! any semantic check. [`super::validate`] turns this into the [`super::Config`] model.
//!
//! Every table denies unknown keys, so a misspelt key is an error with its line, never silently
//! ignored.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    #[serde(default)]
    pub server: RawServer,
    #[serde(default)]
    pub subnet: Vec<RawSubnet>,
    /// `[[class]]`: client classes, in file order.
    #[serde(default)]
    pub class: Vec<super::class::RawClass>,
    /// `[relay]`: read by the relay agent (`leasehold relay`), not by the server.
    #[serde(default, rename = "relay")]
    pub _relay: Option<toml::Table>,
    /// `[control]`: the HTTP control API listener.
    pub control: Option<super::observe::RawControl>,
    /// `[alerts]`: alert thresholds.
    pub alerts: Option<super::observe::RawAlerts>,
    /// `[security]`: admission limits, pool reserve, rogue-server detection.
    pub security: Option<super::security::RawSecurity>,
    /// `[store]`: the lease store backend.
    pub store: Option<super::store::RawStore>,
    /// `[tftp]`: the TFTP boot file service.
    pub tftp: Option<Spanned<super::boot::RawTftp>>,
    /// `[http_boot]`: the HTTP boot file service.
    pub http_boot: Option<Spanned<super::boot::RawHttpBoot>>,
    /// `[ddns]`: dynamic DNS updates.
    pub ddns: Option<Spanned<super::ddns::RawDdns>>,
}

/// `[server]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawServer {
    #[serde(default)]
    pub interfaces: Vec<String>,
    pub listen_address: Option<Spanned<String>>,
    pub server_port: Option<u16>,
    pub client_port: Option<u16>,
    /// UDP port of proxy DHCP requests (PXE), listened on when a subnet has `proxy = true`.
    pub pxe_port: Option<Spanned<u16>>,
    pub server_id: Option<Spanned<String>>,
    pub lease_time: Option<Spanned<u32>>,
    pub renewal_time: Option<Spanned<u32>>,
    pub rebinding_time: Option<Spanned<u32>>,
    pub min_lease_time: Option<Spanned<u32>>,
    pub max_lease_time: Option<Spanned<u32>>,
    pub offer_hold: Option<Spanned<u32>>,
    pub probation_time: Option<u32>,
    pub authoritative: Option<bool>,
    pub bootp_lease_time: Option<Spanned<RawDuration>>,
    pub dynamic_bootp: Option<bool>,
    #[serde(default)]
    pub always_send: Vec<Spanned<RawOptionKey>>,
    /// Relays (giaddr) allowed to forward requests: addresses or prefixes.
    pub allowed_relays: Option<Vec<Spanned<String>>>,
    /// Match circuit/remote-id reservations on option 82 of unrelayed (giaddr 0) requests.
    pub trust_option82_without_giaddr: Option<bool>,
    /// User to switch to after binding the sockets when started as root.
    pub user: Option<String>,
    /// Group-commit delay of the lease writer, in microseconds.
    pub commit_delay_us: Option<Spanned<u32>>,
    /// Packet-loop coalescing window under load, in microseconds.
    pub coalesce_us: Option<Spanned<u32>>,
    /// Seconds lease history is kept; 0 keeps it forever.
    pub history_retention: Option<u32>,
    #[serde(default)]
    pub options: RawOptions,
}

/// Lease-time keys shared by `[server]` and `[[subnet]]` (serde's `flatten` cannot be combined
/// with `deny_unknown_fields` or spans, so both tables repeat the keys and borrow this view).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawLeaseTimes<'a> {
    pub lease_time: Option<&'a Spanned<u32>>,
    pub renewal_time: Option<&'a Spanned<u32>>,
    pub rebinding_time: Option<&'a Spanned<u32>>,
    pub min_lease_time: Option<&'a Spanned<u32>>,
    pub max_lease_time: Option<&'a Spanned<u32>>,
}

macro_rules! times_view {
    ($t:ty) => {
        impl $t {
            /// The lease-time keys of this table.
            pub fn times(&self) -> RawLeaseTimes<'_> {
                RawLeaseTimes {
                    lease_time: self.lease_time.as_ref(),
                    renewal_time: self.renewal_time.as_ref(),
                    rebinding_time: self.rebinding_time.as_ref(),
                    min_lease_time: self.min_lease_time.as_ref(),
                    max_lease_time: self.max_lease_time.as_ref(),
                }
            }
        }
    };
}
times_view!(RawServer);
times_view!(RawSubnet);

/// A duration that may be `"infinite"`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawDuration {
    Seconds(u32),
    Word(String),
}

/// An option named by its name or its numeric code.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawOptionKey {
    Code(i64),
    Name(String),
}

/// `[... .options]`: key is an option name or code, value one or more scalars.
pub(crate) type RawOptions = BTreeMap<String, Spanned<RawOptionValue>>;

/// One option value as written.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawOptionValue {
    One(RawScalar),
    Many(Vec<RawScalar>),
}

/// A scalar option value.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawScalar {
    Int(i64),
    Bool(bool),
    Str(String),
}

impl RawScalar {
    /// The value as the text the option registry parses.
    pub fn to_text(&self) -> String {
        match self {
            RawScalar::Int(i) => i.to_string(),
            RawScalar::Bool(b) => b.to_string(),
            RawScalar::Str(s) => s.clone(),
        }
    }
}

/// `[[subnet]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSubnet {
    pub subnet: Spanned<String>,
    pub id: Option<Spanned<u32>>,
    pub shared_network: Option<String>,
    pub interface: Option<String>,
    /// Proxy DHCP on this link: boot information for PXE clients, no addresses.
    pub proxy: Option<Spanned<bool>>,
    pub next_server: Option<Spanned<String>>,
    pub boot_file: Option<Spanned<String>>,
    pub server_name: Option<Spanned<String>>,
    pub lease_time: Option<Spanned<u32>>,
    pub renewal_time: Option<Spanned<u32>>,
    pub rebinding_time: Option<Spanned<u32>>,
    pub min_lease_time: Option<Spanned<u32>>,
    pub max_lease_time: Option<Spanned<u32>>,
    #[serde(default)]
    pub options: RawOptions,
    #[serde(default)]
    pub pool: Vec<RawPool>,
    #[serde(default)]
    pub reservation: Vec<RawReservation>,
    #[serde(default)]
    pub circuit: Vec<RawCircuit>,
    /// `[subnet.ddns]`: overrides of the `[ddns]` policy.
    pub ddns: Option<Spanned<super::ddns::RawSubnetDdns>>,
}

/// `[[subnet.circuit]]`: options for clients behind one relay circuit (option 82).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCircuit {
    pub circuit_id: Option<Spanned<String>>,
    pub remote_id: Option<Spanned<String>>,
    #[serde(default)]
    pub options: RawOptions,
}

/// `[[subnet.pool]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPool {
    pub range: Option<Spanned<String>>,
    pub start: Option<Spanned<String>>,
    pub end: Option<Spanned<String>>,
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    /// Only members of one of these classes get addresses from the pool.
    pub classes: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub options: RawOptions,
}

/// `[[subnet.reservation]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReservation {
    pub hw_address: Option<Spanned<String>>,
    pub client_id: Option<Spanned<String>>,
    /// Option 82 sub-option 1 (text, or hex as `0x...`).
    pub circuit_id: Option<Spanned<String>>,
    /// Option 82 sub-option 2 (text, or hex as `0x...`).
    pub remote_id: Option<Spanned<String>>,
    pub address: Spanned<String>,
    pub hostname: Option<String>,
    pub next_server: Option<Spanned<String>>,
    pub boot_file: Option<Spanned<String>>,
    #[serde(default)]
    pub options: RawOptions,
}
