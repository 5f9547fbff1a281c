//! The relay configuration: the `[relay]` table of a Leasehold config file, or CLI flags.
//!
//! ```toml
//! [relay]
//! listen = ["eth1", "eth2"]          # downstream (client-facing) interfaces
//! servers = ["198.18.0.1"]           # every request is unicast to each of these
//! server_port = 67                   # where the servers listen (1067 for unprivileged trials)
//! client_port = 68                   # where clients listen
//! max_hops = 4                       # drop requests that already crossed more relays (≤ 16)
//! remote_id = "relay-1"              # option 82 sub-option 2, when set
//! link_selection = false             # option 82 sub-option 5 (RFC 3527)
//! server_id_override = false         # option 82 sub-option 11 (RFC 5107)
//! existing_option82 = "keep"         # keep | replace | drop, for option 82 sent by the client side
//! [relay.circuit_ids]
//! eth1 = "vlan10"                    # sub-option 1; the interface name when not listed
//! ```

use crate::error::RelayError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::Path;

/// RFC 1542 §4.1.1: the hop limit may be configured, but never above 16.
pub const MAX_ALLOWED_HOPS: u8 = 16;

/// What to do with a request that arrives from a client (giaddr 0) already carrying option 82,
/// e.g. inserted by a snooping switch (RFC 3046 §2.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Option82Policy {
    /// Forward the option as it is (the circuit is trusted); do not add ours.
    #[default]
    Keep,
    /// Replace it with ours.
    Replace,
    /// Drop the request (the circuit is untrusted, RFC 3046 §2.1).
    Drop,
}

fn default_server_port() -> u16 {
    leasehold_wire::SERVER_PORT
}

fn default_client_port() -> u16 {
    leasehold_wire::CLIENT_PORT
}

fn default_max_hops() -> u8 {
    4
}

/// Relay agent configuration (`[relay]` table).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelayConfig {
    /// Downstream interfaces on which client requests are accepted, e.g. `["eth1"]`.
    pub listen: Vec<String>,
    /// DHCP servers; every request is forwarded to each of them.
    pub servers: Vec<Ipv4Addr>,
    /// UDP port the servers listen on (67; 1067 for unprivileged trials).
    #[serde(default = "default_server_port")]
    pub server_port: u16,
    /// UDP port clients listen on (68).
    #[serde(default = "default_client_port")]
    pub client_port: u16,
    /// UDP port the relay itself binds; defaults to `server_port`. When it is not 67 the relay
    /// adds option 82 sub-option 19 so servers reply to it (RFC 8357).
    #[serde(default)]
    pub listen_port: Option<u16>,
    /// Bind the relay socket to this address instead of 0.0.0.0 (for loopback tests).
    #[serde(default)]
    pub bind_address: Option<Ipv4Addr>,
    /// Requests whose `hops` field already exceeds this are dropped (RFC 1542 §4.1.1; ≤ 16).
    #[serde(default = "default_max_hops")]
    pub max_hops: u8,
    /// Address put into `giaddr` instead of the arrival interface's address (for example a
    /// loopback or upstream address); use with `link_selection` so the server still knows the
    /// client's link (RFC 3527).
    #[serde(default)]
    pub giaddr: Option<Ipv4Addr>,
    /// Option 82 sub-option 2 (agent remote id), when set.
    #[serde(default)]
    pub remote_id: Option<String>,
    /// Option 82 sub-option 1 (agent circuit id) per interface; the interface name otherwise.
    #[serde(default)]
    pub circuit_ids: BTreeMap<String, String>,
    /// Add sub-option 5, link selection, carrying the arrival interface's address (RFC 3527).
    #[serde(default)]
    pub link_selection: bool,
    /// Add sub-option 11, server identifier override, carrying the arrival interface's address
    /// (RFC 5107): clients then renew through the relay, which forwards those unicasts too.
    #[serde(default)]
    pub server_id_override: bool,
    /// What to do with requests from clients that already carry option 82.
    #[serde(default)]
    pub existing_option82: Option82Policy,
}

/// Only the `[relay]` table of a config file matters here; other tables belong to the server.
#[derive(Deserialize)]
struct Document {
    relay: Option<RelayConfig>,
}

impl RelayConfig {
    /// A configuration with defaults for everything but the interfaces and servers.
    pub fn new(listen: Vec<String>, servers: Vec<Ipv4Addr>) -> RelayConfig {
        RelayConfig {
            listen,
            servers,
            server_port: default_server_port(),
            client_port: default_client_port(),
            listen_port: None,
            bind_address: None,
            max_hops: default_max_hops(),
            giaddr: None,
            remote_id: None,
            circuit_ids: BTreeMap::new(),
            link_selection: false,
            server_id_override: false,
            existing_option82: Option82Policy::Keep,
        }
    }

    /// Reads the `[relay]` table of the Leasehold config file at `path` (other tables are
    /// ignored) and validates it. Errors name `file:line:column`.
    pub fn from_toml_file(path: &Path) -> Result<RelayConfig, RelayError> {
        let text = std::fs::read_to_string(path).map_err(|source| RelayError::ReadConfig {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml_str(&text, path)
    }

    /// Like [`RelayConfig::from_toml_file`], from text; `origin` names the file in errors.
    pub fn from_toml_str(text: &str, origin: &Path) -> Result<RelayConfig, RelayError> {
        let doc: Document = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((0, 0), |s| line_col(text, s.start));
            RelayError::Config {
                location: format!("{}:{line}:{column}", origin.display()),
                message: e.message().trim().to_string(),
            }
        })?;
        let cfg = doc.relay.ok_or_else(|| RelayError::Config {
            location: origin.display().to_string(),
            message: "no [relay] table".to_string(),
        })?;
        cfg.validate().map_err(|message| RelayError::Config {
            location: format!("{}: [relay]", origin.display()),
            message,
        })?;
        Ok(cfg)
    }

    /// The port the relay binds: `listen_port`, or `server_port`.
    pub fn bind_port(&self) -> u16 {
        self.listen_port.unwrap_or(self.server_port)
    }

    /// The circuit id for interface `iface`: the configured one, or its name.
    pub fn circuit_id<'a>(&'a self, iface: &'a str) -> &'a str {
        self.circuit_ids.get(iface).map_or(iface, String::as_str)
    }

    /// Checks the values that serde cannot: returns a one-line reason.
    pub fn validate(&self) -> Result<(), String> {
        if self.listen.is_empty() {
            return Err("listen: name at least one downstream interface".into());
        }
        if self.servers.is_empty() {
            return Err("servers: name at least one DHCP server address".into());
        }
        if let Some(s) = self
            .servers
            .iter()
            .find(|s| s.is_unspecified() || s.is_broadcast())
        {
            return Err(format!("servers: {s} is not a unicast address"));
        }
        if self.max_hops == 0 || self.max_hops > MAX_ALLOWED_HOPS {
            return Err(format!(
                "max_hops = {}: must be 1..={MAX_ALLOWED_HOPS} (RFC 1542 §4.1.1)",
                self.max_hops
            ));
        }
        if self.server_port == 0 || self.client_port == 0 || self.listen_port == Some(0) {
            return Err("ports must be non-zero".into());
        }
        if let Some(name) = self.circuit_ids.keys().find(|k| !self.listen.contains(k)) {
            return Err(format!("circuit_ids.{name}: {name} is not in listen"));
        }
        for (name, id) in &self.circuit_ids {
            if id.is_empty() || id.len() > 255 {
                return Err(format!("circuit_ids.{name}: must be 1–255 bytes"));
            }
        }
        if let Some(id) = self.listen.iter().find(|n| n.is_empty() || n.len() > 255) {
            return Err(format!("listen: interface name {id:?} is not valid"));
        }
        let mut seen: Vec<&str> = self.listen.iter().map(|n| self.circuit_id(n)).collect();
        seen.sort_unstable();
        if seen.windows(2).any(|w| w[0] == w[1]) {
            return Err("circuit_ids: every interface needs a distinct circuit id".into());
        }
        if let Some(r) = &self.remote_id {
            if r.is_empty() || r.len() > 255 {
                return Err("remote_id: must be 1–255 bytes".into());
            }
        }
        Ok(())
    }
}

/// 1-based line and column of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<RelayConfig, RelayError> {
        RelayConfig::from_toml_str(text, Path::new("leasehold.toml"))
    }

    #[test]
    fn reads_only_the_relay_table() {
        let cfg = parse(
            "[server]\nwhatever = 1\n[[subnet]]\nx = 2\n\n[relay]\nlisten = [\"eth1\"]\n\
             servers = [\"198.18.0.1\"]\nremote_id = \"r1\"\n[relay.circuit_ids]\neth1 = \"vlan10\"\n",
        )
        .expect("valid");
        assert_eq!(cfg.listen, vec!["eth1".to_string()]);
        assert_eq!(cfg.servers, vec![Ipv4Addr::new(198, 18, 0, 1)]);
        assert_eq!(cfg.server_port, 67);
        assert_eq!(cfg.client_port, 68);
        assert_eq!(cfg.max_hops, 4);
        assert_eq!(cfg.bind_port(), 67);
        assert_eq!(cfg.circuit_id("eth1"), "vlan10");
        assert_eq!(cfg.existing_option82, Option82Policy::Keep);
    }

    #[test]
    fn unknown_field_names_file_and_line() {
        let err = parse("[relay]\nlisten = [\"eth1\"]\nservers = [\"198.18.0.1\"]\nmax_hop = 3\n")
            .expect_err("unknown field");
        let text = err.to_string();
        assert!(text.contains("leasehold.toml:4:"), "{text}");
        assert!(text.contains("max_hop"), "{text}");
    }

    #[test]
    fn bad_address_names_line() {
        let err =
            parse("[relay]\nlisten = [\"eth1\"]\nservers = [\"198.18.0\"]\n").expect_err("bad ip");
        assert!(err.to_string().contains("leasehold.toml:3:"), "{err}");
    }

    #[test]
    fn validation() {
        assert!(parse("[server]\n")
            .expect_err("no relay")
            .to_string()
            .contains("no [relay]"));
        let base = "[relay]\nlisten = [\"eth1\"]\nservers = [\"198.18.0.1\"]\n";
        for (extra, why) in [
            ("max_hops = 17\n", "max_hops"),
            ("max_hops = 0\n", "max_hops"),
            ("existing_option82 = \"maybe\"\n", "maybe"),
            ("[relay.circuit_ids]\neth9 = \"x\"\n", "eth9"),
            ("server_port = 0\n", "non-zero"),
        ] {
            let err = parse(&format!("{base}{extra}")).expect_err(why);
            assert!(err.to_string().contains(why), "{err}");
        }
        let mut cfg = RelayConfig::new(vec!["eth1".into(), "eth2".into()], vec![]);
        assert!(cfg.validate().is_err());
        cfg.servers.push(Ipv4Addr::new(198, 18, 0, 1));
        assert_eq!(cfg.validate(), Ok(()));
        cfg.circuit_ids.insert("eth1".into(), "eth2".into());
        assert!(cfg.validate().is_err(), "duplicate circuit ids");
    }

    #[test]
    fn policies_parse() {
        let cfg = parse(
            "[relay]\nlisten = [\"eth1\"]\nservers = [\"198.18.0.1\"]\nexisting_option82 = \"replace\"\n\
             link_selection = true\nserver_id_override = true\nlisten_port = 1067\n",
        )
        .expect("valid");
        assert_eq!(cfg.existing_option82, Option82Policy::Replace);
        assert!(cfg.link_selection && cfg.server_id_override);
        assert_eq!(cfg.bind_port(), 1067);
    }
}
